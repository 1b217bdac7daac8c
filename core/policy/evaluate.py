"""One policy over out-of-sample forecasts, after costs, beside buy-and-hold and a random policy.

`evaluate` takes the walk-forward's predictions (one row per decision bar, ``p_up`` at least) and
the candles they came from. The policy's configuration is chosen block by block on outcomes
already known (`core.policy.select`); the deflated Sharpe is charged for every configuration
times every model tried, and PBO is measured over the configurations. The random policy trades
the policy's own positions shifted in time by a random lag, with a random sign: the same
turnover, exposure and trade lengths, and no information.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.backtest.strategy import periods_per_year
from core.policy.execution import TABLE, Execution, asset_returns, decision_rows, execute
from core.policy.policies import DEFAULTS, Bars, grid
from core.policy.report import finite, summarise
from core.policy.select import select
from core.policy.stats import interval, pbo, sharpe

RANDOM_DRAWS = 200


@dataclass
class PolicyResult:
    policy: str
    table: pd.DataFrame  # the positions table: timestamp, position, asset_return, cost, net_return
    stats: dict[str, Any]
    baselines: dict[str, dict[str, Any]]
    configs: list[dict[str, Any]] = field(default_factory=list)  # each configuration's own Sharpe and turnover
    choices: list[dict[str, Any]] = field(default_factory=list)  # the configuration trading each block

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the statistics at the top level, then baselines, configurations and choices."""
        return finite({"policy": self.policy, **self.stats, "baselines": self.baselines, "configs": self.configs,
                       "choices": self.choices})


def random_policy(position: np.ndarray, asset_return: np.ndarray, execution: Execution,
                  draws: int = RANDOM_DRAWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The median-Sharpe draw of the shifted-and-signed positions, and every draw's per-bar Sharpe."""
    n = len(position)
    rng = np.random.default_rng(seed + 1)
    shifts = rng.integers(max(1, n // 10), max(2, n - n // 10), draws)
    signs = rng.choice([-1.0, 1.0], draws)
    paths = np.stack([s * np.roll(position, k) for s, k in zip(signs, shifts)])
    traded = np.abs(np.diff(paths, axis=1, prepend=0.0))
    net = paths * asset_return - execution.cost_per_side * traded
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = net.mean(axis=1) / net.std(axis=1, ddof=1)
    median = int(np.argsort(np.nan_to_num(ratios, nan=-np.inf))[draws // 2])
    return paths[median], ratios


def evaluate(predictions: pd.DataFrame, candles: pd.DataFrame, policy: str, *, timeframe: str,
             execution: Execution = Execution(), horizon: int = 1, block: int = 168, models_tried: int = 1,
             draws: int = 1000, seed: int = 0, volatility: str = "atr") -> PolicyResult:
    """Trade ``policy`` on ``predictions`` (indexed by decision bar) over ``candles``; see the module doc.

    ``volatility``: "atr" or "garch", the forecast volatility that sizes vol_target and sets the signal's stops.
    """
    function, configs = grid(policy)
    rows = decision_rows(candles, predictions.index)
    open_ = candles["open"].to_numpy(np.float64)
    live = np.isfinite(asset_returns(open_, rows, execution.latency))
    rows = rows[live]
    periods = periods_per_year(timeframe)
    bars = Bars.of(predictions["p_up"].to_numpy(np.float64)[live], candles, rows, horizon, periods, volatility,
                   refit_every=block)
    candidates = np.stack([function(bars, **config) for config in configs])
    tables = [execute(c, candles, rows, execution) for c in candidates]
    net = np.stack([t["net_return"].to_numpy() for t in tables])
    chosen = select(net, candidates, configs.index(DEFAULTS[policy]), block, execution.latency)
    table = execute(chosen.position, candles, rows, execution)
    per_config = np.array([sharpe(r) for r in net])
    trials = len(configs) * models_tried
    variance = float(np.nanvar(per_config, ddof=1)) if len(configs) > 1 else 0.0
    stats = summarise(table, periods, trials=trials, sr_variance=variance, pbo=pbo(net.T), draws=draws, seed=seed)
    asset = table["asset_return"].to_numpy()
    hold = execute(np.ones(len(rows)), candles, rows, execution)
    random_path, random_ratios = random_policy(chosen.position, asset, execution, seed=seed)
    random = summarise(execute(random_path, candles, rows, execution), periods, draws=draws, seed=seed)
    random["sharpe_band_low"], random["sharpe_band_high"] = interval(random_ratios, np.sqrt(periods))
    baselines = {"buy_and_hold": summarise(hold, periods, draws=draws, seed=seed), "random": random}
    described = [
        {**config, "sharpe": float(s * np.sqrt(periods)), "turnover": float(np.abs(np.diff(c, prepend=0.0)).sum())}
        for config, s, c in zip(configs, per_config, candidates)
    ]
    choices = [{"first": str(table.index[s]), **configs[chosen.choice[s]]} for s in chosen.starts]
    return PolicyResult(policy, table[list(TABLE)], stats, baselines, described, choices)
