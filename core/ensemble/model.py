"""The ensemble as a forecaster, so a walk-forward treats it exactly like any single model.

Each fit trains the members on the training window, early-stopped on the first part of the
validation window; the last ``holdout`` share of the validation window (after a purge of
``horizon`` rows) is never shown to the members, and only their predictions there fit the
combiner and the calibrator. Weights, stacking and calibration therefore learn from
out-of-sample forecasts, never from rows a member was trained or early-stopped on.
"""

from __future__ import annotations

import functools
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd

from core.ensemble.calibration import Calibrator
from core.ensemble.combiners import Combiner, EnsembleError
from core.errors import DataError
from core.models import registry
from core.models.base import Model
from core.splits import fit_end

ENSEMBLE = "ensemble"
DEFAULT_MEMBERS = ("xgboost", "lightgbm", "catboost")  # fast enough to refit weekly in a walk-forward
LIVE_ROWS = 256  # inputs up to this many rows are forecast with the members side by side


@dataclass(frozen=True)
class EnsembleConfig:
    members: tuple[str, ...] = DEFAULT_MEMBERS
    method: str = "weighted"  # see core.ensemble.combiners.METHODS
    calibration: str = "platt"  # see core.ensemble.calibration.CALIBRATIONS
    holdout: float = 0.5  # share of the validation window kept from the members for weights and calibration
    horizon: int = 1  # bars purged between the early-stopping part and the held-out part
    floor: float = 0.02
    user_weights: dict[str, float] | None = None
    member_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.members:
            raise EnsembleError("an ensemble needs at least one member")
        for member in self.members:
            registry.spec(member)  # unknown ids fail here, with the list of known ones
        Combiner(self.method)  # validates the method
        Calibrator(self.calibration)
        if not 0 < self.holdout < 1:
            raise EnsembleError(f"holdout must be between 0 and 1, got {self.holdout}")


def member_predictions(models: dict[str, Model], features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """P(up) and expected return of every member on ``features`` (one column per member).

    A live forecast (at most `LIVE_ROWS` rows) runs the members on every core at once, each thread
    with one torch thread; the nets run their ONNX graphs there, which release the GIL: on two cores
    the 19 members take 11 ms side by side against 15 ms one after another (32 ms before the graphs).
    Longer inputs go one member after another, each op using every core, and so do boosters alone:
    their sub-millisecond predictions gain less from a second thread than the hand-over costs
    (1.8 against 1.9 ms for the three on one row). Arrays, not a DataFrame per member: that saved a fifth.
    """
    names = list(models)
    workers = min(os.cpu_count() or 1, len(names))
    if len(features) > LIVE_ROWS or workers < 2 or not any(model.sequence for model in models.values()):
        outputs = [model.predict_values(features) for model in models.values()]
    else:
        groups = [names[k::workers] for k in range(workers)]  # interleaved: nets and boosters spread evenly
        run = lambda group: [models[name].predict_values(features) for name in group]  # noqa: E731
        with _one_op_thread():
            pending = [_pool().submit(run, group) for group in groups[1:]]
            done = {name: out for name, out in zip(groups[0], run(groups[0]))}
            for group, future in zip(groups[1:], pending):
                done |= dict(zip(group, future.result()))
        outputs = [done[name] for name in names]
    p_up = pd.DataFrame(np.column_stack([o[0] for o in outputs]), index=features.index, columns=names)
    returns = pd.DataFrame(np.column_stack([o[1] for o in outputs]), index=features.index, columns=names)
    return p_up, returns


def _one_op_thread() -> AbstractContextManager:
    """`core.models.device.one_op_thread` when torch is loaded (a net is among the models), else nothing."""
    if "torch" not in sys.modules:
        return nullcontext()
    from core.models.device import one_op_thread

    return one_op_thread()


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """Threads kept for live forecasts: starting them per call would cost more than a booster's prediction."""
    return ThreadPoolExecutor(max(1, (os.cpu_count() or 1) - 1), thread_name_prefix="lydian-members")


class EnsembleModel:
    """fit / predict like `core.models.Model`; ``combiner_`` and ``calibrator_`` are learnt per fit."""

    model_id = ENSEMBLE
    sequence = False

    def __init__(self, config: EnsembleConfig | None = None) -> None:
        self.config = config or EnsembleConfig()
        self.members_ = {m: registry.create(m, **self.config.member_overrides.get(m, {})) for m in self.config.members}

    @property
    def context_rows(self) -> int:
        return max(model.context_rows for model in self.members_.values())

    def fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame, *,
            seed: int = 0, device: str | None = None, progress: Any = None) -> Self:
        c = self.config
        cut = int(len(x_valid) * (1 - c.holdout))
        stop_end = fit_end(cut, c.horizon)
        if stop_end <= self.context_rows + 1 or len(x_valid) - cut < 20:
            raise DataError(f"ensemble: a validation window of {len(x_valid)} rows is too short to hold some out")
        for model in self.members_.values():
            model.fit(x_train, y_train, x_valid.iloc[:stop_end], y_valid.iloc[:stop_end], seed=seed, device=device,
                      progress=progress)
        context = pd.concat([x_train.iloc[-self.context_rows:] if self.context_rows else x_train.iloc[:0], x_valid])
        p_up, _ = member_predictions(self.members_, context.iloc[len(context) - (len(x_valid) - cut):])
        y = y_valid["direction"].to_numpy()[cut:]
        self.combiner_ = Combiner(c.method, floor=c.floor, user_weights=c.user_weights, seed=seed)
        self.combiner_.fit(p_up.to_numpy(), y, list(self.members_))
        self.calibrator_ = Calibrator(c.calibration).fit(self.combiner_.combine(p_up.to_numpy()), y)
        return self

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        p_up, returns = member_predictions(self.members_, features)
        valid = p_up.notna().all(axis=1).to_numpy()
        out = np.full(len(features), np.nan)
        if valid.any():
            out[valid] = self.calibrator_.transform(self.combiner_.combine(p_up.to_numpy()[valid]))
        expected = returns.to_numpy() @ self.combiner_.weights_
        return pd.DataFrame({"p_up": out, "expected_return": expected}, index=features.index)

    def key_config(self) -> dict[str, Any]:
        """Everything that changes the ensemble's forecasts: its own settings and each member's config."""
        return asdict(self.config) | {"member_configs": {m: asdict(model.config) for m, model in self.members_.items()}}
