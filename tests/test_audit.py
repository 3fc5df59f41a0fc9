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
from service.audit import audit_path
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
