"""What a labelled history says: each regime's share, volatility, mean return and mean duration, and transitions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _runs(regimes: np.ndarray) -> pd.DataFrame:
    """Consecutive bars in one regime: (regime, length) per run."""
    starts = np.flatnonzero(np.r_[True, regimes[1:] != regimes[:-1]])
    lengths = np.diff(np.r_[starts, len(regimes)])
    return pd.DataFrame({"regime": regimes[starts], "length": lengths})


def regime_table(labels: pd.DataFrame, returns: pd.Series) -> pd.DataFrame:
    """One row per regime; volatility and mean return are per bar, of the bars' log returns."""
    regimes = labels["regime"].to_numpy()
    runs = _runs(regimes)
    frame = pd.DataFrame({"regime": regimes, "ret": returns.reindex(labels.index).to_numpy()})
    grouped = frame.groupby("regime")["ret"]
    table = pd.DataFrame({
        "share": grouped.size() / len(frame),
        "volatility": grouped.std(ddof=1),
        "mean_return": grouped.mean(),
        "mean_duration": runs.groupby("regime")["length"].mean(),
        "n_bars": grouped.size(),
    })
    table.index.name = "regime"
    return table


def transition_matrix(labels: pd.DataFrame) -> pd.DataFrame:
    """P(regime at t+1 | regime at t) over consecutive labelled bars; rows sum to one."""
    regimes = labels["regime"].to_numpy()
    counts = pd.crosstab(pd.Series(regimes[:-1], name="from"), pd.Series(regimes[1:], name="to"))
    ids = sorted(set(counts.index) | set(counts.columns))
    counts = counts.reindex(index=ids, columns=ids, fill_value=0)
    return counts.div(counts.sum(axis=1).replace(0, 1), axis=0)


def summary(labelled: Any) -> dict[str, Any]:
    """The JSON of `lydian regimes --json`: method, n_labelled, regimes, transition_matrix, matching."""
    table = regime_table(labelled.labels, labelled.inputs["ret"])
    matrix = transition_matrix(labelled.labels)
    costs = [m["mean_centroid_distance"] for m in labelled.matching]
    return {
        "method": labelled.method,
        "kind": labelled.kind,
        "n_labelled": int(len(labelled.labels)),
        "first_labelled": str(labelled.labels.index[0]),
        "regimes": [{"regime": int(r), **{k: _num(v) for k, v in row.items()}} for r, row in table.iterrows()],
        "transition_matrix": {str(a): {str(b): float(p) for b, p in row.items()} for a, row in matrix.iterrows()},
        "matching": {"refits": len(labelled.matching) + 1,
                     "mean_centroid_distance": _num(np.mean(costs)) if costs else None,
                     "worst_centroid_distance": _num(np.max(costs)) if costs else None},
    }


def _num(value: Any) -> float | int | None:
    value = float(value)
    return None if not np.isfinite(value) else (int(value) if value.is_integer() and abs(value) > 1 else value)


def anomaly_report(labelled: Any, last: int = 10) -> dict[str, Any]:
    """The JSON of `lydian anomalies --json`: how many bars were marked and the most recent ones.

    A regime detector marks nothing; its ``recent`` lists its ``last`` highest anomaly scores instead.
    """
    labels = labelled.labels
    is_anomaly = labelled.kind == "anomaly"
    flagged = labels[labels["regime"] == 1].tail(last) if is_anomaly else labels.nlargest(last, "anomaly_score")
    return {"method": labelled.method, "kind": labelled.kind, "n_labelled": int(len(labels)),
            "first_labelled": str(labels.index[0]),
            "n_anomalies": int((labels["regime"] == 1).sum()) if is_anomaly else None,
            "recent": [{"timestamp": str(t), "anomaly_score": float(s)} for t, s in flagged["anomaly_score"].items()]}
