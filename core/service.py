"""The one service every face calls: the dashboard, the `lydian` command and the REST API.

Each face adds only its own caching, validation and rendering; what a forecast, a signal, a
record or a training run *is* is decided here, once:
- one live window rule (`LIVE_BARS` recent candles) for every forecast;
- one model cache per process (`core.models.inference.loaded_model`);
- the ensemble's configuration per market from one store (`core.ensemble_configs`, the API's database);
- the record beside a signal looked up by the signal's configuration digest, so it is the record
  of exactly that configuration, or none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pandas as pd

from core import forecasters
from core.db import Database
from core.distributed.backend import Backend
from core.backtest.leaderboard import Leaderboard, evaluation_for, leaderboard
from core.ensemble import ENSEMBLE, EnsembleConfig, Signal, SignalSettings, ensemble_signal, ensemble_signals
from core.ensemble.live import LIVE_BARS
from core.models.base import Model
from core.models.inference import loaded_model, predict_latest
from core.models.store import Key, ModelStore
from core.models.training import TrainReport, train_models
from core.patterns.report import MIN_EVENTS, PatternReport, pattern_report

Progress = Callable[[dict[str, Any]], None]
EVALUATION_REFIT_EVERY = 500  # refits of a quick evaluation: weekly refits of an ensemble over 4,000 bars take minutes


def ensemble_config(key: Key, db: Database | None = None, **changes: Any) -> EnsembleConfig:
    """The ensemble configuration in force for a market (the stored one, else the defaults), with ``changes``.

    ``db``: the database the configurations live in (default: `core.db.default_url`; the API passes its own).
    """
    from core import ensemble_configs

    stored = ensemble_configs.current(key.symbol, key.timeframe, key.horizon, db)
    return dataclasses.replace(stored, horizon=key.horizon, **changes)


def signal_settings(key: Key, db: Database | None = None) -> SignalSettings:
    """Stop-loss and take-profit distances stored with the market's configuration."""
    from core import ensemble_configs

    return ensemble_configs.signal_settings(key.symbol, key.timeframe, key.horizon, db)


def evaluation(key: Key, model: str, config: EnsembleConfig | None = None) -> dict[str, Any] | None:
    """The walk-forward record of exactly this forecaster configuration on this market, or None."""
    digest = config.digest() if config is not None else None
    return evaluation_for(key.symbol, key.timeframe, key.horizon, model, digest)


def signal(candles: pd.DataFrame, key: Key, config: EnsembleConfig | None = None,
           settings: SignalSettings | None = None, store: ModelStore | None = None) -> Signal:
    """The BUY/SELL/HOLD signal of the stored ensemble with ``config`` (default: the market's), with its record."""
    config = dataclasses.replace(config, horizon=key.horizon) if config else ensemble_config(key)
    return ensemble_signal(candles, key, config=config, settings=settings or signal_settings(key),
                           evaluation=evaluation(key, ENSEMBLE, config), store=store)


def signals(markets: list[tuple[pd.DataFrame, Key]], config: EnsembleConfig | None = None,
            store: ModelStore | None = None) -> list[Signal]:
    """`signal` for many markets with one configuration (features built side by side)."""
    chosen = config or EnsembleConfig()
    records = [evaluation(key, ENSEMBLE, dataclasses.replace(chosen, horizon=key.horizon)) for _, key in markets]
    return ensemble_signals(markets, config=chosen, evaluations=records, store=store)


def forecast(candles: pd.DataFrame, key: Key, model: str, version: int | str | None = None,
             store: ModelStore | None = None) -> dict[str, Any]:
    """P(up) and expected return of one stored single model for the bar after the last candle."""
    return predict_latest(candles.iloc[-LIVE_BARS:], key, model, version, store)


def model(key: Key, model_id: str, version: int | str | None = None, store: ModelStore | None = None) -> Model:
    """A stored model from the process's one model cache (shared: never mutate it)."""
    return loaded_model(key, model_id, version, store)


def versions(key: Key, model_id: str, store: ModelStore | None = None) -> list[dict[str, Any]]:
    """Every stored version's verified meta, oldest first, each flagged ``promoted`` or not."""
    store = store or ModelStore()
    promoted = store.promoted(key, model_id)
    return [{**store.meta(key, model_id, v), "promoted": v == promoted} for v in store.versions(key, model_id)]


def explain(candles: pd.DataFrame, key: Key, model_id: str, version: int | str | None = None, *,
            at: str | pd.Timestamp | None = None, kind: str = "shap", store: ModelStore | None = None) -> Any:
    """What drove a stored model's forecast at bar ``at`` (default: the latest).

    ``kind``: "shap" (exact or sampled SHAP, by the model's capability tags), "lime" (a local surrogate)
    or "global" (mean |SHAP| over the last 60 bars). A model never trained raises `ModelFileError`
    naming the command that trains it.
    """
    from core.explain import explain as shap, global_importance, lime_explain

    fitted = model(key, model_id, version, store)
    if kind == "global":
        return global_importance(fitted, candles, rows=60)
    if kind == "lime":
        return lime_explain(fitted, candles, at)
    if kind != "shap":
        raise ValueError(f"unknown explanation {kind!r}; choose shap, lime or global")
    return shap(fitted, candles, at)


def patterns(candles: pd.DataFrame, *, last: int = 20, threshold: float = 0.03,
             min_events: int = MIN_EVENTS) -> PatternReport:
    """Candlestick and chart patterns, each measured against the base rate of any bar."""
    return pattern_report(candles, last=last, threshold=threshold, min_events=min_events)


def learned_patterns(candles: pd.DataFrame, **config: float) -> dict[str, Any]:
    """The learned detectors trained on the rules' labels of the early bars and scored against the rules on the later ones."""
    from core.patterns.learned import LearnConfig, learn  # imports torch: only when asked

    return learn(candles, LearnConfig(**config))


def train(candles: pd.DataFrame, key: Key, model_ids: list[str], *, source: str, epochs: int | None = None,
          config: EnsembleConfig | None = None, progress: Progress | None = None, seed: int = 0,
          device: str | None = None, store: ModelStore | None = None,
          backend: Backend | None = None) -> list[TrainReport]:
    """Train and store models; ``epochs`` caps the nets' epochs; the ensemble is trained with ``config``."""
    return train_models(candles, key, model_ids, source=source, seed=seed, device=device, store=store,
                        progress=progress, overrides=_overrides(key, model_ids, config, epochs), backend=backend)


def evaluate(candles: pd.DataFrame, key: Key, model_ids: list[str], *, config: EnsembleConfig | None = None,
             epochs: int | None = None, progress: Progress | None = None, **settings: Any) -> Leaderboard:
    """Walk models forward beside the baselines; ``"ensemble"`` is walked with ``config`` (the market's by default)."""
    return leaderboard(model_ids, candles, key.horizon, timeframe=key.timeframe, symbol=key.symbol,
                       progress=progress, overrides=_overrides(key, model_ids, config, epochs), **settings)


def _overrides(key: Key, model_ids: list[str], config: EnsembleConfig | None,
               epochs: int | None) -> dict[str, dict[str, Any]]:
    """Registry overrides: the epoch cap for every model with epochs (ensemble members too), the ensemble's configuration."""
    overrides = {m: epoch_cap(m, epochs) for m in model_ids if m != ENSEMBLE}
    if ENSEMBLE in model_ids:
        chosen = config or ensemble_config(key)
        members = {m: {**chosen.member_overrides.get(m, {}), **epoch_cap(m, epochs)} for m in chosen.members}
        settings = dataclasses.replace(chosen, member_overrides={m: o for m, o in members.items() if o}).to_dict()
        overrides[ENSEMBLE] = {k: v for k, v in settings.items() if k != "horizon"}  # the market's horizon is used
    return overrides


def epoch_cap(model_id: str, epochs: int | None) -> dict[str, Any]:
    """At most ``epochs`` epochs for a model that trains in epochs; nothing for the others."""
    if epochs is None or "max_epochs" not in forecasters.spec(model_id).defaults.to_dict():
        return {}
    return {"max_epochs": int(epochs)}
