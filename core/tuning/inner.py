"""One trial's work: a configuration scored on validation rows inside each outer training window.

For every outer walk-forward fold, the rows the outer fit may use (its train and early-stopping
windows, which end where labels stop being known at the first test bar) are split again by the same
purged rule (`core.splits.walk_forward_folds`): inner train, inner early-stopping window, a purge gap
of ``horizon`` rows, then the inner validation rows the trial is scored on. Nothing at or after the
outer test window is ever indexed; `TrialScore.last_row` reports the last row read so the tests can
check exactly that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from core import forecasters
from core.backtest.strategy import net_returns, positions
from core.backtest.walkforward import Market, Settings
from core.policy.stats import sharpe
from core.splits import Fold, walk_forward_folds

INNER_VALIDATION = 0.3  # share of each outer fit window kept to score trials
EPS = 1e-6


@dataclass(frozen=True)
class TrialScore:
    """A configuration on one outer fold's inner validation rows."""

    fold: int  # 1-based, the time axis of early stopping
    loss: float  # log loss of P(up) on the inner validation rows
    accuracy: float
    sharpe: float  # per-bar Sharpe of the long/short strategy after costs on those rows
    last_row: int  # the last labelled row this fold's fit or score read


def inner_fold(outer: Fold, horizon: int, fraction: float = INNER_VALIDATION, valid_fraction: float = 0.2) -> Fold:
    """The purged inner split of ``outer``'s fit rows (train and early-stopping window, never its test)."""
    begin, end = outer.train.start, outer.valid.stop
    n = end - begin
    inner = walk_forward_folds(n, horizon, start=1 - fraction, refit_every=n, valid_fraction=valid_fraction)[0]

    def shift(r: range) -> range:
        return range(r.start + begin, r.stop + begin, r.step)
    return Fold(shift(inner.train), shift(inner.valid), shift(inner.test))


def _score(p_up: np.ndarray, direction: np.ndarray, hold: np.ndarray, cost: float) -> tuple[float, float, float]:
    p = np.clip(p_up, EPS, 1 - EPS)
    loss = float(-np.mean(direction * np.log(p) + (1 - direction) * np.log(1 - p)))
    accuracy = float(np.mean((p > 0.5) == (direction > 0.5)))
    return loss, accuracy, sharpe(net_returns(positions(p, "long_short"), hold, cost))


def trial_scores(model_id: str, params: dict[str, Any], market: Market, folds: list[Fold], settings: Settings,
                 overrides: dict[str, Any] | None = None) -> Iterator[TrialScore]:
    """Fit ``params`` on each outer fold's inner train rows and score it on its inner validation rows."""
    features, targets = market.dataset.features, market.dataset.targets
    close = market.candles["close"]
    hold_all = (close.shift(-settings.horizon) / close - 1.0).reindex(features.index).to_numpy()
    for number, outer in enumerate(folds, start=1):
        inner = inner_fold(outer, settings.horizon, valid_fraction=settings.valid_fraction)
        model = forecasters.create_for(model_id, settings.horizon, **{**(overrides or {}), **params})
        model.fit(features.iloc[inner.train.start:inner.train.stop], targets.iloc[inner.train.start:inner.train.stop],
                  features.iloc[inner.valid.start:inner.valid.stop], targets.iloc[inner.valid.start:inner.valid.stop],
                  seed=settings.seed)
        first = max(0, inner.test.start - model.context_rows)
        rows = features.iloc[first:inner.test.stop]
        p_up = model.predict(rows)["p_up"].to_numpy()[inner.test.start - first:]
        scored = slice(inner.test.start, inner.test.stop)
        loss, accuracy, ratio = _score(p_up, targets["direction"].to_numpy()[scored], hold_all[scored],
                                       settings.cost_per_side)
        yield TrialScore(number, loss, accuracy, ratio, inner.test.stop - 1)
