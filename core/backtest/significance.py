"""Is an edge real? Paired tests against the best baseline, corrected for how many models were tried.

Direction: an exact McNemar test on the bars where exactly one of model and baseline was right
(the bars where both agree say nothing about which is better). Return forecast: Diebold-Mariano
on squared errors with a Newey-West variance (h-1 lags, since h-bar returns overlap) and the
Harvey-Leybourne-Newbold small-sample correction. Comparing 19 models at 5 % would crown about
one by luck alone, so leaderboards apply Holm's step-down correction before any verdict.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

ALPHA = 0.05
EDGE, NO_EDGE, WORSE = "edge", "no evidence of edge", "worse than baseline"


def mcnemar(model_right: np.ndarray, baseline_right: np.ndarray) -> tuple[float, float]:
    """One-sided exact p-values (model better, model worse) from the discordant bars."""
    model_right, baseline_right = np.asarray(model_right, bool), np.asarray(baseline_right, bool)
    better = int(np.sum(model_right & ~baseline_right))
    worse = int(np.sum(~model_right & baseline_right))
    n = better + worse
    if n == 0:
        return 1.0, 1.0
    return float(stats.binom.sf(better - 1, n, 0.5)), float(stats.binom.sf(worse - 1, n, 0.5))


def diebold_mariano(model_error: np.ndarray, baseline_error: np.ndarray, horizon: int) -> tuple[float, float]:
    """DM statistic (positive: the model's squared errors are smaller) and its one-sided p-value."""
    d = np.asarray(baseline_error, np.float64) ** 2 - np.asarray(model_error, np.float64) ** 2
    n = len(d)
    if n < 3:
        return float("nan"), float("nan")
    centred = d - d.mean()
    variance = centred @ centred / n
    for lag in range(1, min(horizon, n)):
        variance += 2 * (1 - lag / horizon) * (centred[lag:] @ centred[:-lag]) / n  # Bartlett weights
    if variance <= 0:
        return float("nan"), float("nan")
    statistic = d.mean() / math.sqrt(variance / n)
    statistic *= math.sqrt(max(n + 1 - 2 * horizon + horizon * (horizon - 1) / n, 1.0) / n)  # HLN
    return float(statistic), float(stats.t.sf(statistic, df=n - 1))


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (family-wise error control, valid under any dependence)."""
    m = len(p_values)
    order = np.argsort(p_values, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted.tolist()


def verdict(edge: float, p_better: float, p_worse: float, alpha: float = ALPHA) -> str:
    """Plain words from (already corrected) one-sided p-values; no evidence of edge is the usual answer."""
    if edge > 0 and p_better < alpha:
        return EDGE
    if edge < 0 and p_worse < alpha:
        return WORSE
    return NO_EDGE


def explain(model: str, accuracy: float, baseline: str, baseline_accuracy: float, p_value: float,
            outcome: str, compared: int) -> str:
    """One sentence a non-statistician can read."""
    head = f"{model} called the direction right {accuracy:.1%} of the time; the best baseline ({baseline}) {baseline_accuracy:.1%}."
    tried = f" after correcting for {compared} models compared" if compared > 1 else ""
    if outcome == EDGE:
        return f"{head} The difference is unlikely to be luck (p = {p_value:.3g}{tried})."
    if outcome == WORSE:
        return f"{head} It does worse than simply using the baseline."
    return f"{head} That difference could be luck (p = {p_value:.3g}{tried}): no evidence of an edge."
