"""Reference methods for ``kominn eval``: the simple rankers of EVALUATION.md's baseline table, run on
the same split and scored by the same code as KomInn.

The published baselines were measured on a hidden slice, so they only say roughly where KomInn
stands. These references run on whatever corpus and queries ``kominn eval`` is given, so that KomInn
can be compared like for like ("1.4x character TF-IDF on this split"), and their published figures
show how far a split is from the hidden one.

Each reference ranks the corpus's own ids (the data sets' ids, without KomInn's prefixes) for one query
row. Texts are the fields the protocol gives the query, on both sides:
- T1: ``title`` + ``problem_description``;
- T2: ``title``;
- T3: ``title`` + ``topic_description``.
The dense references encode those same texts with the configured model (the corpus once per run).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ingest.embedder import Embedder

# A query row -> each reference method's ranking of corpus ids.
QueryRanker = Callable[[dict[str, str]], dict[str, list[str]]]

T1_CHAR = "TF-IDF character 3-5-grams"
T1_DENSE = "all-MiniLM-L6-v2 dense"
T1_SUM = "character TF-IDF + MiniLM, equal weights"
T2_CHAR = "TF-IDF characters"
T2_DENSE = "all-MiniLM-L6-v2 dense"
T3_POPULAR = "global popularity"
T3_TOPIC = "popularity within the same topic"
T3_COPARTNERS = "the coordinator's past co-partners"
T3_SIMILAR = "partners of the 30 most similar projects (TF-IDF)"
T3_SUM = "co-partners + similar projects' partners, summed"


def _char_tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)


def _top(scores: np.ndarray, ids: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[str]:
    """The ``k`` best ids by score, ties in corpus order; ``allowed`` masks out the others."""
    s = scores.astype(np.float64, copy=True)
    if allowed is not None:
        s[~allowed] = -np.inf
    order = np.argsort(-s, kind="stable")[:k]
    return [ids[i] for i in order if np.isfinite(s[i])]


ENCODE_CHUNK = 256  # corpus texts encoded per step of the references' progress bar


class TextReferences:
    """Character TF-IDF, MiniLM alone and their equal-weight sum over one corpus, for T1 and T2."""

    def __init__(self, corpus: Sequence[dict[str, str]], key: str, text: Callable[[dict[str, str]], str],
                 embedder: Embedder, progress: Callable[[int], None] | None = None) -> None:
        self.ids = [r[key] for r in corpus]
        self.text = text
        self.embedder = embedder
        texts = [text(r) for r in corpus]
        self.tfidf = _char_tfidf()
        self.matrix = self.tfidf.fit_transform(texts)
        parts = []
        for start in range(0, len(texts), ENCODE_CHUNK):  # in chunks, so that a progress bar can move
            chunk = texts[start:start + ENCODE_CHUNK]
            parts.append(embedder.encode(chunk, kind="passage", batch_size=64))
            if progress is not None:
                progress(len(chunk))
        self.dense = np.vstack(parts) if parts else np.zeros((0, embedder.dimension))

    def scores(self, row: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of the query with every corpus item: character TF-IDF and MiniLM."""
        text = self.text(row)
        lexical = (self.matrix @ self.tfidf.transform([text]).T).toarray().ravel()
        dense = self.dense @ self.embedder.encode([text], kind="query")[0]
        return lexical, dense


def t1_references(corpus: Sequence[dict[str, str]], embedder: Embedder, *, k: int = 10,
                  progress: Callable[[int], None] | None = None) -> QueryRanker:
    """For a T1 query row, each reference's top ``k`` reports of other ministries."""
    refs = TextReferences(corpus, "id", lambda r: f"{r['title']}\n{r['problem_description']}", embedder, progress)
    ministries = np.array([r["ministry"] for r in corpus])
    ids = np.array(refs.ids)

    def rank(q: dict[str, str]) -> dict[str, list[str]]:
        lexical, dense = refs.scores(q)
        allowed = (ministries != q["ministry"]) & (ids != q["id"])
        return {T1_CHAR: _top(lexical, refs.ids, k, allowed), T1_DENSE: _top(dense, refs.ids, k, allowed),
                T1_SUM: _top(lexical + dense, refs.ids, k, allowed)}

    return rank


def t2_references(corpus: Sequence[dict[str, str]], embedder: Embedder, *, k: int = 10,
                  progress: Callable[[int], None] | None = None) -> QueryRanker:
    """For a T2 query row (its title only), each reference's top ``k`` projects."""
    refs = TextReferences(corpus, "project_id", lambda r: r["title"], embedder, progress)
    ids = np.array(refs.ids)

    def rank(q: dict[str, str]) -> dict[str, list[str]]:
        lexical, dense = refs.scores(q)
        allowed = ids != q["project_id"]
        return {T2_CHAR: _top(lexical, refs.ids, k, allowed), T2_DENSE: _top(dense, refs.ids, k, allowed)}

    return rank


class PartnerReferences:
    """The T3 baselines: popularity, popularity in the topic, the coordinator's co-partners, the partners
    of the 30 projects most similar by word TF-IDF, and the last two summed (each scaled to its best
    candidate first). Every ranking covers every corpus organisation: after the method's own
    candidates come all others by popularity, as in KomInn's evaluation."""

    def __init__(self, corpus: Sequence[dict[str, str]], participants: dict[str, list[dict[str, str]]],
                 *, similar: int = 30) -> None:
        self.similar = similar
        self.projects = [r["project_id"] for r in corpus]
        self.members: dict[str, list[str]] = {}
        self.of_org: dict[str, set[str]] = defaultdict(set)
        self.topic_orgs: dict[str, Counter[str]] = defaultdict(Counter)
        popularity: Counter[str] = Counter()
        for r in corpus:
            orgs = list(dict.fromkeys(p["organisation_id"] for p in participants.get(r["project_id"], [])))
            self.members[r["project_id"]] = orgs
            for o in orgs:
                self.of_org[o].add(r["project_id"])
                popularity[o] += 1
                self.topic_orgs[r["topic_code"]][o] += 1
        self.popularity = popularity
        self.by_popularity = [o for o, _ in popularity.most_common()]
        self.tfidf = TfidfVectorizer(sublinear_tf=True)
        self.matrix = self.tfidf.fit_transform([f"{r['title']}\n{r['topic_description']}" for r in corpus])

    def _ranking(self, scores: Mapping[str, float], coordinator: str) -> list[str]:
        first = sorted((o for o, s in scores.items() if s > 0 and o != coordinator),
                       key=lambda o: (-scores[o], -self.popularity[o], o))
        seen = {*first, coordinator}
        return first + [o for o in self.by_popularity if o not in seen]

    def rank(self, q: dict[str, str], coordinator: str) -> dict[str, list[str]]:
        """Each reference's ranking of the corpus organisations for the query project."""
        copartners: Counter[str] = Counter()
        for pid in self.of_org.get(coordinator, ()):
            copartners.update(self.members[pid])
        sims = (self.matrix @ self.tfidf.transform([f"{q['title']}\n{q['topic_description']}"]).T).toarray().ravel()
        similar: dict[str, float] = defaultdict(float)
        for i in np.argsort(-sims, kind="stable")[: self.similar]:
            if self.projects[i] != q["project_id"] and sims[i] > 0:
                for o in self.members[self.projects[i]]:
                    similar[o] += float(sims[i])

        def scaled(c: Mapping[str, float]) -> dict[str, float]:
            best = max((v for o, v in c.items() if o != coordinator), default=0.0)
            return {o: v / best for o, v in c.items() if o != coordinator} if best > 0 else {}

        summed: dict[str, float] = defaultdict(float)
        for part in (scaled(copartners), scaled(similar)):
            for o, v in part.items():
                summed[o] += v
        return {T3_POPULAR: self._ranking({}, coordinator),
                T3_TOPIC: self._ranking(dict(self.topic_orgs.get(q["topic_code"], {})), coordinator),
                T3_COPARTNERS: self._ranking(dict(copartners), coordinator),
                T3_SIMILAR: self._ranking(dict(similar), coordinator),
                T3_SUM: self._ranking(dict(summed), coordinator)}
