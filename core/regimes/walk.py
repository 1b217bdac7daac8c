"""Causal labelling: fit on the first bars, label only later ones, refit on the walk-forward schedule.

The folds are `core.splits.walk_forward_folds` with a one-bar horizon, the same refit points as
the forecasters' walk-forward. Each fit sees only bars before the block it labels (expanding
window). After a refit, the new regime ids are matched to the previous fit's by the Hungarian
method on regime centroids (mean inputs of the training bars, in the training window's standard
units), so "regime 1" keeps meaning the same market; the first fit numbers regimes from the calmest
(lowest volatility) up. Each refit's matching cost is kept, so weak matches are visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from core.regimes.base import Detector, make
from core.regimes.inputs import COLUMNS, regime_inputs
from core.splits import Start, walk_forward_folds

REFIT_EVERY = 168  # the forecasters' walk-forward default (Settings.refit_every)


@dataclass
class Labelled:
    method: str
    kind: str
    labels: pd.DataFrame  # index: timestamp; columns: regime (anomaly detectors: 1 = anomalous), anomaly_score
    inputs: pd.DataFrame
    matching: list[dict] = field(default_factory=list)  # one per refit after the first
    detector: Detector | None = None  # the last fit


def _centroids(x: np.ndarray, regimes: np.ndarray) -> dict[int, np.ndarray]:
    return {int(r): x[regimes == r].mean(axis=0) for r in np.unique(regimes) if r >= 0}


def _match(new: dict[int, np.ndarray], old: dict[int, np.ndarray], scale: np.ndarray) -> tuple[dict[int, int], float]:
    """Map new raw ids onto old ids (Hungarian on centroid distance in ``scale`` units); unmatched get fresh ids."""
    new_ids, old_ids = sorted(new), sorted(old)
    cost = np.array([[np.linalg.norm((new[n] - old[o]) / scale) for o in old_ids] for n in new_ids])
    rows, cols = linear_sum_assignment(cost)
    mapping = {new_ids[r]: old_ids[c] for r, c in zip(rows, cols)}
    fresh = max(old_ids, default=-1) + 1
    for n in new_ids:
        if n not in mapping:
            mapping[n], fresh = fresh, fresh + 1
    return mapping, float(cost[rows, cols].mean()) if len(rows) else float("nan")


def label_causally(candles: pd.DataFrame, method: str, *, n_regimes: int = 2, train_bars: Start | None = None,
                   refit_every: int = REFIT_EVERY, contamination: float = 0.01, seed: int = 0) -> Labelled:
    """Regime ids and anomaly scores of every bar after the first fit window, each known at its bar's close."""
    inputs = regime_inputs(candles)
    x = inputs.to_numpy()
    folds = walk_forward_folds(len(x), 1, start=0.5 if train_bars is None else train_bars,
                               refit_every=refit_every, index=inputs.index)
    regimes, scores, matching = [], [], []
    previous: dict[int, np.ndarray] | None = None
    detector = None
    for fold in folds:
        end = fold.test.start
        detector = make(method, n_regimes=n_regimes, contamination=contamination, seed=seed).fit(x[:end])
        begin = max(0, fold.test.start - detector.warmup)
        raw, score = detector.label(x[begin:fold.test.stop])
        raw, score = raw[fold.test.start - begin:], score[fold.test.start - begin:]
        if detector.kind == "regime":
            fit_rows = x[max(0, end - (detector.max_fit_rows or end)):end]
            centroids = _centroids(fit_rows, detector.label(fit_rows)[0])
            if previous is None:
                order = sorted(centroids, key=lambda r: centroids[r][COLUMNS.index("vol")])
                mapping = {r: i for i, r in enumerate(order)}
            else:
                mapping, cost = _match(centroids, previous, detector.state_["scale"])
                matching.append({"refit_at": str(inputs.index[end]), "mean_centroid_distance": cost,
                                 "regimes_before": len(previous), "regimes_after": len(centroids)})
            previous = {mapping[r]: c for r, c in centroids.items()}
            raw = np.array([mapping.get(int(r), -1) for r in raw], dtype=np.int64)
        regimes.append(raw)
        scores.append(score)
    index = inputs.index[folds[0].test.start:]
    labels = pd.DataFrame({"regime": np.concatenate(regimes), "anomaly_score": np.concatenate(scores)}, index=index)
    labels.index.name = "timestamp"
    return Labelled(method, detector.kind, labels, inputs.loc[index], matching, detector)
