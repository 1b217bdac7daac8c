"""Outputs beyond [logit P(up), standardised return]: several horizons at once, and return quantiles.

A net declares them as class attributes, which `TorchModel` and the registry read:

- ``horizon_steps = cap.HORIZON_STEPS``: output pair k (columns 2k, 2k+1) is the logit and the
  standardised return over ``horizon_steps[k] x horizon`` bars. Pair 0 is the model's own horizon, so
  every reader of the first two columns (trainer, SHAP, ONNX checks) is unchanged. A longer
  horizon's target is compounded from the returns of later rows *of the same window*; the last rows
  of a window have none (NaN, masked out of the loss), so a fit never reads a close beyond the
  ones its own labels already read: the long-horizon labels are purged at every window's end.
- ``quantiles``: after the pairs come these quantiles of the standardised return, trained with
  the pinball loss (Koenker & Bassett 1978, as TFT's quantile outputs); 0.1/0.9 bound the 80 %
  interval and 0.025/0.975 the 95 % one.

Rows are assumed to be consecutive bars (a gap in the candles stretches a compounded horizon).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

QUANTILES_80_95 = (0.025, 0.1, 0.5, 0.9, 0.975)  # lo_95, lo_80, median, hi_80, hi_95
Loss = Callable[[Tensor, Tensor], Tensor]


def steps_of(module_cls: type) -> tuple[int, ...]:
    """The horizon multiples a net forecasts: (1,) for a single-horizon net."""
    return tuple(getattr(module_cls, "horizon_steps", (1,)))


def levels_of(module_cls: type) -> tuple[float, ...]:
    """The return quantiles a net outputs: () for most."""
    return tuple(getattr(module_cls, "quantiles", ()))


def width(module_cls: type) -> int:
    """Columns of the net's raw output."""
    return 2 * len(steps_of(module_cls)) + len(levels_of(module_cls))


def compounded(returns: np.ndarray, steps: int, stride: int) -> np.ndarray:
    """Return over ``steps`` consecutive ``stride``-bar returns from each row; NaN where the window ends first."""
    out = np.full(len(returns), np.nan)
    n = len(returns) - (steps - 1) * stride
    if n > 0:
        growth = np.ones(n)
        for j in range(steps):
            growth *= 1.0 + returns[j * stride : j * stride + n]
        out[:n] = growth - 1.0
    return out


def horizon_targets(returns: np.ndarray, steps: tuple[int, ...], stride: int) -> np.ndarray:
    """(rows, 2 x (len(steps) - 1)): direction and raw return of every extra horizon; NaN where unknown."""
    columns = []
    for k in steps[1:]:
        ret = compounded(returns.astype(np.float64), k, stride)
        columns += [np.where(np.isnan(ret), np.nan, (ret > 0).astype(np.float64)), ret]
    return np.column_stack(columns) if columns else np.empty((len(returns), 0))


def location_scale(returns: np.ndarray) -> list[float]:
    """Mean and standard deviation of the known returns, (0, 1) without any: how an extra horizon is standardised."""
    known = returns[np.isfinite(returns)]
    return [float(known.mean()), float(known.std()) or 1.0] if len(known) else [0.0, 1.0]


def extra_loss(steps: tuple[int, ...], levels: tuple[float, ...], return_weight: float) -> Loss | None:
    """The loss of the columns after the first pair (added to the trainer's), or None when there are none."""
    if len(steps) == 1 and not levels:
        return None
    pairs, first_quantile = range(2, 2 * len(steps), 2), 2 * len(steps)
    quantile = torch.tensor(levels, dtype=torch.float32)

    def loss(outputs: Tensor, targets: Tensor) -> Tensor:
        outputs, total = outputs.float(), outputs.new_zeros((), dtype=torch.float32)
        for c in pairs:  # unknown long-horizon targets (NaN) weigh nothing
            known = torch.isfinite(targets[:, c])
            count = known.sum().clamp(min=1)
            bce = F.binary_cross_entropy_with_logits(outputs[:, c], torch.where(known, targets[:, c], 0.5), reduction="none")
            huber = F.huber_loss(outputs[:, c + 1], torch.where(known, targets[:, c + 1], 0.0), reduction="none")
            total = total + ((bce + return_weight * huber) * known).sum() / count
        if levels:
            error = targets[:, 1:2] - outputs[:, first_quantile : first_quantile + len(levels)]
            q = quantile.to(outputs.device)
            total = total + torch.maximum(q * error, (q - 1) * error).mean()
        return total

    return loss
