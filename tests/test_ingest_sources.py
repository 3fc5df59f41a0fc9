"""Ingest of real source formats and tables: adapters, mappings, entity resolution, bad input, sync."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from graph.embedded import EmbeddedGraphStore
from graph.errors import ValidationError
from graph.meta import SIMILAR_KEY
from graph.schema import Direction, Label, Rel
from ingest.derived import VERSION
from ingest.pipeline import ingest
from ingest.testing import HashingEmbedder
from tests.conftest import SHARED_DATA, TEST_DATA

CORDIS = SHARED_DATA / "cordis_h2020"
NFR = SHARED_DATA / "nfr_h2020_norway"

MAPPING = """
kind = "initiatives"
id_prefix = "asker:"
separator = ";"
encoding = "latin-1"

[columns]
id = "Prosjektnr"
title = "Prosjektnavn"
description = "Beskrivelse"
owner = { column = "Enhet", prefix = "unit-", slug = true }
topics = { column = "Stikkord", split = "," }
status = { column = "Status", values = { "Pågår" = "ongoing", "Avsluttet" = "completed" } }

[constants]
scale = "improvement"
"""
ROWS = [["Prosjektnr", "Prosjektnavn", "Beskrivelse", "Enhet", "Stikkord", "Status"],
        ["17", "Smart vannmåler", "Måler lekkasjer i vannettet", "Teknisk", "vann, sensorer", "Pågår"],
        ["18", "Kø på legevakten", "Digital <b>innsjekk</b>", "Helse", "helse", "Avsluttet"]]


def _subset(folder: Path, out: Path, files: dict[str, str], keep: set[str]) -> None:
    """Copy the rows of the named files whose key column is in ``keep``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, key in files.items():
        with (folder / name).open(encoding="utf-8", newline="") as fh, \
                (out / name).open("w", encoding="utf-8", newline="") as dst:
            reader = csv.DictReader(fh)
            writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            writer.writerows(r for r in reader if r[key] in keep)


@pytest.fixture
def units(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder) -> EmbeddedGraphStore:
    ingest(store, fake_embedder, [TEST_DATA / "small" / "organisations.csv"])
    return store


def test_a_latin1_semicolon_table_loads_through_a_mapping(units: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                                           tmp_path: Path) -> None:
    """A municipality's own Latin-1, ';'-separated list becomes initiatives through a mapping file."""
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    table = tmp_path / "prosjekter.csv"
    table.write_bytes("\n".join(";".join(r) for r in ROWS).encode("latin-1"))
    summary = ingest(units, fake_embedder, [table], fmt="table", mapping=tmp_path / "map.toml", strict=False)
    assert summary.created == 2 + 3 and summary.skipped == 0 and summary.warnings == 1
    node = units.get("asker:17")
    assert node.props["status"] == "ongoing" and node.props["scale"] == "improvement"
    assert {n.id for _, n in units.neighbours("asker:17", Rel.TAGGED)} == {"topic:vann", "topic:sensorer"}
    assert [n.id for _, n in units.neighbours("asker:18", Rel.OWNED_BY)] == ["unit-helse"]
    assert units.get("asker:18").props["description"] == "Digital innsjekk"
    assert not summary.problems and "HTML tags removed" in str(summary.warning_list[0])  # a warning, not a skip


def test_an_excel_sheet_loads_like_the_csv(units: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                          tmp_path: Path) -> None:
    """The same table as .xlsx, with a sheet name in the mapping, gives the same nodes."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Prosjekter"
    for r in ROWS:
        sheet.append([int(v) if v.isdigit() else v for v in r])
    book.save(tmp_path / "prosjekter.xlsx")
    (tmp_path / "map.toml").write_text(MAPPING.replace('separator = ";"', 'sheet = "Prosjekter"'), encoding="utf-8")
    ingest(units, fake_embedder, [tmp_path / "prosjekter.xlsx"], fmt="table", mapping=tmp_path / "map.toml")
    assert units.get("asker:17").props["title"] == "Smart vannmåler"
    assert units.get("asker:18").props["status"] == "completed"


def test_a_missing_mapped_column_is_named_once(units: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                               tmp_path: Path) -> None:
    """A column the mapping names but the table lacks is reported once, naming file and column."""
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    table = tmp_path / "t.csv"
    table.write_bytes("\n".join(";".join(r[:5]) for r in ROWS).encode("latin-1"))  # no Status column
    with pytest.raises(ValidationError) as err:
        ingest(units, fake_embedder, [table], fmt="table", mapping=tmp_path / "map.toml")
    text = str(err.value)
    assert text.count("column 'Status'") == 1 and "t.csv, row 1, field 'Status'" in text
    assert units.get("asker:17") is None


def test_bad_rows_are_skipped_reported_and_strict_writes_nothing(
        store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> None:
    """Duplicates, unknown links, over-long fields and a missing column: skipped by default, listed in
    the report with file, row and field; --strict fails and writes nothing."""
    data = tmp_path / "d"
    shutil.copytree(TEST_DATA / "small", data)
    with (data / "needs.json").open("w", encoding="utf-8") as fh:
        fh.write('[{"id": "need-avfall", "title": "Avfall"}, {"id": "need-avfall", "title": "Igjen"},'
                 '{"id": "n-long", "title": "' + "x" * 301 + '"}, {"id": "n-link", "title": "T", "owner": "nobody"}]')
    (data / "ideas.jsonl").unlink()
    with pytest.raises(ValidationError):
        ingest(store, fake_embedder, [data], strict=True)
    assert store.count_nodes() == 0
    report = tmp_path / "report.csv"
    summary = ingest(store, fake_embedder, [data], strict=False, report=report)
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    skipped = {(r["row"], r["field"]) for r in rows if r["action"] == "skipped"}
    assert {("2", "id"), ("3", "title"), ("4", "owner")} <= skipped
    assert summary.skipped == 3 and store.get("need-avfall").props["title"] == "Avfall"
    assert store.get("n-long") is None and store.get("n-link") is None
    (data / "focus_areas.csv").write_text("id,description\nfa-x,Uten navn\n", encoding="utf-8")
    summary = ingest(store, fake_embedder, [data / "focus_areas.csv"], strict=False)
    assert any("required column 'name' is missing" in str(p) for p in summary.problems)
    assert summary.skipped >= 1 and store.get("fa-x") is None


def test_latin1_file_names_the_encoding_option(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder) -> None:
    """A Latin-1 file fails with a message naming --encoding, and loads with encoding='latin-1'."""
    path = TEST_DATA / "bad" / "latin1.csv"
    with pytest.raises(ValidationError, match="--encoding cp1252 for a file from Excel"):
        ingest(store, fake_embedder, [path], kind="organisations")
    ingest(store, fake_embedder, [path], kind="organisations", encoding="latin-1")
    assert store.get("org-1") is not None


def test_cordis_then_nfr_merges_organisations_by_number(
        store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> None:
    """An NFR organisation with the org number of a CORDIS one merges into the pic: node; the project
    gains nothing twice; merges are reported; and re-ingesting either changes nothing."""
    projects = {"101003805", "101003966", "634429", "635761"}  # with Norwegian partners in both
    _subset(CORDIS, tmp_path / "cordis", {"projects.csv": "project_id", "participants.csv": "project_id"}, projects)
    with (tmp_path / "cordis" / "participants.csv").open(encoding="utf-8") as fh:
        pics = {r["organisation_id"] for r in csv.DictReader(fh)}
    _subset(CORDIS, tmp_path / "cordis", {"organisations.csv": "organisation_id"}, pics)
    _subset(NFR, tmp_path / "nfr", {"participations.csv": "project_id"}, projects)
    first = ingest(store, fake_embedder, [tmp_path / "cordis"], fmt="cordis")
    assert first.skipped == 0 and store.count_nodes(Label.INITIATIVE) == len(projects)
    numbered = {n.props["org_number"]: n.id for n in store.iter_nodes(Label.ORGANISATION) if "org_number" in n.props}
    summary = ingest(store, fake_embedder, [tmp_path / "nfr"], fmt="nfr")
    assert summary.merged >= 1 and any("merged into 'pic:" in m for m in summary.merges)
    for number, node_id in numbered.items():
        assert store.get("orgnr:" + number) is None
        assert "orgnr:" + number in store.get(node_id).props.get("aliases", [])
    nfr_only = [n for n in store.iter_nodes(Label.ORGANISATION) if n.id.startswith("orgnr:")]
    assert all(n.props.get("municipality") for n in nfr_only)
    before = {e.key for e in store.iter_edges()}
    for path, fmt in [(tmp_path / "cordis", "cordis"), (tmp_path / "nfr", "nfr")]:
        again = ingest(store, fake_embedder, [path], fmt=fmt, recheck=True)
        assert again.created == again.updated == again.embedded == again.edges_written == again.edges_removed == 0
    assert {e.key for e in store.iter_edges()} == before


def test_similar_names_become_same_as_candidates(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                                 tmp_path: Path) -> None:
    """A new organisation whose name equals a known one merges; a merely similar name is a SAME_AS candidate."""
    ingest(store, fake_embedder, [TEST_DATA / "small" / "organisations.csv"])
    (tmp_path / "organisations.csv").write_text(
        "id,name,kind\nx-1,TESTVIK KOMMUNE,municipality\nx-2,Testvik kommune i,municipality\n", encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path / "organisations.csv"])
    assert store.get("x-1") is None and "x-1" in store.get("org-test").props["aliases"]
    assert summary.merged == 1 and summary.same_as == 1
    [(edge, other)] = store.neighbours("org-test", Rel.SAME_AS, direction=Direction.BOTH)
    assert other.id == "x-2" and edge.props["method"] == "name" and 0.85 <= edge.props["score"] < 0.95


def test_units_of_one_name_in_different_municipalities_stay_apart(store: EmbeddedGraphStore,
                                                                   fake_embedder: HashingEmbedder,
                                                                   tmp_path: Path) -> None:
    """Two municipalities' "Helse og omsorg" stay two units, each owning its own initiative, whether they come in
    one run or in two; a unit of that name whose place is not known is only a SAME_AS candidate; the same
    name in the same municipality still merges."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "organisations.csv").write_text(
        "id,name,kind,municipality,part_of\nkom-a,Asker kommune,municipality,Asker,\n"
        "kom-b,Bærum kommune,municipality,Bærum,\na-helse,Helse og omsorg,unit,Asker,kom-a\n"
        "b-helse,Helse og omsorg,unit,Bærum,kom-b\n", encoding="utf-8")
    (tmp_path / "a" / "initiatives.csv").write_text(
        "id,title,status,owner\nb-ini,Bærum-tiltak,ongoing,b-helse\n", encoding="utf-8")
    first = ingest(store, fake_embedder, [tmp_path / "a"])
    assert first.merged == 0 and first.skipped == 0
    [(_, owner)] = store.neighbours("b-ini", Rel.OWNED_BY)
    assert owner.id == "b-helse"
    assert {n.id for _, n in store.neighbours("a-helse", Rel.PART_OF)} == {"kom-a"}
    (tmp_path / "b.csv").write_text("id,name,kind,municipality,part_of\n"
                                    "c-helse,Helse og omsorg,unit,,\n"  # somewhere: a candidate only
                                    "a-helse-2,HELSE OG OMSORG,unit,Asker,kom-a\n", encoding="utf-8")
    second = ingest(store, fake_embedder, [tmp_path / "b.csv"], kind="organisations")
    assert store.get("c-helse") is not None and second.same_as >= 1
    assert store.get("a-helse-2") is None and "a-helse-2" in store.get("a-helse").props["aliases"]  # type: ignore[union-attr]
    assert store.get("b-helse") is not None and not store.get("b-helse").props.get("aliases")  # type: ignore[union-attr]
    # sources name one organisation's kind in their own ways: a kind alone does not keep two names apart
    (tmp_path / "k.csv").write_text("id,name,kind\nssb-1,Statistisk sentralbyrå,public_body\n"
                                    "ssb-2,STATISTISK SENTRALBYRÅ,research\n", encoding="utf-8")
    kinds = ingest(store, fake_embedder, [tmp_path / "k.csv"], kind="organisations")
    assert kinds.merged == 1 and store.get("ssb-2") is None
    # the id merged away still names the unit in a later run
    (tmp_path / "c.csv").write_text("id,title,status,owner\nc-ini,Asker-tiltak,ongoing,a-helse-2\n", encoding="utf-8")
    third = ingest(store, fake_embedder, [tmp_path / "c.csv"], kind="initiatives")
    assert third.skipped == 0
    assert [n.id for _, n in store.neighbours("c-ini", Rel.OWNED_BY)] == ["a-helse"]


def test_change_and_sync_touch_only_what_changed(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                                 tmp_path: Path) -> None:
    """A changed row re-embeds only itself; --sync deletes a row that disappeared; SIMILAR_TO follows."""
    data = tmp_path / "d"
    shutil.copytree(TEST_DATA / "small", data)
    first = ingest(store, fake_embedder, [data])
    assert first.similar_written == store.count_edges(Rel.SIMILAR_TO) > 0
    ideas = (data / "ideas.jsonl").read_text(encoding="utf-8").splitlines()
    (data / "ideas.jsonl").write_text("\n".join(ideas[:1]) + "\n", encoding="utf-8")
    gone = next(line for line in ideas[1:] if line.strip()).split('"id": "')[1].split('"')[0]
    kept = ingest(store, fake_embedder, [data])
    assert kept.retired == 0 and store.get(gone) is not None
    synced = ingest(store, fake_embedder, [data], sync=True)
    assert synced.retired == 1 and synced.embedded == 0 and store.get(gone) is None
    assert all(gone not in (e.src, e.dst) for e in store.iter_edges())


def test_sync_never_retires_what_it_could_not_read_or_what_others_still_use(
        store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> None:
    """--sync retires only items really gone from the source: not one whose row was skipped (a status typed
    wrong), not anything when a whole file could not be read, and not a unit that initiatives kept in the store
    still name as their owner; each kept item is named with why, and a later --sync retires it when it is gone."""
    data = tmp_path / "d"
    shutil.copytree(TEST_DATA / "small", data)
    ingest(store, fake_embedder, [data])
    initiatives = data / "initiatives.csv"
    text = initiatives.read_text(encoding="utf-8")
    initiatives.write_text(text.replace(",completed,", ",pågår,", 1), encoding="utf-8")  # ini-1's row now bad
    organisations = data / "organisations.csv"
    rows = organisations.read_text(encoding="utf-8")
    # ...and org-biogass, ini-1's partner, leaves the source: ini-1 stays, so its partner stays too
    organisations.write_text("\n".join(line for line in rows.splitlines() if not line.startswith("org-biogass,"))
                             + "\n", encoding="utf-8")
    bad_row = ingest(store, fake_embedder, [data], sync=True, strict=False, report=tmp_path / "r.csv")
    assert bad_row.retired == 0 and store.get("ini-1") is not None and store.get("org-biogass") is not None
    assert any(h.startswith("'ini-1' not retired: its row was skipped") for h in bad_row.held)
    assert "'org-biogass' not retired: still linked from ini-1" in bad_row.held
    assert "kept by --sync" in (tmp_path / "r.csv").read_text(encoding="utf-8")  # the report lists them too
    initiatives.write_text(text, encoding="utf-8")
    organisations.write_text(rows.replace(",", ";"), encoding="utf-8")  # the whole file unreadable
    orgs = store.count_nodes(Label.ORGANISATION)
    unreadable = ingest(store, fake_embedder, [data], sync=True, strict=False)
    assert unreadable.retired == 0 and unreadable.skipped_files and unreadable.held
    assert store.count_nodes(Label.ORGANISATION) == orgs
    assert store.get("unit-teknisk") is not None and store.get("ini-1") is not None
    # unit-teknisk leaves the file, but ini-1 (kept) still names it as owner: it stays, and says why
    organisations.write_text("\n".join(line for line in rows.splitlines() if not line.startswith("unit-teknisk,"))
                             + "\n", encoding="utf-8")
    lines = text.splitlines()
    owned = [line.split(",")[0] for line in lines[1:] if ",unit-teknisk," in line]
    used = ingest(store, fake_embedder, [data], sync=True, strict=False)
    assert store.get("unit-teknisk") is not None
    assert any(h.startswith("'unit-teknisk' not retired: still linked from " + owned[0]) for h in used.held)
    # once nothing uses it, the next --sync retires it
    initiatives.write_text("\n".join(line for line in lines if line.split(",")[0] not in owned) + "\n",
                           encoding="utf-8")
    done = ingest(store, fake_embedder, [data], sync=True, strict=False)
    assert store.get("unit-teknisk") is None and all(store.get(i) is None for i in owned) and not done.held


def test_decide_madrid_proposals_become_citizen_ideas_and_withdrawn_ones_stay_out_of_the_duplicate_check(
        tmp_path: Path, store: EmbeddedGraphStore, fake_embedder: HashingEmbedder) -> None:
    """Decide Madrid proposals are ingested as citizen ideas with their date; one without a description is
    its title; one its author withdrew is a hidden idea, which the duplicate check never suggests, even for
    its own text."""
    from recommend.reuse import check_idea
    from recommend.similar import Recommender

    keep = {"35573", "35574", "35586", "35596", "35618", "35648"}
    _subset(SHARED_DATA / "decide_madrid_proposals", tmp_path / "decide", {"proposals.csv": "id"}, keep)
    summary = ingest(store, fake_embedder, [tmp_path / "decide"], fmt="decide")
    assert summary.created == 6 and not summary.problems
    ideas = {n.id: n for n in store.iter_nodes(Label.IDEA)}
    assert set(ideas) == {f"decide:{i}" for i in keep}
    assert all(n.props["submitter_kind"] == "citizen" for n in ideas.values())
    assert ideas["decide:35586"].props["text"] == ideas["decide:35586"].title  # no description
    assert ideas["decide:35618"].props["status"] == "hidden"  # retired by its author
    assert ideas["decide:35573"].props["status"] == "new"
    assert str(ideas["decide:35573"].props["created"]) == "2024-01-01"
    withdrawn = ideas["decide:35618"]
    result = check_idea(Recommender(store, fake_embedder), f"{withdrawn.title}\n{withdrawn.props['text']}",
                        threshold=0.0)
    assert result.items and "decide:35618" not in {i.id for i in result.items}


@pytest.mark.parametrize(("fmt", "filename", "header", "missing"), [
    ("tidstyver", "items.csv", "id,title", "ministry"),
    ("cordis", "projects.csv", "project_id,title", "topic_code"),
    ("nfr", "participations.csv", "org_number;title", "project_id"),
    ("decide", "proposals.csv", "ident,title", "id"),
])
def test_a_source_file_without_a_needed_column_is_refused_by_name(
        tmp_path: Path, store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
        fmt: str, filename: str, header: str, missing: str) -> None:
    """A source export that lacks a column the adapter reads is refused with the file, row 1 and the column
    named (and the columns it does have), and nothing is written."""
    (tmp_path / filename).write_text(f"{header}\n1,x\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        ingest(store, fake_embedder, [tmp_path], fmt=fmt)
    problem = next(p for p in caught.value.problems if p.field == missing)
    assert problem.file == str(tmp_path / filename) and problem.row == 1
    assert "needs the column" in problem.message and "title" in problem.message.split("found:")[1]
    assert store.count_nodes() == 0


def test_a_mapping_with_mistakes_is_refused_naming_each_key(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                                            tmp_path: Path) -> None:
    """A misspelt field, a separator of two characters, a split that is a number and a constant that is no
    field are all named when the mapping is read, before any row (not every row skipped alike, nor a crash)."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.replace('description = "Beskrivelse"', 'beskrivelse = "Beskrivelse"')
                       .replace('separator = ";"', 'separator = ";;"')
                       .replace('split = ","', "split = 1")
                       .replace('scale = "improvement"', 'skala = "improvement"'), encoding="utf-8")
    table = tmp_path / "t.csv"
    table.write_text("\n".join(";".join(r) for r in ROWS) + "\n", encoding="latin-1")
    with pytest.raises(ValidationError) as e:
        ingest(store, fake_embedder, [table], fmt="table", mapping=mapping)
    fields = [p.field for p in e.value.problems]
    assert fields == ["separator", "columns.beskrivelse", "columns.topics.split", "constants.skala"]
    [named] = [p for p in e.value.problems if p.field == "columns.beskrivelse"]
    assert "not a field of initiatives" in named.message and "description" in named.message  # the fields listed
    assert store.count_nodes() == 0


def test_json_nested_too_deeply_is_a_file_problem_not_a_crash(store: EmbeddedGraphStore,
                                                               fake_embedder: HashingEmbedder, tmp_path: Path) -> None:
    """A JSON file nested 100,000 levels deep is skipped as invalid JSON, named; a JSONL line likewise."""
    (tmp_path / "needs.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "ideas.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path / "needs.json", tmp_path / "ideas.jsonl"], strict=False)
    messages = [str(p) for p in summary.problems]
    assert any("needs.json" in m and "nested too deeply" in m for m in messages)
    assert any("ideas.jsonl, row 1: invalid JSON: nested too deeply" in m for m in messages)


def test_cordis_titles_lose_excels_escaped_line_breaks(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                                       tmp_path: Path) -> None:
    """Project 633776's title is stored with "manufacturing_x000D_technologies" in projects.csv: ingested, it reads
    "manufacturing technologies"."""
    _subset(CORDIS, tmp_path / "c", {"projects.csv": "project_id", "participants.csv": "project_id"}, {"633776"})
    with (tmp_path / "c" / "participants.csv").open(encoding="utf-8") as fh:
        pics = {r["organisation_id"] for r in csv.DictReader(fh)}
    _subset(CORDIS, tmp_path / "c", {"organisations.csv": "organisation_id"}, pics)
    ingest(store, fake_embedder, [tmp_path / "c"], fmt="cordis")
    title = store.get("cordis:633776").title  # type: ignore[union-attr]
    assert "_x000D_" not in title and "manufacturing technologies" in title


def test_a_mapping_that_cannot_be_read_as_meant_is_refused_naming_the_key(
        store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> None:
    """A value translation that is a number (with a prefix it crashed the ingest), a JSON mapping giving "kind" twice
    (the last one was used unsaid), one with a broken \\u escape (it crashed writing the report) and one with a
    number of 5000 digits (a crash) are each refused naming the mapping file and the key; a TOML datetime constant
    is read as its day."""
    table = tmp_path / "t.csv"
    table.write_text("\n".join(";".join(r) for r in ROWS) + "\n", encoding="latin-1")
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.replace('"Pågår" = "ongoing"', '"Pågår" = 5').replace(
        'values = {', 'prefix = "s-", values = {'), encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        ingest(store, fake_embedder, [table], fmt="table", mapping=mapping)
    assert [(p.field, p.message) for p in e.value.problems] == [("columns.status.values.Pågår", "give text, not int")]
    columns = '"columns": {"id": "Prosjektnr", "title": "Prosjektnavn", "owner": "Enhet", "status": "Status"}'
    for doc, field, said in (('{"kind": "needs", "kind": "initiatives", ' + columns + "}", "kind",
                              "given more than once"),
                             ('{"kind": "initiatives", "id_prefix": "a\\ud800", ' + columns + "}", "id_prefix",
                              "half of a character"),
                             ('{"kind": "initiatives", "constants": {"scale": ' + "1" * 5000 + "}, " + columns + "}",
                              None, "a number of more than 4,300 digits")):
        (tmp_path / "m.json").write_text(doc, encoding="utf-8")
        with pytest.raises(ValidationError) as e:
            ingest(store, fake_embedder, [table], fmt="table", mapping=tmp_path / "m.json")
        [problem] = e.value.problems
        assert problem.file == str(tmp_path / "m.json") and problem.field == field and said in problem.message
    assert store.count_nodes() == 0
    ingest(store, fake_embedder, [TEST_DATA / "small" / "organisations.csv"])
    mapping.write_text(MAPPING.replace('scale = "improvement"', "start_date = 2024-05-01T08:00:00Z"), encoding="utf-8")
    ingest(store, fake_embedder, [table], fmt="table", mapping=mapping)
    assert str(store.get("asker:17").props["start_date"]) == "2024-05-01"  # type: ignore[union-attr]


@pytest.mark.parametrize(("fmt", "filename", "content", "said"), [
    ("tidstyver", "items.csv", "id,title\n1,Sn\xf8\n".encode("latin-1"), "not UTF-8 (byte 0xf8"),
    ("decide", "proposals.csv", b"id,title\n1,\"open\n", "is never closed"),
    ("cordis", "projects.csv", b"", "the file is empty"),
])
def test_a_source_file_that_cannot_be_read_is_named_not_a_traceback(
        tmp_path: Path, store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
        fmt: str, filename: str, content: bytes, said: str) -> None:
    """A source export in Latin-1 (a traceback), with an unclosed quote (which swallowed the rest of the file into
    one value unsaid) or empty is refused naming the file and what is wrong with it, as any CSV file is, and
    nothing is written."""
    (tmp_path / filename).write_bytes(content)
    with pytest.raises(ValidationError) as caught:
        ingest(store, fake_embedder, [tmp_path], fmt=fmt)
    [problem] = caught.value.problems
    assert problem.file == str(tmp_path / filename) and said in problem.message, problem
    assert "--encoding" not in problem.message  # which a source format does not take
    assert store.count_nodes() == 0


def test_an_encoding_named_for_a_source_export_is_refused_not_ignored(
        tmp_path: Path, store: EmbeddedGraphStore, fake_embedder: HashingEmbedder) -> None:
    """--encoding with --format tidstyver (a publisher's export, read as UTF-8) is refused naming --encoding
    before anything is read, where it was silently ignored."""
    (tmp_path / "items.csv").write_bytes("id,title\n1,Sn\xf8\n".encode("latin-1"))
    with pytest.raises(ValidationError) as caught:
        ingest(store, fake_embedder, [tmp_path], fmt="tidstyver", encoding="latin-1")
    [problem] = caught.value.problems
    assert problem.file == "--encoding" and "--format tidstyver" in problem.message, problem
    assert store.count_nodes() == 0


def test_links_scored_by_an_earlier_rule_are_all_redone_by_the_next_ingest(
        store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> None:
    """A store whose SIMILAR_TO links an earlier version scored (another rule, as recorded in the store) has every
    link scored again by the next ingest, even of files that did not change, and then records the current rule."""
    data = tmp_path / "d"
    shutil.copytree(TEST_DATA / "small", data)
    ingest(store, fake_embedder, [data])
    links = {(e.src, e.dst): e.props for e in store.iter_edges(Rel.SIMILAR_TO)}
    assert links and store.get_meta(SIMILAR_KEY) == VERSION
    store.set_meta(SIMILAR_KEY, "embedding-0.6")  # as an earlier version left it, with links of its own
    store.delete_edges(list(store.iter_edges(Rel.SIMILAR_TO)))
    again = ingest(store, fake_embedder, [data])
    assert not again.files_unchanged and again.similar_written == len(links)
    assert {(e.src, e.dst): e.props for e in store.iter_edges(Rel.SIMILAR_TO)} == links
    assert store.get_meta(SIMILAR_KEY) == VERSION
    assert ingest(store, fake_embedder, [data]).files_unchanged  # and after that, the same files read nothing
