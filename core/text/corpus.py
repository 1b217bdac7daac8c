"""Reading text tables (user CSV/parquet and the bundled corpora) into one point-in-time shape.

Crawl-time engagement columns (Reddit ``score``, ``num_comments``, ``upvote_ratio``) were measured
in 2022, long after posting: they are dropped on load so no feature can ever read them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from core.config import PROJECT_ROOT
from core.errors import DataError

CRAWL_TIME_COLUMNS = ("score", "num_comments", "upvote_ratio")
COLUMNS = ("published", "ingested", "source", "text", "symbols")
CORPORA = {
    "reddit": "reddit_posts_bitcoin_cryptocurrency_cryptomarkets_2017_2022.parquet",
    "news": "news_cryptonews_cointelegraph_cryptopotato_2021_2022.parquet",
    "fear_greed": "fear_greed_index_daily.parquet",
    "phrasebank": "labelled_financial_phrasebank.parquet",
}


def shared_text_dir() -> Path:
    """``LYDIAN_TEXT_DIR`` or ../shared/data/text beside the project (not shipped in data/)."""
    return Path(os.environ.get("LYDIAN_TEXT_DIR", PROJECT_ROOT.parent / "shared" / "data" / "text"))


def corpus_path(name: str) -> Path:
    """The file of a bundled corpus; a clear error when it is unknown or absent."""
    if name not in CORPORA:
        raise DataError(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}")
    bundled = PROJECT_ROOT / "data" / "text" / CORPORA[name]
    path = bundled if bundled.exists() else shared_text_dir() / CORPORA[name]
    if not path.exists():
        raise DataError(f"corpus {name!r} not found at {path}; set LYDIAN_TEXT_DIR to the folder holding {CORPORA[name]}")
    return path


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or parquet file as a frame; unreadable files raise DataError, not a parser traceback."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"no such file: {path}")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file, said in one line
        raise DataError(f"cannot read {path.name}: {exc}") from None
    raise DataError(f"{path.name}: texts must be a .csv or .parquet file")


def normalise(frame: pd.DataFrame, *, ingested: pd.Timestamp | None = None) -> pd.DataFrame:
    """Columns ``published`` (UTC), ``ingested``, ``source``, ``text``, ``symbols``; sorted by publish time.

    ``timestamp`` (or ``published``) is the publish time; naive times are taken as UTC. Rows without a
    time or text are refused with their count rather than silently kept at the wrong time.
    """
    frame = frame.drop(columns=[c for c in CRAWL_TIME_COLUMNS if c in frame.columns])
    time_column = "published" if "published" in frame.columns else "timestamp"
    for column in (time_column, "text"):
        if column not in frame.columns:
            raise DataError(f"texts: missing column {column!r} (need 'timestamp' in UTC and 'text')")
    try:
        published = pd.to_datetime(frame[time_column], utc=True, errors="coerce")
    except (TypeError, ValueError) as exc:
        raise DataError(f"texts: 'timestamp' is not a time: {exc}") from None
    bad = int(published.isna().sum())
    if bad:
        raise DataError(f"texts: {bad} row(s) have no readable timestamp (first at row {int(published.isna().argmax())})")
    now = pd.Timestamp.now(tz="UTC") if ingested is None else ingested
    out = pd.DataFrame({
        "published": published.to_numpy(),
        "ingested": pd.to_datetime(frame["ingested"], utc=True) if "ingested" in frame.columns else now,
        "source": frame["source"].astype(str) if "source" in frame.columns else "user",
        "text": frame["text"].fillna("").astype(str),
        "symbols": frame["symbols"].fillna("").astype(str) if "symbols" in frame.columns else "",
    })
    out["published"] = pd.to_datetime(out["published"], utc=True)
    return out.sort_values("published", kind="stable").reset_index(drop=True)


def load_corpus(name: str, *, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """A bundled timed corpus (reddit or news) in the point-in-time shape, optionally cut to [start, end)."""
    if name not in ("reddit", "news"):
        raise DataError(f"{name!r} is not a timed text corpus; choose reddit or news")
    filters = []
    if start is not None:
        filters.append(("timestamp", ">=", pd.Timestamp(start, tz="UTC")))
    if end is not None:
        filters.append(("timestamp", "<", pd.Timestamp(end, tz="UTC")))
    columns = ["timestamp", "source", "text", "symbols"]
    frame = pd.read_parquet(corpus_path(name), columns=columns, filters=filters or None)
    return normalise(frame, ingested=pd.Timestamp(os.path.getmtime(corpus_path(name)), unit="s", tz="UTC"))
