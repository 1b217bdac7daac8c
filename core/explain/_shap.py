"""The three SHAP backends. Every one explains the LOG-ODDS of P(up), so their numbers compare.

- ``tree`` (tagged ``tree``: XGBoost, LightGBM, CatBoost): `shap.TreeExplainer` on the direction classifier
  that `Model.tree_learner` gives, ``feature_perturbation="tree_path_dependent"``: exact, no background
  needed (the trees' own training cover is the baseline), and it explains the raw margin, which is the
  log-odds. Additive to float precision: base + sum(values) equals `Model.tree_margin`, the library's
  own margin (XGBoost computes in float32).
- ``gradient`` (tagged ``gradient``: the torch nets): `shap.GradientExplainer` (expected gradients) on
  `Model.logit_module` over a background of real windows. Values have a lag axis; additivity holds
  only in expectation, so the gap is reported. DeepExplainer is not used: on gru_attention,
  transformer_standard and even cnn_standard, shap 0.51's DeepExplainer fails its own additivity
  check (unsupported operators).
- ``kernel`` (any model tagged ``kernel``): `shap.KernelExplainer` over the model's P(up) with
  ``link="logit"``; additive by construction (shap keeps its default ``num_features(10)`` L1 selection).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.explain._inputs import ExplainError, Inputs
from core.lru import Lru
from core.models import capabilities as cap
from core.models.base import Model

METHODS = ("tree", "gradient", "kernel")
# id(learner) -> (learner, explainer); parsing 100 trees costs ~30 ms, explaining one row ~1 ms
_TREE_EXPLAINERS: Lru[tuple[Any, Any]] = Lru(8)


@dataclass(frozen=True)
class Attributions:
    """SHAP values of n inputs: (n, features) or (n, lookback, features), in log-odds of P(up)."""

    values: np.ndarray
    base: float  # expected log-odds over the background (or the training data, for trees)
    output: np.ndarray  # (n,) the model's log-odds the values explain
    method: str


def pick_method(model: Model, method: str) -> str:
    """``auto`` -> the fastest exact-enough backend for the model; a forced one must fit the model."""
    native = "tree" if cap.TREE in model.tags else "gradient" if cap.GRADIENT in model.tags else "kernel"
    if method == "auto":
        if native == "kernel" and cap.KERNEL not in model.tags:
            raise ExplainError(f"{model.model_id}: no SHAP backend fits it (it is tagged neither tree, gradient nor kernel)")
        return native
    if method not in METHODS:
        raise ExplainError(f"unknown SHAP method {method!r}; use auto, {', '.join(METHODS)}")
    if method != native and not (method == "kernel" and cap.KERNEL in model.tags):
        raise ExplainError(f"{model.model_id}: SHAP method {method!r} does not apply; use auto ({native})")
    return method


def attributions(inputs: Inputs, x: np.ndarray, *, method: str, background: int, last: int,
                 nsamples: int | None, seed: int) -> Attributions:
    """SHAP values of the inputs ``x``; gradient and kernel compare with ``background`` inputs ending <= ``last``."""
    if method == "tree":
        return _tree(inputs.model, x)
    sample = inputs.background(background, last, seed)
    if method == "gradient":
        return _gradient(inputs.model, x, sample, nsamples or 200, seed)
    return _kernel(inputs, x, sample, nsamples)


def _tree_explainer(learner: Any) -> Any:
    import shap

    entry = _TREE_EXPLAINERS.get(id(learner))
    if entry is None or entry[0] is not learner:  # the learner is held, so its id cannot be reused meanwhile
        entry = (learner, shap.TreeExplainer(learner, feature_perturbation="tree_path_dependent"))
        _TREE_EXPLAINERS.put(id(learner), entry)
    return entry[1]


def _tree(model: Any, x: np.ndarray) -> Attributions:
    explainer = _tree_explainer(model.tree_learner())
    with warnings.catch_warnings():  # shap 0.51 warns of a list output for LightGBM, then returns an array
        warnings.filterwarnings("ignore", message="LightGBM binary classifier")
        values = explainer.shap_values(x)
    values = values[-1] if isinstance(values, list) else values  # a list is [class 0, class 1]
    values = values[..., -1] if values.ndim == 3 else values  # (n, features, classes) in some versions
    base = float(np.ravel(explainer.expected_value)[-1])
    return Attributions(np.asarray(values, dtype=np.float64), base, model.tree_margin(x), "tree")


def _gradient(model: Any, x: np.ndarray, background: np.ndarray, nsamples: int, seed: int) -> Attributions:
    import shap
    import torch

    logit = model.logit_module()
    device = next(logit.parameters()).device
    bg, xs = (torch.as_tensor(np.ascontiguousarray(a, np.float32), device=device) for a in (background, x))
    explainer = shap.GradientExplainer(logit, bg)
    with torch.backends.cudnn.flags(enabled=False):  # cuDNN refuses RNN backward in eval mode
        values = np.asarray(explainer.shap_values(xs, nsamples=nsamples, rseed=seed), dtype=np.float64)
    with torch.no_grad():
        base = float(logit(bg).double().mean())
        output = logit(xs).double()[:, 0].cpu().numpy()
    return Attributions(values[..., 0] if values.ndim == x.ndim + 1 else values, base, output, "gradient")


def _kernel(inputs: Inputs, x: np.ndarray, background: np.ndarray, nsamples: int | None) -> Attributions:
    import shap

    explainer = shap.KernelExplainer(inputs.probability, background, link="logit")
    values = np.asarray(explainer.shap_values(x, nsamples=nsamples or "auto", silent=True), dtype=np.float64)
    p = np.clip(inputs.probability(x), 1e-12, 1 - 1e-12)
    return Attributions(values, float(np.ravel(explainer.expected_value)[0]), np.log(p / (1 - p)), "kernel")
