"""Partner recommendation: which organisations should work on this initiative?

Candidates come from the neighbourhood of the query in the graph: partners of the known partners'
earlier initiatives (co-partners), partners of initiatives similar in text, organisations active on
the same specific topics, and co-partners of co-partners. Each candidate gets a few features; a
logistic regression learned on the store's own initiatives (each one's partners hidden in turn)
weighs them. Everything is read through GraphStore.neighbours and similar search, so the same code
runs on every store and never loads the whole graph.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from graph.errors import NotFoundError, Problem, ValidationError
from graph.schema import ORG_KINDS, Direction, Label, Node, Rel, node_text
from graph.store import GraphStore
from recommend.similar import MAX_K, Recommender
from recommend.types import Reason, Recommendation

FEATURES = (
    "copartner",  # log1p of initiatives shared with the known partners
    "copartner_share",  # shared initiatives / initiatives of the known partners
    "copartner_similar",  # shared initiatives weighted by their text similarity to the query
    "similar_sum",  # sum of similarity of the similar initiatives the organisation is in
    "similar_max",  # best similarity among them
    "topic_specific",  # log1p of initiatives on the query's specific topics
    "topic_broad_share",  # share of the organisation's initiatives on the query's broad topics
    "second_order",  # co-partners of co-partners, weighted
    "popularity",  # log1p of the organisation's number of initiatives
    "same_country",  # shares a country with a known partner
    *(f"kind_{k}" for k in ORG_KINDS),
)
# Features also given relative to their best value among this query's candidates: how strong a
# candidate is compared with the others matters more than the raw count.
RELATIVE = ("copartner", "copartner_similar", "similar_sum", "topic_specific", "second_order")
FEATURES = (*FEATURES, *(f"{f}_relative" for f in RELATIVE))
# Prior weights, used until a model is learned from the store (kept simple and positive).
DEFAULT_WEIGHTS = {"copartner": 1.0, "copartner_similar": 1.5, "similar_sum": 2.0, "topic_specific": 1.0,
                   "second_order": 0.3, "popularity": 0.1}
SIMILAR_POOL = 30
SPECIFIC_TOPIC_MAX = 60  # a topic with more initiatives than this counts as broad
MODEL_META_KEY = "partner_model"
MAX_CANDIDATES = 600
CACHE_LIMIT = 200_000


@dataclass
class PartnerQuery:
    """What is known about the initiative that needs partners."""

    text: str
    known: list[str] = field(default_factory=list)  # organisation ids already involved (coordinator first)
    topics: list[str] = field(default_factory=list)  # Topic node ids
    exclude_initiative: str | None = None  # the initiative itself, when it is in the store


@dataclass
class _Evidence:
    shared_with: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    similar_in: dict[str, list[tuple[str, float]]] = field(default_factory=lambda: defaultdict(list))
    topic_in: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


@dataclass
class PartnerModel:
    """Standardised logistic-regression weights over FEATURES, as learned by :func:`fit_partner_model`."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float = 0.0
    trained_on: int = 0

    def score(self, x: np.ndarray) -> np.ndarray:
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.coef) + self.intercept

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> PartnerModel:
        data = json.loads(text)
        return cls(**data)

    @classmethod
    def default(cls) -> PartnerModel:
        coef = [DEFAULT_WEIGHTS.get(f, 0.0) for f in FEATURES]
        return cls([0.0] * len(FEATURES), [1.0] * len(FEATURES), coef)


class PartnerRecommender:
    """Ranks organisations for an initiative or a described project, with reasons."""

    def __init__(self, store: GraphStore, recommender: Recommender, model: PartnerModel | None = None) -> None:
        self.store = store
        self.recommender = recommender
        self._model = model
        self._cache: dict[tuple[str, str], list[str]] = {}
        self._revision = ""

    @property
    def model(self) -> PartnerModel:
        if self._model is None:
            saved = self.store.get_meta(MODEL_META_KEY)
            model = PartnerModel.from_json(saved) if saved else None
            # a model learned over another feature set (an older version) cannot be used
            self._model = model if model is not None and len(model.coef) == len(FEATURES) else PartnerModel.default()
        return self._model

    # --- graph helpers (cached per store revision) -----------------------------------------------
    def _fresh(self) -> None:
        rev = self.store.revision()
        if rev != self._revision or len(self._cache) > CACHE_LIMIT:
            self._cache, self._revision = {}, rev

    def _ids(self, kind: str, node_id: str, rel: Rel, direction: Direction) -> list[str]:
        """Neighbour ids, remembered until the store changes (the same hubs recur across queries)."""
        key = (kind, node_id)
        found = self._cache.get(key)
        if found is None:
            found = [n.id for _, n in self.store.neighbours(node_id, rel, direction)
                     if kind != "tagged" or n.label == Label.INITIATIVE]
            self._cache[key] = found
        return found

    def _initiatives_of(self, org: str) -> list[str]:
        return self._ids("initiatives", org, Rel.INVOLVES, Direction.IN)

    def _partners_of(self, initiative: str) -> list[str]:
        return self._ids("partners", initiative, Rel.INVOLVES, Direction.OUT)

    def _degree_of(self, org: str) -> int:
        return len(self._initiatives_of(org))

    def _tagged(self, topic: str) -> list[str]:
        return self._ids("tagged", topic, Rel.TAGGED, Direction.IN)

    # --- query -----------------------------------------------------------------------------------
    def query_for(self, initiative_id: str, known: Sequence[str] = ()) -> PartnerQuery:
        """The partner query of an initiative in the store: its text, topics, owner and partners."""
        node = self.store.get(initiative_id)
        if node is None or node.label != Label.INITIATIVE:
            raise NotFoundError(f"no initiative with id '{initiative_id}'")
        links = self.store.neighbours(initiative_id, direction=Direction.OUT)
        owner = [n.id for e, n in links if e.rel == Rel.OWNED_BY]
        partners = [n.id for e, n in links if e.rel == Rel.INVOLVES]
        topics = [n.id for e, n in links if e.rel == Rel.TAGGED]
        known_all = list(dict.fromkeys([*known, *owner, *partners]))
        return PartnerQuery(node_text(node), known_all, topics, initiative_id)

    def partners(
        self,
        query: PartnerQuery | str,
        *,
        known: Sequence[str] = (),
        k: int = 20,
        kinds: Iterable[str] | None = None,
    ) -> list[Recommendation]:
        """Organisations to work with, best first. ``query`` is an initiative id, free text or a PartnerQuery.

        Known partners (and the owner) are never recommended; ``kinds`` keeps only those kinds.
        """
        if not 1 <= k <= MAX_K:
            raise ValidationError([Problem("query", None, "k", f"k must be between 1 and {MAX_K}, got {k}")])
        if isinstance(query, str):
            query = (self.query_for(query, known) if self.store.get(query) is not None and len(query) <= 128
                     else PartnerQuery(query, list(known)))
        missing = [o for o in query.known if self.store.get(o) is None]
        if missing:
            raise NotFoundError(f"unknown organisation id(s): {', '.join(missing[:5])}")
        wanted = set(kinds) if kinds is not None else None
        if wanted is not None and not wanted <= set(ORG_KINDS):
            raise ValidationError([Problem("query", None, "kind", f"kinds must be among {', '.join(ORG_KINDS)}")])
        ids, x, evidence = self.features(query)
        if not ids:
            return []
        scores = self.model.score(x)
        order = np.argsort(-scores, kind="stable")
        nodes = {n.id: n for n in self.store.get_many([ids[i] for i in order[: 5 * k + 50]])}
        out: list[Recommendation] = []
        for i in order:
            node = nodes.get(ids[i])
            if node is None:
                continue
            if wanted is not None and node.props.get("kind") not in wanted:
                continue
            out.append(self._explain(node, float(scores[i]), x[i], evidence))
            if len(out) == k:
                break
        return out

    def features(self, q: PartnerQuery) -> tuple[list[str], np.ndarray, _Evidence]:
        """Candidate organisation ids, their feature matrix (rows follow FEATURES) and the evidence."""
        self._fresh()
        skip = {q.exclude_initiative} if q.exclude_initiative else set()
        known = set(q.known)
        ev = _Evidence()
        copartner: Counter[str] = Counter()
        known_projects: set[str] = set()
        for org in q.known:
            for ini in self._initiatives_of(org):
                if ini in skip:
                    continue
                known_projects.add(ini)
                for partner in self._partners_of(ini):
                    if partner not in known:
                        copartner[partner] += 1
                        ev.shared_with[partner].append(ini)

        sims: dict[str, float] = {}
        vec = self.recommender.embedder.encode([q.text], kind="query")[0] if q.text.strip() else None
        if vec is not None:
            result = self.recommender.similar_to_text(q.text, k=SIMILAR_POOL, labels=(Label.INITIATIVE,),
                                                      exclude_ids=skip, vector=vec)
            sims = {r.id: max(r.score, 0.0) for r in result.items}
        similar_sum: defaultdict[str, float] = defaultdict(float)
        similar_max: dict[str, float] = {}
        for ini, s in sims.items():
            for partner in self._partners_of(ini):
                if partner not in known:
                    similar_sum[partner] += s
                    similar_max[partner] = max(similar_max.get(partner, 0.0), s)
                    ev.similar_in[partner].append((ini, s))

        copartner_similar: defaultdict[str, float] = defaultdict(float)
        if known_projects and vec is not None:
            for node in self.store.get_many(sorted(known_projects)):
                if node.embedding is None:
                    continue
                s = max(float(node.embedding @ vec / (np.linalg.norm(node.embedding) or 1.0)), 0.0)
                for partner in self._partners_of(node.id):
                    if partner not in known:
                        copartner_similar[partner] += s

        topic_specific: Counter[str] = Counter()
        broad: set[str] = set()
        for topic in q.topics:
            tagged = [i for i in self._tagged(topic) if i not in skip]
            if len(tagged) > SPECIFIC_TOPIC_MAX:
                broad |= set(tagged)
                continue
            for ini in tagged:
                for partner in self._partners_of(ini):
                    if partner not in known:
                        topic_specific[partner] += 1
                        ev.topic_in[partner][topic] += 1

        second: defaultdict[str, float] = defaultdict(float)
        total = sum(copartner.values()) or 1
        for partner, n in copartner.most_common(15):
            for ini in self._initiatives_of(partner):
                if ini in skip:
                    continue
                for other in self._partners_of(ini):
                    if other not in known and other != partner:
                        second[other] += n / total

        candidates = (set(copartner) | set(similar_sum) | set(topic_specific) | set(second)) - known
        if len(candidates) > MAX_CANDIDATES:  # keep the strongest by a cheap prior before the costlier features
            prior = {c: 2 * copartner[c] + 3 * similar_sum[c] + topic_specific[c] + second[c] for c in candidates}
            candidates = set(sorted(candidates, key=lambda c: (-prior[c], c))[:MAX_CANDIDATES])
        ids = sorted(candidates)
        if not ids:
            return [], np.zeros((0, len(FEATURES))), ev
        nodes = {n.id: n for n in self.store.get_many(ids)}
        countries = {n.props.get("country") for n in self.store.get_many(list(q.known))} - {None}
        known_degree = sum(self._degree_of(o) for o in q.known) or 1
        rows = []
        for org in ids:
            org_node = nodes.get(org)
            deg = self._degree_of(org)
            kind = org_node.props.get("kind") if org_node else None
            broad_share = 0.0
            if broad and deg:
                broad_share = sum(1 for i in self._initiatives_of(org) if i in broad) / deg
            row = [
                math.log1p(copartner[org]),
                copartner[org] / known_degree,
                copartner_similar[org],
                similar_sum[org],
                similar_max.get(org, 0.0),
                math.log1p(topic_specific[org]),
                broad_share,
                math.log1p(second[org]),
                math.log1p(deg),
                1.0 if org_node is not None and org_node.props.get("country") in countries else 0.0,
                *(1.0 if kind == k_ else 0.0 for k_ in ORG_KINDS),
            ]
            rows.append(row)
        x = np.asarray(rows, dtype=np.float64)
        relative = [FEATURES.index(f) for f in RELATIVE]
        top = x[:, relative].max(axis=0)
        x = np.hstack([x, x[:, relative] / np.where(top > 0, top, 1.0)])
        return ids, x, ev

    def _explain(self, node: Node, score: float, x: np.ndarray, ev: _Evidence) -> Recommendation:
        reasons: list[Reason] = []
        titles = {}
        wanted = set(ev.shared_with.get(node.id, [])[:3]) | {i for i, _ in ev.similar_in.get(node.id, [])[:3]}
        for n in self.store.get_many(sorted(wanted)):
            titles[n.id] = n.title
        shared = ev.shared_with.get(node.id, [])
        if shared:
            names = [titles.get(i, i) for i in shared[:2]]
            more = f" and {len(shared) - 2} more" if len(shared) > 2 else ""
            reasons.append(Reason("partner", f"Worked with your partners on {' and '.join(names)}{more}",
                                  tuple({"id": i, "name": titles.get(i, i)} for i in shared[:3])))
        similar = sorted(ev.similar_in.get(node.id, []), key=lambda t: -t[1])
        if similar:
            names = [titles.get(i, i) for i, _ in similar[:2]]
            reasons.append(Reason("similar", f"Partner in {' and '.join(names)}, which resemble this",
                                  tuple({"id": i, "name": titles.get(i, i), "similarity": f"{s:.2f}"}
                                        for i, s in similar[:3])))
        topics = ev.topic_in.get(node.id)
        if topics:
            topic_nodes = {n.id: n.title for n in self.store.get_many(list(topics))}
            reasons.append(Reason("topic", "Active on the same topic: " + ", ".join(
                f"{topic_nodes.get(t, t)} ({c})" for t, c in topics.most_common(2)),
                tuple({"id": t, "name": topic_nodes.get(t, t)} for t in topics)))
        parts = {f: round(float(v), 4) for f, v in zip(FEATURES, x, strict=True)
                 if v and not f.startswith("kind_") and not f.endswith("_relative")}
        return Recommendation(node.id, node.label.value, node.title, round(score, 4), parts, reasons,
                              None, node.props.get("kind"))


def fit_partner_model(
    partner_rec: PartnerRecommender, *, max_queries: int = 400, negatives_per_query: int = 60, seed: int = 0
) -> PartnerModel:
    """Learn feature weights from the store's own initiatives: for each sampled initiative with an owner
    and partners, its partners are hidden and must be found again from its text, topics and owner."""
    from sklearn.linear_model import LogisticRegression

    store = partner_rec.store
    pool = sorted(n.id for n in store.iter_nodes(Label.INITIATIVE))
    pool.sort(key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    rng = random.Random(seed)
    xs, ys, used = [], [], 0
    for ini in pool:
        if used >= max_queries:
            break
        links = store.neighbours(ini, direction=Direction.OUT)
        owner = [n.id for e, n in links if e.rel == Rel.OWNED_BY]
        targets = {n.id for e, n in links if e.rel == Rel.INVOLVES} - set(owner)
        if not owner or not targets:
            continue
        node = store.get(ini)
        topics = [n.id for e, n in links if e.rel == Rel.TAGGED]
        q = PartnerQuery(node_text(node) if node else "", owner[:1], topics, ini)
        ids, x, _ = partner_rec.features(q)
        if not ids:
            continue
        labels = np.array([i in targets for i in ids])
        if not labels.any():
            continue
        neg = np.nonzero(~labels)[0].tolist()
        keep = np.nonzero(labels)[0].tolist() + rng.sample(neg, min(len(neg), negatives_per_query))
        xs.append(x[keep])
        ys.append(labels[keep])
        used += 1
    if used < 10:
        return PartnerModel.default()
    x_all, y_all = np.vstack(xs), np.concatenate(ys)
    mean, scale = x_all.mean(0), x_all.std(0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=1.0, max_iter=2000).fit((x_all - mean) / scale, y_all)
    return PartnerModel(mean.tolist(), scale.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0]), used)


def learn_and_store(store: GraphStore, recommender: Recommender, *, max_queries: int = 800,
                    seed: int = 0) -> PartnerModel:
    """Learn the partner weights from the store's own initiatives (:func:`fit_partner_model`) and keep
    them in the store, where every PartnerRecommender on it finds them. With fewer than ten usable
    initiatives nothing is kept and the prior weights stay (``trained_on`` is 0)."""
    model = fit_partner_model(PartnerRecommender(store, recommender), max_queries=max_queries, seed=seed)
    if model.trained_on:
        store.set_meta(MODEL_META_KEY, model.to_json())
    return model
