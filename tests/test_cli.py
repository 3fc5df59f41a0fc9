"""The kominn command line: every command has help, and each works end to end."""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.main import get_command
from typer.testing import CliRunner, Result

from graph.embedded import EmbeddedGraphStore
from recommend.partners import MODEL_META_KEY, PartnerModel
from service.cli import app
from tests.conftest import SHARED_DATA, TEST_DATA

runner = CliRunner()
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def _with_subcommands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's words (``("token", "create")``), groups and the commands in them."""
    found = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        found.append((*path, name))
        found += _with_subcommands(command, (*path, name))
    return found


EVERY_COMMAND = _with_subcommands(get_command(app))


def test_the_expected_commands_exist() -> None:
    """ingest, similar, serve, stats and export are all there."""
    assert {"ingest", "similar", "serve", "stats", "export"} <= set(COMMANDS)


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    """Each command and subcommand prints a description and its options with --help, naming arguments and the
    values of options by what they are (QUERY, PATH..., --known ORG), never by a Python type or in braces
    (<list[Path]>, <str>, {query}); a flag shows no value to give."""
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "<bool>" not in result.output and "--help" in result.output
    found = get_command(app)
    for word in command:
        found = found.commands[word]  # type: ignore[attr-defined]
    assert len(found.help or "") > 20
    assert "Usage" in result.output
    assert "list[" not in result.output and "{" not in result.output, result.output
    assert not re.search(r"<(str|int|float|path|bool|list)\b", result.output), result.output
    usage = {"ingest": "ingest [OPTIONS] PATH...", "similar": "similar [OPTIONS] QUERY",
             "partners": "partners [OPTIONS] QUERY", "check-idea": "check-idea [OPTIONS] TEXT",
             "reuse": "reuse [OPTIONS] ID", "export": "export [OPTIONS] FILE"}.get(" ".join(command))
    assert usage is None or result.output.splitlines()[0].endswith(usage), result.output


@pytest.mark.slow
def test_ingest_similar_stats_export(tmp_path: Path) -> None:
    """Ingest a folder, find a similar initiative, count and export, all through the CLI."""
    data_dir = ["--data-dir", str(tmp_path / "d")]
    result = runner.invoke(app, ["ingest", str(TEST_DATA / "small"), *data_dir])
    assert result.exit_code == 0, result.output
    assert "created 14" in result.output  # 11 rows and 3 topics
    assert f"Into embedded store at {tmp_path / 'd' / 'kominn.sqlite'}" in result.output  # says where it wrote

    again = runner.invoke(app, ["ingest", str(TEST_DATA / "small"), *data_dir])
    assert "embedded 0" in again.output and "unchanged 14" in again.output

    sim = runner.invoke(app, ["similar", "gass av matrester fra husholdningene", "-k", "1", "--json", *data_dir])
    assert sim.exit_code == 0, sim.output
    assert json.loads(sim.stdout)["items"][0]["id"] == "ini-1"

    stats = runner.invoke(app, ["stats", *data_dir])
    assert re.search(r"Initiative\s+2", stats.output)

    out = tmp_path / "g.graphml"
    exp = runner.invoke(app, ["export", str(out), *data_dir])
    assert exp.exit_code == 0 and out.exists()
    assert "kari@testvik.no" not in out.read_text(encoding="utf-8")


def test_ingest_of_a_bad_file_fails_and_says_where(tmp_path: Path) -> None:
    """With --strict a bad file makes ingest exit non-zero, name file, row and field, and write nothing."""
    bad = str(TEST_DATA / "bad" / "initiatives.csv")
    result = runner.invoke(app, ["ingest", bad, "--strict", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "Nothing was written" in result.output and "row 3, field 'title'" in result.output


def test_ingest_skips_bad_rows_by_default_and_says_so(tmp_path: Path) -> None:
    """By default bad rows are skipped, named by file, row and field, and listed in a report file; the exit
    code (3) tells a script that not everything was read."""
    bad = str(TEST_DATA / "bad" / "initiatives.csv")
    report = tmp_path / "report.csv"
    result = runner.invoke(app, ["ingest", bad, "--report", str(report), "--data-dir", str(tmp_path)])
    assert result.exit_code == 3, result.output  # written, but not everything: scripts can tell
    assert "skipped 3" in result.output and "row 3, field 'title'" in result.output
    assert str(report) in result.output and "row" in report.read_text(encoding="utf-8")


def test_ingest_of_a_file_with_only_its_header_says_so_and_exits_3(tmp_path: Path) -> None:
    """`kominn ingest --sync` of a folder whose ideas.csv has only its header line names the file as having a
    header but no rows, exits 3 as for an empty file, and retires none of the ideas the file gave before."""
    folder = tmp_path / "src"
    folder.mkdir()
    ideas = folder / "ideas.csv"
    ideas.write_text("id,title,text,submitter_kind\ni-1,Benker,Flere benker langs turveien,citizen\n",
                     encoding="utf-8")
    data_dir = ["--data-dir", str(tmp_path / "d")]
    assert runner.invoke(app, ["ingest", str(folder), "--sync", *data_dir]).exit_code == 0
    ideas.write_text("id,title,text,submitter_kind\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(folder), "--sync", *data_dir])
    assert result.exit_code == 3, result.output
    assert f"{ideas}: the file has a header but no rows" in result.output
    assert "did not retire 1 item" in result.output and "retired" not in result.output.split("\n")[1]


def test_a_report_path_that_is_a_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """--report naming a folder is a wrong option (exit 2, saying to name a file in it), found before the store
    is touched; a report that cannot be written after the data was says the data was written."""
    bad = str(TEST_DATA / "bad" / "initiatives.csv")
    result = runner.invoke(app, ["ingest", bad, "--report", str(tmp_path), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2 and "is a folder" in result.output
    assert not (tmp_path / "d" / "kominn.sqlite").exists()
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")  # a file where the report's folder should be
    result = runner.invoke(app, ["ingest", bad, "--report", str(blocked / "r.csv"), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 3, result.output
    assert "The data was written, but its report could not be" in result.output
    assert "Nothing was written" not in result.output


@pytest.mark.slow
def test_a_source_ingest_says_how_many_rows_gave_its_records(tmp_path: Path) -> None:
    """A Tidstyver row gives a report, its agency and its ministry: the summary counts both the records it
    read and the rows they came from, so the count can be checked against the file."""
    source = SHARED_DATA / "difi_tidstyver_2014" / "items.csv"
    folder = tmp_path / "tidstyver"
    folder.mkdir()
    with source.open(encoding="utf-8", newline="") as fh, (folder / "items.csv").open("w", encoding="utf-8",
                                                                                        newline="") as out:
        csv.writer(out).writerows(itertools.islice(csv.reader(fh), 13))  # the header and 12 rows
    result = runner.invoke(app, ["ingest", str(folder), "--format", "tidstyver", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    found = re.search(r"read (\d+) record\(s\) from 12 row\(s\)", result.output)
    assert found and int(found.group(1)) > 12, result.output


def test_a_bad_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad value in a section's variable (KOMINN_NEO4J_URI, KOMINN_MODEL_BATCH_SIZE) is named as the person set
    it, with what to write instead, and is a usage error (exit 2), not a traceback."""
    from service.settings import get_settings

    for name, value, said in (("KOMINN_NEO4J_URI", "http://127.0.0.1:7474", "bolt://127.0.0.1:7687"),
                              ("KOMINN_MODEL_BATCH_SIZE", "0", "greater than or equal to 1"),
                              ("KOMINN_INGEST_BATCH_SIZE", "0", "greater than or equal to 1")):
        with monkeypatch.context() as env:
            env.setenv(name, value)
            get_settings.cache_clear()
            result = runner.invoke(app, ["stats"])
        get_settings.cache_clear()
        assert result.exit_code == 2 and f"{name}: " in result.output and said in result.output, result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_loads_the_demo_into_an_empty_store_and_answers(tmp_path: Path) -> None:
    """`kominn serve` on an empty data directory says it loads the demo, then serves it over HTTP."""
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "KOMINN_DATA_DIR": str(tmp_path / "data")}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
        try:
            deadline = time.monotonic() + 240
            body = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                    body = r.json()
                    break
                except httpx.HTTPError:
                    time.sleep(1)
            assert body is not None, log.read_text()
            assert body["status"] == "ok" and body["nodes"] > 100
            r = httpx.get(f"http://127.0.0.1:{port}/search", params={"q": "biogass"}, timeout=30)
            assert r.status_code == 200 and r.json()["count"] > 0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert "loading the illustrative demo data" in log.read_text()
    assert "kept the prior partner weights" in log.read_text()  # the demo is too small to learn from


@pytest.mark.slow
def test_learn_partners_keeps_learned_weights_in_the_store(tmp_path: Path, demo_db: Path) -> None:
    """`kominn learn-partners` keeps the prior weights on a store as small as the demo (saying why, at once), learns
    from the demo initiatives when asked to with --min-initiatives, and stores the weights that
    `kominn partners` then uses; a store without initiatives to learn from says so."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    small = runner.invoke(app, ["learn-partners", "--data-dir", str(data)])
    assert small.exit_code == 1 and "fewer than the 300 needed" in small.output, small.output
    assert "training queries" not in small.output  # known before any is computed: no progress bar stands at 0
    with EmbeddedGraphStore(data / "kominn.sqlite") as s:
        assert s.get_meta(MODEL_META_KEY) is None
    out = runner.invoke(app, ["learn-partners", "--queries", "40", "--min-initiatives", "10", "--data-dir", str(data)])
    assert out.exit_code == 0, out.output
    assert "learned the partner weights from" in out.output
    with EmbeddedGraphStore(data / "kominn.sqlite") as s:
        saved = PartnerModel.from_json(s.get_meta(MODEL_META_KEY) or "")
    assert 10 <= saved.trained_on <= 40 and saved.coef != PartnerModel.default().coef
    shown = runner.invoke(app, ["partners", "ini-001", "-k", "3", "--data-dir", str(data)])
    assert shown.exit_code == 0 and "org-" in shown.output, shown.output
    empty = runner.invoke(app, ["learn-partners", "--data-dir", str(tmp_path / "empty")])
    assert empty.exit_code == 1 and "There is no store at" in empty.output


@pytest.mark.slow
def test_check_idea_names_the_existing_idea_and_says_when_nothing_is_close(tmp_path: Path, demo_db: Path) -> None:
    """`kominn check-idea` shows the demo idea an idea repeats, with the threshold it used; a text about
    something else finds nothing; an empty idea is refused with the field named."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    found = runner.invoke(app, ["check-idea", "Biogass fra matavfall til kommunens busser", "--data-dir", str(data)])
    assert found.exit_code == 0, found.output
    assert "idea-004" in found.output and "at least 0.40" in found.output
    as_json = runner.invoke(app, ["check-idea", "-", "--json", "--data-dir", str(data)],
                            input="Biogass fra matavfall til kommunens busser")
    assert json.loads(as_json.stdout)["items"][0]["id"] == "idea-004"
    elsewhere = "Kvantedatamaskiner for værvarsling på Svalbard"
    nothing = runner.invoke(app, ["check-idea", elsewhere, "--data-dir", str(data)])
    assert nothing.exit_code == 0 and "nothing found" in nothing.output, nothing.output
    empty = runner.invoke(app, ["check-idea", "   ", "--data-dir", str(data)])
    assert empty.exit_code == 2 and "TEXT: the idea text is empty" in empty.output


@pytest.mark.slow
def test_check_idea_lists_related_existing_work_under_its_own_heading(tmp_path: Path, demo_db: Path) -> None:
    """`kominn check-idea` given a citizen's plain description of the completed night surveillance names the
    near-identical idea as a possible duplicate and the completed initiative under "Related existing work",
    saying it was completed; --json carries the same list in `related`."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    idea = ("Nattbesøk\nMin mor på 86 blir vekket hver natt av at hjemmesykepleien låser seg inn for å se til henne. "
            "Kan dere ikke bruke en sensor eller et kamera i stedet, så hun får sove?")
    shown = runner.invoke(app, ["check-idea", idea, "--data-dir", str(data)])
    assert shown.exit_code == 0, shown.output
    duplicates, _, related = shown.output.partition("Related existing work (not duplicates)")
    assert "idea-001" in duplicates and "ini-001" not in duplicates, shown.output
    line = next(x for x in related.splitlines() if "ini-001" in x)
    assert line.endswith("(completed)") and "Completed by " in related
    as_json = json.loads(runner.invoke(app, ["check-idea", idea, "--json", "--data-dir", str(data)]).stdout)
    assert [i["id"] for i in as_json["items"]][:1] == ["idea-001"]
    done = next(i for i in as_json["related"] if i["id"] == "ini-001")
    assert done["status"] == "completed" and as_json["related_notes"]


@pytest.mark.slow
def test_partners_name_the_option_that_is_wrong(tmp_path: Path, demo_db: Path) -> None:
    """`kominn partners` given an organisation id as the query points to --known; an unknown --known or
    --kind names that option; each is a usage error (exit 2), not a failure of the store."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    org = runner.invoke(app, ["partners", "unit-helse", "--data-dir", str(data)])
    assert org.exit_code == 2 and "is an organisation" in org.output and "--known unit-helse" in org.output
    known = runner.invoke(app, ["partners", "Biogass", "--known", "nope", "--data-dir", str(data)])
    assert known.exit_code == 2 and "--known: unknown organisation id(s): nope" in known.output, known.output
    kind = runner.invoke(app, ["partners", "Biogass", "--kind", "bogus", "--data-dir", str(data)])
    assert kind.exit_code == 2 and "--kind:" in kind.output, kind.output
    wrong = runner.invoke(app, ["partners", "Biogass", "--known", "ini-001", "--data-dir", str(data)])
    assert wrong.exit_code == 2 and "'ini-001' is an initiative" in wrong.output, wrong.output


@pytest.mark.slow
def test_a_mistyped_id_is_searched_as_text_with_a_note_saying_so(tmp_path: Path, demo_db: Path) -> None:
    """`kominn similar` and `kominn partners` given something that looks like an id but names no item say
    so (it was searched as text); a real id or a description gets no such note."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    for command in ("similar", "partners"):
        typo = runner.invoke(app, [command, "ini-0001", "-k", "2", "--data-dir", str(data)])
        assert typo.exit_code == 0, typo.output
        assert "no item has the id 'ini-0001', so it was searched as text" in typo.output
        for query in ("ini-001", "Digitalt nattilsyn i hjemmetjenesten"):
            fine = runner.invoke(app, [command, query, "-k", "2", "--data-dir", str(data)])
            assert fine.exit_code == 0 and "no item has the id" not in fine.output, fine.output
    as_json = runner.invoke(app, ["similar", "ini-0001", "-k", "2", "--json", "--data-dir", str(data)])
    assert "searched as text" in json.loads(as_json.stdout)["notes"][0]


@pytest.mark.slow
def test_similar_says_when_it_does_not_use_the_unit(tmp_path: Path, demo_db: Path) -> None:
    """`kominn similar` with --unit says in a note that the unit was not used where it is not: for a text without
    --cross-silo, and for an item, whose own unit --cross-silo leaves out instead (as its other note says)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    text = runner.invoke(app, ["similar", "biogass", "--unit", "unit-teknisk", "-k", "2", "--data-dir", str(data)])
    assert text.exit_code == 0, text.output
    assert "note: unit 'unit-teknisk' was not used" in text.output and "cross_silo" in text.output
    item = runner.invoke(app, ["similar", "ini-001", "--unit", "unit-teknisk", "--cross-silo", "-k", "2", "--json",
                               "--data-dir", str(data)])
    assert item.exit_code == 0, item.output
    answer = json.loads(item.stdout)
    assert answer["excluded_owner"]["id"] != "unit-teknisk"
    assert any("unit 'unit-teknisk' was not used" in n and "its own unit" in n for n in answer["notes"])
    assert any(f"items owned by {answer['excluded_owner']['name']} are excluded" in n for n in answer["notes"])
    crossed = runner.invoke(app, ["similar", "biogass", "--unit", "unit-teknisk", "--cross-silo", "-k", "2",
                                  "--data-dir", str(data)])
    assert crossed.exit_code == 0 and "was not used" not in crossed.output, crossed.output


@pytest.mark.slow
def test_bad_input_is_exit_code_2_naming_the_argument(tmp_path: Path, demo_db: Path) -> None:
    """An empty or too long QUERY or TEXT, an ID that names nothing, and an export FILE whose name does not tell the
    format are each refused with exit code 2 and a message naming that argument (not --format when none was given)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    long = "biogass " * 12_500  # 100,000 characters
    cases = [(["similar", ""], "QUERY: the query text is empty"),
             (["check-idea", ""], "TEXT: the idea text is empty"),
             (["partners", " "], "QUERY: describe the project or name a known partner"),
             (["similar", long], "QUERY: at most 20000 characters"),
             (["partners", long], "QUERY: at most 20000 characters"),
             (["check-idea", long], "TEXT: at most 20000 characters"),
             (["reuse", "nope"], "ID: no need or initiative with id 'nope'"),
             (["token", "revoke", "nope"], "ID: no "),
             (["export", str(tmp_path / "out" / "graph")], "FILE: "),
             (["export", str(tmp_path / "g.json"), "--format", "xml"], "--format must be graphml or json, not 'xml'")]
    for args, said in cases:
        result = runner.invoke(app, [*args, "--data-dir", str(data)])
        assert result.exit_code == 2 and said in result.output, (args[:2], result.exit_code, result.output[:300])
    piped = runner.invoke(app, ["check-idea", "-", "--data-dir", str(data)], input="  ")
    assert piped.exit_code == 2 and "TEXT: the idea text is empty" in piped.output
    unnamed = runner.invoke(app, ["export", str(tmp_path / "out" / "graph"), "--data-dir", str(data)]).output
    assert ".graphml" in unnamed and ".json" in unnamed and "--format must" not in unnamed, unnamed
    assert not (tmp_path / "out").exists()


def test_a_query_of_control_characters_is_empty_and_one_that_is_not_utf8_is_named(tmp_path: Path, demo_db: Path
                                                                                 ) -> None:
    """A QUERY or TEXT of NUL and other control characters is empty, and one holding a byte that is not UTF-8 (what
    a Latin-1 terminal sends for "ø", which Python reads as a lone surrogate) is refused with exit code 2 naming the
    argument and the byte, where similar and partners crashed in the model's tokenizer and person find in printing
    its answer."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    latin1 = "sn\udcf8m\udce5king"  # "snømåking" typed in a Latin-1 terminal
    cases = [(["similar", "\x00\x01"], "QUERY: the query text is empty"),
             (["check-idea", "\x00\x00"], "TEXT: the idea text is empty"),
             (["similar", latin1], "QUERY: the text holds the byte 0xf8, which is not UTF-8"),
             (["partners", latin1], "QUERY: the text holds the byte 0xf8, which is not UTF-8"),
             (["check-idea", latin1], "TEXT: the text holds the byte 0xf8, which is not UTF-8"),
             (["person", "find", latin1], "TEXT: the text holds the byte 0xf8, which is not UTF-8"),
             (["person", "find", "\x00\x00\x00"], "at least 3 characters (it has 0)")]
    for args, said in cases:
        result = runner.invoke(app, [*args, "--data-dir", str(data)])
        assert result.exit_code == 2 and said in result.output, (args[:2], result.exit_code, result.output[:300])


def test_a_mistyped_data_folder_is_named_not_answered_with_nothing(tmp_path: Path) -> None:
    """A search (or stats) on a data folder that holds no store says where it looked (and creates nothing there),
    instead of answering "nothing found"; `token list` with no tokens says how to make one."""
    missing = tmp_path / "kominn-dta"
    for args in (["similar", "biogass"], ["partners", "biogass"], ["reuse", "ini-001"], ["check-idea", "biogass"],
                 ["stats"]):
        result = runner.invoke(app, [*args, "--data-dir", str(missing)])
        assert result.exit_code == 1 and f"There is no store at {missing / 'kominn.sqlite'}" in result.output
    assert not missing.exists()
    listed = runner.invoke(app, ["token", "list", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0 and "No tokens yet" in listed.output


def test_the_default_data_folder_is_found_from_a_subfolder_of_the_project(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook's working directory is notebooks/: the settings find the project's kominn-data above it
    (not a new empty store there), stop at the project's root, and KOMINN_DATA_DIR still wins."""
    from service.settings import Settings

    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "kominn-data").mkdir()
    (project / "pyproject.toml").write_text("", encoding="utf-8")
    monkeypatch.delenv("KOMINN_DATA_DIR", raising=False)
    monkeypatch.chdir(project / "notebooks")
    assert Settings().data_dir == project / "kominn-data"
    monkeypatch.chdir(project)
    assert Settings().data_dir == Path("kominn-data")
    (tmp_path / "kominn-data").mkdir()  # outside the project: not taken
    (project / "kominn-data").rmdir()
    monkeypatch.chdir(project / "notebooks")
    assert Settings().data_dir == Path("kominn-data")
    monkeypatch.setenv("KOMINN_DATA_DIR", str(tmp_path / "elsewhere"))
    assert Settings().data_dir == tmp_path / "elsewhere"


@pytest.mark.slow
def test_partners_for_a_text_nothing_matches_say_their_evidence_is_loose(tmp_path: Path, demo_db: Path) -> None:
    """`kominn partners` given a mistyped id (searched as text) that matches no initiative closely adds the note
    `kominn similar` gives ("nothing matches closely"), in the listing and in --json, instead of confident
    results alone; an initiative's id gets no such note."""
    from recommend.similar import WEAK_NOTE

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_db, data / "kominn.sqlite")
    typo = runner.invoke(app, ["partners", "ini-999", "-k", "3", "--data-dir", str(data)])
    assert typo.exit_code == 0 and f"note: {WEAK_NOTE}" in typo.output, typo.output
    notes = json.loads(runner.invoke(app, ["partners", "ini-999", "-k", "3", "--json", "--data-dir", str(data)]).stdout)
    assert "searched as text" in notes["notes"][0] and notes["notes"][1].startswith(WEAK_NOTE)
    assert "which resemble" not in typo.output  # nothing resembles it, however its nearest initiatives rank
    fine = runner.invoke(app, ["partners", "ini-001", "-k", "3", "--json", "--data-dir", str(data)])
    assert json.loads(fine.stdout)["notes"] == []


# --- `kominn ingest --source`, `kominn sources` (with the hashing embedder: no model to load) ---------------------


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run `kominn` with a private data folder and the hashing embedder."""
    from ingest.testing import HashingEmbedder
    from service.settings import Settings

    monkeypatch.setattr(Settings, "build_embedder", lambda self: HashingEmbedder())
    return lambda *args: runner.invoke(app, [*map(str, args), "--data-dir", str(tmp_path / "data")])


def _ideas_folder(folder: Path, ids: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ideas.csv").write_text("id,title,text,submitter_kind\n" + "".join(
        f"{i},Idé {i},Teksten til idé {i},citizen\n" for i in ids), encoding="utf-8")
    return folder


def test_after_moving_the_files_sync_says_the_source_is_new_and_forgetting_the_old_one_lets_it_retire(
    quick: Callable[..., Result], tmp_path: Path
) -> None:
    """After the data folder moves, `ingest --sync` from the new place says the source is new and names the old
    place as gone; `sources` shows it; `sources forget KEY` changes nothing without --yes, forgets it with --yes
    (audited), and then a row removed at the new place is retired by --sync."""
    from service.audit import read

    a = _ideas_folder(tmp_path / "a", ["i-1", "i-2", "i-3"])
    assert quick("ingest", a, "--sync").exit_code == 0
    b = tmp_path / "b"
    shutil.copytree(a, b)
    shutil.rmtree(a)
    old = f"files:{a.resolve()}"
    moved = quick("ingest", b, "--sync")
    assert moved.exit_code == 0, moved.output
    assert "--sync retired nothing: this source was not ingested before" in moved.output
    assert f"  - {old}\n" in moved.output and "kominn sources forget KEY --yes" in moved.output
    listed = quick("sources")
    assert listed.exit_code == 0 and f"{old}\n    format files; 3 item(s); last run " in listed.output
    assert f"; gone: {a.resolve()}" in listed.output and f"files:{b.resolve()}" in listed.output
    as_json = json.loads(quick("sources", "list", "--json").stdout)
    assert [(s["key"], s["items"], s["files_exist"]) for s in as_json] == [
        (old, 3, False), (f"files:{b.resolve()}", 3, True)]
    dry = quick("sources", "forget", old)
    assert dry.exit_code == 0 and "Nothing was changed" in dry.output and "would stay in the graph" in dry.output
    assert quick("sources").output == listed.output
    done = quick("sources", "forget", old, "--yes")
    assert done.exit_code == 0 and "its 3 item(s) stay in the graph" in done.output, done.output
    assert old not in quick("sources").output
    assert [e.get("source") for e in read(tmp_path / "data") if e["what"] == "sources forget"] == [old]
    _ideas_folder(b, ["i-1", "i-3"])
    synced = quick("ingest", b, "--sync")
    assert ", retired 1 " in synced.output and "not ingested before" not in synced.output, synced.output


def test_a_source_name_keeps_a_source_across_folders_and_a_bad_one_is_refused(
    quick: Callable[..., Result], tmp_path: Path
) -> None:
    """`ingest --source NAME --sync` from another folder retires what that folder no longer has, like the same
    folder would; an empty or too long --source ends with one line naming it and exit code 2."""
    assert quick("ingest", _ideas_folder(tmp_path / "a", ["i-1", "i-2"]), "--source", "crm").exit_code == 0
    moved = quick("ingest", _ideas_folder(tmp_path / "b", ["i-1"]), "--source", "crm", "--sync")
    assert moved.exit_code == 0 and ", retired 1 " in moved.output and "not ingested before" not in moved.output
    assert "name:crm\n    format files; 1 item(s)" in quick("sources").output
    for bad, message in [("", "must not be empty"), ("x" * 101, "has at most 100 characters")]:
        result = quick("ingest", tmp_path / "b", "--source", bad)
        assert result.exit_code == 2 and f"Invalid option --source: a source name {message}" in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_forgetting_an_unknown_source_names_the_key_and_the_keys_it_may_mean(
    quick: Callable[..., Result], tmp_path: Path
) -> None:
    """`sources forget` with a KEY that names no source exits 2 naming it: with the key a folder's path belongs
    to, or else pointing to `kominn sources`; --data-dir given before `forget` is the store it looks in."""
    a = _ideas_folder(tmp_path / "a", ["i-1"])
    assert quick("ingest", a).exit_code == 0
    by_path = quick("sources", "forget", a.resolve(), "--yes")
    assert by_path.exit_code == 2, by_path.output
    assert f"KEY: no source has the key '{a.resolve()}'; did you mean 'files:{a.resolve()}'?" in by_path.output
    unknown = quick("sources", "forget", "zzz")
    assert unknown.exit_code == 2 and "`kominn sources` lists the keys" in unknown.output
    assert f"files:{a.resolve()}" in quick("sources").output
    before = runner.invoke(app, ["sources", "--data-dir", str(tmp_path / "data"), "forget", f"files:{a.resolve()}"])
    assert before.exit_code == 0 and "Would forget the source" in before.output, before.output  # the same DIR
