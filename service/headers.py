"""Headers every answer carries: no content-type guessing, no framing by other sites, referrers kept on this
site, no caching of what a signed-in caller was shown (it may hold contact details), and redirects to this
site as paths, not as addresses built from the request's Host header."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """ASGI middleware adding :data:`SAFE_HEADERS`, and ``Cache-Control: no-store`` where the request carries a
    token (the Authorization header, or the pages' token or receipt cookie)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        cookies = headers.get(b"cookie", b"")
        private = b"authorization" in headers or b"kominn_token=" in cookies or b"kominn_receipt=" in cookies
        host = headers.get(b"host", b"")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = [(k, _relative(v, host) if k.lower() == b"location" else v)
                         for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in given}
                extra = [(k, v) for k, v in SAFE_HEADERS if k not in present]
                if private and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*given, *extra]}
            await send(message)

        await self.app(scope, receive, sending)


def _relative(location: bytes, host: bytes) -> bytes:
    """A redirect to this same host as a path only (``/web/``): the router builds it from the request's Host
    header, which a client chooses, so an absolute one could send a browser to another site."""
    for scheme in (b"http://", b"https://"):
        if host and location.startswith(scheme + host + b"/"):
            return location[len(scheme + host):]
    return location
