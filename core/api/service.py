"""Forecasts for the API: the same core calls as ``lydian predict`` and the dashboard, cached.

A forecast is kept under (symbol, timeframe, horizon, model, version, last candle time) — for the
ensemble, its stored versions and the digest of the configuration in force — so a repeated call costs a few
dictionary lookups, and a new candle, a newly trained or promoted version or a new configuration
is a new key, never a stale answer. Concurrent misses of one key compute it once. Several API workers
share their forecasts through Redis when ``LYDIAN_REDIS_URL`` answers (`core.api.cache`).

Every lookup can be made with ``peek=True``: it then answers only from memory and raises `Miss`
where it would read files or compute, so the async routes serve hits on the event loop and send
only misses to a worker thread.

Single models are run on the latest ``LIVE_BARS`` candles, the window the ensemble signal uses:
every feature is causal with fading memory, so the forecast equals the full-history one.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from core.api import cache as shared_cache
from core.api import configs
from core.db import Database
from core.api.errors import ApiError, NotTrained
from core.api.markets import Markets, Memo, Miss
from core import ensemble_configs, service
from core.ensemble import ENSEMBLE, NotTrainedError
from core.ensemble.live import LIVE_BARS
from core.models import registry
from core.models.inference import predict_latest
from core.models.store import Key, ModelStore

CACHE_SIZE = 20_000
CONFIG_TTL = 5.0  # another API process sharing the database sees a new configuration within this
VERSIONS_TTL = 2.0  # a newly trained or promoted version is served within this


def finite(value: Any) -> Any:
    """NaN and infinity become None (JSON has neither), in nested dicts and lists too."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


class ForecastCache:
    """A bounded LRU with single-flight computation."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, compute: Callable[[], dict[str, Any]], peek: bool = False) -> tuple[dict[str, Any], bool]:
        """(value, whether it came from the cache)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key], True
            if peek:
                raise Miss(key)
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._items:
                    return self._items[key], True
            try:
                value = compute()
            finally:
                with self._lock:
                    self._flights.pop(key, None)
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value, False


class Predictor:
    """Single-model and ensemble forecasts of checked markets."""

    def __init__(self, db: Database, markets: Markets) -> None:
        self.db = db
        self.markets = markets
        self.cache = shared_cache.shared(ForecastCache())  # Redis across workers when LYDIAN_REDIS_URL answers
        self._configs = Memo(CONFIG_TTL)
        self._versions = Memo(VERSIONS_TTL)
        self.loaded: set[tuple] = set()  # (market, model, version) this process has loaded

    def config(self, symbol: str, timeframe: str, horizon: int, peek: bool = False) -> dict[str, Any]:
        return self._configs.get((symbol, timeframe, horizon),
                                 lambda: configs.current(self.db, symbol, timeframe, horizon), peek)

    def forget_configs(self) -> None:
        self._configs.clear()

    def forget_versions(self) -> None:
        """Read the stored versions afresh: a job has just trained one (see `core.api.autotrain`)."""
        self._versions.clear()

    def _stored(self, key: Key, model: str, peek: bool) -> tuple[list[int], int | None]:
        """(versions, the one served by default) of a model on a market."""
        def read() -> tuple[list[int], int | None]:
            store = ModelStore()
            have = store.versions(key, model)
            return have, (store.resolve(key, model) if have else None)

        return self._versions.get((key, model), read, peek)

    def predict(self, symbol_text: str, timeframe: str, model: str, horizon: int, version: int | None = None,
                method: str | None = None, calibration: str | None = None, peek: bool = False) -> dict[str, Any]:
        """The forecast for the bar after the last candle, as `PredictionOut` fields."""
        symbol = self.markets.check(symbol_text, timeframe, peek)
        key = Key(symbol, timeframe, horizon)
        if model == ENSEMBLE:
            if version is not None:
                raise ApiError(422, "validation_error", "version picks one model's version; the ensemble serves "
                               "the newest version trained with the configured members")
            return self._ensemble(key, method, calibration, peek)
        registry.spec(model)  # unknown ids: 404 with the list of known ones
        have, default = self._stored(key, model, peek)
        if not have:
            raise NotTrained(symbol, timeframe, horizon, model, f"no trained {model} for {symbol} {timeframe} horizon "
                             f"{horizon}; train it with POST /api/ai/models/{model}/train")
        if version is not None and version not in have:
            raise ApiError(404, "unknown_version", f"{model} has no version {version} for {symbol} {timeframe} "
                           f"horizon {horizon}; versions: {', '.join(map(str, have))}")
        concrete = version or default
        candles = self.markets.candles(symbol, timeframe, peek)
        cache_key = (symbol, timeframe, horizon, model, concrete, candles.index[-1].value)

        def compute() -> dict[str, Any]:
            result = predict_latest(candles.iloc[-LIVE_BARS:], key, model, concrete, ModelStore())
            self.loaded.add((key, model, concrete))
            p = result["p_up"]
            return {**{k: result[k] for k in ("symbol", "timeframe", "horizon", "model", "version", "candle_time")},
                    "p_up": p, "expected_return": finite(result["expected_return"]) or 0.0,
                    "direction": "up" if p >= 0.5 else "down", "confidence": abs(2 * p - 1),
                    "valid_metrics": finite(result.get("valid_metrics") or {}), "signal": None,
                    "intervals": finite(result["intervals"]) if "intervals" in result else None,
                    "horizons": finite(result["horizons"]) if "horizons" in result else None}

        value, cached = self.cache.get(cache_key, compute, peek)
        return {**value, "cached": cached}

    def _ensemble(self, key: Key, method: str | None, calibration: str | None, peek: bool) -> dict[str, Any]:
        stored = self.config(key.symbol, key.timeframe, key.horizon, peek)
        changes = {k: v for k, v in (("method", method), ("calibration", calibration)) if v}
        config = dataclasses.replace(ensemble_configs.config_of(stored, key.horizon), **changes)
        have, default = self._stored(key, ENSEMBLE, peek)
        if not have:
            raise NotTrained(key.symbol, key.timeframe, key.horizon, ENSEMBLE, f"no trained ensemble for {key.symbol} "
                             f"{key.timeframe} horizon {key.horizon}; train it with POST /api/ai/models/ensemble/train")
        candles = self.markets.candles(key.symbol, key.timeframe, peek)
        cache_key = (key.symbol, key.timeframe, key.horizon, ENSEMBLE, tuple(have), config.digest(), stored["sl_atr"],
                     stored["tp_atr"], stored["volatility"], candles.index[-1].value)

        def compute() -> dict[str, Any]:
            signal = service.signal(candles, key, config, ensemble_configs.settings_of(stored), ModelStore())
            self.loaded.add((key, ENSEMBLE, default))
            body = finite(signal.to_dict())
            p = body["probability"]
            return {"symbol": key.symbol, "timeframe": key.timeframe, "horizon": key.horizon, "model": ENSEMBLE,
                    "version": signal.version, "candle_time": body["candle_time"], "p_up": p,
                    "expected_return": body["expected_return"] or 0.0, "direction": "up" if p >= 0.5 else "down",
                    "confidence": body["confidence"], "signal": body, "valid_metrics": None}

        try:
            value, cached = self.cache.get(cache_key, compute, peek)
        except NotTrainedError as exc:  # trained, but not with these members
            raise NotTrained(key.symbol, key.timeframe, key.horizon, ENSEMBLE, str(exc)) from None
        return {**value, "cached": cached}
