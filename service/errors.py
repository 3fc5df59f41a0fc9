"""The one place where KomInn's errors become HTTP responses, with one error body for all."""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.errors import (
    ConfigurationError,
    ConflictError,
    KomInnError,
    NotFoundError,
    StoreUnavailableError,
    ValidationError,
)

log = logging.getLogger("kominn")


def error_body(status: int, code: str, message: str, problems: list[dict] | None = None) -> JSONResponse:
    body: dict = {"error": {"code": code, "message": message}}
    if problems:
        body["error"]["problems"] = problems
    return JSONResponse(status_code=status, content=body)


def _respond(request: Request, status: int, code: str, message: str, problems: list[dict] | None = None) -> Response:
    """The error body, or under /web/ (the staff pages) an error page in the page's language."""
    if request.url.path == "/web" or request.url.path.startswith("/web/"):
        from service.web.routes import error_page  # the pages import the API; imported here, not at start

        return error_page(request, status, message)
    return error_body(status, code, message, problems)


def _request_problem(err: dict) -> dict:
    """A problem of a request as the error body names it: the field's dotted path, or ``body`` for JSON that
    does not parse (whose location is a character position, not a field)."""
    if err.get("type") == "json_invalid":
        position = err.get("loc", ("body", "?"))[-1]
        why = (err.get("ctx") or {}).get("error") or err.get("msg", "")  # what the parser said, not only that it failed
        return {"field": "body", "message": f"not valid JSON (at character {position}): {why}"}
    field = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
    if not field and err.get("type") == "string_unicode":  # a key with a broken \u escape: no field to name
        return {"field": "body", "message": "a key holds half of a character (a lone surrogate, as a broken \\u "
                                            "escape gives)"}
    if not field and tuple(err.get("loc", ()))[:1] == ("body",):  # the body itself: not an object, or not JSON
        return {"field": "body", "message": f"{err.get('msg', 'invalid')}: send a JSON object, with the header "
                                            "content-type: application/json"}
    return {"field": field, "message": err.get("msg", "invalid")}


def _unreadable_body(cause: BaseException | None) -> tuple[int, str] | None:
    """Why FastAPI could not read a body as JSON, where it says only "There was an error parsing the body" (its
    JSON decode errors come as a 422 of their own): the status and message to answer with, or None."""
    if isinstance(cause, UnicodeDecodeError):
        return 422, (f"not UTF-8 text (the byte {cause.object[cause.start]:#x} at byte {cause.start}); send JSON "
                     "in UTF-8")
    if isinstance(cause, RecursionError):
        return 400, "JSON nested too deeply to read"
    if isinstance(cause, ValueError) and "integer string conversion" in str(cause):
        return 422, f"not valid JSON: a number of more than {sys.get_int_max_str_digits():,} digits"
    return None


def install(app: FastAPI) -> None:
    """Register the handlers that map exceptions to the error body (an error page under /web/)."""

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return _respond(request, 404, "not_found", str(exc))

    def _invalid(request: Request, problems: list[dict]) -> Response:
        return _respond(request, 422, "invalid_input", "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                        problems)

    @app.exception_handler(ValidationError)
    async def invalid(request: Request, exc: ValidationError) -> Response:
        return _invalid(request, [{"field": p.field, "message": p.message} for p in exc.problems])

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> Response:
        return _respond(request, 409, "conflict", str(exc))

    @app.exception_handler(StoreUnavailableError)
    async def unavailable(request: Request, exc: StoreUnavailableError) -> Response:
        # where the store is (address, database, user) is for the operator's log and /health, not for callers
        log.warning("store unavailable: %s", exc)
        return _respond(request, 503, "store_unavailable",
                        "the store cannot be reached just now; try again shortly (the service's log says why)")

    @app.exception_handler(ConfigurationError)
    async def misconfigured(request: Request, exc: ConfigurationError) -> Response:
        log.error("configuration: %s", exc)  # the setting to fix, for the operator (callers see no addresses)
        return _respond(request, 500, "configuration",
                        "the service is not configured right; its operator finds the cause in the service's log")

    @app.exception_handler(KomInnError)
    async def other(request: Request, exc: KomInnError) -> Response:
        log.exception("unexpected KomInn error", exc_info=exc)
        return _respond(request, 500, "internal", str(exc))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        return _invalid(request, [_request_problem(err) for err in exc.errors()])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        unreadable = _unreadable_body(exc.__cause__) if exc.status_code == 400 else None
        if unreadable is not None:  # the body named, and why it could not be read
            status, why = unreadable
            return _respond(request, status, "bad_request" if status == 400 else "invalid_input", f"body: {why}",
                            [{"field": "body", "message": why}])
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 401: "unauthorized",
                403: "forbidden", 409: "conflict", 413: "too_large",
                429: "rate_limited"}.get(exc.status_code, "http_error")
        response = _respond(request, exc.status_code, code, str(exc.detail))
        for name, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:  # every method the path takes, not only those of the first route matched
            allowed = _allowed_methods(request)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response


def _allowed_methods(request: Request) -> list[str]:
    from starlette.routing import Match

    found = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            found.append(method)
    return found
