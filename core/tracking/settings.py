"""Tracking settings, read from the environment at each call so tests and faces can switch them."""

from __future__ import annotations

import os
from pathlib import Path

from core.config import home_dir

OFF = ("off", "0", "false", "no")


def enabled() -> bool:
    """Whether runs are logged at all (``LYDIAN_TRACKING``, on by default)."""
    return os.environ.get("LYDIAN_TRACKING", "on").strip().lower() not in OFF


def tensorboard_enabled() -> bool:
    """TensorBoard curves follow tracking, and ``LYDIAN_TENSORBOARD=off`` turns them off alone."""
    return enabled() and os.environ.get("LYDIAN_TENSORBOARD", "on").strip().lower() not in OFF


def mlflow_home() -> Path:
    path = home_dir() / "mlflow"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tracking_uri() -> str:
    """``LYDIAN_MLFLOW_URI``, else a SQLite store in ``LYDIAN_HOME`` (no server to run)."""
    return os.environ.get("LYDIAN_MLFLOW_URI", "").strip() or f"sqlite:///{mlflow_home() / 'mlflow.db'}"


def artifact_root() -> str | None:
    """Where a local store keeps artifacts (``LYDIAN_HOME``); a tracking server decides its own."""
    if tracking_uri().startswith(("http://", "https://", "databricks")):
        return None
    path = mlflow_home() / "artifacts"
    path.mkdir(exist_ok=True)
    return path.as_uri()


def tensorboard_root() -> Path:
    return home_dir() / "tensorboard"
