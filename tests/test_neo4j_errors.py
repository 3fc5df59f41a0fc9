"""The Neo4j store when things go wrong: wrong password, server down, and a service that recovers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pydantic
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from graph.embedded import EmbeddedGraphStore
from graph.erased import erased_among, record_erased, record_erased_contact
from graph.errors import ConfigurationError, StoreUnavailableError
from graph.neo4j_store import Neo4jGraphStore
from graph.schema import Edge, Label, Node, Rel
from ingest.testing import HashingEmbedder
from service.app import create_app
from service.settings import Neo4jSettings, Settings, get_settings
from tests.arcadedb import ArcadeServer, free_port
from tests.conftest import TEST_DATA

pytestmark = pytest.mark.integration


def test_wrong_password_names_the_uri_and_the_cause(arcadedb: ArcadeServer) -> None:
    """A wrong password fails at open with an error naming the server and the refused credentials; it is a
    configuration error (waiting will not fix it), not an outage."""
    store = Neo4jGraphStore.from_uri(arcadedb.bolt_uri, arcadedb.user, "not-the-password", database="kominn")
    with pytest.raises(ConfigurationError) as info:
        store.open()
    message = str(info.value)
    assert arcadedb.bolt_uri in message and "credentials" in message and "KOMINN_NEO4J_PASSWORD" in message
    assert info.value.__cause__ is not None


def test_server_down_names_the_uri_and_the_cause() -> None:
    """Nothing listening: open fails at once with an error naming the URI and that it cannot be reached."""
    uri = f"bolt://127.0.0.1:{free_port()}"
    store = Neo4jGraphStore.from_uri(uri, "neo4j", "pw", database="kominn")
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="cannot reach Neo4j at " + uri) as info:
        store.open()
    assert time.monotonic() - started < 10
    assert "refused" in str(info.value).lower() or "connect" in str(info.value).lower()
    with pytest.raises(StoreUnavailableError):
        store.ping()


def test_unknown_database_is_named(arcadedb: ArcadeServer) -> None:
    """A database that does not exist is named in the error, with the setting to fix."""
    store = Neo4jGraphStore.from_uri(arcadedb.bolt_uri, arcadedb.user, arcadedb.password, database="nosuchdb")
    with pytest.raises(ConfigurationError, match=r"nosuchdb.*KOMINN_NEO4J_DATABASE"):
        store.open()


def test_a_uri_that_is_not_a_bolt_address_is_refused_by_name() -> None:
    """KOMINN_NEO4J_URI without a scheme, or with http://, is a settings error naming the variable's field,
    not a traceback from deep in the driver."""
    for bad in ("127.0.0.1:7687", "http://127.0.0.1:7474", "bolt://host:7687/db x"):
        with pytest.raises(pydantic.ValidationError, match="uri"):
            Neo4jSettings(uri=bad)
    for good in ("bolt://127.0.0.1:7687", "neo4j+s://xxxx.databases.neo4j.io", "bolt+ssc://db.example.no:7687",
                 "neo4j://cluster.example.no:7687?policy=eu"):  # a routing context
        assert Neo4jSettings(uri=good).uri == good


def test_a_write_bigger_than_a_bolt_message_is_split(arcadedb: ArcadeServer) -> None:
    """600 nodes with text (each carrying a 4,096-number lexical vector) in one upsert at the default batch
    size weigh over ArcadeDB's 16 MiB message limit in one UNWIND; the store splits them by size and writes
    all of them."""
    from graph.neo4j_store import MAX_MESSAGE_BYTES, _row_bytes

    store = Neo4jGraphStore.from_uri(arcadedb.bolt_uri, arcadedb.user, arcadedb.password, database="kominn")
    with store:
        nodes = [Node(f"big-{i:04d}", Label.NEED, {"title": f"Behov nummer {i}",
                                                    "description": f"Tekst om behov {i}, med mange ord i seg"})
                 for i in range(600)]
        assert 500 * _row_bytes({"lexical": [0.0] * 4096, "props": ""}) > 2 * MAX_MESSAGE_BYTES
        store.upsert(nodes)
        assert sum(1 for n in store.iter_nodes(Label.NEED) if n.id.startswith("big-")) == 600
        store.delete([n.id for n in nodes])


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[ArcadeServer]:
    """A server of its own, which the test may stop and start again on the same ports."""
    server = ArcadeServer(database="kominn")
    server.start()
    yield server
    server.cleanup()


def _neo4j_settings(server: ArcadeServer, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, store="neo4j",
                    neo4j=Neo4jSettings(uri=server.bolt_uri, user=server.user,
                                        password=SecretStr(server.password), database=server.database))


def test_health_is_503_while_the_server_is_down_and_recovers(restartable: ArcadeServer, tmp_path: Path) -> None:
    """The service starts with the server down, /health says 503 naming it (for the operator), an API call is
    503 without the server's address, and the service recovers by itself."""
    restartable.stop()
    app = create_app(_neo4j_settings(restartable, tmp_path), embedder=HashingEmbedder())
    with TestClient(app) as client:
        down = client.get("/health")
        assert down.status_code == 503
        assert down.json()["status"] == "unavailable" and restartable.bolt_uri in down.json()["detail"]
        search = client.get("/search", params={"q": "biogass"})  # a caller learns it is down, not where it is
        assert search.status_code == 503 and search.json()["error"]["code"] == "store_unavailable"
        assert restartable.bolt_uri not in search.text and restartable.user not in search.text

        restartable.start()
        up = client.get("/health")
        assert up.status_code == 200, up.text
        assert up.json()["nodes"] == 0

        restartable.stop()
        assert client.get("/health").status_code == 503
        restartable.start()
        assert client.get("/health").status_code == 200


def test_staff_pages_say_in_their_language_that_the_database_is_down(tmp_path: Path) -> None:
    """While the Neo4j server is down, a staff page answers 503 with a message in the page's language that says
    to try again and whom to tell, without the server's address."""
    settings = Settings(data_dir=tmp_path, store="neo4j", neo4j=Neo4jSettings(
        uri=f"bolt://127.0.0.1:{free_port()}", user="neo4j", password=SecretStr("pw"), database="kominn"))
    with TestClient(create_app(settings, embedder=HashingEmbedder())) as client:
        nb = client.get("/web/", params={"q": "biogass"})
        assert nb.status_code == 503
        assert "Databasen svarer ikke akkurat nå" in nb.text and "cannot be reached" not in nb.text
        en = client.get("/web/initiatives/ini-001", params={"lang": "en"})
        assert en.status_code == 503 and "The database is not answering just now" in en.text
        assert "127.0.0.1" not in nb.text + en.text


def test_copy_command_moves_the_graph_to_neo4j_and_back(arcadedb: ArcadeServer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`kominn copy` copies the embedded store into Neo4j and back, reporting what it copied, with the learned
    partner weights, what each ingest source delivered and its last run (`kominn sources` lists the same at
    both ends) and the erased ideas; a missing source store is named, not made."""
    from service.cli import app

    database = "copycli"
    arcadedb.create_database(database)
    try:
        for key, value in {"KOMINN_NEO4J_URI": arcadedb.bolt_uri, "KOMINN_NEO4J_USER": arcadedb.user,
                           "KOMINN_NEO4J_PASSWORD": arcadedb.password, "KOMINN_NEO4J_DATABASE": database}.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        first, second = tmp_path / "a", tmp_path / "b"
        with EmbeddedGraphStore(first / "kominn.sqlite") as s:
            s.upsert([Node("t1", Label.TOPIC, {"name": "energi"}), Node("t2", Label.TOPIC, {"name": "vann"})],
                     [Edge("t1", Rel.SIMILAR_TO, "t2", {"score": 0.5})])
            s.set_meta("partner_model", '{"learned": true}')  # what a store keeps beside its graph
            s.set_meta("ingest:sources", '["files:abc"]')
            s.set_meta("ingest:members:files:abc", '["t1", "t2"]')
            s.set_meta("ingest:state:files:abc", json.dumps({"format": "files", "paths": [str(tmp_path)],
                                                             "finished": "2024-05-17T10:00:00+00:00"}))
            record_erased(s, ["idea-gone"])
            s.upsert([Node("idea-back", Label.IDEA, {"title": "t", "text": "x", "submitter_kind": "citizen"}),
                      Node("idea-kept", Label.IDEA, {"title": "u", "text": "y", "submitter_kind": "citizen",
                                                     "contact": "kari@example.no"})],
                     [Edge("idea-back", Rel.TAGGED, "t1")])
        runner = CliRunner()
        missing = runner.invoke(app, ["copy", "--from", "embedded", "--to", "neo4j", "--data-dir", str(tmp_path / "x")])
        assert missing.exit_code == 1 and "There is no store at" in missing.output
        assert not (tmp_path / "x" / "kominn.sqlite").exists()
        with Neo4jGraphStore(uri=arcadedb.bolt_uri, auth=(arcadedb.user, arcadedb.password),
                             database=database) as target:
            record_erased(target, ["idea-back"])  # erased in the target since: not copied back into it
            record_erased_contact(target, "idea-kept", "Kari@example.no ")  # and this contact erased from an idea
        out = runner.invoke(app, ["copy", "--from", "embedded", "--to", "neo4j", "--data-dir", str(first)])
        assert out.exit_code == 0, out.output
        assert "copied 3 nodes and 1 edges" in out.output and arcadedb.bolt_uri in out.output
        assert "left out 1 idea(s) that were erased in" in out.output
        back = runner.invoke(app, ["copy", "--from", "neo4j", "--to", "embedded", "--data-dir", str(second)])
        assert back.exit_code == 0, back.output
        with EmbeddedGraphStore(second / "kominn.sqlite") as s:
            assert s.get("t1").props == {"name": "energi"}
            assert [e.props for e in s.iter_edges()] == [{"score": 0.5}]
            # the learned partner weights and the sources' member lists (for --sync) came along both ways
            assert s.get_meta("partner_model") == '{"learned": true}'
            assert s.get_meta("ingest:members:files:abc") == '["t1", "t2"]'
            assert erased_among(s, ["idea-gone", "t1", "idea-back"]) == {"idea-gone", "idea-back"}  # both stores'
            assert s.get("idea-back") is None and "contact" not in s.get("idea-kept").props  # type: ignore[union-attr]
        listed = [runner.invoke(app, ["sources", "--data-dir", str(d)]).output for d in (first, second)]
        assert listed[0] == listed[1] and "last run 2024-05-17T10:00:00+00:00" in listed[1], listed
        bad = runner.invoke(app, ["copy", "--from", "neo4j", "--to", "neo4j"])
        assert bad.exit_code == 2
    finally:
        get_settings.cache_clear()
        arcadedb.drop_database(database)


@pytest.mark.slow
def test_cli_ingest_and_similar_work_the_same_against_neo4j(arcadedb: ArcadeServer, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With KOMINN_STORE=neo4j, `kominn ingest` writes to the server (a second ingest changes nothing)
    and `kominn similar` answers from it, as on the embedded store."""
    from service.cli import app

    database = "clisimilar"
    arcadedb.create_database(database)
    try:
        for key, value in {"KOMINN_STORE": "neo4j", "KOMINN_NEO4J_URI": arcadedb.bolt_uri,
                           "KOMINN_NEO4J_USER": arcadedb.user, "KOMINN_NEO4J_PASSWORD": arcadedb.password,
                           "KOMINN_NEO4J_DATABASE": database, "KOMINN_NEO4J_ARCADEDB_HTTP": arcadedb.http_url,
                           "KOMINN_DATA_DIR": str(tmp_path)}.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        runner = CliRunner()
        first = runner.invoke(app, ["ingest", str(TEST_DATA / "small")])
        assert first.exit_code == 0 and "created 14" in first.output, first.output
        again = runner.invoke(app, ["ingest", str(TEST_DATA / "small")])
        assert "embedded 0" in again.output and "unchanged 14" in again.output, again.output
        sim = runner.invoke(app, ["similar", "gass av matrester fra husholdningene", "-k", "1", "--json"])
        assert sim.exit_code == 0, sim.output
        assert json.loads(sim.stdout)["items"][0]["id"] == "ini-1"
        assert not (tmp_path / "kominn.sqlite").exists()  # nothing went to the embedded store
    finally:
        get_settings.cache_clear()
        arcadedb.drop_database(database)


def test_arcadedb_http_setting_gives_vector_indexes(arcadedb: ArcadeServer) -> None:
    """KOMINN_NEO4J_ARCADEDB_HTTP reaches the adapter, which then makes ArcadeDB vector indexes; a
    malformed address is refused when the settings are read."""
    database = "httpindex"
    arcadedb.create_database(database)
    try:
        settings = Settings(store="neo4j", neo4j=Neo4jSettings(
            uri=arcadedb.bolt_uri, user=arcadedb.user, password=SecretStr(arcadedb.password), database=database,
            arcadedb_http=arcadedb.http_url))
        store = settings.build_store()
        store.open()
        try:
            store.upsert([Node("i1", Label.INITIATIVE, {"title": "Biogass"}, np.ones(4, dtype=np.float32))])
            assert store.vector_indexes == {Label.INITIATIVE: "Initiative[embedding]"}  # type: ignore[attr-defined]
        finally:
            store.close()
    finally:
        arcadedb.drop_database(database)
    with pytest.raises(pydantic.ValidationError, match="arcadedb_http"):
        Neo4jSettings(arcadedb_http="host:2480; DROP")


def test_cypher_is_parameterised_and_names_come_from_the_enums() -> None:
    """Labels and relationship types outside the enums are refused when building Cypher."""
    from graph import cypher

    with pytest.raises(ValueError):
        cypher.label("Initiative) DETACH DELETE (x")
    with pytest.raises(ValueError):
        cypher.rel_type("OWNED_BY")  # type: ignore[arg-type]
    assert "$rows" in cypher.merge_nodes(Label.IDEA) and json.dumps(cypher.label(Label.IDEA)) == '"`Idea`"'


def test_operator_is_told_when_arcadedb_searches_scan_every_node(arcadedb: ArcadeServer, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """On ArcadeDB without KOMINN_NEO4J_ARCADEDB_HTTP, `kominn ingest` and `kominn stats` say that searches scan
    every node and which setting gives vector indexes; with it, `kominn stats` makes them and says so."""
    from service.cli import app

    database = "scanadvice"
    arcadedb.create_database(database)
    try:
        for key, value in {"KOMINN_STORE": "neo4j", "KOMINN_NEO4J_URI": arcadedb.bolt_uri,
                           "KOMINN_NEO4J_USER": arcadedb.user, "KOMINN_NEO4J_PASSWORD": arcadedb.password,
                           "KOMINN_NEO4J_DATABASE": database, "KOMINN_DATA_DIR": str(tmp_path)}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("KOMINN_NEO4J_ARCADEDB_HTTP", raising=False)
        monkeypatch.setattr("service.settings.Settings.build_embedder", lambda self: HashingEmbedder())
        get_settings.cache_clear()
        runner = CliRunner()
        ingested = runner.invoke(app, ["ingest", str(TEST_DATA / "small")])
        assert ingested.exit_code == 0, ingested.output
        assert "KOMINN_NEO4J_ARCADEDB_HTTP" in ingested.output
        scans = runner.invoke(app, ["stats"])
        assert scans.exit_code == 0, scans.output
        assert "Vector search: exact scans of every node" in scans.output
        assert "KOMINN_NEO4J_ARCADEDB_HTTP" in scans.output
        monkeypatch.setenv("KOMINN_NEO4J_ARCADEDB_HTTP", arcadedb.http_url)
        get_settings.cache_clear()
        indexed = runner.invoke(app, ["stats"])
        assert indexed.exit_code == 0, indexed.output
        assert "Vector search: vector indexes" in indexed.output and "KOMINN_NEO4J_ARCADEDB_HTTP" not in indexed.output
    finally:
        get_settings.cache_clear()
        arcadedb.drop_database(database)
