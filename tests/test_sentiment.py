"""Point-in-time sentiment (issue 26): no text is used before it was public, and known answers.

The leakage test moves one text across a bar's cutoff (close minus latency); the ablation finds a
planted edge and finds none on a random walk; Fear & Greed is known only after its day closes;
the PhraseBank classifier beats VADER on held-out sentences and a tampered model file is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.errors import DataError
from core.features.sentiment import sentiment_features
from core.text import corpus, fear_greed, phrasebank, pipeline
from core.text.ablation import ablation
from core.text.store import TextStore
from core.text.vader import VaderScorer

HOUR = pd.Timedelta("1h")
BARS = pd.date_range("2022-01-01", periods=48, freq="1h", tz="UTC")
SHARED = corpus.shared_text_dir()
needs_shared = pytest.mark.skipif(not (SHARED / corpus.CORPORA["phrasebank"]).exists(),
                                  reason=f"the shared text corpora are not at {SHARED}")


def _texts(times: list[str], scores: list[float], symbols: list[str] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame({"published": pd.to_datetime(times, utc=True), "source": "reddit/r/Bitcoin",
                          "symbols": symbols or [""] * len(times), "text": "x"})
    return frame, np.asarray(scores, dtype=float)


@pytest.mark.parametrize("latency", [pd.Timedelta(0), pd.Timedelta("15min")])
def test_a_text_after_the_cutoff_changes_nothing_at_that_bar_and_one_before_it_does(latency: pd.Timedelta) -> None:
    rng = np.random.default_rng(3)
    times = list((BARS[0] + pd.to_timedelta(np.sort(rng.uniform(0, 47 * 60, 120)), unit="min")).astype(str))
    base, scores = _texts(times, list(rng.uniform(-1, 1, 120)))
    before = sentiment_features(BARS, HOUR, base, scores, latency=latency)
    bar = 20
    cutoff = BARS[bar] + HOUR - latency
    for stamp in (cutoff, cutoff + pd.Timedelta("1s"), cutoff + pd.Timedelta("3h")):
        extra, extra_score = _texts([str(stamp)], [0.9], ["BTC"])
        after = sentiment_features(BARS, HOUR, pd.concat([base, extra], ignore_index=True),
                                   np.r_[scores, extra_score], latency=latency)
        pd.testing.assert_frame_equal(after.iloc[: bar + 1], before.iloc[: bar + 1])
    early, early_score = _texts([str(cutoff - pd.Timedelta("1s"))], [0.9], ["BTC"])
    after = sentiment_features(BARS, HOUR, pd.concat([base, early], ignore_index=True),
                               np.r_[scores, early_score], latency=latency)
    assert after.iloc[bar]["sent_count"] == before.iloc[bar]["sent_count"] + 1
    assert after.iloc[bar]["mentions_BTC"] == before.iloc[bar]["mentions_BTC"] + 1
    pd.testing.assert_frame_equal(after.iloc[:bar], before.iloc[:bar])


def test_per_bar_statistics_have_known_values() -> None:
    texts, scores = _texts(["2022-01-01T00:10Z", "2022-01-01T00:20Z", "2022-01-01T01:30Z"], [0.5, -0.1, 0.4],
                           ["BTC,ETH", "ETH", ""])
    texts.loc[2, "source"] = "CoinTelegraph"
    table = sentiment_features(BARS[:3], HOUR, texts, scores)
    assert table["sent_count"].tolist() == [2, 1, 0]
    assert table["sent_mean"].tolist() == pytest.approx([0.2, 0.4, 0.0])
    assert table["sent_std"].iloc[0] == pytest.approx(0.3)
    assert table["sent_posts"].tolist() == [2, 0, 0] and table["sent_headlines"].tolist() == [0, 1, 0]
    assert table["mentions_ETH"].tolist() == [2, 0, 0] and table["mentions_BTC"].tolist() == [1, 0, 0]


def test_the_ablation_finds_a_planted_sentiment_edge_and_none_on_a_random_walk() -> None:
    rng = np.random.default_rng(0)
    n = 1200
    bars = pd.date_range("2022-01-01", periods=n, freq="1h", tz="UTC")
    mood = np.tanh(rng.normal(size=n))
    texts, _ = _texts(list((bars + pd.Timedelta("30min")).astype(str)), list(mood))
    group = sentiment_features(bars, HOUR, texts, mood)
    planted = np.r_[0.0, 0.002 * mood[:-1]] + rng.normal(scale=0.004, size=n)  # bar t+1 follows the mood of bar t
    found = ablation(pd.Series(100 * np.exp(np.cumsum(planted)), index=bars), group)
    assert found["with"]["ic_low"] > 0.1 and found["with"]["ic_low"] > found["without"]["ic_high"]
    assert found["columns"]["sent_mean"]["ic_low"] > 0.1
    walk = pd.Series(100 * np.exp(np.cumsum(rng.normal(scale=0.004, size=n))), index=bars)
    none = ablation(walk, group)
    assert none["columns"]["sent_mean"]["ic_low"] < 0 < none["columns"]["sent_mean"]["ic_high"]
    assert none["with"]["ic_low"] < 0 < none["with"]["ic_high"]


def test_fear_and_greed_is_known_only_after_its_day_closes() -> None:
    values = pd.Series([10.0, 90.0], index=pd.to_datetime(["2022-01-01", "2022-01-02"], utc=True) + fear_greed.KNOWN_AFTER)
    closes = pd.to_datetime(["2022-01-01T23:00Z", "2022-01-02T00:00Z", "2022-01-02T01:00Z", "2022-01-03T00:00Z",
                             "2022-01-03T01:00Z"], utc=True)
    aligned = fear_greed.align(values, pd.DatetimeIndex(closes))
    assert np.isnan(aligned.iloc[0]) and np.isnan(aligned.iloc[1])  # the bar closing at midnight opened before
    assert aligned.iloc[2:].tolist() == [10.0, 10.0, 90.0]


def test_the_store_answers_as_of_a_time_with_latency_and_ingest_time(tmp_path: Path) -> None:
    store = TextStore(tmp_path / "texts.parquet")
    raw = pd.DataFrame({"timestamp": ["2022-01-01T00:00Z", "2022-01-01T00:50Z"], "text": ["a", "b"],
                        "score": [999, 5], "num_comments": [1, 2], "upvote_ratio": [0.9, 0.1]})
    assert store.add(raw, ingested=pd.Timestamp("2022-01-01T02:00Z")) == 2
    assert store.add(raw) == 0  # duplicates are not stored twice
    assert not set(corpus.CRAWL_TIME_COLUMNS) & set(store.read().columns)
    at = pd.Timestamp("2022-01-01T01:00Z")
    assert store.as_of(at)["text"].tolist() == ["a", "b"]
    assert store.as_of(at, latency_minutes=15)["text"].tolist() == ["a"]
    assert store.as_of(at, live=True).empty  # not yet ingested at 01:00


@needs_shared
def test_the_bundled_reddit_posts_never_carry_crawl_time_engagement() -> None:
    posts = corpus.load_corpus("reddit", start="2021-05-19", end="2021-05-20")
    assert len(posts) > 100 and list(posts.columns) == list(corpus.COLUMNS)


def test_vader_reads_the_crypto_lexicon() -> None:
    scorer = VaderScorer()
    up, down, plain = scorer.score(["HODL, BTC is mooning, very bullish", "rekt again, FUD and a dump", ""])
    assert up > 0.5 and down < -0.5 and plain == 0.0


@needs_shared
def test_the_phrasebank_classifier_beats_vader_held_out_and_refuses_a_tampered_file() -> None:
    report = phrasebank.train_and_report()
    trained, vader = report["trained"], report["vader"]
    majority = 2873 / 4840  # the share of 'neutral': what always guessing it scores
    assert trained["accuracy"] > max(majority, vader["accuracy"]) + 0.1
    assert trained["macro_f1"] > vader["macro_f1"] + 0.1
    model = phrasebank.load()
    assert model.predict(["Operating profit rose sharply to EUR 13.1 mn"])[0] == "positive"
    path = phrasebank.model_path()
    wrapper = json.loads(path.read_text())
    wrapper["params"] = wrapper["params"].replace('"intercept": [', '"intercept": [9.0, ', 1)
    path.write_text(json.dumps(wrapper))
    with pytest.raises(DataError, match="hash mismatch"):
        phrasebank.load()
    path.write_text("not json")
    with pytest.raises(DataError, match="not a valid"):
        phrasebank.load()


def test_cli_features_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"timestamp": ["2022-01-01T00:10:00Z", "2022-01-01T00:50:00Z", "2022-01-01T01:20:00Z"],
                  "text": ["BTC to the moon", "ETH dump, rekt", "fine"], "source": ["reddit/r/x", "news", "news"],
                  "symbols": ["BTC", "ETH", ""]}).to_csv(texts, index=False)
    out = tmp_path / "features.csv"
    args = ["sentiment", "features", "--texts", str(texts), "--timeframe", "1h", "--start", "2022-01-01",
            "--end", "2022-01-01T03:00", "--latency-minutes", "15", "--scorer", "vader", "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out)
    assert table["timestamp"].tolist()[0].startswith("2022-01-01 00:00") and len(table) == 4
    assert table["sent_count"].tolist() == [1, 2, 0, 0]  # 00:50 counts for 01:00's bar: after 00:45, 00:00's cutoff
    assert table["sent_mean"].iloc[0] > 0 and {"sent_std", "sent_count_z", "mentions_BTC"} <= set(table.columns)
    capsys.readouterr()
    assert main([*args[:-2], "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["sentiment", "features", "--texts", str(tmp_path / "none.csv"), "--timeframe", "1h", "--start",
                 "2022-01-01", "--end", "2022-01-02", "--out", str(out)]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,text\nyesterday,hello\n")
    assert main([*args[:3], str(bad), *args[4:]]) == 2
    err = capsys.readouterr().err
    assert "no readable timestamp" in err and "Traceback" not in err
    assert main(["sentiment", "scorers", "--json"]) == 0
    listed = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert listed["vader"]["ready"] and not listed["finbert"]["ready"] and listed["finbert"]["reason"]


def test_bar_grid_and_bad_ranges() -> None:
    assert pipeline.bar_opens("4h", "2022-01-01T01:00", "2022-01-01T12:00").hour.tolist() == [4, 8, 12]
    with pytest.raises(DataError, match="before start"):
        pipeline.bar_opens("1h", "2022-01-02", "2022-01-01")


def test_api_and_cli_ablation_match_the_core(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    from core.api.app import create_app
    from core.api.settings import ApiSettings
    from core.data import load_candles
    from core.text import market

    settings = ApiSettings(database_url=f"sqlite:///{tmp_path / 'api.db'}", jwt_secret="x" * 40, rate_limit=0)
    with TestClient(create_app(settings)) as client:
        listed = client.get("/api/ai/sentiment/scorers").json()
        assert {row["name"] for row in listed} >= {"vader", "phrasebank", "finbert"}
        answer = client.get("/api/ai/sentiment", params={"symbol": "BTC", "days": 30, "last": 5})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert client.get("/api/ai/sentiment", params={"symbol": "BTC", "source": "tweets"}).status_code == 422
    core = market.report(load_candles("BTC/USDT", "1h"), "1h", days=30)
    assert body["ablation"]["with"]["ic"] == pytest.approx(core["ablation"]["with"]["ic"])
    assert [row["sent_mean"] for row in body["features"]] == pytest.approx(core["features"]["sent_mean"].tail(5).tolist())
    capsys.readouterr()
    assert main(["sentiment", "ablation", "--symbol", "BTC", "--days", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["with"] == pytest.approx(core["ablation"]["with"])


def test_the_sentiment_page_draws_the_index_the_texts_and_the_ablation() -> None:
    from tests.pages import open_page

    at = open_page("views/Sentiment.py", timeout=120)
    at.number_input(key="sentiment_days").set_value(30).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Sentiment"
    tables = [element.value for element in at.dataframe]
    ablation = next(t for t in tables if "variant" in t.columns)
    assert ablation["variant"].tolist() == ["without", "with"] and ablation["ic_low"].notna().all()
    assert any({"published", "text"} <= set(t.columns) and len(t) > 0 for t in tables)
