"""Forecast scores on out-of-sample predictions: direction, probability quality, return error, signals.

Every score is computed on the rows that have a prediction and says how many there were; the
directional accuracy comes with its 95 % Wilson interval, because 54 % on 300 bars and 54 % on
30,000 bars are different claims.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from core.backtest.significance import diebold_mariano
from core.statistical.conformal import conformal_intervals, coverage
from core.stats import wilson_interval

EPS = 1e-6  # probabilities are clipped to [EPS, 1 - EPS] so log loss stays finite
SIGNALS = ("BUY", "SELL", "HOLD")


def direction_scores(p_up: np.ndarray, direction: np.ndarray) -> dict[str, float]:
    """Accuracy (with Wilson CI and n), log loss, Brier score and ROC AUC of P(up) against the realised direction."""
    p = np.clip(np.asarray(p_up, dtype=np.float64), EPS, 1 - EPS)
    y = np.asarray(direction, dtype=np.float64)
    n = len(p)
    if n == 0:
        return {k: float("nan") for k in ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "log_loss", "brier", "auc")} | {"n": 0}
    hits = int(np.sum((p > 0.5) == (y > 0.5)))
    low, high = wilson_interval(hits, n)
    return {
        "n": n,
        "accuracy": hits / n,
        "accuracy_ci_low": low,
        "accuracy_ci_high": high,
        "log_loss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        "brier": float(np.mean((p - y) ** 2)),
        "auc": float(roc_auc_score(y, p)) if 0 < y.sum() < n else float("nan"),  # undefined with one class
    }


def return_scores(expected: np.ndarray, realised: np.ndarray) -> dict[str, float]:
    """RMSE and MAE of the expected-return forecast."""
    error = np.asarray(expected, dtype=np.float64) - np.asarray(realised, dtype=np.float64)
    if not len(error):
        return {"rmse": float("nan"), "mae": float("nan")}
    return {"rmse": float(np.sqrt(np.mean(error**2))), "mae": float(np.mean(np.abs(error)))}


def versus_random_walk(expected: np.ndarray, realised: np.ndarray, horizon: int) -> dict[str, float]:
    """MASE and a Diebold-Mariano test against the random walk, whose h-bar return forecast is zero.

    MASE is the MAE over the random walk's MAE on the same bars (so the random walk scores exactly 1);
    ``dm_rw_p_value`` is the one-sided p-value that the model's squared errors are smaller.
    """
    expected, realised = np.asarray(expected, dtype=np.float64), np.asarray(realised, dtype=np.float64)
    naive = float(np.mean(np.abs(realised))) if len(realised) else float("nan")
    mase = float(np.mean(np.abs(expected - realised))) / naive if naive > 0 else float("nan")
    stat, p_value = diebold_mariano(expected - realised, -realised, horizon)
    return {"mase": mase, "dm_rw_stat": stat, "dm_rw_p_value": p_value}


def interval_scores(lo: np.ndarray, hi: np.ndarray, realised: np.ndarray, name: str) -> dict[str, float]:
    """Measured coverage (with its 95 % Wilson interval) and mean width of the intervals, over the bars that have one."""
    have = ~np.isnan(lo)
    if not have.any():
        return {f"{name}_{k}": float("nan") for k in ("coverage", "width", "coverage_ci_low", "coverage_ci_high")}
    inside = int(np.sum((realised[have] >= lo[have]) & (realised[have] <= hi[have])))
    low, high = wilson_interval(inside, int(have.sum()))
    return {f"{name}_coverage": coverage(lo, hi, realised), f"{name}_width": float(np.mean(hi[have] - lo[have])),
            f"{name}_coverage_ci_low": low, f"{name}_coverage_ci_high": high}


def forecast_scores(predictions: pd.DataFrame, horizon: int) -> dict[str, float]:
    """Return-forecast scores beyond direction: versus the random walk, and interval coverage and width.

    Every model gets a causal 90 % conformal interval around its expected return, scaled by its own
    80 % interval where it gives one (columns ``lo_80``/``hi_80``), else by one; the model's own 80 %
    and 95 % intervals are scored where present.
    """
    expected, realised = predictions["expected_return"].to_numpy(), predictions["realised_return"].to_numpy()
    out = versus_random_walk(expected, realised, horizon)
    own = [level for level in (80, 95) if f"lo_{level}" in predictions]
    scale = ((predictions["hi_80"] - predictions["lo_80"]).to_numpy() / 2 if 80 in own else np.ones(len(expected)))
    lo, hi = conformal_intervals(expected, np.maximum(scale, 1e-12), realised, level=0.9, horizon=horizon)
    out |= interval_scores(lo, hi, realised, "conformal_90")
    for level in own:
        out |= interval_scores(predictions[f"lo_{level}"].to_numpy(), predictions[f"hi_{level}"].to_numpy(), realised,
                               f"own_{level}")
    return out


def signals(p_up: np.ndarray, hold_band: float) -> np.ndarray:
    """BUY above 0.5 + band, SELL below 0.5 - band, HOLD in between."""
    p = np.asarray(p_up, dtype=np.float64)
    return np.where(p > 0.5 + hold_band, "BUY", np.where(p < 0.5 - hold_band, "SELL", "HOLD"))


def realised_signals(realised_return: np.ndarray, round_trip_cost: float) -> np.ndarray:
    """What the right call was: BUY/SELL when the move beat a round trip's costs, else HOLD."""
    r = np.asarray(realised_return, dtype=np.float64)
    return np.where(r > round_trip_cost, "BUY", np.where(r < -round_trip_cost, "SELL", "HOLD"))


def signal_scores(predicted: np.ndarray, realised: np.ndarray) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support for each of BUY, SELL and HOLD."""
    precision, recall, f1, support = precision_recall_fscore_support(
        realised, predicted, labels=list(SIGNALS), zero_division=0.0
    )
    return {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(SIGNALS, precision, recall, f1, support)
    }
