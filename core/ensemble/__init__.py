"""Ensemble: weighting, stacking, voting, bagging, BMA, calibration and the BUY/SELL/HOLD signal.

`EnsembleModel` is a forecaster like any model (the walk-forward runs it as ``"ensemble"``);
`ensemble_signal` combines the stored, trained members of a market into the latest `Signal`;
`ensemble_signals` does it for many markets, their features built side by side.
"""

from core.ensemble.calibration import CALIBRATIONS, Calibrator, expected_calibration_error, reliability
from core.ensemble.combiners import METHODS, Combiner, EnsembleError, bma_weights, skill_weights
from core.ensemble.live import ensemble_signal, ensemble_signals, trained_members
from core.ensemble.model import DEFAULT_MEMBERS, ENSEMBLE, EnsembleConfig, EnsembleModel
from core.ensemble.signal import Signal, SignalSettings, make_signal, time_horizon

__all__ = [
    "CALIBRATIONS",
    "DEFAULT_MEMBERS",
    "ENSEMBLE",
    "METHODS",
    "Calibrator",
    "Combiner",
    "EnsembleConfig",
    "EnsembleError",
    "EnsembleModel",
    "Signal",
    "SignalSettings",
    "bma_weights",
    "ensemble_signal",
    "ensemble_signals",
    "expected_calibration_error",
    "make_signal",
    "reliability",
    "skill_weights",
    "time_horizon",
    "trained_members",
]
