from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from graph.errors import StoreUnavailableError
from recommend.partners import PartnerQuery, PartnerRecommender
from recommend.types import Recommendation
from service.auth import ReaderDep
from service.schemas import PartnerRequest, PartnersPublic, RecommendationPublic

router = APIRouter(tags=["partners"])


def get_partners(request: Request) -> PartnerRecommender:
    partners: PartnerRecommender | None = getattr(request.app.state, "partners", None)
    if partners is None:
        raise StoreUnavailableError("the partner recommender is not ready")
    return partners


PartnersDep = Annotated[PartnerRecommender, Depends(get_partners)]


def partners_public(query: str, query_id: str | None, found: list[Recommendation],
                    notes: list[str] | None = None) -> PartnersPublic:
    data = [RecommendationPublic(**r.as_dict()) for r in found]
    return PartnersPublic(query=query, query_id=query_id, data=data, count=len(data), notes=notes or [])


@router.post("/partners", response_model=PartnersPublic)
def partners_for_text(body: PartnerRequest, partners: PartnersDep, caller: ReaderDep) -> PartnersPublic:
    """Organisations to work with on a project described in free text, optionally with partners already known.

    The text is always read as a description (an initiative's partners: `GET /initiatives/{id}/partners`).
    Each result's `status` is the organisation's kind; its reasons name the shared initiatives and topics.
    `notes` says, for one, when nothing matches the text closely (the suggestions are then loose); `loose` marks
    each suggestion whose only ground is taking part in initiatives among the nearest, none of them close."""
    notes: list[str] = []
    found = partners.partners(PartnerQuery(body.text, list(body.known)), k=body.k, kinds=body.kind, notes=notes)
    return partners_public(body.text, None, found, notes)
