"""Benchmark the RL agents on real hourly candles; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/agents.py [--steps N]

Measures the single-asset environment alone (random actions, no agent: steps per second), every
available agent's training throughput (environment steps per second while learning, ``--steps`` of
them on the standard 2,000-bar window), and the wall time of the standard walk-forward budget
(`WalkConfig()`: 2,000 training bars, 500-bar test blocks, 20,000 steps per fold, 5 seeds) over one
year of BTC/USDT 1h, estimated as folds x seeds x each agent's measured time per fold (training
at its measured rate plus acting), since running it whole takes hours on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from core.agents import AGENTS, Agent, TradingEnv, WalkConfig, available, causal_features, fit_normaliser
from core.agents.evaluate import folds
from core.data import load_candles

BARS = 8_760


def env_steps_per_second(env: TradingEnv, steps: int = 200_000) -> float:
    actions = np.random.default_rng(0).integers(0, 3, steps)
    env.reset(seed=0)
    start = time.perf_counter()
    for action in actions:
        if env.step(action)[2]:
            env.reset()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000, help="training steps measured per agent")
    args = parser.parse_args()
    candles = load_candles("BTC/USDT", "1h").iloc[-BARS:]
    standard = WalkConfig()
    rows = np.arange(standard.train_bars)
    normaliser = fit_normaliser(causal_features(candles)[rows])
    discrete = TradingEnv(candles, rows, normaliser, window=standard.window)
    fold_count = len(folds(len(candles), standard))
    agents = {}
    for agent_id in available():
        env = TradingEnv(candles, rows, normaliser, window=standard.window, continuous=AGENTS[agent_id].continuous)
        start = time.perf_counter()
        agent = Agent.train(agent_id, env, args.steps, seed=0)
        rate = args.steps / (time.perf_counter() - start)
        test = TradingEnv(candles, np.arange(standard.train_bars, standard.train_bars + standard.test_bars), normaliser,
                          window=standard.window, continuous=AGENTS[agent_id].continuous)
        start = time.perf_counter()
        agent.act(test)
        act_s = time.perf_counter() - start
        per_fold = standard.steps / rate + act_s
        agents[agent_id] = {"train_steps_per_s": round(rate, 1), "act_s_per_block": round(act_s, 3),
                            "standard_walk_forward_s_estimate": round(per_fold * fold_count * standard.seeds, 1)}
    print(json.dumps({"bars": len(candles), "symbol": "BTC/USDT", "timeframe": "1h", "device": "cpu",
                      "env_steps_per_s": round(env_steps_per_second(discrete), 1), "env_target_steps_per_s": 20_000,
                      "measured_train_steps": args.steps, "standard_budget": {
                          "train_bars": standard.train_bars, "test_bars": standard.test_bars, "steps": standard.steps,
                          "seeds": standard.seeds, "folds": fold_count},
                      "agents": agents, "cpu_threads_per_policy": 1,
                      "note": "timed on a shared, loaded 2-core machine; the walk-forward wall is estimated "
                              "from measured rates"}))


if __name__ == "__main__":
    main()
