"""Chronological splits with a purge gap, so no training label looks into a later window.

A label at row t covers bars t+1 .. t+h; the last h rows before a boundary therefore peek
across it and are dropped from the earlier window (López de Prado's purge).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import DataError


@dataclass(frozen=True)
class Split:
    """Row positions (half-open ranges) of the train, validation and test windows."""

    train: range
    valid: range
    test: range


def chronological_split(n_rows: int, horizon: int, train: float = 0.6, valid: float = 0.2) -> Split:
    """60/20/20 (by default) in time order, each earlier window purged of its last ``horizon`` rows."""
    if not (0 < train < 1 and 0 < valid < 1 and train + valid < 1):
        raise DataError(f"split fractions must be positive and sum below 1, got train={train} valid={valid}")
    if horizon < 1:
        raise DataError(f"horizon must be a positive number of bars, got {horizon}")
    train_end = int(n_rows * train)
    valid_end = int(n_rows * (train + valid))
    split = Split(range(0, train_end - horizon), range(train_end, valid_end - horizon), range(valid_end, n_rows))
    if min(len(split.train), len(split.valid), len(split.test)) < 1:
        raise DataError(f"{n_rows} labelled rows are too few to split with a {horizon}-bar purge gap")
    return split
