"""Statistics that resist luck: bootstrap intervals, PSR, deflated Sharpe, PBO and the break-even fee.

- Sharpe and Sortino intervals come from a circular block bootstrap (blocks of n^(1/3) bars keep the
  returns' autocorrelation and volatility clusters), written on block sums in numpy because one
  evaluation draws 1,000 resamples three times and must stay well under a second.
- PSR and the deflated Sharpe follow Bailey and López de Prado, "The Deflated Sharpe Ratio" (2014):
  PSR(SR*) = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2)) on per-bar Sharpe
  ratios, with g4 the (non-excess) kurtosis; the DSR sets SR* to the expected maximum Sharpe of
  N trials whose Sharpe ratios vary with variance V.
- PBO is the probability of backtest overfitting by combinatorially symmetric cross-validation
  (Bailey, Borwein, López de Prado and Zhu, 2017): how often the configuration best in one half of
  the blocks ranks below the median of the configurations in the other half.
"""

from __future__ import annotations

import math
from functools import cache
from itertools import combinations

import numpy as np
from scipy import stats

EULER_GAMMA = 0.5772156649015329


def sharpe(returns: np.ndarray) -> float:
    """Per-bar Sharpe ratio (mean over sample standard deviation); NaN when undefined."""
    r = np.asarray(returns, np.float64)
    scale = r.std(ddof=1) if len(r) > 1 else 0.0
    return float(r.mean() / scale) if scale > 0 else float("nan")


def bootstrap_ratios(returns: np.ndarray, draws: int = 1000, seed: int = 0,
                     block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar Sharpe and Sortino ratios of ``draws`` circular block-bootstrap resamples.

    A resample strings ceil(n / block) blocks of ``block`` consecutive bars (wrapping at the end)
    together; its sums are sums of precomputed block sums, so no resample is ever materialised.
    """
    r = np.asarray(returns, np.float64)
    n = len(r)
    if n < 3 or draws < 1:
        return np.full(0, np.nan), np.full(0, np.nan)
    block = block or max(1, math.ceil(n ** (1 / 3)))
    blocks = math.ceil(n / block)
    wrapped = np.concatenate([r, r[: block - 1]])
    moments_ = np.stack([wrapped, wrapped**2, np.minimum(wrapped, 0.0) ** 2])
    sums = np.lib.stride_tricks.sliding_window_view(moments_, block, axis=1).sum(axis=2)  # 3 x n
    starts = np.random.default_rng(seed).integers(0, n, (draws, blocks))
    total, square, downside = (sums[k][starts].sum(axis=1) for k in range(3))
    length = blocks * block
    mean = total / length
    with np.errstate(divide="ignore", invalid="ignore"):
        std = np.sqrt(np.maximum(square / length - mean**2, 0.0) * length / (length - 1))
        return mean / std, mean / np.sqrt(downside / length)


def equity_band(returns: np.ndarray, draws: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2.5 % and 97.5 % equity paths of circular block-bootstrap resamples (for the equity chart's band)."""
    r = np.asarray(returns, np.float64)
    n = len(r)
    block = max(1, math.ceil(n ** (1 / 3)))
    starts = np.random.default_rng(seed).integers(0, n, (draws, math.ceil(n / block), 1))
    paths = np.cumprod(1 + r[((starts + np.arange(block)) % n).reshape(draws, -1)[:, :n]], axis=1)
    return np.percentile(paths, 2.5, axis=0), np.percentile(paths, 97.5, axis=0)


def interval(samples: np.ndarray, scale: float = 1.0) -> tuple[float, float]:
    """2.5th and 97.5th percentiles (times ``scale``, e.g. the annualising factor)."""
    finite = samples[np.isfinite(samples)]
    if not len(finite):
        return float("nan"), float("nan")
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low * scale), float(high * scale)


def psr(sr: float, n: int, skew: float, kurtosis: float, benchmark: float = 0.0) -> float:
    """Probabilistic Sharpe ratio: P(true per-bar Sharpe > benchmark) given n bars, skew and kurtosis."""
    if not math.isfinite(sr) or n < 2:
        return float("nan")
    variance = 1 - skew * sr + (kurtosis - 1) / 4 * sr**2
    if not variance > 0:
        return float("nan")
    return float(stats.norm.cdf((sr - benchmark) * math.sqrt(n - 1) / math.sqrt(variance)))


def expected_max_sharpe(trials: int, variance: float) -> float:
    """Expected maximum per-bar Sharpe of ``trials`` skill-less strategies whose Sharpe ratios vary by ``variance``."""
    if trials <= 1 or not variance > 0:
        return 0.0
    return math.sqrt(variance) * ((1 - EULER_GAMMA) * stats.norm.ppf(1 - 1 / trials)
                                  + EULER_GAMMA * stats.norm.ppf(1 - 1 / (trials * math.e)))


def deflated_sharpe(sr: float, n: int, skew: float, kurtosis: float, trials: int, variance: float) -> float:
    """DSR: the PSR against the Sharpe ratio the best of ``trials`` lucky tries would reach."""
    return psr(sr, n, skew, kurtosis, expected_max_sharpe(trials, variance))


def moments(returns: np.ndarray) -> tuple[float, float]:
    """Skewness and (non-excess) kurtosis; a normal distribution gives (0, 3)."""
    r = np.asarray(returns, np.float64)
    if len(r) < 3 or not r.std() > 0:
        return 0.0, 3.0
    return float(stats.skew(r)), float(stats.kurtosis(r, fisher=False))


def pbo(returns: np.ndarray, blocks: int = 16) -> float:
    """Probability of backtest overfitting of the configurations in the columns of ``returns`` (T x N).

    The rows are cut into ``blocks`` contiguous groups; for every half of the groups the best
    configuration in-sample is ranked out-of-sample, and PBO is the share of halves where its
    relative rank's logit is <= 0 (it did no better than the median configuration).
    """
    matrix = np.asarray(returns, np.float64)
    t, n = matrix.shape
    blocks -= blocks % 2
    if n < 2 or t < 2 * blocks:
        return float("nan")
    edges = np.linspace(0, t, blocks + 1).astype(int)
    sums = np.add.reduceat(matrix, edges[:-1], axis=0)
    squares = np.add.reduceat(matrix**2, edges[:-1], axis=0)
    counts = np.diff(edges).astype(np.float64)[:, None]
    halves = _halves(blocks)

    def ratios(mask: np.ndarray) -> np.ndarray:
        count, total, square = mask @ counts, mask @ sums, mask @ squares
        mean = total / count
        std = np.sqrt(np.maximum(square / count - mean**2, 0.0) * count / (count - 1))
        return np.where(std > 0, mean / np.where(std > 0, std, 1.0), 0.0)

    inside, outside = ratios(halves), ratios(1 - halves)
    best = np.argmax(inside, axis=1)
    rank = (outside < outside[np.arange(len(best)), best][:, None]).sum(axis=1) + 1  # 1 = worst
    omega = rank / (n + 1)
    return float(np.mean(np.log(omega / (1 - omega)) <= 0))


@cache
def _halves(blocks: int) -> np.ndarray:
    """One row per way of choosing half of ``blocks`` groups: 1 in-sample, 0 out-of-sample."""
    chosen = np.array(list(combinations(range(blocks), blocks // 2)))
    halves = np.zeros((len(chosen), blocks))
    halves[np.arange(len(chosen))[:, None], chosen] = 1.0
    return halves


def breakeven_fee(position: np.ndarray, asset_return: np.ndarray) -> float:
    """Cost per side at which these positions' mean net return is zero (NaN when they never trade)."""
    traded = np.abs(np.diff(np.asarray(position, np.float64), prepend=0.0)).sum()
    return float(np.dot(position, asset_return) / traded) if traded > 0 else float("nan")
