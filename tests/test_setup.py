"""The two set-up commands: pinned CPU-only dependencies, and no reinstall when nothing changed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def _declared() -> dict[str, list[Requirement]]:
    """pyproject's requirements by group ('' = the core), extras that name other extras left out."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"": project["dependencies"], **project["optional-dependencies"]}
    return {group: [Requirement(r) for r in reqs if not r.startswith("lydian[")] for group, reqs in groups.items()}


def test_every_pin_is_declared_with_a_range_that_admits_it() -> None:
    declared = {canonicalize_name(r.name): r for reqs in _declared().values() for r in reqs}
    for name, version in _requirements().items():
        requirement = declared.get(canonicalize_name(name.split("[")[0]))
        assert requirement is not None, f"{name}=={version} is pinned in requirements.txt but not in pyproject.toml"
        assert requirement.specifier.contains(version), f"{requirement} does not admit the pin {version}"
        assert requirement.specifier.filter([version]) and "==" not in str(requirement.specifier), \
            f"{requirement}: pyproject declares a compatible range, the exact pin lives in requirements.txt"


def test_every_model_family_names_an_extra_that_installs_its_libraries() -> None:
    from importlib.metadata import packages_distributions

    from core import forecasters

    groups = _declared()
    distributions = packages_distributions()
    for spec in forecasters.registry().values():
        if not spec.requires:
            continue
        assert spec.extra in groups, f"{spec.model_id}: extra {spec.extra!r} is not in pyproject.toml"
        named = {canonicalize_name(r.name) for r in groups[spec.extra]}
        for module in spec.requires:
            dists = {canonicalize_name(d) for d in distributions.get(module.split(".")[0], [])}
            assert dists & named, f"{spec.model_id} needs {module} ({dists}); extra {spec.extra!r} has {named}"


def test_all_extra_names_every_group() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    everything = Requirement(project["optional-dependencies"]["all"][0])
    assert everything.extras == set(project["optional-dependencies"]) - {"all", "test"}


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
