"""Cached bridges from the Models, Compare, Patterns and Train pages to `core` (models, backtests, patterns).

Loaded models go through ``st.cache_resource`` (one shared object, never mutated); frames through
``st.cache_data``. Cache keys carry the model store's root and the version's ``meta_checksum``, so a
version that was deleted and re-trained under the same number is never served from memory.
Listings of the model store and of stored leaderboards are read fresh on every run: they change
whenever a page trains, promotes, deletes or runs a walk-forward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

import loaders
from core.data import normalize_symbol
from core.models.store import Key, ModelStore

if TYPE_CHECKING:  # the heavy parts (torch, boosters, sklearn, TA-Lib) load on a page's first call
    from core.backtest.leaderboard import Leaderboard
    from core.models.base import Model, Progress
    from core.models.training import TrainReport
    from core.patterns.events import ChartPattern

FEATURE_PAD = 1000  # extra bars before the shown ones: the feature warm-up (199 on 1h) and indicator memory
QUICK = ("lightgbm", "xgboost")  # the Compare page's default: a 4,000-bar walk-forward in 15-20 s (16 s measured on 2 cores)


def boosters() -> list[str]:
    from core.models import registry

    return [m for m, spec in registry.registry().items() if spec.family == "boosting"]


def key(symbol: str, timeframe: str, horizon: int) -> Key:
    return Key(normalize_symbol(symbol), timeframe, int(horizon))


# ---- model store
def versions(symbol: str, timeframe: str) -> pd.DataFrame:
    """Every stored version for one market (all horizons), newest first, with a ``promoted`` flag."""
    store = ModelStore()
    symbol = normalize_symbol(symbol)
    rows = [r for r in store.catalog() if r["symbol"] == symbol and r["timeframe"] == timeframe]
    columns = ["model_id", "horizon", "version", "promoted", "created", "n_parameters", "fit_seconds",
               "valid_accuracy", "valid_log_loss", "valid_n"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    metrics = frame.pop("valid_metrics").apply(lambda m: m if isinstance(m, dict) else {})
    frame["valid_accuracy"] = metrics.apply(lambda m: m.get("accuracy"))
    frame["valid_log_loss"] = metrics.apply(lambda m: m.get("log_loss"))
    frame["valid_n"] = metrics.apply(lambda m: m.get("n"))
    frame["promoted"] = [
        store.promoted(key(symbol, timeframe, h), m) == v
        for m, h, v in zip(frame["model_id"], frame["horizon"], frame["version"], strict=True)
    ]
    return frame[columns].sort_values(["created", "model_id", "version"], ascending=False, ignore_index=True)


def default_version(k: Key, model_id: str) -> int:
    """The version forecasts use when none is named: the promoted one, else the newest."""
    return ModelStore().resolve(k, model_id)


def meta(k: Key, model_id: str, version: int | None = None) -> dict[str, Any]:
    """Verified meta.json of one version (None: the promoted one, else the newest)."""
    return ModelStore().meta(k, model_id, version)


def promote(k: Key, model_id: str, version: int) -> None:
    ModelStore().promote(k, model_id, version)


def delete(k: Key, model_id: str, version: int) -> None:
    ModelStore().delete(k, model_id, version)


def model(k: Key, info: dict[str, Any]) -> Model:
    """The fitted model behind a verified ``meta``, from core's one model cache (shared: never mutate it)."""
    from core import service

    return service.model(k, info["model_id"], info["version"])


@st.cache_data(ttl=3600, max_entries=64, show_spinner="Forecasting the recent bars…")
def recent_forecasts(symbol: str, timeframe: str, horizon: int, model_id: str, version: int, checksum: str,
                     bars: int) -> pd.DataFrame:
    """P(up) of one stored model on the last ``bars`` bars, beside the move that followed each bar."""
    from core.features import build_features, targets

    k = key(symbol, timeframe, horizon)
    fitted = model(k, {"model_id": model_id, "version": version, "meta_checksum": checksum})
    candles = loaders.candles(symbol, timeframe).tail(bars + fitted.context_rows + FEATURE_PAD)
    forecast = fitted.predict(build_features(candles)).tail(bars)
    realised = targets(candles, horizon).loc[forecast.index, ["future_return", "direction"]]
    return forecast[["p_up"]].join(realised)


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Reading the attention weights…")
def attention(symbol: str, timeframe: str, horizon: int, model_id: str, version: int, checksum: str) -> dict:
    """Attention over the look-back window at the latest bar (an ExplainError for nets without attention)."""
    from core.explain import attention as explain_attention

    k = key(symbol, timeframe, horizon)
    fitted = model(k, {"model_id": model_id, "version": version, "meta_checksum": checksum})
    candles = loaders.candles(symbol, timeframe).tail(fitted.context_rows + FEATURE_PAD)
    return explain_attention(fitted, candles).to_dict()


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Explaining the latest forecast…")
def explanation(symbol: str, timeframe: str, horizon: int, model_id: str, version: int, checksum: str,
                kind: str) -> dict:
    """``kind`` "shap" (of the latest forecast), "global" (mean |SHAP| over recent bars) or "lime" (core.service)."""
    from core import service

    k = key(symbol, timeframe, horizon)
    candles = loaders.candles(symbol, timeframe)
    if kind != "global":
        candles = candles.tail(model(k, {"model_id": model_id, "version": version}).context_rows + FEATURE_PAD)
    return service.explain(candles, k, model_id, version, kind=kind).to_dict()


def train(symbol: str, timeframe: str, horizon: int, model_ids: list[str], bars: int, epochs: int,
          progress: Progress) -> list[TrainReport]:
    """Train on the last ``bars`` bars; ``epochs`` caps the nets (boosters stop on their own)."""
    from core.models import registry
    from core.models.training import train_models

    candles = loaders.candles(symbol, timeframe).tail(bars)
    overrides = {m: {"max_epochs": epochs} for m in model_ids if registry.spec(m).sequence}
    return train_models(candles, key(symbol, timeframe, horizon), model_ids, source="bundled",
                        progress=progress, overrides=overrides)


# ---- walk-forward leaderboards
def boards(symbol: str, timeframe: str) -> list[dict[str, Any]]:
    """Stored leaderboards of one market, newest first."""
    from core.backtest.leaderboard import stored_leaderboards

    symbol = normalize_symbol(symbol)
    return [b for b in stored_leaderboards()
            if b["context"].get("symbol") == symbol and b["context"].get("timeframe") == timeframe]


def walk_forward(symbol: str, timeframe: str, model_ids: list[str], horizon: int, bars: int, refit_every: int,
                 fee: float, progress: Progress) -> Leaderboard:
    """Every chosen model and the baselines walked forward on the last ``bars`` bars (stored on disk)."""
    from core.backtest.leaderboard import leaderboard

    candles = loaders.candles(symbol, timeframe).tail(bars)
    return leaderboard(model_ids, candles, horizon, timeframe=timeframe, symbol=normalize_symbol(symbol),
                       cache=True, progress=progress, refit_every=refit_every, fee=fee)


def rerun(context: dict[str, Any], progress: Progress) -> Leaderboard:
    """A stored board again, on the very same candles and settings: instant when its backtests are cached."""
    from core.fingerprint import data_fingerprint
    from core.backtest.leaderboard import leaderboard
    from core.errors import DataError

    data = context["data"]
    candles = loaders.candles(context["symbol"], context["timeframe"]).loc[data["first"]:data["last"]]
    if data_fingerprint(candles) != data:
        raise DataError("the candles of this board have changed since it was made; run a new walk-forward")
    settings = {k: v for k, v in context["settings"].items() if k != "horizon"}
    return leaderboard(context["models"], candles, context["horizon"], timeframe=context["timeframe"],
                       symbol=context["symbol"], cache=True, progress=progress, **settings)


# ---- patterns
@st.cache_data(ttl=3600, max_entries=16, show_spinner="Finding candlestick patterns…")
def candle_events(symbol: str, timeframe: str) -> pd.DataFrame:
    from core.patterns import candlestick_events

    return candlestick_events(loaders.candles(symbol, timeframe))


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Finding chart patterns…")
def chart_events(symbol: str, timeframe: str, threshold: float) -> list[ChartPattern]:
    from core.patterns import chart_patterns

    return chart_patterns(loaders.candles(symbol, timeframe), threshold=threshold)


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Measuring what followed each pattern…")
def pattern_table(symbol: str, timeframe: str, threshold: float) -> pd.DataFrame:
    """Forward-return statistics of every candlestick and chart pattern over the whole series."""
    from core.patterns import pattern_stats
    from core.patterns.report import HORIZONS

    candles = loaders.candles(symbol, timeframe)
    parts = [pattern_stats(candles, events, HORIZONS)
             for events in (candle_events(symbol, timeframe), chart_events(symbol, timeframe, threshold))]
    return pd.concat(parts, ignore_index=True)
