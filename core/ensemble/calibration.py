"""Making P(up) mean what it says: Platt, isotonic and temperature scaling, and how to check.

A calibrator is fitted on held-out predictions only (never the rows the models trained on); the
reliability diagram bins predictions and compares each bin's mean prediction with how often the
market actually went up, and the expected calibration error (ECE) is the count-weighted gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from core.ensemble.combiners import EPS, EnsembleError, logit

CALIBRATIONS = ("none", "platt", "isotonic", "temperature")


@dataclass
class Calibrator:
    method: str = "platt"

    def __post_init__(self) -> None:
        if self.method not in CALIBRATIONS:
            raise EnsembleError(f"unknown calibration {self.method!r}; choose from {', '.join(CALIBRATIONS)}")

    def fit(self, p: np.ndarray, y: np.ndarray) -> Self:
        p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if self.method == "platt":
            platt = LogisticRegression(C=1e6, max_iter=1000).fit(logit(p)[:, None], y.astype(int))
            self.slope_, self.intercept_ = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        elif self.method == "isotonic":
            iso = IsotonicRegression(y_min=EPS, y_max=1 - EPS, out_of_bounds="clip").fit(p, y)
            self.knots_x_, self.knots_y_ = iso.X_thresholds_.astype(np.float64), iso.y_thresholds_.astype(np.float64)
        elif self.method == "temperature":
            z = logit(p)

            def loss(t: float) -> float:
                q = np.clip(1 / (1 + np.exp(-z / t)), EPS, 1 - EPS)
                return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))

            self.temperature_ = float(minimize_scalar(loss, bounds=(0.05, 20.0), method="bounded").x)
        return self

    def transform(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=np.float64)
        if self.method == "platt":  # predict_proba's own maths, without its input checks (0.5 ms a live signal)
            out = 1 / (1 + np.exp(-(self.slope_ * logit(p) + self.intercept_)))
        elif self.method == "isotonic":  # IsotonicRegression.predict: linear between knots, clipped outside
            out = np.interp(p, self.knots_x_, self.knots_y_)
        elif self.method == "temperature":
            out = 1 / (1 + np.exp(-logit(p) / self.temperature_))
        else:
            out = p
        return np.clip(out, EPS, 1 - EPS)

    def to_dict(self) -> dict[str, Any]:
        """The fitted calibration as JSON-able numbers."""
        if self.method == "platt":
            return {"method": self.method, "slope": self.slope_, "intercept": self.intercept_}
        if self.method == "isotonic":
            return {"method": self.method, "x": self.knots_x_.tolist(), "y": self.knots_y_.tolist()}
        if self.method == "temperature":
            return {"method": self.method, "temperature": self.temperature_}
        return {"method": self.method}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> "Calibrator":
        try:
            calibrator = cls(state["method"])
            if calibrator.method == "platt":
                calibrator.slope_, calibrator.intercept_ = float(state["slope"]), float(state["intercept"])
            elif calibrator.method == "isotonic":
                calibrator.knots_x_ = np.asarray(state["x"], dtype=np.float64)
                calibrator.knots_y_ = np.asarray(state["y"], dtype=np.float64)
                if calibrator.knots_x_.shape != calibrator.knots_y_.shape or not len(calibrator.knots_x_):
                    raise ValueError("knots of different lengths")
            elif calibrator.method == "temperature":
                calibrator.temperature_ = float(state["temperature"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EnsembleError(f"a saved calibration is incomplete or malformed ({exc})") from None
        return calibrator


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per equal-width bin of P(up): count, mean prediction and observed up frequency (empty bins dropped)."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    which = np.clip((p * bins).astype(int), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "p": p, "y": y}).groupby("bin")
    table = pd.DataFrame({"count": frame.size(), "mean_predicted": frame["p"].mean(), "observed": frame["y"].mean()})
    table.index = [f"{b / bins:.1f}-{(b + 1) / bins:.1f}" for b in table.index]
    return table


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    table = reliability(p, y, bins)
    if table.empty:
        return float("nan")
    gap = (table["mean_predicted"] - table["observed"]).abs()
    return float((gap * table["count"]).sum() / table["count"].sum())
