"""The audit log: who changed what, and when.

Every change made through the API or the pages (a create, change, delete, hide or merge that succeeded), every
``kominn ingest``, ``person erase`` and ``retention`` run, and every token made or revoked is one JSON line in
``<data_dir>/audit.log``: the time (UTC), who (the token's id, role and name; ``anonymous`` for an idea sent
without one; ``cli:<user>`` for a command), what (the method and path, or the command) and the outcome (the
status, or the command's counts). It holds no texts and no contact details: ids and counts only, so that it can
be kept as long as the municipality needs to answer "who deleted this?". Only its owner can read the file.

``kominn audit`` prints it, filtered by item or date.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.store import create_private_file

log = logging.getLogger("kominn")
AUDIT_FILE = "audit.log"
# POSTs that ask something and change nothing: not changes, not audited
QUESTIONS = frozenset({"/similar", "/partners", "/ideas/check"})
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOCK = threading.Lock()


def audit_path(data_dir: Path) -> Path:
    return Path(data_dir) / AUDIT_FILE


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def record(data_dir: Path, who: str, what: str, **details: Any) -> None:
    """Append one event to the data folder's audit log (made, readable by its owner only, on first use)."""
    path = audit_path(data_dir)
    line = json.dumps({"time": _now(), "who": who, "what": what, **details}, ensure_ascii=False, sort_keys=False)
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private_file(path)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def command_user() -> str:
    """Who runs a command: ``cli:`` and the operating system's user name."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


def read(data_dir: Path, *, item: str | None = None, since: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """The events of the audit log, oldest first: those about ``item`` (its id in the path, or among the ids a
    command names) and from ``since`` on, where given. A line that is not JSON (a torn write) is skipped."""
    path = audit_path(data_dir)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
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
                    record(settings.data_dir, who_of(scope), method, **details)
                except OSError as e:  # the change is made: say loudly that its record is missing
                    log.error("the audit log could not be written (%s): %s %s by %s, status %s, is not recorded",
                              e, method, path, who_of(scope), status)
