from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from graph.errors import KomInnError
from service.auth import PrincipalDep, Role
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request, caller: PrincipalDep) -> Health | JSONResponse:
    """Whether the store answers, and which store and model the service uses. Where reading needs a token
    (KOMINN_READ_REQUIRES_TOKEN), a caller without one learns only whether the service is up: not where its
    store is, how large it is, or why it is down."""
    settings = request.app.state.settings
    store = getattr(request.app.state, "store", None)
    embedder = getattr(request.app.state, "embedder", None)
    model = getattr(embedder, "name", "not loaded")
    told = caller.role >= Role.READER or not settings.read_requires_token
    where = settings.describe_store() if told else settings.store
    try:
        if store is None:
            raise KomInnError("the store is not open")
        store.ping()
        return Health(status="ok", store=where, model=model, nodes=store.count_nodes() if told else None)
    except KomInnError as e:
        body = Health(status="unavailable", store=where, model=model, detail=str(e) if told else None)
        return JSONResponse(status_code=503, content=body.model_dump())
