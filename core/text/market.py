"""One market's sentiment report: the per-bar index over a window, the texts behind a bar, the ablation.

The dashboard page and the API call this, so both show the same numbers. The window is bounded
(``days``) because scoring is per text; the ablation uses the same walk-forward as `core.text.ablation`.
"""

from __future__ import annotations

import pandas as pd

from core.data.timeframes import TIMEFRAMES
from core.errors import DataError
from core.features.sentiment import sentiment_features
from core.text import corpus, fear_greed, scorers
from core.text.ablation import ablation

CORPORA = ("news", "reddit")


def span(name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last publish time of a bundled corpus."""
    times = pd.read_parquet(corpus.corpus_path(name), columns=["timestamp"])["timestamp"]
    return times.min(), times.max()


def report(candles: pd.DataFrame, timeframe: str, *, source: str = "news", days: int = 120,
           end: str | pd.Timestamp | None = None, latency_minutes: float = 0.0, scorer: str = "vader") -> dict:
    """Features, scored texts and the ablation for the candles in the last ``days`` days the corpus covers."""
    if source not in CORPORA:
        raise DataError(f"unknown text source {source!r}; choose {' or '.join(CORPORA)}")
    first, last = span(source)
    stop = min(candles.index[-1], last if end is None else pd.Timestamp(end, tz="UTC"))
    begin = max(candles.index[0], first, stop - pd.Timedelta(days=days))
    window = candles.loc[begin:stop]
    if len(window) < 250:
        raise DataError(f"the {source} texts ({first:%Y-%m-%d}..{last:%Y-%m-%d}) overlap only {len(window)} "
                        f"{timeframe} candles of this market; the report needs 250")
    step, latency = pd.Timedelta(minutes=TIMEFRAMES[timeframe]), pd.Timedelta(minutes=latency_minutes)
    texts = corpus.load_corpus(source, start=str(begin - step - latency), end=str(stop + step))
    texts["score"] = scorers.get(scorer).score(texts["text"].tolist())
    table = sentiment_features(window.index, step, texts, texts["score"].to_numpy(), latency=latency)
    table["fear_greed"] = fear_greed.align(fear_greed.load(), window.index + step, latency).to_numpy()
    return {"features": table, "texts": texts, "close": window["close"], "timeframe": timeframe,
            "latency_minutes": latency_minutes, "source": source, "scorer": scorer,
            "ablation": ablation(window["close"], table)}


def texts_behind(result: dict, bar_open: pd.Timestamp) -> pd.DataFrame:
    """The texts a bar's features were built from (published in its window before close minus latency)."""
    step = pd.Timedelta(minutes=TIMEFRAMES[result["timeframe"]])
    cut = pd.Timestamp(bar_open) + step - pd.Timedelta(minutes=result["latency_minutes"])
    texts = result["texts"]
    return texts[(texts["published"] >= cut - step) & (texts["published"] < cut)][["published", "source", "score", "text"]]
