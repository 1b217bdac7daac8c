"""Portfolio weights against an independent solver, and the book's accounting against hand arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from core.policy import Execution
from core.portfolio import METHODS, backtest_portfolio, weights
from core.portfolio.weights import shrunk_covariance
from tests.synthetic import ar1_candles


def _returns(n: int = 500, k: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(0, 0.004, (k, k)) + np.diag(np.linspace(0.002, 0.02, k))
    return rng.normal(0, 1, (n, k)) @ mixing + np.linspace(-2e-4, 4e-4, k)


def _slsqp(objective, k: int) -> np.ndarray:
    result = minimize(objective, np.full(k, 1 / k), method="SLSQP", bounds=[(0, 1)] * k,
                      constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}], options={"ftol": 1e-16, "maxiter": 500})
    return result.x


@pytest.mark.parametrize("method", [m for m in METHODS if m != "forecast"])
def test_weights_are_long_only_and_fully_invested(method: str) -> None:
    w = weights(method, _returns())
    assert w.shape == (5,) and (w >= 0).all() and w.sum() == pytest.approx(1.0)


def test_min_and_mean_variance_match_an_independent_solver() -> None:
    window = _returns()
    sigma = shrunk_covariance(window)
    expected = _slsqp(lambda w: w @ sigma @ w, 5)
    np.testing.assert_allclose(weights("min_variance", window), expected, atol=1e-4)
    mu = window.mean(axis=0)
    expected = _slsqp(lambda w: 2.5 * w @ sigma @ w - mu @ w, 5)
    np.testing.assert_allclose(weights("mean_variance", window, risk_aversion=5.0), expected, atol=1e-4)
    forecast_mu = np.array([0.0, 0.0, 0.0, 0.0, 0.01])  # a confident forecast for the last market pulls weight to it
    assert weights("forecast", window, forecast_mu)[-1] > weights("mean_variance", window)[-1]


def test_inverse_vol_weights_are_proportional_to_one_over_volatility() -> None:
    window = _returns()
    w = weights("inverse_vol", window)
    assert w * window.std(axis=0, ddof=1) == pytest.approx(np.full(5, w[0] * window[:, 0].std(ddof=1)))


def _markets() -> dict[str, pd.DataFrame]:
    return {f"M{i}": ar1_candles(600, 0.0, seed=i, sigma=0.01 * (i + 1)) for i in range(3)}


def test_equal_weight_book_matches_hand_arithmetic() -> None:
    markets = _markets()
    result = backtest_portfolio(markets, "equal", timeframe="1h", rebalance=1, lookback=50, start=0.5,
                                execution=Execution(fee=0.0), draws=10)
    opens = np.column_stack([m["open"].to_numpy() for m in markets.values()])
    rows = markets["M0"].index.get_indexer(result.table.index)
    returns = opens[rows + 2] / opens[rows + 1] - 1
    np.testing.assert_allclose(result.table["net_return"], returns.mean(axis=1), rtol=1e-12)
    # bought once and never rebalanced: the book ends at the average of the markets' growth
    hold = backtest_portfolio(markets, "equal", timeframe="1h", rebalance=10**9, lookback=50, start=0.5,
                              execution=Execution(fee=0.001), draws=10)
    growth, first = np.prod(1 + returns, axis=0), returns[0].mean()
    paid = (1 + first - 0.001) / (1 + first)  # the fee comes off the first bar's return
    assert hold.stats["total_return"] == pytest.approx(paid * growth.mean() - 1, rel=1e-9, abs=1e-12)
    assert hold.stats["turnover"] == pytest.approx(1.0) and hold.stats["fees_paid"] == pytest.approx(0.001)


def test_rebalancing_pays_for_the_drift_and_the_baselines_sit_beside() -> None:
    result = backtest_portfolio(_markets(), "inverse_vol", timeframe="1h", rebalance=24, lookback=50,
                                execution=Execution(fee=0.001), draws=10)
    assert set(result.baselines) == {"equal", "buy_and_hold"}
    assert result.stats["trials"] == 4 and 0 <= result.stats["pbo"] <= 1  # charged for every method run on these bars
    assert result.stats["turnover"] > 1.0  # the first purchase plus every rebalance back from the drift
    assert result.stats["fees_paid"] == pytest.approx(0.001 * result.stats["turnover"])
    assert result.table["cost"].iloc[1:24].eq(0).all() and result.table["cost"].iloc[24] > 0
    weights_only = result.table.drop(columns=["asset_return", "cost", "net_return"])
    assert np.allclose(weights_only.sum(axis=1), 1.0)


def test_forecast_portfolio_follows_the_forecasts_and_is_charged_for_five_methods() -> None:
    markets = _markets()
    index = markets["M0"].index[300:]
    favourite = pd.DataFrame({"M0": 0.0, "M1": 0.0, "M2": 0.05}, index=index)  # a loud forecast for M2 everywhere
    result = backtest_portfolio(markets, "forecast", timeframe="1h", lookback=50, forecasts=favourite, draws=10)
    assert result.table.index[0] >= index[0] and result.stats["trials"] == 5
    assert (result.table["M2"] > 0.9).mean() > 0.9
