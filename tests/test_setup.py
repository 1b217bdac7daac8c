"""The two set-up commands: pinned CPU-only dependencies, and no reinstall when nothing changed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAMP = ROOT / ".venv" / ".installed"


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"unpinned requirement: {line}"
            pins[name.lower()] = version
    return pins


def test_every_requirement_is_pinned_and_torch_is_the_cpu_wheel() -> None:
    pins = _requirements()
    assert pins["torch"] == "2.13.0"
    assert "xgboost-cpu" in pins and "xgboost" not in pins


def test_ci_runs_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in script and "make test" in script
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


@pytest.mark.skipif(not STAMP.exists() or shutil.which("make") is None, reason="installed without make (no stamp)")
@pytest.mark.parametrize("target", ["run", "test"])
def test_make_does_not_reinstall_when_nothing_changed(target: str) -> None:
    if any(STAMP.stat().st_mtime < (ROOT / f).stat().st_mtime for f in ("requirements.txt", "requirements-lock.txt", "pyproject.toml")):
        pytest.skip("requirements changed since the last install; make would rightly reinstall")
    plan = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "pip install" not in plan
    assert ("streamlit run app/Home.py" if target == "run" else "pytest") in plan
