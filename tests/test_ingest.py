"""Ingest: documented formats in, the same graph after reopening, bad input rejected whole."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from graph.embedded import EmbeddedGraphStore
from graph.errors import ValidationError
from graph.schema import Direction, Label, Rel
from ingest.pipeline import ingest
from ingest.testing import HashingEmbedder
from tests.conftest import TEST_DATA

SMALL = TEST_DATA / "small"
BAD = TEST_DATA / "bad"


def _snapshot(store: EmbeddedGraphStore) -> tuple[dict, set]:
    nodes = {n.id: (n.label, n.props, n.text_hash) for n in store.iter_nodes()}
    edges = {(e.src, e.rel, e.dst, tuple(sorted(e.props.items()))) for e in store.iter_edges()}
    return nodes, edges


def test_ingest_reads_every_format_into_the_graph(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder) -> None:
    """CSV, JSON and JSONL files of all five kinds become nodes and the documented relationships."""
    summary = ingest(store, fake_embedder, [SMALL])
    assert summary.created == store.count_nodes()
    assert store.count_nodes(Label.INITIATIVE) == 2 and store.count_nodes(Label.IDEA) == 2
    assert store.get("ini-1").props["start_date"] == dt.date(2019, 1, 1)
    partners = store.neighbours("ini-1", Rel.INVOLVES)
    assert [(e.dst, e.props["role"]) for e, _ in partners] == [("org-biogass", "supplier")]
    assert {n.id for _, n in store.neighbours("ini-1", Rel.TAGGED)} == {"topic:biogass", "topic:matavfall"}
    assert {n.id for _, n in store.neighbours("org-test", Rel.PART_OF, Direction.IN)} == {"unit-helse", "unit-teknisk"}
    assert store.get("idea-2").props["status"] == "reviewing" and store.get("idea-1").props["status"] == "new"
    assert store.get("ini-1").embedding is not None and store.get("ini-1").model == fake_embedder.name


def test_reopen_after_ingest_gives_the_same_graph(tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    """Closing and reopening the store file restores exactly the ingested graph."""
    path = tmp_path / "s.sqlite"
    with EmbeddedGraphStore(path) as s:
        ingest(s, fake_embedder, [SMALL])
        before = _snapshot(s)
    with EmbeddedGraphStore(path) as s:
        assert _snapshot(s) == before


def test_second_ingest_embeds_and_changes_nothing(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder) -> None:
    """Re-ingesting unchanged files embeds no text and writes nothing."""
    ingest(store, fake_embedder, [SMALL])
    before, encoded = _snapshot(store), fake_embedder.texts_encoded
    summary = ingest(store, fake_embedder, [SMALL])
    assert summary.embedded == 0 and fake_embedder.texts_encoded == encoded
    assert summary.created == summary.updated == summary.edges_written == summary.edges_removed == 0
    assert _snapshot(store) == before


def test_changed_row_is_updated_and_only_it_reembedded(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """Changing one initiative's text re-embeds that one only, and its dropped links are removed."""
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    ingest(store, fake_embedder, [data])
    csv = data / "initiatives.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(
        "blir biogass til bussene,completed,2019-01-01,2021-06-30,unit-teknisk,org-biogass:supplier",
        "blir biogass og biogjødsel,completed,2019-01-01,2021-06-30,unit-teknisk,"), encoding="utf-8")
    summary = ingest(store, fake_embedder, [data])
    assert summary.embedded == 1 and summary.updated == 1
    assert "biogjødsel" in store.get("ini-1").props["description"]
    assert store.neighbours("ini-1", Rel.INVOLVES) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["initiatives.csv"], ["initiatives.csv, row 3, field 'title': required field is missing",
                               "initiatives.csv, row 4, field 'status': 'kanskje' is not one of"]),
        (["semicolon.csv"], ["semicolon.csv, row 1: the header has one column containing ';'"]),
        (["latin1.csv"], ["latin1.csv, row 2: not UTF-8"]),
    ],
)
def test_bad_rows_are_reported_with_file_row_and_field_and_nothing_is_written(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path, files: list[str], expected: list[str]
) -> None:
    """Each bad row is named by file, row and field, and the store stays empty."""
    for f in files:
        shutil.copy(BAD / f, tmp_path / f)
    kind = None if files == ["initiatives.csv"] else "organisations"
    with pytest.raises(ValidationError) as err:
        ingest(store, fake_embedder, [tmp_path / f for f in files], kind=kind)
    message = str(err.value)
    for part in expected:
        assert part in message
    assert store.count_nodes() == 0 and fake_embedder.texts_encoded == 0


def test_links_to_unknown_ids_and_duplicate_ids_are_rejected(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A link to an id that exists nowhere, or an id given twice, rejects the whole ingest."""
    (tmp_path / "initiatives.jsonl").write_text(
        '{"id": "a", "title": "A", "status": "idea", "owner": "nowhere"}\n'
        '{"id": "a", "title": "B", "status": "idea", "owner": "nowhere"}\n', encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        ingest(store, fake_embedder, [tmp_path])
    text = str(err.value)
    assert "row 2, field 'id': duplicate id 'a'" in text
    with pytest.raises(ValidationError) as err:
        ingest(store, fake_embedder, [tmp_path / "initiatives.jsonl"], kind="initiatives")
    assert "field 'owner': links to 'nowhere'" in str(err.value) or "duplicate id" in str(err.value)
    assert store.count_nodes() == 0


def test_link_to_wrong_kind_and_unknown_field_are_rejected(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """An owner that is not an organisation, and a misspelt column, are both reported."""
    ingest(store, fake_embedder, [SMALL])
    (tmp_path / "initiatives.json").write_text(
        '[{"id": "x", "title": "X", "status": "idea", "owner": "need-avfall", "tittel": "feil"}]', encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        ingest(store, fake_embedder, [tmp_path])
    text = str(err.value)
    assert "field 'tittel': unknown field" in text
    assert store.get("x") is None


def test_html_is_stripped_and_long_fields_are_refused(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """HTML tags are removed from text; a title over the limit is refused with its length."""
    ingest(store, fake_embedder, [SMALL])
    (tmp_path / "needs.json").write_text(
        '[{"id": "n1", "title": "<b>Kø</b> på legevakten", "description": "Lange <i>ventetider</i>"}]',
        encoding="utf-8")
    ingest(store, fake_embedder, [tmp_path])
    assert store.get("n1").props == {"title": "Kø på legevakten", "description": "Lange ventetider"}
    (tmp_path / "needs.json").write_text('[{"id": "n2", "title": "' + "x" * 301 + '"}]', encoding="utf-8")
    with pytest.raises(ValidationError, match="301 characters, at most 300"):
        ingest(store, fake_embedder, [tmp_path])
