"""Recording a finished walk-forward leaderboard as a ``backtest`` run and a finished tuning session as a
``tune`` run (read by duck typing: this layer sits below `core.backtest` and `core.tuning`, so it takes any
object with ``rows``, ``context`` and ``predictions()``, or with ``model``, ``report`` and ``to_dict()``)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from core.tracking.runs import tracked_run
from core.tracking.settings import enabled

ROW_METRICS = ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "edge", "p_value", "log_loss", "sharpe",
               "long_flat_sharpe", "max_drawdown", "n")
PARAMS = ("symbol", "timeframe", "horizon", "models", "settings", "data", "n_forecasts", "test_first", "test_last",
          "best_baseline", "code")
log = logging.getLogger("lydian.tracking")


def record_leaderboard(board: Any) -> None:
    """One run: settings as parameters, each row's key figures as metrics, the board and every
    out-of-sample prediction as parquet tables. Never raises: a backtest outlives its tracking."""
    if not enabled():
        return
    try:
        context = board.context
        name = f"{context.get('symbol') or 'candles'} {context.get('timeframe')} h{context.get('horizon')}"
        started = time.time() - float(context.get("seconds") or 0.0)
        with tracked_run("backtest", name, {k: context.get(k) for k in PARAMS}, started=started) as run:
            run.metrics({f"{row['model']}.{k}": row.get(k) for row in board.rows for k in ROW_METRICS})
            run.metrics({"seconds": context.get("seconds")})
            run.table("leaderboard", _frame(board.rows))
            run.table("predictions", board.predictions())
    except Exception as exc:
        log.warning("tracking: the leaderboard was not recorded (%s: %s)", type(exc).__name__, exc)


TUNE_PARAMS = ("symbol", "timeframe", "horizon", "folds", "n_forecasts", "test_first", "test_last", "settings",
               "default_config")


def record_tuning(result: Any) -> None:
    """One run per tuning session: what was searched as parameters, the tuned and untuned out-of-sample figures
    and the deflated Sharpe (every trial counted) as metrics, the trial table as parquet. Never raises."""
    if not enabled():
        return
    try:
        report, summary = result.report, result.to_dict()
        name = f"{result.model} {report.get('symbol') or 'candles'} {report.get('timeframe')} h{report.get('horizon')}"
        params = {k: report.get(k) for k in TUNE_PARAMS} | {
            "model": result.model, "search": result.search, "trials": summary["trials"],
            "best_config": summary["best_config"]}
        started = time.time() - float(report.get("seconds") or 0.0)
        with tracked_run("tune", name, params, started=started) as run:
            for side in ("tuned_result", "untuned_result"):
                run.metrics({f"{side}.{k}": v for k, v in (report.get(side) or {}).items()
                             if isinstance(v, (int, float)) and not isinstance(v, bool)})
            run.metrics({f"deflated.{k}": v for k, v in (report.get("deflated") or {}).items()
                         if isinstance(v, (int, float)) and not isinstance(v, bool)})
            run.metrics({"seconds": report.get("seconds"), "trials_stopped_early": report.get("trials_stopped_early")})
            run.table("trials", _frame(summary["trial_table"]))
    except Exception as exc:
        log.warning("tracking: the tuning session was not recorded (%s: %s)", type(exc).__name__, exc)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a table parquet can store (nested values as text)."""
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, (dict, list))).any():
            frame[column] = frame[column].map(str)
    return frame
