"""Ray Tune over the outer folds: grid, random or Optuna TPE search, with ASHA stopping bad trials early.

A trial walks the outer folds in time order and reports, after each, the mean inner-validation log
loss so far (`core.tuning.inner`); ASHA's time axis is the fold, so a configuration that is clearly
worse after the first folds stops there. Every report is collected in the driver (`_Collector`), so
the per-fold choice needs no trial files. With one trial at a time (the default) the searches and
early stopping are deterministic for a seed; more at once finish in an order that can change which
trials ASHA stops. Ray Tune saves its experiment state with pickle; that folder is deleted when the
search ends (nothing of it is ever loaded), so no pickle stays on disk.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.backtest.walkforward import Market, Settings
from core.config import home_dir
from core.splits import Fold
from core.tuning.inner import trial_scores
from core.tuning.spaces import Param, TuningError, grid_points

Progress = Callable[[dict[str, Any]], None]
REPORTED = ("loss", "fold", "fold_loss", "accuracy", "sharpe", "last_row")  # what each trial reports per outer fold


@dataclass
class Trial:
    """One configuration tried and its reports, one per outer fold it reached."""

    number: int
    config: dict[str, Any]
    reports: list[dict[str, Any]] = field(default_factory=list)

    @property
    def folds(self) -> int:
        return len(self.reports)


def _trainable(config: dict[str, Any], model_id: str, market: Market, folds: list[Fold], settings: Settings,
               overrides: dict[str, Any]) -> None:
    from ray import tune

    losses = []
    for score in trial_scores(model_id, config["params"], market, folds, settings, overrides):
        losses.append(score.loss)
        tune.report({"loss": sum(losses) / len(losses), "fold": score.fold, "fold_loss": score.loss,
                     "accuracy": score.accuracy, "sharpe": score.sharpe, "last_row": score.last_row})


def _collector(trials: dict[str, Trial], total: int, progress: Progress | None) -> Any:
    from ray.tune import Callback

    class _Collector(Callback):
        """Keeps every report in the driver and turns trial completions into progress events."""

        def __init__(self, found: dict[str, Trial], count: int, report: Progress | None) -> None:
            self.trials, self.total, self.progress, self.done = found, count, report, 0  # no closure: see __getstate__

        def __getstate__(self) -> dict[str, Any]:
            return {}  # Ray saves its callbacks with the experiment; the driver's reports and bars stay here

        def on_trial_result(self, trial: Any, result: dict, **info: Any) -> None:
            entry = self.trials.setdefault(trial.trial_id, Trial(len(self.trials) + 1, dict(trial.config["params"])))
            entry.reports.append({k: result[k] for k in REPORTED})

        def on_trial_complete(self, trial: Any, **info: Any) -> None:
            self.done += 1
            if self.progress:
                self.progress({"event": "trial", "trial": self.done, "trials": self.total})

    return _Collector(trials, total, progress)


def _search(search: str, space: tuple[Param, ...], trials: int, seed: int) -> tuple[dict[str, Any], Any, int]:
    """Ray's param_space, search algorithm and sample count for ``search``."""
    from ray import tune

    if search == "grid":
        points = grid_points(space, trials, seed)
        return {"params": tune.grid_search(points)}, None, 1
    params = {p.name: p.ray() for p in space}
    if search == "random":
        from ray.tune.search import BasicVariantGenerator

        return {"params": params}, BasicVariantGenerator(random_state=seed), trials
    if search == "bayes":
        import optuna
        from ray.tune.search.optuna import OptunaSearch

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return {"params": params}, OptunaSearch(sampler=optuna.samplers.TPESampler(seed=seed)), trials
    raise TuningError(f"unknown search {search!r}; choose grid, random or bayes")


def run_search(model_id: str, market: Market, folds: list[Fold], settings: Settings, space: tuple[Param, ...], *,
               search: str, trials: int, workers: int = 1, overrides: dict[str, Any] | None = None,
               progress: Progress | None = None) -> list[Trial]:
    """Run the trials on Ray (a loopback-only local Ray unless one is running or LYDIAN_RAY_ADDRESS is set)."""
    if trials < 1:
        raise TuningError(f"trials must be at least 1, got {trials}")
    from core.distributed.runtime import init_ray

    init_ray(num_cpus=max(workers, 1))
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # the classic reporter honours verbose=0 (no tables on stdout)
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    param_space, algorithm, samples = _search(search, space, trials, settings.seed)
    total = len(param_space["params"]["grid_search"]) if search == "grid" else trials
    scheduler = ASHAScheduler(time_attr="fold", max_t=len(folds), grace_period=min(2, len(folds)),
                              reduction_factor=3)
    found: dict[str, Trial] = {}
    storage = home_dir() / "ray_results"
    storage.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{model_id}-", dir=storage))
    trainable = tune.with_parameters(_trainable, model_id=model_id, market=market, folds=folds, settings=settings,
                                     overrides=dict(overrides or {}))
    tuner = tune.Tuner(
        trainable, param_space=param_space,
        tune_config=tune.TuneConfig(metric="loss", mode="min", search_alg=algorithm, scheduler=scheduler,
                                    num_samples=samples, max_concurrent_trials=max(workers, 1), reuse_actors=True),
        run_config=tune.RunConfig(storage_path=str(storage), name=folder.name,
                                  verbose=0, callbacks=[_collector(found, total, progress)]),
    )
    try:
        grid = tuner.fit()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    errors = [str(result.error) for result in grid if result.error]
    if errors and len(errors) == len(grid):
        raise TuningError(f"every trial of {model_id} failed; the first: {errors[0]}")
    return sorted(found.values(), key=lambda t: t.number)
