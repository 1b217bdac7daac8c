"""Capability tags: what a forecaster can do, read by the backtest, explain, the faces and the tests.

Callers ask ``"tree" in spec(model_id).tags`` instead of checking a concrete class or probing for
a private method, so a new family declares what it supports in one place and every consumer
follows (scikit-learn's estimator tags, Darts' ``supports_*`` properties).
"""

from __future__ import annotations

SEQUENCE = "sequence"  # reads (lookback x features) windows ending at the forecast bar
TREE = "tree"  # tree ensemble: SHAP's TreeExplainer via `Model.tree_margin` / `Model.tree_learner`
GRADIENT = "gradient"  # differentiable torch module: SHAP's GradientExplainer via `Model.logit_module`
KERNEL = "kernel"  # model-agnostic explanations (KernelExplainer, LIME) on tabular rows
ATTENTION = "attention"  # exposes attention weights over its look-back window
ONNX = "onnx"  # live forecasts may run through a verified ONNX graph
STORABLE = "storable"  # saved and loaded as a versioned, checksummed artifact
TRAINABLE = "trainable"  # has parameters worth training and storing (not a baseline)
COMBINER = "combiner"  # combines other forecasters' forecasts (the ensembles)
BASELINE = "baseline"  # a naive forecast every model must beat
PROBABILISTIC = "probabilistic"  # gives 80/95 % intervals (`predict_with_intervals`), not just P(up) and a point return
RETURN_FORECAST = "return_forecast"  # expected_return is a forecast, scored against the random walk (MASE, DM)
MULTI_SERIES = "multi_series"  # one fit over several markets
EXOGENOUS_TEXT = "exogenous_text"  # reads point-in-time text features (sentiment)
POLICY = "policy"  # outputs positions, not forecasts
MULTI_HORIZON = "multi_horizon"  # forecasts HORIZON_STEPS multiples of its horizon at once: `predict_horizons(features)`
QUANTILES = "quantiles"  # its intervals are learnt return quantiles (pinball loss), not a fitted error model

INTERVALS = ("lo_80", "hi_80", "lo_95", "hi_95")  # columns PROBABILISTIC's `predict_with_intervals` adds
HORIZON_STEPS = (1, 4, 24)  # MULTI_HORIZON: 1, 4 and 24 times the model's horizon (1h, 4h and 1d on 1h bars)

ALL = frozenset({
    SEQUENCE, TREE, GRADIENT, KERNEL, ATTENTION, ONNX, STORABLE, TRAINABLE, COMBINER, BASELINE,
    PROBABILISTIC, RETURN_FORECAST, MULTI_SERIES, EXOGENOUS_TEXT, POLICY, MULTI_HORIZON, QUANTILES,
})
