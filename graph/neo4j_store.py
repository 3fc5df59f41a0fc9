"""The Neo4j adapter: the whole GraphStore protocol on a Neo4j 5 server, cluster or Aura.

All Cypher lives in :mod:`graph.cypher`; schema work and capability detection in
:mod:`graph.migrations`. Writes are ``UNWIND`` batches in one managed transaction per call (the
driver retries transient errors); reads are ``execute_query(routing_=READ)``, paged where they can
be long. Nothing connects until :meth:`Neo4jGraphStore.open` (or the first call that needs it).

How a node is stored: label from :class:`Label`; ``id``; the data properties under their own names;
``embedding`` (unit length, as the embedded store keeps it), ``_model`` and ``_text_hash``. A data
property whose name collides with one of those bookkeeping names (or starts with ``_p_``) is stored
as ``_p_<name>``, so it can never overwrite them and comes back under its own name. Aware datetimes
are stored in UTC and their property names listed in ``_utc`` (some servers drop the zone), naive
ones as they are; dates as dates; ``None`` means the property is absent.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import neo4j
import numpy as np
from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired
from scipy import sparse

from graph import cypher, migrations
from graph.errors import ConfigurationError, KomInnError, NotFoundError, StoreUnavailableError
from graph.lexical import LEXICAL_DIM, LEXICAL_VERSION, idf_of, lexical_matrix, tfidf_cosines, wide_rows
from graph.migrations import Capabilities, VectorInfo
from graph.schema import REL_ENDPOINTS, TEXT_FIELDS, Direction, Edge, Label, Node, Rel, is_private, node_text
from graph.store import EMBEDDING, LEXICAL, SPACES, ScoredId, check_filter_fields, check_order_field

NODE_RESERVED = frozenset({"id", cypher.EMBEDDING, cypher.LEXICAL, "_model", "_text_hash", "_utc"})
EDGE_RESERVED = frozenset({"_utc"})
ESCAPE = "_p_"
_LABELS = Label._value2member_map_
_RELS = Rel._value2member_map_
IDF_SAMPLE = 2000  # texts per label behind lexical_idf
IDF_REFRESH_S = 300.0  # lexical_idf of a graph of IDF_STABLE texts or more is read again at most this often
IDF_STABLE = 500
WIDE_CACHE = 50_000  # texts whose gram counts tfidf_scores keeps between searches


# --- property encoding -----------------------------------------------------------------------------


def _encode_value(name: str, value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo is not None else value
    if isinstance(value, str | bool | int | float | dt.date):
        return value
    if isinstance(value, list | tuple | np.ndarray):
        items = [v.item() if isinstance(v, np.generic) else v for v in value]
        for v in items:
            if not isinstance(v, str | bool | int | float):
                raise TypeError(f"property '{name}': a list may hold only text and numbers, not {type(v).__name__}")
        return items
    raise TypeError(f"property '{name}': values of type {type(value).__name__} cannot be stored")


def encode_props(props: dict[str, Any], reserved: frozenset[str] = NODE_RESERVED) -> dict[str, Any]:
    """Properties as stored: ``None`` left out, colliding names escaped, aware datetimes in UTC.

    >>> encode_props({"id": "x", "title": "Å", "gone": None})
    {'_p_id': 'x', 'title': 'Å'}
    """
    out: dict[str, Any] = {}
    utc: list[str] = []
    for key, value in props.items():
        if value is None:
            continue
        name = ESCAPE + key if key in reserved or key.startswith(ESCAPE) else key
        out[name] = _encode_value(key, value)
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            utc.append(name)
    if utc:
        out["_utc"] = sorted(utc)
    return out


def _decode_value(value: Any, utc: bool) -> Any:
    if isinstance(value, neo4j.time.DateTime):
        native = value.to_native()
        return native.replace(tzinfo=dt.UTC) if utc and native.tzinfo is None else native
    if isinstance(value, neo4j.time.Date):
        return value.to_native()
    if isinstance(value, list):
        return [_decode_value(v, False) for v in value]
    return value


def decode_props(stored: dict[str, Any], reserved: frozenset[str] = NODE_RESERVED) -> dict[str, Any]:
    """Inverse of :func:`encode_props`; bookkeeping properties are left out. Properties come by name, as
    from the embedded store (the server keeps its own order), so an item's JSON is the same from both."""
    utc = set(stored.get("_utc") or ())
    out: dict[str, Any] = {}
    for name, value in sorted(stored.items()):
        if name in reserved or value is None:
            continue
        key = name[len(ESCAPE):] if name.startswith(ESCAPE) else name
        out[key] = _decode_value(value, name in utc)
    return out


def _unit(vector: Any) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _label_of(labels: Iterable[str]) -> Label | None:
    for name in labels:
        if name in _LABELS:
            return Label(name)
    return None


def _node(rec: neo4j.Record | dict[str, Any], with_embedding: bool) -> Node | None:
    lab = _label_of(rec["labels"])
    if lab is None:
        return None
    stored = rec["props"]
    emb = stored.get(cypher.EMBEDDING) if with_embedding else None
    return Node(rec["id"], lab, decode_props(stored), None if emb is None else np.asarray(emb, dtype=np.float32),
                stored.get("_model"), stored.get("_text_hash"))


def raw_cosine(score: float, scale: str) -> float:
    """The one place where server scores become raw cosine: ``"half"`` is (1+cos)/2 (vector
    indexes, and Neo4j's ``vector.similarity.cosine``), ``"raw"`` is the cosine itself."""
    return 2.0 * score - 1.0 if scale == "half" else score


def _lexical_lists(nodes: Sequence[Node]) -> list[list[float] | None]:
    """The lexical vector of each node as stored (a list), or None for a node without text."""
    texts = [node_text(n) for n in nodes]
    with_text = [i for i, t in enumerate(texts) if t]
    out: list[list[float] | None] = [None] * len(nodes)
    if with_text:
        dense = lexical_matrix([texts[i] for i in with_text]).toarray()
        for row, i in zip(dense, with_text, strict=True):
            if np.any(row):
                out[i] = [float(x) for x in row]
    return out


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# The most a batch of rows may weigh in one Bolt message. Servers cap a message (ArcadeDB at 16 MiB), and a
# node row carries its lexical vector (4,096 numbers) and embedding, about 40 kB as Bolt floats: 500 rows
# were 20 MB. Half the cap leaves room for the rest of the message.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
LEXICAL_INDEX_SINCE = (5, 18)  # the first Neo4j that indexes 4,096-number vectors (the lexical ones)


def _row_bytes(row: dict[str, Any]) -> int:
    """About what a node row weighs in Bolt: 9 bytes a float, the text of the properties, some overhead."""
    floats = sum(len(row.get(k) or ()) for k in ("embedding", "lexical"))
    return 9 * floats + len(str(row.get("props", ""))) + 64


def _sized_chunks(rows: list[dict[str, Any]], size: int, max_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[list[Any]]:
    """Chunks of at most ``size`` rows that also stay under ``max_bytes`` (one row at least)."""
    chunk: list[dict[str, Any]] = []
    weight = 0
    for row in rows:
        w = _row_bytes(row)
        if chunk and (len(chunk) >= size or weight + w > max_bytes):
            yield chunk
            chunk, weight = [], 0
        chunk.append(row)
        weight += w
    if chunk:
        yield chunk


# An index answers approximately: from WIDEN_FROM results on, it is asked for WIDEN times as many and the best k
# are kept. Measured with bench/vector_index.py on CORDIS in ArcadeDB (k = 100, the recommenders' candidate pool):
# recall@100 against the exact ranking 0.978 -> 0.994 for embeddings and 0.921 -> 0.971 for the lexical vectors,
# for about 3 and 10 ms more a search; below 50 a wider ask returned the same items (ArcadeDB searches some 100 wide).
WIDEN, WIDEN_FROM = 2, 50


def index_k(k: int, exclude: Sequence[str]) -> int:
    """How many results to ask a vector index for, to keep the best ``k`` of those not in ``exclude``.

    >>> index_k(10, []), index_k(100, ["a", "b"])
    (10, 202)
    """
    return (k * WIDEN if k >= WIDEN_FROM else k) + len(exclude)


class Neo4jGraphStore:
    """GraphStore on a Neo4j 5 server (or anything speaking Bolt and Neo4j 5 Cypher, like ArcadeDB).

    Pass a ``neo4j.Driver`` (it stays yours: ``close`` leaves it open), or use :meth:`from_uri`, which
    makes the driver when the store opens. ``arcadedb_http`` is the HTTP address of an ArcadeDB
    server, whose vector indexes can only be created through it; without it ArcadeDB gets exact scans.

    >>> # store = Neo4jGraphStore.from_uri("neo4j+s://xxxx.databases.neo4j.io", "neo4j", "secret")
    >>> # store.open(); store.count_nodes()
    """

    def __init__(
        self,
        driver: neo4j.Driver | None = None,
        *,
        database: str | None = None,
        batch_size: int = 500,
        uri: str | None = None,
        auth: tuple[str, str] | None = None,
        driver_config: dict[str, Any] | None = None,
        arcadedb_http: str | None = None,
    ) -> None:
        if driver is None and uri is None:
            raise ConfigurationError("the Neo4j store needs a driver or a URI")
        if batch_size < 1:
            raise ConfigurationError(f"batch_size must be at least 1, not {batch_size}")
        self._driver = driver
        self._owns_driver = driver is None
        self.uri = uri or "the given Neo4j driver"
        self.database = database
        self.batch_size = batch_size
        self._auth = auth
        self._driver_config = dict(driver_config or {})
        self.arcadedb_http = arcadedb_http
        self._lock = threading.RLock()
        self._open = False
        self._caps: Capabilities | None = None
        self._vectors: dict[Label, VectorInfo] = {}
        self._vectors_revision: str | None = None  # the revision when _vectors was last read
        self._lexical_indexes: dict[Label, str | None] = {}  # label -> vector index on _lexical (None: scans)
        self._idf: tuple[str, float, tuple[np.ndarray, np.ndarray], int] | None = None  # (revision, time, idfs, texts)
        self._wide_rows: dict[str, tuple[str, sparse.csr_matrix]] = {}  # node id -> (text, gram counts)
        self.applied_migrations: list[str] = []  # what the last open applied (empty when up to date)

    @classmethod
    def from_uri(
        cls,
        uri: str,
        user: str,
        password: str,
        *,
        database: str | None = None,
        batch_size: int = 500,
        arcadedb_http: str | None = None,
        **driver_config: Any,
    ) -> Neo4jGraphStore:
        """A store that makes its own driver (on open) for ``uri``; extra keywords go to the driver."""
        # retries of transient errors stop after 5 s: a request of the service waits no longer than that
        # before it answers 503 while the server is down (15 s made every page hang)
        config = {"connection_timeout": 5.0, "connection_acquisition_timeout": 10.0,
                  "max_transaction_retry_time": 5.0, **driver_config}
        return cls(None, database=database, batch_size=batch_size, uri=uri, auth=(user, password),
                   driver_config=config, arcadedb_http=arcadedb_http)

    def __repr__(self) -> str:
        return f"Neo4jGraphStore({self.uri!r}, database={self.database!r})"

    # --- errors ----------------------------------------------------------------------------------
    def _where(self) -> str:
        return self.uri + (f" (database '{self.database}')" if self.database else "")

    def _translate(self, e: Exception, doing: str) -> KomInnError:
        # A refused login or a missing database will not fix itself: a configuration error (a service stops
        # at start); a server that cannot be reached may come back (the service starts and retries).
        if isinstance(e, AuthError):
            user = self._auth[0] if self._auth else "?"
            return ConfigurationError(
                f"Neo4j at {self._where()} refused the credentials of user '{user}' "
                f"(check KOMINN_NEO4J_USER and KOMINN_NEO4J_PASSWORD): {e.message or e}")
        if isinstance(e, ServiceUnavailable | SessionExpired | OSError):
            return StoreUnavailableError(f"cannot reach Neo4j at {self._where()} while {doing} "
                                         f"(check KOMINN_NEO4J_URI, and that the server runs): {e}")
        if isinstance(e, ClientError) and e.code and "DatabaseNotFound" in e.code:
            return ConfigurationError(
                f"Neo4j at {self.uri} has no database '{self.database}' (check KOMINN_NEO4J_DATABASE): {e.message}")
        if isinstance(e, neo4j.exceptions.ConfigurationError):
            return ConfigurationError(f"the Neo4j address {self.uri} cannot be used (check KOMINN_NEO4J_URI): {e}")
        message = getattr(e, "message", None) or str(e)
        return KomInnError(f"Neo4j at {self._where()} failed while {doing}: {message}")

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (Neo4jError, DriverError, OSError) as e:
            raise self._translate(e, doing) from e

    # --- lifecycle -------------------------------------------------------------------------------
    def open(self) -> None:
        """Connect, verify, detect what the server can do and apply missing migrations."""
        with self._lock:
            if self._open:
                return
            try:
                with self._guard("connecting"):
                    if self._driver is None:
                        self._driver = neo4j.GraphDatabase.driver(self.uri, auth=self._auth, **self._driver_config)
                    driver = self._driver
                    driver.verify_connectivity()
                    with driver.session(database=self.database) as session:
                        session.run(cypher.PING).consume()
                    caps = migrations.detect(driver, self.database, arcadedb_http=self.arcadedb_http)
                    self.applied_migrations = migrations.apply_base(driver, self.database)
                    if self._backfill_lexical(driver):
                        self.applied_migrations.append(migrations.LEXICAL_MIGRATION)
                    vectors = migrations.vector_infos(driver, self.database, caps)
            except BaseException:
                if self._owns_driver and self._driver is not None:
                    self._driver.close()
                    self._driver = None
                raise
            self._caps, self._vectors, self._open = caps, vectors, True
            try:
                with self._guard("creating the lexical vector indexes"):
                    self._ensure_lexical_indexes(driver, caps)
                for lab, info in list(vectors.items()):  # indexes that can be made now but were not before
                    if info.index is None and caps.vector_ddl is not None:
                        self._ensure_vector_index(lab, info.dimensions)
            except BaseException:  # not left half open: the next call tries the whole opening again
                self.close()
                raise

    def _backfill_lexical(self, driver: neo4j.Driver) -> bool:
        """Give the nodes written before lexical vectors existed (or under another version of
        them) their lexical vectors, a page at a time; recorded as a migration when done."""
        if migrations.LEXICAL_MIGRATION in migrations.applied(driver, self.database):
            return False
        for lab in TEXT_FIELDS:
            after = ""
            while True:
                recs = list(driver.execute_query(cypher.missing_lexical(lab), after=after, limit=self.batch_size,
                                                 database_=self.database).records)
                nodes = [n for n in (_node(r, with_embedding=False) for r in recs) if n is not None]
                rows = [{"id": n.id, "lexical": v} for n, v in zip(nodes, _lexical_lists(nodes), strict=True)
                        if v is not None]
                for chunk in _sized_chunks(rows, self.batch_size):
                    driver.execute_query(cypher.set_lexical(lab), rows=chunk, database_=self.database)
                if len(recs) < self.batch_size:
                    break
                after = recs[-1]["id"]
        migrations.record(driver, self.database, migrations.LEXICAL_MIGRATION,
                          f"lexical vectors ({LEXICAL_VERSION}) computed from the text of every node")
        return True

    def _ensure_lexical_indexes(self, driver: neo4j.Driver, caps: Capabilities) -> None:
        """A vector index on ``_lexical`` for every label with text, where the server can make one
        (the lexical top-k then asks the index instead of scanning every node)."""
        existing = migrations.vector_indexes(driver, self.database, cypher.LEXICAL)
        # Neo4j indexes vectors of up to 2,048 numbers before 5.18 and 4,096 from then on
        can_make = caps.vector_ddl is not None and (caps.flavour != "neo4j" or caps.version >= LEXICAL_INDEX_SINCE)
        for lab in TEXT_FIELDS:
            index = existing.get(lab)
            if index is None and can_make:
                index = migrations.create_vector_index(driver, self.database, caps, lab, LEXICAL_DIM,
                                                       arcadedb_http=self.arcadedb_http, auth=self._auth,
                                                       prop=cypher.LEXICAL)
                if index is not None:
                    statement = migrations.vector_index_statement(caps, lab, LEXICAL_DIM, cypher.LEXICAL)
                    mid = migrations.vector_migration_id(lab, cypher.LEXICAL)
                    migrations.record(driver, self.database, mid, statement, lab=lab, dimensions=LEXICAL_DIM,
                                      index=index)
                    self.applied_migrations.append(mid)
            self._lexical_indexes[lab] = index

    @property
    def lexical_indexes(self) -> dict[Label, str | None]:
        """Labels with text, with the vector index over their lexical vectors (None: exact scans)."""
        with self._lock:
            return dict(self._lexical_indexes)

    def search_paths(self) -> tuple[str, str | None]:
        """How vector searches run on this server, in words for an operator, and what to do when some of
        them scan every node where an index could answer (None when there is nothing to do)."""
        caps = self.capabilities
        with self._lock:
            dense = {lab: info.index for lab, info in self._vectors.items()}
            lexical = dict(self._lexical_indexes)
        scanned = sorted({lab.value for lab, index in (*dense.items(), *lexical.items()) if index is None})
        server = f"; server: {caps.agent}"
        if not scanned:
            return f"vector indexes (approximate nearest neighbours){server}", None
        if len(scanned) == len({*dense, *lexical}):
            where = "exact scans of every node, no vector indexes"
        else:
            where = f"vector indexes, and exact scans of every node for {', '.join(scanned)}"
        description = where + server
        if caps.flavour == "arcadedb" and not self.arcadedb_http:
            return description, ("ArcadeDB makes vector indexes only through its HTTP API: set "
                                 "KOMINN_NEO4J_ARCADEDB_HTTP to its address (http://host:2480) and run `kominn stats` "
                                 "once to make them; until then every search reads every vector, which grows slow "
                                 "with the graph")
        if caps.flavour == "neo4j" and caps.vector_ddl is None:
            return description, "Neo4j makes vector indexes from 5.11: upgrade the server for faster searches"
        if caps.flavour == "neo4j" and caps.version < LEXICAL_INDEX_SINCE and all(v is None for v in lexical.values()):
            return description, ("Neo4j indexes the 4,096-number lexical vectors from 5.18: upgrade the server "
                                 "for faster text matching")
        return description, None

    def close(self) -> None:
        with self._lock:
            if self._owns_driver and self._driver is not None:
                self._driver.close()
                self._driver = None
            self._open = False

    def __enter__(self) -> Neo4jGraphStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def capabilities(self) -> Capabilities:
        self._ensure_open()
        assert self._caps is not None
        return self._caps

    @property
    def vector_indexes(self) -> dict[Label, str | None]:
        """Labels that have embeddings, with the vector index used for them (None: exact scans)."""
        with self._lock:
            return {lab: info.index for lab, info in self._vectors.items()}

    def _ensure_open(self) -> neo4j.Driver:
        """The driver, opening the store first when needed (so a service recovers by itself)."""
        if not self._open:
            self.open()
        assert self._driver is not None
        return self._driver

    def ping(self) -> None:
        """Raise StoreUnavailableError when the server cannot answer (no retries: fast for health)."""
        driver = self._ensure_open()
        with self._guard("checking the connection"), driver.session(database=self.database) as session:
            session.run(cypher.PING).consume()

    # --- query helpers ---------------------------------------------------------------------------
    def _read(self, query: str, doing: str, **params: Any) -> list[neo4j.Record]:
        driver = self._ensure_open()
        with self._guard(doing):
            return list(driver.execute_query(query, parameters_=params, database_=self.database,
                                             routing_=neo4j.RoutingControl.READ).records)

    def _write(self, work: Callable[[neo4j.ManagedTransaction], Any], doing: str) -> Any:
        driver = self._ensure_open()
        # the bookmarks of execute_query, which the reads use: on a cluster a read then sees this write
        with self._guard(doing), driver.session(database=self.database,
                                                bookmark_manager=driver.execute_query_bookmark_manager) as session:
            return session.execute_write(work)

    def _labels_of(self, tx: neo4j.ManagedTransaction, ids: Iterable[str]) -> dict[str, Label]:
        found: dict[str, Label] = {}
        for chunk in _chunks(sorted(set(ids)), self.batch_size):
            for rec in tx.run(cypher.node_labels(), ids=chunk):
                lab = _label_of(rec["labels"])
                if lab is not None:
                    found[rec["id"]] = lab
        return found

    # --- vector index bookkeeping ----------------------------------------------------------------
    def _ensure_vector_index(self, lab: Label, dimensions: int) -> None:
        """Record the dimension of a label's embeddings and create its vector index where possible."""
        with self._lock:
            info = self._vectors.get(lab)
            if info is None:
                self._refresh_vectors()
                info = self._vectors.get(lab)
            if info is not None and info.dimensions != dimensions:
                raise ConfigurationError(
                    f"{lab.value} embeddings in Neo4j at {self._where()} have {info.dimensions} dimensions, "
                    f"these have {dimensions}: re-embed everything with one model")
            if info is not None and (info.index is not None or self.capabilities.vector_ddl is None):
                return
            driver = self._ensure_open()
            with self._guard(f"creating the vector index of {lab.value}"):
                index = migrations.create_vector_index(driver, self.database, self.capabilities, lab, dimensions,
                                                       arcadedb_http=self.arcadedb_http, auth=self._auth)
                statement = migrations.vector_index_statement(self.capabilities, lab, dimensions) if index else ""
                migrations.record(driver, self.database, migrations.vector_migration_id(lab), statement,
                                  lab=lab, dimensions=dimensions, index=index)
            self._vectors[lab] = VectorInfo(dimensions, index)
            if index is not None:
                self.capabilities.vector_indexes[lab] = index

    def _refresh_vectors(self) -> None:
        driver = self._ensure_open()
        with self._guard("reading the migrations"):
            self._vectors = migrations.vector_infos(driver, self.database, self.capabilities)

    # --- writes ----------------------------------------------------------------------------------
    def upsert(self, nodes: Iterable[Node] = (), edges: Iterable[Edge] = ()) -> None:
        """Create or replace nodes and edges in one transaction (all or nothing)."""
        by_id = {n.id: n for n in nodes}
        edge_list = list(edges)
        if not by_id and not edge_list:
            return
        rows: dict[Label, list[dict[str, Any]]] = defaultdict(list)
        dims: dict[Label, int] = {}
        lexical = dict(zip(by_id, _lexical_lists(list(by_id.values())), strict=True))
        for node in by_id.values():
            emb = None
            if node.embedding is not None:
                unit = _unit(node.embedding)
                if dims.setdefault(node.label, unit.shape[0]) != unit.shape[0]:
                    raise ConfigurationError(f"embeddings of {node.label.value} with different dimensions in one batch")
                emb = [float(x) for x in unit]
            props = encode_props(node.props)
            props["id"] = node.id
            if node.model is not None:
                props["_model"] = node.model
            if node.text_hash is not None:
                props["_text_hash"] = node.text_hash
            rows[node.label].append({"id": node.id, "props": props, "embedding": emb, "lexical": lexical[node.id],
                                     "model": node.model, "text_hash": node.text_hash})
        new_edges = [(e.src, e.rel, e.dst, encode_props(e.props, EDGE_RESERVED)) for e in edge_list]
        for lab, n in dims.items():
            self._ensure_vector_index(lab, n)
        batch_labels = {node_id: node.label for node_id, node in by_id.items()}

        def work(tx: neo4j.ManagedTransaction) -> None:
            moved: list[tuple[str, Rel, str, dict[str, Any]]] = []
            if batch_labels:  # an id under another label: the node changes label, keeping its edges
                changed = sorted(i for i, lab in self._labels_of(tx, batch_labels).items() if lab != batch_labels[i])
                if changed:
                    for rec in tx.run(cypher.edges_at(), ids=changed):
                        if rec["rel"] in _RELS:
                            moved.append((rec["src"], Rel(rec["rel"]), rec["dst"], rec["props"]))
                    tx.run(cypher.delete_nodes(), ids=changed).consume()
            for lab, lab_rows in rows.items():
                for chunk in _sized_chunks(lab_rows, self.batch_size):
                    tx.run(cypher.merge_nodes(lab), rows=chunk).consume()
            self._write_edges(tx, moved + new_edges, batch_labels)
            tx.run(cypher.bump_revision(), epoch=uuid.uuid4().hex).consume()

        self._write(work, "writing a batch")

    def _write_edges(self, tx: neo4j.ManagedTransaction, edges: list[tuple[str, Rel, str, dict[str, Any]]],
                     known: dict[str, Label]) -> None:
        if not edges:
            return
        ends = {x for src, _, dst, _ in edges for x in (src, dst)}
        labels = dict(known)
        labels.update(self._labels_of(tx, ends - known.keys()))
        missing = sorted(ends - labels.keys())
        if missing:
            shown = ", ".join(f"'{m}'" for m in missing[:10])
            raise NotFoundError(f"edges reach ids that are not in the store: {shown}"
                                + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
        groups: dict[tuple[Label, Rel, Label], list[dict[str, Any]]] = defaultdict(list)
        for src, rel, dst, props in edges:
            groups[(labels[src], rel, labels[dst])].append({"src": src, "dst": dst, "props": props})
        for (src_label, rel, dst_label), group in groups.items():
            for chunk in _chunks(group, self.batch_size):
                tx.run(cypher.merge_edges(src_label, rel, dst_label), rows=chunk).consume()

    def delete(self, node_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(node_ids))
        if not ids:
            return 0

        def work(tx: neo4j.ManagedTransaction) -> int:
            deleted = 0
            for chunk in _chunks(ids, self.batch_size):
                deleted += int(tx.run(cypher.delete_nodes(), ids=chunk).single(strict=True)["deleted"])
            tx.run(cypher.bump_revision(), epoch=uuid.uuid4().hex).consume()
            return deleted

        return int(self._write(work, "deleting nodes"))

    def delete_edges(self, edges: Iterable[Edge]) -> int:
        by_rel: dict[Rel, list[dict[str, str]]] = defaultdict(list)
        for e in edges:
            by_rel[e.rel].append({"src": e.src, "dst": e.dst})

        def work(tx: neo4j.ManagedTransaction) -> int:
            deleted = 0
            for rel, rel_rows in by_rel.items():
                for chunk in _chunks(rel_rows, self.batch_size):
                    deleted += int(tx.run(cypher.delete_edges(rel), rows=chunk).single(strict=True)["deleted"])
            tx.run(cypher.bump_revision(), epoch=uuid.uuid4().hex).consume()
            return deleted

        return int(self._write(work, "deleting edges"))

    def set_meta(self, key: str, value: str) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(cypher.set_meta(), key=key, value=value).consume()

        self._write(work, "writing a setting")

    def get_meta(self, key: str) -> str | None:
        records = self._read(cypher.get_meta(), "reading a setting", key=key)
        return None if not records or records[0]["value"] is None else str(records[0]["value"])

    def get_meta_many(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), self.batch_size):
            for rec in self._read(cypher.get_meta_many(), "reading settings", keys=chunk):
                if rec["value"] is not None:
                    found[str(rec["key"])] = str(rec["value"])
        return found

    def delete_meta(self, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(keys))

        def work(tx: neo4j.ManagedTransaction) -> int:
            return sum(int(tx.run(cypher.delete_meta(), keys=chunk).single(strict=True)["deleted"])
                       for chunk in _chunks(unique, self.batch_size))

        return int(self._write(work, "removing settings"))

    def meta_keys(self, prefix: str) -> list[str]:
        return sorted(str(r["key"]) for r in self._read(cypher.meta_keys(), "listing settings", prefix=prefix))

    def revision(self) -> str:
        """``epoch:counter`` of the state node: every write transaction, from any process, bumps it."""
        records = self._read(cypher.revision(), "reading the revision")
        if not records:
            return "empty:0"
        return f"{records[0]['epoch']}:{records[0]['revision']}"

    # --- reads -----------------------------------------------------------------------------------
    def get(self, node_id: str) -> Node | None:
        found = self.get_many([node_id])
        return found[0] if found else None

    def get_many(self, node_ids: Sequence[str]) -> list[Node]:
        ids = list(node_ids)
        found: dict[str, Node] = {}
        for chunk in _chunks(sorted(set(ids)), self.batch_size):
            for rec in self._read(cypher.get_nodes(), "reading nodes", ids=chunk):
                node = _node(rec, with_embedding=True)
                if node is not None:
                    found[node.id] = node
        return [found[i] for i in ids if i in found]

    def neighbours(
        self, node_id: str, rel: Rel | None = None, direction: Direction = Direction.OUT
    ) -> list[tuple[Edge, Node]]:
        result: list[tuple[Edge, Node]] = []
        for outgoing in (True, False):
            if direction == Direction.BOTH or (direction == Direction.OUT) == outgoing:
                for rec in self._read(cypher.neighbours(rel, outgoing), "reading neighbours", id=node_id):
                    other = _node(rec, with_embedding=False)
                    if other is None or rec["rel"] not in _RELS:
                        continue
                    src, dst = (node_id, other.id) if outgoing else (other.id, node_id)
                    result.append((Edge(src, Rel(rec["rel"]), dst, decode_props(rec["rprops"], EDGE_RESERVED)),
                                   other))
        return result

    def vector_topk(
        self,
        vector: np.ndarray,
        k: int,
        labels: Iterable[Label] | None = None,
        exclude: Iterable[str] = (),
        space: str = EMBEDDING,
    ) -> list[ScoredId]:
        """Top-k by cosine: per label through its vector index, or an exact scan where it has none
        (always for lexical vectors)."""
        q = _unit(vector)
        if k <= 0 or not np.any(q):
            return []
        wanted = list(Label) if labels is None else list(dict.fromkeys(labels))
        skip = sorted(set(exclude))
        if space == LEXICAL:
            return self._lexical_topk(q, k, wanted, skip)
        if space != EMBEDDING:
            raise ValueError(f"unknown vector space {space!r}; one of {', '.join(SPACES)}")
        if any(lab not in self._vectors for lab in wanted):
            revision = self.revision()  # another process may have written embeddings of a new label
            if revision != self._vectors_revision:
                self._refresh_vectors()
                self._vectors_revision = revision
        caps = self.capabilities
        found: list[ScoredId] = []
        for lab in wanted:
            info = self._vectors.get(lab)
            if info is None or info.dimensions != q.shape[0]:
                continue
            if info.index is not None:
                recs = self._read(cypher.VECTOR_QUERY, "searching vectors", index=info.index, k=index_k(k, skip),
                                  vector=q.tolist(), exclude=skip)
                scale = "half"
            else:
                recs = self._read(cypher.vector_scan(lab, caps.scan_function), "searching vectors", k=k,
                                  vector=q.tolist(), exclude=skip)
                scale = caps.scan_scale
            found.extend((r["id"], raw_cosine(float(r["score"]), scale)) for r in recs if r["score"] is not None)
        found.sort(key=lambda t: (-t[1], t[0]))  # equal scores in id order, as on the embedded store
        return found[:k]

    def _lexical_topk(self, q: np.ndarray, k: int, wanted: list[Label], skip: list[str]) -> list[ScoredId]:
        caps = self.capabilities
        scale = caps.scan_scale
        found: list[ScoredId] = []
        for lab in wanted:
            if lab not in TEXT_FIELDS:
                continue
            index = self._lexical_indexes.get(lab)
            if index is not None:
                recs = self._read(cypher.VECTOR_QUERY, "searching text", index=index, k=index_k(k, skip),
                                  vector=q.tolist(), exclude=skip)
                found.extend((r["id"], raw_cosine(float(r["score"]), "half")) for r in recs if r["score"] is not None)
            else:
                recs = self._read(cypher.vector_scan(lab, caps.scan_function, cypher.LEXICAL), "searching text",
                                  k=k, vector=q.tolist(), exclude=skip)
                found.extend((r["id"], raw_cosine(float(r["score"]), scale)) for r in recs if r["score"] is not None)
        found.sort(key=lambda t: (-t[1], t[0]))  # equal scores in id order, as on the embedded store
        return found[:k]

    def vector_scores(self, vector: np.ndarray, node_ids: Iterable[str], space: str = EMBEDDING) -> dict[str, float]:
        """Cosine of ``vector`` with each given node's vector, computed on the server."""
        if space not in SPACES:
            raise ValueError(f"unknown vector space {space!r}; one of {', '.join(SPACES)}")
        ids = sorted(set(node_ids))
        q = _unit(vector)
        if not ids or not np.any(q):
            return {}
        caps = self.capabilities
        scale = caps.scan_scale
        prop = cypher.LEXICAL if space == LEXICAL else cypher.EMBEDDING
        out: dict[str, float] = {}
        for chunk in _chunks(ids, self.batch_size):
            for r in self._read(cypher.vector_scores(caps.scan_function, prop), "scoring vectors",
                                ids=chunk, vector=q.tolist()):
                if r["score"] is not None:
                    out[r["id"]] = raw_cosine(float(r["score"]), scale)
        return out

    def lexical_idf(self) -> np.ndarray:
        """From a sample of the graph's texts: see :meth:`_text_weights`."""
        return self._text_weights()[0]

    def tfidf_scores(self, text: str, node_ids: Iterable[str]) -> dict[str, float]:
        """Computed here from the given nodes' texts (one read per page of ids, vectors left on the
        server), with the document frequencies of :meth:`_text_weights`. The gram counts of a text are
        kept for the next search (up to ``WIDE_CACHE`` texts), keyed by node and text."""
        texts: dict[str, str] = {}
        for chunk in _chunks(sorted(set(node_ids)), self.batch_size):
            for rec in self._read(cypher.get_nodes(with_embedding=False), "reading texts", ids=chunk):
                node = _node(rec, with_embedding=False)
                if node is not None and (body := node_text(node)):
                    texts[node.id] = body
        if not texts:
            return {}
        cache = self._wide_rows
        fresh = [i for i, body in texts.items() if cache.get(i, (None,))[0] != body]
        if len(cache) + len(fresh) > WIDE_CACHE:
            cache.clear()
        for i, row in zip(fresh, wide_rows([texts[i] for i in fresh]), strict=True):
            cache[i] = (texts[i], row)
        ids = list(texts)
        rows = sparse.vstack([cache[i][1] for i in ids], format="csr")
        values = tfidf_cosines(text, rows, self._text_weights()[1])
        return {i: float(v) for i, v in zip(ids, values, strict=True)}

    def _text_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Inverse document frequencies (4,096 buckets, and the wide space) from the texts of at most
        ``IDF_SAMPLE`` nodes per label (the first by id; hidden ideas left out, as from every search), read on
        first use and again after the graph
        has changed. A graph of ``IDF_STABLE`` texts or more is read again at most every
        ``IDF_REFRESH_S`` seconds: its gram frequencies move slowly, and a search should not wait for a
        read after every write. A smaller one is cheap to read and may still be filling up."""
        cached = self._idf
        if cached is not None and cached[3] >= IDF_STABLE and time.monotonic() - cached[1] < IDF_REFRESH_S:
            return cached[2]  # without a round trip for the revision: a search asks more than once
        revision = self.revision()
        if cached is not None and cached[0] == revision:
            return cached[2]
        texts: list[str] = []
        for lab in TEXT_FIELDS:
            recs = self._read(cypher.page_nodes(lab), "reading texts for word weights", after="", limit=IDF_SAMPLE)
            for rec in recs:
                node = _node(rec, with_embedding=False)
                text = node_text(node) if node is not None and not is_private(node) else ""  # hidden ideas: no
                if text:
                    texts.append(text)
        weights = (idf_of(lexical_matrix(texts)), idf_of(wide_rows(texts)))
        self._idf = (revision, time.monotonic(), weights, len(texts))
        return weights

    def neighbours_many(
        self, node_ids: Iterable[str], rel: Rel | Sequence[Rel] | None = None, direction: Direction = Direction.OUT
    ) -> dict[str, list[tuple[Edge, Node]]]:
        """Edges at many nodes, one query per direction and page of ``batch_size`` ids (of all the types
        named in ``rel`` at once)."""
        ids = list(dict.fromkeys(node_ids))
        rels = None if rel is None else (rel,) if isinstance(rel, Rel) else tuple(dict.fromkeys(rel))
        if rels == ():  # no relationship type named: no edges (as on the embedded store), not all of them
            return {}
        result: dict[str, list[tuple[Edge, Node]]] = {}
        for outgoing in (True, False):
            if not (direction == Direction.BOTH or (direction == Direction.OUT) == outgoing):
                continue
            for chunk in _chunks(ids, self.batch_size):
                for rec in self._read(cypher.neighbours_many(rels, outgoing), "reading neighbours", ids=chunk):
                    other = _node(rec, with_embedding=False)
                    if other is None or rec["rel"] not in _RELS:
                        continue
                    key = rec["key"]
                    src, dst = (key, other.id) if outgoing else (other.id, key)
                    edge = Edge(src, Rel(rec["rel"]), dst, decode_props(rec["rprops"], EDGE_RESERVED))
                    result.setdefault(key, []).append((edge, other))
        return result

    def linked(
        self, node_ids: Iterable[str], rel: Rel, direction: Direction = Direction.IN,
        labels: Iterable[Label] | None = None,
    ) -> dict[str, tuple[list[str], int]]:
        """Nodes one edge away from any of ``node_ids``, with their degree, in one query per page."""
        if direction == Direction.BOTH:
            raise ValueError("linked() needs Direction.IN or Direction.OUT")
        wanted = None if labels is None else set(labels)
        hits: dict[str, set[str]] = defaultdict(set)
        degree: dict[str, int] = {}
        for chunk in _chunks(list(dict.fromkeys(node_ids)), self.batch_size):
            for rec in self._read(cypher.linked(rel, direction == Direction.IN), "reading linked nodes", ids=chunk):
                lab = _label_of(rec["labels"])
                if lab is None or (wanted is not None and lab not in wanted):
                    continue
                hits[rec["id"]].update(rec["hits"])
                degree[rec["id"]] = int(rec["degree"])
        return {b: (sorted(found), degree[b]) for b, found in hits.items()}

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
        """A page of filtered nodes and their total, both counted on the server."""
        equal, not_in = dict(equal or {}), {k: list(v) for k, v in (not_in or {}).items()}
        check_filter_fields(label, [*equal, *not_in])
        order = check_order_field(label, order_by)

        def stored(name: str) -> str:
            return ESCAPE + name if name in NODE_RESERVED or name.startswith(ESCAPE) else name

        page, count = cypher.find_nodes(label, tuple(stored(k) for k in equal), tuple(stored(k) for k in not_in),
                                        ids is not None, id_prefix is not None,
                                        None if order is None else (stored(order[0]), *order[1:]))
        params: dict[str, Any] = {f"eq{i}": _encode_value(k, v) for i, (k, v) in enumerate(equal.items())}
        params |= {f"ni{i}": [_encode_value(k, x) for x in vs] for i, (k, vs) in enumerate(not_in.items())}
        if ids is not None:
            params["ids"] = sorted(set(ids))
        if id_prefix is not None:
            params["prefix"] = id_prefix
        total = int(self._read(count, "counting nodes", **params)[0]["n"])
        recs = self._read(page, "reading nodes", offset=max(offset, 0), limit=max(limit, 0), **params)
        return [n for n in (_node(r, with_embedding=False) for r in recs) if n is not None], total

    def iter_nodes(self, label: Label | None = None) -> Iterator[Node]:
        """Every node (without embedding, like the embedded store), read in pages of ``batch_size``."""
        for lab in [label] if label is not None else list(Label):
            after = ""
            while True:
                recs = self._read(cypher.page_nodes(lab), "reading nodes", after=after, limit=self.batch_size)
                for rec in recs:
                    node = _node(rec, with_embedding=False)
                    if node is not None:
                        yield node
                if len(recs) < self.batch_size:
                    break
                after = recs[-1]["id"]

    def iter_edges(self, rel: Rel | None = None) -> Iterator[Edge]:
        """Every edge, read source node page by source node page."""
        sources = list(Label) if rel is None else [lab for lab in Label if lab in REL_ENDPOINTS[rel][0]]
        for lab in sources:
            after = ""
            while True:
                ids = [r["id"] for r in self._read(cypher.page_ids(lab), "reading edges", after=after,
                                                   limit=self.batch_size)]
                if ids:
                    for rec in self._read(cypher.out_edges(lab, rel), "reading edges", ids=ids):
                        if rec["rel"] in _RELS:
                            yield Edge(rec["src"], Rel(rec["rel"]), rec["dst"],
                                       decode_props(rec["props"], EDGE_RESERVED))
                if len(ids) < self.batch_size:
                    break
                after = ids[-1]

    def count_nodes(self, label: Label | None = None) -> int:
        return int(self._read(cypher.count_nodes(label), "counting nodes")[0]["n"])

    def count_edges(self, rel: Rel | None = None) -> int:
        return int(self._read(cypher.count_edges(rel), "counting edges")[0]["n"])

    def hashes(self, label: Label | None = None) -> dict[str, tuple[str | None, str | None]]:
        out: dict[str, tuple[str | None, str | None]] = {}
        for lab in [label] if label is not None else list(Label):
            for rec in self._read(cypher.hashes(lab), "reading text hashes"):
                out[rec["id"]] = (rec["text_hash"], rec["model"])
        return out
