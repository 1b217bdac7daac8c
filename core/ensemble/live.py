"""The latest ensemble signal from stored, trained members: what the CLI, the dashboard and the API call.

Members are loaded once (the shared model cache of `core.models.inference`). The combiner and
the calibrator are fitted on the members' forecasts over their untouched test window (the last
20 % of the data they were trained on, which training never saw), at most ``FIT_ROWS`` of its
earliest rows: the first two thirds fit them, the last third measures the calibration error.
The fit is kept in memory keyed by the member versions and that window, so a warm signal costs
one feature computation over the recent bars (cached per set of candles) and one forward pass
per member.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.backtest.leaderboard import evaluation_for
from core.ensemble.calibration import Calibrator, expected_calibration_error, reliability
from core.ensemble.combiners import Combiner, EnsembleError
from core.ensemble.model import member_predictions
from core.ensemble.signal import Signal, SignalSettings, make_signal
from core.data.validate import COLUMNS as CANDLE_COLUMNS
from core.errors import LydianError
from core.features import build_features
from core.features.pool import build_features_many
from core.models import registry
from core.models.inference import loaded_model
from core.models.store import Key, ModelStore

FIT_ROWS = 3_000  # latest test-window rows used to fit weights and calibration
LIVE_BARS = 1_000  # recent candles the live features are computed from: the latest rows then match full-history features to within 2e-4 of a standard deviation (tests/test_features.py)

_lock = threading.Lock()
_fitted: dict[tuple, "FittedEnsemble"] = {}
_features: dict[tuple, pd.DataFrame] = {}
FEATURE_CACHE = 256  # sets of recent features kept: a batch of 100 markets, twice over


@dataclass(frozen=True)
class FittedEnsemble:
    combiner: Combiner
    calibrator: Calibrator
    fit_rows: int
    ece_before: float  # expected calibration error on the held-out last third, before calibration
    ece_after: float
    reliability_before: pd.DataFrame  # reliability diagram on that third (see core.ensemble.reliability)
    reliability_after: pd.DataFrame


def _stamp(candles: pd.DataFrame, rows: int) -> tuple:
    """What identifies the recent features of a set of candles: the last `LIVE_BARS`, and the rows asked for."""
    tail = candles.iloc[-LIVE_BARS:]
    digest = hashlib.sha256()
    for column in CANDLE_COLUMNS:  # column by column: selecting the five as a frame copied them (0.3 ms)
        digest.update(np.ascontiguousarray(tail[column].to_numpy(dtype=np.float64)))
    return len(tail), str(tail.index[0]), str(tail.index[-1]), digest.hexdigest(), rows


def _remember(stamp: tuple, features: pd.DataFrame) -> None:
    if len(_features) >= FEATURE_CACHE:
        _features.pop(next(iter(_features)))
    _features[stamp] = features


def recent_features(candles: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The last ``rows`` feature rows of the last `LIVE_BARS` candles, computed once per set of candles."""
    stamp = _stamp(candles, rows)
    with _lock:
        if stamp not in _features:
            _remember(stamp, build_features(candles.iloc[-LIVE_BARS:], last=rows))
        return _features[stamp]


def trained_members(key: Key, store: ModelStore | None = None) -> list[str]:
    """Registered models with at least one stored version for this market, in registry order."""
    store = store or ModelStore()
    return [m for m in registry.model_ids() if store.versions(key, m)]


def _fit_window(models: dict[str, Any], candles: pd.DataFrame, key: Key) -> pd.DataFrame:
    """The candles the ensemble is fitted on: up to `FIT_ROWS` bars right after the members' training data.

    The earliest bars after training are used (not the latest), so the fit, and its cache entry,
    stay the same as new candles arrive; `LIVE_BARS` earlier bars come along for the indicators' warm-up.
    """
    test_from = max(pd.Timestamp(m.meta_["data"]["test_from"]) for m in models.values())
    first = int(candles.index.searchsorted(test_from))
    return candles.iloc[max(first - LIVE_BARS, 0) : first + FIT_ROWS + key.horizon]


def _fit(models: dict[str, Any], window: pd.DataFrame, key: Key, method: str, calibration: str,
         user_weights: dict[str, float] | None) -> FittedEnsemble:
    test_from = max(pd.Timestamp(m.meta_["data"]["test_from"]) for m in models.values())
    features = build_features(window)
    labelled = features.index[: max(len(features) - key.horizon, 0)]
    rows = labelled[labelled >= test_from][:FIT_ROWS]
    if len(rows) < 50:
        raise EnsembleError(
            f"only {len(rows)} bars after the members' training data to fit the ensemble on; "
            "retrain the members on an earlier range or load more recent candles"
        )
    context = max(m.context_rows for m in models.values())
    start = features.index.get_loc(rows[0]) - context
    p_up, _ = member_predictions(models, features.iloc[max(start, 0) : features.index.get_loc(rows[-1]) + 1])
    P = p_up.loc[rows].to_numpy()
    close = window["close"]
    y = (close.shift(-key.horizon) > close).astype(float).loc[rows].to_numpy()
    fit, check = slice(0, len(rows) * 2 // 3), slice(len(rows) * 2 // 3, None)  # ECE is judged on the last third
    combiner = Combiner(method, user_weights=user_weights).fit(P[fit], y[fit], list(models))
    raw = combiner.combine(P)
    calibrator = Calibrator(calibration).fit(raw[fit], y[fit])
    calibrated = calibrator.transform(raw[check])
    return FittedEnsemble(combiner, calibrator, len(rows), expected_calibration_error(raw[check], y[check]),
                          expected_calibration_error(calibrated, y[check]), reliability(raw[check], y[check]),
                          reliability(calibrated, y[check]))


def fitted_ensemble(models: dict[str, Any], candles: pd.DataFrame, key: Key, method: str = "weighted",
                    calibration: str = "platt", user_weights: dict[str, float] | None = None) -> FittedEnsemble:
    """The combiner and calibrator for these member versions, fitted once and then reused."""
    window = _fit_window(models, candles, key)
    versions = tuple(sorted((m, model.meta_["version"]) for m, model in models.items()))
    cache_key = (key, versions, method, calibration, tuple(sorted((user_weights or {}).items())),
                 str(window.index[0]) if len(window) else "", str(window.index[-1]) if len(window) else "", len(window))
    with _lock:
        if cache_key not in _fitted:
            _fitted[cache_key] = _fit(models, window, key, method, calibration, user_weights)
        return _fitted[cache_key]


def _members(key: Key, members: list[str] | None, store: ModelStore) -> dict[str, Any]:
    members = members or trained_members(key, store)
    if not members:
        raise LydianError(f"no trained models for {key.symbol} {key.timeframe} horizon {key.horizon}; train some first "
                          f"(lydian train --symbol {key.symbol} --timeframe {key.timeframe} --models boosting)")
    return {m: loaded_model(key, m, None, store) for m in members}


def _rows(models: dict[str, Any]) -> int:
    """Feature rows a live forecast needs: the forecast bar and the longest look-back before it."""
    return max(m.context_rows for m in models.values()) + 1


def ensemble_signal(
    candles: pd.DataFrame, key: Key, *, members: list[str] | None = None, method: str = "weighted",
    calibration: str = "platt", user_weights: dict[str, float] | None = None,
    settings: SignalSettings = SignalSettings(), store: ModelStore | None = None,
) -> Signal:
    """The BUY/SELL/HOLD signal for the bar after the last candle, with its honest context."""
    models = _members(key, members, store or ModelStore())
    features = recent_features(candles, _rows(models))
    return _signal(candles, key, models, features, method, calibration, user_weights, settings)


def ensemble_signals(
    markets: list[tuple[pd.DataFrame, Key]], *, members: list[str] | None = None, method: str = "weighted",
    calibration: str = "platt", user_weights: dict[str, float] | None = None,
    settings: SignalSettings = SignalSettings(), store: ModelStore | None = None,
) -> list[Signal]:
    """`ensemble_signal` for many (candles, market) pairs, with the same options for each.

    The recent features not yet cached are built by worker processes (`build_features_many`)
    while this process turns the ones already built into signals.
    """
    store = store or ModelStore()
    chosen = [_members(key, members, store) for _, key in markets]
    rows = [_rows(models) for models in chosen]
    stamps = [_stamp(candles, n) for (candles, _), n in zip(markets, rows)]
    with _lock:
        todo = [i for i, stamp in enumerate(stamps) if stamp not in _features]
    built = build_features_many([markets[i][0].iloc[-LIVE_BARS:] for i in todo], [rows[i] for i in todo])
    waiting, signals = set(todo), []
    for i, ((candles, key), models) in enumerate(zip(markets, chosen)):
        with _lock:
            if i in waiting:  # built in the order asked for: the next one is this market's
                _remember(stamps[i], next(built))
            features = _features.get(stamps[i])
        if features is None:  # dropped from the cache meanwhile: a batch larger than `FEATURE_CACHE`
            features = recent_features(candles, rows[i])
        signals.append(_signal(candles, key, models, features, method, calibration, user_weights, settings))
    return signals


def _signal(candles: pd.DataFrame, key: Key, models: dict[str, Any], features: pd.DataFrame, method: str,
            calibration: str, user_weights: dict[str, float] | None, settings: SignalSettings) -> Signal:
    members = list(models)
    fitted = fitted_ensemble(models, candles, key, method, calibration, user_weights)
    p_up, returns = member_predictions(models, features)
    latest_p, latest_r = p_up.iloc[-1].to_numpy(), returns.iloc[-1].to_numpy()
    if not np.isfinite(latest_p).all():
        raise LydianError("not enough recent candles for every member's look-back window")
    raw = float(fitted.combiner.combine(latest_p[None, :])[0])
    evaluation = evaluation_for(key.symbol, key.timeframe, key.horizon, "ensemble")
    note = "" if evaluation else (f"not evaluated yet: run 'lydian backtest --symbol {key.symbol} --timeframe "
                                  f"{key.timeframe} --models ensemble' for its walk-forward accuracy")
    return make_signal(
        candles, symbol=key.symbol, timeframe=key.timeframe, horizon=key.horizon,
        probability=float(fitted.calibrator.transform(np.array([raw]))[0]), raw_probability=raw,
        expected_return=float(latest_r @ fitted.combiner.weights_), member_p=dict(zip(members, map(float, latest_p))),
        weights=fitted.combiner.weights(), pulls=fitted.combiner.contributions(latest_p), method=method,
        calibration=calibration, settings=settings, evaluation=evaluation, note=note,
    )
