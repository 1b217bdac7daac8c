"""Keys for cached results: a digest of the settings, a fingerprint of the candles, a hash of the code.

Every cache in Lydian (walk-forward records, explanations, forecasts) keys its entries on these, so
a result is never served for other inputs. They live on the ground floor because training,
explain and the backtest all need them and none should import another for a hash.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from core.config import PROJECT_ROOT

OHLCV = ["open", "high", "low", "close", "volume"]
# what a backtest result is computed by: the ground-floor modules it reads, then the packages
CODE_PACKAGES = (
    "core/splits.py", "core/stats.py", "core/fingerprint.py",
    "core/features", "core/models", "core/backtest", "core/ensemble",
)


def digest(payload: Any) -> str:
    """Stable short hash of a JSON-able payload."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def candles_digest(candles: pd.DataFrame) -> str:
    """SHA-256 of every timestamp and OHLCV value: two frames with the same digest give the same features."""
    values = np.ascontiguousarray(candles[OHLCV].to_numpy(np.float64))
    return hashlib.sha256(np.ascontiguousarray(candles.index.asi8).tobytes() + values.tobytes()).hexdigest()


def data_fingerprint(candles: pd.DataFrame) -> dict[str, Any]:
    """Range, length and a hash of every timestamp and OHLCV value."""
    first, last = (str(candles.index[0]), str(candles.index[-1])) if len(candles) else ("", "")
    return {"rows": len(candles), "first": first, "last": last, "sha256": candles_digest(candles)[:24]}


@lru_cache(maxsize=8)
def code_version(packages: tuple[str, ...] = CODE_PACKAGES) -> str:
    """Hash of the source of every module and package a result depends on (fixed for the process)."""
    sha = hashlib.sha256()
    for package in packages:
        root = PROJECT_ROOT / package
        for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
            sha.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + path.read_bytes())
    return sha.hexdigest()[:16]
