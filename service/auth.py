"""API tokens and roles: reader < editor < admin.

Tokens live in a small SQLite file next to the store (``<data_dir>/tokens.sqlite``). Only a salted
HMAC-SHA256 of each token's secret is kept; the token itself is shown once, when it is created. A token
looks like ``kmn_<id>_<secret>``: the id finds the row, the secret is checked in constant time. A token
expires (after a year unless told otherwise) and can be revoked before that.

>>> Role.EDITOR >= Role.READER
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from graph.errors import NotFoundError, Problem, ValidationError
from graph.store import create_private_file
from graph.text import not_text

PREFIX = "kmn"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    salt TEXT NOT NULL,
    hash TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT,
    expires TEXT
);
CREATE TABLE IF NOT EXISTS keys (
    name TEXT PRIMARY KEY,
    key BLOB NOT NULL
)
"""


class Role(IntEnum):
    """What a caller may do; a higher role may do everything a lower one may."""

    ANONYMOUS = 0
    READER = 1
    EDITOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            role = cls[name.strip().upper()]
        except KeyError:
            role = cls.ANONYMOUS
        if role == cls.ANONYMOUS:
            raise ValidationError([Problem("token", None, "role", f"'{name}' is not one of reader, editor, admin")])
        return role


DEFAULT_LIFETIME = dt.timedelta(days=365)
MAX_LIFETIME = dt.timedelta(days=3650)


def parse_lifetime(text: str) -> dt.timedelta | None:
    """How long a new token lasts, from ``90d``, ``12h`` or ``never`` (None).

    >>> parse_lifetime("90d"), parse_lifetime("never")
    (datetime.timedelta(days=90), None)
    """
    value = text.strip().lower()
    if value == "never":
        return None
    number, unit = value[:-1], value[-1:]
    if number.isascii() and number.isdigit() and len(number) <= 7 and unit in ("d", "h") and int(number) > 0:
        lifetime = dt.timedelta(days=int(number)) if unit == "d" else dt.timedelta(hours=int(number))
        if lifetime <= MAX_LIFETIME:
            return lifetime
        raise ValidationError([Problem("token", None, "expires_in", f"'{text}' is longer than 3650 days; "
                                       "use 'never' for a token that does not expire")])
    raise ValidationError([Problem("token", None, "expires_in", f"'{text}' is not a lifetime: give days or "
                                   "hours, such as 90d or 12h, or never")])


MAX_NAME = 100  # a token's name: a person or a system, shown by `kominn token list` and in the audit log


def token_name(text: str) -> str:
    """A token's name as it is kept (without spaces at its ends), or ValidationError naming ``name``: at most
    100 characters, with no control characters or line breaks (which would break the lists and the audit log that
    show it) and nothing that is not UTF-8.

    >>> token_name("  saksbehandlingssystem ")
    'saksbehandlingssystem'
    """
    name = text.strip()
    why = not_text(name)
    if why is None and len(name) > MAX_NAME:
        why = f"has {len(name)} characters; a name has at most {MAX_NAME}"
    if why is None:
        bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
        if bad is not None:
            why = f"holds the control character U+{ord(bad):04X}; a name is one line of text"
    if why is not None:
        raise ValidationError([Problem("token", None, "name", f"the name {why}")])
    return name


class TokenExpiredError(Exception):
    """A token that was valid until ``expires`` (an ISO time in UTC)."""

    def __init__(self, expires: str) -> None:
        super().__init__(f"the API token expired at {expires}")
        self.expires = expires


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    role: Role
    created: str
    revoked: str | None = None
    expires: str | None = None  # None: never

    def expired(self, now: dt.datetime | None = None) -> bool:
        if self.expires is None:
            return False
        until = dt.datetime.fromisoformat(self.expires)
        if until.tzinfo is None:  # written by hand without a zone: read as UTC, as KomInn writes it
            until = until.replace(tzinfo=dt.UTC)
        return until <= (now or _now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id and role, or anonymous."""

    role: Role
    token_id: str | None = None
    name: str = ""  # the token's name, for the audit log

    @property
    def is_admin(self) -> bool:
        return self.role >= Role.ADMIN


ANONYMOUS = Principal(Role.ANONYMOUS)


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


class TokenStore:
    """Tokens in a SQLite file. Nothing is created until the first token is."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if not self.path.exists():
            if not create:
                return None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private_file(self.path)  # token hashes and the signing key
        conn = sqlite3.connect(self.path)
        conn.executescript(_SCHEMA)
        if "expires" not in {row[1] for row in conn.execute("PRAGMA table_info(tokens)")}:
            with conn:  # a file from before tokens expired: its tokens keep never expiring
                conn.execute("ALTER TABLE tokens ADD COLUMN expires TEXT")
        return conn

    def create(self, role: Role | str, name: str = "",
               lifetime: dt.timedelta | None = DEFAULT_LIFETIME) -> tuple[str, TokenInfo]:
        """Make a token that lasts ``lifetime`` (None: until revoked); returns the token (shown once, never
        stored) and its record."""
        role = Role.parse(role) if isinstance(role, str) else role
        name = token_name(name)
        token_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(24)
        salt = secrets.token_hex(16)
        now = _now()
        created = now.isoformat(timespec="seconds")
        expires = None if lifetime is None else (now + lifetime).isoformat(timespec="seconds")
        info = TokenInfo(token_id, name or role.name.lower(), role, created, None, expires)
        conn = self._connect(create=True)
        assert conn is not None
        with conn:
            conn.execute("INSERT INTO tokens (id, name, role, salt, hash, created, expires) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (token_id, info.name, role.name.lower(), salt, _digest(salt, secret), created, expires))
        conn.close()
        return f"{PREFIX}_{token_id}_{secret}", info

    def verify(self, token: str) -> TokenInfo | None:
        """The token's record when the token is valid and not revoked, else None; a token that would be
        valid but has expired raises TokenExpiredError (so that its holder can be told so)."""
        parts = token.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        conn = self._connect(create=False)
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT id, name, role, salt, hash, created, revoked, expires FROM tokens "
                               "WHERE id = ?", (parts[1],)).fetchone()
        finally:
            conn.close()
        if row is None or row[6] is not None:
            return None
        if not hmac.compare_digest(_digest(row[3], parts[2]), row[4]):
            return None
        info = TokenInfo(row[0], row[1], Role.parse(row[2]), row[5], None, row[7])
        if info.expired():
            raise TokenExpiredError(row[7])
        return info

    def list(self) -> list[TokenInfo]:
        conn = self._connect(create=False)
        if conn is None:
            return []
        try:
            rows = conn.execute("SELECT id, name, role, created, revoked, expires FROM tokens "
                                "ORDER BY created").fetchall()
        finally:
            conn.close()
        return [TokenInfo(r[0], r[1], Role.parse(r[2]), r[3], r[4], r[5]) for r in rows]

    def revoke(self, token_id: str) -> None:
        conn = self._connect(create=False)
        if conn is None:
            raise NotFoundError(f"no token with id '{token_id}'")
        with conn:
            n = conn.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                             (dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), token_id)).rowcount
        conn.close()
        if not n:
            raise NotFoundError(f"no active token with id '{token_id}'")


    def signing_key(self, name: str, *, create: bool = True) -> bytes | None:
        """A random 32-byte key kept beside the tokens, made on first use (``create``; without it, None while
        there is none): signatures made with it stay valid across restarts and between workers sharing this
        data folder. Nothing is written for a reader that only checks signatures."""
        conn = self._connect(create=create)
        if conn is None:
            return None
        try:
            if create:
                with conn:  # two workers starting at once: the first key written wins, both read it
                    conn.execute("INSERT OR IGNORE INTO keys (name, key) VALUES (?, ?)",
                                 (name, secrets.token_bytes(32)))
            row = conn.execute("SELECT key FROM keys WHERE name = ?", (name,)).fetchone()
        finally:
            conn.close()
        return bytes(row[0]) if row else None


def token_path(data_dir: Path) -> Path:
    return Path(data_dir) / "tokens.sqlite"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _same_site(request: Request) -> bool:
    """Whether the request's Origin (or, without one, its Referer) names this host, or the public address
    set in ``KOMINN_PUBLIC_URL`` (behind a reverse proxy that rewrites the host)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    hosts = {request.url.netloc.lower()}
    public = request.app.state.settings.public_url
    if public:
        hosts.add(urlsplit(public).netloc.lower())
    return urlsplit(source).netloc.lower() in hosts


_bearer = HTTPBearer(auto_error=False, description="An API token made with `kominn token create --role ...`")


def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller: from a bearer token (or the web pages' ``kominn_token`` cookie), else anonymous.

    A token that is given but not valid is refused (401) rather than treated as anonymous. The cookie
    counts for a request that changes something (POST, PATCH, DELETE) only when the browser says the
    request comes from this site's own pages (its Origin, or else its Referer, is this host): another site
    cannot make a signed-in browser act for it.
    """
    token = credentials.credentials if credentials is not None else request.cookies.get("kominn_token")
    if credentials is None and token and request.method not in SAFE_METHODS and not _same_site(request):
        token = None
    if not token:
        return ANONYMOUS
    tokens: TokenStore = request.app.state.tokens
    try:
        info = tokens.verify(token)
    except TokenExpiredError as e:
        raise HTTPException(401, f"{e}; ask an admin for a new one (kominn token create)",
                            headers={"WWW-Authenticate": "Bearer"}) from None
    if info is None:
        raise HTTPException(401, "the API token is not valid or has been revoked",
                            headers={"WWW-Authenticate": "Bearer"})
    principal = Principal(info.role, info.id, info.name)
    request.state.principal = principal  # for the audit log (service.audit), which runs outside the routes
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(role: Role) -> Callable[..., Principal]:
    """A dependency that lets a caller through with at least ``role``: 401 without a token, 403 with too low
    a role. ``Role.READER`` lets anonymous callers read unless ``read_requires_token`` is set."""

    def check(request: Request, principal: PrincipalDep) -> Principal:
        needed = role
        if role == Role.READER and not request.app.state.settings.read_requires_token:
            needed = Role.ANONYMOUS
        if principal.role >= needed:
            return principal
        if principal.role == Role.ANONYMOUS:
            raise HTTPException(401, f"this needs an API token with the {needed.name.lower()} role",
                                headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(403, f"this needs the {needed.name.lower()} role; the token has "
                                 f"{principal.role.name.lower()}")

    check.role = role  # type: ignore[attr-defined]  # read by the OpenAPI document (service.openapi)
    return check


ReaderDep = Annotated[Principal, Depends(require_role(Role.READER))]
EditorDep = Annotated[Principal, Depends(require_role(Role.EDITOR))]
AdminDep = Annotated[Principal, Depends(require_role(Role.ADMIN))]
