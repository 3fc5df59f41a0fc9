"""Dependencies: the one store, embedder and recommender of the process, handed out per request."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

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


def _takes_many(annotation: Any) -> bool:
    """Whether a query parameter of this type may be repeated (a list, as ``kind`` of the partner searches)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_many(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return any(_takes_many(arg) for arg in get_args(annotation))
    return origin in (list, set, frozenset, tuple) or annotation in (list, set, frozenset, tuple)


def _query_names(dependant: Any) -> dict[str, bool]:
    """The query parameters an operation takes, each with whether it may be repeated."""
    names = {getattr(p, "alias", None) or p.name: _takes_many(getattr(getattr(p, "field_info", None), "annotation",
                                                                      None))
             for p in getattr(dependant, "query_params", ())}
    for sub in getattr(dependant, "dependencies", ()):
        names |= _query_names(sub)
    return names


def no_unknown_query(request: Request) -> None:
    """A query parameter the operation does not take is a 422 naming it (``?stauts=completed`` would otherwise
    answer everything, as if no filter were given), and so is one that takes one value given more than once
    (``?status=ongoing&status=completed`` would answer for the last one only, as if it were the only one)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    known = _query_names(dependant)
    unknown = sorted(set(request.query_params) - set(known))
    takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
    problems = [Problem("query", None, name, f"unknown query parameter; {takes}") for name in unknown]
    for name in sorted(set(request.query_params) & set(known)):
        given = request.query_params.getlist(name)
        if len(given) > 1 and not known[name]:
            problems.append(Problem("query", None, name, f"given {len(given)} times; it takes one value"))
    if problems:
        raise ValidationError(problems)
