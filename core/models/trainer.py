"""The one training loop every torch net uses: seeds, batching, loss, AdamW, LR schedule, gradient
clipping, early stopping, CUDA mixed precision and per-epoch progress.

A net only defines ``forward(x: (batch, lookback, features)) -> (batch, 2)`` = [logit P(up),
standardised expected return]; how it learns lives here, so a fix or a speed-up reaches every net.

Windows are never materialised: the scaled (rows x features) array goes to the device once and a
batch gathers its windows with ``starts[:, None] + arange(lookback)``. As in `make_windows`, window
k holds rows k .. k+lookback-1 and is paired with the target of its last row.

LR schedule: ReduceLROnPlateau on the validation loss (halve the LR after ``patience // 2`` epochs
without improvement). It composes with early stopping: the LR drops once before training gives up.
OneCycle would need the epoch count up front, and early stopping cuts it off while the LR is still high.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.errors import LydianError
from core.models.base import Progress
from core.models.config import NetConfig
from core.tracking import curve_writer

EVAL_CHUNK = 4096  # windows per forward pass when nothing is learned: evaluation and prediction


class TrainingError(LydianError, RuntimeError):
    """Training cannot go on: the loss became NaN or inf."""


@dataclass(frozen=True)
class TrainResult:
    history: list[dict[str, Any]]  # one dict per epoch, the same one sent to ``progress``
    best_epoch: int  # 1-based; its weights are the ones left in the module
    best_valid_loss: float
    amp: bool  # whether CUDA mixed precision was used


class Windows:
    """Every look-back window of a (rows x features) array with its target, gathered batch by batch."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, lookback: int, device: torch.device) -> None:
        self.features = torch.as_tensor(np.ascontiguousarray(features, dtype=np.float32), device=device)
        self.targets = torch.as_tensor(np.ascontiguousarray(targets[lookback - 1:], dtype=np.float32), device=device)
        self.lookback = lookback

    def __len__(self) -> int:
        return len(self.targets)

    def batch(self, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Windows (len(starts), lookback, features) and targets (len(starts), 2) for these window starts."""
        return gather_windows(self.features, starts, self.lookback), self.targets[starts]


def gather_windows(features: torch.Tensor, starts: torch.Tensor, lookback: int) -> torch.Tensor:
    """Windows of rows start .. start+lookback-1 for each start; only this batch is copied."""
    return features[starts[:, None] + torch.arange(lookback, device=features.device)]


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (every device): on CPU the same seed gives bit-identical weights."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def amp_enabled(device: torch.device) -> bool:
    """Mixed precision on CUDA only: CPU autocast slows small nets down and MPS float16 is not reliable."""
    return device.type == "cuda"


def loss_fn(outputs: torch.Tensor, targets: torch.Tensor, return_weight: float) -> torch.Tensor:
    """BCE on the direction logit + ``return_weight`` x Huber on the standardised return (float32)."""
    outputs = outputs.float()
    direction = F.binary_cross_entropy_with_logits(outputs[:, 0], targets[:, 0])
    return direction + return_weight * F.huber_loss(outputs[:, 1], targets[:, 1])


@torch.no_grad()
def evaluate(module: nn.Module, windows: Windows, return_weight: float) -> float:
    """Mean loss over all windows in eval mode and float32, so it matches what `predict` sees."""
    module.eval()
    total = torch.zeros((), device=windows.features.device)
    for starts in torch.arange(len(windows), device=windows.features.device).split(EVAL_CHUNK):
        x, y = windows.batch(starts)
        total += loss_fn(module(x), y, return_weight) * len(starts)
    return total.item() / len(windows)


def train_module(
    module: nn.Module, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray,
    cfg: NetConfig, *, seed: int, device: torch.device, progress: Progress | None = None, name: str = "",
    extra: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> TrainResult:
    """Train ``module`` in place and leave it holding the weights of its best validation epoch.

    ``x_*`` are scaled features (rows x features), ``y_*`` targets (rows x [direction 0/1,
    standardised return, then any targets of ``extra``]); every row from ``lookback - 1`` on is the
    end of one window. ``extra(outputs, targets)``: the loss of a net's further outputs (more
    horizons, quantiles: `core.models.nets._outputs`), added in training; early stopping still
    watches the direction log loss alone.
    """
    seed_everything(seed)
    module.to(device)
    train, valid = Windows(x_train, y_train, cfg.lookback, device), Windows(x_valid, y_valid, cfg.lookback, device)
    optimizer = torch.optim.AdamW(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    plateau = max(cfg.patience // 2 - 1, 0)  # halve the LR once before early stopping gives up
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=plateau)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_enabled(device))
    generator = torch.Generator().manual_seed(seed)
    history: list[dict[str, Any]] = []
    best_loss, best_epoch, best_state = math.inf, 0, _snapshot(module)
    curves = curve_writer(name)  # TensorBoard, only inside a tracked run that wants curves (core.tracking)
    for epoch in range(1, cfg.max_epochs + 1):
        started = time.perf_counter()
        train_loss = _train_epoch(module, train, optimizer, scaler, generator, cfg, extra)
        valid_loss = evaluate(module, valid, 0.0)  # early stopping watches direction log loss only
        if not (math.isfinite(train_loss) and math.isfinite(valid_loss)):
            raise TrainingError(
                f"{name}: training diverged at epoch {epoch} (train loss {train_loss}, valid loss {valid_loss}); "
                "try a lower lr or grad_clip"
            )
        scheduler.step(valid_loss)
        best = valid_loss < best_loss
        if best:
            best_loss, best_epoch, best_state = valid_loss, epoch, _snapshot(module)
        record = {
            "model": name, "epoch": epoch, "epochs": cfg.max_epochs, "train_loss": train_loss,
            "valid_loss": valid_loss, "best": best, "lr": optimizer.param_groups[0]["lr"],
            "seconds": time.perf_counter() - started,
        }
        history.append(record)
        if curves is not None:
            curves.epoch(record)
        if progress is not None:
            progress(dict(record))  # a copy: the caller may annotate it without touching the history
        if epoch - best_epoch >= cfg.patience:
            break
    if curves is not None:
        curves.close()
    module.load_state_dict(best_state)
    module.eval()
    return TrainResult(history, best_epoch, best_loss, scaler.is_enabled())


def _train_epoch(
    module: nn.Module, train: Windows, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
    generator: torch.Generator, cfg: NetConfig, extra: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> float:
    """One pass over shuffled mini-batches; returns the mean training loss (one GPU sync per epoch)."""
    module.train()
    device = train.features.device
    total, seen = torch.zeros((), device=device), 0
    for starts in torch.randperm(len(train), generator=generator).to(device).split(cfg.batch_size):
        if len(starts) < 2:  # a lone window breaks BatchNorm in train mode; skipping it loses nothing
            continue
        x, y = train.batch(starts)
        with torch.autocast(device.type, dtype=torch.float16, enabled=scaler.is_enabled()):
            out = module(x)
            loss = loss_fn(out, y, cfg.return_weight)
            if extra is not None:
                loss = loss + extra(out, y)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if cfg.grad_clip > 0:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(module.parameters(), cfg.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        total += loss.detach() * len(starts)
        seen += len(starts)
    return total.item() / max(seen, 1)


def _snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the weights that later optimiser steps cannot touch."""
    return {key: value.detach().clone() for key, value in module.state_dict().items()}
