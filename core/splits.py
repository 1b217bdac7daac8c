"""Row arithmetic of honest evaluation: chronological, walk-forward and purged k-fold splits.

Positions index the labelled rows of a `Dataset`, in time order. The label of row t covers bars
t+1 .. t+h, so it is only known once bar t+h has closed. A row may train a model that predicts
row i only if its label is known at i, that is t <= i - h (López de Prado's purge); `fit_end`
gives that bound. Purged k-fold also drops an embargo of rows after each test block, because
their features overlap the test labels.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from core.errors import DataError

WINDOWS = ("expanding", "rolling")
Start = float | int | datetime  # a fraction of the labelled rows, a row number, or a time (first bar at or after)


@dataclass(frozen=True)
class Split:
    """Row positions (half-open ranges) of the train, validation and test windows."""

    train: range
    valid: range
    test: range


@dataclass(frozen=True)
class Fold:
    """One refit of a walk-forward: fit on ``train`` (early-stop on ``valid``), then predict ``test``."""

    train: range
    valid: range
    test: range  # a stepped range: the rows predicted by this fit


def fit_end(boundary: int, horizon: int) -> int:
    """Exclusive end of the rows whose labels are known when row ``boundary`` is forecast."""
    return boundary - horizon + 1


def check_horizon(horizon: int) -> None:
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
        raise DataError(f"horizon must be a positive whole number of bars, got {horizon!r}")


def chronological_split(n_rows: int, horizon: int, train: float = 0.6, valid: float = 0.2) -> Split:
    """60/20/20 (by default) in time order, each earlier window purged of labels that cross into the next."""
    if not (0 < train < 1 and 0 < valid < 1 and train + valid < 1):
        raise DataError(f"split fractions must be positive and sum below 1, got train={train} valid={valid}")
    check_horizon(horizon)
    train_end = int(n_rows * train)
    valid_end = int(n_rows * (train + valid))
    split = Split(
        range(0, fit_end(train_end, horizon)), range(train_end, fit_end(valid_end, horizon)), range(valid_end, n_rows)
    )
    if min(len(split.train), len(split.valid), len(split.test)) < 1:
        raise DataError(f"{n_rows} labelled rows are too few to split with a {horizon}-bar purge gap")
    return split


def first_test_row(n_rows: int, start: Start, index: pd.DatetimeIndex | None = None) -> int:
    """``start`` as a row: a fraction of the series (0 < start < 1), a row count (whole number >= 1), or a time.

    A time (naive means UTC) is the first bar of ``index`` (the labelled rows' times) at or after it,
    so people can say where the test begins in the dates they think in; one outside the bars is refused.
    """
    if isinstance(start, datetime):
        return _row_at(start, index)
    if isinstance(start, bool) or not isinstance(start, numbers.Real):
        raise DataError(f"start must be a fraction of the series, a row number or a time, got {start!r}")
    if 0 < start < 1:
        return int(n_rows * start)
    if start >= 1 and float(start).is_integer():
        return int(start)
    raise DataError(f"start must be a fraction between 0 and 1 or a whole row number >= 1, got {start!r}")


def _row_at(start: datetime, index: pd.DatetimeIndex | None) -> int:
    """The first row at or after ``start``; a time before the first bar or after the last one is an error."""
    if index is None or len(index) == 0:
        raise DataError("a start time needs the bars' times to find its row")
    moment = pd.Timestamp(start)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    if index.tz is None:
        moment = moment.tz_localize(None)
    first, last = index[0], index[-1]
    if moment <= first:
        raise DataError(f"start {moment:%Y-%m-%d %H:%M} UTC is at or before the first labelled bar "
                        f"({first:%Y-%m-%d %H:%M}): the models need earlier bars to train on; choose a later start")
    if moment > last:
        raise DataError(f"start {moment:%Y-%m-%d %H:%M} UTC is after the last labelled bar ({last:%Y-%m-%d %H:%M}); "
                        "choose an earlier start or load more recent data")
    return int(index.searchsorted(moment, side="left"))


def walk_forward_folds(
    n_rows: int, horizon: int, *, start: Start = 0.5, step: int = 1, refit_every: int = 168,
    window: str = "expanding", train_size: int | None = None, valid_fraction: float = 0.2,
    index: pd.DatetimeIndex | None = None,
) -> list[Fold]:
    """Refit points and what each fit may see; every row from ``start`` on (every ``step``-th) is predicted once.

    The model is refit before every ``refit_every`` predictions. Its data ends at `fit_end` of the
    first row it predicts; an expanding window starts at row 0, a rolling one ``train_size`` rows
    earlier. The last ``valid_fraction`` of that data drives early stopping, purged from the training part.
    ``index`` (the rows' times) is needed only when ``start`` is a time.
    """
    check_horizon(horizon)
    for name, value in (("step", step), ("refit_every", refit_every)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise DataError(f"{name} must be a positive whole number, got {value!r}")
    if window not in WINDOWS:
        raise DataError(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")
    if window == "rolling" and (train_size is None or train_size < 2):
        raise DataError("a rolling window needs train_size, the number of rows each fit sees")
    if not 0 < valid_fraction < 1:
        raise DataError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
    first = first_test_row(n_rows, start, index)
    if first >= n_rows:
        raise DataError(f"the walk-forward starts at row {first} but there are only {n_rows} labelled rows")
    predicted = range(first, n_rows, step)
    folds = []
    for block in range(0, len(predicted), refit_every):
        test = predicted[block : block + refit_every]
        end = fit_end(test[0], horizon)
        begin = max(0, end - train_size) if window == "rolling" else 0
        valid_start = end - max(1, int((end - begin) * valid_fraction))
        train = range(begin, fit_end(valid_start, horizon))
        if len(train) < 2:
            raise DataError(
                f"the first fit would see only {max(len(train), 0)} training rows; start later (start={start}) "
                "or use a longer series"
            )
        folds.append(Fold(train, range(valid_start, end), test))
    return folds


def purged_kfold(
    n_rows: int, n_splits: int, horizon: int, embargo: int | None = None
) -> list[tuple[np.ndarray, range]]:
    """K contiguous test blocks; each trains on the rest minus purged and embargoed rows.

    Rows before a test block are purged when their labels reach into it; ``embargo`` (default and
    minimum: ``horizon``) rows after it are dropped too. Every row is tested exactly once.
    """
    check_horizon(horizon)
    embargo = horizon if embargo is None else embargo
    if embargo < horizon:
        raise DataError(f"embargo ({embargo}) must be at least the horizon ({horizon}) so no label overlaps")
    if n_splits < 2 or n_splits > n_rows:
        raise DataError(f"n_splits must be between 2 and the {n_rows} rows, got {n_splits}")
    edges = np.linspace(0, n_rows, n_splits + 1).astype(int)
    folds = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        rows = np.arange(n_rows)
        keep = (rows < fit_end(lo, horizon)) | (rows >= hi + embargo)
        folds.append((rows[keep], range(int(lo), int(hi))))
    return folds
