"""Column scalers that are fitted on training rows only and saved as plain JSON.

Fitting on all rows would leak the test period's mean and spread into training, so the API
makes the split the caller's explicit act: ``scaler.fit(train_rows)`` then
``scaler.transform(all_rows)``. Every scaler is ``(x - center_) / scale_`` per column, with
learned attributes ending in ``_``; a column with zero spread gets ``scale_ = 1`` (it becomes
constant, never inf). ``to_dict``/``from_dict`` use plain lists so a model can store its
scaler in JSON next to its weights, without pickle.

NaN cells (warm-up rows) are ignored by ``fit`` and stay NaN in ``transform``; inf is refused.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from core.errors import DataError

Data = pd.DataFrame | np.ndarray


def _values(data: Data) -> tuple[np.ndarray, list[str] | None]:
    if isinstance(data, pd.DataFrame):
        return data.to_numpy(dtype=np.float64), [str(c) for c in data.columns]
    values = np.asarray(data, dtype=np.float64)
    if values.ndim != 2:
        raise DataError(f"scalers take a 2-D array (rows x columns), got {values.ndim}-D")
    return values, None


class Scaler:
    """Base class: subclasses say how ``center_`` and ``scale_`` come from the training rows."""

    kind: ClassVar[str] = ""
    _registry: ClassVar[dict[str, type[Scaler]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = cls.__name__
        Scaler._registry[cls.kind] = cls

    def __init__(self) -> None:
        self.center_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.columns_: list[str] | None = None  # None when fitted on a bare array
        self.n_features_in_: int | None = None

    # -- what subclasses define
    def _stats(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """Constructor arguments, JSON-ready."""
        return {}

    # -- shared behaviour
    def fit(self, data: Data) -> Self:
        """Learn the per-column statistics from ``data`` (the training rows only)."""
        values, columns = _values(data)
        if len(values) == 0:
            raise DataError("cannot fit a scaler on zero rows")
        if np.isinf(values).any():
            raise DataError("cannot fit a scaler on data with inf values")
        empty = np.isnan(values).all(axis=0)
        if empty.any():
            where = [columns[i] for i in np.flatnonzero(empty)] if columns else np.flatnonzero(empty).tolist()
            raise DataError(f"cannot fit a scaler: column(s) {where[:5]} have no values")
        center, scale = self._stats(values)
        self.center_ = np.asarray(center, dtype=np.float64)
        self.scale_ = np.where(np.asarray(scale) > 0, scale, 1.0).astype(np.float64)
        self.columns_ = columns
        self.n_features_in_ = values.shape[1]
        return self

    def _aligned(self, data: Data) -> np.ndarray:
        if self.center_ is None or self.scale_ is None:
            raise RuntimeError(f"{self.kind} is not fitted: call fit(train_rows) first")
        if isinstance(data, pd.DataFrame) and self.columns_ is not None:
            given = [str(c) for c in data.columns]
            missing = [c for c in self.columns_ if c not in set(given)]
            extra = [c for c in given if c not in set(self.columns_)]
            if missing or extra or len(given) != len(self.columns_):
                raise DataError(
                    f"{self.kind} was fitted on other columns: missing {missing[:5]}, unexpected {extra[:5]}"
                    f" ({len(missing)} missing, {len(extra)} unexpected)"
                )
            data = data.set_axis(given, axis=1)[self.columns_]
        values, _ = _values(data)
        if values.shape[1] != self.n_features_in_:
            raise DataError(f"{self.kind} was fitted on {self.n_features_in_} columns, got {values.shape[1]}")
        return values

    def _wrap(self, data: Data, values: np.ndarray) -> Data:
        if isinstance(data, pd.DataFrame):
            columns = self.columns_ if self.columns_ is not None else data.columns
            return pd.DataFrame(values, index=data.index, columns=columns)
        return values

    def transform(self, data: Data) -> Data:
        """Scale ``data`` with the fitted statistics; a frame comes back in the fitted column order."""
        return self._wrap(data, (self._aligned(data) - self.center_) / self.scale_)

    def inverse_transform(self, data: Data) -> Data:
        """Undo `transform` (e.g. to read a scaled prediction in the original units)."""
        return self._wrap(data, self._aligned(data) * self.scale_ + self.center_)

    def fit_transform(self, data: Data) -> Data:
        return self.fit(data).transform(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable state (raises if not fitted)."""
        if self.center_ is None or self.scale_ is None:
            raise RuntimeError(f"{self.kind} is not fitted: nothing to save")
        return {
            "kind": self.kind,
            "params": self.params(),
            "columns": self.columns_,
            "center": self.center_.tolist(),
            "scale": self.scale_.tolist(),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Scaler:
        """Rebuild a fitted scaler from `to_dict` output; ``Scaler.from_dict`` picks the kind."""
        kind = state.get("kind")
        target = Scaler._registry.get(kind) if isinstance(kind, str) else None
        if target is None or not issubclass(target, cls):
            raise DataError(f"cannot load {kind!r} as {cls.__name__}; known: {sorted(Scaler._registry)}")
        scaler = target(**state.get("params", {}))
        center = np.asarray(state["center"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
        columns = state.get("columns")
        if center.ndim != 1 or center.shape != scale.shape or (columns is not None and len(columns) != len(center)):
            raise DataError(f"{kind}: saved center, scale and columns have different lengths")
        scaler.center_, scaler.scale_ = center, scale
        scaler.columns_ = list(columns) if columns is not None else None
        scaler.n_features_in_ = len(center)
        return scaler


class ZScoreScaler(Scaler):
    """Standard scaling: ``center_`` is the mean, ``scale_`` the population std (ddof=0)."""

    def _stats(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.nanmean(values, axis=0), np.nanstd(values, axis=0)


class RobustScaler(Scaler):
    """``center_`` is the median, ``scale_`` the inter-quantile range: outliers barely move them."""

    def __init__(self, quantile_range: tuple[float, float] = (25.0, 75.0)) -> None:
        super().__init__()
        low, high = quantile_range
        if not 0.0 <= low < high <= 100.0:
            raise ValueError(f"quantile_range must satisfy 0 <= low < high <= 100, got {quantile_range}")
        self.quantile_range = (float(low), float(high))

    def params(self) -> dict[str, Any]:
        return {"quantile_range": list(self.quantile_range)}

    def _stats(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low, median, high = np.nanpercentile(values, [self.quantile_range[0], 50.0, self.quantile_range[1]], axis=0)
        return median, high - low


class IdentityScaler(Scaler):
    """No scaling, for models that do not need it: trees split on ranks, so scaling changes nothing."""

    def _stats(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(values.shape[1]), np.ones(values.shape[1])


class MinMaxScaler(Scaler):
    """Maps the training min..max onto ``feature_range``; unseen rows may fall outside it.

    Expressed as (x - center_) / scale_ with center_ = min - lo * range / (hi - lo) and
    scale_ = range / (hi - lo), so it shares the code path (and the saved form) of the others.
    """

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        low, high = feature_range
        if not low < high:
            raise ValueError(f"feature_range must have low < high, got {feature_range}")
        self.feature_range = (float(low), float(high))

    def params(self) -> dict[str, Any]:
        return {"feature_range": list(self.feature_range)}

    def _stats(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low, high = self.feature_range
        data_min, data_max = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        data_range = data_max - data_min
        data_range = np.where(data_range > 0, data_range, 1.0)
        width = high - low
        return data_min - low * data_range / width, data_range / width
