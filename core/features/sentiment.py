"""The sentiment feature group: per-bar statistics of scored texts, strictly point-in-time.

Bar i (open o, close o + tf) reads the texts published in [close - latency - tf, close - latency):
one bar's worth of texts, all public before the bar closed minus the latency. Prefix sums over
the publish-sorted scores make a whole history one ``searchsorted`` per edge, not a loop per bar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import DataError

GROUP = "sentiment"
EXTERNAL_GROUPS: tuple[str, ...] = (GROUP,)  # groups built from data beyond candles, beside FEATURE_GROUPS
SYMBOLS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "ADA")
Z_WINDOW = 168  # one week of hourly bars: the scale a count or mean is compared with
SOCIAL_PREFIXES = ("reddit", "twitter", "x/", "stocktwits", "telegram", "discord")


def _edges(published: np.ndarray, cut: np.ndarray) -> np.ndarray:
    return np.searchsorted(published, cut, side="left")


def _window_sum(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    prefix = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    return prefix[hi] - prefix[lo]


def _zscore(values: pd.Series, window: int) -> pd.Series:
    """Each value against the trailing window ending at it (past and present only); 0 where flat."""
    rolling = values.rolling(window, min_periods=2)
    spread = rolling.std()
    return ((values - rolling.mean()) / spread.where(spread > 0)).fillna(0.0)


def sentiment_features(
    bar_open: pd.DatetimeIndex, timeframe: pd.Timedelta, texts: pd.DataFrame, scores: np.ndarray, *,
    latency: pd.Timedelta = pd.Timedelta(0), symbols: tuple[str, ...] = SYMBOLS, z_window: int = Z_WINDOW,
) -> pd.DataFrame:
    """One row per bar open: sentiment mean and dispersion, post/headline counts, z-scores, mentions.

    ``texts`` is the point-in-time shape (``published`` UTC, ``source``, ``symbols``) and ``scores``
    their scorer outputs in the same order. A bar with no texts reads mean 0 and std 0 with count 0.
    """
    if len(texts) != len(scores):
        raise DataError(f"{len(texts)} texts but {len(scores)} scores")
    if timeframe <= pd.Timedelta(0):
        raise DataError("the timeframe must be positive")
    published = pd.DatetimeIndex(texts["published"]).asi8  # int64 ns, UTC (naive times are taken as UTC)
    order = np.argsort(published, kind="stable")
    published, score = published[order], np.asarray(scores, dtype=np.float64)[order]
    bar_open = pd.DatetimeIndex(bar_open)
    cut = bar_open.asi8 + (timeframe - latency).value
    hi, lo = _edges(published, cut), _edges(published, cut - timeframe.value)
    count = (hi - lo).astype(np.float64)
    total, squares = _window_sum(score, lo, hi), _window_sum(score * score, lo, hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, 0.0)
        std = np.where(count > 1, np.sqrt(np.maximum(squares / count - mean * mean, 0.0)), 0.0)
    social = texts["source"].astype(str).str.lower().str.startswith(SOCIAL_PREFIXES).to_numpy(dtype=float)[order]
    out = pd.DataFrame(index=bar_open)
    out["sent_mean"], out["sent_std"], out["sent_count"] = mean, std, count
    out["sent_posts"] = _window_sum(social, lo, hi)
    out["sent_headlines"] = count - out["sent_posts"].to_numpy()
    out["sent_count_z"] = _zscore(out["sent_count"], z_window).to_numpy()
    out["sent_mean_z"] = _zscore(out["sent_mean"], z_window).to_numpy()
    listed = texts["symbols"].astype(str).str.replace(" ", "") if "symbols" in texts.columns else pd.Series("", texts.index)
    named = "," + listed.str.upper() + ","
    for symbol in symbols:
        mentioned = named.str.contains(f",{symbol},", regex=False).to_numpy(dtype=float)[order]
        out[f"mentions_{symbol}"] = _window_sum(mentioned, lo, hi)
    return out
