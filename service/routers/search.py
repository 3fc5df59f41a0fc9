from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from graph.schema import Label
from recommend.similar import MAX_QUERY_CHARS
from recommend.types import SimilarResult
from service.auth import ReaderDep
from service.deps import RecommenderDep
from service.schemas import SimilarPublic, SimilarRequest

router = APIRouter(tags=["search"])

LABELS: dict[str, tuple[Label, ...]] = {
    "initiative": (Label.INITIATIVE,),
    "idea": (Label.IDEA,),
    "need": (Label.NEED,),
    "all": (Label.INITIATIVE, Label.IDEA, Label.NEED),
}


def similar_public(result: SimilarResult) -> SimilarPublic:
    data = result.as_dict()
    items = data.pop("items")
    return SimilarPublic(**data, data=items, count=len(items))


@router.get("/search", response_model=SimilarPublic)
def search(
    recommender: RecommenderDep,
    caller: ReaderDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Free text, Norwegian or English")],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    label: Annotated[Literal["initiative", "idea", "need", "all"], Query()] = "initiative",
) -> SimilarPublic:
    """Hybrid (meaning + spelling) search over initiatives, ideas or needs."""
    return similar_public(recommender.similar_to_text(q, k=k, labels=LABELS[label]))


@router.post("/similar", response_model=SimilarPublic)
def similar_text(body: SimilarRequest, recommender: RecommenderDep, caller: ReaderDep) -> SimilarPublic:
    """Items similar to a free text, optionally only from other units than `unit` (cross-silo)."""
    result = recommender.similar_to_text(
        body.text, k=body.k, cross_silo=body.cross_silo, unit=body.unit, labels=LABELS[body.label]
    )
    return similar_public(result)
