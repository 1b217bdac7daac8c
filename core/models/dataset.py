"""From candles to what every model trains on: causal features beside future targets.

Features come from ``core.features.build_features`` (warm-up dropped) and targets from
``core.features.targets``; the two are joined on the candle index only here, so no feature code
can see a target. Rows whose future is not known yet (the last ``horizon``) have no label.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.features import build_features, targets
from core.splits import Split, chronological_split


@dataclass(frozen=True)
class Dataset:
    features: pd.DataFrame
    targets: pd.DataFrame  # direction, future_return (and future_log_return); NaN where unknown
    horizon: int

    @property
    def labelled(self) -> pd.Index:
        return self.targets.index[self.targets["direction"].notna().to_numpy()]

    def split(self, train: float = 0.6, valid: float = 0.2) -> tuple[Split, pd.Index]:
        """Chronological purged split of the labelled rows, and those rows' index."""
        index = self.labelled
        return chronological_split(len(index), self.horizon, train, valid), index

    def window(self, index: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self.features.loc[index], self.targets.loc[index]


def prepare(candles: pd.DataFrame, horizon: int) -> Dataset:
    features = build_features(candles)
    return Dataset(features, targets(candles, horizon).loc[features.index], horizon)
