"""Explanations cached in memory (LRU) and on disk as JSON, so the dashboard shows them instantly.

The key hashes everything a result depends on: the model (id plus its stored version and
``meta_checksum``, which seals every weight file's SHA-256; an unsaved model is fingerprinted by
hashing what `Model.save` writes), the candles (every timestamp and OHLCV value), the settings
(including the resolved bar) and the source of the code that computes it. Any change gives a new
key, so a stale explanation is never served. Entries are written atomically under
``<LYDIAN_HOME>/cache/explain/``; an unreadable entry is a miss. No pickle: JSON only.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd

from core.config import cache_dir
from core.fingerprint import candles_digest, code_version
from core.lru import Lru
from core.io import write_atomically
from core.models.base import Model

CODE_PACKAGES = ("core/explain", "core/features", "core/models")  # what an explanation is computed by
MEMORY_ENTRIES = 256  # each entry is the JSON text of one result, a few KB to ~30 KB


class _Result(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Result)
_memory: Lru[str] = Lru(MEMORY_ENTRIES)
_stats = {"memory_hits": 0, "disk_hits": 0, "misses": 0}  # for `cache_info`; += under threads may miss a count


def model_fingerprint(model: Model) -> str:
    """Stored models: version + sealed meta checksum. Others: SHA-256 of the files and state `save` writes."""
    meta = getattr(model, "meta_", None)
    if meta and meta.get("meta_checksum"):
        return f"{model.model_id}/v{meta['version']}/{meta['meta_checksum']}"
    sha = hashlib.sha256(model.model_id.encode())
    with tempfile.TemporaryDirectory(prefix="lydian-fingerprint-") as folder:
        state = model.save(Path(folder))
        sha.update(json.dumps(state, sort_keys=True, default=str).encode())
        for path in sorted(Path(folder).iterdir()):
            sha.update(path.name.encode() + path.read_bytes())
    return f"{model.model_id}/unsaved/{sha.hexdigest()[:32]}"


def cache_key(kind: str, model: Model, candles: pd.DataFrame, settings: dict[str, Any]) -> str:
    payload = {"kind": kind, "model": model_fingerprint(model), "data": candles_digest(candles),
               "settings": settings, "code": code_version(CODE_PACKAGES)}
    return f"{kind}-{hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]}"


def cached(kind: str, model: Model, candles: pd.DataFrame, settings: dict[str, Any], compute: Callable[[], R],
           load: Callable[[dict[str, Any]], R], *, enabled: bool = True) -> R:
    """The result for these inputs: from memory, else from disk, else computed and stored in both.

    ``enabled=False`` computes without reading or writing the cache (and without hashing anything).
    """
    if not enabled:
        return compute()
    key = cache_key(kind, model, candles, settings)
    text = _memory.get(key)
    if text is not None:
        _stats["memory_hits"] += 1
        return load(json.loads(text))
    path = cache_dir("explain") / f"{key}.json"
    stored = _read(path, load)
    if stored is not None:
        text, result = stored
        _stats["disk_hits"] += 1
    else:
        result = compute()
        text = json.dumps(result.to_dict())
        write_atomically(path, lambda handle: handle.write(text.encode()))
        _stats["misses"] += 1
    _memory.put(key, text)
    return result


def _read(path: Path, load: Callable[[dict[str, Any]], R]) -> tuple[str, R] | None:
    """The entry's text and result; None when it is absent or unreadable (then it is recomputed)."""
    try:
        text = path.read_text()
        return text, load(json.loads(text))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def cache_info() -> dict[str, int]:
    """Hits (memory, disk) and misses since start or the last `clear_memory`, and the entries held."""
    return {**_stats, "memory_entries": len(_memory)}


def clear_memory() -> None:
    """Forget the in-memory tier and the counters (the disk tier stays)."""
    _memory.clear()
    _stats.update(dict.fromkeys(_stats, 0))
