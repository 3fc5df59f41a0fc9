"""The embedded graph store: SQLite on disk for durability, networkx and numpy in memory for reads.

Every ``upsert`` or ``delete`` is one SQLite transaction, committed before memory is updated, so a
crash never leaves a half-written batch and reopening the file restores exactly what was committed.
Another process writing to the same file (``kominn ingest`` while ``kominn serve`` runs) is picked up:
reads check SQLite's ``data_version`` and reload when it changed.
"""

from __future__ import annotations

import heapq
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from itertools import pairwise
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse

from graph.errors import StoreUnavailableError
from graph.lexical import LEXICAL_DIM, WIDE_COLUMNS, idf_of, lexical_matrix, tfidf_cosines, wide_norms, wide_rows
from graph.schema import Direction, Edge, Label, Node, Rel, is_private, node_text
from graph.store import (
    EMBEDDING,
    LEXICAL,
    SPACES,
    ScoredId,
    check_filter_fields,
    check_order_field,
    create_private_file,
    decode_props,
    encode_props,
    sort_key,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    props TEXT NOT NULL,
    embedding BLOB,
    model TEXT,
    text_hash TEXT
);
CREATE TABLE IF NOT EXISTS edges (
    src TEXT NOT NULL,
    rel TEXT NOT NULL,
    dst TEXT NOT NULL,
    props TEXT NOT NULL,
    PRIMARY KEY (src, rel, dst)
);
CREATE INDEX IF NOT EXISTS edges_by_dst ON edges (dst);
CREATE INDEX IF NOT EXISTS nodes_by_label ON nodes (label);
"""

MEMORY = ":memory:"
FRESHNESS_SECONDS = 0.25


class _Vectors:
    """Unit-normalised embeddings in one matrix, so top-k is a matrix product."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self.labels = np.zeros(0, dtype=np.int16)
        self.matrix = np.zeros((0, 0), dtype=np.float32)

    def set(self, node_id: str, label: Label, vector: np.ndarray) -> None:
        v = np.asarray(vector, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(v))
        v = v / norm if norm > 0 else v
        if self.matrix.shape[1] == 0:
            self.matrix = np.zeros((16, v.shape[0]), dtype=np.float32)
            self.labels = np.zeros(16, dtype=np.int16)
        if v.shape[0] != self.matrix.shape[1]:
            raise ValueError(f"embedding of {node_id} has {v.shape[0]} dimensions, store has {self.matrix.shape[1]}")
        i = self.row.get(node_id)
        if i is None:
            i = len(self.ids)
            if i == self.matrix.shape[0]:
                self.matrix = np.concatenate([self.matrix, np.zeros_like(self.matrix)])
                self.labels = np.concatenate([self.labels, np.zeros_like(self.labels)])
            self.ids.append(node_id)
            self.row[node_id] = i
        self.matrix[i] = v
        self.labels[i] = _LABEL_CODES[label]

    def remove(self, node_id: str) -> None:
        i = self.row.pop(node_id, None)
        if i is None:
            return
        last = len(self.ids) - 1
        if i != last:
            moved = self.ids[last]
            self.ids[i] = moved
            self.row[moved] = i
            self.matrix[i] = self.matrix[last]
            self.labels[i] = self.labels[last]
        self.ids.pop()

    def topk(self, vector: np.ndarray, k: int, labels: AbstractSet[Label] | None,
             exclude: AbstractSet[str]) -> list[ScoredId]:
        n = len(self.ids)
        q = _unit_or_none(vector, self.matrix.shape[1])
        if n == 0 or q is None:
            return []
        return _best(_dots(self.matrix[:n], q), self.ids, self.row, self.labels[:n], k, labels, exclude)

    def scores(self, vector: np.ndarray, node_ids: Iterable[str]) -> dict[str, float]:
        return _row_scores(self.matrix, self.row, _unit_or_none(vector, self.matrix.shape[1]), node_ids)


def _unit_or_none(vector: np.ndarray, dim: int) -> np.ndarray | None:
    q = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(q))
    return None if norm == 0 or q.shape[0] != dim else q / norm


def _dots(matrix: Any, q: np.ndarray) -> np.ndarray:
    """Each row of ``matrix`` (dense or sparse) times ``q``, every row computed alike. BLAS's matrix-vector
    product takes the last rows of a dense matrix through another kernel, so a row's score would change in its
    last bits with its place among the rows (the order the store was written in, the other ids asked for) and
    tip ties and thresholds downstream; einsum sums each row the same way, as fast."""
    if sparse.issparse(matrix):
        return np.asarray(matrix @ q).ravel()
    return np.einsum("ij,j->i", matrix, q)


def _row_scores(matrix: Any, row: dict[str, int], q: np.ndarray | None, node_ids: Iterable[str]) -> dict[str, float]:
    """``q`` (unit length, or None for nothing) against the rows of the given nodes that have one."""
    rows = [(i, row[i]) for i in node_ids if i in row]
    if q is None or not rows:
        return {}
    values = _dots(matrix[[r for _, r in rows]], q)
    return {i: float(v) for (i, _), v in zip(rows, values, strict=True)}


def _best(scores: np.ndarray, ids: list[str], row: dict[str, int], codes: np.ndarray, k: int,
          labels: AbstractSet[Label] | None, exclude: AbstractSet[str], *, in_id_order: bool = False) -> list[ScoredId]:
    """The k best of ``scores`` (one per row), best first, leaving out other labels and ``exclude``.

    Equal scores go in id order, also where they decide which rows make the k (two items with the same
    text): not in the order of the rows, which is the order the store's file was written in, so that the
    same items come back from a fresh store and an old one. ``in_id_order``: the rows are sorted by id."""
    n = scores.shape[0]
    if n == 0 or k <= 0:
        return []
    scores = np.asarray(scores, dtype=np.float64).copy()
    if labels is not None:
        scores[~np.isin(codes, [_LABEL_CODES[lab] for lab in labels])] = -np.inf
    for node_id in exclude:
        i = row.get(node_id)
        if i is not None:
            scores[i] = -np.inf
    take = min(k, n)
    top = np.argpartition(-scores, take - 1)[:take]
    last = scores[top].min()  # the k-th best score: which of the rows tied with it make the k is up to their ids
    tied = np.flatnonzero(scores == last) if np.isfinite(last) else top[:0]
    if len(tied) > 1:
        above = top[scores[top] > last]
        room = take - len(above)
        first = tied[:room].tolist() if in_id_order else heapq.nsmallest(room, tied.tolist(), key=ids.__getitem__)
        top = np.concatenate([above, np.asarray(first, dtype=np.intp)])
    top = top[np.argsort(-scores[top], kind="stable")]
    best = scores[top]
    if np.any(best[1:] == best[:-1]):  # equal scores among the k: in id order
        top = np.asarray(sorted(top.tolist(), key=lambda i: (-scores[i], ids[i])), dtype=np.intp)
    return [(ids[i], float(scores[i])) for i in top if np.isfinite(scores[i])]


class _Lexical:
    """Lexical vectors (:mod:`graph.lexical`) of the nodes with text, as one sparse matrix.

    They are derived from the text, so they are not written to the file: the matrix is computed when
    first searched, and only the changed rows are recomputed after writes.
    """

    def __init__(self, rows: Callable[[Sequence[str]], sparse.csr_matrix] = lexical_matrix,
                 dim: int = LEXICAL_DIM) -> None:
        self.rows_of, self.dim = rows, dim
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self.codes = np.zeros(0, dtype=np.int16)
        self.matrix: sparse.csr_matrix = sparse.csr_matrix((0, dim), dtype=np.float32)
        self.built = False
        self.changed: set[str] = set()

    def touch(self, node_ids: Iterable[str]) -> None:
        if self.built:
            self.changed.update(node_ids)

    def refresh(self, graph: nx.MultiDiGraph) -> None:
        """Bring the matrix up to date with the nodes in ``graph``."""
        if self.built and not self.changed:
            return
        if not self.built:
            keep = [d["node"] for _, d in graph.nodes(data=True)]
            rows: dict[str, tuple[int, sparse.csr_matrix]] = {}
        else:
            rows = {i: (int(self.codes[r]), self.matrix[r]) for i, r in self.row.items() if i not in self.changed}
            keep = [graph.nodes[i]["node"] for i in self.changed if i in graph]
        texts = [(n, node_text(n)) for n in keep]
        texts = [(n, t) for n, t in texts if t]
        fresh = self.rows_of([t for _, t in texts])
        for j, (n, _) in enumerate(texts):
            rows[n.id] = (_LABEL_CODES[n.label], fresh[j])
        self.ids = sorted(rows)
        self.row = {i: r for r, i in enumerate(self.ids)}
        self.codes = np.array([rows[i][0] for i in self.ids], dtype=np.int16)
        self.matrix = (sparse.vstack([rows[i][1] for i in self.ids], format="csr", dtype=np.float32)
                       if self.ids else sparse.csr_matrix((0, self.dim), dtype=np.float32))
        self.built, self.changed = True, set()

    def topk(self, vector: np.ndarray, k: int, labels: set[Label] | None, exclude: set[str]) -> list[ScoredId]:
        q = _unit_or_none(vector, LEXICAL_DIM)
        if q is None or not self.ids:
            return []
        return _best(self.matrix @ q, self.ids, self.row, self.codes, k, labels, exclude, in_id_order=True)

    def scores(self, vector: np.ndarray, node_ids: Iterable[str]) -> dict[str, float]:
        return _row_scores(self.matrix, self.row, _unit_or_none(vector, LEXICAL_DIM), node_ids)


_LABEL_CODES = {label: i for i, label in enumerate(Label)}


class EmbeddedGraphStore:
    """The default store. ``path`` is a file path, or ``":memory:"`` for a throw-away store.

    >>> store = EmbeddedGraphStore(":memory:")
    >>> store.open()
    >>> store.upsert([Node("a", Label.TOPIC, {"name": "energi"})])
    >>> store.get("a").props
    {'name': 'energi'}
    """

    def __init__(self, path: str | Path = MEMORY) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._graph = nx.MultiDiGraph()
        self._vectors = _Vectors()
        self._lexical = _Lexical()
        self._wide = _Lexical(wide_rows, WIDE_COLUMNS)  # exact TF-IDF rows (graph.lexical.wide_rows)
        self._wide_idf: tuple[int, np.ndarray, np.ndarray] | None = None  # revision, idf, row norms
        self._degrees: dict[tuple[str, Direction], dict[str, int]] = {}
        self._linked: dict[tuple[str, Direction, frozenset[Label] | None], dict[str, list[str]]] = {}
        self._degrees_at = -1
        self._idf: tuple[int, np.ndarray] | None = None
        self._data_version = -1
        self._revision = 0
        self._checked = 0.0

    def __repr__(self) -> str:
        return f"EmbeddedGraphStore({self.path!r})"

    # --- lifecycle ------------------------------------------------------------------------------
    def open(self) -> None:
        if self._conn is not None:
            return
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            if not Path(self.path).exists():  # it holds contact details: readable by its owner only
                create_private_file(self.path)
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
            conn.executescript(_SCHEMA)
        except sqlite3.Error as e:
            raise StoreUnavailableError(f"cannot open the embedded store at {self.path}: {e}") from e
        self._conn = conn
        self._reload()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> EmbeddedGraphStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreUnavailableError(f"the embedded store at {self.path} is not open")
        return self._conn

    def ping(self) -> None:
        """Raise StoreUnavailableError when the store cannot answer."""
        try:
            self.conn.execute("SELECT 1").fetchone()
        except sqlite3.Error as e:
            raise StoreUnavailableError(f"the embedded store at {self.path} does not answer: {e}") from e

    # --- memory mirror ---------------------------------------------------------------------------
    def _current_version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def _reload(self) -> None:
        with self._lock:
            graph = nx.MultiDiGraph()
            vectors = _Vectors()
            rows = self.conn.execute("SELECT id, label, props, embedding, model, text_hash FROM nodes")
            for node_id, label, props, emb, model, thash in rows:
                node = Node(node_id, Label(label), decode_props(props), None, model, thash)
                graph.add_node(node_id, node=node)
                if emb is not None:
                    vectors.set(node_id, node.label, np.frombuffer(emb, dtype=np.float32))
            for src, rel, dst, props in self.conn.execute("SELECT src, rel, dst, props FROM edges"):
                graph.add_edge(src, dst, key=rel, edge=Edge(src, Rel(rel), dst, decode_props(props)))
            self._graph, self._vectors, self._lexical = graph, vectors, _Lexical()
            self._wide = _Lexical(wide_rows, WIDE_COLUMNS)
            self._data_version = self._current_version()
            self._revision += 1

    def _fresh(self, force: bool = False) -> None:
        """Reload when another connection committed since we last looked (checked at most every
        ``FRESHNESS_SECONDS``, so that a burst of reads costs one look at the file)."""
        if self.path == MEMORY:
            return
        now = time.monotonic()
        if not force and now - self._checked < FRESHNESS_SECONDS:
            return
        self._checked = now
        if self._current_version() != self._data_version:
            self._reload()

    # --- writes ----------------------------------------------------------------------------------
    def upsert(self, nodes: Iterable[Node] = (), edges: Iterable[Edge] = ()) -> None:
        nodes, edges = list(nodes), list(edges)
        if not nodes and not edges:
            return
        with self._lock:
            self._fresh()
            stored: dict[str, np.ndarray | None] = {}
            with self._transaction() as conn:
                for node in nodes:
                    emb = node.embedding
                    if emb is None and node.text_hash is not None:
                        row = conn.execute(
                            "SELECT embedding FROM nodes WHERE id = ? AND text_hash = ? AND model IS ?",
                            (node.id, node.text_hash, node.model),
                        ).fetchone()
                        emb = np.frombuffer(row[0], dtype=np.float32) if row and row[0] is not None else None
                    blob = None if emb is None else np.asarray(emb, dtype=np.float32).tobytes()
                    conn.execute(
                        "INSERT INTO nodes (id, label, props, embedding, model, text_hash) VALUES (?,?,?,?,?,?) "
                        "ON CONFLICT(id) DO UPDATE SET label=excluded.label, props=excluded.props, "
                        "embedding=excluded.embedding, model=excluded.model, text_hash=excluded.text_hash",
                        (node.id, node.label.value, encode_props(node.props), blob, node.model, node.text_hash),
                    )
                    stored[node.id] = emb
                conn.executemany(
                    "INSERT INTO edges (src, rel, dst, props) VALUES (?,?,?,?) "
                    "ON CONFLICT(src, rel, dst) DO UPDATE SET props=excluded.props",
                    [(e.src, e.rel.value, e.dst, encode_props(e.props)) for e in edges],
                )
            for node in nodes:
                emb = stored[node.id]
                props = {k: v for k, v in node.props.items() if v is not None}  # as a reload would see them
                self._graph.add_node(node.id, node=Node(node.id, node.label, props, None, node.model, node.text_hash))
                if emb is None:
                    self._vectors.remove(node.id)
                else:
                    self._vectors.set(node.id, node.label, emb)
            self._lexical.touch(n.id for n in nodes)
            self._wide.touch(n.id for n in nodes)
            for e in edges:
                for end in (e.src, e.dst):
                    if end not in self._graph:  # edge to a node another process wrote: resync
                        self._reload()
                        break
                clean = Edge(e.src, e.rel, e.dst, {k: v for k, v in e.props.items() if v is not None})
                self._graph.add_edge(e.src, e.dst, key=e.rel.value, edge=clean)
            self._data_version = self._current_version()
            self._revision += 1

    def delete(self, node_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(node_ids))
        if not ids:
            return 0
        with self._lock:
            self._fresh()
            deleted = 0
            with self._transaction() as conn:
                for node_id in ids:
                    conn.execute("DELETE FROM edges WHERE src = ? OR dst = ?", (node_id, node_id))
                    deleted += conn.execute("DELETE FROM nodes WHERE id = ?", (node_id,)).rowcount
            for node_id in ids:
                if node_id in self._graph:
                    self._graph.remove_node(node_id)
                self._vectors.remove(node_id)
            self._lexical.touch(ids)
            self._wide.touch(ids)
            self._data_version = self._current_version()
            self._revision += 1
            if deleted:
                self._erase_log()
            return deleted

    def _erase_log(self) -> None:
        """Move the write-ahead log into the database and empty it, so that a deleted item's text (an idea with a
        person's words) leaves the disk now, not at some later checkpoint. A reader in the middle of a read can
        hold the log back; then it goes at the next delete or checkpoint."""
        with suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def delete_edges(self, edges: Iterable[Edge]) -> int:
        edges = list(edges)
        with self._lock:
            self._fresh()
            n = 0
            with self._transaction() as conn:
                for e in edges:
                    n += conn.execute(
                        "DELETE FROM edges WHERE src = ? AND rel = ? AND dst = ?", (e.src, e.rel.value, e.dst)
                    ).rowcount
            for e in edges:
                if self._graph.has_edge(e.src, e.dst, key=e.rel.value):
                    self._graph.remove_edge(e.src, e.dst, key=e.rel.value)
            self._data_version = self._current_version()
            self._revision += 1
            return n

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on any exception."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def get_meta_many(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 500):  # within SQLite's limit of parameters
            chunk = wanted[start:start + 500]
            found.update((str(k), str(v)) for k, v in self.conn.execute(
                f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(chunk))})", chunk))
        return found

    def delete_meta(self, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(keys))
        with self._lock, self._transaction() as conn:
            return sum(conn.execute("DELETE FROM meta WHERE key = ?", (k,)).rowcount for k in unique)

    def meta_keys(self, prefix: str) -> list[str]:
        rows = self.conn.execute("SELECT key FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key",
                                 (len(prefix), prefix))
        return [str(r[0]) for r in rows]

    def revision(self) -> str:
        with self._lock:
            self._fresh(force=True)
            return f"{id(self)}:{self._revision}"

    def search_paths(self) -> tuple[str, str | None]:
        return "exact, in this process (the embedded store keeps every vector in memory)", None

    # --- reads -----------------------------------------------------------------------------------
    def _node(self, node_id: str) -> Node | None:
        data = self._graph.nodes.get(node_id)
        if data is None:
            return None
        node: Node = data["node"]
        i = self._vectors.row.get(node_id)
        emb = None if i is None else self._vectors.matrix[i].copy()
        return Node(node.id, node.label, dict(node.props), emb, node.model, node.text_hash)

    def get(self, node_id: str) -> Node | None:
        with self._lock:
            self._fresh()
            return self._node(node_id)

    def get_many(self, node_ids: Sequence[str]) -> list[Node]:
        with self._lock:
            self._fresh()
            return [n for n in (self._node(i) for i in node_ids) if n is not None]

    def neighbours(
        self, node_id: str, rel: Rel | None = None, direction: Direction = Direction.OUT
    ) -> list[tuple[Edge, Node]]:
        with self._lock:
            self._fresh()
            g = self._graph
            if node_id not in g:
                return []
            key = None if rel is None else rel.value
            found: list[tuple[Edge, Node]] = []
            sides = []
            if direction in (Direction.OUT, Direction.BOTH):
                sides.append(g._succ[node_id])
            if direction in (Direction.IN, Direction.BOTH):
                sides.append(g._pred[node_id])
            nodes = g._node
            for adjacency in sides:
                for other, keyed in adjacency.items():
                    if key is None:
                        found.extend((data["edge"], nodes[other]["node"]) for data in keyed.values())
                    elif key in keyed:
                        found.append((keyed[key]["edge"], nodes[other]["node"]))
            return found

    def vector_topk(
        self,
        vector: np.ndarray,
        k: int,
        labels: Iterable[Label] | None = None,
        exclude: Iterable[str] = (),
        space: str = EMBEDDING,
    ) -> list[ScoredId]:
        with self._lock:
            self._fresh()
            return self._space(space).topk(vector, k, None if labels is None else set(labels), set(exclude))

    def vector_scores(self, vector: np.ndarray, node_ids: Iterable[str], space: str = EMBEDDING) -> dict[str, float]:
        with self._lock:
            self._fresh()
            return self._space(space).scores(vector, node_ids)

    def lexical_idf(self) -> np.ndarray:
        """Exact, over every node with text that anyone may see; remembered until the graph changes."""
        with self._lock:
            self._fresh()
            if self._idf is None or self._idf[0] != self._revision:
                self._lexical.refresh(self._graph)
                self._idf = (self._revision, idf_of(self._public_rows(self._lexical)))
            return self._idf[1]

    def _public_rows(self, index: _Lexical) -> sparse.csr_matrix:
        """The rows of ``index`` of the nodes anyone may see: a hidden idea's words do not weigh on what others'
        searches find (nor, through the weights, tell that such words were written)."""
        hidden = [r for i, r in index.row.items() if i in self._graph and is_private(self._graph.nodes[i]["node"])]
        if not hidden:
            return index.matrix
        keep = np.ones(index.matrix.shape[0], dtype=bool)
        keep[hidden] = False
        return index.matrix[keep]

    def tfidf_scores(self, text: str, node_ids: Iterable[str]) -> dict[str, float]:
        """Exact, with document frequencies over every node with text that anyone may see (remembered until the
        graph changes)."""
        with self._lock:
            self._fresh()
            wide = self._wide
            wide.refresh(self._graph)
            if self._wide_idf is None or self._wide_idf[0] != self._revision:
                idf = idf_of(self._public_rows(wide))
                self._wide_idf = (self._revision, idf, wide_norms(wide.matrix, idf))
            rows = [(i, wide.row[i]) for i in dict.fromkeys(node_ids) if i in wide.row]
            if not rows:
                return {}
            picked = [r for _, r in rows]
            _, idf, norms = self._wide_idf
            values = tfidf_cosines(text, wide.matrix[picked], idf, norms[picked])
            return {i: float(v) for (i, _), v in zip(rows, values, strict=True)}

    def _space(self, space: str) -> _Vectors | _Lexical:
        if space == EMBEDDING:
            return self._vectors
        if space == LEXICAL:
            self._lexical.refresh(self._graph)
            return self._lexical
        raise ValueError(f"unknown vector space {space!r}; one of {', '.join(SPACES)}")

    def neighbours_many(
        self, node_ids: Iterable[str], rel: Rel | Sequence[Rel] | None = None, direction: Direction = Direction.OUT
    ) -> dict[str, list[tuple[Edge, Node]]]:
        rels = [rel] if rel is None or isinstance(rel, Rel) else list(dict.fromkeys(rel))
        with self._lock:
            found = {i: [link for r in rels for link in self.neighbours(i, r, direction)]
                     for i in dict.fromkeys(node_ids)}
        return {i: links for i, links in found.items() if links}

    def linked(
        self, node_ids: Iterable[str], rel: Rel, direction: Direction = Direction.IN,
        labels: Iterable[Label] | None = None,
    ) -> dict[str, tuple[list[str], int]]:
        if direction == Direction.BOTH:
            raise ValueError("linked() needs Direction.IN or Direction.OUT")
        wanted = None if labels is None else frozenset(labels)
        key = rel.value
        with self._lock:
            self._fresh()
            g = self._graph
            near, back = (g._pred, g._succ) if direction == Direction.IN else (g._succ, g._pred)
            if self._degrees_at != self._revision:  # remembered until the graph changes
                self._degrees, self._linked, self._degrees_at = {}, {}, self._revision
            lists = self._linked.setdefault((key, direction, wanted), {})
            hits: dict[str, list[str]] = {}
            asked = list(dict.fromkeys(node_ids))
            in_order = all(x < y for x, y in pairwise(asked))  # then each hit list is too
            for a in asked:
                found = lists.get(a)
                if found is None:
                    if a not in g:
                        continue
                    found = lists[a] = [b for b, keyed in near[a].items() if key in keyed
                                        and (wanted is None or g._node[b]["node"].label in wanted)]
                for b in found:
                    hits.setdefault(b, []).append(a)
            degrees = self._degrees.setdefault((key, direction), {})
            out: dict[str, tuple[list[str], int]] = {}
            for b, found in hits.items():
                d = degrees.get(b)
                if d is None:
                    d = degrees[b] = sum(1 for keyed in back[b].values() if key in keyed)
                out[b] = (found if in_order else sorted(found), d)
            return out

    def find_nodes(
        self,
        label: Label,
        *,
        equal: Mapping[str, Any] | None = None,
        not_in: Mapping[str, Sequence[Any]] | None = None,
        ids: Iterable[str] | None = None,
        id_prefix: str | None = None,
        offset: int = 0,
        limit: int = 20,
        order_by: str | None = None,
    ) -> tuple[list[Node], int]:
        equal, not_in = dict(equal or {}), {k: list(v) for k, v in (not_in or {}).items()}
        check_filter_fields(label, [*equal, *not_in])
        order = check_order_field(label, order_by)
        allowed = None if ids is None else set(ids)
        found = sorted(
            (n for n in self.iter_nodes(label)
             if (allowed is None or n.id in allowed)
             and (id_prefix is None or n.id.startswith(id_prefix))
             and all(n.props.get(k) == v for k, v in equal.items())
             and not any(n.props.get(k) in vs for k, vs in not_in.items() if n.props.get(k) is not None)),
            key=lambda n: n.id)
        if order is not None:  # stable sorts: equal values stay in id order, also descending
            name, descending, kind = order
            present = [n for n in found if n.props.get(name) is not None]
            present.sort(key=lambda n: sort_key(n.props[name], kind), reverse=descending)
            found = present + [n for n in found if n.props.get(name) is None]
        return found[max(offset, 0): max(offset, 0) + max(limit, 0)], len(found)

    def iter_nodes(self, label: Label | None = None) -> Iterator[Node]:
        with self._lock:
            self._fresh()
            nodes = [d["node"] for _, d in self._graph.nodes(data=True)]
        for node in nodes:
            if label is None or node.label == label:
                yield node

    def iter_edges(self, rel: Rel | None = None) -> Iterator[Edge]:
        with self._lock:
            self._fresh()
            edges = [d["edge"] for _, _, d in self._graph.edges(data=True)]
        for edge in edges:
            if rel is None or edge.rel == rel:
                yield edge

    def count_nodes(self, label: Label | None = None) -> int:
        if label is None:
            with self._lock:
                self._fresh()
                return int(self._graph.number_of_nodes())
        return sum(1 for _ in self.iter_nodes(label))

    def count_edges(self, rel: Rel | None = None) -> int:
        if rel is None:
            with self._lock:
                self._fresh()
                return int(self._graph.number_of_edges())
        return sum(1 for _ in self.iter_edges(rel))

    def hashes(self, label: Label | None = None) -> dict[str, tuple[str | None, str | None]]:
        return {n.id: (n.text_hash, n.model) for n in self.iter_nodes(label)}

    def embeddings(self, label: Label | None = None) -> tuple[list[str], np.ndarray]:
        """Ids and the (unit-normalised) embedding matrix, optionally for one label."""
        with self._lock:
            self._fresh()
            n = len(self._vectors.ids)
            ids = list(self._vectors.ids)
            matrix = self._vectors.matrix[:n].copy()
            if label is not None:
                keep = self._vectors.labels[:n] == _LABEL_CODES[label]
                ids = [i for i, k in zip(ids, keep, strict=True) if k]
                matrix = matrix[keep]
            return ids, matrix
