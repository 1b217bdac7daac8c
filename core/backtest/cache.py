"""On-disk results cache: a finished backtest is shown instantly next time, and never when stale.

A key hashes everything a result depends on (`core.fingerprint`): the candles (range and a hash of
every value), the model (id, hyper-parameters and a fingerprint of the code that builds, trains and
scores it) and the settings. Change any of them and the key changes, so an old result can never be
served for new inputs. Entries are JSON plus parquet, written atomically; an unreadable entry is a miss.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from core.config import cache_dir
from core.io import write_atomically


class ResultsCache:
    """Folders ``<root>/<kind>/<key>/`` holding ``result.json`` and, for backtests, ``predictions.parquet``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir("results")

    def _folder(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def get(self, kind: str, key: str) -> tuple[dict[str, Any], pd.DataFrame | None] | None:
        """The stored payload and table, or None when absent or unreadable (then it is recomputed)."""
        folder = self._folder(kind, key)
        try:
            payload = json.loads((folder / "result.json").read_text())
            table_path = folder / "predictions.parquet"
            table = pd.read_parquet(table_path) if table_path.exists() else None
        except (OSError, ValueError):
            return None
        return payload, table

    def put(self, kind: str, key: str, payload: dict[str, Any], table: pd.DataFrame | None = None) -> None:
        """Store atomically: the table first, then the JSON that makes the entry visible."""
        folder = self._folder(kind, key)
        folder.mkdir(parents=True, exist_ok=True)
        if table is not None:
            write_atomically(folder / "predictions.parquet", table.to_parquet)
        text = json.dumps(payload, indent=1, default=str, allow_nan=True)
        write_atomically(folder / "result.json", lambda handle: handle.write(text.encode()))

    def entries(self, kind: str) -> list[dict[str, Any]]:
        """Every readable payload of one kind, newest first (for the dashboard and the API)."""
        found = []
        for path in (self.root / kind).glob("*/result.json"):
            try:
                mtime = path.stat().st_mtime
                found.append((mtime, copy.deepcopy(_read_json(str(path), mtime))))
            except (OSError, ValueError):
                continue
        return [payload for _, payload in sorted(found, key=lambda item: item[0], reverse=True)]


@lru_cache(maxsize=256)
def _read_json(path: str, mtime: float) -> dict[str, Any]:
    """Parsed once per file version (``mtime`` is part of the key): listing boards stays cheap."""
    return json.loads(Path(path).read_text())
