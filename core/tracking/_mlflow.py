"""The MLflow client, built lazily (importing mlflow costs about a second) with telemetry off."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any

from core.errors import LydianError
from core.tracking.settings import artifact_root, tracking_uri

EXPERIMENT = "lydian"
KIND_TAG = "lydian.kind"


class TrackingUnavailable(LydianError):
    """The tracking store cannot be reached or mlflow is not installed."""


@lru_cache(maxsize=4)
def _client_for(uri: str) -> Any:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # keeps --json output and logs clean
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise TrackingUnavailable("tracking needs mlflow-skinny: pip install -e '.[scale]'") from None
    for name in ("alembic", "mlflow"):  # schema creation and store chatter stay off the terminal
        logging.getLogger(name).setLevel(logging.WARNING)
    return MlflowClient(tracking_uri=uri)


def client() -> Any:
    return _client_for(tracking_uri())


def experiment_id(create: bool = True) -> str | None:
    """The id of the one ``lydian`` experiment (runs are told apart by their kind tag); created on first use."""
    mlflow = client()
    found = mlflow.get_experiment_by_name(EXPERIMENT)
    if found is not None:
        return found.experiment_id
    if not create:
        return None
    try:
        return mlflow.create_experiment(EXPERIMENT, artifact_location=artifact_root())
    except Exception:  # another process created it between our two calls
        found = mlflow.get_experiment_by_name(EXPERIMENT)
        if found is None:
            raise
        return found.experiment_id
