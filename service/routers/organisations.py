from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response

from graph.schema import ORG_KINDS, Label, Rel
from service import items
from service.auth import EditorDep, ReaderDep
from service.deps import RecommenderDep, StoreDep
from service.schemas import (
    MAX_PAGE,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationsPublic,
    OrganisationUpdate,
)

router = APIRouter(prefix="/organisations", tags=["organisations"])

IdPath = Annotated[str, Path(min_length=1, max_length=128, description="Organisation id")]


@router.get("", response_model=OrganisationsPublic)
def list_organisations(
    store: StoreDep,
    caller: ReaderDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    kind: Annotated[Literal[ORG_KINDS] | None, Query()] = None,  # type: ignore[valid-type]
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    part_of: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
) -> OrganisationsPublic:
    """Organisations (units, businesses, NGOs, research, public bodies ...) sorted by id, filtered by kind,
    country or parent."""
    page, count = items.list_items(store, Label.ORGANISATION, props={"kind": kind, "country": country and
                                                                     country.upper()},
                                   linked=[(Rel.PART_OF, part_of)], offset=offset, limit=limit)
    return OrganisationsPublic(data=[items.public_item(store, n) for n in page], count=count)


@router.post("", response_model=OrganisationPublic, status_code=201)
def create_organisation(
    body: OrganisationCreate, store: StoreDep, recommender: RecommenderDep,
    caller: EditorDep, response: Response,
) -> OrganisationPublic:
    """Create an organisation (editor); the answer's Location header is its address."""
    node = items.create_item(store, recommender.embedder, "organisations", body.model_dump(exclude_none=True))
    response.headers["Location"] = f"/organisations/{quote(node.id)}"
    return OrganisationPublic(**items.public_item(store, node))


@router.get("/{item_id}", response_model=OrganisationPublic)
def get_organisation(item_id: IdPath, store: StoreDep, caller: ReaderDep) -> OrganisationPublic:
    """One organisation."""
    return OrganisationPublic(**items.public_item(store, items.get_item(store, Label.ORGANISATION, item_id)))


@router.patch("/{item_id}", response_model=OrganisationPublic)
def update_organisation(
    item_id: IdPath, body: OrganisationUpdate, store: StoreDep, recommender: RecommenderDep,
    caller: EditorDep,
) -> OrganisationPublic:
    """Change the given fields (editor); `null` clears a field."""
    node = items.get_item(store, Label.ORGANISATION, item_id)
    node = items.update_item(store, recommender.embedder, node, body.model_dump(exclude_unset=True))
    return OrganisationPublic(**items.public_item(store, node))


@router.delete("/{item_id}", status_code=204, response_class=Response)
def delete_organisation(item_id: IdPath, store: StoreDep, caller: EditorDep) -> Response:
    """Delete an organisation (editor). One that other items still link to (it owns initiatives, is a partner, a
    unit is part of it) is refused with 409 naming those links: change or delete them first."""
    items.delete_item(store, Label.ORGANISATION, item_id)
    return Response(status_code=204)
