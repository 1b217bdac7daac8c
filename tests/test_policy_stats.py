"""Statistics of `core.policy.stats` against worked examples and analytic answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from core.policy.stats import (
    bootstrap_ratios, breakeven_fee, deflated_sharpe, expected_max_sharpe, interval, pbo, psr, sharpe,
)


def test_deflated_sharpe_matches_the_papers_worked_example() -> None:
    # Bailey & López de Prado (2014), section 6: 100 trials whose annualised Sharpe ratios vary by 1/2,
    # the best at 2.5 annualised over 1,250 daily returns with skewness -3 and kurtosis 10:
    # SR0 = 0.1132 per day and DSR = 0.9004.
    sr, variance = 2.5 / math.sqrt(250), 0.5 / 250
    assert expected_max_sharpe(100, variance) == pytest.approx(0.1132, abs=5e-5)
    assert deflated_sharpe(sr, 1250, -3.0, 10.0, 100, variance) == pytest.approx(0.9004, abs=5e-5)
    # the DSR is the PSR against SR0; one trial deflates nothing
    assert psr(sr, 1250, -3.0, 10.0, expected_max_sharpe(100, variance)) == deflated_sharpe(sr, 1250, -3.0, 10.0, 100, variance)
    assert deflated_sharpe(sr, 1250, -3.0, 10.0, 1, variance) == psr(sr, 1250, -3.0, 10.0)


def test_psr_of_normal_returns_is_the_textbook_z_test() -> None:
    # with skew 0 and kurtosis 3 the PSR is Phi(SR sqrt(n - 1) / sqrt(1 + SR^2 / 2))
    sr, n = 0.05, 500
    assert psr(sr, n, 0.0, 3.0) == pytest.approx(stats.norm.cdf(sr * math.sqrt(n - 1) / math.sqrt(1 + sr**2 / 2)))
    assert psr(0.0, n, 0.0, 3.0) == pytest.approx(0.5)
    assert psr(-0.1, n, 0.0, 3.0) < 0.05 < 0.95 < psr(0.1, n, 0.0, 3.0)


def test_block_bootstrap_interval_has_the_analytic_width_and_covers_the_truth() -> None:
    rng = np.random.default_rng(3)
    n, true_sr = 4000, 0.05
    r = rng.normal(true_sr, 1.0, n)
    sharpes, sortinos = bootstrap_ratios(r, 1000, seed=0)
    low, high = interval(sharpes)
    assert low < true_sr < high and low < sharpe(r) < high
    analytic = 2 * 1.96 * math.sqrt((1 + sharpe(r) ** 2 / 2) / n)
    assert high - low == pytest.approx(analytic, rel=0.2)
    assert np.all(sortinos[np.isfinite(sortinos)] > sharpes[np.isfinite(sortinos)])  # downside < total deviation
    assert bootstrap_ratios(r, 1000, seed=0)[0].tolist() == sharpes.tolist()  # seeded


def test_pbo_is_low_for_a_real_edge_and_near_half_for_noise() -> None:
    # choosing the best of skill-less configurations is overfitting half of the time, on average
    by_chance = [pbo(np.random.default_rng(seed).normal(0, 1, (800, 10))) for seed in range(20)]
    assert 0.4 < np.mean(by_chance) < 0.65
    noise = np.random.default_rng(0).normal(0, 1, (4000, 10))
    edge = noise.copy()
    edge[:, 3] += 0.3  # one configuration is genuinely better in every stretch
    assert pbo(edge) < 0.05
    assert math.isnan(pbo(noise[:, :1]))  # one configuration cannot be overfitted by choosing


def test_breakeven_fee_zeroes_the_mean_net_return() -> None:
    rng = np.random.default_rng(1)
    position = np.sign(rng.normal(size=500))
    asset = 0.002 * position + rng.normal(0, 0.01, 500)  # positions that know something
    fee = breakeven_fee(position, asset)
    traded = np.abs(np.diff(position, prepend=0.0))
    assert fee > 0 and np.sum(position * asset - fee * traded) == pytest.approx(0.0, abs=1e-12)
    # and it is the root of the mean net return as a function of the fee
    root = optimize.brentq(lambda c: np.mean(position * asset - c * traded), 0, 1)
    assert fee == pytest.approx(root)
