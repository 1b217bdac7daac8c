"""What every request passes before a route: who it is, the rate limit, the body size, curl's bodies.

One pure ASGI middleware (cheaper per request than Starlette's ``BaseHTTPMiddleware``):

- identity: the bearer token is read once and left in ``request.state.identity`` for the routes;
- rate limit: a token bucket per user (per client IP without a token), ``rate_limit`` per minute,
  answered with 429 and ``Retry-After`` in whole seconds;
- size: a body larger than ``max_body_bytes`` is refused with 413, by its Content-Length or, for a
  chunked body (no length), as soon as the bytes read pass the limit — it is read here, before any
  route, because FastAPI turns an error raised while it reads a body into a plain 400;
- curl: ``curl -d '{...}'`` labels JSON as form data; on the read-only prediction endpoints any body
  is read as JSON whatever its Content-Type, elsewhere a non-JSON Content-Type is a 415.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from core.api.auth import identify
from core.api.errors import ApiError, error_response
from core.api.settings import ApiSettings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREDICTION_PATHS = re.compile(r"^(/api/ai)?/(predict/(single|batch|ensemble|top100)|models/[^/]+/predict)/?$")
UNLIMITED_PATHS = re.compile(r"^((/api/ai)?/health|/docs.*|/redoc|/openapi\.json)$")
_JSON = re.compile(r"^application/([\w.+-]+\+)?json\s*(;.*)?$", re.IGNORECASE)


class RateLimiter:
    """Token buckets: ``per_minute`` requests in a burst, refilled evenly over a minute."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may pass, else the seconds until it may."""
        clock = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, clock))
            tokens = min(self.capacity, tokens + (clock - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, clock)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, clock)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.max_keys:  # forget idle buckets (they are full again anyway)
                horizon = clock - 60.0
                self._buckets = {k: v for k, v in self._buckets.items() if v[1] > horizon}
        return wait


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _with_json_type(scope: Scope) -> Scope:
    headers = [(k, v) for k, v in scope.get("headers", ()) if k != b"content-type"]
    return {**scope, "headers": [*headers, (b"content-type", b"application/json")]}


class Guard:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit) if settings.rate_limit > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        client = scope["client"][0] if scope.get("client") else "unknown"
        identity = identify(_header(scope, b"authorization"), client, self.settings.jwt_secret)
        scope.setdefault("state", {})["identity"] = identity
        if self.limiter is not None and not UNLIMITED_PATHS.match(path):
            wait = self.limiter.take(identity.bucket)
            if wait > 0:
                seconds = str(max(1, math.ceil(wait)))
                await error_response(429, "rate_limited", f"more than {self.settings.rate_limit} requests a minute; "
                                     f"retry in {seconds} s", {"Retry-After": seconds})(scope, receive, send)
                return
        refusal = self._refusal(scope, path)
        if refusal is not None:
            await error_response(refusal.status, refusal.code, refusal.detail)(scope, receive, send)
            return
        if scope["method"] in ("POST", "PUT", "PATCH") and PREDICTION_PATHS.match(path):
            content_type = _header(scope, b"content-type")
            if content_type is None or not _JSON.match(content_type):
                scope = _with_json_type(scope)
        if _header(scope, b"content-length") is None and scope["method"] in ("POST", "PUT", "PATCH"):
            receive = await self._buffered(receive)
            if receive is None:
                error = _too_large(self.settings.max_body_bytes)
                await error_response(error.status, error.code, error.detail)(scope, _no_body, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, path: str) -> ApiError | None:
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.settings.max_body_bytes:
            return _too_large(self.settings.max_body_bytes)
        content_type = _header(scope, b"content-type")
        if (content_type and not _JSON.match(content_type) and scope["method"] in ("POST", "PUT", "PATCH")
                and not PREDICTION_PATHS.match(path) and (length or "0").strip() != "0"):
            return ApiError(415, "unsupported_media_type", "send the body as JSON with 'Content-Type: application/json'")
        return None

    async def _buffered(self, receive: Receive) -> Receive | None:
        """Read a body of unknown length up to the limit; None when it is larger."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see that
                return _replay(message, receive)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.settings.max_body_bytes:
                return None
            more = message.get("more_body", False)
        return _replay({"type": "http.request", "body": b"".join(chunks), "more_body": False}, receive)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the request body is larger than {limit} bytes")


async def _no_body() -> MutableMapping[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _replay(first: MutableMapping[str, Any], receive: Receive) -> Receive:
    """A receive that hands the buffered message to the app, then passes on to the client's."""
    pending = [first]

    async def replay() -> MutableMapping[str, Any]:
        return pending.pop() if pending else await receive()

    return replay
