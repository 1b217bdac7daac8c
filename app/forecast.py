"""Cached bridges from the Forecast and Ensemble pages to `core.service`: the signal, first-visit training, evaluation.

The signal is cached per (market, stored ensemble version, last candle, configuration digest) as plain
JSON-ready data; the loaded ensemble lives in core's one model cache, shared with the CLI and the API.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from core.defaults import RECENT_BARS
from core.ensemble import ENSEMBLE, EnsembleConfig
from core.models.store import Key, ModelStore
from core.service import EVALUATION_REFIT_EVERY

HORIZONS = (1, 4, 24)  # bars ahead offered on the Forecast and Ensemble pages (core names no forecast horizons)
FIRST_VISIT_BARS = RECENT_BARS  # two years of hourly bars: enough to train the boosters in well under a minute
EVALUATION_BARS = 4_000


def first_visit_training() -> bool:
    """Train the fast models unasked on the default market's first visit (``LYDIAN_FIRST_VISIT_TRAINING=0``: don't)."""
    return os.environ.get("LYDIAN_FIRST_VISIT_TRAINING", "1") != "0"


def ensemble_config(key: Key, method: str, calibration: str, min_confidence: float) -> EnsembleConfig:
    """The market's stored ensemble (members and weights) with the page's method, calibration and HOLD band."""
    from core import service

    return service.ensemble_config(key, method=method, calibration=calibration, min_confidence=min_confidence)


def stored_market_config(key: Key) -> EnsembleConfig:
    """What the page's controls start from: the configuration stored for this market (shared with CLI and API)."""
    from core import service

    return service.ensemble_config(key)


def trained_version(key: Key, config: EnsembleConfig) -> tuple[int, str] | None:
    """(version, its checksum) of the stored ensemble with these members; read fresh on every run."""
    from core.ensemble.live import stored_version

    store = ModelStore()
    version = stored_version(key, config, store)
    return None if version is None else (version, store.identity(key, ENSEMBLE, version))


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Combining the trained models…")
def signal(_candles: pd.DataFrame, key: Key, version: tuple, last_candle: str, config_digest: str,
           _config: EnsembleConfig, volatility: str) -> dict[str, Any]:
    """The signal of exactly this configuration with its own record (cached by the configuration's digest),
    its stop distances in units of ``volatility`` (ATR, or GARCH's next-bar forecast)."""
    import dataclasses

    from core import service

    settings = dataclasses.replace(service.signal_settings(key), volatility=volatility)
    return service.signal(_candles, key, _config, settings).to_dict()


def stored_volatility(key: Key) -> str:
    """The stop-distance unit stored for this market (shared with the CLI's --volatility and the API)."""
    from core import service

    return service.signal_settings(key).volatility


def train_fast(candles: pd.DataFrame, key: Key, config: EnsembleConfig, progress: Callable[[dict[str, Any]], None]) -> None:
    """Train the ensemble of the fast members on the recent bars, the quick way to a first real forecast."""
    from core import service

    recent = candles.iloc[-FIRST_VISIT_BARS:]
    service.train(recent, key, [ENSEMBLE], config=config, source=candles.attrs.get("source", "bundled"),
                  progress=progress)
    signal.clear()


def evaluated_models(config: EnsembleConfig) -> list[str]:
    """What "Evaluate now" walks forward: the ensemble's members beside it, then the ensemble itself."""
    return [*config.members, ENSEMBLE]


def evaluate(candles: pd.DataFrame, key: Key, config: EnsembleConfig, progress: Callable[[dict[str, Any]], None]) -> None:
    """Walk exactly this ensemble configuration (and its members) forward on the recent bars; stored for next time."""
    from core import service

    service.evaluate(candles.iloc[-EVALUATION_BARS:], key, evaluated_models(config), config=config,
                     progress=progress, refit_every=EVALUATION_REFIT_EVERY)
    signal.clear()


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def recent_patterns(_candles: pd.DataFrame, symbol: str, timeframe: str, last_candle: str, bars: int) -> list[dict]:
    """Confirmed chart patterns that lie wholly within the shown bars, as JSON-ready dicts."""
    from core.patterns import chart_patterns

    shown = _candles.iloc[-bars:]
    events = chart_patterns(_candles.iloc[-(bars + 500):])
    return [e.to_dict() for e in events if e.confirmed and e.start >= shown.index[0]]


def fan_models(key: Key) -> list[str]:
    """Trained models of this market that give intervals (capability ``probabilistic``): the fan chart's choices."""
    from core import forecasters
    from core.models import capabilities as cap

    store = ModelStore()
    return [m for m in forecasters.forecaster_ids(having=cap.PROBABILISTIC) if store.versions(key, m)]


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Forecasting…")
def fan(_candles: pd.DataFrame, key: Key, model_id: str, last_candle: str) -> dict[str, Any]:
    """The model's latest forecast with its 80 % and 95 % intervals (`core.service.forecast`)."""
    from core import service

    return service.forecast(_candles, key, model_id)


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def signal_figure(_shown: pd.DataFrame, title: str, last_candle: str, bars: int, signal: dict[str, Any] | None,
                  patterns: list[dict], fan: dict[str, Any] | None = None) -> str:
    """The candles with the signal's levels, patterns and a model's fan as chart JSON: building it costs 50-100 ms."""
    import figures_signal
    from chart_frame import figure_json

    return figure_json(figures_signal.signal_chart(_shown, signal, patterns, title, fan))


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def member_figure(signal: dict[str, Any]) -> str:
    """Each member's P(up) as chart JSON."""
    import figures_signal
    from chart_frame import figure_json

    return figure_json(figures_signal.member_bars(signal))


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Fitting the ensemble…")
def ensemble_view(_candles: pd.DataFrame, key: Key, version: tuple, last_candle: str, config_digest: str,
                  _config: EnsembleConfig) -> dict[str, Any]:
    """The signal plus how the ensemble was fitted: weights, calibration error and reliability before and after."""
    from core import service
    from core.ensemble import trained_ensemble

    signal = service.signal(_candles, key, _config)
    check = trained_ensemble(key, _config).calibration_check()
    return {"signal": signal.to_dict(), "check_rows": check.rows, "ece_before": check.ece_before,
            "ece_after": check.ece_after, "reliability_before": check.reliability_before.reset_index().to_dict("list"),
            "reliability_after": check.reliability_after.reset_index().to_dict("list")}
