"""Ablation: the same walk-forward folds with and without a feature group, scored out of sample.

Each variant is a ridge regression of the next bar's log return, refit on every fold of
`core.splits.walk_forward_folds`; its information coefficient (Spearman rank correlation of the
forecast with the realised return, with a 95 % Fisher interval) and its direction hit rate (Wilson
interval) sit beside the other variant's and beside the raw IC of each group column.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from core.errors import DataError
from core.splits import walk_forward_folds
from core.stats import Z95, wilson_interval

LAGS = (1, 2, 3, 6, 24)


@dataclass(frozen=True)
class Score:
    """Out-of-sample skill of one variant (or one raw column)."""

    ic: float
    ic_low: float
    ic_high: float
    hit_rate: float
    hit_low: float
    hit_high: float
    n: int


def information_coefficient(forecast: np.ndarray, realised: np.ndarray) -> tuple[float, float, float]:
    """Spearman IC with its 95 % interval (Fisher z, standard error 1.06/sqrt(n-3) for ranks)."""
    keep = np.isfinite(forecast) & np.isfinite(realised)
    n = int(keep.sum())
    if n < 10 or np.ptp(forecast[keep]) == 0:
        return 0.0, float("nan"), float("nan")
    ic = float(spearmanr(forecast[keep], realised[keep]).statistic)
    z, half = math.atanh(max(min(ic, 0.999999), -0.999999)), Z95 * 1.06 / math.sqrt(n - 3)
    return ic, math.tanh(z - half), math.tanh(z + half)


def _score(forecast: np.ndarray, realised: np.ndarray) -> Score:
    ic, low, high = information_coefficient(forecast, realised)
    moved = (realised != 0) & np.isfinite(forecast)
    hits = int((np.sign(forecast[moved]) == np.sign(realised[moved])).sum())
    n = int(moved.sum())
    hit_low, hit_high = wilson_interval(hits, n)
    return Score(ic, low, high, hits / n if n else float("nan"), hit_low, hit_high, n)


def _base(close: pd.Series) -> pd.DataFrame:
    log_close = np.log(close.to_numpy(dtype=float))
    frame = pd.DataFrame(index=close.index)
    for lag in LAGS:
        frame[f"ret_{lag}"] = pd.Series(log_close, index=close.index).diff(lag)
    return frame


def _walk(x: np.ndarray, y: np.ndarray, *, start: float, refit_every: int) -> np.ndarray:
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    forecast = np.full(len(y), np.nan)
    for fold in walk_forward_folds(len(y), 1, start=start, refit_every=refit_every, valid_fraction=0.01):
        fit = range(fold.train.start, fold.valid.stop)  # a linear fit needs no early-stopping rows
        scaler = StandardScaler().fit(x[fit])
        model = Ridge(alpha=1.0).fit(scaler.transform(x[fit]), y[fit])
        forecast[fold.test.start:fold.test.stop] = model.predict(scaler.transform(x[fold.test.start:fold.test.stop]))
    return forecast


def ablation(close: pd.Series, group: pd.DataFrame, *, start: float = 0.5, refit_every: int = 168) -> dict:
    """Walk-forward skill without and with ``group`` (columns known at each bar's close), and each column's IC."""
    if not group.index.equals(close.index):
        raise DataError("the feature group must have one row per candle (same timestamps)")
    realised = np.log(close.shift(-1) / close).to_numpy(dtype=float)  # next bar's return: the target at bar t
    base = _base(close)
    rows = base.notna().all(axis=1).to_numpy() & np.isfinite(realised)
    if rows.sum() < 200:
        raise DataError(f"only {int(rows.sum())} usable bars; the ablation needs at least 200")
    y = realised[rows]
    scores = {}
    for name, frame in (("without", base), ("with", base.join(group.fillna(0.0)))):
        forecast = _walk(frame.to_numpy(dtype=float)[rows], y, start=start, refit_every=refit_every)
        tested = np.isfinite(forecast)
        scores[name] = asdict(_score(forecast[tested], y[tested]))
    tested_rows = np.isfinite(_walk(base.to_numpy(dtype=float)[rows][:, :1], y, start=start, refit_every=len(y)))
    columns = {}
    for column in group.columns:
        ic, low, high = information_coefficient(group[column].to_numpy(dtype=float)[rows][tested_rows], y[tested_rows])
        columns[column] = {"ic": ic, "ic_low": low, "ic_high": high}
    edge = scores["with"]["ic"] - scores["without"]["ic"]
    return {"target": "next-bar log return", "model": "ridge on lagged returns", "folds_refit_every": refit_every,
            "without": scores["without"], "with": scores["with"], "ic_gain": edge, "columns": columns}
