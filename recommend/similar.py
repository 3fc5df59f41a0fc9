"""Hybrid similar search: dense embeddings plus character n-gram TF-IDF, fused, with reasons.

The lexical index is derived from the store and rebuilt when the store's revision changes; dense
candidates come from the store's own vector top-k, so the same code runs on every adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from graph.errors import NotFoundError, Problem, ValidationError
from graph.schema import Direction, Label, Node, Rel, node_text
from graph.store import GraphStore
from ingest.embedder import Embedder
from recommend.lexical import LexicalIndex
from recommend.types import Reason, Recommendation, SimilarResult

SEARCHABLE = (Label.INITIATIVE, Label.IDEA, Label.NEED)
MAX_K = 100
MAX_QUERY_CHARS = 20_000
HIDDEN_IDEA_STATUS = frozenset({"hidden", "merged"})


@dataclass(frozen=True)
class Weights:
    """How the parts add up.

    ``dense`` and ``lexical`` make the text score. Where items carry topics, the topics of the
    ``neighbours`` closest items by text (weighted by their score to the power ``power``) predict
    the query's topics, and each item's expected topic overlap (Jaccard) with that prediction adds
    ``topic`` times itself to ``text`` times the min-max-scaled text score.
    """

    dense: float = 0.5
    lexical: float = 0.5
    text: float = 0.5
    topic: float = 1.0
    neighbours: int = 20
    power: float = 3.0


@dataclass
class _Corpus:
    revision: str
    labels: tuple[Label, ...]
    lexical: LexicalIndex
    owner: dict[str, str]  # item id -> owning organisation id
    names: dict[str, str]  # organisation id -> name
    topics: sparse.csr_matrix | None = None  # items (lexical order) x topics, binary
    topic_ids: list[str] = field(default_factory=list)


# Context relationships that make "shared X" reasons: relationship, direction, reason kind, sentence.
_CONTEXT = (
    (Rel.ADDRESSES, "need", "Both address the need"),
    (Rel.SUPPORTS, "focus_area", "Both support the focus area"),
    (Rel.TAGGED, "topic", "Both are tagged"),
    (Rel.INVOLVES, "partner", "Both involve"),
)


class Recommender:
    """Recommendations over one store and one embedder.

    >>> # r = Recommender(store, embedder); r.similar("ini-001", k=5, cross_silo=True)
    """

    def __init__(
        self, store: GraphStore, embedder: Embedder, *, weights: Weights = Weights(), candidates: int = 100
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.weights = weights
        self.candidates = candidates
        self._corpora: dict[tuple[Label, ...], _Corpus] = {}
        self._lock = threading.Lock()

    # --- derived index ---------------------------------------------------------------------------
    def corpus(self, labels: tuple[Label, ...]) -> _Corpus:
        revision = self.store.revision()
        cached = self._corpora.get(labels)
        if cached is not None and cached.revision == revision:
            return cached
        with self._lock:
            cached = self._corpora.get(labels)
            if cached is not None and cached.revision == revision:
                return cached
            ids, texts = [], []
            for label in labels:
                for node in self.store.iter_nodes(label):
                    text = node_text(node)
                    if text:
                        ids.append(node.id)
                        texts.append(text)
            owner = {e.src: e.dst for e in self.store.iter_edges(Rel.OWNED_BY)}
            names = {n.id: n.title for n in self.store.iter_nodes(Label.ORGANISATION)}
            built = _Corpus(revision, labels, LexicalIndex(texts, ids), owner, names)
            row = built.lexical.row
            tagged = [(row[e.src], e.dst) for e in self.store.iter_edges(Rel.TAGGED) if e.src in row]
            if tagged:
                built.topic_ids = sorted({t for _, t in tagged})
                col = {t: j for j, t in enumerate(built.topic_ids)}
                rows, cols = zip(*((i, col[t]) for i, t in tagged), strict=True)
                built.topics = sparse.csr_matrix(
                    (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(ids), len(col)))
            self._corpora[labels] = built
            return built

    # --- similar ---------------------------------------------------------------------------------
    def similar(
        self,
        query: str,
        *,
        k: int = 10,
        cross_silo: bool = False,
        unit: str | None = None,
        labels: tuple[Label, ...] = (Label.INITIATIVE,),
    ) -> SimilarResult:
        """Items similar to an item (when ``query`` is an id in the store) or to free text.

        With ``cross_silo``, items owned by the query's unit (or by ``unit`` for free text) are left
        out, and the answer names the unit it excluded.
        """
        if not 1 <= k <= MAX_K:
            raise ValidationError([Problem("query", None, "k", f"k must be between 1 and {MAX_K}, got {k}")])
        item = self.store.get(query) if len(query) <= 128 else None
        if item is not None:
            return self.similar_to_item(item.id, k=k, cross_silo=cross_silo, labels=labels)
        return self.similar_to_text(query, k=k, cross_silo=cross_silo, unit=unit, labels=labels)

    def similar_to_item(
        self, item_id: str, *, k: int = 10, cross_silo: bool = False, labels: tuple[Label, ...] = (Label.INITIATIVE,)
    ) -> SimilarResult:
        item = self.store.get(item_id)
        if item is None:
            raise NotFoundError(f"no item with id '{item_id}'")
        text = node_text(item)
        corpus = self.corpus(labels)
        vector = item.embedding if item.embedding is not None else self._embed_query(text)
        owner = corpus.owner.get(item.id)
        return self._search(text, vector, corpus, k=k, cross_silo=cross_silo, owner=owner, query_item=item)

    def similar_to_text(
        self,
        text: str,
        *,
        k: int = 10,
        cross_silo: bool = False,
        unit: str | None = None,
        labels: tuple[Label, ...] = (Label.INITIATIVE,),
        exclude_owners: Iterable[str] = (),
        exclude_ids: Iterable[str] = (),
        use_topics: bool = True,
        vector: np.ndarray | None = None,
    ) -> SimilarResult:
        """Items similar to a free text (``vector``: its query embedding, when the caller has it).

        ``exclude_owners`` leaves out items owned by those organisations (a whole ministry's
        agencies, say); ``exclude_ids`` leaves out given items.
        With ``use_topics=False`` the score is the text score alone, on an absolute scale that a
        threshold can be set on (the duplicate check does that)."""
        text = text.strip()
        if not text:
            raise ValidationError([Problem("query", None, "q", "the query text is empty")])
        if len(text) > MAX_QUERY_CHARS:
            raise ValidationError([Problem("query", None, "q", f"at most {MAX_QUERY_CHARS} characters")])
        if unit is not None and self.store.get(unit) is None:
            raise NotFoundError(f"no unit with id '{unit}'")
        corpus = self.corpus(labels)
        vector = self._embed_query(text) if vector is None else vector
        return self._search(text, vector, corpus, k=k, cross_silo=cross_silo, owner=unit,
                            exclude_owners=set(exclude_owners), exclude_ids=set(exclude_ids), use_topics=use_topics)

    def _embed_query(self, text: str) -> np.ndarray:
        return self.embedder.encode([text], kind="query")[0]

    def _search(
        self,
        text: str,
        vector: np.ndarray,
        corpus: _Corpus,
        *,
        k: int,
        cross_silo: bool,
        owner: str | None,
        query_item: Node | None = None,
        exclude_owners: set[str] | None = None,
        exclude_ids: set[str] | None = None,
        use_topics: bool = True,
    ) -> SimilarResult:
        notes: list[str] = []
        excluded_owner = None
        if cross_silo:
            if owner is None:
                notes.append("cross_silo was asked for, but the query has no owning unit: nothing was excluded")
            else:
                excluded_owner = {"id": owner, "name": corpus.names.get(owner, owner)}
                notes.append(f"items owned by {excluded_owner['name']} are excluded (cross-silo)")
        exclude = set(exclude_ids or ())
        if query_item is not None:
            exclude.add(query_item.id)
        banned_owners = set(exclude_owners or ())
        if excluded_owner is not None:
            banned_owners.add(excluded_owner["id"])
        pool = max(self.candidates, 5 * k)

        dense = dict(self.store.vector_topk(vector, pool, labels=corpus.labels, exclude=exclude))
        lexical_all = corpus.lexical.scores(text)
        lexical: dict[str, float] = {}
        if lexical_all.size:
            take = min(pool, lexical_all.size)
            top = np.argpartition(-lexical_all, take - 1)[:take]
            lexical = {corpus.lexical.ids[i]: float(lexical_all[i]) for i in top}
        candidates = (set(dense) | set(lexical)) - exclude
        w = self.weights

        def text_score(cid: str) -> float:
            row = corpus.lexical.row.get(cid)
            lex = float(lexical_all[row]) if row is not None and lexical_all.size else 0.0
            return w.dense * max(dense.get(cid, 0.0), 0.0) + w.lexical * lex

        predicted, topic_scores = self._predict_topics(corpus, candidates, text_score) if use_topics else ({}, None)
        if topic_scores is not None:
            take = min(200, topic_scores.size)
            best = np.argpartition(-topic_scores, take - 1)[:take]
            candidates |= {corpus.lexical.ids[i] for i in best if topic_scores[i] > 0} - exclude
        self._fill_dense(vector, [c for c in candidates if c not in dense], dense)
        texts = {cid: text_score(cid) for cid in candidates}
        low, high = (min(texts.values()), max(texts.values())) if texts else (0.0, 1.0)
        scored: list[tuple[float, str, dict[str, float]]] = []
        for cid in candidates:
            if banned_owners and corpus.owner.get(cid) in banned_owners:
                continue
            row = corpus.lexical.row.get(cid)
            parts = {"dense": round(max(dense.get(cid, 0.0), 0.0), 4),
                     "lexical": round(float(lexical_all[row]) if row is not None and lexical_all.size else 0.0, 4)}
            score = texts[cid]
            if topic_scores is not None and row is not None:
                parts["topic"] = round(float(topic_scores[row]), 4)
                score = w.text * (score - low) / ((high - low) or 1.0) + w.topic * parts["topic"]
            scored.append((score, cid, parts))
        scored.sort(key=lambda t: (-t[0], t[1]))

        # Fetch nodes only for the head of the ranking, a chunk at a time, skipping hidden ideas.
        items: list[Recommendation] = []
        for start in range(0, len(scored), 2 * k):
            chunk = scored[start : start + 2 * k]
            found = {n.id: n for n in self.store.get_many([cid for _, cid, _ in chunk])}
            for score, cid, parts in chunk:
                node = found.get(cid)
                if node is not None and not self._hidden(node) and len(items) < k:
                    items.append(self._explain(node, score, parts, text, corpus, query_item, predicted))
            if len(items) == k:
                break
        return SimilarResult(
            query=text if query_item is None else query_item.title,
            query_id=None if query_item is None else query_item.id,
            items=items,
            cross_silo=cross_silo,
            excluded_owner=excluded_owner,
            notes=notes,
        )

    def _fill_dense(self, vector: np.ndarray, ids: list[str], dense: dict[str, float]) -> None:
        """Dense similarity for candidates that came from elsewhere than the vector top-k."""
        if not ids:
            return
        q = np.asarray(vector, dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        for node in self.store.get_many(ids):
            if node.embedding is not None:
                dense[node.id] = float(node.embedding @ q / (np.linalg.norm(node.embedding) or 1.0))

    def _predict_topics(
        self, corpus: _Corpus, candidates: set[str], text_score: Callable[[str], float]
    ) -> tuple[dict[str, float], np.ndarray | None]:
        """Topic probabilities from the closest items by text, and every item's expected Jaccard
        overlap with them: sum of P over the item's topics / (its topic count + P mass elsewhere)."""
        if corpus.topics is None or self.weights.topic <= 0:
            return {}, None
        nearest = sorted(candidates, key=lambda c: (-text_score(c), c))[: self.weights.neighbours]
        rows = [corpus.lexical.row[c] for c in nearest if c in corpus.lexical.row]
        if not rows:
            return {}, None
        weight = np.array([max(text_score(corpus.lexical.ids[r]), 0.0) ** self.weights.power for r in rows])
        if weight.sum() <= 0:
            return {}, None
        p = np.asarray(corpus.topics[rows].T @ (weight / weight.sum())).ravel()
        inter = np.asarray(corpus.topics @ p).ravel()
        size = np.asarray(corpus.topics.sum(axis=1)).ravel()
        union = size + p.sum() - inter
        scores = np.where(size > 0, inter / np.maximum(union, 1e-9), 0.0)
        predicted = {corpus.topic_ids[j]: float(p[j]) for j in np.nonzero(p > 0.05)[0]}
        return predicted, scores

    @staticmethod
    def _hidden(node: Node) -> bool:
        return node.label == Label.IDEA and node.props.get("status") in HIDDEN_IDEA_STATUS

    # --- reasons ---------------------------------------------------------------------------------
    def _explain(
        self,
        node: Node,
        score: float,
        parts: dict[str, float],
        query_text: str,
        corpus: _Corpus,
        query_item: Node | None,
        predicted: dict[str, float] | None = None,
    ) -> Recommendation:
        reasons: list[Reason] = []
        terms = corpus.lexical.matching_terms(query_text, node.id)
        if terms:
            reasons.append(Reason("text", "Matching terms: " + ", ".join(terms),
                                  tuple({"term": t} for t in terms)))
        if parts.get("dense", 0.0) >= 0.5:
            reasons.append(Reason("text", f"Similar in meaning (embedding similarity {parts['dense']:.2f})"))
        if query_item is not None:
            mine = self._context(query_item.id)
            theirs = self._context(node.id)
            for rel, kind, sentence in _CONTEXT:
                shared = sorted(set(mine.get(rel, {})) & set(theirs.get(rel, {})))
                if shared:
                    names = [theirs[rel][s] for s in shared]
                    reasons.append(Reason(kind, f"{sentence}: " + ", ".join(names),
                                          tuple({"id": s, "name": theirs[rel][s]} for s in shared)))
        if predicted and parts.get("topic", 0.0) > 0:
            tagged = [e.dst for e, _ in self.store.neighbours(node.id, Rel.TAGGED)]
            likely = sorted((t for t in tagged if t in predicted), key=lambda t: -predicted[t])[:3]
            if likely:
                topic_names = {n.id: n.title for n in self.store.get_many(likely)}
                reasons.append(Reason("predicted_topic", "Tagged with topics common among the closest matches: "
                                      + ", ".join(topic_names.get(t, t) for t in likely),
                                      tuple({"id": t, "name": topic_names.get(t, t)} for t in likely)))
        owner_id = corpus.owner.get(node.id)
        owner = None
        if owner_id is not None:
            owner = {"id": owner_id, "name": corpus.names.get(owner_id, owner_id)}
            reasons.append(Reason("owner", f"Owned by {owner['name']}", ({"id": owner_id, "name": owner["name"]},)))
        return Recommendation(
            id=node.id,
            label=node.label.value,
            title=node.title,
            score=round(score, 4),
            parts=parts,
            reasons=reasons,
            owner=owner,
            status=node.props.get("status"),
        )

    def _context(self, node_id: str) -> dict[Rel, dict[str, str]]:
        found: dict[Rel, dict[str, str]] = {}
        for edge, other in self.store.neighbours(node_id, direction=Direction.OUT):
            found.setdefault(edge.rel, {})[other.id] = other.title
        return found
