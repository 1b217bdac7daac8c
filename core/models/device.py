"""Where torch runs: CUDA, then Apple MPS, else CPU; overridable by argument or ``LYDIAN_DEVICE``."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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


_narrow_lock = threading.Lock()
_narrowed = [0, 1]  # callers inside `one_op_thread`, and the thread count to restore when the last leaves


@contextmanager
def one_op_thread() -> Iterator[None]:
    """Run torch ops single-threaded meanwhile, so that several Python threads can each run a model.

    The setting is process-wide, so overlapping callers share one narrowing and the last one out
    restores the previous count.
    """
    with _narrow_lock:
        if _narrowed[0] == 0:
            _narrowed[1] = torch.get_num_threads()
            torch.set_num_threads(1)
        _narrowed[0] += 1
    try:
        yield
    finally:
        with _narrow_lock:
            _narrowed[0] -= 1
            if _narrowed[0] == 0:
                torch.set_num_threads(_narrowed[1])
