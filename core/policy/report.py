"""Every statistic of one positions table, annualised for 24/7 markets, with its intervals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.backtest.strategy import performance
from core.policy.stats import bootstrap_ratios, breakeven_fee, deflated_sharpe, interval, moments, psr, sharpe

KEYS = (
    "n", "total_return", "annualised_return", "sharpe", "sharpe_ci_low", "sharpe_ci_high", "sortino",
    "sortino_ci_low", "sortino_ci_high", "psr", "deflated_sharpe", "trials", "pbo", "max_drawdown", "calmar",
    "turnover", "fees_paid", "exposure", "n_trades", "mean_trade_bars", "win_rate", "breakeven_fee",
)


def summarise(table: pd.DataFrame, periods: float, *, trials: int = 1, sr_variance: float = 0.0,
              pbo: float = float("nan"), draws: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Statistics of ``table`` (`core.policy.execution.TABLE` columns); ``trials`` configurations were tried.

    ``sr_variance`` is the variance of the per-bar Sharpe ratios across those trials, which the
    deflated Sharpe needs to know how far luck alone would have carried the best of them.
    """
    r = table["net_return"].to_numpy(np.float64)
    position = table["position"].to_numpy(np.float64)
    n = len(r)
    base = performance(r, position, periods)
    per_bar = sharpe(r)
    skew, kurtosis = moments(r)
    sharpes, sortinos = bootstrap_ratios(r, draws, seed)
    root = math.sqrt(periods)
    years = n / periods
    growth = 1 + base["total_return"]
    annual = growth ** (1 / years) - 1 if n and growth > 0 else (-1.0 if n else float("nan"))
    traded = float(np.abs(np.diff(position, prepend=0.0)).sum())
    held = int(np.sum(position != 0))
    low, high = interval(sharpes, root)
    sortino_low, sortino_high = interval(sortinos, root)
    return {
        "n": n, "total_return": base["total_return"], "annualised_return": annual,
        "sharpe": per_bar * root, "sharpe_ci_low": low, "sharpe_ci_high": high,
        "sortino": base["sortino"], "sortino_ci_low": sortino_low, "sortino_ci_high": sortino_high,
        "psr": psr(per_bar, n, skew, kurtosis),
        "deflated_sharpe": deflated_sharpe(per_bar, n, skew, kurtosis, trials, sr_variance),
        "trials": trials, "pbo": pbo, "max_drawdown": base["max_drawdown"],
        "calmar": annual / base["max_drawdown"] if base["max_drawdown"] > 0 else float("nan"),
        "turnover": traded, "fees_paid": float(table["cost"].sum()), "exposure": base["exposure"],
        "n_trades": base["trades"], "mean_trade_bars": held / base["trades"] if base["trades"] else float("nan"),
        "win_rate": base["win_rate"],
        "breakeven_fee": breakeven_fee(position, table["asset_return"].to_numpy(np.float64)),
    }


def finite(value: Any) -> Any:
    """NaN and inf become None (JSON has neither); containers are cleaned recursively."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def in_words(stats: dict[str, Any], what: str = "This policy") -> str:
    """The Sharpe, its interval and the deflated Sharpe as sentences a non-statistician can read."""
    sharpe_, low, high = stats["sharpe"], stats["sharpe_ci_low"], stats["sharpe_ci_high"]
    if not all(isinstance(v, float) and math.isfinite(v) for v in (sharpe_, low, high)):
        return f"{what} did not trade enough to measure."
    head = f"{what} made a Sharpe ratio of {sharpe_:.2f} after costs (95 % interval {low:.2f} to {high:.2f})"
    sign = ("; the interval excludes zero" if low > 0 else "; the interval includes zero, so it could be luck"
            if high > 0 else "; it lost money after costs beyond reasonable doubt")
    dsr = stats["deflated_sharpe"]
    tried = stats["trials"]
    if isinstance(dsr, float) and math.isfinite(dsr):
        tail = (f". {tried} configuration{'s were' if tried != 1 else ' was'} tried; the probability that its true "
                f"Sharpe beats what the luckiest of them would show without any skill is {dsr:.0%} (deflated Sharpe)")
        verdict = " - evidence of a real edge." if dsr > 0.95 else " - not enough to call it an edge."
    else:
        tail, verdict = "", "."
    return head + sign + tail + verdict
