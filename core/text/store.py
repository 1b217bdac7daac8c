"""The local point-in-time text store: one parquet file under ``LYDIAN_HOME/text``.

Each row keeps when it was published and when Lydian ingested it. ``as_of`` answers "what could
have been read at t": published before t minus the latency and, for live data, already ingested.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.config import home_dir
from core.text.corpus import COLUMNS, normalise


class TextStore:
    """Append-only texts, deduplicated on (published, source, text)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or home_dir() / "text" / "texts.parquet"

    def read(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame({c: pd.Series(dtype="datetime64[ns, UTC]" if c in ("published", "ingested") else str)
                                 for c in COLUMNS})
        return pd.read_parquet(self.path)

    def add(self, texts: pd.DataFrame, *, ingested: pd.Timestamp | None = None) -> int:
        """Store new texts (any shape `normalise` accepts); returns how many were new."""
        new = normalise(texts, ingested=ingested)
        old = self.read()
        both = pd.concat([old, new], ignore_index=True) if len(old) else new
        both = both.drop_duplicates(["published", "source", "text"], keep="first")
        both = both.sort_values("published", kind="stable").reset_index(drop=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        both.to_parquet(self.path, index=False)
        return len(both) - len(old)

    def as_of(self, moment: pd.Timestamp, *, latency_minutes: float = 0.0, live: bool = False) -> pd.DataFrame:
        """Texts published strictly before ``moment - latency``; ``live`` also requires ingestion by then.

        Historical corpora were ingested long after they were published, so backtests use the
        publish time (``live=False``); a live system can only use what it had already stored.
        """
        texts = self.read()
        moment = pd.Timestamp(moment)
        moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
        keep = texts["published"] < moment - pd.Timedelta(minutes=latency_minutes)
        if live:
            keep &= texts["ingested"] <= moment
        return texts[keep].reset_index(drop=True)
