"""Where torch runs: CUDA, then Apple MPS, else CPU; overridable by argument or ``LYDIAN_DEVICE``."""

from __future__ import annotations

import os

import torch

from core.errors import LydianError


def pick_device(preferred: str | None = None) -> torch.device:
    """The device to use; an explicit choice that is not available is an error, not a silent fallback."""
    choice = (preferred or os.environ.get("LYDIAN_DEVICE") or "auto").lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if choice.split(":")[0] not in available:
        raise LydianError(f"unknown device {choice!r}; use auto, cpu, cuda or mps")
    if not available[choice.split(":")[0]]:
        raise LydianError(f"device {choice!r} is not available here; use auto or cpu")
    return torch.device(choice)


def configure_threads() -> int:
    """Use every core for one op, one thread between ops: best for small nets on 2-core machines."""
    threads = int(os.environ.get("LYDIAN_TORCH_THREADS", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    return threads
