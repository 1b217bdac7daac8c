"""`tune_walk_forward`: nested tuning, then the honest out-of-sample record of the tuned model.

The trials (`core.tuning.search`) are scored only on inner validation rows of each outer training
window. Each outer fold is then forecast by a fresh fit with the configuration that had the lowest
mean inner-validation loss over the folds up to and including it, so the choice for a test window
rests on rows before it. The tuned and the untuned model are walked over the same bars beside the
naive baselines, and the tuned model's after-cost Sharpe is deflated for every trial run
(`core.policy.report.summarise`, Bailey and López de Prado), with the spread of the trials' own
inner-validation Sharpe ratios as the variance luck would draw from.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from core import forecasters
from core.backtest.cache import ResultsCache
from core.backtest.comparison import versus_baselines
from core.backtest.strategy import periods_per_year, positions
from core.backtest.walkforward import (
    Market, Settings, _realised, backtest, cache_for, check_settings, prepare_market, run_folds, score,
)
from core.models import capabilities as cap
from core.policy.execution import Execution, decision_rows, execute
from core.policy.report import finite, summarise
from core.tracking import record_tuning
from core.tuning.search import Progress, Trial, run_search
from core.tuning.spaces import Param, TuningError, custom_space, default_search, space_for

SUMMARY = ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "n", "log_loss", "sharpe", "max_drawdown", "total_return")


@dataclass
class TuneResult:
    """The trials, the configuration each outer fold used, and the out-of-sample comparison."""

    model: str
    search: str
    trials: list[Trial]
    chosen: list[dict[str, Any]]  # per outer fold: first test bar, configuration
    tuned: pd.DataFrame  # out-of-sample predictions of the tuned model
    report: dict[str, Any]

    @property
    def best_config(self) -> dict[str, Any]:
        """The configuration chosen for the last fold (it saw the most data)."""
        return self.chosen[-1]["config"]

    def to_dict(self) -> dict[str, Any]:
        trials = [{"trial": t.number, "config": t.config, "folds": t.folds, "loss": t.reports[-1]["loss"],
                   "sharpe": float(np.nanmean([r["sharpe"] for r in t.reports])),
                   "read_until": [r.get("read_until") for r in t.reports]} for t in self.trials if t.reports]
        return finite({"model": self.model, "search": self.search, "trials": len(self.trials),
                       "best_config": self.best_config, "chosen": self.chosen, **self.report, "trial_table": trials})


def choose(trials: list[Trial], n_folds: int) -> list[dict[str, Any]]:
    """Per outer fold, the configuration with the lowest mean inner loss through that fold (ties: first trial)."""
    chosen = []
    for fold in range(1, n_folds + 1):
        reached = [(t.reports[fold - 1]["loss"], t.number, t) for t in trials if t.folds >= fold]
        if not reached:
            raise TuningError(f"no trial reached outer fold {fold}; see the trials' errors above")
        chosen.append(min(reached, key=lambda item: (item[0], item[1]))[2].config)
    return chosen


def _summary(metrics: dict[str, Any], versus: dict[str, Any] | None = None) -> dict[str, Any]:
    row = {k: metrics.get(k) for k in SUMMARY}
    keys = ("baseline", "baseline_accuracy", "edge", "p_value", "verdict", "verdict_text")
    return row | {k: (versus or {}).get(k) for k in keys}


def _deflated(predictions: pd.DataFrame, candles: pd.DataFrame, settings: Settings, timeframe: str,
              trials: list[Trial]) -> dict[str, Any]:
    """After-cost statistics of the tuned long/short positions, deflated for every trial run."""
    rows = decision_rows(candles, predictions.index)
    table = execute(positions(predictions["p_up"].to_numpy(), "long_short"), candles, rows,
                    Execution(fee=settings.fee, slippage=settings.slippage))
    ratios = [float(np.nanmean([r["sharpe"] for r in t.reports])) for t in trials if t.reports]
    finite_ratios = [r for r in ratios if math.isfinite(r)]
    variance = float(np.var(finite_ratios, ddof=1)) if len(finite_ratios) > 1 else 0.0
    stats = summarise(table, periods_per_year(timeframe, settings.step), trials=max(len(trials), 1),
                      sr_variance=variance, seed=settings.seed)
    keys = ("sharpe", "sharpe_ci_low", "sharpe_ci_high", "psr", "deflated_sharpe", "trials", "n")
    return {k: stats[k] for k in keys} | {"trial_sharpe_variance": variance}


def tune_walk_forward(
    model_id: str, candles: pd.DataFrame, horizon: int = 1, *, trials: int = 20, search: str | None = None,
    space: dict[str, list[Any]] | None = None, workers: int = 1, timeframe: str | None = None,
    cache: bool | ResultsCache | None = True, progress: Progress | None = None,
    overrides: dict[str, Any] | None = None, **settings: Any,
) -> TuneResult:
    """Tune ``model_id`` inside the walk-forward on ``candles`` and report it beside its defaults and the baselines.

    ``space`` (``{name: values}``) replaces the family's search space; ``settings`` are `Settings` fields.
    """
    check_settings(settings)
    spec = forecasters.spec(model_id)
    if cap.TRAINABLE not in spec.tags:
        raise TuningError(f"{model_id} has nothing to tune (a baseline or combiner)")
    params: tuple[Param, ...] = custom_space(model_id, space) if space else space_for(model_id)
    search = search or default_search(model_id)
    chosen_settings = Settings(horizon=horizon, **settings)
    market: Market = prepare_market(candles, horizon, timeframe)
    folds = chosen_settings.folds(market.index)
    started = time.perf_counter()
    found = run_search(model_id, market, folds, chosen_settings, params, search=search, trials=trials,
                       workers=workers, overrides=overrides, progress=progress)
    for trial in found:  # the last bar each trial read per fold, in the dates the chosen list shows
        for row in trial.reports:
            row["read_until"] = str(market.index[row["last_row"]])
    configs = choose(found, len(folds))
    parts = []
    for fold, config in zip(folds, configs):
        settings_ = {**(overrides or {}), **config}
        make = lambda s=settings_: forecasters.create_for(model_id, horizon, **s)  # noqa: E731
        parts.append(run_folds(make, market, [fold], seed=chosen_settings.seed))
    tuned = _realised(market, pd.concat(parts), chosen_settings.step)
    tuned_metrics = score(tuned, chosen_settings, market.timeframe, cap.RETURN_FORECAST in spec.tags)
    store = cache_for(cache)
    untuned = backtest(model_id, market, chosen_settings, cache=store, overrides=overrides)
    naive = {name: backtest(name, market, chosen_settings, cache=store)
             for name in forecasters.forecaster_ids(having=cap.BASELINE)}
    versus = versus_baselines({"tuned": tuned, "untuned": untuned.predictions},
                              {n: r.predictions for n, r in naive.items()}, horizon)
    report = {
        "symbol": candles.attrs.get("symbol"), "timeframe": market.timeframe, "horizon": horizon,
        "settings": asdict(chosen_settings), "folds": len(folds), "n_forecasts": len(tuned),
        "test_first": str(tuned.index[0]), "test_last": str(tuned.index[-1]),
        "trials_stopped_early": sum(t.folds < len(folds) for t in found),
        "default_config": {p.name: spec.defaults.to_dict()[p.name] for p in params},
        "tuned_result": _summary(tuned_metrics, versus["tuned"]),
        "untuned_result": _summary(untuned.metrics, versus["untuned"]),
        "baselines": {n: _summary(r.metrics) for n, r in naive.items()},
        "deflated": _deflated(tuned, market.candles, chosen_settings, market.timeframe, found),
        "seconds": round(time.perf_counter() - started, 3),
    }
    chosen = [{"fold": i + 1, "first": str(market.index[f.test[0]]), "config": c}
              for i, (f, c) in enumerate(zip(folds, configs))]
    result = TuneResult(model_id, search, found, chosen, tuned, report)
    record_tuning(result)  # an MLflow run when tracking is on; never fails the tuning
    return result
