"""The FastAPI application: every router under ``/api/ai`` and again at the short alias paths.

`create_app` builds one app from `ApiSettings`; its lifespan opens the database, marks jobs that
a dead server left running as failed, and starts the audit writer and the job runner — and on
shutdown stops the workers (their jobs are marked failed, not lost) and flushes the audit log.
The OpenAPI schema (``/openapi.json``; ``/docs`` and ``/redoc`` serve it from bundled files, no CDN) lists the ``/api/ai`` paths; the aliases
answer the same requests for the clients that call them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from core import __version__
from core.api import errors, jobs
from core.api.auth import declare_security
from core.api.audit import AuditLog
from core.api.context import PREFIX, Context
from core.db import Database
from core.api.markets import Markets
from core.api.middleware import Guard
from core.api.routes import agents as agents_routes
from core.api.routes import ensemble, insight, models, predict, quantum, regimes, sentiment, strategy, train
from core.api.service import Predictor
from core.api.settings import ApiSettings

ROUTERS = (models.router, predict.router, ensemble.router, insight.router, train.router, strategy.router, regimes.router,
           quantum.router, sentiment.router, agents_routes.router)
log = logging.getLogger("lydian.api")

DESCRIPTION = """Forecasts, the ensemble signal and training jobs over the same core as the `lydian`
command and the dashboard. Every path below also answers without the `/api/ai` prefix (e.g.
`POST /predict/single`). Mutating endpoints need `Authorization: Bearer <token>` (`lydian token create
--user NAME`); reads need none, but a token that is sent must be valid (401 otherwise). Each operation's
`security` says which. Errors are `{"error": code, "detail": message}`."""


def _operation_id(route: APIRoute) -> str:
    """The function's name (predict_single, ...): short, stable ids for generated clients."""
    return route.name


def _closed_key_patterns(node: object) -> None:
    """Pydantic writes ``dict[ConstrainedKey, V]`` as ``patternProperties`` alone, which lets any other key
    through on paper; the server refuses such keys, so the document says so (``additionalProperties: false``)."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _closed_key_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _closed_key_patterns(value)


def _context(settings: ApiSettings) -> Context:
    from core.models.device import pick_device

    db = Database(settings.database_url)
    markets = Markets()
    return Context(settings=settings, db=db, markets=markets, predictor=Predictor(db, markets), audit=AuditLog(db),
                   runner=jobs.Runner(db, settings.train_workers), device=str(pick_device()))


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """A ready app; nothing is opened until its lifespan starts (uvicorn or ``with TestClient(app)``)."""
    settings = settings or ApiSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = _context(settings)
        failed = jobs.recover(context.db)
        if failed:
            log.warning("%d training job(s) interrupted by the last shutdown were marked failed", failed)
        context.runner.start()
        app.state.context = context
        try:
            yield
        finally:
            context.runner.stop()
            context.audit.close()
            context.db.dispose()

    app = FastAPIOffline(title="Lydian API", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  generate_unique_id_function=_operation_id, strict_content_type=False)  # docs need no CDN
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
        app.include_router(router, include_in_schema=False)
    app.add_middleware(Guard, settings=settings)
    generate = app.openapi

    def openapi() -> dict:
        fresh = app.openapi_schema is None
        schema = generate()  # cached by FastAPI after the first call, with the declarations below
        if fresh:
            _closed_key_patterns(schema.get("components", {}))
            declare_security(schema, [route for router in ROUTERS for route in router.routes], PREFIX,
                             settings.protect_reads)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    if settings.cors_origins:  # outermost, so refusals (429, 413) carry CORS headers too
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
                           allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"])
    return app
