"""Forecaster ids -> how to build them, what they can do, what they need. The one list every face reads.

Adding a model is one file (an ``nn.Module`` in ``core/models/nets/`` or a booster class) plus one
entry in that package's table; families that live above ``core.models`` (the ensemble, and the
families still to come) call `register` from their own package, and `core.forecasters` imports
them all. The shared contract tests are parametrised over `forecaster_ids`, so a new forecaster
is tested the moment it is registered. Capabilities are tags (`core.models.capabilities`):
callers ask ``TREE in spec(id).tags`` rather than checking a class.

A family whose library is not installed stays listed, marked unavailable with the command that
adds it (`ModelSpec.available`, `ModelSpec.install`), instead of failing at import.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.errors import LydianError
from core.models import capabilities as cap
from core.models.base import Model
from core.models.config import BoosterConfig, NetConfig, _Config

FAMILIES = ("lstm", "gru", "transformer", "cnn", "linear", "boosting", "forest")  # single-model families, in listing order
# Deprecated ids -> current ones, read until 0.3 so stored JSON, scripts and API calls keep working.
RENAMED = {"always_up": "majority"}  # it predicts the training window's majority direction, down included


class UnknownModelError(LydianError, KeyError):
    """A model id that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ModelSpec:
    """One registered model: its id, family, defaults and builder."""

    model_id: str
    family: str
    description: str
    defaults: _Config
    build: Callable[[str, Any], Any]
    sequence: bool
    module: type | None = None  # the nn.Module class of a net, to count parameters before training
    tags: frozenset[str] = frozenset()  # capabilities, see core.models.capabilities
    requires: tuple[str, ...] = ()  # importable modules the family needs
    extra: str = ""  # the pip extra that installs them: pip install -e '.[<extra>]'
    unavailable_reason: str = ""  # set: listed for the record but never built here, and why (no install helps)

    @property
    def available(self) -> bool:
        """Whether every library the family needs can be imported (checked without importing it)."""
        return not self.unavailable_reason and all(_installed(name) for name in self.requires)

    @property
    def install(self) -> str:
        """The one command that makes an unavailable family usable ("" when none can)."""
        return f"pip install -e '.[{self.extra}]'" if self.extra and not self.unavailable_reason else ""


@lru_cache(maxsize=64)
def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package that is missing, or an import hook that refuses the module
        return False


_extra: dict[str, ModelSpec] = {}  # forecasters registered from higher layers (`register`)


def register(entry: ModelSpec) -> None:
    """Add a forecaster from a package above core.models (the ensemble, later families); idempotent."""
    bad = sorted(entry.tags - cap.ALL)
    if bad:
        raise ValueError(f"{entry.model_id}: unknown capability tag(s) {', '.join(bad)}")
    _extra[entry.model_id] = entry


def _net_specs() -> dict[str, ModelSpec]:
    from core.models.nets import NETS, TAGS, NetSpec

    def builder(net: NetSpec) -> Callable[[str, _Config], Model]:
        def build(model_id: str, config: _Config) -> Model:
            from core.models.torch_model import TorchModel

            return TorchModel(model_id, config, net.module, net.family)
        return build

    torch = _installed("torch")  # without it the nets stay listed, unavailable, and nothing imports torch
    return {
        model_id: ModelSpec(
            model_id, net.family, net.description, net.config(), builder(net), sequence=True,
            module=net.module if torch else None, tags=TAGS | (net.tags if torch else frozenset()),
            requires=("torch", "onnx", "onnxruntime"), extra="nets",
        )
        for model_id, net in NETS.items()
    }


def _booster_specs() -> dict[str, ModelSpec]:
    from core.models.boosters import BOOSTERS, FOREST

    return {
        model_id: ModelSpec(
            model_id, "forest" if overrides.get("variant") == FOREST else "boosting", description,
            BoosterConfig().with_overrides(overrides), cls, sequence=False, tags=cls.tags, requires=(cls.library,),
            extra="boosting",
        )
        for model_id, (cls, overrides, description) in BOOSTERS.items()
    }





@lru_cache(maxsize=1)
def _baseline_specs() -> dict[str, ModelSpec]:
    from core.models.baselines import BASELINES, BaselineConfig

    return {
        cls.name: ModelSpec(cls.name, cls.family, cls.description, BaselineConfig(),
                            lambda model_id, config, cls=cls: cls(model_id, config), sequence=False, tags=cls.tags)
        for cls in BASELINES
    }


@lru_cache(maxsize=1)
def _single() -> dict[str, ModelSpec]:
    """The single models, grouped by family in `FAMILIES` order, each family in its table's order."""
    specs = {**_net_specs(), **_booster_specs()}
    return dict(sorted(specs.items(), key=lambda item: FAMILIES.index(item[1].family)))  # stable: table order


def registry() -> dict[str, ModelSpec]:
    """Every registered forecaster: the single models, the baselines, then what higher layers registered."""
    return _single() | _baseline_specs() | _extra


def model_ids() -> list[str]:
    """The single trainable models (what 'all' means for training and evaluation)."""
    return list(_single())


def trainable_ids() -> list[str]:
    """Every trainable single forecaster, the families registered by higher layers too: what the pickers offer.

    Read it through `core.forecasters`, which imports those families (statistical, chart images, quantum ...)."""
    return forecaster_ids(having=cap.TRAINABLE, lacking=cap.COMBINER)


def trainable_families() -> list[str]:
    """The families of `trainable_ids`: the single-model families in `FAMILIES` order, then the others as registered."""
    found = list(dict.fromkeys(spec(m).family for m in trainable_ids()))
    return [f for f in FAMILIES if f in found] + [f for f in found if f not in FAMILIES]


def forecaster_ids(*, having: str | None = None, lacking: str | None = None) -> list[str]:
    """Every registered forecaster, optionally only those with (or without) one capability tag."""
    return [m for m, s in registry().items() if (having is None or having in s.tags)
            and (lacking is None or lacking not in s.tags)]


def current_id(model_id: str) -> str:
    """Today's id of ``model_id``: a deprecated one (`RENAMED`), from an old record or a user, maps to its new name."""
    return RENAMED.get(model_id, model_id)


def spec(model_id: str) -> ModelSpec:
    try:
        return registry()[current_id(model_id)]
    except KeyError:
        raise UnknownModelError(f"unknown model {model_id!r}; known: {', '.join(registry())}") from None


def buildable(model_id: str) -> ModelSpec:
    """The spec of a model this installation can build; else `UnknownModelError` saying why and what would help."""
    entry = spec(model_id)
    if entry.unavailable_reason:
        raise UnknownModelError(f"{entry.model_id} is unavailable: {entry.unavailable_reason}")
    if not entry.available:
        raise UnknownModelError(f"{entry.model_id} needs {', '.join(entry.requires)}, which is not installed; "
                                f"add it with: {entry.install}")
    return entry


def create(model_id: str, **overrides: Any) -> Any:
    """A fresh, unfitted forecaster with its registered defaults and ``overrides`` applied."""
    entry = buildable(model_id)
    return entry.build(entry.model_id, entry.defaults.with_overrides(overrides))  # a deprecated id: today's name


def create_for(model_id: str, horizon: int, **overrides: Any) -> Any:
    """`create` for a forecast horizon: a forecaster whose configuration has one (the ensemble purges by it) gets it."""
    if "horizon" in spec(model_id).defaults.to_dict():
        overrides = {**overrides, "horizon": horizon}
    return create(model_id, **overrides)


def parameter_count(model_id: str, n_features: int) -> int | None:
    """Trainable parameters of a net with its defaults; None for boosters (their size comes from training)."""
    entry = spec(model_id)
    if entry.module is None:
        return None
    from core.models.torch_model import build_net

    return sum(p.numel() for p in build_net(entry.module, n_features, entry.defaults).parameters() if p.requires_grad)


def resolve_ids(text: str) -> list[str]:
    """'all', a family name ('gru') or a comma-separated list of ids -> registered ids, in order."""
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    if not wanted:
        raise UnknownModelError("no model given; use 'all', a family or ids such as lightgbm,gru_standard")
    if wanted == ["all"]:
        return model_ids()
    families = {entry.family for entry in registry().values()}
    chosen: list[str] = []
    for word in wanted:
        ids = [m for m, s in registry().items() if s.family == word] if word in families else [spec(word).model_id]
        chosen.extend(i for i in ids if i not in chosen)
    return chosen
