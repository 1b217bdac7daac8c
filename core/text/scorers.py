"""Which text scorers exist, which are ready here, and why the others are not.

One table for the CLI, the API and the page, so they all say the same thing.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from core.errors import DataError

TRANSFORMERS = ("finbert", "roberta", "distilbert", "bert", "gpt")


@dataclass(frozen=True)
class ScorerStatus:
    name: str
    ready: bool
    reason: str


def status() -> list[ScorerStatus]:
    """Every scorer with whether it can run now and, if not, what it needs."""
    from core.text import phrasebank

    vader = importlib.util.find_spec("vaderSentiment") is not None
    rows = [ScorerStatus("vader", vader, "VADER with the crypto lexicon" if vader else
                         "pip install vaderSentiment (the 'sentiment' extra)")]
    trained = phrasebank.model_path().exists()
    rows.append(ScorerStatus("phrasebank", trained, "TF-IDF + logistic regression trained on the Financial PhraseBank"
                             if trained else "not trained yet: run 'lydian sentiment train-phrasebank'"))
    have = importlib.util.find_spec("transformers") is not None
    for name in TRANSFORMERS:
        rows.append(ScorerStatus(name, False, "needs local model weights: no transformers weights are shipped and "
                                 "none can be downloaded here" if have else "transformers is not installed and no "
                                 "weights are shipped (offline)"))
    return rows


def get(name: str):
    """A ready scorer by name (an object with ``score(texts) -> ndarray`` in [-1, 1])."""
    known = {row.name: row for row in status()}
    if name not in known:
        raise DataError(f"unknown scorer {name!r}; known: {', '.join(known)}")
    if not known[name].ready:
        raise DataError(f"scorer {name!r} is not ready: {known[name].reason}")
    if name == "vader":
        from core.text.vader import VaderScorer

        return VaderScorer()
    from core.text import phrasebank

    return phrasebank.load()
