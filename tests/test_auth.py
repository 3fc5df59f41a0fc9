"""API tokens, roles and the rate limiter, without the model."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.errors import NotFoundError, ValidationError
from service.auth import Role, TokenExpiredError, TokenStore, _digest, parse_lifetime
from service.cli import app as cli
from service.ratelimit import RateLimiter


def test_a_token_verifies_with_its_role_and_is_stored_only_hashed(tmp_path: Path) -> None:
    """A created token verifies with its role, and the file never holds the token or its secret."""
    tokens = TokenStore(tmp_path / "tokens.sqlite")
    token, info = tokens.create("editor", "ci")
    assert tokens.verify(token) == info and info.role == Role.EDITOR
    raw = (tmp_path / "tokens.sqlite").read_bytes()
    assert token.encode() not in raw and token.split("_", 2)[2].encode() not in raw
    row = sqlite3.connect(tmp_path / "tokens.sqlite").execute("SELECT hash, salt FROM tokens").fetchone()
    assert len(row[0]) == 64 and len(row[1]) == 32


@pytest.mark.parametrize("bad", ["", "kmn_", "kmn_nope_secret", "Bearer x", "abc_def_ghi"])
def test_wrong_tokens_do_not_verify(tmp_path: Path, bad: str) -> None:
    """Malformed, unknown or foreign tokens verify as None."""
    tokens = TokenStore(tmp_path / "tokens.sqlite")
    tokens.create("admin")
    assert tokens.verify(bad) is None


def test_a_changed_secret_or_a_revoked_token_fails(tmp_path: Path) -> None:
    """A token with one character changed fails, and a revoked token fails from then on."""
    tokens = TokenStore(tmp_path / "tokens.sqlite")
    token, info = tokens.create("reader")
    assert tokens.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    tokens.revoke(info.id)
    assert tokens.verify(token) is None
    with pytest.raises(NotFoundError):
        tokens.revoke(info.id)


def test_a_token_lasts_a_year_by_default_and_then_is_refused_as_expired(tmp_path: Path) -> None:
    """A new token expires a year after it was made unless told otherwise; once that time has passed, verifying
    it says it expired (so the API can say so) instead of calling it invalid; 'never' makes one that lasts."""
    tokens = TokenStore(tmp_path / "tokens.sqlite")
    token, info = tokens.create("reader")
    made, until = dt.datetime.fromisoformat(info.created), dt.datetime.fromisoformat(info.expires or "")
    assert until - made == dt.timedelta(days=365) and tokens.verify(token) == info
    short, short_info = tokens.create("admin", lifetime=dt.timedelta(hours=1))
    with sqlite3.connect(tmp_path / "tokens.sqlite") as conn:  # as if the hour had passed
        conn.execute("UPDATE tokens SET expires = ? WHERE id = ?", (info.created, short_info.id))
    with pytest.raises(TokenExpiredError, match=re.escape(f"expired at {info.created}")):
        tokens.verify(short)
    with sqlite3.connect(tmp_path / "tokens.sqlite") as conn:  # an expiry edited in by hand, without a zone
        conn.execute("UPDATE tokens SET expires = '2000-01-01T00:00:00' WHERE id = ?", (info.id,))
    with pytest.raises(TokenExpiredError):
        tokens.verify(token)
    lasting, lasting_info = tokens.create("editor", lifetime=None)
    assert lasting_info.expires is None and tokens.verify(lasting) == lasting_info


def test_tokens_made_before_tokens_expired_keep_working(tmp_path: Path) -> None:
    """A token file from a version without expiry is upgraded in place, and its tokens never expire."""
    path = tmp_path / "tokens.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, "
                     "salt TEXT NOT NULL, hash TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT)")
        salt = "00" * 16
        conn.execute("INSERT INTO tokens VALUES ('abcd1234', 'old', 'reader', ?, ?, '2024-01-01T00:00:00+00:00', "
                     "NULL)", (salt, _digest(salt, "secret")))
    info = TokenStore(path).verify("kmn_abcd1234_secret")
    assert info is not None and info.expires is None and info.role == Role.READER


@pytest.mark.parametrize(("text", "message"), [("90", "not a lifetime"), ("0d", "not a lifetime"),
                                               ("3651d", "longer than 3650 days"), ("soon", "not a lifetime"),
                                               ("1000000000d", "not a lifetime"), ("٣d", "not a lifetime")])
def test_a_lifetime_that_is_not_one_is_refused_by_name(text: str, message: str) -> None:
    """--expires-in takes days or hours (90d, 12h) up to ten years, or never; anything else names the option."""
    with pytest.raises(ValidationError, match=message):
        parse_lifetime(text)
    assert parse_lifetime("12h") == dt.timedelta(hours=12) and parse_lifetime("Never") is None


def test_nothing_is_created_until_a_token_is(tmp_path: Path) -> None:
    """Verifying and listing against a missing file create nothing."""
    tokens = TokenStore(tmp_path / "sub" / "tokens.sqlite")
    assert tokens.verify("kmn_abcd_efgh") is None and tokens.list() == []
    assert not (tmp_path / "sub").exists()


def test_roles_are_ordered_and_unknown_roles_are_refused() -> None:
    """reader < editor < admin, and an unknown role name is a validation error."""
    assert Role.READER < Role.EDITOR < Role.ADMIN
    assert Role.parse("Admin") == Role.ADMIN
    for bad in ("boss", "anonymous", ""):
        with pytest.raises(ValidationError):
            Role.parse(bad)


def test_rate_limiter_allows_the_limit_per_window_and_key() -> None:
    """Each key gets ``limit`` events per window; the next one is told how long to wait."""
    r = RateLimiter(2, 10.0)
    assert r.hit("a", now=0.0) == 0.0 and r.hit("a", now=1.0) == 0.0
    assert r.hit("a", now=2.0) == pytest.approx(8.0)
    assert r.hit("b", now=2.0) == 0.0
    assert r.hit("a", now=10.5) == 0.0


def test_asking_how_long_to_wait_records_nothing() -> None:
    """wait() says how long until the next event is allowed without counting one (a refused idea is asked
    about, only an accepted one is counted)."""
    r = RateLimiter(1, 10.0)
    assert [r.wait("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert r.hit("a", now=1.0) == 0.0 and r.wait("a", now=2.0) == pytest.approx(9.0)


def test_cli_token_create_list_revoke(tmp_path: Path) -> None:
    """`kominn token create` prints the token once; list shows it without the secret; revoke ends it."""
    runner = CliRunner()
    out = runner.invoke(cli, ["token", "create", "--role", "admin", "--name", "ops", "--data-dir", str(tmp_path)])
    assert out.exit_code == 0, out.output
    token = out.output.strip().splitlines()[-1]
    assert token.startswith("kmn_") and TokenStore(tmp_path / "tokens.sqlite").verify(token) is not None
    listed = runner.invoke(cli, ["token", "list", "--data-dir", str(tmp_path)])
    assert "admin" in listed.output and "ops" in listed.output and token not in listed.output
    token_id = token.split("_")[1]
    assert runner.invoke(cli, ["token", "revoke", token_id, "--data-dir", str(tmp_path)]).exit_code == 0
    assert TokenStore(tmp_path / "tokens.sqlite").verify(token) is None
    bad = runner.invoke(cli, ["token", "create", "--role", "boss", "--data-dir", str(tmp_path)])
    assert bad.exit_code == 2
    week = runner.invoke(cli, ["token", "create", "--role", "reader", "--expires-in", "7d",
                               "--data-dir", str(tmp_path)])
    assert week.exit_code == 0 and "valid until" in week.output
    listed = runner.invoke(cli, ["token", "list", "--data-dir", str(tmp_path)]).output
    assert "revoked" in listed and "active until" in listed
    wrong = runner.invoke(cli, ["token", "create", "--role", "reader", "--expires-in", "7 days",
                                "--data-dir", str(tmp_path)])
    assert wrong.exit_code == 2 and "--expires-in: '7 days' is not a lifetime" in wrong.output


@pytest.mark.parametrize(("name", "said"), [("a" * 101, "has 101 characters; a name has at most 100"),
                                            ("Kari\nadmin", "holds the control character U+000A"),
                                            ("Kari\x00", "holds the control character U+0000"),
                                            ("K\udcf8ri", "holds the byte 0xf8, which is not UTF-8")])
def test_a_token_name_that_is_not_one_short_line_is_refused_naming_it(tmp_path: Path, name: str, said: str) -> None:
    """`kominn token create --name` with a name of 101 characters, a line break, a NUL or a byte that is not UTF-8
    exits 2 naming --name, and no token is made; they were stored as given (and a line break split the lists and
    the audit log that show the name)."""
    runner = CliRunner()
    out = runner.invoke(cli, ["token", "create", "--role", "reader", "--name", name, "--data-dir", str(tmp_path)])
    assert out.exit_code == 2 and f"--name: the name {said}" in out.output, out.output
    assert "kmn_" not in out.output and not (tmp_path / "tokens.sqlite").exists()
