"""The audit log: who changed what and when, through the API, the pages and the commands, without texts or
contact details."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from graph.embedded import EmbeddedGraphStore
from ingest.pipeline import ingest
from ingest.testing import HashingEmbedder
from service.app import create_app
from service.audit import Rotation, audit_files, audit_path, read, record
from service.auth import TokenStore, token_path
from service.settings import Settings
from tests.conftest import TEST_DATA


def _events(data_dir: Path) -> list[dict]:
    path = audit_path(data_dir)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def client(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> Iterator[TestClient]:
    ingest(store, fake_embedder, [TEST_DATA / "small"])
    app = create_app(Settings(data_dir=tmp_path / "data"), store=store, embedder=fake_embedder)
    with TestClient(app) as c:
        yield c


def test_every_change_through_the_api_is_recorded_with_who_made_it(client: TestClient, tmp_path: Path) -> None:
    """A create, a change and a delete by an editor, an idea sent without a token and an admin hiding it each
    leave one line naming the token (or anonymous), the method, the path, the status and the new item's id;
    searches, refused requests and reads leave none, and the file holds no text and no contact details."""
    data = tmp_path / "data"
    tokens = TokenStore(token_path(data))
    editor, editor_info = tokens.create("editor", "saksbehandling")
    admin, admin_info = tokens.create("admin", "Kari")
    as_editor = {"Authorization": f"Bearer {editor}"}
    made = client.post("/needs", json={"title": "Kø på legevakten", "description": "Lang ventetid"},
                       headers=as_editor)
    assert made.status_code == 201, made.text
    need = made.json()["id"]
    assert client.patch(f"/needs/{need}", json={"title": "Kø på legevakten om natten"},
                        headers=as_editor).status_code == 200
    assert client.delete(f"/needs/{need}", headers=as_editor).status_code == 204
    sent = client.post("/ideas", json={"title": "Benker i parken", "text": "Flere benker langs stien",
                                       "submitter_kind": "citizen", "contact": "ola@example.no"})
    assert sent.status_code == 201, sent.text
    idea = sent.json()["id"]
    assert client.post(f"/ideas/{idea}/hide", json={}, headers={"Authorization": f"Bearer {admin}"}
                       ).status_code == 200
    page = client.post("/web/ideas/new?lang=en", data={"title": "Lys i lysløypa", "text": "Lyset slukkes for tidlig",
                                                       "submitter_kind": "citizen"}, follow_redirects=False)
    assert page.status_code == 303
    page_idea = page.headers["location"].split("?")[0].rsplit("/", 1)[-1]
    assert client.post("/web/ideas/new", data={"title": "", "text": ""}).status_code == 422  # refused
    client.cookies.set("kominn_token", admin)  # an admin signed in on the pages sends an idea
    signed_in = client.post("/web/ideas/new", data={"title": "Flere søppelkasser", "text": "Ved badeplassen i sommer",
                                                    "submitter_kind": "employee"}, follow_redirects=False,
                            headers={"origin": "http://testserver"})
    client.cookies.clear()
    assert signed_in.status_code == 303
    slash = client.post("/needs/", json={"title": "Kø"}, headers=as_editor, follow_redirects=False)
    assert slash.status_code == 307  # a redirect to /needs: nothing changed yet
    assert client.post("/similar", json={"text": "kø på legevakten"}).status_code == 200  # a question
    assert client.post("/ideas/check", json={"title": "Benker", "text": "Benker i parken"}).status_code == 200
    assert client.delete("/needs/need-avfall").status_code == 401  # refused: nothing changed
    assert client.get(f"/needs/{need}").status_code == 404
    events = _events(data)
    who_editor = f"token:{editor_info.id} (editor, saksbehandling)"
    assert [(e["who"], e["what"], e["path"], e["status"]) for e in events] == [
        (who_editor, "POST", "/needs", 201), (who_editor, "PATCH", f"/needs/{need}", 200),
        (who_editor, "DELETE", f"/needs/{need}", 204), ("anonymous", "POST", "/ideas", 201),
        (f"token:{admin_info.id} (admin, Kari)", "POST", f"/ideas/{idea}/hide", 200),
        ("anonymous", "POST", "/web/ideas/new", 303), (f"token:{admin_info.id} (admin, Kari)", "POST",
                                                       "/web/ideas/new", 303)]
    assert events[0]["item"] == need and events[3]["item"] == idea and events[5]["item"] == page_idea
    raw = audit_path(data).read_text(encoding="utf-8")
    assert "legevakten" not in raw and "ola@example.no" not in raw and "Benker" not in raw
    assert stat.S_IMODE(audit_path(data).stat().st_mode) == 0o600


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    from service.cli import app

    monkeypatch.setattr(Settings, "build_embedder", lambda self: HashingEmbedder())
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [*map(str, args), "--data-dir", str(tmp_path / "data")])


def test_commands_are_recorded_and_kominn_audit_shows_them(cli: Callable[..., Result], tmp_path: Path) -> None:
    """Making a token, an ingest and erasing a person are recorded (ids and counts, not the searched text);
    `kominn audit` lists them oldest first, filters by item and day, and names a wrong day."""
    assert cli("audit").output.startswith("No events")
    assert cli("token", "create", "--role", "admin", "--name", "ops").exit_code == 0
    assert cli("ingest", TEST_DATA / "small").exit_code == 0
    erased = cli("person", "erase", "ola@example.no", "--yes")
    assert erased.exit_code == 0, erased.output
    events = _events(tmp_path / "data")
    assert [e["what"] for e in events] == ["token create", "ingest", "person erase"]
    assert all(e["who"].startswith("cli") for e in events)
    assert events[1]["created"] > 0 and events[2]["items"] == ["idea-1"]
    assert "ola@example.no" not in audit_path(tmp_path / "data").read_text(encoding="utf-8")
    shown = cli("audit")
    assert shown.exit_code == 0 and len(shown.output.splitlines()) == 3 and "person erase" in shown.output
    about = cli("audit", "--item", "idea-1").output.splitlines()
    assert len(about) == 1 and "deleted=1" in about[0] and "items=idea-1" in about[0]
    assert cli("audit", "--since", "2999-01-01").output.startswith("No events since 2999-01-01")
    assert json.loads(cli("audit", "--last", "1", "--json").output)["what"] == "person erase"
    wrong = cli("audit", "--since", "yesterday")
    assert wrong.exit_code == 2 and "--since: 'yesterday' is not a day" in wrong.output


def test_a_command_that_cannot_write_the_audit_log_still_tells_what_it_did(cli: Callable[..., Result],
                                                                            tmp_path: Path) -> None:
    """When the audit log cannot be written, a made token is still shown (once, as always) and the command says
    that its change is not recorded, instead of failing after the change was made."""
    audit_path(tmp_path / "data").mkdir(parents=True)  # a folder where the file should be: it cannot be written
    made = cli("token", "create", "--role", "reader")
    assert made.exit_code == 0, made.output
    assert made.stdout.strip().splitlines()[-1].startswith("kmn_")
    assert "The audit log could not be written" in made.stderr and "token create is not recorded" in made.stderr


# --- rotation ---------------------------------------------------------------------------------------------------


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_audit_log_starts_a_new_owner_only_file_at_its_size_limit(tmp_path: Path) -> None:
    """A line that would take the audit log past its size limit goes into a new file, the full one becoming
    audit.log.1, and every file (and the lock file) stays readable by its owner only."""
    rotation = Rotation(max_bytes=1024, keep=5)
    record(tmp_path, "cli:test", "first", n=0, rotation=rotation)
    line = audit_path(tmp_path).stat().st_size
    per_file = 1024 // line
    for n in range(1, per_file):
        record(tmp_path, "cli:test", "more", n=n, rotation=rotation)
    assert audit_files(tmp_path) == [audit_path(tmp_path)]  # full to the limit, and not past it
    record(tmp_path, "cli:test", "more", n=per_file, rotation=rotation)
    assert audit_files(tmp_path) == [tmp_path / "audit.log.1", audit_path(tmp_path)]
    assert [e["n"] for e in _lines(tmp_path / "audit.log.1")] == list(range(per_file))
    assert [e["n"] for e in _lines(audit_path(tmp_path))] == [per_file]
    assert (tmp_path / "audit.log.1").stat().st_size <= 1024
    for path in [*audit_files(tmp_path), tmp_path / "audit.log.lock"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    record(tmp_path, "cli:test", "long", pad="x" * 2000, rotation=rotation)  # longer than the limit: a file alone
    assert [e["what"] for e in _lines(audit_path(tmp_path))] == ["long"]
    assert len(audit_files(tmp_path)) == 3


def test_the_audit_log_keeps_only_the_configured_number_of_older_files(tmp_path: Path) -> None:
    """With KOMINN_AUDIT_KEEP older files, the oldest is dropped at each rotation past that (also files a larger
    setting left before), and what is read is the newest events, oldest first, with none missing in between."""
    for n in range(200):
        record(tmp_path, "cli:test", "event", n=n, rotation=Rotation(max_bytes=1024, keep=3))
    names = [p.name for p in audit_files(tmp_path)]
    assert names == ["audit.log.3", "audit.log.2", "audit.log.1", "audit.log"]
    kept = [e["n"] for e in read(tmp_path)]
    assert kept == list(range(kept[0], 200)) and kept[0] > 0  # the oldest are gone, the rest in order
    for n in range(200, 400):
        record(tmp_path, "cli:test", "event", n=n, rotation=Rotation(max_bytes=1024, keep=1))
    assert [p.name for p in audit_files(tmp_path)] == ["audit.log.1", "audit.log"]
    assert not (tmp_path / "audit.log.lock.1").exists()


def test_reading_the_audit_log_spans_its_rotated_files_in_order(cli: Callable[..., Result], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`kominn audit` reads the rotated files with the current one, oldest first, so --item, --since and --last
    find events wherever a rotation put them; files that are not the log's (a compressed copy) are left alone."""
    data = tmp_path / "data"
    rotation = Rotation(max_bytes=1024, keep=10)
    for month in range(1, 10):
        monkeypatch.setattr("service.audit._now", lambda m=month: f"2026-0{m}-01T12:00:00+00:00")
        record(data, "cli:test", "retention", items=[f"idea-{month}"], rotation=rotation)
        for n in range(8):  # others between them, so that each month's event lands in another file
            record(data, "cli:test", "token create", token=f"t{month}-{n}", rotation=rotation)
    assert len(audit_files(data)) >= 5
    (data / "audit.log.1.gz").write_bytes(b"not read")
    assert [e["items"][0] for e in read(data) if e["what"] == "retention"] == [f"idea-{m}" for m in range(1, 10)]
    first = cli("audit", "--item", "idea-1", "--json")
    assert first.exit_code == 0 and json.loads(first.output)["time"].startswith("2026-01-01")
    since = cli("audit", "--since", "2026-08-01", "--json").output.splitlines()
    assert [json.loads(line)["time"][:7] for line in since][::9] == ["2026-08", "2026-09"] and len(since) == 18
    last = [json.loads(line) for line in cli("audit", "--last", "10", "--json").output.splitlines()]
    assert [e.get("token") or e["items"][0] for e in last] == ["t8-7", "idea-9", *(f"t9-{n}" for n in range(8))]
    holding = {token: next(p for p in audit_files(data) if f'"{token}"' in p.read_text(encoding="utf-8"))
               for token in ("t8-7", "t9-7")}
    assert holding["t8-7"] != holding["t9-7"]  # the newest ten span two files
    assert "older file(s) beside it" in cli("audit", "--item", "nothing").output


def test_the_rotation_settings_are_read_and_checked(cli: Callable[..., Result], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """KOMINN_AUDIT_MAX_BYTES and KOMINN_AUDIT_KEEP set when the commands' audit log rotates, and a value out of
    range stops the command naming the variable."""
    from service.settings import get_settings

    monkeypatch.setenv("KOMINN_AUDIT_MAX_BYTES", "1024")
    monkeypatch.setenv("KOMINN_AUDIT_KEEP", "1")
    get_settings.cache_clear()  # the commands' settings are read once per process
    try:
        assert Settings().audit_rotation == Rotation(max_bytes=1024, keep=1)
        for _ in range(15):
            assert cli("token", "create", "--role", "reader").exit_code == 0
        assert [p.name for p in audit_files(tmp_path / "data")] == ["audit.log.1", "audit.log"]
        monkeypatch.setenv("KOMINN_AUDIT_KEEP", "0")
        get_settings.cache_clear()
        refused = cli("audit")
        assert refused.exit_code == 2 and "KOMINN_AUDIT_KEEP: " in refused.output, refused.output
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_the_service_rotates_the_audit_log_by_its_settings(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                                           tmp_path: Path) -> None:
    """Changes through the API go into a new file when the service's KOMINN_AUDIT_MAX_BYTES is reached, keeping
    KOMINN_AUDIT_KEEP older files, and every change is still there to read."""
    ingest(store, fake_embedder, [TEST_DATA / "small"])
    data = tmp_path / "data"
    editor, _ = TokenStore(token_path(data)).create("editor", "saksbehandling")
    app = create_app(Settings(data_dir=data, audit_max_bytes=1024, audit_keep=3), store=store, embedder=fake_embedder)
    with TestClient(app) as client:
        for n in range(12):
            r = client.patch("/needs/need-avfall", json={"title": f"Avfall {n}"},
                             headers={"Authorization": f"Bearer {editor}"})
            assert r.status_code == 200, r.text
    assert [p.name for p in audit_files(data)] == ["audit.log.1", "audit.log"]
    assert [e["path"] for e in read(data)] == ["/needs/need-avfall"] * 12
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in audit_files(data))


WRITER = """
import sys, threading
from pathlib import Path
from service.audit import Rotation, record

folder, who, lines = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])

def write(thread):
    for n in range(lines):
        record(folder, who, "event", n=f"{thread}-{n}", rotation=Rotation(max_bytes=2048, keep=100))

threads = [threading.Thread(target=write, args=(t,)) for t in range(2)]
for t in threads: t.start()
for t in threads: t.join()
"""


def test_two_processes_writing_across_rotations_lose_no_line(tmp_path: Path) -> None:
    """The service and a command (two processes, two threads each) writing at once while the log rotates many
    times leave every line exactly once, each a whole JSON object, and no file past the limit; `kominn audit`
    reading meanwhile never sees a line twice or out of its writer's order."""
    import subprocess
    import sys

    lines = 300
    root = Path(__file__).resolve().parent.parent
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), who, str(lines)], cwd=root)
               for who in ("service", "cli")]
    reads = 0
    while any(w.poll() is None for w in writers):
        seen = [(e["who"], e["n"]) for e in read(tmp_path)]
        for who in ("service", "cli"):  # each writer's lines so far, none twice, none skipped, in order
            for t in range(2):
                mine = [int(n.split("-")[1]) for w, n in seen if w == who and n.startswith(f"{t}-")]
                assert mine == list(range(len(mine)))
        reads += 1
    assert [w.wait(timeout=120) for w in writers] == [0, 0] and reads > 1
    files = audit_files(tmp_path)
    assert len(files) > 20  # it did rotate, many times
    raw = [line for path in files for line in path.read_text(encoding="utf-8").splitlines()]
    events = [json.loads(line) for line in raw]  # every line whole
    seen = sorted((e["who"], e["n"]) for e in events)
    assert seen == sorted((who, f"{t}-{n}") for who in ("service", "cli") for t in range(2) for n in range(lines))
    assert all(path.stat().st_size <= 2048 for path in files)
    for who in ("service", "cli"):  # each writer's lines in the order it wrote them, across the files
        for t in range(2):
            mine = [int(e["n"].split("-")[1]) for e in read(tmp_path) if e["who"] == who and e["n"].startswith(f"{t}-")]
            assert mine == list(range(lines))


def test_a_torn_line_in_the_audit_log_is_skipped_and_the_rest_is_read(tmp_path: Path) -> None:
    """A line cut off in the middle of a character (a write a crash interrupted) does not stop reading the log:
    that line is skipped and the events around it are read."""
    record(tmp_path, "cli:test", "before")
    with audit_path(tmp_path).open("ab") as fh:
        fh.write('{"time": "2026-01-01", "what": "cut ø'.encode()[:-1] + b"\n")  # half of the two bytes of "ø"
    record(tmp_path, "cli:test", "after")
    assert [e["what"] for e in read(tmp_path)] == ["before", "after"]


def test_an_idea_cleared_and_left_is_named_once_in_the_audit_log() -> None:
    """When erasing a person clears the contact of an idea that is then left (another idea is merged into it),
    the audit log names that idea once, not twice."""
    from graph.schema import Label
    from service.personal import LINKED, Done, Item

    kept = Item(Label.IDEA, "idea-010", "reviewing", None, "Flere benker", None)
    gone = Item(Label.IDEA, "idea-011", "merged", None, "Benker", None)
    done = Done(deleted=[gone], cleared=[kept], left=[(kept, LINKED + "idea-011")])
    assert done.audit() == {"deleted": 1, "cleared": 1, "left": 1, "items": ["idea-011", "idea-010"]}
