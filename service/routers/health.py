from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from graph.errors import KomInnError
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request) -> Health | JSONResponse:
    """Whether the store answers, and which store and model the service uses."""
    settings = request.app.state.settings
    store = getattr(request.app.state, "store", None)
    embedder = getattr(request.app.state, "embedder", None)
    model = getattr(embedder, "name", "not loaded")
    try:
        if store is None:
            raise KomInnError("the store is not open")
        store.ping()
        return Health(status="ok", store=settings.describe_store(), model=model, nodes=store.count_nodes())
    except KomInnError as e:
        body = Health(status="unavailable", store=settings.describe_store(), model=model, detail=str(e))
        return JSONResponse(status_code=503, content=body.model_dump())
