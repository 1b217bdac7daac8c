"""Explanations: why a forecast says what it says.

    from core.explain import explain, global_importance, lime_explain, attention

- `explain`: SHAP values of one forecast's log-odds of P(up), by feature, feature group and lag
  (TreeExplainer for the boosters, GradientExplainer for the nets, KernelExplainer otherwise).
- `global_importance`: mean |SHAP| over a sample of the test window.
- `lime_explain`: LIME's local linear surrogate (our own implementation of the method) as a second opinion.
- `attention`: attention weights over the window, for the nets that have them.
SHAP and LIME results are cached in memory and on disk (`core.explain.cache`).
"""

from core.explain._inputs import ExplainError
from core.explain.attention import AttentionWeights, attention, attention_models
from core.explain.cache import cache_info, clear_memory
from core.explain.lime import LimeExplanation, lime_explain
from core.explain.shapley import Explanation, GlobalImportance, explain, global_importance

__all__ = [
    "AttentionWeights",
    "ExplainError",
    "Explanation",
    "GlobalImportance",
    "LimeExplanation",
    "attention",
    "attention_models",
    "cache_info",
    "clear_memory",
    "explain",
    "global_importance",
    "lime_explain",
]
