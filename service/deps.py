"""Dependencies: the one store, embedder and recommender of the process, handed out per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from graph.errors import StoreUnavailableError
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
