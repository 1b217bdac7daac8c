"""What the routes share for the life of one server: settings, database, caches, audit and jobs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fastapi import Request

from core.api.audit import AuditLog
from core.db import Database
from core.api.jobs import Runner
from core.api.markets import Markets
from core.api.responses import ErrorOut
from core.api.service import Predictor
from core.api.settings import ApiSettings

PREFIX = "/api/ai"  # every router is mounted here, and again without it


@dataclass
class Context:
    settings: ApiSettings
    db: Database
    markets: Markets
    predictor: Predictor
    audit: AuditLog
    runner: Runner
    device: str
    started: float = field(default_factory=time.monotonic)


async def context(request: Request) -> Context:
    """Dependency of every route (async: no thread hop for an attribute read)."""
    return request.app.state.context


_TEXT = {401: "missing, wrong or expired bearer token", 403: "writes are off: the server has no token secret", 404: "unknown model, symbol, timeframe, version or job",
         409: "conflict with the current state", 413: "request body too large", 415: "body is not JSON",
         422: "invalid request", 429: "rate limit reached (see Retry-After)"}


def errors(*codes: int) -> dict[int | str, dict]:
    """OpenAPI ``responses`` for these error statuses, all in the error JSON shape."""
    return {code: {"model": ErrorOut, "description": _TEXT[code]} for code in codes}


READ_ERRORS = errors(401, 404, 413, 422, 429)
WRITE_ERRORS = errors(401, 403, 404, 409, 413, 415, 422, 429)
