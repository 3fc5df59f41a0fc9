"""The OpenAPI document as the service really answers (one error body for every error status, the errors
each operation can give, and a token that only the operations needing one require), and its two viewers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from service.auth import Role


class ErrorProblem(BaseModel):
    field: str = Field(description="The field (dotted path; `body` for the body itself)")
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="bad_request, unauthorized, forbidden, not_found, method_not_allowed, conflict, "
                                  "too_large, invalid_input, rate_limited, configuration, internal, "
                                  "store_unavailable")
    message: str
    problems: list[ErrorProblem] | None = Field(None, description="Each field that is wrong (invalid_input)")


class ErrorBody(BaseModel):
    """Every error, whatever its status."""

    error: ErrorDetail


_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}


def _needed_role(dependant: Dependant) -> Role:
    """The role an operation's dependencies ask for (ANONYMOUS when none does)."""
    found = Role.ANONYMOUS
    for dep in dependant.dependencies:
        role = getattr(dep.call, "role", None)
        if isinstance(role, Role) and role > found:
            found = role
        found = max(found, _needed_role(dep))
    return found


def _routes(app: FastAPI) -> list[Any]:
    """The app's operations, through the routers it includes (FastAPI 0.165 wraps them)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: the routes are flat
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return list(iter_route_contexts(app.routes))


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` by the document described above."""

    def document() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorProblem, ErrorDetail, ErrorBody):
            components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components[model.__name__].pop("$defs", None)
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        roles: dict[tuple[str, str], Role] = {}
        for route in _routes(app):
            dependant = getattr(route, "dependant", None)
            path = getattr(route, "path_format", None) or getattr(route, "path", None)
            if isinstance(dependant, Dependant) and path:
                for m in getattr(route, "methods", None) or ():
                    roles[(path, m.lower())] = _needed_role(dependant)
        for path, operations in schema.get("paths", {}).items():
            for method, op in operations.items():
                role = roles.get((path, method), Role.ANONYMOUS)
                responses = op.setdefault("responses", {})
                errors = {"503": "The store cannot be reached just now"}
                if op.get("parameters") or op.get("requestBody"):
                    errors["422"] = "Invalid input: each field that is wrong is named in `problems`"
                if op.get("requestBody"):
                    errors["400"] = "A body that cannot be parsed (JSON nested too deeply)"
                    errors["413"] = "A body over 1 MiB"
                if "{" in path:
                    errors["404"] = "No such item"
                if role >= Role.EDITOR:
                    errors["401"] = "No token, or a token that is not valid"
                    errors["403"] = f"The token's role is below {role.name.lower()}"
                else:
                    errors["401"] = "A token that is not valid (or none, where reading needs a reader token)"
                if method == "post" and role >= Role.EDITOR and "{" not in path:  # creating an item
                    errors["409"] = "An item with that id exists already"
                if method == "delete":
                    errors["409"] = "Other items still link to it (named in the message)"
                if "security" not in op:  # takes no token (/health)
                    errors.pop("401")
                for code, text in errors.items():
                    given = responses.get(code, {})
                    if "content" in given and code != "422":  # documented by the route itself (/health's 503)
                        continue
                    said = given.get("description")
                    responses[code] = {"description": text if code == "422" or not said else said, **_REF}
                if "429" in responses:
                    responses["429"] = {"description": responses["429"]["description"], **_REF,
                                        "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                                    "description": "Seconds to wait"}}}
                if "security" in op and role < Role.EDITOR:  # a token is optional: anonymous callers may read
                    op["security"] = [*op["security"], {}]
        app.openapi_schema = schema
        return schema

    app.openapi = document  # type: ignore[method-assign]


def install_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` with their viewers served by the service itself, from the files the
    ``fastapi-offline`` package installs: the pages work on a network without the internet (FastAPI's own load
    them from a CDN). The app is made with ``docs_url=None, redoc_url=None``."""
    import fastapi_offline

    static = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-static", StaticFiles(directory=static), name="docs-static")
    spec = app.openapi_url or "/openapi.json"

    def in_english(page: HTMLResponse) -> HTMLResponse:
        """The page with its language said (FastAPI's pages have none; screen readers need it)."""
        body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
        return HTMLResponse(body, status_code=page.status_code)

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return in_english(get_swagger_ui_html(openapi_url=spec, title=f"{app.title} API",
                                              swagger_js_url="/docs-static/swagger-ui-bundle.js",
                                              swagger_css_url="/docs-static/swagger-ui.css",
                                              swagger_favicon_url="/docs-static/favicon.png"))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return in_english(get_redoc_html(openapi_url=spec, title=f"{app.title} API",
                                         redoc_js_url="/docs-static/redoc.standalone.js",
                                         redoc_favicon_url="/docs-static/favicon.png", with_google_fonts=False))
