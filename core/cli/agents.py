"""`lydian agents list|train|backtest`: reinforcement-learning agents, judged walk-forward after costs."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli._common import UsageError, add_group, add_source_args, load, print_json


def add_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_group(commands, "agents", "reinforcement-learning trading agents",
                    "List, train and walk-forward backtest RL agents (Stable-Baselines3, sb3-contrib); decisions at "
                    "bar t's close fill at t+1's open with the policy layer's costs.")
    listing = sub.add_parser("list", help="every named method, with the reason where one is not available")
    listing.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    listing.set_defaults(handler=list_command)

    backtest = sub.add_parser(
        "backtest", help="walk-forward after-cost evaluation over seeds, beside buy-and-hold",
        description="Train on a window, freeze, act on the next block, move on; every seed's positions go through "
        "the policy layer's execution (fill at the next open, fee per side). Deflated Sharpe counts agents x seeds.",
        epilog="Example: lydian agents backtest --symbol BTC --timeframe 1h --agents ppo,dqn --seeds 5 --json")
    add_source_args(backtest)
    _add_walk_args(backtest)
    backtest.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    backtest.set_defaults(handler=backtest_command)

    train = sub.add_parser("train", help="train one agent on the last --train-bars bars and save it (safetensors)",
                           epilog="Example: lydian agents train --symbol BTC --agent ppo --out agents/ppo_btc")
    add_source_args(train)
    train.add_argument("--agent", required=True, help="agent id (see 'lydian agents list')")
    _add_training_args(train)
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--out", type=Path, required=True, help="folder for weights.safetensors + agent.json")
    train.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    train.set_defaults(handler=train_command)


def _add_training_args(parser: argparse.ArgumentParser) -> None:
    """What training one agent needs, whether once (train) or per fold (backtest)."""
    parser.add_argument("--steps", type=int, default=20_000, help="environment steps (per fold; default 20000)")
    parser.add_argument("--train-bars", type=int, default=2000, help="bars per training window (default 2000)")
    parser.add_argument("--window", type=int, default=16, help="bars in the observation window (default 16)")
    parser.add_argument("--fee", type=float, default=0.001, help="cost per side as a fraction (default 0.001)")


def _add_walk_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agents", required=True, help="comma-separated agent ids, e.g. ppo,dqn")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per agent (default 5)")
    _add_training_args(parser)
    parser.add_argument("--latency", type=int, default=0, help="extra bars before the fill (default 0)")
    parser.add_argument("--test-bars", type=int, default=500, help="bars per test block (default 500)")
    parser.add_argument("--reward", choices=("log_return", "differential_sharpe"), default="log_return",
                        help="training reward (default log_return)")


def list_command(args: argparse.Namespace) -> int:
    from core.agents import AGENTS

    entries = [spec.describe() for spec in AGENTS.values()]
    if args.json:
        print_json(entries)
        return 0
    for entry in entries:
        state = "available" if entry["available"] else f"not available: {entry['reason']}"
        print(f"{entry['id']:16} {entry['family']:16} {entry['library']:18} {state}")
    return 0


def backtest_command(args: argparse.Namespace) -> int:
    from core.agents import WalkConfig, agent_spec, walk_forward
    from core.policy.execution import Execution

    ids = [a.strip() for a in args.agents.split(",") if a.strip()]
    if not ids:
        raise UsageError("--agents: give at least one agent id")
    for agent_id in ids:
        agent_spec(agent_id)
    candles = load(args)
    config = WalkConfig(args.train_bars, args.test_bars, args.steps, args.seeds, args.window, args.reward)
    timeframe = candles.attrs.get("timeframe") or args.timeframe or "1h"
    result = walk_forward(candles, ids, config, Execution(fee=args.fee, latency=args.latency), timeframe)
    if args.json:
        print_json(result)
        return 0
    print(f"{result['bars']} out-of-sample bars {result['first_bar']} .. {result['last_bar']}, fee {args.fee}, "
          f"{result['trials']} trials, PBO {result['pbo']:.2f}")
    for row in result["agents"] + result["baselines"]:
        print(f"{row['id']:16} Sharpe {row['sharpe_mean']:7.2f} ± {row['sharpe_std']:5.2f}  DSR "
              f"{row['deflated_sharpe']:.2f}  return {row['total_return_mean']:+.2%}  turnover {row['turnover_mean']:.3f}")
    return 0


def train_command(args: argparse.Namespace) -> int:
    import numpy as np

    from core.agents import Agent, TradingEnv, agent_spec, causal_features, fit_normaliser
    from core.policy.execution import Execution

    spec = agent_spec(args.agent)
    candles = load(args)
    rows = np.arange(max(0, len(candles) - args.train_bars), len(candles))
    normaliser = fit_normaliser(causal_features(candles)[rows])
    env = TradingEnv(candles, rows, normaliser, Execution(fee=args.fee), args.window, spec.continuous)
    folder = Agent.train(args.agent, env, args.steps, args.seed).save(args.out)
    payload = {"agent": args.agent, "steps": args.steps, "bars": int(len(env.rows)), "folder": str(folder)}
    if args.json:
        print_json(payload)
    else:
        print(f"saved {args.agent} ({args.steps} steps on {payload['bars']} bars) to {folder}")
    return 0
