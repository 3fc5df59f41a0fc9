from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response

from graph.schema import Label, Rel
from recommend.reuse import reuse
from service import items
from service.auth import EditorDep, ReaderDep
from service.deps import RecommenderDep, StoreDep
from service.routers.search import similar_public
from service.schemas import MAX_PAGE, NeedCreate, NeedPublic, NeedsPublic, NeedUpdate, SimilarPublic

router = APIRouter(prefix="/needs", tags=["needs"])

IdPath = Annotated[str, Path(min_length=1, max_length=128, description="Need id")]
Filter = Annotated[str | None, Query(min_length=1, max_length=128)]  # empty: a 422, not "matches nothing"


@router.get("", response_model=NeedsPublic)
def list_needs(
    store: StoreDep,
    caller: ReaderDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    owner: Filter = None,
    focus_area: Filter = None,
) -> NeedsPublic:
    """Needs (including the plan's "floker") sorted by id, filtered by owner or focus area."""
    page, count = items.list_items(store, Label.NEED, offset=offset, limit=limit,
                                   linked=[(Rel.OWNED_BY, owner), (Rel.SUPPORTS, focus_area)])
    return NeedsPublic(data=[items.public_item(store, n) for n in page], count=count)


@router.post("", response_model=NeedPublic, status_code=201)
def create_need(
    body: NeedCreate, store: StoreDep, recommender: RecommenderDep, caller: EditorDep, response: Response
) -> NeedPublic:
    """Create a need (editor); the answer's Location header is its address."""
    node = items.create_item(store, recommender.embedder, "needs", body.model_dump(exclude_none=True))
    response.headers["Location"] = f"/needs/{quote(node.id)}"
    return NeedPublic(**items.public_item(store, node))


@router.get("/{item_id}", response_model=NeedPublic)
def get_need(item_id: IdPath, store: StoreDep, caller: ReaderDep) -> NeedPublic:
    """One need with its owner, focus areas and topics."""
    return NeedPublic(**items.public_item(store, items.get_item(store, Label.NEED, item_id)))


@router.patch("/{item_id}", response_model=NeedPublic)
def update_need(
    item_id: IdPath, body: NeedUpdate, store: StoreDep, recommender: RecommenderDep,
    caller: EditorDep,
) -> NeedPublic:
    """Change the given fields (editor); `null` clears a field."""
    node = items.get_item(store, Label.NEED, item_id)
    node = items.update_item(store, recommender.embedder, node, body.model_dump(exclude_unset=True))
    return NeedPublic(**items.public_item(store, node))


@router.delete("/{item_id}", status_code=204, response_class=Response)
def delete_need(item_id: IdPath, store: StoreDep, caller: EditorDep) -> Response:
    """Delete a need with its links (editor)."""
    items.delete_item(store, Label.NEED, item_id)
    return Response(status_code=204)


@router.get("/{need_id}/reuse", response_model=SimilarPublic)
def reuse_for_need(
    need_id: Annotated[str, Path(min_length=1, max_length=128, description="Need (or initiative) id")],
    recommender: RecommenderDep,
    caller: ReaderDep,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SimilarPublic:
    """Completed initiatives elsewhere that addressed a similar need, those with recorded results first."""
    return similar_public(reuse(recommender, need_id, k=k))
