"""The audit log: who changed what, and when.

Every change made through the API or the pages (a create, change, delete, hide or merge that succeeded), every
``kominn ingest``, ``person erase`` and ``retention`` run, and every token made or revoked is one JSON line in
``<data_dir>/audit.log``: the time (UTC), who (the token's id, role and name; ``anonymous`` for an idea sent
without one; ``cli:<user>`` for a command), what (the method and path, or the command) and the outcome (the
status, or the command's counts). It holds no texts and no contact details: ids and counts only, so that it can
be kept as long as the municipality needs to answer "who deleted this?". Only its owner can read the file.

When a line would take the file past a size (``KOMINN_AUDIT_MAX_BYTES``, 10 MiB), the file becomes
``audit.log.1`` first (an older ``.1`` becomes ``.2`` and so on, up to ``KOMINN_AUDIT_KEEP`` of them, 5; the
oldest is dropped) and a new ``audit.log`` is started, owner-only too. ``kominn audit`` reads them all, oldest
first, filtered by item or date.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.store import create_private_file

log = logging.getLogger("kominn")
AUDIT_FILE = "audit.log"
LOCK_FILE = "audit.log.lock"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_KEEP = 5
# POSTs that ask something and change nothing: not changes, not audited
QUESTIONS = frozenset({"/similar", "/partners", "/ideas/check"})
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ROTATED = re.compile(r"\.([0-9]{1,6})")  # audit.log.1, audit.log.2, ...: the number after the name


@dataclass(frozen=True)
class Rotation:
    """When the audit log starts a new file: before a line would take it past ``max_bytes`` (a line longer than
    that gets a file of its own), keeping ``keep`` older files (``audit.log.1`` the newest of them)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    keep: int = DEFAULT_KEEP


def audit_path(data_dir: Path) -> Path:
    return Path(data_dir) / AUDIT_FILE


def audit_files(data_dir: Path) -> list[Path]:
    """The audit log's files that exist, oldest first: the rotated ones from the highest number down, then
    ``audit.log``."""
    path = audit_path(data_dir)
    if not path.parent.is_dir():
        return []
    rotated = []
    for other in path.parent.iterdir():
        number = _ROTATED.fullmatch(other.name[len(path.name):]) if other.name.startswith(path.name) else None
        if number:
            rotated.append((int(number.group(1)), other))
    return [p for _, p in sorted(rotated, reverse=True)] + ([path] if path.exists() else [])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# Writers and the reader agree through an advisory lock (flock) on a file of its own beside the log, not through
# a lock in memory: the service and a command (`kominn ingest`, `token create`) are separate processes that
# append to the same file, and a rotation renames it. A writer holds the lock from deciding whether to rotate
# until its line is written and the file closed, so no line goes into a file that another process has just
# renamed, no two processes rotate at once (which could rename one file over another), and every line is
# written whole before the next begins. A flock belongs to an open file, so threads of one process, each opening
# the lock file anew, exclude each other as well. The lock file, not the log, is locked because the log is
# renamed: a lock on a renamed file would no longer guard the name "audit.log". The lock is released by the
# system when its holder dies, so a killed command cannot leave the log locked. flock is Linux's and BSD's,
# where KomInn runs; on NFS it is only as good as the server's locks.
@contextmanager
def _locked(folder: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold the audit log's lock: exclusive to write (and rotate), shared to open the files for reading. Where
    the lock file cannot be made or opened (a read-only copy of the data folder), reading goes on without it."""
    lock = folder / LOCK_FILE
    fd: int | None = None
    try:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        if exclusive:
            raise
    if fd is None:
        with suppress(OSError):
            fd = os.open(lock, os.O_RDONLY)
    if fd is None:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # which releases the lock


def _rotate(path: Path, keep: int) -> None:
    """Shift ``audit.log`` to ``audit.log.1``, ``.1`` to ``.2`` ..., dropping those past ``keep`` (also any a
    larger KOMINN_AUDIT_KEEP left before). Under the lock; a crash between two renames leaves a gap in the
    numbers, which changes neither the order they are read in nor the next rotation."""
    for old in audit_files(path.parent)[:-1]:
        if int(old.name.rsplit(".", 1)[1]) >= keep:
            old.unlink()
    for number in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{number}")
        if older.exists():
            older.rename(path.with_name(f"{path.name}.{number + 1}"))
    path.rename(path.with_name(f"{path.name}.1"))


def record(data_dir: Path, who: str, what: str, *, rotation: Rotation | None = None, **details: Any) -> None:
    """Append one event to the data folder's audit log (made, readable by its owner only, on first use),
    starting a new file first where the line would take the current one past ``rotation.max_bytes``."""
    rotation = rotation or Rotation()
    path = audit_path(data_dir)
    line = json.dumps({"time": _now(), "who": who, "what": what, **details}, ensure_ascii=False, sort_keys=False)
    data = (line + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent, exclusive=True):
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size and size + len(data) > rotation.max_bytes:
            _rotate(path, rotation.keep)
        create_private_file(path)  # a new file is owner-only from the start
        with path.open("ab") as fh:
            fh.write(data)


def command_user() -> str:
    """Who runs a command: ``cli:`` and the operating system's user name."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


def read(data_dir: Path, *, item: str | None = None, since: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """The events of the audit log, its rotated files with it, oldest first: those about ``item`` (its id in the
    path, or among the ids a command names) and from ``since`` on, where given. A line that is not JSON (a torn
    write) is skipped."""
    folder = audit_path(data_dir).parent
    if not audit_files(data_dir):
        return
    # the files are opened together under the lock, so a rotation cannot move a file between the reading of one
    # and the next (which would read it twice or miss one); once open, they are read whatever is renamed
    files: list[IO[str]] = []
    try:
        with _locked(folder, exclusive=False):
            for path in audit_files(data_dir):
                try:
                    files.append(path.open(encoding="utf-8", errors="replace"))  # a torn character: its line is skipped
                except FileNotFoundError:  # read without the lock (a read-only folder), and rotated meanwhile
                    continue
        for fh in files:
            for line in fh:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(event, dict):
                    continue
                if since is not None and str(event.get("time", ""))[:10] < since.isoformat():
                    continue
                if item is not None and not _about(event, item):
                    continue
                yield event
    finally:
        for fh in files:
            fh.close()


def _about(event: dict[str, Any], item: str) -> bool:
    path = str(event.get("path", ""))
    if item in path.split("/") or event.get("item") == item:
        return True
    return item in (event.get("items") or [])


def who_of(scope: Scope) -> str:
    """Who made a request, as the auth dependency left it in the request's state (``service.auth``)."""
    principal = (scope.get("state") or {}).get("principal")
    if principal is None or principal.token_id is None:
        return "anonymous"
    named = f", {principal.name}" if principal.name else ""
    return f"token:{principal.token_id} ({principal.role.name.lower()}{named})"


class AuditChanges:
    """ASGI middleware that records every change that succeeded (a status under 400) in the audit log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "")
        path = scope.get("path", "")
        if scope["type"] != "http" or method not in CHANGES or path in QUESTIONS:
            await self.app(scope, receive, send)
            return
        seen: dict[str, Any] = {}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for key, value in message.get("headers", []):
                    if key.lower() == b"location":
                        where = value.decode("latin-1").split("?", 1)[0]  # /web/ideas/idea-1?lang=en
                        seen["item"] = unquote(where.rstrip("/").rsplit("/", 1)[-1])
            await send(message)

        await self.app(scope, receive, sending)
        status = seen.get("status", 500)
        if 200 <= status < 300 or (status == 303 and "item" in seen):  # a redirect elsewhere changed nothing
            app = scope.get("app")
            settings = getattr(getattr(app, "state", None), "settings", None)
            if settings is not None:
                details: dict[str, Any] = {"path": path, "status": status}
                if "item" in seen:
                    details["item"] = seen["item"]
                try:
                    record(settings.data_dir, who_of(scope), method, rotation=settings.audit_rotation, **details)
                except OSError as e:  # the change is made: say loudly that its record is missing
                    log.error("the audit log could not be written (%s): %s %s by %s, status %s, is not recorded",
                              e, method, path, who_of(scope), status)
