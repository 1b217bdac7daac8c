"""Policies and execution: known answers on random walks and planted AR(1), and no trading on the decision price."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.backtest.walkforward import walk_forward
from core.ensemble.signal import atr
from core.policy import POLICIES, Execution, evaluate, execute
from core.policy.policies import Bars, atr_series, signal, threshold
from core.policy.select import select
from tests.synthetic import ar1_candles

PHI, SIGMA = 0.2, 0.01


def oracle(candles: pd.DataFrame, phi: float = PHI) -> pd.DataFrame:
    """The true P(up) of the next bar of an AR(1) series, known at each close."""
    r = np.nan_to_num(np.log(candles["close"]).diff().to_numpy())
    return pd.DataFrame({"p_up": stats.norm.cdf(phi * r / SIGMA)}, index=candles.index)


@pytest.fixture(scope="module")
def forecasts() -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """LightGBM's walk-forward forecasts on a random walk and on AR(1) returns (about 1,900 each)."""
    out = {}
    for name, phi in (("walk", 0.0), ("ar1", PHI)):
        candles = ar1_candles(4000, phi, seed=0)
        out[name] = candles, walk_forward("lightgbm", candles, 1, timeframe="1h", cache=False, refit_every=500).predictions
    return out


def test_random_walk_no_policy_looks_skilful(forecasts) -> None:
    candles, predictions = forecasts["walk"]
    for policy in POLICIES:
        result = evaluate(predictions, candles, policy, timeframe="1h", execution=Execution(fee=0.0), block=250)
        stats_ = result.stats
        assert stats_["deflated_sharpe"] <= 0.95, policy
        assert stats_["sharpe_ci_low"] < 0 < stats_["sharpe_ci_high"], policy
        assert stats_["trials"] == len(result.configs)
        assert math.isnan(stats_["pbo"]) if stats_["trials"] == 1 else 0 <= stats_["pbo"] <= 1


def test_planted_ar1_threshold_beats_always_in_after_costs(forecasts) -> None:
    candles, predictions = forecasts["ar1"]
    costs = Execution(fee=0.0015)  # above what always-in can pay for (its break-even is ~0.19 %)
    results = {p: evaluate(predictions, candles, p, timeframe="1h", execution=costs, block=250) for p in ("always", "threshold")}
    assert results["threshold"].stats["sharpe"] > max(results["always"].stats["sharpe"], 0)
    assert results["threshold"].stats["turnover"] < results["always"].stats["turnover"]
    assert results["threshold"].stats["breakeven_fee"] > results["always"].stats["breakeven_fee"]
    for result in results.values():  # the baselines sit beside every policy
        assert set(result.baselines) == {"buy_and_hold", "random"}
        assert result.baselines["random"]["turnover"] == pytest.approx(result.stats["turnover"], rel=0.01)


def test_breakeven_fee_of_always_in_matches_the_analytic_value() -> None:
    # trading sign(r_t) earns phi E|r| per bar and flips with probability 1/2 - arcsin(phi)/pi, paying 2 sides
    candles = ar1_candles(20_000, PHI, seed=5)
    result = evaluate(oracle(candles).iloc[1:], candles, "always", timeframe="1h", draws=10)
    sigma_r = SIGMA / math.sqrt(1 - PHI**2)
    analytic = PHI * sigma_r * math.sqrt(2 / math.pi) / (1 - 2 * math.asin(PHI) / math.pi)
    assert result.stats["breakeven_fee"] == pytest.approx(analytic, rel=0.1)
    at_breakeven = evaluate(oracle(candles).iloc[1:], candles, "always", timeframe="1h", draws=10,
                            execution=Execution(fee=result.stats["breakeven_fee"]))
    assert at_breakeven.table["net_return"].sum() == pytest.approx(0.0, abs=1e-9)


def test_positions_table_is_filled_at_the_next_open() -> None:
    candles = ar1_candles(300, PHI, seed=1)
    rows = np.arange(20, 290)
    position = np.sign(np.sin(np.arange(len(rows)) / 7.0))
    for latency in (0, 2):
        table = execute(position, candles, rows, Execution(fee=0.001, latency=latency))
        o = candles["open"].to_numpy()
        assert np.array_equal(table["asset_return"], o[rows + 2 + latency] / o[rows + 1 + latency] - 1)
        assert np.array_equal(table["cost"], 0.001 * np.abs(np.diff(position, prepend=0.0)))
        assert np.array_equal(table["net_return"], table["position"] * table["asset_return"] - table["cost"])
        assert (table.index == candles.index[rows]).all()
    impact = execute(position, candles, rows, Execution(fee=0.001, impact=0.5))
    assert (impact["cost"] >= table["cost"]).all() and impact["cost"].sum() > table["cost"].sum()


@pytest.mark.parametrize("policy", POLICIES)
def test_no_policy_trades_at_its_decision_bars_price(policy: str) -> None:
    candles = ar1_candles(900, PHI, seed=2)
    predictions = oracle(candles).iloc[30:]
    run = lambda frame: evaluate(predictions, frame, policy, timeframe="1h", block=100, draws=10).table
    before = run(candles)
    t = before.index[500:][before["position"].iloc[500:].to_numpy() != 0][0]  # a bar where the book is not flat
    j = candles.index.get_loc(t)
    # the fill is the next open: moving it changes what the decision earned, not the decision
    moved = candles.copy()
    moved.iloc[j + 1, moved.columns.get_loc("open")] *= 1.02
    after = run(moved)
    assert after.loc[t, "asset_return"] != before.loc[t, "asset_return"]
    assert after.loc[t, "net_return"] != before.loc[t, "net_return"]
    assert after.loc[:t, "position"].equals(before.loc[:t, "position"])
    # nothing after the decision bar's close, however wild, changes the positions decided up to it
    shocked = candles.copy()
    shocked.iloc[j + 1 :, :4] *= np.linspace(1.5, 0.5, len(candles) - j - 1)[:, None]
    assert run(shocked).loc[:t, "position"].equals(before.loc[:t, "position"])


def test_the_decision_bars_close_is_never_a_fill_price() -> None:
    candles = ar1_candles(400, PHI, seed=3)
    predictions = oracle(candles).iloc[30:]
    j = candles.index.get_loc(predictions.index[200])
    bumped = candles.copy()
    bumped.iloc[j, bumped.columns.get_loc("close")] *= 1.05  # the forecast stays as it was
    for policy in ("always", "threshold"):  # they read only P(up), so the whole table must stay identical
        first = evaluate(predictions, candles, policy, timeframe="1h", draws=10).table
        assert evaluate(predictions, bumped, policy, timeframe="1h", draws=10).table.equals(first)


def test_threshold_holds_or_goes_flat_inside_the_band() -> None:
    p = np.array([0.5, 0.6, 0.52, 0.48, 0.3, 0.49, 0.7])
    bars = Bars(p, np.arange(7), *(np.ones(7),) * 4, horizon=1, periods=8760.0)
    assert threshold(bars, 0.05, flat=False).tolist() == [0, 1, 1, 1, -1, -1, 1]
    assert threshold(bars, 0.05, flat=True).tolist() == [0, 1, 0, 0, -1, 0, 1]
    held = Bars(p, np.arange(7), *(np.ones(7),) * 4, horizon=3, periods=8760.0)
    assert threshold(held, 0.05, flat=True).tolist() == [0, 0, 0, 0, 0, 0, 1]  # decides at rows 0, 3 and 6 only


def _flat_market(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.full(n, 101.0), np.full(n, 99.0), np.full(n, 100.0)  # true range 2, so ATR 2


def test_signal_exits_at_stop_take_profit_or_horizon() -> None:
    n = 12
    high, low, close = _flat_market(n)
    p = np.r_[0.9, np.full(n - 1, 0.5)]  # one BUY, then HOLD: stop 100 - 1.5 x 2 = 97, take 100 + 2.5 x 2 = 105
    bars = lambda h, l, horizon=100: Bars(p, np.arange(n), h, l, close, atr_series(h, l, close), horizon, 8760.0)
    stopped = low.copy()
    stopped[5] = 96.0
    assert signal(bars(high, stopped), 0.1, 1.5, 2.5).tolist() == [1] * 5 + [0] * 7  # exits at the close of bar 5
    taken = high.copy()
    taken[3] = 106.0
    assert signal(bars(taken, low), 0.1, 1.5, 2.5).tolist() == [1] * 3 + [0] * 9
    both_low, both_high = low.copy(), high.copy()
    both_low[4], both_high[4] = 96.0, 106.0  # both levels inside one bar: out either way (the stop, the worse)
    assert signal(bars(both_high, both_low), 0.1, 1.5, 2.5).tolist() == [1] * 4 + [0] * 8
    assert signal(bars(high, low, horizon=3), 0.1, 1.5, 2.5).tolist() == [1] * 3 + [0] * 9
    assert signal(bars(high, low), 0.9, 1.5, 2.5).tolist() == [0] * n  # confidence 0.8 < 0.9: HOLD


def test_atr_series_is_the_signals_atr_at_every_bar() -> None:
    candles = ar1_candles(100, PHI, seed=4)
    series = atr_series(*(candles[c].to_numpy() for c in ("high", "low", "close")))
    for bar in (20, 57, 99):
        assert series[bar] == pytest.approx(atr(candles.iloc[: bar + 1]))


def test_selection_sees_only_outcomes_known_before_each_block() -> None:
    rows = 20
    net = np.vstack([0.001 + 0.01 * (-1.0) ** np.arange(rows), -0.001 + np.linspace(0, 1e-5, rows)])
    net[1, 9:] = 1.0  # configuration 1 wins from row 9, unknown when the block at row 10 is chosen
    candidates = np.vstack([np.ones(rows), -np.ones(rows)])
    chosen = select(net, candidates, default=1, block=5)
    assert chosen.choice.tolist() == [1] * 10 + [0] * 5 + [1] * 5
    assert chosen.position.tolist() == [-1] * 10 + [1] * 5 + [-1] * 5
