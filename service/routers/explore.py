from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from service import explore
from service.auth import ReaderDep
from service.deps import StoreDep
from service.schemas import GraphPublic, OverviewPublic

router = APIRouter(tags=["explore"])


@router.get("/graph/{item_id}", response_model=GraphPublic)
def graph_neighbourhood(
    item_id: Annotated[str, Path(min_length=1, max_length=128)],
    store: StoreDep,
    caller: ReaderDep,
    depth: Annotated[int, Query(ge=1, le=2, description="Steps from the item")] = 1,
) -> GraphPublic:
    """The item's neighbourhood (initiatives, ideas, organisations, needs, focus areas) with a layout in [0, 1]."""
    return GraphPublic(**explore.neighbourhood(store, item_id, depth=depth, admin=caller.is_admin))


@router.get("/overview", response_model=OverviewPublic)
def overview(store: StoreDep, caller: ReaderDep) -> OverviewPublic:
    """Initiatives per focus area, owning unit, status, scale and mode: the many small streams made visible."""
    return OverviewPublic(**explore.overview(store))
