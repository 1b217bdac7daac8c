"""The ensemble as a forecaster: fitted one way, walked forward, trained, saved and served like any model.

Each fit trains the members on the training window, early-stopped on the first part of the
validation window; the last ``holdout`` share of the validation window (after a purge of
``horizon`` rows) is never shown to the members, and only their predictions there fit the
combiner and the calibrator. Weights, stacking and calibration therefore learn from
out-of-sample forecasts, never from rows a member was trained or early-stopped on.

The same `EnsembleModel.fit` runs in every walk-forward refit and when the ensemble is trained
for live use (`core.models.training.train_models`), and the trained ensemble is stored as one
versioned artifact: its members' weights in sub-folders, the held-out member forecasts
(safetensors) and the fitted combiner and calibrator (JSON). Because the members never depend
on the combination settings (method, calibration, floor, user weights), `with_combination`
re-fits only the combination from the stored held-out forecasts and gets exactly what a full fit
with those settings would have given, so switching the method needs no retraining.

`EnsembleConfig.digest` is the ensemble's identity: the walk-forward record shown beside a
signal is looked up by it, so a record always belongs to exactly the configuration it sits beside.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from core.defaults import FAST_MODELS
from core.ensemble.calibration import Calibrator, expected_calibration_error, reliability
from core.ensemble.combiners import Combiner, EnsembleError
from core.errors import DataError
from core.fingerprint import digest
from core.lru import Lru
from core.models import capabilities as cap
from core.models import registry
from core.models.base import Model, NotFittedError, json_ready
from core.splits import fit_end

ENSEMBLE = "ensemble"
DEFAULT_MEMBERS = FAST_MODELS  # fast enough to refit weekly in a walk-forward
LIVE_ROWS = 256  # inputs up to this many rows are forecast with the members side by side
HOLDOUT_FILE = "holdout.safetensors"
COMBINATION = ("method", "calibration", "floor", "user_weights", "min_confidence")  # settings the members ignore


@dataclass(frozen=True)
class EnsembleConfig:
    """Everything that makes an ensemble what it is; `digest` keys its stored versions and its records."""

    members: tuple[str, ...] = DEFAULT_MEMBERS
    method: str = "weighted"  # see core.ensemble.combiners.METHODS
    calibration: str = "platt"  # see core.ensemble.calibration.CALIBRATIONS
    holdout: float = 0.5  # share of the validation window kept from the members for weights and calibration
    horizon: int = 1  # bars purged between the early-stopping part and the held-out part
    floor: float = 0.02
    user_weights: dict[str, float] | None = None
    min_confidence: float = 0.1  # the signal holds below this confidence (see core.ensemble.signal)
    member_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(self.members))
        if not self.members:
            raise EnsembleError("an ensemble needs at least one member")
        if len(set(self.members)) != len(self.members):
            raise EnsembleError("an ensemble lists each member once")
        for member in self.members:
            if cap.COMBINER in registry.spec(member).tags:  # unknown ids fail here, with the list of known ones
                raise EnsembleError(f"{member} is itself an ensemble; members are single models")
        Combiner(self.method)  # validates the method
        Calibrator(self.calibration)
        if not 0 < self.holdout < 1:
            raise EnsembleError(f"holdout must be between 0 and 1, got {self.holdout}")
        if not 0 <= self.min_confidence < 1:
            raise EnsembleError(f"min_confidence must be in [0, 1), got {self.min_confidence}")

    def with_overrides(self, overrides: dict[str, Any]) -> EnsembleConfig:
        """A copy with some settings changed (how the registry and the store rebuild a config)."""
        unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise EnsembleError(f"unknown ensemble setting(s) {', '.join(unknown)}")
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return json_ready(asdict(self) | {"members": list(self.members)})

    def identity(self) -> dict[str, Any]:
        """Everything that changes the forecasts: these settings and each member's full configuration."""
        configs = {m: registry.create(m, **self.member_overrides.get(m, {})).identity() for m in self.members}
        return self.to_dict() | {"member_configs": configs}

    @functools.cached_property
    def _digests(self) -> tuple[str, str]:
        """(digest, members digest), computed once per distinct settings: a live signal builds a fresh, equal
        config on every call, and building all 26 members to read their identities cost 8 ms each time."""
        settings = digest(self.to_dict())
        known = _DIGESTS.get(settings)
        if known is None:
            identity = self.identity()
            known = digest(identity), digest({k: v for k, v in identity.items() if k not in COMBINATION})
            _DIGESTS.put(settings, known)
        return known

    def digest(self) -> str:
        return self._digests[0]

    def members_digest(self) -> str:
        """The identity of the trained members alone: versions sharing it differ only in their combination."""
        return self._digests[1]


_DIGESTS: Lru[tuple[str, str]] = Lru(256)  # settings digest -> (digest, members digest)


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


@dataclass(frozen=True)
class CalibrationCheck:
    """How the calibration procedure does on held-out rows it was not fitted on (the Ensemble page's figures).

    The combination is re-fitted on the first two thirds of the held-out forecasts and judged on the
    last third; the ensemble itself keeps the fit on all of them.
    """

    rows: int
    ece_before: float
    ece_after: float
    reliability_before: pd.DataFrame
    reliability_after: pd.DataFrame


class EnsembleModel:
    """fit / predict / save / load like `core.models.Model`; ``combiner_`` and ``calibrator_`` are learnt per fit."""

    model_id = ENSEMBLE
    family = ENSEMBLE
    sequence = False
    tags = frozenset({cap.COMBINER, cap.STORABLE, cap.TRAINABLE, cap.RETURN_FORECAST})

    def __init__(self, config: EnsembleConfig | None = None) -> None:
        self.config = config or EnsembleConfig()
        self.members_ = {m: registry.create(m, **self.config.member_overrides.get(m, {})) for m in self.config.members}

    @property
    def context_rows(self) -> int:
        return max(model.context_rows for model in self.members_.values())

    def identity(self) -> dict[str, Any]:
        return self.config.identity()

    def fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame, *,
            seed: int = 0, device: str | None = None, progress: Any = None, fold: Any = None) -> Self:
        c = self.config
        started = time.perf_counter()
        cut = int(len(x_valid) * (1 - c.holdout))
        stop_end = fit_end(cut, c.horizon)
        if stop_end <= self.context_rows + 1 or len(x_valid) - cut < 20:
            raise DataError(f"ensemble: a validation window of {len(x_valid)} rows is too short to hold some out")
        for model in self.members_.values():
            model.fit(x_train, y_train, x_valid.iloc[:stop_end], y_valid.iloc[:stop_end], seed=seed, device=device,
                      progress=progress)
        context = pd.concat([x_train.iloc[-self.context_rows:] if self.context_rows else x_train.iloc[:0], x_valid])
        held_out = len(x_valid) - cut  # each held-out row comes with the earlier rows a sequence member's window needs
        p_up, _ = member_predictions(self.members_, context.iloc[len(context) - held_out - self.context_rows:])
        p_up = p_up.iloc[len(p_up) - held_out:]
        self.holdout_p_ = p_up.to_numpy(dtype=np.float64)
        self.holdout_y_ = y_valid["direction"].to_numpy(dtype=np.float64)[cut:]
        self.seed_ = seed
        self._fit_combination()
        self.fit_seconds_ = time.perf_counter() - started
        p = self.calibrator_.transform(self.combiner_.combine(self.holdout_p_))
        self.valid_metrics_ = {"n": len(p), "accuracy": float(np.mean((p > 0.5) == (self.holdout_y_ > 0.5))),
                               "log_loss": float(-np.mean(self.holdout_y_ * np.log(p)
                                                          + (1 - self.holdout_y_) * np.log(1 - p)))}
        return self

    def _fit_combination(self) -> None:
        """The one rule that turns held-out member forecasts into weights and a calibration."""
        c = self.config
        self.combiner_ = Combiner(c.method, floor=c.floor, user_weights=c.user_weights, seed=self.seed_)
        self.combiner_.fit(self.holdout_p_, self.holdout_y_, list(self.members_))
        self.calibrator_ = Calibrator(c.calibration).fit(self.combiner_.combine(self.holdout_p_), self.holdout_y_)

    def with_combination(self, **settings: Any) -> EnsembleModel:
        """The same trained members under other combination settings (method, calibration, floor, ...).

        Equal to a full fit with those settings: the members never see them.
        """
        self._check_fitted()
        unknown = sorted(set(settings) - set(COMBINATION))
        if unknown:
            raise EnsembleError(f"only the combination can change without retraining, not {', '.join(unknown)}")
        other = object.__new__(EnsembleModel)
        other.config = self.config.with_overrides(settings)
        other.members_ = self.members_
        other.holdout_p_, other.holdout_y_, other.seed_ = self.holdout_p_, self.holdout_y_, self.seed_
        other._fit_combination()
        other.meta_ = getattr(self, "meta_", {})
        return other

    def calibration_check(self) -> CalibrationCheck:
        """Calibration error before and after, measured on the last third of the held-out rows."""
        self._check_fitted()
        P, y = self.holdout_p_, self.holdout_y_
        fit, check = slice(0, len(y) * 2 // 3), slice(len(y) * 2 // 3, None)
        c = self.config
        combiner = Combiner(c.method, floor=c.floor, user_weights=c.user_weights, seed=self.seed_)
        raw = combiner.fit(P[fit], y[fit], list(self.members_)).combine(P)
        calibrated = Calibrator(c.calibration).fit(raw[fit], y[fit]).transform(raw[check])
        return CalibrationCheck(len(y[check]), expected_calibration_error(raw[check], y[check]),
                                expected_calibration_error(calibrated, y[check]), reliability(raw[check], y[check]),
                                reliability(calibrated, y[check]))

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        p_up, returns = member_predictions(self.members_, features)
        return self.combine(p_up, returns)

    def combine(self, p_up: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
        """The ensemble's forecast from its members' (rows where a member has no forecast are NaN)."""
        self._check_fitted()
        valid = p_up.notna().all(axis=1).to_numpy()
        out = np.full(len(p_up), np.nan)
        if valid.any():
            out[valid] = self.calibrator_.transform(self.combiner_.combine(p_up.to_numpy()[valid]))
        expected = returns.to_numpy() @ self.combiner_.weights_
        return pd.DataFrame({"p_up": out, "expected_return": expected}, index=p_up.index)

    def n_parameters(self) -> int:
        return sum(model.n_parameters() for model in self.members_.values())

    # ---- persistence: members in sub-folders, held-out forecasts as safetensors, the combination as JSON
    def save(self, folder: Path) -> dict[str, Any]:
        self._check_fitted()
        members = {}
        for name, model in self.members_.items():
            (folder / "members" / name).mkdir(parents=True)
            members[name] = model.save(folder / "members" / name)
        save_file({"p_up": np.ascontiguousarray(self.holdout_p_), "direction": self.holdout_y_}, folder / HOLDOUT_FILE)
        return json_ready({"members": members, "seed": self.seed_, "combiner": self.combiner_.to_dict(),
                           "calibrator": self.calibrator_.to_dict()})

    def load(self, folder: Path, state: dict[str, Any]) -> Self:
        if sorted(state.get("members", {})) != sorted(self.members_):
            raise DataError("ensemble: the saved members are not the ones its configuration names")
        for name, model in self.members_.items():
            model.load(folder / "members" / name, state["members"][name])
        try:
            holdout = load_file(folder / HOLDOUT_FILE)
        except (OSError, SafetensorError) as exc:
            raise DataError(f"ensemble: the held-out forecasts cannot be read ({exc})") from None
        self.holdout_p_, self.holdout_y_ = holdout["p_up"].astype(np.float64), holdout["direction"].astype(np.float64)
        if self.holdout_p_.shape != (len(self.holdout_y_), len(self.members_)):
            raise DataError("ensemble: the held-out forecasts do not match its members")
        self.seed_ = int(state["seed"])
        self.combiner_ = Combiner.from_dict(state["combiner"])
        self.calibrator_ = Calibrator.from_dict(state["calibrator"])
        if self.combiner_.names_ != list(self.members_) or self.combiner_.method != self.config.method:
            raise DataError("ensemble: the saved combiner does not belong to this configuration")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "combiner_"):
            raise NotFittedError("the ensemble is not trained yet; fit or load it first")

    def __repr__(self) -> str:
        return f"EnsembleModel({self.config})"


registry.register(registry.ModelSpec(
    ENSEMBLE, ENSEMBLE, "calibrated combination of single models (weighted, stacking, voting, bagging, BMA, boosting)",
    EnsembleConfig(), lambda model_id, config: EnsembleModel(config), sequence=False,
    tags=EnsembleModel.tags,
))
