"""Cached bridges from the Forecast page to `core`: the ensemble signal, first-visit training, evaluation.

The signal is cached per (market, member versions, last candle, method) as plain JSON-ready data;
the loaded members themselves live in core's one model cache, shared with the CLI and the API.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from core.ensemble import DEFAULT_MEMBERS
from core.models.store import Key, ModelStore

FAST_MODELS = DEFAULT_MEMBERS  # trained on first visit and by the page's button: the boosters, trained in seconds
HORIZONS = (1, 4, 24)  # bars ahead offered on the Forecast and Ensemble pages (core names no forecast horizons)
FIRST_VISIT_BARS = 17_520  # two years of hourly bars: enough to train the boosters in well under a minute
EVALUATION_BARS = 4_000


def first_visit_training() -> bool:
    """Train the fast models unasked on the default market's first visit (``LYDIAN_FIRST_VISIT_TRAINING=0``: don't)."""
    return os.environ.get("LYDIAN_FIRST_VISIT_TRAINING", "1") != "0"


def member_versions(key: Key) -> tuple[tuple[str, int], ...]:
    """(model, latest version) for every trained model of this market; read fresh on every run."""
    from core.ensemble import trained_members

    store = ModelStore()
    return tuple((m, store.resolve(key, m)) for m in trained_members(key, store))


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Combining the trained models…")
def signal(_candles: pd.DataFrame, key: Key, versions: tuple, last_candle: str, method: str,
           calibration: str, min_confidence: float) -> dict[str, Any]:
    from core.ensemble import SignalSettings, ensemble_signal

    settings = SignalSettings(min_confidence=min_confidence)
    return ensemble_signal(_candles, key, method=method, calibration=calibration, settings=settings).to_dict()


def train_fast(candles: pd.DataFrame, key: Key, progress: Callable[[dict[str, Any]], None]) -> None:
    """Train the three boosters on the recent bars, the quick way to a first real forecast."""
    from core.models.training import train_models

    recent = candles.iloc[-FIRST_VISIT_BARS:]
    train_models(recent, key, list(FAST_MODELS), source=candles.attrs.get("source", "bundled"), progress=progress)
    signal.clear()


def evaluated_models(members: list[str]) -> list[str]:
    """What "Evaluate now" walks forward: the fast members (all three when none is trained), then the ensemble."""
    return [*([m for m in members if m in FAST_MODELS] or FAST_MODELS), "ensemble"]


def evaluate(candles: pd.DataFrame, key: Key, members: list[str], progress: Callable[[dict[str, Any]], None]) -> None:
    """Walk the ensemble (of these members) and its members forward on the recent bars; stored for next time."""
    from core.backtest.leaderboard import leaderboard

    fast = evaluated_models(members)[:-1]
    leaderboard([*fast, "ensemble"], candles.iloc[-EVALUATION_BARS:], key.horizon, timeframe=key.timeframe,
                symbol=key.symbol, progress=progress, refit_every=500, overrides={"ensemble": {"members": fast}})
    signal.clear()


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def recent_patterns(_candles: pd.DataFrame, symbol: str, timeframe: str, last_candle: str, bars: int) -> list[dict]:
    """Confirmed chart patterns that lie wholly within the shown bars, as JSON-ready dicts."""
    from core.patterns import chart_patterns

    shown = _candles.iloc[-bars:]
    events = chart_patterns(_candles.iloc[-(bars + 500):])
    return [e.to_dict() for e in events if e.confirmed and e.start >= shown.index[0]]


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def signal_figure(_shown: pd.DataFrame, title: str, last_candle: str, bars: int, signal: dict[str, Any] | None,
                  patterns: list[dict]) -> str:
    """The candles with the signal's levels and the patterns, as chart JSON: building it costs 50-100 ms."""
    import figures_signal
    from chart_frame import figure_json

    return figure_json(figures_signal.signal_chart(_shown, signal, patterns, title))


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def member_figure(signal: dict[str, Any]) -> str:
    """Each member's P(up) as chart JSON."""
    import figures_signal
    from chart_frame import figure_json

    return figure_json(figures_signal.member_bars(signal))


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Fitting the ensemble…")
def ensemble_view(_candles: pd.DataFrame, key: Key, versions: tuple, last_candle: str, method: str, calibration: str,
                  user_weights: tuple[tuple[str, float], ...]) -> dict[str, Any]:
    """The signal plus how the ensemble was fitted: weights, calibration error and reliability before and after."""
    from core.ensemble import ensemble_signal
    from core.ensemble.live import fitted_ensemble
    from core.models.inference import loaded_model

    weights = dict(user_weights) or None
    signal = ensemble_signal(_candles, key, method=method, calibration=calibration, user_weights=weights)
    models = {m: loaded_model(key, m) for m, _ in versions}
    fitted = fitted_ensemble(models, _candles, key, method, calibration, weights)
    return {"signal": signal.to_dict(), "fit_rows": fitted.fit_rows, "ece_before": fitted.ece_before,
            "ece_after": fitted.ece_after, "reliability_before": fitted.reliability_before.reset_index().to_dict("list"),
            "reliability_after": fitted.reliability_after.reset_index().to_dict("list")}
