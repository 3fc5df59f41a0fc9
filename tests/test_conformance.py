"""The GraphStore conformance suite: the same tests against every adapter.

Adapters: the embedded store; the Neo4j adapter on a real Bolt server (ArcadeDB from PyPI, started
once per session) with vector indexes; and the same without them (exact ``vector.similarity.cosine``
scans). Each test gets an empty database of its own. Run only this suite with ``pytest -m conformance``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from graph import migrations
from graph.copy import copy_graph
from graph.embedded import EmbeddedGraphStore
from graph.errors import NotFoundError
from graph.lexical import (
    CHAR_SHARE,
    LEXICAL_DIM,
    idf_of,
    lexical_matrix,
    lexical_vector,
    lexical_vectors,
    word_stems,
)
from graph.neo4j_store import Neo4jGraphStore
from graph.schema import Direction, Edge, Label, Node, Rel
from graph.store import LEXICAL, GraphStore
from ingest.pipeline import ingest
from ingest.testing import HashingEmbedder
from recommend.similar import Recommender
from tests.arcadedb import ArcadeServer  # the session fixture `arcadedb` is in conftest.py

pytestmark = pytest.mark.conformance

TEST_DATA = Path(__file__).resolve().parent / "data"


class Backend:
    """Opens stores on one storage: a store file, or one database on the Bolt server."""

    def __init__(self, kind: str, tmp_path: Path, server: ArcadeServer | None) -> None:
        self.kind = kind
        self.path = tmp_path / "store.sqlite"
        self.server = server
        self.database = f"t{uuid.uuid4().hex[:12]}"
        self.opened: list[GraphStore] = []
        if server is not None:
            server.create_database(self.database)

    def store(self, batch_size: int = 5) -> GraphStore:
        """A new, open store on this backend's storage (small batches, to exercise paging)."""
        s: GraphStore
        if self.server is None:
            s = EmbeddedGraphStore(self.path)
        else:
            s = Neo4jGraphStore.from_uri(
                self.server.bolt_uri, self.server.user, self.server.password, database=self.database,
                batch_size=batch_size, max_transaction_retry_time=5.0,
                arcadedb_http=self.server.http_url if self.kind == "neo4j" else None)
        s.open()
        self.opened.append(s)
        return s

    def teardown(self) -> None:
        for s in self.opened:
            s.close()
        if self.server is not None:
            self.server.drop_database(self.database)


@pytest.fixture(params=["embedded", "neo4j", "neo4j-scan"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    server = None if request.param == "embedded" else request.getfixturevalue("arcadedb")
    b = Backend(request.param, tmp_path, server)
    yield b
    b.teardown()


@pytest.fixture
def gs(backend: Backend) -> GraphStore:
    return backend.store()


def _typed(props: dict[str, Any]) -> dict[str, tuple[type, Any]]:
    return {k: (type(v), v) for k, v in props.items()}


def _present(props: dict[str, Any]) -> dict[str, Any]:
    """Without None values (the embedded store's writer keeps them in memory until it reloads)."""
    return {k: v for k, v in props.items() if v is not None}


def _snapshot(store: GraphStore) -> tuple[dict, set]:
    nodes = {n.id: (n.label, _typed(n.props), n.text_hash, n.model) for n in store.iter_nodes()}
    edges = {(e.src, e.rel, e.dst, tuple(sorted(e.props.items()))) for e in store.iter_edges()}
    return nodes, edges


PROPS: dict[str, Any] = {
    "title": "Økt gjenbruk på Ålgård gjenvinningsstasjon – «ærlig» og åpen",
    "start_date": dt.date(2021, 3, 4),
    "naive": dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
    "aware": dt.datetime(2024, 5, 17, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "count": 3,
    "big": 2**40,
    "ratio": 0.25,
    "flag": True,
    "off": False,
    "tags": ["æ", "ø", "å"],
    "ints": [1, 2, 3],
    "floats": [0.5, 1.5],
    "empty": [],
    "id": "a data property named id",
    "embedding": "a data property named embedding",
    "_model": "a data property named _model",
    "_p_title": "a data property with the escape prefix",
    "missing": None,
}


def test_every_property_type_round_trips(gs: GraphStore, backend: Backend) -> None:
    """Norwegian text, dates, datetimes, numbers, booleans, lists and reserved names come back exactly;
    None means absent."""
    vec = np.arange(8, dtype=np.float32) + 1
    edge_props = {"role": "partner", "since": dt.date(2020, 1, 1), "score": 0.5, "none": None}
    gs.upsert([Node("a", Label.INITIATIVE, PROPS, vec, "model-x", "hash-1"),
               Node("u", Label.ORGANISATION, {"name": "Enhet for æøå"})],
              [Edge("a", Rel.INVOLVES, "u", edge_props)])
    want = {k: v for k, v in PROPS.items() if v is not None}
    for s in (backend.store(), gs):  # a second connection (a reopened file), then the writer itself
        node = s.get("a")
        assert node is not None and node.label == Label.INITIATIVE
        # the embedded store's writer keeps None values in memory until it reloads: compare without them
        assert _typed({k: v for k, v in node.props.items() if v is not None}) == _typed(want)
        assert node.props["aware"].utcoffset() is not None
        assert (node.model, node.text_hash) == ("model-x", "hash-1")
        assert np.allclose(node.embedding, vec / np.linalg.norm(vec), atol=1e-6)
        (edge, other), = s.neighbours("a", Rel.INVOLVES)
        assert other.id == "u" and other.props == {"name": "Enhet for æøå"}
        assert _present(edge.props) == {"role": "partner", "since": dt.date(2020, 1, 1), "score": 0.5}
        assert [n.props for n in s.iter_nodes(Label.INITIATIVE)] == [node.props]
    fresh = backend.store()
    assert _typed(fresh.get("a").props) == _typed(want)
    assert fresh.neighbours("a")[0][0].props == {"role": "partner", "since": dt.date(2020, 1, 1), "score": 0.5}


def test_get_many_keeps_order_and_skips_missing(gs: GraphStore) -> None:
    """get_many returns the existing nodes in the order asked for."""
    gs.upsert([Node(f"t{i}", Label.TOPIC, {"name": str(i)}) for i in range(12)])
    assert [n.id for n in gs.get_many(["t9", "nope", "t0", "t11", "t9"])] == ["t9", "t0", "t11", "t9"]
    assert gs.get("nope") is None
    assert gs.get_many([]) == []


def test_upsert_replaces_properties_and_keeps_embedding_only_for_same_text(gs: GraphStore) -> None:
    """Properties are replaced as a whole; a missing embedding is kept only when text hash and model match."""
    vec = np.ones(4, dtype=np.float32)
    gs.upsert([Node("n", Label.NEED, {"title": "a", "description": "b"}, vec, "m", "h1")])
    gs.upsert([Node("n", Label.NEED, {"title": "a2"}, None, "m", "h1")])
    node = gs.get("n")
    assert node.props == {"title": "a2"}
    assert node.embedding is not None and np.allclose(node.embedding, 0.5)
    gs.upsert([Node("n", Label.NEED, {"title": "a3"}, None, "m", "h2")])
    assert gs.get("n").embedding is None
    assert gs.vector_topk(vec, 5) == []


def test_id_is_unique_across_labels(gs: GraphStore) -> None:
    """Writing an id under another label replaces the node (one node per id) and keeps its edges."""
    gs.upsert([Node("x", Label.TOPIC, {"name": "x"}), Node("o", Label.ORGANISATION, {"name": "o"})],
              [Edge("x", Rel.SIMILAR_TO, "o")])
    gs.upsert([Node("x", Label.NEED, {"title": "x"})])
    assert gs.count_nodes() == 2 and gs.get("x").label == Label.NEED
    assert gs.count_nodes(Label.TOPIC) == 0
    assert [(e.key, n.id) for e, n in gs.neighbours("x", Rel.SIMILAR_TO)] == [(("x", "SIMILAR_TO", "o"), "o")]


def test_failed_batch_writes_nothing(gs: GraphStore) -> None:
    """A batch with a value that cannot be stored leaves neither its nodes nor its edges behind."""
    bad = Node("b", Label.TOPIC, {"name": object()})
    with pytest.raises(TypeError):
        gs.upsert([Node("a", Label.TOPIC, {"name": "ok"}), bad], [Edge("a", Rel.SIMILAR_TO, "b")])
    assert gs.count_nodes() == 0 and gs.count_edges() == 0


def test_neighbours_by_type_and_direction(gs: GraphStore) -> None:
    """Neighbours are filtered by relationship type and direction."""
    gs.upsert(
        [Node(i, Label.ORGANISATION, {"name": i}) for i in ("k", "u1", "u2")]
        + [Node("i", Label.INITIATIVE, {"title": "x", "status": "idea"})],
        [Edge("u1", Rel.PART_OF, "k"), Edge("u2", Rel.PART_OF, "k"), Edge("i", Rel.OWNED_BY, "u1"),
         Edge("i", Rel.INVOLVES, "u2", {"role": "funder"})],
    )
    assert {n.id for _, n in gs.neighbours("k", Rel.PART_OF, Direction.IN)} == {"u1", "u2"}
    assert gs.neighbours("k", Rel.PART_OF, Direction.OUT) == []
    assert {(e.key, n.id) for e, n in gs.neighbours("u1", direction=Direction.BOTH)} == {
        (("u1", "PART_OF", "k"), "k"), (("i", "OWNED_BY", "u1"), "i")}
    assert {(e.rel, e.props.get("role")) for e, _ in gs.neighbours("i")} == {
        (Rel.OWNED_BY, None), (Rel.INVOLVES, "funder")}
    assert gs.neighbours("nope") == []


def test_delete_removes_node_and_its_edges(gs: GraphStore, backend: Backend) -> None:
    """Deleting a node deletes every edge at it; deleting edges counts those that existed."""
    gs.upsert(
        [Node(i, Label.TOPIC, {"name": i}) for i in "abc"],
        [Edge("a", Rel.SIMILAR_TO, "b"), Edge("b", Rel.SIMILAR_TO, "a"), Edge("b", Rel.SIMILAR_TO, "c")],
    )
    assert gs.delete(["a", "a", "nope"]) == 1
    assert gs.get("a") is None and gs.count_edges() == 1
    assert gs.neighbours("b", direction=Direction.BOTH)[0][1].id == "c"
    assert gs.delete_edges([Edge("b", Rel.SIMILAR_TO, "c"), Edge("c", Rel.SIMILAR_TO, "b")]) == 1
    again = backend.store()
    assert again.count_edges() == 0 and again.count_nodes() == 2


def test_edge_to_a_missing_node_is_refused_on_neo4j(arcadedb: ArcadeServer, tmp_path: Path) -> None:
    """On Neo4j an edge needs both ends; the failing batch (nodes written first) leaves nothing behind."""
    backend = Backend("neo4j", tmp_path, arcadedb)
    try:
        gs = backend.store()
        with pytest.raises(NotFoundError, match="ghost"):
            gs.upsert([Node("a", Label.TOPIC, {"name": "a"})], [Edge("a", Rel.SIMILAR_TO, "ghost")])
        assert gs.count_nodes() == 0
    finally:
        backend.teardown()


@pytest.mark.parametrize("k", [1, 5, 40, 50])
def test_vector_topk_matches_numpy_reference(gs: GraphStore, backend: Backend, k: int) -> None:
    """Top-k equals a brute-force cosine ranking (raw cosine scores), with label filter and exclusions; also
    from k = 50, where a vector index is asked for twice as many and the best k are kept."""
    rng = np.random.default_rng(7)
    vecs = rng.normal(size=(60, 16)).astype(np.float32)
    labels = [Label.INITIATIVE if i % 3 else Label.IDEA for i in range(60)]
    gs.upsert([Node(f"n{i:02d}", labels[i], {"title": str(i)}, vecs[i]) for i in range(60)])
    gs.upsert([Node("topic", Label.TOPIC, {"name": "no embedding"})])
    q = rng.normal(size=16).astype(np.float32) * 3
    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    ref = unit @ (q / np.linalg.norm(q))

    def want(keep: set[Label] | None, exclude: set[str]) -> list[str]:
        order = [f"n{i:02d}" for i in np.argsort(-ref)]
        return [i for i in order if (keep is None or labels[int(i[1:])] in keep) and i not in exclude][:k]

    for keep, exclude in [(None, set()), ({Label.INITIATIVE}, {"n01", "n02"}), ({Label.IDEA, Label.NEED}, set())]:
        got = gs.vector_topk(q, k, labels=keep, exclude=exclude)
        assert [i for i, _ in got] == want(keep, exclude)
        assert np.allclose([s for _, s in got], [ref[int(i[1:])] for i, _ in got], atol=1e-5)
    if isinstance(gs, Neo4jGraphStore):  # the vector index where the server can make one, else exact scans
        indexed = backend.kind == "neo4j"
        assert {lab: name is not None for lab, name in gs.vector_indexes.items()} == {
            Label.INITIATIVE: indexed, Label.IDEA: indexed}
        again = backend.store()  # another process finds the same indexes (SHOW INDEXES and the records)
        assert again.vector_indexes == gs.vector_indexes and again.applied_migrations == []
        assert [i for i, _ in again.vector_topk(q, k)] == want(None, set())
    assert gs.vector_topk(np.zeros(16, dtype=np.float32), k) == []
    assert gs.vector_topk(q[:8], k) == []  # another dimension finds nothing


def test_vector_topk_gives_equal_scores_in_id_order(gs: GraphStore, backend: Backend) -> None:
    """Items with the same vector (the same text) come back in id order, not in the order they were written;
    where they decide which items make the k, the first ids do (on exact scans: a vector index decides that
    itself)."""
    rng = np.random.default_rng(3)
    same, other = rng.normal(size=16).astype(np.float32), rng.normal(size=(3, 16)).astype(np.float32)
    gs.upsert([Node(i, Label.INITIATIVE, {"title": i}, same) for i in ("d", "b", "e", "a", "c")]
              + [Node(f"x{j}", Label.INITIATIVE, {"title": f"x{j}"}, other[j]) for j in range(3)])
    assert [i for i, _ in gs.vector_topk(same, 5)] == ["a", "b", "c", "d", "e"]
    assert [i for i, _ in gs.vector_topk(same, 5, exclude={"b"})][:4] == ["a", "c", "d", "e"]
    if backend.kind != "neo4j":
        assert [i for i, _ in gs.vector_topk(same, 2)] == ["a", "b"]
        assert [i for i, _ in gs.vector_topk(same, 2, exclude={"a"})] == ["b", "c"]


def test_lexical_topk_and_scores_match_numpy_reference(gs: GraphStore, backend: Backend) -> None:
    """Lexical top-k and scores equal the cosine of graph.lexical's vectors, computed from the node
    text when written (also after an update), on every store: through a vector index on the lexical
    vectors where the server can make one, by exact scans elsewhere."""
    texts = ["Biogass av matavfall til bussene", "Biogassanlegg ved renseanlegget", "LED-lys i gatene",
             "Ensomhet blant eldre på sykehjem", "Sykkelparkering ved stasjonen", "Matsvinn i barnehager"]
    nodes = [Node(f"i{j}", Label.INITIATIVE if j % 2 else Label.NEED, {"title": t}) for j, t in enumerate(texts)]
    gs.upsert([*nodes, Node("org", Label.ORGANISATION, {"name": "Biogass AS"})])
    gs.upsert([Node("i2", Label.NEED, {"title": "Biogass i bybussene"})])  # new text, new lexical vector
    texts[2] = "Biogass i bybussene"
    query = "biogass fra matavfall"
    ref = lexical_vectors(texts) @ lexical_vector(query)
    order = [f"i{j}" for j in np.argsort(-ref, kind="stable") if ref[j] > 0]
    got = gs.vector_topk(lexical_vector(query), 3, space=LEXICAL)
    assert [i for i, _ in got] == order[:3]
    assert np.allclose([s for _, s in got], [ref[int(i[1:])] for i, _ in got], atol=1e-4)
    needs = gs.vector_topk(lexical_vector(query), 10, labels=[Label.NEED], exclude={"i0"}, space=LEXICAL)
    assert {i for i, _ in needs} <= {"i2", "i4"} and "i2" in {i for i, _ in needs}
    scores = gs.vector_scores(lexical_vector(query), ["i1", "i5", "org", "ghost"], space=LEXICAL)
    assert set(scores) == {"i1", "i5"}  # organisations without a description have no lexical vector
    assert np.allclose([scores["i1"], scores["i5"]], [ref[1], ref[5]], atol=1e-4)
    assert gs.vector_topk(lexical_vector("og i på"), 3, space=LEXICAL) == []  # only stop words
    if isinstance(gs, Neo4jGraphStore):
        indexed = backend.kind == "neo4j"
        assert {lab: name is not None for lab, name in gs.lexical_indexes.items()} == {
            lab: indexed for lab in (Label.FOCUS_AREA, Label.ORGANISATION, Label.NEED, Label.INITIATIVE, Label.IDEA)}


def test_lexical_idf_weights_rare_grams_over_common_ones(gs: GraphStore) -> None:
    """lexical_idf counts, over the stored texts, in how many each lexical bucket occurs: a gram of
    every text weighs 1, one text's own grams weigh more; an empty store weighs everything 1."""
    empty = gs.lexical_idf()
    assert empty.shape == (LEXICAL_DIM,) and np.allclose(empty, 1.0)
    texts = ["Reiseregning i papirskjema", "Reiseregning må signeres", "Reiseregning og Altinn-skjema"]
    gs.upsert([Node(f"n{j}", Label.NEED, {"title": t}) for j, t in enumerate(texts)]
              + [Node("t", Label.TOPIC, {"name": "reiseregning"})])  # topics carry no lexical vector
    idf = gs.lexical_idf()
    expected = idf_of(lexical_matrix(texts))
    assert np.allclose(idf, expected, atol=1e-5)
    common = lexical_vector("reiseregning") > 0
    rare = (lexical_vector("altinn") > 0) & ~common
    assert np.allclose(idf[common], 1.0) and idf[rare].min() > 1.5


def test_a_hidden_idea_s_words_do_not_weigh_on_the_word_weights(gs: GraphStore) -> None:
    """A hidden idea's text counts neither in lexical_idf nor in the document frequencies of tfidf_scores (its
    words would change what others' searches find, and tell that they were written); once it is visible again,
    it counts."""
    texts = ["Reiseregning i papirskjema", "Reiseregning må signeres"]
    gs.upsert([Node(f"n{j}", Label.NEED, {"title": t}) for j, t in enumerate(texts)])
    before, scores = gs.lexical_idf(), gs.tfidf_scores("reiseregning papirskjema", ["n0", "n1"])
    idea = {"title": "Papirskjema for reiseregning", "text": "Reiseregning på papir tar tid",
            "submitter_kind": "citizen"}
    gs.upsert([Node("i1", Label.IDEA, {**idea, "status": "hidden"})])
    assert np.allclose(gs.lexical_idf(), before)
    assert gs.tfidf_scores("reiseregning papirskjema", ["n0", "n1"]) == pytest.approx(scores, abs=1e-6)
    gs.upsert([Node("i1", Label.IDEA, {**idea, "status": "new"})])
    assert not np.allclose(gs.lexical_idf(), before)
    assert np.allclose(gs.lexical_idf(), idf_of(lexical_matrix([*texts, "Papirskjema for reiseregning\n"
                                                                "Reiseregning på papir tar tid"])), atol=1e-5)


def test_tfidf_scores_equal_a_character_and_a_word_stem_tfidf_fitted_on_the_stored_texts(gs: GraphStore) -> None:
    """tfidf_scores gives, for the asked nodes with text, the blend of the cosines that a character
    TF-IDF (3-5-grams) and a TF-IDF of word stems (dampened counts) fitted on all stored texts give;
    nodes without text and unknown ids get nothing."""
    texts = {"n0": "Reiseregning i papirskjema", "n1": "Reiseregningen i SAP må signeres",
             "n2": "Altinn-skjema for sykefravær", "n3": "Sykefravær rapporteres to ganger"}
    gs.upsert([Node(i, Label.NEED, {"title": t}) for i, t in texts.items()]
              + [Node("org", Label.ORGANISATION, {"name": "Etat"}), Node("t", Label.TOPIC, {"name": "skjema"})])
    query = "reiseregning i SAP"
    ref = np.zeros(len(texts))
    for share, vectorizer in ((CHAR_SHARE, TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
                              (1 - CHAR_SHARE, TfidfVectorizer(analyzer=word_stems, sublinear_tf=True))):
        vectorizer.fit(list(texts.values()))
        ref += share * (vectorizer.transform(list(texts.values())) @ vectorizer.transform([query]).T).toarray().ravel()
    got = gs.tfidf_scores(query, ["n0", "n1", "n2", "n3", "org", "t", "ghost"])
    assert set(got) == set(texts)
    assert np.allclose([got[i] for i in texts], ref, atol=1e-4)
    assert got["n1"] > got["n0"] > 0 and got["n2"] == 0
    gs.upsert([Node("n4", Label.NEED, {"title": "Reiseregning i SAP"})])  # a later write is scored at once
    assert gs.tfidf_scores(query, ["n4"])["n4"] == pytest.approx(1.0, abs=1e-4)


def test_neo4j_database_from_before_lexical_vectors_is_back_filled(arcadedb: ArcadeServer, tmp_path: Path) -> None:
    """Nodes written without lexical vectors (an older KomInn) get them on the next open, once,
    recorded as a migration; lexical search then finds them."""
    backend = Backend("neo4j-scan", tmp_path, arcadedb)
    try:
        gs = backend.store(batch_size=2)
        gs.upsert([Node(f"n{i}", Label.NEED, {"title": t}) for i, t in
                   enumerate(["Biogass av matavfall", "LED-lys i gatene", "Ensomhet blant eldre"])])
        assert isinstance(gs, Neo4jGraphStore)
        driver = gs._ensure_open()
        driver.execute_query("MATCH (n:Need) REMOVE n._lexical", database_=backend.database)
        driver.execute_query("MATCH (m:KomInnMigration {id: $id}) DELETE m", id=migrations.LEXICAL_MIGRATION,
                             database_=backend.database)
        assert gs.vector_topk(lexical_vector("biogassanlegg"), 2, space=LEXICAL) == []
        again = backend.store(batch_size=2)
        assert migrations.LEXICAL_MIGRATION in again.applied_migrations  # type: ignore[attr-defined]
        assert [i for i, _ in again.vector_topk(lexical_vector("biogassanlegg"), 1, space=LEXICAL)] == ["n0"]
        assert backend.store().applied_migrations == []  # type: ignore[attr-defined]
    finally:
        backend.teardown()


def test_find_nodes_filters_pages_and_counts(gs: GraphStore) -> None:
    """find_nodes filters by property values (a missing property is never among excluded values),
    restricts to ids, sorts by id and pages, with the total of all matches; unknown fields are refused."""
    statuses = ["new", "hidden", None, "new", "merged", "reviewed", "new"]
    gs.upsert([Node(f"d{i}", Label.IDEA, {"title": f"idé {i}", "status": st, "submitter_kind": "citizen" if i % 2
                                         else "employee"}) for i, st in enumerate(statuses)]
              + [Node("x", Label.INITIATIVE, {"title": "ikke en idé", "status": "new"})])
    page, total = gs.find_nodes(Label.IDEA, not_in={"status": ["hidden", "merged"]}, offset=1, limit=3)
    assert ([n.id for n in page], total) == (["d2", "d3", "d5"], 5)
    page, total = gs.find_nodes(Label.IDEA, equal={"status": "new", "submitter_kind": "employee"})
    assert ([n.id for n in page], total) == (["d0", "d6"], 2)
    page, total = gs.find_nodes(Label.IDEA, equal={"status": "new"}, ids=["d3", "d4", "x", "ghost"])
    assert ([n.id for n in page], total) == (["d3"], 1)
    assert all(n.embedding is None and n.props["title"] for n in page)
    assert gs.find_nodes(Label.IDEA, ids=[]) == ([], 0)
    page, total = gs.find_nodes(Label.IDEA, id_prefix="d", equal={"status": "new"}, limit=1)
    assert ([n.id for n in page], total) == (["d0"], 3)
    assert gs.find_nodes(Label.IDEA, id_prefix="x") == ([], 0)
    with pytest.raises(ValueError, match="no field"):
        gs.find_nodes(Label.IDEA, equal={"name` = 1 OR true //": "x"})


def test_find_nodes_orders_by_a_field_with_missing_values_last(gs: GraphStore) -> None:
    """find_nodes sorts by a field, ascending or descending: titles in Norwegian order (case and accents aside,
    æ, ø, å after z), dates as dates (also a datetime or a date kept as text among them); nodes without the
    field come last either way and ties keep id order, page after page; a name that is not a field is refused."""
    rows = [("a", "Zebra", dt.date(2021, 5, 1)), ("b", "alfa", None), ("c", "Øst", "2023-01-01"),
            ("d", "Ærlig", dt.datetime(2021, 5, 1, 12, 0)), ("e", "Én dør inn", dt.date(2019, 12, 31)),
            ("f", "Ålesund", dt.date(2021, 5, 1)), ("g", "beta", None)]
    gs.upsert([Node(i, Label.INITIATIVE, {k: v for k, v in {"title": t, "status": "ongoing",
                                                               "start_date": d}.items() if v}) for i, t, d in rows])

    def ids(order: str, **kw: int) -> list[str]:
        return [n.id for n in gs.find_nodes(Label.INITIATIVE, order_by=order, **kw)[0]]
    assert ids("title") == ["b", "g", "e", "a", "d", "c", "f"]  # alfa beta Én Zebra Ærlig Øst Ålesund
    assert ids("-title", offset=4) == ["e", "g", "b"]
    assert ids("-start_date") == ["c", "d", "a", "f", "e", "b", "g"]
    assert ids("start_date") == ["e", "a", "f", "d", "c", "b", "g"]
    assert ids("-start_date", offset=1, limit=2) == ["d", "a"]
    for bad in ("nope", "-", "title` DESC //"):
        with pytest.raises(ValueError, match="no field"):
            gs.find_nodes(Label.INITIATIVE, order_by=bad)


def test_vector_scores_of_embeddings(gs: GraphStore) -> None:
    """vector_scores gives the cosine of the query with each given node's embedding, skipping nodes without one."""
    rng = np.random.default_rng(3)
    vecs = rng.normal(size=(4, 8)).astype(np.float32)
    gs.upsert([Node(f"n{i}", Label.IDEA, {"title": f"idé {i}"}, vecs[i]) for i in range(4)]
              + [Node("t", Label.TOPIC, {"name": "emne"})])
    q = rng.normal(size=8).astype(np.float32)
    got = gs.vector_scores(q, ["n3", "n0", "t", "ghost"])
    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    assert set(got) == {"n0", "n3"}
    assert np.allclose([got["n0"], got["n3"]], unit[[0, 3]] @ (q / np.linalg.norm(q)), atol=1e-5)


def test_neighbours_many_and_linked(gs: GraphStore) -> None:
    """The batched neighbourhood reads agree with neighbours(): edges per node, and the items tagged
    with given topics, with the topics they hit and their own topic count."""
    gs.upsert(
        [Node(t, Label.TOPIC, {"name": f"emne {t}"}) for t in ("t1", "t2", "t3")]
        + [Node(i, Label.INITIATIVE, {"title": i}) for i in ("a", "b", "c")]
        + [Node("n", Label.NEED, {"title": "behov"}), Node("u", Label.ORGANISATION, {"name": "enhet"})],
        [Edge("a", Rel.TAGGED, "t1"), Edge("a", Rel.TAGGED, "t2"), Edge("b", Rel.TAGGED, "t2"),
         Edge("b", Rel.TAGGED, "t3"), Edge("c", Rel.TAGGED, "t3"), Edge("n", Rel.TAGGED, "t1"),
         Edge("a", Rel.OWNED_BY, "u"), Edge("b", Rel.OWNED_BY, "u")],
    )
    many = gs.neighbours_many(["a", "c", "ghost", "a"], Rel.TAGGED)
    assert {k: sorted(n.id for _, n in v) for k, v in many.items()} == {"a": ["t1", "t2"], "c": ["t3"]}
    assert all(n.embedding is None and n.props for v in many.values() for _, n in v)
    everything = gs.neighbours_many(["a"])
    assert {(e.rel, n.id) for e, n in everything["a"]} == {(e.rel, n.id) for e, n in gs.neighbours("a")}
    inbound = gs.neighbours_many(["u", "t3"], direction=Direction.IN)
    # several relationship types in one call: the edges of each of them, and of no other
    both = gs.neighbours_many(["a", "b"], (Rel.OWNED_BY, Rel.TAGGED))
    assert {k: sorted((e.rel.value, n.id) for e, n in v) for k, v in both.items()} == {
        "a": [("OWNED_BY", "u"), ("TAGGED", "t1"), ("TAGGED", "t2")],
        "b": [("OWNED_BY", "u"), ("TAGGED", "t2"), ("TAGGED", "t3")]}
    assert gs.neighbours_many(["u", "n"], (Rel.OWNED_BY, Rel.INVOLVES), Direction.IN).keys() == {"u"}
    assert gs.neighbours_many(["a", "b"], ()) == {}  # no type named: no edges, on every store
    assert {k: sorted(e.src for e, _ in v) for k, v in inbound.items()} == {"u": ["a", "b"], "t3": ["b", "c"]}
    assert gs.linked(["t1", "t2"], Rel.TAGGED) == {"a": (["t1", "t2"], 2), "b": (["t2"], 2), "n": (["t1"], 1)}
    assert gs.linked(["t1", "t2"], Rel.TAGGED, labels=[Label.INITIATIVE]) == {
        "a": (["t1", "t2"], 2), "b": (["t2"], 2)}
    assert gs.linked(["a"], Rel.TAGGED, Direction.OUT) == {"t1": (["a"], 2), "t2": (["a"], 2)}
    assert gs.linked(["ghost"], Rel.TAGGED) == {}
    assert gs.linked(["t2", "t1"], Rel.TAGGED)["a"] == (["t1", "t2"], 2)  # topics listed sorted, whatever the order
    # a later change shows in the next read (nothing stale is remembered)
    gs.upsert([], [Edge("c", Rel.TAGGED, "t1")])
    assert gs.linked(["t1", "t2"], Rel.TAGGED, labels=[Label.INITIATIVE])["c"] == (["t1"], 2)
    gs.delete_edges([Edge("a", Rel.TAGGED, "t1")])
    assert gs.linked(["t1", "t2"], Rel.TAGGED)["a"] == (["t2"], 1)


def test_iterate_and_count_across_pages(gs: GraphStore) -> None:
    """iter_nodes, iter_edges and the counts see every node and edge (more than one page of them)."""
    topics = [Node(f"t{i:02d}", Label.TOPIC, {"name": f"emne {i}"}) for i in range(23)]
    orgs = [Node(f"o{i}", Label.ORGANISATION, {"name": f"org {i}", "kind": "unit"}) for i in range(4)]
    edges = [Edge(f"t{i:02d}", Rel.SIMILAR_TO, f"t{(i + 1) % 23:02d}", {"score": i / 23}) for i in range(23)]
    edges += [Edge(f"o{i}", Rel.PART_OF, "o0") for i in range(1, 4)]
    gs.upsert(topics + orgs, edges)
    assert gs.count_nodes() == 27 and gs.count_nodes(Label.TOPIC) == 23 and gs.count_nodes(Label.IDEA) == 0
    assert gs.count_edges() == 26 and gs.count_edges(Rel.PART_OF) == 3
    assert sorted(n.id for n in gs.iter_nodes()) == sorted(n.id for n in topics + orgs)
    assert all(n.embedding is None for n in gs.iter_nodes())
    assert {(e.key, e.props.get("score")) for e in gs.iter_edges()} == {(e.key, e.props.get("score")) for e in edges}
    assert {e.key for e in gs.iter_edges(Rel.PART_OF)} == {e.key for e in edges[23:]}


def test_hashes_and_meta(gs: GraphStore) -> None:
    """hashes maps every id to its text hash and model; settings round-trip."""
    gs.upsert([Node("i", Label.IDEA, {"title": "t", "text": "x"}, np.ones(3), "m", "h"),
               Node("t", Label.TOPIC, {"name": "t"})])
    assert gs.hashes() == {"i": ("h", "m"), "t": (None, None)}
    assert gs.hashes(Label.IDEA) == {"i": ("h", "m")}
    assert gs.get_meta("embedding_model") is None
    gs.set_meta("embedding_model", "modell æøå")
    gs.set_meta("embedding_model", "modell 2")
    assert gs.get_meta("embedding_model") == "modell 2"


def test_many_settings_are_read_at_once_and_listed_by_prefix(gs: GraphStore) -> None:
    """get_meta_many gives the settings of the asked keys that are set (any number of keys, one read or a few);
    meta_keys lists the keys with a prefix, sorted, and nothing else (so ``a%`` or ``_`` are no wildcards)."""
    gs.set_meta("erased:idea:b", "2026-01-02")
    gs.set_meta("erased:idea:a", "2026-01-01")
    gs.set_meta("erased:ideasx", "no")
    gs.set_meta("embedding_model", "m")
    many = [f"erased:idea:{i}" for i in range(1200)] + ["erased:idea:a", "erased:idea:b", "erased:idea:b"]
    assert gs.get_meta_many(many) == {"erased:idea:a": "2026-01-01", "erased:idea:b": "2026-01-02"}
    assert gs.get_meta_many([]) == {}
    assert gs.meta_keys("erased:idea:") == ["erased:idea:a", "erased:idea:b"]
    assert gs.meta_keys("erased:idea_") == [] and gs.meta_keys("%") == []


def test_settings_are_removed_by_key(gs: GraphStore) -> None:
    """delete_meta removes exactly the named settings (a key named twice or not set is no error) and says how
    many it removed; the others stay."""
    gs.set_meta("ingest:members:a", "[]")
    gs.set_meta("ingest:state:a", "{}")
    gs.set_meta("ingest:members:b", '["x"]')
    assert gs.delete_meta(["ingest:members:a", "ingest:state:a", "ingest:state:a", "ingest:none"]) == 2
    assert gs.meta_keys("ingest:") == ["ingest:members:b"] and gs.get_meta("ingest:members:a") is None
    assert gs.delete_meta([]) == 0


def test_revision_changes_on_every_write_also_from_another_process(gs: GraphStore, backend: Backend) -> None:
    """The revision changes when the graph changes, also when another store instance wrote."""
    other = backend.store()
    r0 = gs.revision()
    assert gs.revision() == r0
    other.upsert([Node("a", Label.TOPIC, {"name": "a"})])
    r1 = gs.revision()
    assert r1 != r0
    other.upsert(edges=[Edge("a", Rel.SIMILAR_TO, "a")])
    r2 = gs.revision()
    other.delete_edges([Edge("a", Rel.SIMILAR_TO, "a")])
    r3 = gs.revision()
    other.delete(["a"])
    assert len({r0, r1, r2, r3, gs.revision()}) == 5
    gs.ping()


def test_reingest_changes_nothing(gs: GraphStore, backend: Backend) -> None:
    """A second ingest of the same files writes nothing, embeds nothing and (on Neo4j) migrates nothing."""
    embedder = HashingEmbedder()
    first = ingest(gs, embedder, [TEST_DATA / "small"], batch_size=4)
    assert first.created > 0 and first.embedded > 0
    before, rev = _snapshot(gs), gs.revision()
    again = backend.store()
    second = ingest(again, embedder, [TEST_DATA / "small"], batch_size=4)
    assert (second.created, second.updated, second.embedded, second.edges_written, second.edges_removed) == (
        0, 0, 0, 0, 0)
    assert _snapshot(again) == before and gs.revision() == rev
    if isinstance(again, Neo4jGraphStore):
        assert again.applied_migrations == []


@pytest.fixture(scope="module")
def demo_reference(demo_db: Path) -> Iterator[EmbeddedGraphStore]:
    with EmbeddedGraphStore(demo_db) as s:
        yield s


def _ranking(result: Any) -> list[tuple[str, float, tuple[str, ...]]]:
    return [(i.id, i.score, tuple(sorted(r.kind for r in i.reasons))) for i in result.items]


def _same_ranking(a: list[tuple[str, float, tuple]], b: list[tuple[str, float, tuple]]) -> None:
    """Equal rankings, allowing near-ties (scores within 1e-3) to come in either order."""
    assert len(a) == len(b)
    assert np.allclose([s for _, s, _ in a], [s for _, s, _ in b], atol=1e-3)
    i = 0
    while i < len(a):
        j = i + 1
        while j < len(a) and abs(a[j][1] - a[i][1]) < 1e-3:
            j += 1
        assert {(x[0], x[2]) for x in a[i:j]} == {(x[0], x[2]) for x in b[i:j]}
        i = j


@pytest.mark.slow
def test_recommender_gives_the_same_results_on_every_store(
    backend: Backend, demo_reference: EmbeddedGraphStore, real_embedder: Any
) -> None:
    """Similar items (by item and by text, cross-silo or not) are the same on every store for the demo data."""
    target = backend.store(batch_size=200)
    copy_graph(demo_reference, target, batch_size=200)
    want, got = Recommender(demo_reference, real_embedder), Recommender(target, real_embedder)
    labels_all = (Label.INITIATIVE, Label.IDEA, Label.NEED)
    item_ids = sorted(n.id for n in demo_reference.iter_nodes(Label.INITIATIVE))[:4]
    item_ids += sorted(n.id for n in demo_reference.iter_nodes(Label.IDEA))[:2]
    assert item_ids, "the demo data has initiatives and ideas"
    queries = [(i, {"cross_silo": c}) for i in item_ids for c in (False, True)]
    queries += [("digitalt nattilsyn med sensorer i hjemmetjenesten", {}),
                ("solceller på kommunale bygg", {"labels": labels_all}),
                ("ensomhet blant eldre", {"k": 3, "labels": labels_all})]
    for query, options in queries:
        a, b = want.similar(query, **options), got.similar(query, **options)
        _same_ranking(_ranking(a), _ranking(b))
        assert (a.query_id, a.excluded_owner, a.notes) == (b.query_id, b.excluded_owner, b.notes)


class _NoWholeGraph:
    """A store whose whole-graph reads fail: what the recommenders may not use while answering."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in ("iter_nodes", "iter_edges", "hashes"):
            raise AssertionError(f"the recommender read the whole graph ({name})")
        return getattr(self.inner, name)


@pytest.mark.slow
def test_recommenders_answer_without_reading_the_whole_graph(
    backend: Backend, demo_reference: EmbeddedGraphStore, real_embedder: Any
) -> None:
    """Similar search (by item and text, cross-silo), partners and reuse run on the store's own
    queries: none of them iterates over all nodes or edges."""
    from recommend.partners import PartnerRecommender
    from recommend.reuse import check_idea, reuse

    target = backend.store(batch_size=200)
    copy_graph(demo_reference, target, batch_size=200)
    guarded = _NoWholeGraph(target)
    rec = Recommender(guarded, real_embedder)  # type: ignore[arg-type]
    first = rec.similar("ini-001", k=5, cross_silo=True)
    assert first.items and first.excluded_owner is not None
    assert rec.similar("solceller på kommunale bygg", k=5, labels=(Label.INITIATIVE, Label.IDEA, Label.NEED)).items
    assert PartnerRecommender(guarded, rec).partners("ini-001", k=5)  # type: ignore[arg-type]
    need = sorted(n.id for n in demo_reference.iter_nodes(Label.NEED))[0]
    reuse(rec, need, k=3)
    check_idea(rec, "Biogass av matavfall til bussene")


@pytest.mark.slow
def test_copy_to_a_store_and_back_loses_nothing(backend: Backend, demo_reference: EmbeddedGraphStore,
                                                 tmp_path: Path) -> None:
    """Copying the demo graph into a store and back gives the same nodes, embeddings, edges and settings."""
    middle = backend.store(batch_size=100)
    there = copy_graph(demo_reference, middle, batch_size=100)
    with EmbeddedGraphStore(tmp_path / "back.sqlite") as back:
        again = copy_graph(middle, back, batch_size=64)
        assert there == again
        assert there.nodes == demo_reference.count_nodes() and there.edges == demo_reference.count_edges()
        assert _snapshot(back) == _snapshot(demo_reference)
        ids = sorted(n.id for n in demo_reference.iter_nodes())
        for a, b in zip(demo_reference.get_many(ids), back.get_many(ids), strict=True):
            assert (a.embedding is None) == (b.embedding is None)
            if a.embedding is not None:
                assert np.allclose(a.embedding, b.embedding, atol=1e-6)
        assert back.get_meta("embedding_model") == demo_reference.get_meta("embedding_model")


@pytest.fixture(scope="module")
def demo_hashed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedGraphStore]:
    """The demo data with the hashing embedder (no model): a graph to copy to every store."""
    from ingest.demo import load_demo

    with EmbeddedGraphStore(tmp_path_factory.mktemp("demo-hashed") / "kominn.sqlite") as s:
        load_demo(s, HashingEmbedder())
        yield s


def test_a_copy_remembers_each_source_so_the_same_files_are_not_read_again(backend: Backend,
                                                                         demo_hashed: EmbeddedGraphStore) -> None:
    """A store copied from one holding the demo data lists the same sources (items, paths, last run), and ingesting
    the same files into it reads nothing and writes no node or edge."""
    from ingest.demo import load_demo
    from ingest.sources import list_sources

    target = backend.store(batch_size=200)
    copy_graph(demo_hashed, target, batch_size=200)
    (listed,) = list_sources(target)
    assert list_sources(target) == list_sources(demo_hashed) and listed.last_run and listed.finished is True
    before = _snapshot(target)
    again = load_demo(target, HashingEmbedder())
    assert again.files_unchanged and again.unchanged == listed.items
    assert (again.read, again.created, again.updated, again.embedded, again.edges_written, again.retired) == (
        0, 0, 0, 0, 0, 0)
    assert _snapshot(target) == before


def test_graph_view_shows_the_same_items_on_every_store(backend: Backend,
                                                       demo_hashed: EmbeddedGraphStore) -> None:
    """The graph page of an item with more neighbours than it shows keeps the same items, links and layout
    on every store."""
    from service.explore import neighbourhood

    target = backend.store(batch_size=200)
    copy_graph(demo_hashed, target, batch_size=200)
    want = neighbourhood(demo_hashed, "ini-001", depth=2, max_nodes=30)
    assert want["truncated"], "the view must be cut short for this test to mean anything"
    assert neighbourhood(target, "ini-001", depth=2, max_nodes=30) == want


def test_export_is_the_same_file_on_every_store(backend: Backend, demo_hashed: EmbeddedGraphStore,
                                               tmp_path: Path) -> None:
    """Exporting the same graph gives the same GraphML and JSON files, byte for byte, from every store, and an
    item's properties come in the same order."""
    from graph.export import export_graphml, export_json

    target = backend.store(batch_size=200)
    copy_graph(demo_hashed, target, batch_size=200)
    for export, name in ((export_json, "g.json"), (export_graphml, "g.graphml")):
        export(demo_hashed, tmp_path / f"want-{name}")
        export(target, tmp_path / f"got-{name}")
        assert (tmp_path / f"got-{name}").read_bytes() == (tmp_path / f"want-{name}").read_bytes(), name
    again = backend.store()  # read back by another connection (a reopened file): in name order on every store
    for node in again.get_many(["ini-001", "org-fjordvik", "idea-004"]):
        assert list(node.props) == sorted(node.props)


@pytest.mark.slow
def test_similar_edges_have_the_same_scores_on_every_store(backend: Backend,
                                                           demo_reference: EmbeddedGraphStore) -> None:
    """The similar-item links that ingest derives for the demo data link the same items with the same scores
    (all four decimals) on every store, as the graph view and the exports show them."""
    from ingest.derived import SIMILAR_LABELS, update_similar

    target = backend.store(batch_size=200)
    copy_graph(demo_reference, target, batch_size=200)
    target.delete_edges(list(target.iter_edges(Rel.SIMILAR_TO)))
    update_similar(target, [n.id for lab in SIMILAR_LABELS for n in target.iter_nodes(lab)])

    def similar(store: GraphStore) -> dict[tuple[str, str], float]:
        return {(e.src, e.dst): e.props["score"] for e in store.iter_edges(Rel.SIMILAR_TO)}

    want = similar(demo_reference)
    assert len(want) > 100
    assert similar(target) == want
