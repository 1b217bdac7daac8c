"""Hyper-parameters: one typed dataclass per model kind, with commented defaults.

The registry gives each model id its own defaults (e.g. more layers for a stacked net); a user
overrides any field by name. Configs are plain data, saved in ``meta.json`` and compared on load.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Self

from core.errors import LydianError


class ConfigError(LydianError, ValueError):
    """An unknown or badly typed hyper-parameter."""


@dataclass(frozen=True)
class _Config:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, overrides: dict[str, Any]) -> Self:
        """A copy with ``overrides`` applied; unknown names are an error that lists the known ones."""
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise ConfigError(f"unknown hyper-parameter(s) {', '.join(unknown)}; known: {', '.join(known)}")
        typed = {}
        for name, value in overrides.items():
            kind = type(getattr(self, name))
            try:
                typed[name] = value if isinstance(value, kind) else kind(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{name}={value!r} is not a valid {kind.__name__}") from None
        return replace(self, **typed)


@dataclass(frozen=True)
class NetConfig(_Config):
    """A torch sequence model and its training loop."""

    lookback: int = 24  # bars per input window, ending at the forecast bar; longer history reaches the
    # nets through the indicators (up to 200 bars). 48 bars doubled training and inference time (the
    # recurrent nets step bar by bar) for no better validation accuracy: on 2 years of BTC/USDT 1h,
    # four nets moved by -0.4 to +1.3 points going to 24, within the +-0.9 point standard error.
    hidden: int = 128  # recurrent hidden size / model width
    layers: int = 2  # recurrent or encoder layers
    dropout: float = 0.2
    heads: int = 8  # attention heads (transformers)
    kernel: int = 3  # convolution kernel (CNNs; multi-scale uses 3/5/7)
    max_epochs: int = 30
    patience: int = 2  # epochs without validation improvement before stopping; on hourly crypto the best
    # epoch is nearly always the 1st-3rd, and a patience of 4 spent 4 more epochs confirming it
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    grad_clip: float = 1.0  # max gradient norm
    return_weight: float = 0.5  # weight of the return (Huber) loss beside the direction (BCE) loss


@dataclass(frozen=True)
class HorizonNetConfig(NetConfig):
    """A net that forecasts several horizons at once (capability ``multi_horizon``): it must know its own."""

    horizon: int = 1  # bars of one step, set by `create_for`; the extra horizons are multiples of it


@dataclass(frozen=True)
class BoosterConfig(_Config):
    """A gradient-boosted tree pair: a classifier for direction and a regressor for the return."""

    n_estimators: int = 100
    max_depth: int = 6  # xgboost, catboost
    num_leaves: int = 31  # lightgbm
    learning_rate: float = 0.05
    early_stopping_rounds: int = 20  # on the validation window
    subsample: float = 0.8
    colsample: float = 0.5
    max_bin: int = 63  # histogram bins per feature (xgboost, lightgbm): 4x fewer than the default, 2x faster
    # How the trees are grown, where a library offers more than plain boosting (see core.models.boosters.VARIANTS):
    # lightgbm "goss" (gradient-based one-side sampling) or "rf" (a random forest: bagged trees averaged, not
    # boosted); xgboost "dart" (boosting with dropout of earlier trees). "" is plain gradient boosting.
    variant: str = ""
    extra_trees: bool = False  # lightgbm: random split thresholds (extremely randomised trees)
