"""Walk-forward judgement of agents: train on a window, freeze, act on the next block, move on.

Each fold refits the normaliser and the agent on its training bars only; the frozen agent then
acts on the following block. The concatenated positions go through the policy layer's
`execute` (fill at the next open, costs per side), so agents are scored exactly like every other
policy: Sharpe per seed, the deflated Sharpe counting agents x seeds as trials, PBO over all
runs, buy-and-hold on the same bars, and the same positions filled one bar later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.agents.agent import Agent
from core.agents.env import TradingEnv, causal_features, fit_normaliser
from core.agents.registry import agent_spec
from core.backtest.strategy import periods_per_year
from core.errors import LydianError
from core.policy.execution import Execution, execute
from core.policy.stats import deflated_sharpe, moments, pbo, sharpe


@dataclass(frozen=True)
class WalkConfig:
    """The walk-forward budget: bars per training window and test block, steps, seeds, observation."""

    train_bars: int = 2000
    test_bars: int = 500
    steps: int = 20_000
    seeds: int = 5
    window: int = 16
    reward: str = "log_return"

    def __post_init__(self) -> None:
        if min(self.train_bars, self.test_bars, self.steps, self.seeds, self.window) < 1:
            raise LydianError("train bars, test bars, steps, seeds and window must all be >= 1")


def folds(n: int, config: WalkConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, test rows) of each fold; test blocks follow each other with no overlap."""
    out, start = [], config.train_bars
    while start < n - 2:
        out.append((np.arange(start - config.train_bars, start), np.arange(start, min(start + config.test_bars, n))))
        start += config.test_bars
    if not out:
        raise LydianError(f"need more than {config.train_bars + 2} candles for a {config.train_bars}-bar training window")
    return out


def run_agent(candles: pd.DataFrame, agent_id: str, seed: int, config: WalkConfig,
              execution: Execution) -> tuple[np.ndarray, np.ndarray]:
    """Decision rows and the frozen agent's target positions on every test block."""
    features = causal_features(candles)
    continuous = agent_spec(agent_id).continuous
    rows, positions = [], []
    for train, test in folds(len(candles), config):
        normaliser = fit_normaliser(features[train])
        kwargs = {"execution": execution, "window": config.window, "continuous": continuous}
        agent = Agent.train(agent_id, TradingEnv(candles, train, normaliser, reward=config.reward, **kwargs),
                            config.steps, seed)
        env = TradingEnv(candles, test, normaliser, **kwargs)
        rows.append(env.rows)
        positions.append(agent.act(env))
    return np.concatenate(rows), np.concatenate(positions)


def summary(table: pd.DataFrame, annual: float) -> dict[str, float]:
    net = table["net_return"].to_numpy()
    traded = np.abs(np.diff(table["position"].to_numpy(), prepend=0.0))
    return {"sharpe": sharpe(net) * annual, "total_return": float(np.prod(1 + net) - 1),
            "turnover": float(traded.mean())}


def walk_forward(candles: pd.DataFrame, agents: list[str], config: WalkConfig = WalkConfig(),
                 execution: Execution = Execution(), timeframe: str = "1h", curves: bool = False) -> dict[str, Any]:
    """The CLI contract's object: per agent mean and spread over seeds, deflated Sharpe, baselines.

    ``curves`` adds each seed's equity after costs and positions (for the Agents page's band and markers).
    """
    annual = math.sqrt(periods_per_year(timeframe))
    late = Execution(execution.fee, execution.slippage, execution.impact, execution.capital, execution.latency + 1)
    runs: dict[str, list[dict[str, Any]]] = {}
    rows = None
    for agent_id in agents:
        for seed in range(config.seeds):
            rows, positions = run_agent(candles, agent_id, seed, config, execution)
            table = execute(positions, candles, rows, execution)
            runs.setdefault(agent_id, []).append({**summary(table, annual), "net": table["net_return"].to_numpy(),
                                                  "late": summary(execute(positions, candles, rows, late), annual),
                                                  "positions": positions})
    per_bar = [sharpe(run["net"]) for agent_runs in runs.values() for run in agent_runs]
    trials, variance = len(per_bar), float(np.nanvar(per_bar)) if len(per_bar) > 1 else 0.0
    report = [_agent_row(agent_id, agent_runs, trials, variance, curves) for agent_id, agent_runs in runs.items()]
    hold = execute(np.ones(len(rows)), candles, rows, execution)
    nets = [run["net"] for agent_runs in runs.values() for run in agent_runs]
    width = min(len(n) for n in nets)
    return {"agents": report, "baselines": [_baseline(hold, annual)], "trials": trials,
            "pbo": pbo(np.column_stack([n[:width] for n in nets])) if len(nets) > 1 else float("nan"),
            "bars": int(len(rows)), "fee": execution.fee, "latency": execution.latency,
            "config": {"train_bars": config.train_bars, "test_bars": config.test_bars, "steps": config.steps,
                       "window": config.window, "reward": config.reward},
            "first_bar": str(candles.index[rows[0]]), "last_bar": str(candles.index[rows[-1]]),
            **({"timestamps": [str(t) for t in candles.index[rows]]} if curves else {})}


def _agent_row(agent_id: str, runs: list[dict[str, Any]], trials: int, variance: float,
               curves: bool) -> dict[str, Any]:
    dsr = []
    for run in runs:
        skew, kurt = moments(run["net"])
        dsr.append(deflated_sharpe(sharpe(run["net"]), len(run["net"]), skew, kurt, trials, variance))
    finite = [d for d in dsr if math.isfinite(d)]
    row = {"id": agent_id, "seeds": len(runs), **_spread(runs), "deflated_sharpe": max(finite) if finite else 0.0,
           "deflated_sharpe_seeds": dsr,
           "sharpe_mean_latency_plus_1": float(np.nanmean([r["late"]["sharpe"] for r in runs]))}
    if curves:
        row["equity"] = [np.cumprod(1 + r["net"]).tolist() for r in runs]
        row["positions"] = [r["positions"].tolist() for r in runs]
    return row


def _spread(runs: list[dict[str, Any]]) -> dict[str, float]:
    out = {}
    for key in ("sharpe", "total_return", "turnover"):
        values = np.array([r[key] for r in runs], np.float64)
        out[f"{key}_mean"] = float(np.nanmean(values)) if np.isfinite(values).any() else 0.0
        out[f"{key}_std"] = float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() > 1 else 0.0
    return out


def _baseline(table: pd.DataFrame, annual: float) -> dict[str, Any]:
    net = table["net_return"].to_numpy()
    skew, kurt = moments(net)
    dsr = deflated_sharpe(sharpe(net), len(net), skew, kurt, 1, 0.0)
    return {"id": "buy_and_hold", "seeds": 1, **_spread([summary(table, annual)]),
            "deflated_sharpe": dsr if math.isfinite(dsr) else 0.0}
