"""`walk_forward`: the one backtest API for every model and baseline.

Features are computed once for the whole series (they are causal, so a row never sees a later
bar); the model is then refit on an expanding or rolling window before every ``refit_every``
forecasts and predicts only rows it has not been trained on. Every figure in the result is
therefore out-of-sample, and each forecast uses nothing after its own bar: the leakage tests
alter the data after a bar and check that its forecast does not move.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core import forecasters
from core.backtest.cache import ResultsCache
from core.backtest.comparison import versus_baselines
from core.backtest.horizons import horizon_columns, horizon_scores
from core.backtest.metrics import (
    direction_scores, forecast_scores, realised_signals, return_scores, signal_scores, signals,
)
from core.backtest.progress import Progress, tqdm_bars
from core.backtest.strategy import STRATEGIES, net_returns, performance, periods_per_year, positions
from core.data.timeframes import check_timeframe, infer_timeframe
from core.errors import DataError
from core.fingerprint import code_version, data_fingerprint, digest
from core.models import capabilities as cap
from core.models.base import FoldRows
from core.models.dataset import Dataset, prepare
from core.splits import Fold, Start, check_horizon, walk_forward_folds

COLUMNS = ("p_up", "expected_return", "realised_return", "realised_direction", "hold_return")


class Forecaster(Protocol):
    """What a walk-forward needs: `core.models.Model` and the baselines both fit this."""

    context_rows: int

    def fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame,
            **kwargs: Any) -> Any: ...

    def predict(self, features: pd.DataFrame) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Settings:
    """Everything besides data and model that changes a result (and so is part of its cache key)."""

    horizon: int = 1
    start: Start = 0.5  # first forecast: a fraction of the labelled rows, a row number, or a time (UTC)
    step: int = 1  # forecast every step-th bar; positions are held step bars
    refit_every: int = 168  # forecasts between refits (168 = one week of hourly bars)
    window: str = "expanding"  # or "rolling" with train_size rows
    train_size: int | None = None
    valid_fraction: float = 0.2  # tail of each fit window used for early stopping
    fee: float = 0.001  # per side, as a fraction (0.1 %)
    slippage: float = 0.0  # per side, as a fraction, on top of the fee
    hold_band: float = 0.02  # P(up) within 0.5 +- band is HOLD for the BUY/SELL/HOLD scores
    seed: int = 0
    features: str = "all"  # or "topk" / "pca", fitted inside each training window (core.features.selection)
    top_k: int = 50  # columns (topk) or principal components (pca) kept
    regime_features: str = ""  # or detectors, e.g. "hmm,isolation_forest", fitted per training window (core.regimes)

    @property
    def cost_per_side(self) -> float:
        return self.fee + self.slippage

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}

    def folds(self, index: pd.DatetimeIndex) -> list[Fold]:
        """The refits over the labelled rows whose times are ``index``."""
        return walk_forward_folds(
            len(index), self.horizon, start=self.start, step=self.step, refit_every=self.refit_every,
            window=self.window, train_size=self.train_size, valid_fraction=self.valid_fraction, index=index,
        )


@dataclass(frozen=True)
class Market:
    """Candles with their features and targets, prepared once and shared by every model compared."""

    candles: pd.DataFrame
    dataset: Dataset
    timeframe: str
    fingerprint: dict[str, Any]

    @property
    def index(self) -> pd.Index:
        return self.dataset.labelled


def prepare_market(candles: pd.DataFrame, horizon: int, timeframe: str | None = None) -> Market:
    """Features and targets for ``candles``; the timeframe (for annualising) is inferred when not given."""
    check_horizon(horizon)
    timeframe = check_timeframe(timeframe) if timeframe else infer_timeframe(candles.index)
    if timeframe is None:
        raise DataError("cannot tell the candles' timeframe from their timestamps; pass timeframe=")
    return Market(candles, prepare(candles, horizon), timeframe, data_fingerprint(candles))


@dataclass
class BacktestResult:
    """Out-of-sample forecasts of one model and their scores."""

    model: str
    predictions: pd.DataFrame  # index: forecast bar (UTC); columns: COLUMNS, then cap.INTERVALS and per-horizon forecasts where given
    metrics: dict[str, Any]
    settings: Settings
    info: dict[str, Any] = field(default_factory=dict)  # timeframe, data, folds, seconds, cached

    def equity(self, strategy: str = "long_short") -> pd.Series:
        """Growth of 1 unit following the forecasts after costs (see `core.backtest.strategy`)."""
        position = positions(self.predictions["p_up"].to_numpy(), strategy)
        returns = net_returns(position, self.predictions["hold_return"].to_numpy(), self.settings.cost_per_side)
        return pd.Series(np.cumprod(1 + returns), index=self.predictions.index, name=f"{self.model} {strategy}")


def forecaster(
    name: str, overrides: dict[str, Any] | None = None, horizon: int = 1
) -> tuple[Callable[[], Forecaster], dict[str, Any]]:
    """A factory for fresh instances of any registered forecaster, and the identity that keys its results."""
    settings = dict(overrides or {})
    template = forecasters.create_for(name, horizon, **settings)
    return (lambda: forecasters.create_for(name, horizon, **settings)), template.identity()


def run_folds(
    make: Callable[[], Forecaster], market: Market, folds: list[Fold], *, seed: int = 0,
    device: str | None = None, progress: Progress | None = None, name: str = "",
) -> pd.DataFrame:
    """Fit a fresh forecaster per fold and predict that fold's rows; p_up and expected_return per row, and
    the model's own 80 % and 95 % intervals of the return (`cap.INTERVALS`) when it is probabilistic.

    A model may share work across its refits (`Model.shared_across_folds`, prepared from the first
    fit's rows only) and run several at once (`Model.parallel_refits`); each fold still gets its own
    seeded fit, so the forecasts do not depend on how many ran side by side. Progress events come
    from the calling thread, in fold order.
    """
    features, targets = market.dataset.features, market.dataset.targets
    template = make()
    intervals = cap.PROBABILISTIC in getattr(template, "tags", ())  # a bare Forecaster has no tags
    horizons = cap.MULTI_HORIZON in getattr(template, "tags", ())
    share = getattr(template, "shared_across_folds", None)  # only single models prepare shared work
    shared = share(features, folds[0].valid.stop, seed) if share else None

    def fit_and_predict(fold: Fold) -> pd.DataFrame:
        model = make()
        model.fit(features.iloc[fold.train.start : fold.train.stop], targets.iloc[fold.train.start : fold.train.stop],
                  features.iloc[fold.valid.start : fold.valid.stop], targets.iloc[fold.valid.start : fold.valid.stop],
                  seed=seed, device=device, **({"fold": FoldRows(shared, fold.train, fold.valid)} if share else {}))
        first = max(0, fold.test.start - model.context_rows)
        rows = features.iloc[first : fold.test[-1] + 1]
        block = model.predict_with_intervals(rows) if intervals else model.predict(rows)
        if horizons:  # every horizon's forecast at this bar, scored later against its own outcome
            block = block.join(model.predict_horizons(rows))
        return block.iloc[[row - first for row in fold.test]]

    workers = min(template.parallel_refits() if hasattr(template, "parallel_refits") else 1, len(folds))
    parts = []
    with ThreadPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        for number, part in enumerate((pool.map if pool else map)(fit_and_predict, folds), start=1):
            parts.append(part)
            if progress:
                progress({"event": "fold", "model": name, "fold": number, "folds": len(folds)})
    return pd.concat(parts)


def _realised(market: Market, forecasts: pd.DataFrame, step: int) -> pd.DataFrame:
    targets = market.dataset.targets.loc[forecasts.index]
    close = market.candles["close"]
    hold = (close.shift(-step) / close - 1.0).loc[forecasts.index]
    return forecasts.assign(
        realised_return=targets["future_return"], realised_direction=targets["direction"], hold_return=hold
    )[[*COLUMNS, *(c for c in cap.INTERVALS if c in forecasts), *horizon_columns(forecasts)]]


def score(predictions: pd.DataFrame, settings: Settings, timeframe: str, returns: bool = False) -> dict[str, Any]:
    """Every metric of one model's out-of-sample forecasts; the long/short strategy leads.

    ``returns``: the model forecasts the return (tag ``return_forecast``), so it is also scored against
    the random walk and by its intervals (`forecast_scores`).
    """
    p_up = predictions["p_up"].to_numpy()
    realised = predictions["realised_return"].to_numpy()
    metrics: dict[str, Any] = direction_scores(p_up, predictions["realised_direction"].to_numpy())
    metrics |= return_scores(predictions["expected_return"].to_numpy(), realised)
    if returns:
        metrics |= forecast_scores(predictions, settings.horizon)
    metrics["signals"] = signal_scores(
        signals(p_up, settings.hold_band), realised_signals(realised, 2 * settings.cost_per_side)
    )
    periods = periods_per_year(timeframe, settings.step)
    for strategy in STRATEGIES:
        position = positions(p_up, strategy)
        returns = net_returns(position, predictions["hold_return"].to_numpy(), settings.cost_per_side)
        metrics[strategy] = performance(returns, position, periods)
    metrics |= {k: metrics["long_short"][k] for k in ("sharpe", "sortino", "max_drawdown", "total_return")}
    return metrics


def _reduced(make: Callable[[], Forecaster], settings: Settings) -> Callable[[], Forecaster]:
    """Each fresh forecaster wrapped so every refit selects or reduces its features on its own rows first."""
    from core.features.selection import Reduced

    return lambda: Reduced(make(), settings.features, settings.top_k, settings.seed)


def _with_regimes(make: Callable[[], Forecaster], settings: Settings) -> Callable[[], Forecaster]:
    """Each fresh forecaster wrapped so every refit fits regime/anomaly detectors on its own rows, adds their labels."""
    from core.regimes.features import WithRegimes

    return lambda: WithRegimes(make(), settings.regime_features, seed=settings.seed)


def backtest(
    name: str, market: Market, settings: Settings, *, cache: ResultsCache | None = None,
    device: str | None = None, progress: Progress | None = None, overrides: dict[str, Any] | None = None,
) -> BacktestResult:
    """Walk ``name`` (a model id or baseline) forward over a prepared market, from the cache when possible."""
    make, config = forecaster(name, overrides, settings.horizon)
    if settings.features != "all" and cap.TRAINABLE in forecasters.spec(name).tags:
        make = _reduced(make, settings)
    if settings.regime_features and cap.TRAINABLE in forecasters.spec(name).tags:
        make = _with_regimes(make, settings)  # outside the selection, which then chooses among the regime columns too
    key = digest({
        "kind": "walk_forward", "data": market.fingerprint, "timeframe": market.timeframe,
        "model": {"id": name, "config": config, "code": code_version()}, "settings": asdict(settings),
    })
    if cache is not None and (hit := cache.get("walk_forward", key)) is not None:
        payload, table = hit
        if table is not None:
            return BacktestResult(name, table, payload["metrics"], settings, payload["info"] | {"cached": True})
    folds = settings.folds(market.index)
    started = time.perf_counter()
    forecasts = run_folds(make, market, folds, seed=settings.seed, device=device, progress=progress, name=name)
    predictions = _realised(market, forecasts, settings.step)
    info = {
        "timeframe": market.timeframe, "data": market.fingerprint, "folds": len(folds),
        "seconds": round(time.perf_counter() - started, 3), "code": code_version(), "key": key, "cached": False,
        "config_digest": digest(config),
    }
    metrics = score(predictions, settings, market.timeframe, cap.RETURN_FORECAST in forecasters.spec(name).tags)
    if cap.MULTI_HORIZON in forecasters.spec(name).tags:
        metrics["horizons"] = horizon_scores(predictions, market.candles["close"], market.timeframe)
    result = BacktestResult(name, predictions, metrics, settings, info)
    if cache is not None:
        cache.put("walk_forward", key, {"model": name, "metrics": result.metrics, "info": info,
                                        "settings": asdict(settings)}, predictions)
    return result


def cache_for(cache: bool | ResultsCache | None) -> ResultsCache | None:
    """True: the default on-disk cache; False/None: none; or the given cache."""
    return ResultsCache() if cache is True else (cache or None)


def check_settings(settings: dict[str, Any]) -> None:
    unknown = sorted(set(settings) - Settings.names())
    if unknown:
        raise TypeError(f"unknown backtest setting(s) {', '.join(unknown)}; known: {', '.join(sorted(Settings.names()))}")


def walk_forward(
    model_id: str, candles: pd.DataFrame, horizon: int = 1, *, timeframe: str | None = None,
    cache: bool | ResultsCache | None = True, progress: bool | Progress = False, device: str | None = None,
    overrides: dict[str, Any] | None = None, **settings: Any,
) -> BacktestResult:
    """Walk-forward backtest of one model (or baseline) on ``candles``, compared with the baselines.

    ``settings`` are the fields of `Settings` (start, step, refit_every, window, train_size, fee, ...).
    ``progress=True`` draws a bar; a callable receives one event per fold. Results are cached on
    disk by default; a change of data, model, code or settings computes afresh.
    """
    check_settings(settings)
    chosen = Settings(horizon=horizon, **settings)
    market = prepare_market(candles, horizon, timeframe)
    store = cache_for(cache)
    close: Callable[[], None] = lambda: None
    if progress is True:
        progress, close = tqdm_bars(1)
        progress({"event": "model", "model": model_id, "index": 0, "total": 1})
    try:
        result = backtest(model_id, market, chosen, cache=store, device=device, progress=progress or None,
                          overrides=overrides)
    finally:
        close()
    if cap.BASELINE not in forecasters.spec(model_id).tags:
        naive = {name: backtest(name, market, chosen, cache=store).predictions
                 for name in forecasters.forecaster_ids(having=cap.BASELINE)}
        result.metrics |= versus_baselines({model_id: result.predictions}, naive, horizon)[model_id]
    return result
