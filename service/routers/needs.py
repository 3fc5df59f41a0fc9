from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from recommend.reuse import reuse
from service.deps import RecommenderDep
from service.routers.search import similar_public
from service.schemas import SimilarPublic

router = APIRouter(prefix="/needs", tags=["needs"])


@router.get("/{need_id}/reuse", response_model=SimilarPublic)
def reuse_for_need(
    need_id: Annotated[str, Path(min_length=1, max_length=128, description="Need (or initiative) id")],
    recommender: RecommenderDep,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SimilarPublic:
    """Completed initiatives elsewhere that addressed a similar need, those with recorded results first."""
    return similar_public(reuse(recommender, need_id, k=k))
