"""The detector contract: fit on a training window, then label later bars from fitted state alone.

Everything a fitted detector knows lives in ``state_``, a flat dict of numpy arrays, so saving
(safetensors, no pickle) and loading give back exactly the labels of the original. ``label``
returns, for each row, a regime id and an anomaly score (higher = more anomalous) computed
from that row and earlier rows only. ``kind`` is the capability tag: "regime" detectors cluster
markets (ids matched across refits), "anomaly" detectors mark bars 1 when their score passes the
training window's (1 - contamination) quantile and 0 otherwise.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from core.regimes.errors import RegimeError

KINDS = ("regime", "anomaly")


class Detector:
    name: ClassVar[str]
    kind: ClassVar[str]
    warmup: ClassVar[int] = 0  # earlier bars labelling a bar needs (a filter's memory, a window)
    max_fit_rows: ClassVar[int | None] = None  # fit on the most recent rows only: bounds O(n^2) fits

    def __init__(self, n_regimes: int = 2, contamination: float = 0.01, seed: int = 0) -> None:
        self.n_regimes, self.contamination, self.seed = n_regimes, contamination, seed
        self.state_: dict[str, np.ndarray] = {}

    def params(self) -> dict[str, Any]:
        return {"n_regimes": self.n_regimes, "contamination": self.contamination, "seed": self.seed}

    def fit(self, x: np.ndarray) -> Detector:
        x = _check(x)
        if self.max_fit_rows is not None:
            x = x[-self.max_fit_rows:]
        if len(x) < max(20, 5 * self.n_regimes):
            raise RegimeError(f"{self.name} needs at least {max(20, 5 * self.n_regimes)} bars to fit, got {len(x)}")
        if not (isinstance(self.n_regimes, int) and 2 <= self.n_regimes <= 10):
            raise RegimeError(f"the number of regimes must be a whole number from 2 to 10, got {self.n_regimes!r}")
        if not 0 < self.contamination < 0.5:
            raise RegimeError(f"contamination must be between 0 and 0.5, got {self.contamination!r}")
        mean, scale = x.mean(axis=0), x.std(axis=0)
        self.state_ = {"mean": mean, "scale": np.where(scale > 0, scale, 1.0)}
        with threadpool_limits(limits=1):  # small fits: idle OpenMP/BLAS threads spin and slow a busy machine
            self.state_.update(self._fit(self._z(x)))
        if self.kind == "anomaly":
            scores = self._score(self._z(x))[1]
            self.state_["alarm_at"] = np.array([np.quantile(scores, 1 - self.contamination)])
        return self

    def label(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(regime ids, anomaly scores) of every row, each from that row and earlier ones."""
        if not self.state_:
            raise RegimeError(f"{self.name} is not fitted")
        regimes, scores = self._score(self._z(_check(x)))
        if self.kind == "anomaly":
            regimes = (scores > self.state_["alarm_at"][0]).astype(np.int64)
        return regimes.astype(np.int64), scores.astype(np.float64)

    def _z(self, x: np.ndarray) -> np.ndarray:
        return (x - self.state_["mean"]) / self.state_["scale"]

    # ---- what each detector implements
    def _fit(self, z: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _score(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


def _check(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise RegimeError("detector inputs must be a finite 2-D table (bars x inputs)")
    return x


DETECTORS: dict[str, type[Detector]] = {}


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: the one registry the CLI, API, page and shared tests read."""
    if cls.kind not in KINDS:
        raise ValueError(f"{cls.__name__}.kind must be one of {KINDS}")
    DETECTORS[cls.name] = cls
    return cls


def make(method: str, **params: Any) -> Detector:
    """A fresh detector by name; an unknown name lists the ones that exist."""
    from core.regimes import anomaly, clusters, quantum_kernel  # noqa: F401  (registers the detectors)

    if method not in DETECTORS:
        raise RegimeError(f"unknown detector {method!r}; choose one of {', '.join(sorted(DETECTORS))}")
    return DETECTORS[method](**params)
