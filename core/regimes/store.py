"""A fitted detector as one safetensors file (arrays) with its name, parameters and a seal (no pickle).

The seal is the SHA-256 of the parameters and every array's bytes; a file whose arrays or
parameters were changed afterwards no longer matches it and is refused with a clear message.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from core.regimes.base import Detector, make
from core.regimes.errors import RegimeError


def _seal(header: str, arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256(header.encode())
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()


def save_detector(detector: Detector, path: Path) -> None:
    if not detector.state_:
        raise RegimeError(f"{detector.name} is not fitted; nothing to save")
    header = json.dumps({"method": detector.name, "params": detector.params()}, sort_keys=True)
    arrays = {k: np.ascontiguousarray(v) for k, v in detector.state_.items()}
    save_file(arrays, str(path), metadata={"detector": header, "seal": _seal(header, arrays)})


def load_detector(path: Path) -> Detector:
    """The detector saved at ``path``; a damaged or tampered file is refused."""
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as handle:
            meta = handle.metadata() or {}
        arrays = load_file(str(path))
    except (OSError, SafetensorError) as exc:
        raise RegimeError(f"{path}: not a stored detector ({exc})") from None
    header = meta.get("detector", "")
    if not header or meta.get("seal") != _seal(header, arrays):
        raise RegimeError(f"{path}: the stored detector does not match its seal (changed after saving); refit it")
    spec = json.loads(header)
    detector = make(spec["method"], **spec["params"])
    detector.state_ = arrays
    return detector
