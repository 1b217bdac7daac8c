"""The import layering of `core`, read from the code itself: no arrow points upward.

Every module under ``core/`` is parsed with `ast`; each import (top-level, inside a function, or
behind ``TYPE_CHECKING``) is mapped to its layer and compared with the importer's. A lower layer
never imports a higher one, so a new model family, evaluation or face plugs in above what it uses
without creating a loop. `core` is importable without Streamlit and never reaches into the
dashboard (`app/`).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"

# Package or module -> layer; the longest matching prefix decides. A module missing here fails
# `test_every_core_module_has_a_layer`: a new one is placed on purpose, not by accident.
LAYERS: dict[str, int] = {
    # 0 ground: errors, configuration, files, candles, splits, cache keys, small statistics
    "core": 0, "core.errors": 0, "core.config": 0, "core.io": 0, "core.lru": 0, "core.data": 0,
    "core.splits": 0, "core.fingerprint": 0, "core.stats": 0, "core.defaults": 0, "core.db": 0,
    "core.features": 1,
    "core.distributed": 1,  # Ray runtime and the serial/Ray map over jobs: the trainer (2) and the leaderboard (5) run on it
    "core.tracking": 1,  # MLflow runs and TensorBoard curves: the trainer (2) and the leaderboard (5) record into it
    "core.text": 1,  # point-in-time texts, scorers, Fear & Greed and the sentiment ablation (issue 26)
    "core.models": 2,
    "core.ensemble": 3, "core.statistical": 3,
    "core.vision": 3,  # chart images of candle windows and the image forecasters (issue 23)
    "core.regimes": 3,  # regime and anomaly detectors (clusters, HMM, forests, autoencoder) and their causal walk
    "core.quantum": 3, "core.quantum.problems": 5, "core.quantum.judge": 5,  # QUBOs, solvers, QML forecasters; problems read core.portfolio
    # 4 the one registry of forecasters (models, ensembles, baselines), and where each market's ensemble is kept
    "core.forecasters": 4, "core.ensemble_configs": 4,
    # 5 evaluation and analysis
    "core.backtest": 5, "core.explain": 5, "core.patterns": 5, "core.policy": 5, "core.portfolio": 5,
    "core.agents": 5,  # RL agents judged on the policy layer's execution and statistics
    "core.tuning": 5,  # hyper-parameter search nested in the walk-forward (Ray Tune), charged to the deflated Sharpe
    "core.service": 6,  # the façade every face calls
    "core.api": 7, "core.cli": 7,  # the faces in core (the dashboard, app/, is a face outside it)
}
FORBIDDEN = ("streamlit", "app")  # core never needs the dashboard or its framework


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def core_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(CORE.rglob("*.py"))}


def app_names() -> set[str]:
    """What `app/` offers as top-level names (its pages import their helpers by bare name)."""
    return {p.stem for p in (ROOT / "app").glob("*.py")} | {p.name for p in (ROOT / "app").iterdir() if p.is_dir()}


def layer(module: str) -> int | None:
    """The layer of the longest listed prefix (``core`` itself matches only its own ``__init__``)."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        if ".".join(parts[:end]) in LAYERS:
            return LAYERS[".".join(parts[:end])]
    return LAYERS.get(module)


def imported(module: str, source: str, is_package: bool = False) -> set[str]:
    """Every module ``module`` imports anywhere in its source, made absolute, submodules resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from core import forecasters` imports the module core.forecasters
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in core_modules() else base)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


@cache
def arrows() -> frozenset[tuple[str, str]]:
    return frozenset((name, target) for name, path in core_modules().items()
                     for target in imported(name, path.read_text(), path.name == "__init__.py"))


def points_up(src: str, dst: str) -> bool:
    return dst.split(".")[0] == "core" and (layer(dst) or 0) > (layer(src) or 0)


def upward() -> set[tuple[str, str]]:
    """(importer, imported) pairs where a core module imports a higher layer."""
    return {(src, dst) for src, dst in arrows() if points_up(src, dst)}


def test_every_core_module_has_a_layer() -> None:
    unplaced = sorted(name for name in core_modules() if layer(name) is None)
    assert not unplaced, f"place these modules in LAYERS: {unplaced}"


def test_no_module_imports_a_higher_layer() -> None:
    found = upward()
    assert not found, "\n".join(f"{src} (layer {layer(src)}) imports {dst} (layer {layer(dst)})"
                                for src, dst in sorted(found))


def test_core_never_imports_the_dashboard() -> None:
    names = app_names() - {"core"}
    bad = sorted((src, dst) for src, dst in arrows() if dst.split(".")[0] in {*FORBIDDEN, *names})
    assert not bad, f"core imports the dashboard or Streamlit: {bad}"


def test_the_checker_sees_every_kind_of_import() -> None:
    """Function-level, relative, `from package import module` and `import_module` imports are all arrows."""
    source = (
        "import core.models.base\nfrom . import walkforward\nfrom .metrics import signals\nfrom core import service\n"
        "def late():\n    from core.api import app\n    import importlib\n    importlib.import_module('core.cli')\n"
    )
    targets = imported("core.backtest.probe", source)
    assert targets == {"core.models.base", "core.backtest.walkforward", "core.backtest.metrics", "core.service",
                       "core.api.app", "importlib", "core.cli"}
    assert {t for t in targets if points_up("core.backtest.probe", t)} == {"core.service", "core.api.app", "core.cli"}
    assert imported("core.backtest", "from . import cache", is_package=True) == {"core.backtest.cache"}
    assert layer("core.models.nets.lstm") == LAYERS["core.models"] and layer("core.newcomer") is None


def test_core_imports_without_streamlit() -> None:
    """Core and each of its parts import in a fresh interpreter where Streamlit and the dashboard cannot be found."""
    parts = sorted(name for name in core_modules() if name.count(".") == 1)
    code = (
        "import importlib, sys, traceback\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('streamlit', 'app'):\n"
        "            raise ImportError(f'core must not import {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import core\n"
        f"for part in {parts!r}:\n"
        "    try:\n"
        "        importlib.import_module(part)\n"
        "    except Exception:\n"
        "        print(part, traceback.format_exc(limit=-3))\n"
        "print('streamlit' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert len(parts) > 5 and done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "False\n", done.stdout[-3000:]


def test_the_cli_parser_imports_no_model_library() -> None:
    """`lydian --help` and every usage error answer at once: building the parser must not import torch, the
    boosters, Ray or qiskit (a choice list read at build time once pulled in torch: 5 s for every --help)."""
    code = (
        "import sys\n"
        "from core.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('torch', 'lightgbm', 'xgboost', 'ray', 'qiskit', 'sklearn', 'mlflow') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "[]\n", done.stdout
