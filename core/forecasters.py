"""Every forecaster Lydian knows: single models, baselines, the ensemble and the families above core.models.

`core.models.registry` holds the table; families that live in higher packages register
themselves when imported. Importing this module imports them all, so code that may meet any
forecaster (the backtest, the service, the faces, the shared contract tests) reads the registry
through here and never misses one.
"""

from __future__ import annotations

import core.ensemble.model  # noqa: F401  (registers "ensemble")
import core.quantum  # noqa: F401  (registers the quantum-kernel forecasters and their twins, issue 27)
import core.statistical  # noqa: F401  (registers the statistical models, issue 21)
import core.vision  # noqa: F401  (registers the chart-image forecasters, issue 23)
from core.models.registry import (
    ModelSpec, UnknownModelError, create, create_for, forecaster_ids, model_ids, parameter_count, registry, resolve_ids,
    spec, trainable_families, trainable_ids,
)

__all__ = [
    "ModelSpec", "UnknownModelError", "create", "create_for", "forecaster_ids", "model_ids", "parameter_count", "registry",
    "resolve_ids", "spec", "trainable_families", "trainable_ids",
]
