"""Derived edges: ``SIMILAR_TO {score, method}`` between text nodes, recomputed only around change.

Each initiative, idea and need points to its ``k`` most similar text nodes of those labels whose text score is at
least ``threshold``. The score is ``DENSE`` times the embedding cosine plus ``LEXICAL_SHARE`` times the cosine of
the two texts' lexical vectors (:mod:`graph.lexical`: character n-grams of the content words, no corpus
statistics, so a pair's score never changes while neither text does). The embedding alone was too loose on
Norwegian text: on the demo, 656 links from a cosine of 0.6, and unrelated pairs up to 0.74 (a stream reopened
and food waste at nursing homes); with the text score from 0.45, 70 pairs of the demo qualify, every planted
near-duplicate pair among them (0.49 to 0.86).

When some nodes change (new, new text, deleted), the nodes whose lists can change are: the changed ones, every
node that now scores above the threshold with a changed one, and every node that pointed to one. Only their lists
are recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse

from graph.lexical import lexical_matrix
from graph.schema import Direction, Edge, Label, Node, Rel, node_text
from graph.store import LEXICAL, GraphStore

SIMILAR_LABELS = (Label.INITIATIVE, Label.IDEA, Label.NEED)
K = 5
DENSE = 0.2  # the embedding's share of the score; the rest is the lexical cosine
LEXICAL_SHARE = 1.0 - DENSE
THRESHOLD = 0.45
METHOD = "text"
# kept in the store (graph.meta.SIMILAR_KEY): links that an earlier rule scored are all redone by the next ingest
VERSION = f"{METHOD}-{DENSE}-{THRESHOLD}-{K}"
SLACK = 1e-4  # a candidate this close under the threshold by a quick score is scored exactly before it is left out
POOL = 100  # a Bolt server's lexical search is asked for this many candidates


def _unit(vector: np.ndarray) -> np.ndarray:
    """A unit-length float32 vector, made as the embedded store makes the rows of its matrix."""
    v = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def edge_score(a: np.ndarray, b: np.ndarray, la: sparse.csr_matrix, lb: sparse.csr_matrix) -> float:
    """The score kept on an edge, from two unit embeddings and the two texts' lexical rows, in float64. A server's
    scores (float32 sums in its own order, or an index's) and the embedded store's float32 matrices differ in the
    last bits, which now and then turns the fourth decimal: the edges are scored here alike, whatever found them."""
    dense = float(np.dot(a.astype(np.float64), b.astype(np.float64)))
    lexical = float(la.astype(np.float64).multiply(lb.astype(np.float64)).sum())
    return DENSE * dense + LEXICAL_SHARE * lexical


def _lexical_rows(nodes: list[Node]) -> sparse.csr_matrix:
    return lexical_matrix([node_text(n) for n in nodes])


def _matrix(store: GraphStore) -> tuple[list[str], np.ndarray, sparse.csr_matrix]:
    """Ids, their unit embeddings and their lexical rows."""
    if not hasattr(store, "embeddings"):  # the embedded store hands out its matrix at once
        raise TypeError("only the embedded store hands out its embedding matrix")
    ids: list[str] = []
    parts = []
    for lab in SIMILAR_LABELS:
        i, m = store.embeddings(lab)
        ids += i
        parts.append(m)
    if not ids:
        return [], np.zeros((0, 0), dtype=np.float32), lexical_matrix([])
    found = {n.id: n for n in store.get_many(ids)}
    return ids, np.concatenate(parts), _lexical_rows([found[i] for i in ids])


def _by_queries(store: GraphStore, changed: set[str], k: int, threshold: float) -> dict[str, dict[str, float]]:
    """The wanted lists through the store's vector searches (Neo4j: nothing is loaded whole): candidates from the
    lexical search, every one scored exactly."""
    # a pair at the threshold has a lexical cosine of at least this (the embedding's part is at most DENSE), so the
    # lexical search finds every candidate (among the POOL nearest)
    floor = (threshold - DENSE) / LEXICAL_SHARE - SLACK

    def near(node: Node | None) -> tuple[list[str], sparse.csr_matrix]:
        """The ids whose lexical cosine with ``node`` can make the threshold (no more than POOL), and its row."""
        if node is None or node.embedding is None or node.label not in SIMILAR_LABELS:
            return [], lexical_matrix([])
        lq = _lexical_rows([node])
        if not lq.nnz:
            return [], lq
        found = store.vector_topk(lq.toarray()[0], POOL, SIMILAR_LABELS, exclude=[node.id], space=LEXICAL)
        return sorted(i for i, s in found if s >= floor), lq

    def top(node_id: str) -> dict[str, float]:
        node = store.get(node_id)
        ids, lq = near(node)
        if node is None or node.embedding is None or not ids:
            return {}
        others = [(o, o.embedding) for o in store.get_many(ids) if o.embedding is not None]
        if not others:
            return {}
        q, rows = _unit(node.embedding), _lexical_rows([o for o, _ in others])
        scores = {o.id: edge_score(q, _unit(e), lq, rows[r]) for r, (o, e) in enumerate(others)}
        return {i: round(s, 4) for i, s in scores.items() if s >= threshold}

    affected = set(changed)
    for cid in changed:  # nodes that pointed to a changed node, and those it may now reach (found, not scored)
        affected.update(e.src for e, _ in store.neighbours(cid, Rel.SIMILAR_TO, Direction.IN))
        affected.update(near(store.get(cid))[0])
    return {a: dict(sorted(top(a).items(), key=lambda t: (-t[1], t[0]))[:k]) for a in sorted(affected)}


def _apply(store: GraphStore, want: dict[str, dict[str, float]], batch_size: int) -> tuple[int, int]:
    written: list[Edge] = []
    stale: list[Edge] = []
    for src, targets in want.items():
        have = {e.dst: e for e, _ in store.neighbours(src, Rel.SIMILAR_TO)}
        for dst, score in targets.items():
            old = have.get(dst)
            if old is None or old.props.get("score") != score:
                written.append(Edge(src, Rel.SIMILAR_TO, dst, {"score": score, "method": METHOD}))
        stale.extend(e for d, e in have.items() if d not in targets)
    for start in range(0, len(written), batch_size):
        store.upsert(edges=written[start:start + batch_size])
    if stale:
        store.delete_edges(stale)
    return len(written), len(stale)


def update_similar(store: GraphStore, changed: Iterable[str], *, k: int = K, threshold: float = THRESHOLD,
                   batch_size: int = 500) -> tuple[int, int]:
    """Recompute SIMILAR_TO around ``changed`` ids; returns (edges written, edges removed)."""
    changed = set(changed)
    if not changed:
        return 0, 0
    if not hasattr(store, "embeddings"):
        return _apply(store, _by_queries(store, changed, k, threshold), batch_size)
    ids, m, lx = _matrix(store)
    row = {i: n for n, i in enumerate(ids)}

    def scores_of(rows: list[int]) -> np.ndarray:
        return DENSE * (m[rows] @ m.T) + LEXICAL_SHARE * (lx[rows] @ lx.T).toarray()

    affected = set(changed)
    for cid in changed:  # nodes that pointed to a changed node
        affected.update(e.src for e, _ in store.neighbours(cid, Rel.SIMILAR_TO, Direction.IN))
    present = [row[c] for c in sorted(changed) if c in row]
    for start in range(0, len(present), 1024):
        block = scores_of(present[start:start + 1024])
        hit = np.nonzero((block >= threshold - SLACK).any(axis=0))[0]
        affected.update(ids[j] for j in hit)
    targets = sorted(affected)
    want: dict[str, dict[str, float]] = {}
    for start in range(0, len(targets), 1024):
        chunk = targets[start:start + 1024]
        for c in chunk:
            want[c] = {}
        rows = [row[c] for c in chunk if c in row]
        if not rows:
            continue
        scores = scores_of(rows)
        for r, src_row in enumerate(rows):
            scores[r, src_row] = -np.inf
        take = min(k, len(ids) - 1)
        if take <= 0:
            continue
        top = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        for r, src_row in enumerate(rows):
            for j in top[r]:
                if float(scores[r, j]) >= threshold - SLACK:
                    s = edge_score(m[src_row], m[j], lx[src_row], lx[j])
                    if s >= threshold:
                        want[ids[src_row]][ids[j]] = round(s, 4)
    return _apply(store, want, batch_size)
