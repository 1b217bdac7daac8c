"""Model ids -> how to build them. The single list every entry point (CLI, UI, API, tests) reads.

Adding a model is one file (an ``nn.Module`` in ``core/models/nets/`` or a booster class) plus one
entry in that package's table; the shared contract tests are parametrised over `model_ids`, so
the new model is tested the moment it is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.errors import LydianError
from core.models.base import Model
from core.models.config import BoosterConfig, NetConfig, _Config

FAMILIES = ("lstm", "gru", "transformer", "cnn", "boosting")


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
    build: Callable[[str, _Config], Model]
    sequence: bool
    module: type | None = None  # the nn.Module class of a net, to count parameters before training


def _net_specs() -> dict[str, ModelSpec]:
    from core.models.nets import NETS
    from core.models.torch_model import TorchModel

    def builder(module: type, family: str) -> Callable[[str, _Config], Model]:
        return lambda model_id, config: TorchModel(model_id, config, module, family)

    return {
        model_id: ModelSpec(
            model_id, net.family, net.description, NetConfig().with_overrides(net.defaults),
            builder(net.module, net.family), sequence=True, module=net.module,
        )
        for model_id, net in NETS.items()
    }


def _booster_specs() -> dict[str, ModelSpec]:
    from core.models.boosters import BOOSTERS

    return {
        model_id: ModelSpec(
            model_id, "boosting", description, BoosterConfig().with_overrides(overrides), cls, sequence=False
        )
        for model_id, (cls, overrides, description) in BOOSTERS.items()
    }


@lru_cache(maxsize=1)
def registry() -> dict[str, ModelSpec]:
    """Every model, grouped by family in `FAMILIES` order, each family in its table's order."""
    specs = {**_net_specs(), **_booster_specs()}
    return dict(sorted(specs.items(), key=lambda item: FAMILIES.index(item[1].family)))  # stable: table order


def model_ids() -> list[str]:
    return list(registry())


def spec(model_id: str) -> ModelSpec:
    try:
        return registry()[model_id]
    except KeyError:
        raise UnknownModelError(f"unknown model {model_id!r}; known: {', '.join(model_ids())}") from None


def create(model_id: str, **overrides: Any) -> Model:
    """A fresh, unfitted model with its registered defaults and ``overrides`` applied."""
    entry = spec(model_id)
    return entry.build(model_id, entry.defaults.with_overrides(overrides))


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
    chosen: list[str] = []
    for word in wanted:
        ids = [m for m, s in registry().items() if s.family == word] if word in FAMILIES else [spec(word).model_id]
        chosen.extend(i for i in ids if i not in chosen)
    return chosen
