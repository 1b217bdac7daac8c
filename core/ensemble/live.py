"""The latest ensemble signal from a stored, trained ensemble: what the service (and so every face) calls.

The ensemble is trained and stored like any model (`EnsembleModel`, one versioned artifact with
its members). A signal loads the newest stored version whose members match the requested
configuration, once per process (`core.models.inference`); a different combination (method,
calibration, user weights) is re-fitted from that version's held-out forecasts, exactly as a
full fit would, and kept in memory. A warm signal costs one feature computation over the recent
bars (cached per set of candles) and one forward pass per member.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from typing import Any

import numpy as np
import pandas as pd

from core.data.validate import COLUMNS as CANDLE_COLUMNS
from core.ensemble.model import COMBINATION, ENSEMBLE, EnsembleConfig, EnsembleModel, member_predictions
from core.ensemble.signal import Signal, SignalSettings, make_signal
from core.errors import LydianError
from core.features import build_features
from core.features.pool import build_features_many
from core.models.inference import loaded_model
from core.models.store import Key, ModelStore

LIVE_BARS = 1_000  # recent candles the live features are computed from: the latest rows then match full-history features to within 2e-4 of a standard deviation (tests/test_features.py)

_lock = threading.Lock()
_combined: dict[tuple, EnsembleModel] = {}
_features: dict[tuple, pd.DataFrame] = {}
FEATURE_CACHE = 256  # sets of recent features kept: a batch of 100 markets, twice over


class NotTrainedError(LydianError):
    """No stored ensemble has the requested members: it must be trained first."""


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


def stored_version(key: Key, config: EnsembleConfig, store: ModelStore) -> int | None:
    """The newest stored ensemble version trained with ``config``'s members (any combination), or None.

    A configuration that sets no member settings (what a market's stored configuration holds: the
    member names) accepts the members trained with any settings; one that sets them wants exactly those.
    """
    wanted = config.members_digest()
    for version in reversed(store.versions(key, ENSEMBLE)):
        try:
            saved = EnsembleConfig().with_overrides(store.config(key, ENSEMBLE, version))
        except LydianError:
            continue  # an altered or foreign version is never served; `lydian models versions` shows it
        same_members = saved.members == config.members and saved.holdout == config.holdout
        if saved.members_digest() == wanted or (same_members and not config.member_overrides):
            return version
    return None


def trained_ensemble(key: Key, config: EnsembleConfig, store: ModelStore | None = None) -> EnsembleModel:
    """The stored ensemble with exactly ``config``: loaded once, its combination re-fitted when it differs."""
    return _served(key, config, store or ModelStore())[1]


def _served(key: Key, config: EnsembleConfig, store: ModelStore) -> tuple[int, EnsembleModel]:
    """`trained_ensemble` with the version it came from (a signal names it)."""
    version = stored_version(key, config, store)
    if version is None:
        raise NotTrainedError(
            f"no trained ensemble of {', '.join(config.members)} for {key.symbol} {key.timeframe} horizon "
            f"{key.horizon}; train it first (lydian train --symbol {key.symbol} --timeframe {key.timeframe} "
            f"--models ensemble)"
        )
    model: EnsembleModel = loaded_model(key, ENSEMBLE, version, store)
    if model.config == config:
        return version, model
    cache_key = (store.root, key, version, store.identity(key, ENSEMBLE, version), config.digest())
    with _lock:
        if cache_key not in _combined:
            _combined[cache_key] = model.with_combination(**{k: getattr(config, k) for k in COMBINATION})
        return version, _combined[cache_key]


def ensemble_signal(
    candles: pd.DataFrame, key: Key, *, config: EnsembleConfig | None = None,
    settings: SignalSettings = SignalSettings(), evaluation: dict[str, Any] | None = None,
    store: ModelStore | None = None,
) -> Signal:
    """The BUY/SELL/HOLD signal for the bar after the last candle, with its honest context.

    ``evaluation`` is the walk-forward record of exactly this configuration (`EnsembleConfig.digest`),
    looked up by the caller (`core.service`), or None. The configuration's ``min_confidence`` decides HOLD.
    """
    version, model = _served(key, _for(config, key), store or ModelStore())
    features = recent_features(candles, model.context_rows + 1)
    return _signal(candles, key, version, model, features, settings, evaluation)


def ensemble_signals(
    markets: list[tuple[pd.DataFrame, Key]], *, config: EnsembleConfig | None = None,
    settings: SignalSettings = SignalSettings(), evaluations: list[dict[str, Any] | None] | None = None,
    store: ModelStore | None = None,
) -> list[Signal]:
    """`ensemble_signal` for many (candles, market) pairs, with the same configuration for each.

    The recent features not yet cached are built by worker processes (`build_features_many`)
    while this process turns the ones already built into signals.
    """
    store = store or ModelStore()
    served = [_served(key, _for(config, key), store) for _, key in markets]
    rows = [model.context_rows + 1 for _, model in served]
    stamps = [_stamp(candles, n) for (candles, _), n in zip(markets, rows)]
    with _lock:
        todo = [i for i, stamp in enumerate(stamps) if stamp not in _features]
    built = build_features_many([markets[i][0].iloc[-LIVE_BARS:] for i in todo], [rows[i] for i in todo])
    waiting, signals = set(todo), []
    for i, ((candles, key), (version, model)) in enumerate(zip(markets, served)):
        with _lock:
            if i in waiting:  # built in the order asked for: the next one is this market's
                _remember(stamps[i], next(built))
            features = _features.get(stamps[i])
        if features is None:  # dropped from the cache meanwhile: a batch larger than `FEATURE_CACHE`
            features = recent_features(candles, rows[i])
        evaluation = evaluations[i] if evaluations else None
        signals.append(_signal(candles, key, version, model, features, settings, evaluation))
    return signals


def _for(config: EnsembleConfig | None, key: Key) -> EnsembleConfig:
    """The configuration for this market's horizon (the purge between early stopping and held-out rows)."""
    return dataclasses.replace(config or EnsembleConfig(), horizon=key.horizon)


def _signal(candles: pd.DataFrame, key: Key, version: int, model: EnsembleModel, features: pd.DataFrame,
            settings: SignalSettings, evaluation: dict[str, Any] | None) -> Signal:
    p_up, returns = member_predictions(model.members_, features)
    latest_p, latest_r = p_up.iloc[-1].to_numpy(), returns.iloc[-1].to_numpy()
    if not np.isfinite(latest_p).all():
        raise LydianError("not enough recent candles for every member's look-back window")
    combiner, config = model.combiner_, model.config
    raw = float(combiner.combine(latest_p[None, :])[0])
    note = "" if evaluation else (f"this configuration is not evaluated yet: run 'lydian backtest --symbol "
                                  f"{key.symbol} --timeframe {key.timeframe} --models ensemble' (same method, "
                                  "calibration and members) for its walk-forward accuracy")
    return make_signal(
        candles, symbol=key.symbol, timeframe=key.timeframe, horizon=key.horizon,
        probability=float(model.calibrator_.transform(np.array([raw]))[0]), raw_probability=raw,
        expected_return=float(latest_r @ combiner.weights_), member_p=dict(zip(model.members_, map(float, latest_p))),
        weights=combiner.weights(), pulls=combiner.contributions(latest_p), method=config.method,
        calibration=config.calibration, settings=dataclasses.replace(settings, min_confidence=config.min_confidence),
        evaluation=evaluation, note=note, config_digest=config.digest(), version=version,
    )
