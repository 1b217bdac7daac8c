"""Nets' per-epoch curves to TensorBoard, only for fits inside a tracked run that asks for them.

Walk-forward refits and tests open no writer (no run, or a run with ``curves=False``), so a
backtest does not leave hundreds of event folders and the trainer pays nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from core.tracking.runs import active_run
from core.tracking.settings import tensorboard_enabled, tensorboard_root

log = logging.getLogger("lydian.tracking")
CURVES = ("train_loss", "valid_loss", "lr", "seconds")


class CurveWriter:
    """Writes one fit's epochs as scalars ``<name>/<curve>``; failures are logged once and ignored."""

    def __init__(self, writer: Any, folder: str) -> None:
        self.writer, self.folder = writer, folder

    def epoch(self, record: dict[str, Any]) -> None:
        if self.writer is None:
            return
        try:
            for curve in CURVES:
                if curve in record:
                    self.writer.add_scalar(curve, float(record[curve]), int(record["epoch"]))
            self.writer.flush()  # a fit that diverges and raises still leaves its epochs readable
        except Exception as exc:
            log.warning("tensorboard: writing %s failed (%s); no more curves for this fit", self.folder, exc)
            self.close()

    def close(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:  # a curve must never fail a fit
                pass
            self.writer = None


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "run"


def curve_writer(model: str) -> CurveWriter | None:
    """A writer under ``LYDIAN_HOME/tensorboard/<run>-<id>/<model>[-<n>]``, or None when no curves are wanted."""
    run = active_run()
    if run is None or not run.active or not run.curves or not tensorboard_enabled():
        return None
    count = run.next_step(model)
    folder = tensorboard_root() / f"{_safe(run.name)}-{run.id[:8]}" / (_safe(model) + (f"-{count}" if count > 1 else ""))
    try:
        from torch.utils.tensorboard import SummaryWriter

        return CurveWriter(SummaryWriter(log_dir=str(folder)), str(folder))
    except Exception as exc:
        log.warning("tensorboard: cannot write %s (%s: %s); training goes on", folder, type(exc).__name__, exc)
        return None
