from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response

from graph.errors import NotFoundError
from graph.schema import ORG_KINDS, Label, Rel
from service import items
from service.auth import EditorDep, ReaderDep
from service.deps import RecommenderDep, StoreDep
from service.routers.partners import PartnersDep, partners_public
from service.routers.search import similar_public
from service.schemas import (
    MAX_PAGE,
    InitiativeCreate,
    InitiativePublic,
    InitiativesPublic,
    InitiativeUpdate,
    PartnersPublic,
    SimilarPublic,
)

router = APIRouter(prefix="/initiatives", tags=["initiatives"])

IdPath = Annotated[str, Path(min_length=1, max_length=128, description="Initiative id")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="How many to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")]
Filter = Annotated[str | None, Query(min_length=1, max_length=128)]  # empty: a 422, not "matches nothing"
OrgKind = Literal[ORG_KINDS]  # type: ignore[valid-type]
InitiativeSort = Literal["id", "title", "-title", "start_date", "-start_date", "end_date", "-end_date"]


@router.get("", response_model=InitiativesPublic)
def list_initiatives(
    store: StoreDep,
    caller: ReaderDep,
    offset: Offset = 0,
    limit: Limit = 20,
    status: Annotated[Literal["idea", "planned", "ongoing", "completed", "stopped"] | None, Query()] = None,
    owner: Filter = None,
    focus_area: Filter = None,
    need: Filter = None,
    partner: Filter = None,
    sort: Annotated[InitiativeSort, Query(description="Order: by id (default), title, start or end date; a leading "
                                          "'-' sorts descending (newest first). Items without the field come last.")
                    ] = "id",
) -> InitiativesPublic:
    """Initiatives filtered by status, owning unit, focus area, need or partner; one page, sorted by ``sort``."""
    page, count = items.list_items(
        store, Label.INITIATIVE, props={"status": status}, offset=offset, limit=limit,
        order_by=None if sort == "id" else sort,
        linked=[(Rel.OWNED_BY, owner), (Rel.SUPPORTS, focus_area), (Rel.ADDRESSES, need), (Rel.INVOLVES, partner)])
    return InitiativesPublic(data=[items.public_item(store, n, admin=caller.is_admin) for n in page], count=count)


@router.post("", response_model=InitiativePublic, status_code=201)
def create_initiative(
    body: InitiativeCreate, store: StoreDep, recommender: RecommenderDep, caller: EditorDep, response: Response
) -> InitiativePublic:
    """Create an initiative (editor). It is validated and embedded like ingested data; links must exist. The
    answer's Location header is its address."""
    node = items.create_item(store, recommender.embedder, "initiatives", body.model_dump(exclude_none=True))
    response.headers["Location"] = f"/initiatives/{quote(node.id)}"
    return InitiativePublic(**items.public_item(store, node, admin=caller.is_admin))


@router.get("/{item_id}", response_model=InitiativePublic)
def get_initiative(item_id: IdPath, store: StoreDep, caller: ReaderDep) -> InitiativePublic:
    """One initiative with its owner, partners, needs, focus areas and topics (personal data for admins only)."""
    node = items.get_item(store, Label.INITIATIVE, item_id)
    return InitiativePublic(**items.public_item(store, node, admin=caller.is_admin))


@router.patch("/{item_id}", response_model=InitiativePublic)
def update_initiative(
    item_id: IdPath, body: InitiativeUpdate, store: StoreDep, recommender: RecommenderDep,
    caller: EditorDep,
) -> InitiativePublic:
    """Change the given fields (editor); `null` clears a field. Text changes are re-embedded."""
    node = items.get_item(store, Label.INITIATIVE, item_id)
    node = items.update_item(store, recommender.embedder, node, body.model_dump(exclude_unset=True))
    return InitiativePublic(**items.public_item(store, node, admin=caller.is_admin))


@router.delete("/{item_id}", status_code=204, response_class=Response)
def delete_initiative(item_id: IdPath, store: StoreDep, caller: EditorDep) -> Response:
    """Delete an initiative with its links (editor)."""
    items.delete_item(store, Label.INITIATIVE, item_id)
    return Response(status_code=204)


@router.get("/{item_id}/similar", response_model=SimilarPublic)
def similar_initiatives(
    item_id: IdPath,
    recommender: RecommenderDep,
    store: StoreDep,
    caller: ReaderDep,
    k: Annotated[int, Query(ge=1, le=100, description="How many results")] = 10,
    cross_silo: Annotated[bool, Query(description="Only initiatives of other units")] = False,
) -> SimilarPublic:
    """Initiatives similar to this one, each with the parts of its score and its reasons."""
    node = store.get(item_id)
    if node is None or node.label != Label.INITIATIVE:
        raise NotFoundError(f"no initiative with id '{item_id}'")
    return similar_public(recommender.similar_to_item(item_id, k=k, cross_silo=cross_silo))


@router.get("/{item_id}/partners", response_model=PartnersPublic)
def initiative_partners(
    item_id: IdPath,
    partners: PartnersDep,
    store: StoreDep,
    caller: ReaderDep,
    k: Annotated[int, Query(ge=1, le=100, description="How many organisations")] = 10,
    kind: Annotated[list[OrgKind] | None, Query(description="Only these kinds (repeat the parameter)")] = None,
) -> PartnersPublic:
    """Organisations this initiative could work with (not its owner or present partners), with reasons."""
    node = items.get_item(store, Label.INITIATIVE, item_id)
    notes: list[str] = []
    found = partners.partners(item_id, k=k, kinds=kind, notes=notes)
    return partners_public(node.title, node.id, found, notes)
