"""Dependencies: the one store, embedder and recommender of the process, handed out per request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from graph.errors import Problem, StoreUnavailableError, ValidationError
from graph.store import GraphStore
from recommend.similar import Recommender
from service.settings import Settings


def get_store(request: Request) -> GraphStore:
    store: GraphStore | None = getattr(request.app.state, "store", None)
    if store is None:
        raise StoreUnavailableError("the graph store is not open")
    return store


def get_recommender(request: Request) -> Recommender:
    recommender: Recommender | None = getattr(request.app.state, "recommender", None)
    if recommender is None:
        raise StoreUnavailableError("the recommender is not ready")
    return recommender


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[GraphStore, Depends(get_store)]
RecommenderDep = Annotated[Recommender, Depends(get_recommender)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def _query_names(dependant: Any) -> set[str]:
    names = {getattr(p, "alias", None) or p.name for p in getattr(dependant, "query_params", ())}
    for sub in getattr(dependant, "dependencies", ()):
        names |= _query_names(sub)
    return names


def no_unknown_query(request: Request) -> None:
    """A query parameter the operation does not take is a 422 naming it (``?stauts=completed`` would otherwise
    answer everything, as if no filter were given)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    known = _query_names(dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
        raise ValidationError([Problem("query", None, name, f"unknown query parameter; {takes}") for name in unknown])
