"""The prediction cache shared by every API worker process: Redis behind each worker's own LRU.

``lydian serve --workers N`` runs N processes; with ``LYDIAN_REDIS_URL`` (``redis://127.0.0.1:6379/0``)
a forecast computed by one is served by the others. Lookups go: the worker's in-process
`ForecastCache` (answered on the event loop, see `core.api.service`), then Redis, then the
computation, whose result is written to both. Keys are the forecast's full identity (market, model,
version, configuration digest, last candle time) under a namespace of the model store, so a new candle
or a new model version is a new key and no worker can serve a stale forecast. Values are JSON, never pickle.

Redis absent, unreachable at start or failing later: the worker logs one warning and keeps serving
from its own in-process cache (retrying Redis after ``RETRY_SECONDS``). Nothing else changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from core.config import artifacts_dir

TTL_SECONDS = 3600  # a key is exact, so this only bounds memory: old candles' forecasts expire
RETRY_SECONDS = 30.0
log = logging.getLogger("lydian.api")


class LocalCache(Protocol):
    def get(self, key: tuple, compute: Callable[[], dict[str, Any]], peek: bool = False) -> tuple[dict[str, Any], bool]: ...


def redis_url() -> str | None:
    return os.environ.get("LYDIAN_REDIS_URL", "").strip() or None


class SharedCache:
    """A worker's LRU in front of Redis; the LRU's single flight also guards the Redis round trip."""

    def __init__(self, local: LocalCache, client: Any, namespace: str, ttl: int = TTL_SECONDS) -> None:
        self.local, self.client, self.namespace, self.ttl = local, client, namespace, ttl
        self._down_until = 0.0
        self._lock = threading.Lock()

    def redis_key(self, key: tuple) -> str:
        text = json.dumps(list(key), default=str, separators=(",", ":"))
        return f"lydian:forecast:{self.namespace}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"

    def get(self, key: tuple, compute: Callable[[], dict[str, Any]], peek: bool = False) -> tuple[dict[str, Any], bool]:
        """(value, whether it came from a cache: this worker's or the shared one)."""
        shared: list[bool] = []

        def through_redis() -> dict[str, Any]:
            found = self._read(key)
            if found is not None:
                shared.append(True)
                return found
            value = compute()
            self._write(key, value)
            return value

        value, cached = self.local.get(key, through_redis, peek)
        return value, cached or bool(shared)

    def _usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            if self._usable():
                log.warning("redis cache unavailable (%s: %s); serving from this worker's memory, retrying in %.0f s",
                            type(exc).__name__, exc, RETRY_SECONDS)
            self._down_until = time.monotonic() + RETRY_SECONDS

    def _read(self, key: tuple) -> dict[str, Any] | None:
        if not self._usable():
            return None
        try:
            raw = self.client.get(self.redis_key(key))
        except Exception as exc:  # redis.RedisError, OSError: the forecast is computed here instead
            self._failed(exc)
            return None
        return None if raw is None else json.loads(raw)

    def _write(self, key: tuple, value: dict[str, Any]) -> None:
        if not self._usable():
            return
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):  # not plain JSON: kept by this worker only
            log.debug("forecast %s is not plain JSON; not shared", key)
            return
        try:
            self.client.set(self.redis_key(key), text, ex=self.ttl)
        except Exception as exc:
            self._failed(exc)


def namespace() -> str:
    """Forecasts of one model store: two servers with different stores never share keys."""
    return hashlib.sha256(str(artifacts_dir().resolve()).encode()).hexdigest()[:12]


def shared(local: LocalCache, url: str | None = None) -> LocalCache:
    """``local`` behind Redis when ``url`` (default ``LYDIAN_REDIS_URL``) answers a PING, else ``local`` alone."""
    url = url or redis_url()
    if url is None:
        return local
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30)
        client.ping()
    except Exception as exc:
        safe = url.split("@")[-1]
        log.warning("redis at %s is unreachable (%s); each worker keeps its own in-process forecast cache",
                    safe, type(exc).__name__)
        return local
    return SharedCache(local, client, namespace())
