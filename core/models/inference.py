"""Forecasts from stored models, loaded once per (market, model, version) and shared.

The dashboard (through ``st.cache_resource``) and the API call `loaded_model`, so both reuse
the same in-memory objects. A version is resolved before the cache lookup, so a newly trained
or promoted version is picked up without a restart.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from core.data.timeframes import time_horizon
from core.models import capabilities as cap
from core.models.base import Model
from core.features import build_features
from core.models.store import Key, ModelStore

_lock = threading.Lock()


@lru_cache(maxsize=128)
def _load(root: Path, key: Key, model_id: str, version: int, checksum: str) -> Model:
    return ModelStore(root).load(key, model_id, version)


def loaded_model(key: Key, model_id: str, version: int | str | None = None, store: ModelStore | None = None) -> Model:
    """The fitted model, from memory when this very version was loaded before.

    The key holds the version's meta checksum: a number reused after a delete and retrain is a new model.
    """
    store = store or ModelStore()
    concrete = store.resolve(key, model_id, version)
    checksum = store.identity(key, model_id, concrete)
    with _lock:
        return _load(store.root, key, model_id, concrete, checksum)


def predict_latest(
    candles: pd.DataFrame, key: Key, model_id: str, version: int | str | None = None, store: ModelStore | None = None
) -> dict[str, Any]:
    """P(up) and expected return for the bar after the last candle, with what it was based on; a probabilistic
    model adds ``intervals``: its 80 % and 95 % intervals of the h-bar return (lo_80, hi_80, lo_95, hi_95); a
    multi-horizon model adds ``horizons``: P(up) and expected return per horizon it forecasts ("1h", "4h", "1d")."""
    model = loaded_model(key, model_id, version, store)
    features = build_features(candles).iloc[-(model.context_rows + 1):]
    probabilistic = cap.PROBABILISTIC in model.tags
    row = (model.predict_with_intervals(features) if probabilistic else model.predict(features)).iloc[-1]
    intervals = {"intervals": {k: float(row[k]) for k in cap.INTERVALS}} if probabilistic else {}
    horizons = {"horizons": _horizons(model, features, key)} if cap.MULTI_HORIZON in model.tags else {}
    return {
        "model": model_id,
        "version": model.meta_["version"],
        "symbol": key.symbol,
        "timeframe": key.timeframe,
        "horizon": key.horizon,
        "candle_time": features.index[-1].isoformat(),
        "p_up": float(row["p_up"]),
        "expected_return": float(row["expected_return"]),
        "valid_metrics": model.meta_.get("valid_metrics", {}),
        **intervals,
        **horizons,
    }


def _horizons(model: Model, features: pd.DataFrame, key: Key) -> dict[str, dict[str, Any]]:
    """A multi-horizon model's latest forecast per horizon, named in wall-clock words ("1h", "4h", "1d")."""
    row = model.predict_horizons(features).iloc[-1]
    bars = [int(name.rpartition("_")[2]) for name in row.index if name.startswith("p_up_")]
    return {time_horizon(b, key.timeframe): {"bars": b, "p_up": float(row[f"p_up_{b}"]),
                                             "expected_return": float(row[f"expected_return_{b}"])} for b in bars}
