"""Shared fixtures: the bundled data folder, an isolated LYDIAN_HOME, and the app folder on sys.path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data" / "ohlcv"
sys.path.insert(0, str(ROOT / "app"))  # the pages import their helpers as Streamlit does: by bare name
# One thread per test process, under xdist or not, whatever the shell says: float rounding in torch
# (oneDNN, MKL) and the boosters depends on the thread count, so a seeded fit gives the same figures
# alone, under `-n 2` and in any order (cnn_multiscale scored 0.5387 on one thread, 0.5400 on two).
# Also faster: two workers on two cores, and OpenMP with a busy second core is 10-30x slower.
os.environ["LYDIAN_TORCH_THREADS"] = "1"
os.environ["LYDIAN_BOOSTER_THREADS"] = "1"
os.environ.setdefault("LYDIAN_FIRST_VISIT_TRAINING", "0")  # the Forecast page's own test turns it on
os.environ["LYDIAN_TRACKING"] = "off"  # MLflow's first SQLite call costs ~2 s; tests/test_tracking.py turns it on


@pytest.fixture(scope="session")
def bundled_dir() -> Path:
    return ROOT / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches and models written by a test go to temporary folders, never the developer's."""
    monkeypatch.setenv("LYDIAN_HOME", str(tmp_path_factory.mktemp("lydian_home")))
    monkeypatch.setenv("LYDIAN_ARTIFACTS", str(tmp_path_factory.mktemp("artifacts")))
