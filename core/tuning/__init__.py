"""Hyper-parameter tuning nested inside the purged walk-forward (Ray Tune + Optuna TPE, ASHA early stopping)."""

from core.tuning.spaces import SEARCHES, SPACES, Param, TuningError, default_search, space_for
from core.tuning.walk import TuneResult, tune_walk_forward

__all__ = ["SEARCHES", "SPACES", "Param", "TuneResult", "TuningError", "default_search", "space_for",
           "tune_walk_forward"]
