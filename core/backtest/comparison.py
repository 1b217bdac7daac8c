"""Each model against the best naive baseline on the very same bars: edge, p-values and a verdict."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.backtest.significance import diebold_mariano, explain, holm, mcnemar, verdict


def best_baseline(baseline_predictions: dict[str, pd.DataFrame]) -> str:
    """The baseline with the highest directional accuracy (ties: the first named)."""
    return max(baseline_predictions, key=lambda name: _accuracy(baseline_predictions[name]))


def _right(predictions: pd.DataFrame) -> np.ndarray:
    return (predictions["p_up"].to_numpy() > 0.5) == (predictions["realised_direction"].to_numpy() > 0.5)


def _accuracy(predictions: pd.DataFrame) -> float:
    return float(np.mean(_right(predictions))) if len(predictions) else float("nan")


def versus_baselines(
    models: dict[str, pd.DataFrame], baseline_predictions: dict[str, pd.DataFrame], horizon: int
) -> dict[str, dict[str, Any]]:
    """Edge over the best baseline per model, with Holm-corrected McNemar p-values and a verdict.

    ``p_value`` is the corrected one-sided p-value that the model beats the baseline; the
    Diebold-Mariano test compares the return forecasts (reported, uncorrected, beside it).
    """
    if not models:
        return {}
    best = best_baseline(baseline_predictions)
    base = baseline_predictions[best]
    raw = {}
    for name, predictions in models.items():
        if not predictions.index.equals(base.index):
            raise ValueError(f"{name} and baseline {best} were not forecast on the same bars")
        better, worse = mcnemar(_right(predictions), _right(base))
        realised = predictions["realised_return"].to_numpy()
        dm_stat, dm_p = diebold_mariano(
            predictions["expected_return"].to_numpy() - realised, base["expected_return"].to_numpy() - realised, horizon
        )
        raw[name] = (better, worse, dm_stat, dm_p)
    names = list(raw)
    p_better = holm([raw[n][0] for n in names])
    p_worse = holm([raw[n][1] for n in names])
    base_accuracy = _accuracy(base)
    out = {}
    for name, pb, pw in zip(names, p_better, p_worse):
        accuracy = _accuracy(models[name])
        edge = accuracy - base_accuracy
        outcome = verdict(edge, pb, pw)
        out[name] = {
            "baseline": best, "baseline_accuracy": base_accuracy, "edge": edge, "p_value": pb,
            "p_value_worse": pw, "dm_stat": raw[name][2], "dm_p_value": raw[name][3], "verdict": outcome,
            "verdict_text": explain(name, accuracy, best, base_accuracy, pb, outcome, len(names)),
        }
    return out
