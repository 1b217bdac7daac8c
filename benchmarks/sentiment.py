"""Sentiment (issue 26): scoring speed, the PhraseBank classifier beside VADER, feature building, real ablations.

- VADER (crypto lexicon) over every bundled Reddit post title (299,239; target under 60 s on 2 cores);
- the PhraseBank classifier: held-out accuracy and macro-F1 beside VADER's on the same 968 sentences
  (FinBERT's published accuracy, about 0.86, for reference: not run here, no weights), and its throughput;
- the per-bar sentiment features for 5 years of 1h bars from all Reddit posts (target under 2 s);
- the ablation on real data: BTC/USDT 1h with and without the sentiment group over the Reddit span
  (2017-08..2022-09) and over the news span (2021-10..2022-07), same walk-forward folds; whatever it finds.

Needs ../shared/data/text (or LYDIAN_TEXT_DIR). Timings are wall time on whatever machine runs it; the
figures in the notes were taken on a shared, loaded 2-core machine. Prints one JSON object on its last line.

    python benchmarks/sentiment.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from _timing import median_seconds
from core.data import load_candles
from core.features.sentiment import sentiment_features
from core.text import corpus, fear_greed, phrasebank
from core.text.ablation import ablation
from core.text.vader import VaderScorer

HOUR = pd.Timedelta("1h")


def _real_ablation(candles: pd.DataFrame, texts: pd.DataFrame) -> dict:
    first, last = texts["published"].iloc[0], texts["published"].iloc[-1]
    window = candles.loc[max(first, candles.index[0]):last]
    group = sentiment_features(window.index, HOUR, texts, texts["score"].to_numpy())
    group["fear_greed"] = fear_greed.align(fear_greed.load(), window.index + HOUR).to_numpy()
    result = ablation(window["close"], group)
    best = max(result["columns"].items(), key=lambda item: abs(item[1]["ic"]))
    return {"bars": len(window), "span": [str(window.index[0]), str(window.index[-1])], "without": result["without"],
            "with": result["with"], "ic_gain": result["ic_gain"], "largest_column_ic": {best[0]: best[1]},
            "sent_mean_ic": result["columns"]["sent_mean"]}


def main() -> dict:
    scorer = VaderScorer()
    reddit = corpus.load_corpus("reddit")
    start = time.perf_counter()
    reddit["score"] = scorer.score(reddit["text"].tolist())
    vader_seconds = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as folder:
        report = phrasebank.train_and_report(Path(folder) / "phrasebank.json")
        model = phrasebank.load(Path(folder) / "phrasebank.json")
    sample = reddit["text"].iloc[:50_000].tolist()
    classifier_seconds = median_seconds(lambda: model.score(sample), repeats=3)

    bars = pd.date_range("2017-09-01", periods=5 * 8760, freq="1h", tz="UTC")
    build_seconds = median_seconds(lambda: sentiment_features(bars, HOUR, reddit, reddit["score"].to_numpy()))

    candles = load_candles("BTC/USDT", "1h")
    news = corpus.load_corpus("news")
    news["score"] = scorer.score(news["text"].tolist())
    return {
        "machine": "shared, loaded 2-core machine (other engineers' jobs running)",
        "vader_reddit": {"posts": len(reddit), "seconds": round(vader_seconds, 2),
                         "posts_per_second": round(len(reddit) / vader_seconds), "target_seconds": 60},
        "phrasebank": report,
        "classifier_throughput_texts_per_second": round(len(sample) / classifier_seconds),
        "features_5y_1h": {"bars": len(bars), "texts": len(reddit), "seconds": build_seconds, "target_seconds": 2},
        "ablation_btc_1h_reddit": _real_ablation(candles, reddit),
        "ablation_btc_1h_news": _real_ablation(candles, news),
    }


if __name__ == "__main__":
    print(json.dumps(main(), default=str))
