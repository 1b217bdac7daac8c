"""The model zoo: one `Model` interface, a registry of 19 models, one shared trainer, a safe store.

    from core.models import create, model_ids, ModelStore, Key, train_models

Torch and the boosting libraries load when a model is first built, not on import.
"""

from core.models.base import Model, NotFittedError
from core.models.registry import UnknownModelError, create, model_ids, resolve_ids, spec
from core.models.store import Key, ModelFileError, ModelStore
from core.models.training import TrainReport, train_models

__all__ = [
    "Key",
    "Model",
    "ModelFileError",
    "ModelStore",
    "NotFittedError",
    "TrainReport",
    "UnknownModelError",
    "create",
    "model_ids",
    "resolve_ids",
    "spec",
    "train_models",
]
