"""Derived edges: ``SIMILAR_TO {score, method}`` between text nodes, recomputed only around change.

Each initiative, idea and need points to its ``k`` most similar text nodes of those labels whose
cosine similarity is at least ``threshold``. When some nodes change (new, new text, deleted), the
nodes whose lists can change are: the changed ones, every node that now scores above the threshold
with a changed one, and every node that pointed to one. Only their lists are recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from graph.schema import Direction, Edge, Label, Rel
from graph.store import GraphStore

SIMILAR_LABELS = (Label.INITIATIVE, Label.IDEA, Label.NEED)
K = 5
THRESHOLD = 0.6
METHOD = "embedding"
SLACK = 1e-4  # a candidate this close under the threshold by a quick score is scored exactly before it is left out


def _unit(vector: np.ndarray) -> np.ndarray:
    """A unit-length float32 vector, made as the embedded store makes the rows of its matrix."""
    v = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def edge_score(a: np.ndarray, b: np.ndarray) -> float:
    """The cosine kept on an edge, from two unit vectors, in float64. A server's scores (float32 sums in its
    own order, or an index's) and the embedded store's float32 matrix differ in the last bits, which now and then
    turns the fourth decimal: the edges are scored here alike, whatever found them."""
    return float(np.dot(a.astype(np.float64), b.astype(np.float64)))


def _matrix(store: GraphStore) -> tuple[list[str], np.ndarray]:
    if hasattr(store, "embeddings"):  # the embedded store hands out its matrix at once
        ids: list[str] = []
        parts = []
        for lab in SIMILAR_LABELS:
            i, m = store.embeddings(lab)
            ids += i
            parts.append(m)
        return ids, (np.concatenate(parts) if parts and ids else np.zeros((0, 0), dtype=np.float32))
    raise TypeError("only the embedded store hands out its embedding matrix")


def _by_queries(store: GraphStore, changed: set[str], k: int, threshold: float) -> dict[str, dict[str, float]]:
    """The wanted lists through the store's vector search (Neo4j: nothing is loaded whole)."""
    def top(node_id: str, n: int, exact: bool = False) -> dict[str, float]:
        node = store.get(node_id)
        if node is None or node.embedding is None or node.label not in SIMILAR_LABELS:
            return {}
        found = store.vector_topk(node.embedding, n, SIMILAR_LABELS, exclude=[node_id])
        if not exact:
            return {i: s for i, s in found if s >= threshold}
        near = [i for i, s in found if s >= threshold - SLACK]
        q = _unit(node.embedding)
        scores = {o.id: edge_score(q, _unit(o.embedding)) for o in store.get_many(near) if o.embedding is not None}
        return {i: round(s, 4) for i, s in scores.items() if s >= threshold}

    affected = set(changed)
    for cid in changed:
        affected.update(e.src for e, _ in store.neighbours(cid, Rel.SIMILAR_TO, Direction.IN))
        affected.update(top(cid, 50))
    return {a: dict(sorted(top(a, k, exact=True).items(), key=lambda t: (-t[1], t[0]))[:k]) for a in sorted(affected)}


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
    ids, m = _matrix(store)
    row = {i: n for n, i in enumerate(ids)}
    affected = set(changed)
    for cid in changed:  # nodes that pointed to a changed node
        affected.update(e.src for e, _ in store.neighbours(cid, Rel.SIMILAR_TO, Direction.IN))
    present = [row[c] for c in sorted(changed) if c in row]
    for start in range(0, len(present), 1024):
        block = m[present[start:start + 1024]] @ m.T
        hit = np.nonzero((block >= threshold).any(axis=0))[0]
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
        scores = m[rows] @ m.T
        for r, src_row in enumerate(rows):
            scores[r, src_row] = -np.inf
        take = min(k, len(ids) - 1)
        if take <= 0:
            continue
        top = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        for r, src_row in enumerate(rows):
            for j in top[r]:
                if float(scores[r, j]) >= threshold - SLACK:
                    s = edge_score(m[src_row], m[j])
                    if s >= threshold:
                        want[ids[src_row]][ids[j]] = round(s, 4)
    return _apply(store, want, batch_size)
