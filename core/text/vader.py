"""VADER (vaderSentiment) with a crypto lexicon: the words markets use that a general lexicon misreads.

Valences follow VADER's -4..+4 scale. "moon" and "pump" are neutral nouns to VADER and "rekt",
"FUD", "HODL" are unknown; without them crypto posts score near zero.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

CRYPTO_LEXICON: dict[str, float] = {
    "bull": 1.5, "bulls": 1.5, "bullish": 2.5, "bear": -1.5, "bears": -1.5, "bearish": -2.5,
    "moon": 2.5, "mooning": 3.0, "moonshot": 2.5, "lambo": 2.0, "ath": 2.0, "breakout": 1.5,
    "hodl": 1.5, "hodling": 1.5, "pump": 1.5, "pumping": 2.0, "pumped": 1.5,
    "dump": -2.0, "dumping": -2.5, "dumped": -2.0, "rekt": -3.0, "fud": -2.0, "rugpull": -3.5,
    "rugged": -3.0, "scam": -3.0, "capitulation": -2.5, "liquidated": -2.5, "hacked": -3.0,
    "exploit": -2.5, "bagholder": -2.0, "bagholders": -2.0, "dip": -1.0, "correction": -1.0,
    "adoption": 1.5, "rally": 2.0, "surge": 2.0, "surges": 2.0, "plunge": -2.5, "plunges": -2.5,
    "selloff": -2.0, "crackdown": -2.0, "ban": -2.0, "bans": -2.0,
}


class VaderScorer:
    """VADER's compound score in [-1, 1] per text, crypto words included."""

    name = "vader"

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self._analyzer.lexicon.update(CRYPTO_LEXICON)

    def score(self, texts: Iterable[str]) -> np.ndarray:
        polarity = self._analyzer.polarity_scores
        return np.array([polarity(t)["compound"] if t else 0.0 for t in texts], dtype=np.float64)

    def label(self, texts: Iterable[str], threshold: float = 0.05) -> np.ndarray:
        """negative/neutral/positive by VADER's usual ±0.05 compound threshold."""
        scores = self.score(texts)
        return np.where(scores >= threshold, "positive", np.where(scores <= -threshold, "negative", "neutral"))
