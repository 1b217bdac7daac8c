"""Market regimes and anomalies, strictly causal: detectors fitted on a window label only later bars.

`make` builds a detector from the registry `DETECTORS` (K-Means, DBSCAN, a forward-filtered
Gaussian HMM, Isolation Forest, one-class SVM, an autoencoder); `label_causally` walks it forward
on the forecasters' refit schedule; `summary` describes the result; `save_detector`/`load_detector`
store a fit without pickle.
"""

from core.regimes.base import DETECTORS, KINDS, Detector, make, register
from core.regimes.errors import RegimeError
from core.regimes.inputs import regime_inputs
from core.regimes.store import load_detector, save_detector
from core.regimes.summary import regime_table, summary, transition_matrix
from core.regimes.uses import accuracy_by_regime, anomaly_metrics, stand_aside
from core.regimes.walk import Labelled, label_causally


def methods() -> tuple[str, ...]:
    """Every registered detector name (importing their modules registers them)."""
    from core.regimes import anomaly, clusters, quantum_kernel  # noqa: F401

    return tuple(sorted(DETECTORS))


__all__ = ["DETECTORS", "KINDS", "Detector", "Labelled", "RegimeError", "accuracy_by_regime", "anomaly_metrics",
           "label_causally", "load_detector", "make",
           "methods", "regime_inputs", "regime_table", "register", "save_detector", "stand_aside", "summary",
           "transition_matrix"]
