"""Search spaces per model family, and which search suits each kind of model.

One declaration per hyper-parameter feeds all three searches: its ``grid`` values for grid search,
its range for random and Bayesian (Optuna TPE) search. Which search a model gets by default is read
from its capability tags (trees: grid, sequence nets: random, policies: Bayesian), never from its
class. A new family is tuned by adding one entry to `SPACES`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core import forecasters
from core.errors import LydianError
from core.models import capabilities as cap

SEARCHES = ("grid", "random", "bayes")


class TuningError(LydianError, ValueError):
    """A model without a search space, an unknown search or a parameter the model does not have."""


@dataclass(frozen=True)
class Param:
    """One tunable hyper-parameter: grid values, and the range random/Bayesian search draw from."""

    name: str
    grid: tuple[Any, ...]
    low: float | None = None  # None: a categorical choice among ``grid``
    high: float | None = None
    log: bool = False  # draw on a log scale (learning rates)
    integer: bool = False

    def ray(self) -> Any:
        """The Ray Tune sampling domain (OptunaSearch converts it for TPE)."""
        from ray import tune

        if self.low is None:
            return tune.choice(list(self.grid))
        if self.integer:
            return tune.lograndint(int(self.low), int(self.high) + 1) if self.log else \
                tune.randint(int(self.low), int(self.high) + 1)
        return tune.loguniform(self.low, self.high) if self.log else tune.uniform(self.low, self.high)


_TREES = (  # 5 x 5 x 2 = 50 grid points: the 50-trial LightGBM tune covers the whole grid
    Param("learning_rate", (0.01, 0.03, 0.05, 0.1, 0.2), 0.005, 0.3, log=True),
    Param("size", (3, 7, 15, 31, 63), 3, 127, log=True, integer=True),  # num_leaves or max_depth, see `_TREE_SIZE`
    Param("colsample", (0.3, 0.7), 0.2, 1.0),
)
_NETS = (
    Param("hidden", (32, 64, 128)),
    Param("lr", (3e-4, 1e-3, 3e-3), 1e-4, 1e-2, log=True),
    Param("dropout", (0.0, 0.2, 0.4), 0.0, 0.5),
    Param("lookback", (12, 24, 48)),
)
SPACES: dict[str, tuple[Param, ...]] = {
    "boosting": _TREES, "forest": _TREES, "lstm": _NETS, "gru": _NETS, "transformer": _NETS, "cnn": _NETS,
    "linear": tuple(p for p in _NETS if p.name in ("lr", "lookback")),
}
# "size" is the tree-size knob of the library behind the model (read from the spec's requirements);
# LightGBM grows leaf-wise (num_leaves); XGBoost and CatBoost level-wise (max_depth, capped at 10).
_TREE_SIZE = {"lightgbm": ("num_leaves", 127), "xgboost": ("max_depth", 10), "catboost": ("max_depth", 10)}


def default_search(model_id: str) -> str:
    """Grid for trees, random for sequence nets, Bayesian for the rest (policies, agents)."""
    tags = forecasters.spec(model_id).tags
    if cap.TREE in tags:
        return "grid"
    return "random" if cap.SEQUENCE in tags else "bayes"


def space_for(model_id: str) -> tuple[Param, ...]:
    """The search space of ``model_id``'s family, with names the model's configuration knows."""
    entry = forecasters.spec(model_id)
    if entry.family not in SPACES:
        raise TuningError(f"{model_id} (family {entry.family}) has no search space; tunable families: "
                          f"{', '.join(SPACES)}")
    params = []
    for param in SPACES[entry.family]:
        if param.name == "size":
            name, cap_ = _TREE_SIZE.get(entry.requires[0] if entry.requires else "", ("max_depth", 10))
            grid = tuple(sorted({min(v, cap_) for v in param.grid}))
            param = Param(name, grid, param.low, min(param.high or cap_, cap_), param.log, param.integer)
        params.append(param)
    return tuple(params)


def custom_space(model_id: str, grid: dict[str, list[Any]]) -> tuple[Param, ...]:
    """A space given as ``{name: values}`` (choices for every search); names are checked against the model."""
    known = forecasters.spec(model_id).defaults.to_dict()
    unknown = sorted(set(grid) - set(known))
    if unknown or not grid or not all(grid.values()):
        raise TuningError(f"cannot tune {', '.join(unknown) or 'an empty space'} of {model_id}; "
                          f"its hyper-parameters: {', '.join(known)}")
    return tuple(Param(name, tuple(values)) for name, values in grid.items())


def grid_points(space: tuple[Param, ...], trials: int, seed: int) -> list[dict[str, Any]]:
    """Every grid point when ``trials`` covers the grid, else a seeded sample of ``trials`` of them."""
    points = [dict(zip((p.name for p in space), values)) for values in itertools.product(*(p.grid for p in space))]
    if trials >= len(points):
        return points
    chosen = np.random.default_rng(seed).choice(len(points), trials, replace=False)
    return [points[i] for i in sorted(chosen)]


def grid_size(space: tuple[Param, ...]) -> int:
    return math.prod(len(p.grid) for p in space)
