"""Out of sample: the portfolio a quantum solver chooses against the exactly chosen one, after costs.

Along the test bars, every ``rebalance`` bars each selector reads only the ``lookback`` returns up
to that bar, builds the same budgeted mean-variance QUBO (`core.quantum.problems.window_problem`)
and picks k markets, held equally weighted. The books drift, trade and pay costs exactly as
`core.portfolio` simulates them, beside its continuous mean-variance weights and equal weight over
every market; the statistics (Sharpe with its bootstrap interval, deflated Sharpe charged for every
book tried, PBO) are the policy layer's. Whatever the result, it is printed as it comes.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from core.backtest.strategy import periods_per_year
from core.policy.execution import Execution
from core.policy.report import finite, summarise
from core.policy.stats import pbo, sharpe
from core.portfolio.backtest import align, simulate, trading_inputs
from core.quantum.problems import window_problem
from core.quantum.solvers import SOLVERS, SolverError, solve
from core.splits import Start, first_test_row


def judge_portfolio(candles: dict[str, pd.DataFrame], k: int, solver: str, *, timeframe: str, rebalance: int = 168,
                    lookback: int = 720, risk_aversion: float = 1.0, execution: Execution = Execution(),
                    start: Start = 0.5, draws: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The ``solver``-chosen, exactly chosen, mean-variance and equal-weight books on the same test bars."""
    started = time.perf_counter()
    nets, log, rebalances = books(candles, k, solver, rebalance=rebalance, lookback=lookback,
                                  risk_aversion=risk_aversion, execution=execution, start=start, seed=seed)
    matrix = np.column_stack([table["net_return"].to_numpy() for table in nets.values()])
    charged = {"trials": len(nets), "sr_variance": float(np.nanvar([sharpe(c) for c in matrix.T], ddof=1)),
               "pbo": pbo(matrix)}
    periods = periods_per_year(timeframe)
    stats = {name: summarise(table, periods, draws=draws, seed=seed, **charged) for name, table in nets.items()}
    same = [set(a.selection) == set(b.selection) for a, b in zip(log["chosen"], log["exact"])]
    first = next(iter(nets.values())).index
    return finite({
        "solver": solver, "label": SOLVERS[solver][1], "simulated": True, "symbols": list(log["symbols"]), "k": k,
        "timeframe": timeframe, "rebalance": rebalance, "lookback": lookback, "bars": len(first),
        "first_bar": str(first[0]), "rebalances": rebalances, "cost_per_side": execution.cost_per_side,
        "solver_quality": {
            "same_selection_as_exact": float(np.mean(same)),
            "mean_approximation_ratio": _mean([r.approximation_ratio for r in log["chosen"]]),
            "mean_p_optimal": _mean([r.p_optimal for r in log["chosen"]]),
            "solver_wall_s": float(sum(r.wall_s for r in log["chosen"])),
        },
        "last_selection": {book: list(log[book][-1].selection) for book in ("chosen", "exact")},
        "books": stats, "wall_s": time.perf_counter() - started,
    })


def books(candles: dict[str, pd.DataFrame], k: int, solver: str, *, rebalance: int, lookback: int,
          risk_aversion: float, execution: Execution, start: Start, seed: int) -> tuple[dict[str, pd.DataFrame], dict, int]:
    """Each book's per-bar table (asset_return, cost, net_return, position), the solvers' answers, the rebalances."""
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    opens, closes = align(candles)
    labels, n = list(opens.columns), len(opens)
    rows = np.arange(max(lookback, first_test_row(n, start, opens.index)), n - 2 - execution.latency)
    returns, windows, covariances = trading_inputs(opens, closes, rows, lookback, rebalance, execution.latency)
    log: dict[str, list] = {"chosen": [], "exact": []}

    def chooser(book: str, name: str) -> Any:
        def target(window: np.ndarray, covariance: np.ndarray | None) -> np.ndarray:
            result = solve(window_problem(labels, window, k, risk_aversion), name, seed=seed)
            log[book].append(result)
            picked = np.isin(labels, result.selection).astype(float)
            return picked / picked.sum() if picked.sum() else np.full(len(labels), 1.0 / len(labels))
        return target

    methods = {"exact_chosen": chooser("exact", "exact"), "mean_variance": "mean_variance", "equal": "equal"}
    if solver != "exact":  # the exact solver judged against itself is one book
        methods = {f"{solver}_chosen": chooser("chosen", solver), **methods}
    nets = {}
    for name, method in methods.items():
        _, gross, traded = simulate(method, returns, windows, covariances, rebalance)
        cost = execution.cost_per_side * traded
        nets[name] = pd.DataFrame({"asset_return": gross, "cost": cost, "net_return": gross - cost, "position": 1.0},
                                  index=opens.index[rows])
    if solver == "exact":
        log["chosen"] = log["exact"]
    return nets, {**log, "symbols": labels}, len(windows)


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None
