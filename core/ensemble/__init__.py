"""Ensemble: weighting, stacking, voting, bagging, BMA, calibration and the BUY/SELL/HOLD signal.

`EnsembleModel` is a forecaster like any model: the walk-forward runs it as ``"ensemble"``, training
stores it as one versioned artifact with its members, and `ensemble_signal` turns the stored one
into the latest `Signal` (`ensemble_signals`: many markets, their features built side by side).
"""

from core.ensemble.calibration import CALIBRATIONS, Calibrator, expected_calibration_error, reliability
from core.ensemble.combiners import (
    METHOD_DESCRIPTIONS, METHODS, Combiner, EnsembleError, bma_weights, hedge_weights, skill_weights,
)
from core.ensemble.live import NotTrainedError, ensemble_signal, ensemble_signals, trained_ensemble
from core.ensemble.model import DEFAULT_MEMBERS, ENSEMBLE, CalibrationCheck, EnsembleConfig, EnsembleModel
from core.ensemble.signal import Signal, SignalSettings, make_signal, time_horizon

__all__ = [
    "CALIBRATIONS",
    "DEFAULT_MEMBERS",
    "ENSEMBLE",
    "METHODS",
    "METHOD_DESCRIPTIONS",
    "CalibrationCheck",
    "Calibrator",
    "Combiner",
    "EnsembleConfig",
    "EnsembleError",
    "EnsembleModel",
    "NotTrainedError",
    "Signal",
    "SignalSettings",
    "bma_weights",
    "hedge_weights",
    "ensemble_signal",
    "ensemble_signals",
    "expected_calibration_error",
    "make_signal",
    "reliability",
    "skill_weights",
    "time_horizon",
    "trained_ensemble",
]
