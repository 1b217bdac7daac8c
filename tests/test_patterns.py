"""Candlestick events (all 61 TA-Lib functions, causal on real candles), the statistics table on a
case with known answers, and the `lydian patterns` command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from core.stats import wilson_interval
from core.cli import main
from core.errors import DataError
from core.patterns import (
    CANDLESTICK_PATTERNS, NEUTRAL_PATTERNS, beats_base, candlestick_events, chart_patterns, differs_from_base,
    forward_returns, pattern_stats, with_record,
)
from tests.test_chart_patterns import DOUBLE_BOTTOM, HEAD_AND_SHOULDERS, planted

DATA = Path(__file__).resolve().parents[1] / "data"
LYDIAN = Path(sys.executable).with_name("lydian")
BTC = pd.read_parquet(DATA / "binance_BTC-USDT_1h.parquet").set_index("timestamp").iloc[20_000:22_000]


def test_every_talib_pattern_function_has_one_readable_name() -> None:
    functions = talib.get_function_groups()["Pattern Recognition"]
    assert len(functions) == 61 and set(CANDLESTICK_PATTERNS) == set(functions)
    names = list(CANDLESTICK_PATTERNS.values())
    assert len(set(names)) == 61 and all(re.fullmatch(r"[a-z][a-z_]*[a-z]", n) for n in names)
    assert CANDLESTICK_PATTERNS["CDLENGULFING"] == "engulfing" and NEUTRAL_PATTERNS <= set(functions)


def test_candlestick_events_are_talib_values_as_events() -> None:
    events = candlestick_events(BTC)
    assert list(events.columns) == ["timestamp", "pattern", "direction", "strength"]
    assert events["timestamp"].is_monotonic_increasing and set(events["timestamp"]) <= set(BTC.index)
    assert set(events["direction"]) == {"bullish", "bearish", "neutral"}
    assert set(events["strength"]) <= {0.8, 1.0, 2.0}
    prices = [BTC[c].to_numpy() for c in ("open", "high", "low", "close")]
    for function in ("CDLENGULFING", "CDLHIKKAKE", "CDLHAMMER", "CDLDOJI"):
        raw = getattr(talib, function)(*prices)
        mine = events[events["pattern"] == CANDLESTICK_PATTERNS[function]]
        assert list(mine["timestamp"]) == list(BTC.index[raw != 0])
        assert np.allclose(mine["strength"], np.abs(raw[raw != 0]) / 100)
        expected = "neutral" if function in NEUTRAL_PATTERNS else None
        for value, direction in zip(raw[raw != 0], mine["direction"]):
            assert direction == (expected or ("bullish" if value > 0 else "bearish"))
    assert (events[events["pattern"] == "hikkake"]["strength"] == 2.0).any()  # confirmed hikkakes exist here


def test_candlestick_events_are_causal_on_real_candles() -> None:
    """Truncating after bar t, or replacing every later bar, leaves the events up to t unchanged."""
    full = candlestick_events(BTC)
    rng = np.random.default_rng(0)
    for cut in (30, 517, 1200, 1999):
        t = BTC.index[cut]
        expected = full[full["timestamp"] <= t].reset_index(drop=True)
        pd.testing.assert_frame_equal(candlestick_events(BTC.iloc[: cut + 1]), expected)
        changed = BTC.copy()
        changed.iloc[cut + 1 :, :4] *= rng.uniform(0.9, 1.1, size=(len(BTC) - cut - 1, 1))
        changed_events = candlestick_events(changed)
        pd.testing.assert_frame_equal(changed_events[changed_events["timestamp"] <= t].reset_index(drop=True), expected)


def test_candlestick_events_on_no_candles_and_bad_frames() -> None:
    assert candlestick_events(BTC.iloc[:0]).empty
    with pytest.raises(DataError, match="close"):
        candlestick_events(BTC.drop(columns="close"))


def _alternating(n: int = 300) -> pd.DataFrame:
    """Closes that rise 1 % after even bars and fall 1 % after odd ones: every forward return is known."""
    steps = np.where(np.arange(n - 1) % 2 == 0, 1.01, 0.99)
    close = 100.0 * np.r_[1.0, np.cumprod(steps)]
    index = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": close, "high": close * 1.001, "low": close * 0.999, "close": close, "volume": 1.0},
                        index=index)


def test_stats_table_on_a_planted_case_has_the_right_count_and_hit_rate() -> None:
    candles = _alternating()
    right, wrong = np.arange(0, 60, 2), np.arange(101, 121, 2)  # 30 bars before a rise, 10 before a fall
    events = pd.DataFrame({
        "timestamp": candles.index[np.r_[right, wrong, [7, 9, 11]]],
        "pattern": ["hammer"] * 40 + ["doji"] * 3,
        "direction": ["bullish"] * 40 + ["neutral"] * 3,
        "strength": 1.0,
    })
    stats = pattern_stats(candles, events, horizons=(1, 4, 24)).set_index(["pattern", "horizon"])
    one = stats.loc[("hammer", 1)]
    assert (one["n"], one["hits"], one["hit_rate"]) == (40, 30, 0.75)
    assert (one["hit_rate_ci_low"], one["hit_rate_ci_high"]) == pytest.approx(wilson_interval(30, 40))
    assert one["mean_return"] == pytest.approx((30 * 0.01 - 10 * 0.01) / 40)
    close = candles["close"].to_numpy()
    for h in (1, 4, 24):
        r = np.array([close[t + h] / close[t] - 1 for t in range(len(close) - h)])
        row = stats.loc[("hammer", h)]
        assert row["base_hit_rate"] == pytest.approx(np.mean(r > 0))
        assert row["base_mean_return"] == pytest.approx(r.mean())
        mine = r[np.r_[right, wrong]]
        assert row["hit_rate"] == pytest.approx(np.mean(mine > 0))
        assert row["hit_rate_diff"] == pytest.approx(np.mean(mine > 0) - np.mean(r > 0))
        assert row["mean_return_diff"] == pytest.approx(mine.mean() - r.mean())
    few = stats.loc[("doji", 1)]
    assert few["n"] == 3 and np.isnan(few["hit_rate"]) and np.isnan(few["mean_return"])
    assert few["note"] == "too few events (n=3 < 30)"


def test_only_patterns_whose_claim_beats_the_base_rate_keep_their_markers() -> None:
    nan = float("nan")
    table = pd.DataFrame({  # (pattern, direction, horizon): hit-rate interval beside the base rate
        "pattern": ["hammer", "hammer", "engulfing", "doji", "harami", "star"],
        "direction": ["bullish", "bullish", "bearish", "neutral", "bullish", "bullish"],
        "horizon": [1, 24, 1, 1, 1, 1],
        "hit_rate_ci_low": [0.49, 0.53, 0.40, 0.44, 0.47, nan],
        "hit_rate_ci_high": [0.55, 0.60, 0.45, 0.49, 0.56, nan],
        "base_hit_rate": [0.51, 0.51, 0.49, 0.50, 0.51, 0.51],
    })
    assert differs_from_base(table).tolist() == [False, True, True, True, False, False]
    # engulfing's bearish claim fails more often than a random bar: a down marker would contradict its record
    assert beats_base(table).tolist() == [False, True, False, True, False, False]
    events = pd.DataFrame({
        "timestamp": pd.date_range("2024-01-01", periods=6, freq="h", tz="UTC"),
        "pattern": ["hammer", "hammer", "engulfing", "doji", "harami", "hammer"],
        "direction": ["bullish", "bearish", "bearish", "neutral", "bullish", "bullish"],
    })
    kept = with_record(events, table)
    assert kept.index.tolist() == [0, 3, 5]  # hammer's record is at 24 bars; a bearish hammer has none
    assert with_record(events.iloc[:0], table).empty and with_record(events, table.iloc[:0]).empty


def test_stats_count_chart_patterns_at_their_confirmation_bar_only() -> None:
    candles = planted(HEAD_AND_SHOULDERS + [80, 70] + DOUBLE_BOTTOM)
    events = chart_patterns(candles)
    confirmed = [e for e in events if e.confirmed]
    assert sorted(e.pattern for e in confirmed) == ["double_bottom", "head_and_shoulders"]
    stats = pattern_stats(candles, events, horizons=(1, 4), min_events=1).set_index(["pattern", "horizon"])
    for event in confirmed:
        at = candles.index.get_loc(event.confirmed_at)
        r = candles["close"].iloc[at + 4] / candles["close"].iloc[at] - 1
        row = stats.loc[(event.pattern, 4)]
        assert (row["kind"], row["direction"], row["n"]) == ("chart", event.direction, 1)
        assert row["mean_return"] == pytest.approx(r)
        assert row["hits"] == int(r < 0 if event.direction == "bearish" else r > 0) == 1  # both followed through
    assert len(stats) == 4  # two patterns x two horizons; unconfirmed events would add no row


def test_forward_returns_and_bad_inputs() -> None:
    r = forward_returns(np.array([100.0, 110.0, 99.0]), 1)
    assert r[:2] == pytest.approx([0.1, -0.1]) and np.isnan(r[2])
    assert np.isnan(forward_returns(np.array([1.0, 2.0]), 5)).all()
    candles = _alternating(50)
    with pytest.raises(DataError, match="horizons"):
        pattern_stats(candles, candlestick_events(candles), horizons=(0,))
    stray = pd.DataFrame({"timestamp": [pd.Timestamp("1999-01-01", tz="UTC")], "pattern": ["x"],
                          "direction": ["bullish"]})
    with pytest.raises(DataError, match="not bars"):
        pattern_stats(candles, stray)


def test_cli_patterns_help(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["patterns", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: lydian patterns") and "--last" in out and "--json" in out


def test_cli_patterns_json_is_one_document(capsys: pytest.CaptureFixture) -> None:
    argv = ["patterns", "--symbol", "BTC/USDT", "--timeframe", "1h", "--start", "2024-05-01", "--last", "7", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)  # one document: json.loads refuses trailing text
    assert out.count("\n") == 1 and len(doc["events"]) == 7
    assert {"events", "stats", "bars", "horizons"} <= set(doc) and doc["horizons"] == [1, 4, 24]
    assert [e["time"] for e in doc["events"]] == sorted(e["time"] for e in doc["events"])
    rows = doc["stats"]
    assert {r["kind"] for r in rows} == {"candlestick", "chart"} and all(r["n"] >= 1 for r in rows)
    few = [r for r in rows if r["n"] < 30]
    assert few and all(r["hit_rate"] is None and r["note"].startswith("too few") for r in few)


def test_cli_patterns_text_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "btc.csv"
    BTC.reset_index().to_csv(source, index=False)
    assert main(["patterns", "--file", str(source), "--timeframe", "1h", "--last", "5"]) == 0
    out = capsys.readouterr().out
    assert "Last 5 events" in out and "base" in out and "engulfing" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--symbol", "BTC", "--timeframe", "2h"], "argument --timeframe: invalid choice: '2h'"),
    (["--symbol", "BTC", "--last", "0"], "argument --last: '0' must be at least 1"),
    (["--symbol", "BTC", "--threshold", "3"], "argument --threshold: '3' must be a fraction"),
    (["--timeframe", "1h"], "give exactly one of --symbol or --file"),
    (["--symbol", "BTC", "--start", "2030-01-01"], "no candles"),
])
def test_cli_patterns_bad_arguments_exit_2_with_one_line(argv: list[str], message: str, capsys) -> None:
    try:
        code = main(["patterns", *argv])
    except SystemExit as stop:
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_cli_patterns_bad_timeframe_from_the_console_script() -> None:
    done = subprocess.run([str(LYDIAN), "patterns", "--symbol", "BTC", "--timeframe", "7h"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "invalid choice: '7h'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
