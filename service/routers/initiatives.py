from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from graph.errors import NotFoundError
from graph.schema import Direction, Label, Rel, public_props
from service.deps import RecommenderDep, StoreDep
from service.routers.search import similar_public
from service.schemas import InitiativePublic, Ref, SimilarPublic

router = APIRouter(prefix="/initiatives", tags=["initiatives"])

IdPath = Annotated[str, Path(min_length=1, max_length=128, description="Initiative id")]


@router.get("/{item_id}", response_model=InitiativePublic)
def get_initiative(item_id: IdPath, store: StoreDep) -> InitiativePublic:
    """One initiative with its owner, partners, needs, focus areas and topics (no personal data)."""
    node = store.get(item_id)
    if node is None or node.label != Label.INITIATIVE:
        raise NotFoundError(f"no initiative with id '{item_id}'")
    links: dict[Rel, list[Ref]] = {}
    for edge, other in store.neighbours(item_id, direction=Direction.OUT):
        links.setdefault(edge.rel, []).append(Ref(id=other.id, name=other.title, role=edge.props.get("role")))
    owner = links.get(Rel.OWNED_BY, [None])[0]
    return InitiativePublic(
        id=node.id,
        title=node.title,
        properties={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in public_props(node.props).items()},
        owner=owner,
        partners=links.get(Rel.INVOLVES, []),
        needs=links.get(Rel.ADDRESSES, []),
        focus_areas=links.get(Rel.SUPPORTS, []),
        topics=links.get(Rel.TAGGED, []),
        builds_on=links.get(Rel.BUILDS_ON, []),
    )


@router.get("/{item_id}/similar", response_model=SimilarPublic)
def similar_initiatives(
    item_id: IdPath,
    recommender: RecommenderDep,
    store: StoreDep,
    k: Annotated[int, Query(ge=1, le=100, description="How many results")] = 10,
    cross_silo: Annotated[bool, Query(description="Only initiatives of other units")] = False,
) -> SimilarPublic:
    """Initiatives similar to this one, each with the parts of its score and its reasons."""
    node = store.get(item_id)
    if node is None or node.label != Label.INITIATIVE:
        raise NotFoundError(f"no initiative with id '{item_id}'")
    return similar_public(recommender.similar_to_item(item_id, k=k, cross_silo=cross_silo))
