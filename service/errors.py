"""The one place where KomInn's errors become HTTP responses, with one error body for all."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


def install(app: FastAPI) -> None:
    """Register the handlers that map exceptions to the error body."""

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return error_body(404, "not_found", str(exc))

    @app.exception_handler(ValidationError)
    async def invalid(_: Request, exc: ValidationError) -> JSONResponse:
        problems = [{"field": p.field, "message": p.message} for p in exc.problems]
        return error_body(422, "invalid_input", "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                          problems)

    @app.exception_handler(ConflictError)
    async def conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return error_body(409, "conflict", str(exc))

    @app.exception_handler(StoreUnavailableError)
    async def unavailable(_: Request, exc: StoreUnavailableError) -> JSONResponse:
        return error_body(503, "store_unavailable", str(exc))

    @app.exception_handler(ConfigurationError)
    async def misconfigured(_: Request, exc: ConfigurationError) -> JSONResponse:
        return error_body(500, "configuration", str(exc))

    @app.exception_handler(KomInnError)
    async def other(_: Request, exc: KomInnError) -> JSONResponse:
        log.exception("unexpected KomInn error", exc_info=exc)
        return error_body(500, "internal", str(exc))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")),
             "message": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        return error_body(422, "invalid_input", "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                          problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden",
                429: "rate_limited"}.get(exc.status_code, "http_error")
        response = error_body(exc.status_code, code, str(exc.detail))
        for name, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[name] = value
        return response
