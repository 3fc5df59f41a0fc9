from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from recommend.reuse import check_idea
from recommend.similar import MAX_QUERY_CHARS
from service.deps import RecommenderDep
from service.routers.search import similar_public
from service.schemas import SimilarPublic

router = APIRouter(prefix="/ideas", tags=["ideas"])


class IdeaCheck(BaseModel):
    title: str = Field("", max_length=300, description="The idea's title, as typed so far")
    text: str = Field(..., min_length=1, max_length=MAX_QUERY_CHARS, description="The idea's text, as typed so far")
    k: int = Field(5, ge=1, le=20)


@router.post("/check", response_model=SimilarPublic)
def check(body: IdeaCheck, recommender: RecommenderDep) -> SimilarPublic:
    """Existing ideas and initiatives that may already cover this idea (calibrated so false alarms are rare)."""
    text = f"{body.title}\n{body.text}".strip()
    return similar_public(check_idea(recommender, text, k=body.k))
