"""Recording a finished walk-forward leaderboard as a ``backtest`` run (read by duck typing: this
layer sits below `core.backtest`, so it takes any object with ``rows``, ``context`` and ``predictions()``)."""

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


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a table parquet can store (nested values as text)."""
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, (dict, list))).any():
            frame[column] = frame[column].map(str)
    return frame
