"""The FastAPI application. Store, model and recommender are opened once, in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from graph.errors import StoreUnavailableError
from graph.store import GraphStore
from ingest.embedder import Embedder
from recommend.partners import PartnerRecommender
from recommend.similar import Recommender
from service import errors, openapi
from service.audit import AuditChanges
from service.auth import TokenStore, token_path
from service.deps import no_unknown_query
from service.headers import SecurityHeaders
from service.limits import BodyLimit
from service.logs import quiet_access_log
from service.ratelimit import RateLimiter
from service.routers import explore, health, ideas, initiatives, needs, organisations, partners, search
from service.settings import Settings, get_settings
from service.web import routes as web

log = logging.getLogger("kominn")


def create_app(
    settings: Settings | None = None, *, store: GraphStore | None = None, embedder: Embedder | None = None
) -> FastAPI:
    """Build the app. A given store or embedder is used as it is (tests); otherwise from settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cfg = settings or get_settings()
        app.state.settings = cfg
        quiet_access_log()  # no search texts in the access log
        own_store = store is None
        st = store or cfg.build_store()
        emb = embedder or cfg.build_embedder()
        try:
            st.open()
        except StoreUnavailableError as e:  # start anyway: /health says 503 until the store answers
            log.error("%s; the service starts and retries on the next request", e)
        load = getattr(emb, "load", None)
        if callable(load):
            load()
        app.state.store = st
        app.state.embedder = emb
        app.state.recommender = Recommender(st, emb)
        app.state.partners = PartnerRecommender(st, app.state.recommender)
        app.state.tokens = TokenStore(token_path(cfg.data_dir))
        app.state.idea_limiter = RateLimiter(cfg.idea_rate_limit, cfg.idea_rate_window_s)
        app.state.receipt_key = None  # signs the idea pages' receipt cookies; read from the token file on first use
        log.info("KomInn ready: %s, model %s", cfg.describe_store(), emb.name)
        try:
            yield
        finally:
            if own_store:
                st.close()

    app = FastAPI(
        title="KomInn",
        version="0.1.0",
        summary="Knowledge graph and recommendations linking innovation initiatives, ideas, needs and partners.",
        lifespan=lifespan,
        docs_url=None,  # served by openapi.install_docs, without a CDN
        redoc_url=None,
    )
    errors.install(app)
    openapi.install(app)
    openapi.install_docs(app)
    app.add_middleware(AuditChanges)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    for router in (health.router, initiatives.router, search.router, needs.router, ideas.router,
                   organisations.router, partners.router, explore.router):  # the API (the pages take ?lang=)
        app.include_router(router, dependencies=[Depends(no_unknown_query)])
    web.install(app)
    return app
