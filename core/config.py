"""Where Lydian reads bundled data and writes its caches.

Both are environment-configurable so tests, CI and users can point them elsewhere:
- ``LYDIAN_DATA_DIR``: bundled read-only candles (default: ``data/`` in the project).
- ``LYDIAN_HOME``: writable state such as the exchange cache (default: ``.lydian/`` in the project).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """Folder of bundled parquet candles."""
    return Path(os.environ.get("LYDIAN_DATA_DIR", PROJECT_ROOT / "data"))


def home_dir() -> Path:
    """Writable folder for caches; created on first use."""
    path = Path(os.environ.get("LYDIAN_HOME", PROJECT_ROOT / ".lydian"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(*parts: str) -> Path:
    """A sub-folder of the home dir, created on first use."""
    path = home_dir().joinpath("cache", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def artifacts_dir() -> Path:
    """Root of the on-disk model registry (``LYDIAN_ARTIFACTS``, default ``artifacts/`` in the project)."""
    path = Path(os.environ.get("LYDIAN_ARTIFACTS", PROJECT_ROOT / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
