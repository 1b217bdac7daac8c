"""Index arithmetic of the splits: no overlap, purge and embargo respected, every test row predicted once."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from core.splits import chronological_split, first_test_row, fit_end, purged_kfold, walk_forward_folds
from core.errors import DataError


@pytest.mark.parametrize("horizon", [1, 4, 24])
def test_chronological_split_is_ordered_and_purged(horizon: int) -> None:
    split = chronological_split(1000, horizon)
    assert split.train.start == 0 and split.test.stop == 1000
    assert split.train.stop == 600 - horizon + 1 and split.valid.start == 600  # last train label ends at row 600
    assert split.valid.stop == 800 - horizon + 1 and split.test.start == 800
    # the label of row t reaches row t + horizon: no training or validation label crosses into the next window
    assert split.train[-1] + horizon <= split.valid.start
    assert split.valid[-1] + horizon <= split.test.start


def test_chronological_split_refuses_too_few_rows() -> None:
    with pytest.raises(DataError, match="too few"):
        chronological_split(10, 24)


@pytest.mark.parametrize("window", ["expanding", "rolling"])
@pytest.mark.parametrize(("horizon", "step", "refit"), [(1, 1, 50), (4, 1, 7), (24, 3, 10), (2, 5, 1)])
def test_walk_forward_predicts_every_row_once_with_purged_fits(window: str, horizon: int, step: int, refit: int) -> None:
    n = 1200
    folds = walk_forward_folds(n, horizon, start=0.5, step=step, refit_every=refit, window=window, train_size=300)
    predicted = np.concatenate([np.asarray(f.test) for f in folds])
    assert predicted.tolist() == list(range(600, n, step))  # each forecast row exactly once, in order
    for fold in folds:
        assert len(fold.test) <= refit
        first = fold.test[0]
        # every label the fit sees is known before the first row it predicts: t + horizon <= first
        assert fold.valid[-1] + horizon <= first and fold.valid.stop == fit_end(first, horizon)
        assert fold.train[-1] + horizon <= fold.valid.start  # training labels do not reach the validation rows
        assert set(fold.train).isdisjoint(fold.test) and set(fold.valid).isdisjoint(fold.test)
        if window == "rolling":
            assert fold.valid.stop - fold.train.start <= 300
        else:
            assert fold.train.start == 0


def test_walk_forward_refits_every_k_forecasts() -> None:
    folds = walk_forward_folds(1000, 1, start=500, refit_every=100)
    assert [f.test.start for f in folds] == [500, 600, 700, 800, 900]
    assert [f.valid.stop for f in folds] == [500, 600, 700, 800, 900]  # each fit sees up to the bar before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": 100}, "only 100 labelled rows"),
        ({"start": 1.5}, "whole row number"),
        ({"refit_every": 0}, "refit_every"),
        ({"window": "sliding"}, "window must be"),
        ({"window": "rolling"}, "train_size"),
        ({"start": 2}, "training rows"),
    ],
)
def test_walk_forward_rejects_bad_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        walk_forward_folds(100, 1, **kwargs)


@pytest.mark.parametrize(("horizon", "embargo"), [(1, None), (5, None), (5, 12)])
def test_purged_kfold_purges_and_embargoes(horizon: int, embargo: int | None) -> None:
    n, k = 500, 5
    folds = purged_kfold(n, k, horizon, embargo)
    tested = np.concatenate([np.asarray(test) for _, test in folds])
    assert sorted(tested.tolist()) == list(range(n))  # every row tested exactly once
    gap = horizon if embargo is None else embargo
    for train, test in folds:
        lo, hi = test.start, test.stop
        assert not set(train.tolist()) & set(test)
        before, after = train[train < lo], train[train >= hi]
        assert before.size == 0 or before.max() + horizon <= lo  # purge: no training label reaches the test block
        assert after.size == 0 or after.min() >= hi + gap  # embargo after the test block
        assert len(train) == n - len(test) - min(horizon - 1, lo) - min(gap, n - hi)


def test_purged_kfold_refuses_an_embargo_below_the_horizon() -> None:
    with pytest.raises(DataError, match="at least the horizon"):
        purged_kfold(100, 4, horizon=5, embargo=2)


def test_a_start_time_is_the_first_bar_at_or_after_it() -> None:
    index = pd.date_range("2024-01-01", periods=1000, freq="h", tz="UTC")
    assert first_test_row(1000, pd.Timestamp("2024-01-11 00:00", tz="UTC"), index) == 240
    assert first_test_row(1000, datetime(2024, 1, 11, 0, 20), index) == 241  # naive is UTC; between bars: the next
    assert first_test_row(1000, pd.Timestamp("2024-01-11 02:00", tz="Europe/Paris"), index) == 241
    folds = walk_forward_folds(1000, 1, start=pd.Timestamp("2024-01-21", tz="UTC"), refit_every=100, index=index)
    assert folds[0].test.start == 480
    with pytest.raises(DataError, match="at or before the first labelled bar"):
        first_test_row(1000, pd.Timestamp("2023-12-31", tz="UTC"), index)
    with pytest.raises(DataError, match="after the last labelled bar"):
        first_test_row(1000, pd.Timestamp("2024-03-01", tz="UTC"), index)
    with pytest.raises(DataError, match="needs the bars' times"):
        first_test_row(1000, pd.Timestamp("2024-01-11", tz="UTC"))
