"""Ensemble: weighting, stacking, voting, calibration and the BUY/SELL/HOLD signal (issue: ensemble)."""
