"""A bound on the size of request bodies: larger ones are refused with 413 before they are read in full."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Far above the largest valid item (its longest texts are 20,000 characters), far below what would hurt.
MAX_BODY_BYTES = 1024 * 1024


class BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes gets 413 when the app reads it, whether its length is declared
    (``Content-Length``: nothing of it is read) or only found while it streams in."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    def _message(self) -> str:
        return f"the request body is over {self.limit // 1024} KiB, the most this service takes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        too_large = declared.isdigit() and int(declared) > self.limit
        received = 0

        async def limited() -> Message:
            nonlocal received
            if too_large:  # refused where the app reads the body, so that its handlers answer (a page under /web/)
                raise HTTPException(413, self._message())
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # raised where the body is read: the app's handlers answer 413
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited, send)
