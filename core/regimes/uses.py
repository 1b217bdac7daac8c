"""What regimes and anomalies are for: accuracy by regime, and standing aside in anomalous bars.

Both take the walk-forward's out-of-sample predictions (`core.backtest.BacktestResult.predictions`:
p_up, realised_direction, ... indexed by the forecast bar) and causal labels from `label_causally`.
A forecast made at bar t is grouped under the regime labelled at t, which is known at t's close.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.regimes.errors import RegimeError
from core.stats import wilson_interval


def accuracy_by_regime(predictions: dict[str, pd.DataFrame], labels: pd.DataFrame) -> pd.DataFrame:
    """Each model's direction accuracy with a 95% Wilson interval within each regime, beside always-up.

    Only forecasts whose bar has a regime label count; "always_up" is the naive baseline's accuracy
    (the share of up moves) over the same bars, so an edge is the gap between the two.
    """
    rows = []
    for model, table in predictions.items():
        joined = table[["p_up", "realised_direction"]].join(labels["regime"], how="inner").dropna()
        if joined.empty:
            raise RegimeError(f"{model}: none of its forecasts falls on a labelled bar; label the same period")
        for regime, group in joined.groupby("regime"):
            up = group["realised_direction"].to_numpy() > 0.5
            hits = int(((group["p_up"].to_numpy() > 0.5) == up).sum())
            low, high = wilson_interval(hits, len(group))
            rows.append({"model": model, "regime": int(regime), "n": len(group), "accuracy": hits / len(group),
                         "accuracy_ci_low": low, "accuracy_ci_high": high, "always_up": float(up.mean()),
                         "edge_vs_always_up": hits / len(group) - float(up.mean())})
    return pd.DataFrame(rows)


def stand_aside(predictions: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The predictions with no view (p_up 0.5, expected return 0) on bars an anomaly detector marked 1.

    P(up) 0.5 is no view: the policies that trade only a view (threshold, signal) are flat there, so
    `core.policy.evaluate` judges the filtered strategy after costs exactly as the unfiltered one;
    an always-in-the-market policy cannot stand aside and is unchanged in spirit. Bars without a label
    keep their forecast; ``attrs["stood_aside"]`` counts the bars silenced.
    """
    if "regime" not in labels:
        raise RegimeError("anomaly labels need a 'regime' column (1 = anomalous)")
    anomalous = labels["regime"].reindex(predictions.index).eq(1).to_numpy()
    filtered = predictions.copy()
    filtered.loc[anomalous, "p_up"] = 0.5
    if "expected_return" in filtered:
        filtered.loc[anomalous, "expected_return"] = 0.0
    filtered.attrs["stood_aside"] = int(np.sum(anomalous))
    return filtered


def anomaly_metrics(labels: pd.DataFrame, truth: pd.Series) -> dict[str, float]:
    """Raw precision, recall and F1 of the marked bars and the area under the precision-recall curve of the scores.

    Raw means bar by bar: no point adjustment (which credits a whole anomalous stretch once any bar of it
    is hit and flatters every detector). ``truth`` is True on the bars known to be anomalous.
    """
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support

    actual = truth.reindex(labels.index).fillna(False).astype(bool).to_numpy()
    if not actual.any():
        raise RegimeError("the known answers hold no anomalous bar among the labelled ones")
    marked = labels["regime"].to_numpy() == 1
    precision, recall, f1, _ = precision_recall_fscore_support(actual, marked, average="binary", zero_division=0)
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1),
            "pr_auc": float(average_precision_score(actual, labels["anomaly_score"].to_numpy())),
            "base_rate": float(actual.mean())}
