"""Learned pattern detectors (issue 23): known answers on synthetic bars, causality, and the span arithmetic.

- Planted double tops and bottoms: the rules label the training half; the YOLO-style detector must find
  the rules' patterns on the later half with precision and recall above random spans of the same lengths.
- A planted trading range: the U-Net, taught which bars touch the floor and the ceiling, marks them on
  later bars far above their base rate.
- A detection or zone mark known at bar t does not change when the bars after t do.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.patterns.learned import (
    LearnConfig, detect, fit_detector, fit_unet, learn, mark_zones, match, rule_spans, span_iou, zone_probabilities, zone_scores,
)

SMALL = LearnConfig(window=64, cells=8, stride=8, epochs=12)


def _candles(close: np.ndarray, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    open_ = np.concatenate([[close[0]], close[:-1]])
    wick = np.abs(rng.normal(0, 0.001, (2, len(close)))) * close
    index = pd.date_range("2024-01-01", periods=len(close), freq="h", tz="UTC")
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) + wick[0], "low": np.minimum(open_, close) - wick[1],
                         "close": close, "volume": rng.uniform(50, 150, len(close))}, index=index)


def _planted(n_shapes: int = 70, seed: int = 1) -> pd.DataFrame:
    """Double tops and double bottoms (legs of 3 %, peaks 6 bars apart) joined by quiet drifts."""
    rng = np.random.default_rng(seed)
    path = [np.log(100.0)]
    for _ in range(n_shapes):
        sign = 1.0 if rng.random() < 0.5 else -1.0  # +: double top, -: double bottom
        legs = sign * np.array([0.03, -0.02, 0.02, -0.03])
        for leg in legs:
            path.extend(path[-1] + np.linspace(0, leg, 7)[1:])
        path.extend(path[-1] + np.cumsum(rng.normal(0, 0.001, 10)))
    close = np.exp(np.array(path) + np.random.default_rng(seed + 1).normal(0, 0.0005, len(path)))
    return _candles(close, seed)


@lru_cache(maxsize=1)
def _report() -> dict:
    return learn(_planted(), SMALL)


def test_span_iou_and_matching_have_known_answers() -> None:
    assert span_iou((0, 9), (0, 9)) == 1.0 and span_iou((0, 9), (10, 19)) == 0.0
    assert span_iou((0, 9), (5, 14)) == pytest.approx(5 / 15)
    scores = match([(0, 9, 1), (30, 39, 2), (50, 59, 1)], [(1, 10, 1), (30, 39, 1)], iou=0.5)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == 0.5  # class 2 at 30 is the wrong class
    assert scores["mean_iou"] == pytest.approx(9 / 11)


def test_the_detector_finds_the_rules_patterns_better_than_chance() -> None:
    report = _report()["detector"]
    assert report["n_rules"] >= 15 and report["n_found"] >= 5
    assert report["recall"] > report["chance"]["recall"] + 0.2
    assert report["precision"] > report["chance"]["precision"] + 0.2
    assert report["mean_iou"] >= SMALL.iou


def test_forward_returns_are_reported_beside_the_rules_and_the_base_rate() -> None:
    returns = _report()["forward_returns"]
    assert returns["horizon"] == SMALL.horizon
    assert returns["rules"]["n"] > 0 and returns["detector"]["n"] > 0
    assert 0 <= returns["base"]["up_rate"] <= 1


def test_the_unet_marks_a_planted_floor_and_ceiling() -> None:
    """A range between 100 and 104: bars within 0.15 of the floor (ceiling) are support (resistance)."""
    rng = np.random.default_rng(3)
    t = np.arange(3000)
    close = 102 + 1.9 * np.sin(2 * np.pi * t / rng.choice([30, 45, 60])) + rng.normal(0, 0.05, len(t))
    candles = _candles(close, 3)
    labels = np.where(candles["low"] <= 100.25, 1, np.where(candles["high"] >= 103.75, 2, 0))
    cut = 1800
    model = fit_unet(candles.iloc[:cut], labels[:cut], LearnConfig(window=64, epochs=40))
    scores = zone_scores(mark_zones(model, candles, SMALL)[cut:], labels[cut:])
    for zone in ("support", "resistance"):
        assert scores[zone]["precision"] > 2 * scores[zone]["base_rate"], scores
        assert scores[zone]["iou"] > 0.3, scores


def test_detections_and_marks_at_t_ignore_later_bars() -> None:
    candles = _planted(30)
    cut = 600
    untrained = LearnConfig(window=64, cells=8, epochs=0)  # random weights: only the dependence on later bars matters
    detector = fit_detector(candles.iloc[:cut], rule_spans([], candles.index), untrained)
    unet = fit_unet(candles.iloc[:cut], np.zeros(cut, dtype=np.int64), untrained)
    altered = candles.copy()
    altered.iloc[cut + 1:] = altered.iloc[cut + 1:].to_numpy()[::-1] * 1.3
    cfg = LearnConfig(window=64, cells=8, stride=1)
    before = [d for d in detect(detector, candles, cfg) if d.known <= cut]
    assert before and before == [d for d in detect(detector, altered, cfg) if d.known <= cut]
    probabilities = zone_probabilities(unet, candles, cfg)
    np.testing.assert_array_equal(probabilities[: cut + 1], zone_probabilities(unet, altered, cfg)[: cut + 1])
    assert not np.allclose(probabilities[cut + 1:], zone_probabilities(unet, altered, cfg)[cut + 1:])


def test_too_few_bars_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="need at least"):
        learn(_planted(3), SMALL)


def test_the_patterns_page_shows_the_learned_detectors_beside_the_rules(monkeypatch) -> None:
    """The page only lays out what the service returns (here the planted report, not a year of BTC)."""
    from core import service
    from tests.pages import open_page

    monkeypatch.setattr(service, "learned_patterns", lambda candles, **_: _report())
    at = open_page("views/Patterns.py", timeout=120)
    at.button(key="patterns_learn").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    tables = {column: next(d.value for d in at.dataframe if column in d.value.columns) for column in ("found", "zone", "after")}
    assert tables["found"]["precision"].iloc[0] == _report()["detector"]["precision"]
    assert set(tables["zone"]["zone"]) == {"support", "resistance"}
    assert list(tables["after"]["after"]) == ["detector", "rules", "base"]
