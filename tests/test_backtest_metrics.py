"""Scores and tests against values computed by hand on tiny fixtures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.backtest.metrics import (
    direction_scores, forecast_scores, interval_scores, realised_signals, signal_scores, signals, versus_random_walk,
)
from core.backtest.significance import diebold_mariano, holm, mcnemar, verdict
from core.backtest.strategy import net_returns, performance, periods_per_year, positions
from core.stats import wilson_interval

POSITION = np.array([1.0, 1.0, -1.0, -1.0, 0.0])
HOLD = np.array([0.01, 0.02, -0.01, 0.03, 0.05])
COST = 0.001


def test_net_returns_pay_costs_per_unit_traded() -> None:
    # trades of 1, 0, 2 (long -> short), 0, 1 (short -> flat) units
    assert net_returns(POSITION, HOLD, COST) == pytest.approx([0.009, 0.02, 0.008, -0.03, -0.001])


def test_performance_matches_hand_computed_values() -> None:
    net = np.array([0.009, 0.02, 0.008, -0.03, -0.001])
    stats = performance(net, POSITION, periods=8760)
    mean, sum_sq = 0.0012, 1.4388e-3  # mean of net; sum of squared deviations from it
    assert stats["sharpe"] == pytest.approx(mean / math.sqrt(sum_sq / 4) * math.sqrt(8760))
    assert stats["sortino"] == pytest.approx(mean / math.sqrt((0.03**2 + 0.001**2) / 5) * math.sqrt(8760))
    assert stats["max_drawdown"] == pytest.approx(1 - 0.97 * 0.999)  # from the peak after bar 3
    assert stats["total_return"] == pytest.approx(1.009 * 1.02 * 1.008 * 0.97 * 0.999 - 1)
    # two trades: long for bars 1-2 (+2.918 %), short for bars 3-4 (-2.224 %); the flat bar is no trade
    assert stats["trades"] == 2 and stats["win_rate"] == 0.5
    assert stats["profit_factor"] == pytest.approx((1.009 * 1.02 - 1) / (1 - 1.008 * 0.97))
    assert stats["exposure"] == pytest.approx(0.8)


def test_performance_of_nothing_is_nan_not_an_error() -> None:
    stats = performance(np.empty(0), np.empty(0), 8760)
    assert stats["trades"] == 0 and math.isnan(stats["sharpe"])


@pytest.mark.parametrize(("timeframe", "step", "expected"),
                         [("1h", 1, 8760), ("4h", 1, 2190), ("1d", 1, 365), ("1w", 1, 365 / 7), ("1h", 4, 2190),
                          ("5m", 1, 105_120)])
def test_annualisation_counts_a_24_7_year(timeframe: str, step: int, expected: float) -> None:
    assert periods_per_year(timeframe, step) == pytest.approx(expected)


def test_positions_by_strategy() -> None:
    p = np.array([0.7, 0.5, 0.2])
    assert positions(p, "long_short").tolist() == [1, -1, -1]
    assert positions(p, "long_flat").tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="unknown strategy"):
        positions(p, "martingale")


def test_wilson_interval_known_values() -> None:
    assert wilson_interval(50, 100) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_direction_scores() -> None:
    p = np.array([0.9, 0.8, 0.3, 0.6])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    scores = direction_scores(p, y)
    assert scores["n"] == 4 and scores["accuracy"] == 0.75
    assert scores["brier"] == pytest.approx((0.01 + 0.64 + 0.09 + 0.16) / 4)
    assert scores["log_loss"] == pytest.approx(-(math.log(0.9) + math.log(0.2) + math.log(0.7) + math.log(0.6)) / 4)
    assert scores["auc"] == pytest.approx(0.75)  # 3 of the 4 (up, down) pairs ranked right


def test_signal_scores_per_class() -> None:
    predicted = signals(np.array([0.9, 0.1, 0.5, 0.9]), hold_band=0.05)
    assert predicted.tolist() == ["BUY", "SELL", "HOLD", "BUY"]
    realised = realised_signals(np.array([0.01, -0.01, 0.0001, -0.02]), round_trip_cost=0.002)
    assert realised.tolist() == ["BUY", "SELL", "HOLD", "SELL"]
    scores = signal_scores(predicted, realised)
    assert scores["BUY"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert scores["SELL"]["recall"] == 0.5 and scores["HOLD"]["f1"] == 1.0


def test_mcnemar_uses_only_discordant_bars() -> None:
    model = np.array([True] * 8 + [False] * 2 + [True] * 50)
    base = np.array([False] * 8 + [True] * 2 + [True] * 50)
    better, worse = mcnemar(model, base)
    assert better == pytest.approx(56 / 1024)  # P(X >= 8), X ~ Binomial(10, 1/2)
    assert worse == pytest.approx(1013 / 1024)  # P(X >= 2)
    assert mcnemar(model, model) == (1.0, 1.0)


def test_holm_adjustment() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]


def test_diebold_mariano_sees_a_better_forecast() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=2000)
    good, bad = truth + rng.normal(scale=0.5, size=2000), truth + rng.normal(scale=1.0, size=2000)
    stat, p = diebold_mariano(good - truth, bad - truth, horizon=1)
    assert stat > 5 and p < 1e-6
    stat, p = diebold_mariano(bad - truth, good - truth, horizon=4)
    assert stat < -5 and p > 0.999


def _ar1_forecasts(phi: float, n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Returns r_t = phi r_(t-1) + noise and the forecast of each from an AR(1) fitted on the returns before it."""
    rng = np.random.default_rng(seed)
    r = np.zeros(n)
    for t in range(1, n):
        r[t] = phi * r[t - 1] + rng.normal(0, 0.01)
    lagged, now = r[:-1], r[1:]
    slope = np.cumsum(lagged[:-1] * now[:-1]) / np.maximum(np.cumsum(lagged[:-1] ** 2), 1e-12)  # up to t-1 only
    return slope * lagged[1:], now[1:]


def test_the_random_walk_scores_mase_one_and_a_model_of_a_random_walk_has_no_significant_edge() -> None:
    forecast, realised = _ar1_forecasts(0.0)
    assert versus_random_walk(np.zeros_like(realised), realised, 1)["mase"] == pytest.approx(1.0)
    scores = versus_random_walk(forecast, realised, 1)
    assert scores["mase"] == pytest.approx(1.0, abs=0.01) and scores["dm_rw_p_value"] > 0.05


def test_diebold_mariano_rejects_the_random_walk_on_predictable_returns() -> None:
    forecast, realised = _ar1_forecasts(0.3)
    scores = versus_random_walk(forecast, realised, 1)
    assert scores["dm_rw_stat"] > 3 and scores["dm_rw_p_value"] < 0.01 and scores["mase"] < 0.99


def test_interval_scores_by_hand() -> None:
    lo, hi = np.array([np.nan, -1.0, 0.0, -2.0]), np.array([np.nan, 1.0, 1.0, 0.0])
    scores = interval_scores(lo, hi, np.array([5.0, 0.5, 2.0, -1.0]), "x")
    low, high = wilson_interval(2, 3)  # 2 of the 3 bars with an interval fell inside it
    assert scores == {"x_coverage": pytest.approx(2 / 3), "x_width": pytest.approx(5 / 3),
                      "x_coverage_ci_low": pytest.approx(low), "x_coverage_ci_high": pytest.approx(high)}
    assert 0.2 < low < 2 / 3 < high < 0.95


def test_conformal_intervals_cover_90_percent_for_any_return_forecast() -> None:
    """Without intervals of its own a model gets conformal ones of constant width; its own are scored too."""
    forecast, realised = _ar1_forecasts(0.3, n=2000)
    table = pd.DataFrame({"expected_return": forecast, "realised_return": realised})
    plain = forecast_scores(table, horizon=1)
    assert 0.88 <= plain["conformal_90_coverage"] <= 0.92 and "own_80_coverage" not in plain
    z80 = 1.2816 * 0.01
    own = forecast_scores(table.assign(lo_80=forecast - z80, hi_80=forecast + z80), horizon=1)
    assert 0.77 <= own["own_80_coverage"] <= 0.83 and own["own_80_width"] == pytest.approx(2 * z80)
    assert 0.88 <= own["conformal_90_coverage"] <= 0.92


def test_verdict_words() -> None:
    assert verdict(0.02, 0.01, 0.99) == "edge"
    assert verdict(0.02, 0.2, 0.8) == "no evidence of edge"
    assert verdict(-0.03, 0.99, 0.001) == "worse than baseline"
