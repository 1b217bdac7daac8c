"""Forecast scores on out-of-sample predictions: direction, probability quality, return error, signals.

Every score is computed on the rows that have a prediction and says how many there were; the
directional accuracy comes with its 95 % Wilson interval, because 54 % on 300 bars and 54 % on
30,000 bars are different claims.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

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
