"""Ingest: documented formats in, the same graph after reopening, bad input rejected whole."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from graph.embedded import EmbeddedGraphStore
from graph.errors import ValidationError
from graph.schema import Direction, Label, Rel
from ingest.pipeline import ingest, write_report
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


# --- one's own files: what a user sees when something is wrong -------------------------------------------


def _initiatives_csv(path: Path, rows: list[str], header: str = "id,title,status,owner") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_an_id_the_store_holds_as_another_kind_is_refused(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """An organisation row whose id is a stored initiative is skipped with a message, and the initiative keeps
    its label and links; --strict refuses the whole ingest."""
    ingest(store, fake_embedder, [SMALL])
    edges_before = store.neighbours("ini-1")
    (tmp_path / "organisations.csv").write_text("id,name,kind\nini-1,Clash org,business\norg-new,New,business\n",
                                                encoding="utf-8")
    with pytest.raises(ValidationError, match="'ini-1' is already an initiative in the store"):
        ingest(store, fake_embedder, [tmp_path], strict=True)
    assert store.get("org-new") is None
    summary = ingest(store, fake_embedder, [tmp_path], strict=False)
    [problem] = summary.problems
    assert (problem.row, problem.field) == (2, "id") and problem.file.endswith("organisations.csv")
    assert problem.message == "'ini-1' is already an initiative in the store"
    kept = store.get("ini-1")
    assert kept is not None and kept.label == Label.INITIATIVE and store.neighbours("ini-1") == edges_before
    assert store.get("org-new") is not None and summary.skipped == 1


def test_partner_ids_with_colons_are_read_whole_unless_a_role_follows(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """In a partners cell, "pic:999" is the organisation pic:999 (role partner) and "pic:998:supplier" is
    pic:998 as supplier: only a known role after the last colon is read as the role."""
    ingest(store, fake_embedder, [SMALL])
    (tmp_path / "organisations.csv").write_text("id,name,kind\npic:999,Nine,business\npic:998,Eight,business\n",
                                                encoding="utf-8")
    (tmp_path / "initiatives.csv").write_text(
        "id,title,status,owner,partners\nini-c,Kolon,planned,unit-helse,pic:999;pic:998:supplier;org-biogass\n",
        encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path], strict=True)
    assert summary.skipped == 0
    roles = {n.id: e.props["role"] for e, n in store.neighbours("ini-c", Rel.INVOLVES)}
    assert roles == {"pic:999": "partner", "pic:998": "supplier", "org-biogass": "partner"}


def test_an_organisation_cannot_become_part_of_itself(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A part_of chain that leads back to the organisation (through this file and the store) is refused
    naming the chain; the stored hierarchy stays as it was and the other rows are written."""
    ingest(store, fake_embedder, [SMALL])  # unit-helse is part of org-test
    (tmp_path / "organisations.csv").write_text(
        "id,name,kind,part_of\norg-test,Testkommune,municipality,unit-helse\nunit-ny,Ny enhet,unit,org-test\n"
        "org-a,A,ngo,org-b\norg-b,B,ngo,org-a\n", encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path], strict=False)
    chains = {p.row: p.message for p in summary.problems if p.field == "part_of"}
    assert chains[2] == "would make it part of itself: org-test -> unit-helse -> org-test"
    assert set(chains) == {2, 4, 5}
    assert not store.neighbours("org-test", Rel.PART_OF) and store.get("org-a") is None
    assert [n.id for _, n in store.neighbours("unit-ny", Rel.PART_OF)] == ["org-test"]


def test_a_bad_jsonl_line_skips_only_that_line(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A JSONL line with a missing comma is skipped and named by its line; the lines after it are read."""
    lines = [f'{{"id": "n{i}", "title": "Need {i}"}}' for i in range(1, 7)]
    lines[3] = '{"id": "n4", "title": "Need 4" "description": "no comma"}'
    (tmp_path / "j.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path / "j.jsonl"], kind="needs", strict=False)
    assert summary.read == 5 and summary.skipped == 1
    assert [(p.row, p.message.split(":")[0]) for p in summary.problems] == [(4, "invalid JSON")]
    assert store.get("n5") is not None and store.get("n6") is not None and store.get("n4") is None


def test_a_file_that_cannot_be_read_is_skipped_whole_and_says_how_many_rows(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """An unclosed quote is named at its own row and skips the whole file, counted as its rows rather than
    as one bad row; so does a stray Latin-1 byte in a UTF-8 file."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    quoted = _initiatives_csv(tmp_path / "quoted.csv", ["q-1,A,ongoing,unit-teknisk", 'q-2,"B,ongoing,unit-teknisk',
                                                        "q-3,C,ongoing,unit-teknisk", "q-4,D,ongoing,unit-teknisk"])
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,title,status,owner\nl-1,Ok,ongoing,unit-teknisk\nl-2,Pågår,ongoing,unit-teknisk\n"
                      .encode("latin-1"))
    summary = ingest(store, fake_embedder, [quoted, latin], kind="initiatives", strict=False)
    assert summary.skipped_files == {str(quoted): 4, str(latin): 2} and summary.skipped == 6
    text = [str(p) for p in summary.problems]
    assert any(t.startswith(f"{quoted}, row 3: a quote") for t in text)
    assert f"{quoted}: the whole file was skipped: none of its 4 rows were read" in text
    assert any(t.startswith(f"{latin}, row 3: not UTF-8") for t in text)
    assert store.get("q-1") is None and store.get("l-1") is None  # nothing of a skipped file is written


def test_an_over_long_csv_value_gets_the_field_length_message(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A CSV value larger than the csv module's default limit reaches the field's own length check."""
    (tmp_path / "needs.csv").write_text(f"id,title,description\nn-1,T,{'x' * 200_000}\nn-2,T2,ok\n",
                                        encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path], strict=False)
    assert [str(p) for p in summary.problems] == [
        f"{tmp_path / 'needs.csv'}, row 2, field 'description': 200000 characters, at most 20000 allowed"]
    assert store.get("n-2") is not None and not summary.skipped_files


def test_a_header_problem_is_reported_once_per_file_and_rows_are_counted(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A misspelt column is named once (with the column it probably means), not on each of 300 rows, and
    the summary counts 300 skipped rows, not 301."""
    _initiatives_csv(tmp_path / "initiatives.csv", [f"i-{n},T{n},ongoing,unit-teknisk" for n in range(300)],
                     header="id,title,stauts,owner")
    summary = ingest(store, fake_embedder, [tmp_path], strict=False)
    messages = [p.message for p in summary.problems]
    assert len(messages) == 3, messages  # status missing, stauts unknown, the file skipped
    assert "required column 'status' is missing" in messages[0]
    assert "unknown column (did you mean 'status'?)" in messages[1]
    assert summary.skipped == 300 and summary.read == 0


def test_an_empty_file_says_it_is_empty(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A 0-byte file is reported as empty, not as a header missing its columns."""
    (tmp_path / "initiatives.csv").write_bytes(b"")
    summary = ingest(store, fake_embedder, [tmp_path], strict=False)
    assert summary.problems[0].message == "the file is empty"
    assert not any("column" in p.message for p in summary.problems)


def test_a_file_with_a_header_and_no_rows_is_reported_like_an_empty_one(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A CSV or Excel file with its header line and no rows (a failed export), or a JSON file with no items, is a
    problem naming the file, as an empty file is: the run is not complete and the file is listed as skipped."""
    import openpyxl

    (tmp_path / "ideas.csv").write_text("id,title,text,submitter_kind\n\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["id", "title"])
    book.save(tmp_path / "needs.xlsx")
    (tmp_path / "focus_areas.json").write_text('{"items": []}', encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path], strict=False)
    assert not summary.complete and summary.read == 0
    assert sorted(summary.skipped_files) == sorted(str(tmp_path / f) for f in ("ideas.csv", "needs.xlsx",
                                                                              "focus_areas.json"))
    messages = {p.file: p.message for p in summary.problems if p.row is None and "skipped" not in p.message}
    assert messages == {str(tmp_path / "ideas.csv"): "the file has a header but no rows",
                        str(tmp_path / "needs.xlsx"): "the sheet has a header but no rows",
                        str(tmp_path / "focus_areas.json"): "the file holds no items"}
    with pytest.raises(ValidationError, match="has a header but no rows"):
        ingest(store, fake_embedder, [tmp_path / "ideas.csv"], strict=True)


def test_sync_deletes_nothing_when_a_file_has_only_its_header(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """--sync after a failed export left ideas.csv with its header only keeps every idea the source delivered
    before (the file is reported, not read as "the source has no ideas now"), and says why."""
    ideas = tmp_path / "ideas.csv"
    ideas.write_text("id,title,text,submitter_kind\ni-1,Benker,Flere benker,citizen\ni-2,Lys,Mer lys,citizen\n",
                     encoding="utf-8")
    assert ingest(store, fake_embedder, [tmp_path], sync=True).created == 2
    ideas.write_text("id,title,text,submitter_kind\n", encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path], strict=False, sync=True)
    assert summary.retired == 0 and store.get("i-1") is not None and store.get("i-2") is not None
    assert not summary.complete and str(ideas) in summary.skipped_files
    assert summary.held == [f"'i-1' not retired: {ideas} could not be read",
                            f"'i-2' not retired: {ideas} could not be read"]


def test_warnings_are_kept_apart_from_skipped_rows(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A row whose HTML was removed was read: it is a warning, not a skipped row, in the summary and report."""
    (tmp_path / "needs.json").write_text('[{"id": "n1", "title": "<b>Kø</b>"}, {"id": "n2"}]', encoding="utf-8")
    report = tmp_path / "report.csv"
    summary = ingest(store, fake_embedder, [tmp_path], strict=False, report=report)
    assert [p.row for p in summary.problems] == [2] and summary.skipped == 1
    assert [(p.row, p.field) for p in summary.warning_list] == [(1, "title")] and summary.warnings == 1
    actions = [line.split(",")[0] for line in report.read_text(encoding="utf-8").splitlines()[1:]]
    assert sorted(actions) == ["skipped", "warning"]


def test_contact_details_in_an_idea_s_published_text_are_ingested_with_a_warning(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """An idea whose title or text holds a phone number or an e-mail address is ingested (nothing of the source
    is lost) with a warning naming file, row and field and saying to move it to `contact`, in the summary and
    the report; amounts and years are not warned of, nor an initiative's contact person in its description."""
    ingest(store, fake_embedder, [SMALL])
    folder = tmp_path / "src"
    folder.mkdir()
    ideas = folder / "ideas.csv"
    ideas.write_text(
        "id,title,text,submitter_kind,contact,status\n"
        "i-1,Flere benker,Ring meg på 912 34 567 eller skriv til ola@example.no om flere benker,citizen,,\n"
        "i-2,Ring 22 33 44 55,Flere benker langs turveien,citizen,Kari,\n"
        "i-3,Lekeplass 2024,Tiltaket varte fra 20192024 og kostet 45000000 kroner,citizen,kari@example.no 91234567,\n"
        "i-4,Skjult,Send en SMS til 22334455,citizen,,hidden\n",
        encoding="utf-8")
    (folder / "initiatives.csv").write_text(
        "id,title,description,status,owner\n"
        'ini-9,Benker,"Kontaktperson: Kari Nordmann, tlf. 22 33 44 55, kari@testvik.no",ongoing,unit-teknisk\n',
        encoding="utf-8")
    report = tmp_path / "report.csv"
    summary = ingest(store, fake_embedder, [folder], strict=False, report=report)
    assert summary.complete and summary.created == 5 and store.get("i-1") is not None
    assert [(p.file, p.row, p.field) for p in summary.warning_list] == [(str(ideas), 2, "text"),
                                                                        (str(ideas), 3, "title"),
                                                                        (str(ideas), 5, "text")]
    assert summary.warnings == 3
    first = summary.warning_list[0].message
    assert "an e-mail address and a phone number" in first and "published" in first and "`contact`" in first
    assert "a phone number, which will be published with the idea" in summary.warning_list[1].message
    assert "published if the idea is shown again" in summary.warning_list[2].message  # a hidden idea
    lines = report.read_text(encoding="utf-8").splitlines()[1:]
    assert len(lines) == 3 and all(line.startswith(f"warning,{ideas},") for line in lines)


def test_a_national_identity_number_in_an_idea_s_text_is_ingested_with_a_warning_to_take_it_out(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """An idea whose text holds a national identity number is ingested with a warning naming file, row and field
    and saying to take the number out of the source (not to move it to `contact`); an account number with the
    same digits is not warned of."""
    ingest(store, fake_embedder, [SMALL])
    ideas = tmp_path / "ideas.csv"
    ideas.write_text(
        "id,title,text,submitter_kind\n"
        "i-1,Flere benker,Søker: Ola Nordmann (fnr. 010100 12356) vil ha flere benker,citizen\n"
        "i-2,Benker,Gaven kan betales til kontonummer 0101.00.12356,citizen\n"
        "i-3,Benker,Ring 912 34 567; fødselsnummer 01010012356,citizen\n",
        encoding="utf-8")
    summary = ingest(store, fake_embedder, [ideas], strict=False)
    assert summary.complete and store.get("i-1") is not None
    assert [(p.file, p.row, p.field) for p in summary.warning_list] == [(str(ideas), 2, "text"),
                                                                        (str(ideas), 4, "text")]
    first, both = (p.message for p in summary.warning_list)
    assert first == ("looks like a national identity number, which will be published with the idea; take the "
                     "identity number out of the source")
    assert both.startswith("looks like a phone number and a national identity number") and "`contact`" in both


def test_link_messages_name_the_kind_with_its_article_and_a_skipped_target(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A link to the wrong kind reads "is an idea, expected an initiative"; a link to a row that was itself
    skipped says so and where; --strict lists link problems together with the row problems."""
    ingest(store, fake_embedder, [SMALL])
    (tmp_path / "ideas.jsonl").write_text(
        '{"id": "x1", "title": "X", "text": "t", "submitter_kind": "robot"}\n'
        '{"id": "x2", "title": "Y", "text": "t", "submitter_kind": "citizen", "duplicate_of": "x1"}\n'
        '{"id": "x3", "title": "Z", "text": "t", "submitter_kind": "citizen", "became": "idea-1"}\n',
        encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path], strict=False)
    text = {p.row: p.message for p in summary.problems}
    assert text[2] == "links to 'x1', which was skipped (row 1)"
    assert text[3] == "'idea-1' is an idea, expected an initiative"
    with pytest.raises(ValidationError) as err:
        ingest(store, fake_embedder, [tmp_path], strict=True, recheck=True)
    assert {p.row for p in err.value.problems} == {1, 2, 3}


def test_an_idea_an_admin_erased_is_not_brought_back_by_ingesting_its_file_again(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """After an admin deletes an idea, ingesting the same file again (even with --recheck) leaves that row out
    and names it by file and row; an idea in the file that duplicates it keeps its row but not the link; the
    run still counts as complete, the report lists it, and the store keeps no readable trace of the id."""
    from service.items import delete_item

    ideas = tmp_path / "ideas.jsonl"
    ideas.write_text(
        '{"id": "x1", "title": "Badstue ved fjorden", "text": "En badstue på brygga", "submitter_kind": "citizen",'
        ' "contact": "kari@example.no"}\n'
        '{"id": "x2", "title": "Sauna ved sjøen", "text": "Badstue for alle", "submitter_kind": "citizen",'
        ' "duplicate_of": "x1"}\n', encoding="utf-8")
    ingest(store, fake_embedder, [ideas])
    store.delete_edges([e for e, _ in store.neighbours("x2", Rel.DUPLICATE_OF)])  # as an admin unmerging x2
    delete_item(store, Label.IDEA, "x1")
    marks = store.meta_keys("erased:")
    assert len(marks) == 1 and "x1" not in marks[0] and "x1" not in str(store.get_meta_many(marks))
    for recheck in (False, True):
        summary = ingest(store, fake_embedder, [ideas], report=tmp_path / "report.csv", recheck=recheck)
        assert store.get("x1") is None and store.get("x2") is not None
        assert summary.complete and summary.erased == 1 and summary.read == 1
        assert [(p.file, p.row, p.field) for p in summary.erased_list] == [(str(ideas), 1, "id")]
        assert [(p.row, p.field) for p in summary.warning_list] == [(2, "duplicate_of")]
        assert store.neighbours("x2", Rel.DUPLICATE_OF) == []
    actions = [line.split(",")[0] for line in (tmp_path / "report.csv").read_text(encoding="utf-8").splitlines()]
    assert actions[1:] == ["warning", "not ingested (erased)"]


def test_an_idea_erased_while_an_ingest_runs_does_not_stay(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """If an admin erases an idea while an ingest of its file is embedding and writing (after the ingest checked
    for erased ideas), the ingest deletes it again when it has written, and lists the row as erased."""
    from graph.erased import record_erased

    ideas = tmp_path / "ideas.jsonl"
    ideas.write_text("".join(f'{{"id": "y{i}", "title": "Idé {i}", "text": "Tekst {i}", "submitter_kind": '
                             f'"citizen"}}\n' for i in range(4)), encoding="utf-8")

    class Erasing:  # the progress bar of the writing: between two batches, the admin erases y3
        def __init__(self, desc: str, total: int) -> None:
            self.desc = desc

        def update(self, n: int = 1) -> None:
            if self.desc == "writing":
                record_erased(store, ["y3"])

        def close(self) -> None:
            pass

    summary = ingest(store, fake_embedder, [ideas], batch_size=1, progress=Erasing)
    assert store.get("y3") is None and store.get("y0") is not None
    assert summary.erased == 1 and [(p.row, p.field) for p in summary.erased_list] == [(4, "id")]


def test_only_ideas_leave_a_mark_when_deleted(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A deleted need comes back when its file is ingested again (the source owns it); an item made under an
    erased idea's id through the API is a new item and is written."""
    from service.items import create_item, delete_item

    ingest(store, fake_embedder, [SMALL])
    delete_item(store, Label.IDEA, "idea-2")
    need = tmp_path / "needs.json"
    need.write_text('[{"id": "n-back", "title": "Kø på legevakten"}]', encoding="utf-8")
    ingest(store, fake_embedder, [need])
    delete_item(store, Label.NEED, "n-back")
    assert ingest(store, fake_embedder, [need]).created == 1 and store.get("n-back") is not None
    create_item(store, fake_embedder, "ideas", {"id": "idea-2", "title": "Ny idé", "text": "Noe annet",
                                                "submitter_kind": "employee"})
    assert store.get("idea-2").props["title"] == "Ny idé"  # type: ignore[union-attr]


def test_upper_case_extensions_are_read(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                        tmp_path: Path) -> None:
    """initiatives.CSV in a folder, and a named NEEDS.CSV, are read like .csv; a wrong type lists the types."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    _initiatives_csv(tmp_path / "initiatives.CSV", ["u-1,Upper,ongoing,unit-teknisk"])
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "NEEDS.CSV").write_text("id,title\nu-n,Upper need\n", encoding="utf-8")
    ingest(store, fake_embedder, [tmp_path, tmp_path / "other" / "NEEDS.CSV"])
    assert store.get("u-1") is not None and store.get("u-n") is not None
    (tmp_path / "needs.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"use one of \.csv, \.json, \.jsonl, \.xlsx, or give its folder"):
        ingest(store, fake_embedder, [tmp_path / "needs.txt"])


def test_a_nested_topic_list_is_a_row_problem(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                              tmp_path: Path) -> None:
    """"topics": [["x"]] is refused naming the field, instead of making the topic "['x']"."""
    (tmp_path / "needs.json").write_text('[{"id": "n1", "title": "T", "topics": [["x"]]}]', encoding="utf-8")
    with pytest.raises(ValidationError, match="field 'topics': each topic must be text, got list"):
        ingest(store, fake_embedder, [tmp_path])
    assert store.count_nodes() == 0


def test_an_unchanged_rerun_reads_nothing_and_still_lists_what_was_skipped(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """Re-running unchanged files with bad rows reads 0 rows and gives the same skipped rows as the first run."""
    (tmp_path / "needs.json").write_text('[{"id": "n1", "title": "T"}, {"id": "n2"}]', encoding="utf-8")
    first = ingest(store, fake_embedder, [tmp_path], strict=False)
    again = ingest(store, fake_embedder, [tmp_path], strict=False)
    assert again.files_unchanged and again.read == 0 and again.last_read == first.read == 1
    assert again.skipped == first.skipped == 1 and [str(p) for p in again.problems] == [str(p) for p in first.problems]


def test_wrong_options_are_refused_by_name(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                           tmp_path: Path) -> None:
    """An unknown --kind or --encoding, or a mapping without --format table, is refused naming the option."""
    _initiatives_csv(tmp_path / "j6.csv", [])
    cases = [({"kind": "bogus"}, "--kind: unknown kind 'bogus'; use one of focus_areas"),
             ({"encoding": "bogus"}, "--encoding: unknown encoding 'bogus'"),
             ({"mapping": tmp_path / "no.toml", "fmt": "table"}, f"--mapping: no such file: {tmp_path / 'no.toml'}"),
             ({"mapping": tmp_path / "j6.csv"}, "--mapping: a mapping is only read with --format table")]
    for options, message in cases:
        with pytest.raises(ValidationError) as err:
            ingest(store, fake_embedder, [tmp_path / "j6.csv"], **options)  # type: ignore[arg-type]
        assert message in str(err.value), options


# --- the `kominn ingest` and `kominn export` commands ------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run `kominn` with a private data folder and the hashing embedder (no model to load)."""
    from typer.testing import CliRunner

    from service.cli import app
    from service.settings import Settings

    monkeypatch.setattr(Settings, "build_embedder", lambda self: HashingEmbedder())
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [*map(str, args), "--data-dir", str(tmp_path / "data")])


def test_cli_exit_code_says_whether_everything_was_read(cli: Callable[..., Result], tmp_path: Path) -> None:
    """0 when every row was read, 3 when a row or a file was skipped (so scripts notice), also when the same
    files are run again; the --help says so."""
    assert cli("ingest", SMALL).exit_code == 0
    _initiatives_csv(tmp_path / "initiatives.csv", ["ok-1,Ok,ongoing,unit-teknisk", "bad-1,,ongoing,unit-teknisk"])
    result = cli("ingest", tmp_path / "initiatives.csv")
    assert result.exit_code == 3, result.output
    again = cli("ingest", tmp_path / "initiatives.csv")
    assert again.exit_code == 3 and "row 3, field 'title'" in again.output
    _initiatives_csv(tmp_path / "t1.csv", ["b-1,T,unit-teknisk"], header="id,title,owner")
    assert cli("ingest", "--kind", "initiatives", tmp_path / "t1.csv").exit_code == 3
    assert "Exit code" in " ".join(cli("ingest", "--help").output.split())


def test_cli_lists_warnings_apart_and_an_unchanged_rerun_consistently(cli: Callable[..., Result],
                                                                      tmp_path: Path) -> None:
    """Warnings are not listed as skipped rows; an unchanged re-run says it read nothing and still lists the
    skipped row rather than an empty list."""
    (tmp_path / "needs.json").write_text('[{"id": "n1", "title": "<b>Kø</b>"}, {"id": "n2"}]', encoding="utf-8")
    first = cli("ingest", tmp_path / "needs.json")
    skipped_part, _, warning_part = first.output.partition("warning(s)")
    assert "Skipped 1 bad row(s)" in skipped_part and "HTML tags removed" not in skipped_part
    assert "row 1, field 'title': HTML tags removed" in warning_part
    again = cli("ingest", tmp_path / "needs.json")
    assert "read 0," in again.output and "nothing was read now" in again.output
    assert "row 2, field 'title': required field is missing" in again.output


def test_cli_says_which_erased_ideas_it_left_out(cli: Callable[..., Result], tmp_path: Path) -> None:
    """Re-ingesting a file with an idea an admin erased exits 0 and says, by file and row, that the idea was left
    out and that it should be taken out of the source."""
    from service.items import delete_item

    assert cli("ingest", SMALL).exit_code == 0
    with EmbeddedGraphStore(tmp_path / "data" / "kominn.sqlite") as s:
        delete_item(s, Label.IDEA, "idea-2")
    result = cli("ingest", SMALL)
    assert result.exit_code == 0, result.output
    assert "erased ideas left out 1" in result.output
    assert "Left out 1 idea(s) an admin erased (take them out of the source):" in result.output
    assert f"{SMALL / 'ideas.jsonl'}, row 3, field 'id': idea 'idea-2' was erased" in result.output


def test_cli_option_errors_are_one_line_usage_errors(cli: Callable[..., Result], tmp_path: Path) -> None:
    """A missing mapping file, an unknown --kind or --encoding end with one line naming it and exit code 2;
    --mapping alone implies --format table."""
    _initiatives_csv(tmp_path / "j6.csv", ["a,A,ongoing,unit-teknisk"])
    cases: list[tuple[list[object], str]] = [
        (["--format", "table", "--mapping", tmp_path / "nonexist.toml"],
         f"--mapping: no such file: {tmp_path / 'nonexist.toml'}"),
        (["--kind", "bogus"], "--kind: unknown kind 'bogus'"),
        (["--encoding", "bogus"], "--encoding: unknown encoding 'bogus'")]
    for args, message in cases:
        result = cli("ingest", *args, tmp_path / "j6.csv")
        assert result.exit_code == 2 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    (tmp_path / "map.toml").write_text('kind = "needs"\n[columns]\nid = "id"\ntitle = "title"\n', encoding="utf-8")
    implied = cli("ingest", "--mapping", tmp_path / "map.toml", tmp_path / "j6.csv")
    assert implied.exit_code == 0 and "created 1" in implied.output, implied.output


def test_cli_export_creates_a_missing_folder_and_names_an_unwritable_path(cli: Callable[..., Result],
                                                                          tmp_path: Path) -> None:
    """Export into a folder that does not exist creates it; a path that cannot be written is one line."""
    assert cli("ingest", SMALL).exit_code == 0
    out = tmp_path / "out" / "sub" / "g.graphml"
    result = cli("export", out)
    assert result.exit_code == 0 and out.exists(), result.output
    (tmp_path / "file").write_text("", encoding="utf-8")
    blocked = cli("export", tmp_path / "file" / "g.json")
    assert blocked.exit_code == 1 and str(tmp_path / "file" / "g.json") in blocked.output
    assert "Traceback" not in blocked.output and len(blocked.output.strip().splitlines()) == 1


# --- mistakes that used to lose or garble data without a word ------------------------------------------


def test_a_column_named_twice_skips_the_file_naming_the_column(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A header with "topics" twice would keep only one of the two values: the file is skipped, naming it."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    f = _initiatives_csv(tmp_path / "initiatives.csv", ["d-1,A,ongoing,unit-teknisk,biogass,kompost"],
                         header="id,title,status,owner,topics,topics")
    summary = ingest(store, fake_embedder, [f], strict=False)
    assert summary.skipped_files == {str(f): 1} and store.get("d-1") is None
    assert any(p.field == "topics" and "named 2 times" in p.message for p in summary.problems)


def test_a_row_broken_by_a_line_break_is_skipped_not_read_as_two(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """An unquoted line break splits a row into two short ones: both are skipped with the count of their values,
    rather than stored as one item cut short and one made of the rest."""
    (tmp_path / "needs.csv").write_text("id,title,description,owner\nneed-9,Tittel,del1\ndel2,mer\n"
                                        "need-10,Hel rad,Beskrivelse,\n", encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path / "needs.csv"], strict=False)
    assert store.get("need-9") is None and store.get("del2") is None and store.get("need-10") is not None
    assert [(p.row, p.message.split(",")[0]) for p in summary.problems] == [
        (2, "3 values"), (3, "2 values")]


def test_a_data_file_in_a_folder_that_is_not_named_after_a_kind_is_named(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A folder's idea.csv is not silently passed over: the ingest stops naming it and the name it should have;
    a README in the folder is still no concern."""
    shutil.copytree(SMALL, tmp_path / "d")
    (tmp_path / "d" / "README.md").write_text("Om dataene\n", encoding="utf-8")
    (tmp_path / "d" / "idea.csv").write_text("id,title,text\ni-9,Tittel,Tekst\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"cannot tell what 'idea' holds: rename it ideas\.csv"):
        ingest(store, fake_embedder, [tmp_path / "d"], strict=False)
    assert store.count_nodes() == 0


def test_a_file_of_another_type_named_on_its_own_says_to_give_its_folder(cli: Callable[..., Result],
                                                                         tmp_path: Path) -> None:
    """A README named with the data files, as `kominn ingest folder/*` does, stops the run naming it, the file
    types read and its folder, which read instead takes the data files and passes the README over."""
    folder = tmp_path / "d"
    shutil.copytree(SMALL, folder)
    (folder / "README.md").write_text("Om dataene\n", encoding="utf-8")
    result = cli("ingest", *sorted(folder.iterdir()))
    assert result.exit_code == 1 and "Nothing was written" in result.output, result.output
    said = " ".join(result.output.split())
    assert (f"{folder / 'README.md'}: unsupported file type; use one of .csv, .json, .jsonl, .xlsx, or give its "
            f"folder ({folder}) instead, which reads every data file there and skips the rest") in said, said
    whole = cli("ingest", folder)
    assert whole.exit_code == 0 and "README" not in whole.output, whole.output


def test_windows_text_read_as_latin1_is_caught_and_cp1252_reads_it(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A Windows-1252 dash read as Latin-1 would be stored as an invisible control character: the row is
    skipped naming the field and --encoding cp1252; read as cp1252, the dash is stored."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    f = tmp_path / "initiatives.csv"
    f.write_bytes("id,title,status,owner\nw-1,Snø – brøyting,ongoing,unit-teknisk\n".encode("cp1252"))
    summary = ingest(store, fake_embedder, [f], encoding="latin-1", strict=False)
    [problem] = summary.problems
    assert problem.field == "title" and "--encoding cp1252" in problem.message and store.get("w-1") is None
    ingest(store, fake_embedder, [f], encoding="cp1252")
    assert store.get("w-1").title == "Snø – brøyting"  # type: ignore[union-attr]


def test_lists_split_at_commas_too_and_json_values_must_be_text(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A topics cell "biogass, matavfall" gives two topics, not one named with a comma; a JSON id of true or a
    title of an infinite number is a row problem, not the id "True" or the title "inf"."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    f = _initiatives_csv(tmp_path / "initiatives.csv", ['t-1,Gass,ongoing,unit-teknisk,"biogass, matavfall"'],
                         header="id,title,status,owner,topics")
    ingest(store, fake_embedder, [f])
    assert {n.id for _, n in store.neighbours("t-1", Rel.TAGGED)} == {"topic:biogass", "topic:matavfall"}
    (tmp_path / "needs.json").write_text('[{"id": true, "title": "Sann"}, {"id": "n-inf", "title": 1e400}]',
                                         encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path / "needs.json"], strict=False)
    assert [(p.row, p.field, p.message) for p in summary.problems] == [
        (1, "id", "expected text, got bool"), (2, "title", "expected text, got the number inf")]
    assert store.get("True") is None and store.get("n-inf") is None


def test_a_partner_with_an_unknown_role_is_told_the_roles(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """"org-biogass:leverandør" names a known organisation and a role that is not one: the message says which
    roles there are, rather than only that no such id exists."""
    ingest(store, fake_embedder, [SMALL])
    f = _initiatives_csv(tmp_path / "initiatives.csv", ["r-1,Rolle,ongoing,unit-teknisk,org-biogass:leverandør"],
                         header="id,title,status,owner,partners")
    summary = ingest(store, fake_embedder, [f], strict=False)
    [problem] = summary.problems
    assert problem.field == "partners" and "if 'leverandør' is meant as the role of 'org-biogass'" in problem.message


def test_ids_dates_countries_and_org_numbers_are_read_as_the_docs_say(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """An id must start with a letter or digit, a date is YYYY-MM-DD only (not 20261123 or 2026-W47-1), a
    country is two letters; an organisation number written with spaces ("987 654 321") is read as its digits."""
    (tmp_path / "organisations.csv").write_text(
        "id,name,kind,country,org_number\n_skjult,Skjult,business,,\nland-1,Land,business,1x,\n"
        "nr-1,Med mellomrom AS,business,no,987 654 321\n", encoding="utf-8")
    summary = ingest(store, fake_embedder, [tmp_path / "organisations.csv"], strict=False)
    assert [(p.row, p.field) for p in summary.problems] == [(2, "id"), (3, "country")]
    assert store.get("nr-1").props["org_number"] == "987654321"  # type: ignore[union-attr]
    assert store.get("nr-1").props["country"] == "NO"  # type: ignore[union-attr]
    f = _initiatives_csv(tmp_path / "initiatives.csv", ["d-1,A,ongoing,nr-1,20261123", "d-2,B,ongoing,nr-1,2026-W47-1",
                                                        "d-3,C,ongoing,nr-1,2026-11-23"],
                         header="id,title,status,owner,start_date")
    summary = ingest(store, fake_embedder, [f], strict=False)
    assert [(p.row, p.field) for p in summary.problems] == [(2, "start_date"), (3, "start_date")]
    assert str(store.get("d-3").props["start_date"]) == "2026-11-23"  # type: ignore[union-attr]


def test_a_date_outside_the_years_1900_to_2100_is_a_row_problem(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A start date in year 1 or 9999 (a typing error, which the partner recommender's recency weight and pandas'
    datetimes cannot take) skips its row naming the field and the years allowed; 1900 and 2100 are read."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    f = _initiatives_csv(tmp_path / "initiatives.csv", ["y-1,A,ongoing,unit-teknisk,0001-01-01",
                                                        "y-2,B,ongoing,unit-teknisk,9999-12-31",
                                                        "y-3,C,ongoing,unit-teknisk,1900-01-01",
                                                        "y-4,D,ongoing,unit-teknisk,2100-12-31"],
                         header="id,title,status,owner,start_date")
    summary = ingest(store, fake_embedder, [f], strict=False)
    assert [(p.row, p.field, p.message) for p in summary.problems] == [
        (2, "start_date", "'0001-01-01' is not a date from the years 1900 to 2100"),
        (3, "start_date", "'9999-12-31' is not a date from the years 1900 to 2100")]
    assert store.get("y-1") is None and store.get("y-2") is None
    assert store.get("y-3") is not None and store.get("y-4") is not None


def test_a_required_text_of_nothing_but_markup_or_control_characters_is_missing(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A title that is only HTML tags, control characters or zero-width spaces would be stored empty: the row is
    skipped naming the title as missing; an optional description of only tags is left out, not stored empty."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    f = _initiatives_csv(tmp_path / "initiatives.csv", ["e-1,<p></p>,ongoing,unit-teknisk,Tekst",
                                                        "e-2,\x01\x02,ongoing,unit-teknisk,Tekst",
                                                        "e-3,\u200b\u200b,ongoing,unit-teknisk,Tekst",
                                                        "e-4,Tittel,ongoing,unit-teknisk,<br>"],
                         header="id,title,status,owner,description")
    summary = ingest(store, fake_embedder, [f], strict=False)
    assert [(p.row, p.field) for p in summary.problems] == [(2, "title"), (3, "title"), (4, "title")]
    assert all(p.message.startswith("required field is missing") for p in summary.problems)
    assert [store.get(i) for i in ("e-1", "e-2", "e-3")] == [None, None, None]
    assert store.get("e-4").props == {"title": "Tittel", "status": "ongoing"}  # type: ignore[union-attr]


def test_json_that_cannot_be_read_as_meant_is_a_problem_naming_file_row_and_field(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A broken \\u escape (a lone surrogate) in a value, a topic or a key, and a key given twice, skip their item
    naming file, item and field (they crashed the ingest, or kept one of the two values unsaid); a number of 5000
    digits skips its JSONL line, or the whole JSON file, naming it. The other items are read."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    f = tmp_path / "initiatives.json"
    f.write_text('[{"id": "j-1", "title": "A\\ud800", "status": "ongoing", "owner": "unit-teknisk"},'
                 ' {"id": "j-2", "title": "B", "status": "ongoing", "owner": "unit-teknisk", "topics": ["x\\udc00"]},'
                 ' {"id": "j-3", "title": "C", "status": "ongoing", "owner": "unit-teknisk", "\\ud800": 1},'
                 ' {"id": "j-4", "title": "D", "title": "E", "status": "ongoing", "owner": "unit-teknisk"},'
                 ' {"id": "j-5", "title": "F", "status": "ongoing", "owner": "unit-teknisk"}]', encoding="utf-8")
    summary = ingest(store, fake_embedder, [f], strict=False)
    assert [(p.file, p.row, p.field) for p in summary.problems] == [
        (str(f), 1, "title"), (str(f), 2, "topics"), (str(f), 3, "\\ud800"), (str(f), 4, "title")]
    assert "U+D800, half of a character" in summary.problems[0].message
    assert "'title' is given more than once" in summary.problems[3].message
    assert [n.id for n in store.iter_nodes(Label.INITIATIVE)] == ["j-5"]
    assert "\\ud800" in write_report(tmp_path / "report.csv", summary).read_text(encoding="utf-8")
    lines = tmp_path / "ideas.jsonl"
    lines.write_text('{"id": "l-1", "title": "Tall", "text": "Et tall", "submitter_kind": "citizen", "x": '
                     + "1" * 5000 + '}\n{"id": "l-2", "title": "Benk", "text": "Flere benker", '
                     '"submitter_kind": "citizen"}\n', encoding="utf-8")
    summary = ingest(store, fake_embedder, [lines], strict=False)
    assert [(p.row, p.message) for p in summary.problems] == [(1, "invalid JSON: a number of more than 4,300 digits")]
    assert store.get("l-2") is not None
    whole = tmp_path / "needs.json"
    whole.write_text('[{"id": "n-1", "title": ' + "2" * 5000 + "}]", encoding="utf-8")
    summary = ingest(store, fake_embedder, [whole], strict=False)
    assert (summary.problems[0].file, summary.problems[0].message) == (
        str(whole), "invalid JSON: a number of more than 4,300 digits")


def test_a_line_separator_inside_a_csv_value_does_not_end_its_row(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A description holding a Unicode line or paragraph separator (pasted from a web page), unquoted as Excel
    leaves it, is read whole: the row used to end there, keeping the first half and skipping the rest as a row of
    its own with the message of a line break."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    f = _initiatives_csv(tmp_path / "initiatives.csv", ["s-1,Linje,ongoing,unit-teknisk,Første del\u2028andre del",
                                                        "s-2,Avsnitt,ongoing,unit-teknisk,Ett avsnitt\u2029et til"],
                         header="id,title,status,owner,description")
    summary = ingest(store, fake_embedder, [f], strict=False)
    assert summary.problems == []
    assert store.get("s-1").props["description"] == "Første del\u2028andre del"  # type: ignore[union-attr]
    assert store.get("s-2").props["description"] == "Ett avsnitt\u2029et til"  # type: ignore[union-attr]


def test_a_partner_given_twice_with_two_roles_is_a_row_problem(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """"org-biogass;org-biogass:supplier" would keep one of the two roles unsaid: the row is skipped naming the
    partners field and both roles; the same partner given twice alike is one link."""
    ingest(store, fake_embedder, [SMALL])
    f = _initiatives_csv(tmp_path / "initiatives.csv",
                         ["p-1,To roller,ongoing,unit-teknisk,org-biogass;org-biogass:supplier",
                          "p-2,Samme rolle,ongoing,unit-teknisk,org-biogass;org-biogass"],
                         header="id,title,status,owner,partners")
    summary = ingest(store, fake_embedder, [f], strict=False)
    assert [(p.row, p.field, p.message) for p in summary.problems] == [
        (2, "partners", "'org-biogass' is given twice, as partner and as supplier; give it once, with its role")]
    assert store.get("p-1") is None
    assert [n.id for _, n in store.neighbours("p-2", Rel.INVOLVES)] == ["org-biogass"]


def test_control_characters_are_no_part_of_a_topic(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A topic "bio\\x00gass" is the topic biogass and one of nothing but control characters is refused naming
    topics, where they made topics named with a NUL ("topic:\\x00")."""
    ingest(store, fake_embedder, [SMALL / "organisations.csv"])
    f = tmp_path / "initiatives.json"
    f.write_text('[{"id": "t-1", "title": "A", "status": "ongoing", "owner": "unit-teknisk",'
                 ' "topics": ["bio\\u0000gass"]},'
                 ' {"id": "t-2", "title": "B", "status": "ongoing", "owner": "unit-teknisk",'
                 ' "topics": ["\\u0000\\u0001"]}]', encoding="utf-8")
    summary = ingest(store, fake_embedder, [f], strict=False)
    assert [(p.row, p.field) for p in summary.problems] == [(2, "topics")]
    assert [n.id for _, n in store.neighbours("t-1", Rel.TAGGED)] == ["topic:biogass"]
    assert not any("\x00" in n.id for n in store.iter_nodes(Label.TOPIC))
