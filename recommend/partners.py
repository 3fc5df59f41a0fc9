"""Partner recommendation: which organisations should work on this initiative?

Candidates come from the neighbourhood of the query in the graph: partners of the known partners'
earlier initiatives (co-partners), partners of initiatives similar in text, organisations active on
the same specific topics, and co-partners of co-partners. Each candidate gets features (how often
and how recently it worked with the known partners, on how similar work, on the same call topic or
call family, its kind and country); gradient-boosted trees learned on the store's own initiatives
(each one's partners hidden in turn) score them. Everything is read through GraphStore.neighbours,
vector and similar search (and the list of topics, for call families), so the same code runs on
every store and never loads the whole graph.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from graph.errors import NotFoundError, Problem, ValidationError
from graph.schema import ORG_KINDS, Direction, Label, Node, Rel
from graph.store import GraphStore
from ingest.records import a_label
from recommend.similar import MAX_K, WEAK_NOTE, Recommender, item_query, query_text, unseen
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
    "copartner_small",  # shared initiatives weighted by 1 / their number of other partners
    "copartner_recent",  # shared initiatives weighted by how recent they are
    "copartner_jaccard",  # shared initiatives / union of both sides' initiatives
    "copartner_own_share",  # shared initiatives / the candidate's initiatives
    "similar_rank",  # sum of 1 / rank of the similar initiatives the organisation is in
    "similar_top",  # how many of the 10 most similar initiatives the organisation is in
    "topic_frac",  # share of the specific topics' initiatives the organisation is in
    "topic_own_share",  # specific-topic initiatives / the candidate's initiatives
    "similar_per_size",  # similar_sum discounted by the organisation's size
    "kind_in_similar",  # share of the similar initiatives' partners that are of the candidate's kind
    "same_kind",  # same kind as a known partner
    "dense_max",  # best text similarity among the organisation's initiatives (wider pool, text only)
    "dense_sum",  # sum of those similarities
    "dense_count",  # how many of its initiatives are in that pool
    "dense_per_initiative",  # dense_sum / its initiatives
    "dense_peak",  # those similarities, sharply weighted towards the best
    "family",  # log1p of its initiatives in the same call family as the query's topic (e.g. SC5, LC-SC3-EE)
    "family_share",  # those / its initiatives
    "family_size",  # log1p of the family's size, where the organisation is in it
)
# Features also given relative to their best value among this query's candidates: how strong a
# candidate is compared with the others matters more than the raw count.
RELATIVE = ("copartner", "copartner_similar", "similar_sum", "topic_specific", "second_order",
            "similar_rank", "copartner_recent", "copartner_small")
FEATURES = (*FEATURES, *(f"{f}_relative" for f in RELATIVE))
# Prior weights, used until a model is learned from the store (kept simple and positive).
DEFAULT_WEIGHTS = {"copartner": 1.0, "copartner_similar": 1.5, "similar_sum": 2.0, "topic_specific": 1.0,
                   "second_order": 0.3, "popularity": 0.1}
SIMILAR_POOL = 30
DENSE_POOL = 300  # initiatives nearest in embedding space, used as features only (not as candidates)
# The neighbour lists the features read, by the cache key's kind.
# An organisation is a member of an initiative it is involved in or owns (a unit owning its project works on
# it, though only the partners have INVOLVES edges in the demo and in most municipal data; a CORDIS
# coordinator has both).
_NEIGHBOURS = {"initiatives": ((Rel.INVOLVES, Rel.OWNED_BY), Direction.IN),
               "partners": ((Rel.INVOLVES, Rel.OWNED_BY), Direction.OUT),
               "tagged": ((Rel.TAGGED,), Direction.IN)}
MAX_FAMILY_TOPICS = 2000  # call topics read per call family
SPECIFIC_TOPIC_MAX = 60  # a topic with more initiatives than this counts as broad
MODEL_META_KEY = "partner_model"
MODEL_RECHECK_S = 5.0  # how often a recommender looks for newly learned weights in the store
# Measured on the seed-2 split: 1,200 candidates 0.293 / 0.441, and the partners of the 100 nearest initiatives
# by embedding as candidates too (1,500) 0.291 / 0.442, against 0.295 / 0.442 here: the cap loses about one in
# eight of the co-partner targets, but the model does not rank them (or the added ones) into the top 20.
MAX_CANDIDATES = 600
# From this similar-search score (0 to 3: the scaled text score, the topic overlap and, for a short text, the
# share of its words that tags name) a similar initiative is said to resemble the query; below it, or when the
# search matched nothing closely, it is only among the nearest.
RESEMBLES = 0.5
# Weight of the logistic regression added to the trees. Chosen on a split the reported figures do not
# use (kominn eval t3 --seed 2: trees alone 0.286 / 0.436, with half the regression 0.295 / 0.447).
BLEND = 0.5
CACHE_LIMIT = 200_000
RECENT_YEAR = 2021  # reference year of copartner_recent (a monotone weight; the learned model sets its use)
# Fewest initiatives (with an owner and partners) to learn the model from; with fewer the prior weights
# stay. Measured on CORDIS samples (the T3 protocol; corpus of 230 / 350 / 460 / 970 projects, 8 / 4 / 3 / 2
# splits): learned minus prior Recall@20 -0.024 / -0.003 / +0.023 / +0.044, MRR -0.061 / +0.005 / 0 / +0.037.
MIN_TRAINING = 300


def topic_family(topic: str) -> str | None:
    """The call family of a call-topic id (its words before the first number), None for topics
    without a number (programme parts, free keywords)."""
    words = topic.removeprefix("topic:").split("-")
    if not any(w.isdigit() for w in words):
        return None
    head: list[str] = []
    for w in words:
        if w.isdigit():
            break
        head.append(w)
    return "-".join(head) or None


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
    # (co-partner of a known partner, initiative) pairs through which a candidate is in their network
    network: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # the similar search's notes
    similarity: dict[str, float] = field(default_factory=dict)  # similar initiative -> embedding cosine to the query
    # similar initiative -> organisation -> "partner" (an INVOLVES link) or "owner" (OWNED_BY only), read for the
    # reasons (None until then)
    roles: dict[str, dict[str, str]] | None = None


@dataclass
class PartnerModel:
    """A score over FEATURES, as learned by :func:`fit_partner_model`: standardised linear weights plus,
    optionally, an ensemble of regression trees (gradient boosting), stored as plain arrays.

    ``trees`` holds equally shaped lists, one row per tree and one column per node: ``feature``,
    ``threshold``, ``left``, ``right`` (a leaf points to itself) and ``value``; ``depth`` is the
    deepest leaf's depth. A row goes left where its feature value is <= the threshold.
    """

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float = 0.0
    trained_on: int = 0
    trees: dict[str, Any] | None = None
    usable: int = 0  # initiatives with an owner and partners found to learn from (also when too few)
    _arrays: tuple[np.ndarray, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def score(self, x: np.ndarray) -> np.ndarray:
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        out = z @ np.asarray(self.coef) + self.intercept
        if self.trees and len(x):
            out = out + self._tree_score(x)
        return out

    def _tree_score(self, x: np.ndarray) -> np.ndarray:
        if self._arrays is None:  # flat arrays, node ids made global (tree * width + node)
            t = self.trees or {}
            feature = np.asarray(t["feature"], dtype=np.intp)
            offset = (np.arange(feature.shape[0]) * feature.shape[1])[:, None]
            self._arrays = (feature.ravel(), np.asarray(t["threshold"], dtype=np.float64).ravel(),
                            (np.asarray(t["left"], dtype=np.intp) + offset).ravel(),
                            (np.asarray(t["right"], dtype=np.intp) + offset).ravel(),
                            np.asarray(t["value"], dtype=np.float64).ravel(), offset.ravel())
        feature, threshold, left, right, value, roots = self._arrays
        x = np.ascontiguousarray(x, dtype=np.float64)
        rows = (np.arange(len(x)) * x.shape[1])[:, None]
        flat = x.ravel()
        node = np.broadcast_to(roots, (len(x), len(roots)))
        for _ in range(int((self.trees or {}).get("depth", 0))):
            go_left = flat.take(feature.take(node) + rows) <= threshold.take(node)
            node = np.where(go_left, left.take(node), right.take(node))
        return value.take(node).sum(axis=1)

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in self.__dict__.items() if not k.startswith("_")})

    @classmethod
    def from_json(cls, text: str) -> PartnerModel:
        data = json.loads(text)
        return cls(**data)

    @classmethod
    def default(cls) -> PartnerModel:
        coef = [DEFAULT_WEIGHTS.get(f, 0.0) for f in FEATURES]
        return cls([0.0] * len(FEATURES), [1.0] * len(FEATURES), coef)


def _export_trees(model: Any) -> tuple[dict[str, Any], float]:
    """The trees of a fitted scikit-learn HistGradientBoostingClassifier (binary) as plain arrays."""
    trees = [p[0].nodes for p in model._predictors]
    width = max(len(t) for t in trees)
    out: dict[str, list[list[Any]]] = {k: [] for k in ("feature", "threshold", "left", "right", "value")}
    depth = 0
    for nodes in trees:
        n = len(nodes)
        own = np.arange(width)
        leaf = np.ones(width, dtype=bool)
        leaf[:n] = nodes["is_leaf"].astype(bool)
        feature = np.zeros(width, dtype=int)
        threshold = np.zeros(width)
        left, right, value = own.copy(), own.copy(), np.zeros(width)
        inner = ~leaf[:n]
        feature[:n][inner] = nodes["feature_idx"][inner]
        threshold[:n][inner] = nodes["num_threshold"][inner]
        left[:n][inner] = nodes["left"][inner]
        right[:n][inner] = nodes["right"][inner]
        value[:n][~inner] = nodes["value"][~inner]
        depth = max(depth, int(nodes["depth"].max()))
        for k, v in (("feature", feature), ("threshold", threshold), ("left", left), ("right", right),
                     ("value", value)):
            out[k].append(v.tolist())
    return {**out, "depth": depth}, float(np.ravel(model._baseline_prediction)[0])


class PartnerRecommender:
    """Ranks organisations for an initiative or a described project, with reasons."""

    def __init__(self, store: GraphStore, recommender: Recommender, model: PartnerModel | None = None) -> None:
        self.store = store
        self.recommender = recommender
        self._model = model
        self._given = model is not None
        self._model_text: str | None = None  # the stored model's JSON, as last read
        self._model_checked = 0.0
        self._cache: dict[tuple[str, str], list[str]] = {}
        self._revision = ""
        self._families: dict[str, list[str]] | None = None
        self._families_revision = ""

    @property
    def model(self) -> PartnerModel:
        """The model given, else the one kept in the store (looked at again every ``MODEL_RECHECK_S`` seconds, so
        that a service picks up ``kominn learn-partners`` without a restart), else the prior weights."""
        if self._given:
            assert self._model is not None
            return self._model
        now = time.monotonic()
        if self._model is None or now - self._model_checked >= MODEL_RECHECK_S:
            self._model_checked = now
            saved = self.store.get_meta(MODEL_META_KEY)
            if self._model is None or saved != self._model_text:
                model = PartnerModel.from_json(saved) if saved else None
                # a model learned over another feature set (an older version) cannot be used
                self._model = model if model is not None and len(model.coef) == len(FEATURES) \
                    else PartnerModel.default()
                self._model_text = saved
        return self._model

    # --- graph helpers (cached per store revision) -----------------------------------------------
    def _fresh(self) -> None:
        rev = self.store.revision()
        if rev != self._revision or len(self._cache) > CACHE_LIMIT:
            self._cache, self._revision = {}, rev

    def _ids(self, kind: str, node_id: str) -> list[str]:
        """Neighbour ids in id order, remembered until the store changes (the same hubs recur across queries).
        Sums and ties over them then come out the same on every store, whatever order it keeps its links in."""
        self._prefetch(kind, [node_id])
        return self._cache[(kind, node_id)]

    def _prefetch(self, kind: str, node_ids: Iterable[str]) -> None:
        """Read the neighbour ids of many nodes at once (one batched query on Neo4j instead of one per
        node) into the cache that :meth:`_ids` reads; ``kind`` is a key of ``_NEIGHBOURS``."""
        missing = [i for i in dict.fromkeys(node_ids) if (kind, i) not in self._cache]
        if not missing:
            return
        rels, direction = _NEIGHBOURS[kind]
        lists: dict[str, list[str]] = {node_id: [] for node_id in missing}
        for node_id, links in self.store.neighbours_many(missing, rels, direction).items():
            lists[node_id] += [n.id for _, n in links if kind == "partners" or n.label == Label.INITIATIVE]
        for node_id, ids in lists.items():  # in id order: the store's own order is the order of its writes
            self._cache[(kind, node_id)] = sorted(set(ids))

    def _initiatives_of(self, org: str) -> list[str]:
        return self._ids("initiatives", org)

    def _partners_of(self, initiative: str) -> list[str]:
        return self._ids("partners", initiative)

    def _degree_of(self, org: str, skip: str | None = None) -> int:
        """The organisation's number of initiatives, ``skip`` (the initiative asked about) not counted."""
        initiatives = self._initiatives_of(org)
        return len(initiatives) - (1 if skip is not None and skip in initiatives else 0)

    def _tagged(self, topic: str) -> list[str]:
        return self._ids("tagged", topic)

    def _family_initiatives(self, topics: Sequence[str]) -> set[str]:
        """Initiatives on any call topic of the same family as the query's call topics (topic codes
        such as ``SC5-14-2016`` or ``LC-SC3-EE-1-2018`` without their numbers)."""
        wanted = {f for f in (topic_family(t) for t in topics) if f}
        if not wanted:
            return set()
        if self._families is None or self._families_revision != self._revision:
            self._families, self._families_revision = {}, self._revision
        for f in wanted - self._families.keys():  # the family's topics, found by id prefix on the store
            found, _ = self.store.find_nodes(Label.TOPIC, id_prefix=f"topic:{f}-", limit=MAX_FAMILY_TOPICS)
            self._families[f] = [n.id for n in found if topic_family(n.id) == f]
        self._prefetch("tagged", [t for f in wanted for t in self._families.get(f, ())])
        return {i for f in wanted for t in self._families.get(f, ()) for i in self._tagged(t)}

    # --- query -----------------------------------------------------------------------------------
    def query_for(self, initiative_id: str, known: Sequence[str] = ()) -> PartnerQuery:
        """The partner query of an initiative in the store: its text, topics, owner and partners."""
        node = self.store.get(initiative_id)
        if node is None or node.label != Label.INITIATIVE:
            raise NotFoundError(f"no initiative with id '{initiative_id}'")
        links = self.store.neighbours(initiative_id, direction=Direction.OUT)
        owner = sorted(n.id for e, n in links if e.rel == Rel.OWNED_BY)
        partners = sorted(n.id for e, n in links if e.rel == Rel.INVOLVES)
        topics = sorted(n.id for e, n in links if e.rel == Rel.TAGGED)
        known_all = list(dict.fromkeys([*known, *owner, *partners]))
        return PartnerQuery(item_query(node), known_all, topics, initiative_id)

    def partners(
        self,
        query: PartnerQuery | str,
        *,
        known: Sequence[str] = (),
        k: int = 20,
        kinds: Iterable[str] | None = None,
        notes: list[str] | None = None,
    ) -> list[Recommendation]:
        """Organisations to work with, best first. ``query`` is an initiative id, free text or a PartnerQuery
        (an empty text needs a known partner).

        Known partners (and the owner) are never recommended; ``kinds`` keeps only those kinds. A list given
        as ``notes`` gets the notes of the similar search behind the answer (e.g. that nothing matches the
        text closely).
        """
        if not 1 <= k <= MAX_K:
            raise ValidationError([Problem("query", None, "k", f"k must be between 1 and {MAX_K}, got {k}")])
        if isinstance(query, str):
            node = self.store.get(query) if len(query) <= 128 else None
            query = (self.query_for(query, known) if node is not None and node.label == Label.INITIATIVE
                     else PartnerQuery(query, list(known)))
        query = replace(query, text=query_text(query.text, field="text"))
        if not query.text and not query.known:
            raise ValidationError([Problem("query", None, "text", "describe the project or name a known partner")])
        found = {n.id: n for n in self.store.get_many(list(query.known)) if unseen(n) is not None}
        missing = [o for o in query.known if o not in found]
        if missing:
            raise ValidationError([Problem("query", None, "known",
                                           f"unknown organisation id(s): {', '.join(missing[:5])}")])
        others = [f"'{o}' is {a_label(found[o].label)}" for o in query.known
                  if found[o].label != Label.ORGANISATION]
        if others:
            raise ValidationError([Problem("query", None, "known", "known partners are organisations; "
                                           + ", ".join(others[:5]))])
        wanted = set(kinds) if kinds is not None else None
        if wanted is not None and not wanted <= set(ORG_KINDS):
            raise ValidationError([Problem("query", None, "kind", f"kinds must be among {', '.join(ORG_KINDS)}")])
        ids, x, evidence = self.features(query)
        if notes is not None:
            notes.extend(evidence.notes)
        if not ids:
            return []
        scores = self.model.score(x)
        if self.model.trained_on:  # the model's log-odds as a number in [0, 1]
            shown = 0.5 * (1.0 + np.tanh(scores / 2))
        else:  # the prior weights' sums mean nothing absolute: relative to this query's best candidate
            shown = np.maximum(scores, 0.0) / max(float(scores.max()), 1e-12)
        order = np.argsort(-scores, kind="stable")
        nodes = {n.id: n for n in self.store.get_many([ids[i] for i in order[: 5 * k + 50]])}
        out: list[Recommendation] = []
        for i in order:
            node = nodes.get(ids[i])
            if node is None:
                continue
            if wanted is not None and node.props.get("kind") not in wanted:
                continue
            out.append(self._explain(node, float(shown[i]), x[i], evidence))
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
        copartner_small: defaultdict[str, float] = defaultdict(float)
        known_projects: set[str] = set()
        self._prefetch("initiatives", q.known)
        self._prefetch("partners", [i for org in q.known for i in self._initiatives_of(org)])
        # each initiative once, however many known partners are in it
        for ini in dict.fromkeys(i for org in q.known for i in self._initiatives_of(org)):
            if ini in skip:
                continue
            known_projects.add(ini)
            members = self._partners_of(ini)
            for partner in members:
                if partner not in known:
                    copartner[partner] += 1
                    copartner_small[partner] += 1.0 / max(len(members) - 1, 1)
                    ev.shared_with[partner].append(ini)

        sims: dict[str, float] = {}
        vec = self.recommender.embedder.encode([q.text], kind="query")[0] if q.text.strip() else None
        if vec is not None:
            result = self.recommender.similar_to_text(q.text, k=SIMILAR_POOL, labels=(Label.INITIATIVE,),
                                                      exclude_ids=skip, vector=vec)
            sims = {r.id: max(r.score, 0.0) for r in result.items}
            ev.notes = result.notes
            ev.similarity = {r.id: r.parts.get("dense", 0.0) for r in result.items}
        similar_sum: defaultdict[str, float] = defaultdict(float)
        similar_rank: defaultdict[str, float] = defaultdict(float)
        similar_top: Counter[str] = Counter()
        similar_max: dict[str, float] = {}
        kind_mass: Counter[str | None] = Counter()  # partners of the similar initiatives, by kind
        similar_members: list[str] = []
        self._prefetch("partners", sims)
        for rank, (ini, s) in enumerate(sims.items()):
            for partner in self._partners_of(ini):
                similar_members.append(partner)
                if partner not in known:
                    similar_sum[partner] += s
                    similar_rank[partner] += 1.0 / (rank + 1)
                    if rank < 10:
                        similar_top[partner] += 1
                    similar_max[partner] = max(similar_max.get(partner, 0.0), s)
                    ev.similar_in[partner].append((ini, s))

        copartner_similar: defaultdict[str, float] = defaultdict(float)
        copartner_recent: defaultdict[str, float] = defaultdict(float)
        if known_projects:
            for node in self.store.get_many(sorted(known_projects)):
                year = str(node.props.get("start_date") or "")[:4]  # weight halves every two years before 2021
                # (a year far outside the usual ones, stored before ingest bounded dates, must not overflow it)
                w = 0.5 ** ((RECENT_YEAR - min(max(int(year), 1900), 2100)) / 2) \
                    if year.isascii() and year.isdigit() else 0.25
                s = 0.0
                if vec is not None and node.embedding is not None:
                    s = max(float(node.embedding @ vec / (np.linalg.norm(node.embedding) or 1.0)), 0.0)
                for partner in self._partners_of(node.id):
                    if partner not in known:
                        copartner_similar[partner] += s
                        copartner_recent[partner] += w

        topic_specific: Counter[str] = Counter()
        topic_frac: defaultdict[str, float] = defaultdict(float)
        broad: set[str] = set()
        self._prefetch("tagged", q.topics)
        self._prefetch("partners", [i for t in q.topics if len(self._tagged(t)) <= SPECIFIC_TOPIC_MAX
                                    for i in self._tagged(t)])
        for topic in q.topics:
            tagged = [i for i in self._tagged(topic) if i not in skip]
            if len(tagged) > SPECIFIC_TOPIC_MAX:
                broad |= set(tagged)
                continue
            for ini in tagged:
                for partner in self._partners_of(ini):
                    if partner not in known:
                        topic_specific[partner] += 1
                        topic_frac[partner] += 1.0 / len(tagged)
                        ev.topic_in[partner][topic] += 1

        second: defaultdict[str, float] = defaultdict(float)
        network = ev.network  # (co-partner, initiative) pairs for the reasons: the first three of each
        total = sum(copartner.values()) or 1
        closest = sorted(copartner.items(), key=lambda t: (-t[1], t[0]))[:15]  # equal counts in id order
        self._prefetch("initiatives", [p for p, _ in closest])
        self._prefetch("partners", [i for p, _ in closest for i in self._initiatives_of(p)])
        for partner, n in closest:
            for ini in self._initiatives_of(partner):
                if ini in skip:
                    continue
                for other in self._partners_of(ini):
                    if other not in known and other != partner:
                        second[other] += n / total
                        via = network.get(other)
                        if via is None:
                            network[other] = [(partner, ini)]
                        elif len(via) < 3:
                            via.append((partner, ini))

        dense: dict[str, float] = {}
        if vec is not None:
            dense = {i: max(s, 0.0) for i, s in self.store.vector_topk(vec, DENSE_POOL, labels=(Label.INITIATIVE,),
                                                                       exclude=skip)}
        family = self._family_initiatives(q.topics) - skip

        candidates = (set(copartner) | set(similar_sum) | set(topic_specific) | set(second)) - known
        if len(candidates) > MAX_CANDIDATES:  # keep the strongest by a cheap prior before the costlier features
            prior = {c: 2 * copartner[c] + 3 * similar_sum[c] + topic_specific[c] + second[c] for c in candidates}
            candidates = set(sorted(candidates, key=lambda c: (-prior[c], c))[:MAX_CANDIDATES])
        ids = sorted(candidates)
        if not ids:
            return [], np.zeros((0, len(FEATURES))), ev
        self._prefetch("initiatives", ids)
        nodes = {n.id: n for n in self.store.get_many(sorted(set(ids) | set(similar_members)))}
        known_nodes = self.store.get_many(list(q.known))
        countries = {n.props.get("country") for n in known_nodes} - {None}
        known_kinds = {n.props.get("kind") for n in known_nodes} - {None}
        for m in similar_members:
            member = nodes.get(m)
            kind_mass[member.props.get("kind") if member else None] += 1
        kind_total = sum(kind_mass.values()) or 1
        skip_id = q.exclude_initiative  # in training: the initiative whose partners are hidden
        known_degree = sum(self._degree_of(o, skip_id) for o in q.known) or 1
        rows = []
        for org in ids:
            org_node = nodes.get(org)
            deg = self._degree_of(org, skip_id)
            kind = org_node.props.get("kind") if org_node else None
            own = [i for i in self._initiatives_of(org) if i != skip_id]
            near = [dense[i] for i in own if i in dense]
            in_family = sum(1 for i in own if i in family)
            broad_share = 0.0
            if broad and deg:
                broad_share = sum(1 for i in self._initiatives_of(org) if i in broad and i != skip_id) / deg
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
                # extended
                copartner_small[org],
                copartner_recent[org],
                copartner[org] / (deg + known_degree - copartner[org]) if deg else 0.0,
                copartner[org] / deg if deg else 0.0,
                similar_rank[org],
                float(similar_top[org]),
                topic_frac[org],
                topic_specific[org] / deg if deg else 0.0,
                similar_sum[org] / math.log2(2 + deg),
                kind_mass[kind] / kind_total,
                1.0 if kind in known_kinds else 0.0,
                max(near, default=0.0),
                sum(near),
                float(len(near)),
                sum(near) / deg if deg else 0.0,
                sum(math.exp(10 * (s - 1)) for s in near),
                math.log1p(in_family),
                in_family / deg if deg else 0.0,
                math.log1p(len(family)) if in_family else 0.0,
            ]
            rows.append(row)
        x = np.asarray(rows, dtype=np.float64)
        relative = [FEATURES.index(f) for f in RELATIVE]
        top = x[:, relative].max(axis=0)
        x = np.hstack([x, x[:, relative] / np.where(top > 0, top, 1.0)])
        return ids, x, ev

    def _roles(self, ev: _Evidence) -> dict[str, dict[str, str]]:
        """How each organisation is a member of each similar initiative: "partner" where it has an INVOLVES link
        to it, else "owner" (an OWNED_BY link only); read once per query, for every similar initiative."""
        if ev.roles is None:
            pool = sorted({i for found in ev.similar_in.values() for i, _ in found})
            ev.roles = {i: {} for i in pool}
            for ini, links in (self.store.neighbours_many(pool, (Rel.INVOLVES, Rel.OWNED_BY), Direction.OUT).items()
                               if pool else ()):
                for e, n in links:
                    if e.rel == Rel.INVOLVES:
                        ev.roles[ini][n.id] = "partner"
                    else:
                        ev.roles[ini].setdefault(n.id, "owner")
        return ev.roles

    def _explain(self, node: Node, score: float, x: np.ndarray, ev: _Evidence) -> Recommendation:
        reasons: list[Reason] = []
        titles = {}
        network = ev.network.get(node.id, [])
        roles = self._roles(ev)
        # the similar initiatives it is a member of, closest first, with how it is a member
        similar = [(i, s, roles[i][node.id]) for i, s in sorted(ev.similar_in.get(node.id, []), key=lambda t: -t[1])
                   if node.id in roles.get(i, {})]
        # Only those at RESEMBLES or more, on a search that matched something closely, resemble the query; when
        # some do, the reason names them alone, else the nearest.
        weak = any(n.startswith(WEAK_NOTE) for n in ev.notes)
        close = [] if weak else [t for t in similar if t[1] >= RESEMBLES]
        similar = close or similar
        wanted = (set(ev.shared_with.get(node.id, [])[:3]) | {i for i, _, _ in similar[:3]}
                  | {x for pair in network for x in pair})
        for n in self.store.get_many(sorted(wanted)):
            titles[n.id] = n.title
        shared = ev.shared_with.get(node.id, [])
        if shared:
            names = [titles.get(i, i) for i in shared[:2]]
            listed = f"{', '.join(names)} and {len(shared) - 2} more" if len(shared) > 2 else " and ".join(names)
            reasons.append(Reason("partner", f"Worked with your partners on {listed}",
                                  tuple({"id": i, "name": titles.get(i, i)} for i in shared[:3])))
        if similar:
            named = [(titles.get(i, i), role) for i, _, role in similar[:2]]
            if close:
                verb = "resemble" if len(named) > 1 else "resembles"
                said = f"{_membership(named)}, which {verb} this"
            else:  # among the nearest by text, but none close
                said = f"{_membership(named)}, among the initiatives nearest to this"
            # "score": the similar search's (0 to 3, what RESEMBLES is set on); "similarity": the embedding cosine
            # of the two texts (it held the score before, under a name that promised a similarity)
            reasons.append(Reason("similar", said, tuple(
                {"id": i, "name": titles.get(i, i), "role": role, "score": f"{s:.2f}",
                 "similarity": f"{ev.similarity.get(i, 0.0):.2f}"} for i, s, role in similar[:3])))
        topics = ev.topic_in.get(node.id)
        if topics:
            topic_nodes = {n.id: n.title for n in self.store.get_many(list(topics))}
            reasons.append(Reason("topic", "Active on the same topic: " + ", ".join(
                f"{topic_nodes.get(t, t)} ({c} initiative{'s' if c > 1 else ''})" for t, c in topics.most_common(2)),
                tuple({"id": t, "name": topic_nodes.get(t, t)} for t in topics)))
        if network and not shared:
            via: dict[str, list[str]] = {}  # each co-partner once, with the initiatives it shares with the candidate
            for p, i in network:
                via.setdefault(p, []).append(titles.get(i, i))
            reasons.append(Reason("network", "In your partners' network: " + ", ".join(
                f"{titles.get(p, p)} (on {_listed(on)})" for p, on in list(via.items())[:2]),
                tuple({"id": i, "name": titles.get(i, i), "with": p, "with_name": titles.get(p, p)}
                      for p, i in network)))
        parts = {f: round(float(v), 4) for f, v in zip(FEATURES, x, strict=True)
                 if v and not f.startswith("kind_") and not f.endswith("_relative")}
        loose = not (shared or close or topics or network)  # only "among the initiatives nearest to this"
        return Recommendation(node.id, node.label.value, node.title, round(score, 4), parts, reasons,
                              None, node.props.get("kind"), loose=loose)


def _listed(names: Sequence[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)


def _membership(named: Sequence[tuple[str, str]]) -> str:
    """How an organisation is a member of the initiatives named, as (title, role) pairs with role "partner" or
    "owner", in their order: "Partner in A and B", "Owner of A", "Owner of A and partner in B"."""
    groups: list[tuple[str, list[str]]] = []  # runs of the same role
    for title, role in named:
        if groups and groups[-1][0] == role:
            groups[-1][1].append(title)
        else:
            groups.append((role, [title]))
    said = " and ".join(f"{'partner in' if role == 'partner' else 'owner of'} {_listed(titles)}"
                        for role, titles in groups)
    return said[:1].upper() + said[1:]


def _learnable(store: GraphStore, initiatives: Sequence[str], enough: int, batch: int = 500) -> int:
    """How many of the initiatives have an owner and a partner other than the owner (those that
    :func:`fit_partner_model` can learn from), counted from their links a batch at a time and no further
    than ``enough``."""
    found = 0
    for start in range(0, len(initiatives), batch):
        links = store.neighbours_many(initiatives[start:start + batch], (Rel.OWNED_BY, Rel.INVOLVES), Direction.OUT)
        for edges in links.values():
            owner = {n.id for e, n in edges if e.rel == Rel.OWNED_BY}
            found += bool(owner) and any(e.rel == Rel.INVOLVES and n.id not in owner for e, n in edges)
        if found >= enough:
            break
    return found


def fit_partner_model(
    partner_rec: PartnerRecommender,
    *,
    max_queries: int = 400,
    negatives_per_query: int = 60,
    seed: int = 0,
    boosted: bool = True,
    blend: float = BLEND,
    min_queries: int = MIN_TRAINING,
    progress: Callable[[int], None] | None = None,
) -> PartnerModel:
    """Learn feature weights from the store's own initiatives: for each sampled initiative with an owner
    and partners, its partners are hidden and must be found again from its text, topics and owner.
    With fewer than ``min_queries`` such initiatives (at least 10) the prior weights are returned
    (``trained_on`` 0, ``usable`` saying how many there were): on small stores they do better. Those
    initiatives are counted from their links first, so that a store with too few says so at once.

    By default gradient-boosted trees (they capture interactions such as "co-partner *and* on similar
    work"), plus ``blend`` times the log-odds of a logistic regression on the same rows (the two add up
    as log-odds); ``boosted=False`` gives the plain logistic regression."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    store = partner_rec.store
    pool = sorted(n.id for n in store.iter_nodes(Label.INITIATIVE))
    usable = _learnable(store, pool, max(min_queries, 10))
    if usable < max(min_queries, 10):  # too few, known from their links before any features are computed
        prior = PartnerModel.default()
        prior.usable = usable
        return prior
    pool.sort(key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    rng = random.Random(seed)
    xs, ys, used = [], [], 0
    for ini in pool:
        if used >= max_queries:
            break
        links = store.neighbours(ini, direction=Direction.OUT)  # in the store's order: sorted for the query
        owner = sorted(n.id for e, n in links if e.rel == Rel.OWNED_BY)
        targets = {n.id for e, n in links if e.rel == Rel.INVOLVES} - set(owner)
        if not owner or not targets:
            continue
        node = store.get(ini)
        topics = sorted(n.id for e, n in links if e.rel == Rel.TAGGED)
        q = PartnerQuery(item_query(node) if node else "", owner[:1], topics, ini)
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
        if progress is not None:  # one more training query (of at most max_queries)
            progress(1)
    if used < max(min_queries, 10):
        prior = PartnerModel.default()
        prior.usable = used
        return prior
    x_all, y_all = np.vstack(xs), np.concatenate(ys)
    mean, scale = x_all.mean(0), x_all.std(0)
    scale[scale == 0] = 1.0
    if not boosted:
        lr = LogisticRegression(C=1.0, max_iter=2000).fit((x_all - mean) / scale, y_all)
        return PartnerModel(mean.tolist(), scale.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0]), used,
                            usable=used)
    gb = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_depth=4, min_samples_leaf=100,
                                        early_stopping=False, random_state=seed).fit(x_all, y_all)
    trees, baseline = _export_trees(gb)
    if blend <= 0:
        return PartnerModel(mean.tolist(), scale.tolist(), [0.0] * len(FEATURES), baseline, used, trees, used)
    lr = LogisticRegression(C=1.0, max_iter=2000).fit((x_all - mean) / scale, y_all)
    return PartnerModel(mean.tolist(), scale.tolist(), (blend * lr.coef_[0]).tolist(),
                        baseline + blend * float(lr.intercept_[0]), used, trees, used)


def learn_and_store(store: GraphStore, recommender: Recommender, *, max_queries: int = 800,
                    seed: int = 0, min_queries: int = MIN_TRAINING,
                    progress: Callable[[int], None] | None = None) -> PartnerModel:
    """Learn the partner weights from the store's own initiatives (:func:`fit_partner_model`) and keep
    them in the store, where every PartnerRecommender on it finds them. With fewer than ``min_queries``
    usable initiatives nothing is kept and the prior weights stay (``trained_on`` is 0)."""
    model = fit_partner_model(PartnerRecommender(store, recommender), max_queries=max_queries, seed=seed,
                              min_queries=min_queries, progress=progress)
    if model.trained_on:
        store.set_meta(MODEL_META_KEY, model.to_json())
    return model
