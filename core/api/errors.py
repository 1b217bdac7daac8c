"""Every failure becomes ``{"error": code, "detail": message}`` with the right status, never a traceback.

Core errors already carry a message fit for a user; only file system paths are removed from them
(`core.api.redact`), so a response never reveals the server's layout.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from core.api.redact import clean
from core.ensemble.combiners import EnsembleError
from core.errors import DataError, LydianError, TimeframeError, UnknownSymbolError
from core.models.encryption import ArtifactKeyError
from core.models.registry import UnknownModelError
from core.models.store import ModelFileError

log = logging.getLogger("lydian.api")

# most specific first: UnknownSymbolError is a DataError, ModelFileError a LydianError
_CORE = (
    (UnknownModelError, 404, "unknown_model"),
    (UnknownSymbolError, 404, "unknown_symbol"),
    (TimeframeError, 404, "unknown_timeframe"),
    (ModelFileError, 500, "model_file_error"),
    (ArtifactKeyError, 500, "artifact_key_error"),
    (EnsembleError, 422, "bad_ensemble"),
    (DataError, 422, "data_error"),
    (LydianError, 422, "unprocessable"),
)
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
               413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited"}


class ApiError(Exception):
    """An answer other than success, raised anywhere below a route."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


class NotTrained(ApiError):
    """A known model (or the ensemble) with no trained version on a market: 404 unless a route starts training."""

    def __init__(self, symbol: str, timeframe: str, horizon: int, model: str, detail: str) -> None:
        super().__init__(404, "not_trained", detail)
        self.symbol, self.timeframe, self.horizon, self.model = symbol, timeframe, horizon, model


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": clean(detail)}


def error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, detail), status_code=status, headers=headers)


def core_error(exc: LydianError) -> ApiError:
    """The status and code of a core exception."""
    for kind, status, code in _CORE:
        if isinstance(exc, kind):
            return ApiError(status, code, str(exc))
    return ApiError(422, "unprocessable", str(exc))


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")] or [str(loc[0]) if loc else "request"]
    return ".".join(parts)


def validation_detail(exc: RequestValidationError) -> str:
    """One line naming each bad field (at most five), without echoing the input."""
    errors = exc.errors()
    parts = [f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into the error JSON."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(LydianError)
    async def _core(_: Request, exc: LydianError) -> JSONResponse:
        mapped = core_error(exc)
        if mapped.status >= 500:
            log.error("core error: %s", exc)
        return error_response(mapped.status, mapped.code, mapped.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "validation_error", validation_detail(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code in (404, 405) and detail in ("Not Found", "Method Not Allowed"):
            detail = f"no endpoint {request.method} {request.url.path[:100]}; every endpoint is listed at /docs"
        if exc.status_code == 400 and detail == "There was an error parsing the body":  # e.g. not UTF-8
            return error_response(422, "validation_error", "the body is not valid JSON text")
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), detail,
                              getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal_error", "internal error; the server log has the details")
