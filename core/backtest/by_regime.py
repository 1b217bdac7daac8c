"""The leaderboard by regime: where (in which kind of market) a model's out-of-sample edge lives.

Each model's walk-forward forecasts are grouped by the regime of their bar, labelled causally by
`core.regimes.label_causally` with its first fit ending at the first forecast and refits on the
models' own schedule, so no label at a forecast bar reads a later bar. Within each regime the
accuracy has its 95% Wilson interval, beside always-up on the same bars (`accuracy_by_regime`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.backtest.leaderboard import Leaderboard, leaderboard
from core.policy.report import finite
from core.regimes import accuracy_by_regime, label_causally, summary


def by_regime(board: Leaderboard, candles: pd.DataFrame, *, detector: str = "hmm", n_regimes: int = 2,
              seed: int = 0, models: list[str] | None = None) -> dict[str, Any]:
    """JSON-ready: the detector, each regime's description and one row per (model, regime); ``models``: the
    board's models by default."""
    first = pd.Timestamp(board.context["test_first"])
    labelled = label_causally(candles, detector, n_regimes=n_regimes, train_bars=first,
                              refit_every=board.context["settings"]["refit_every"], seed=seed)
    models = [m for m in (models or board.context["models"]) if m in board.results]
    table = accuracy_by_regime({m: board.results[m].predictions for m in models}, labelled.labels)
    return finite({"detector": detector, "kind": labelled.kind, "regimes": summary(labelled)["regimes"],
                    "rows": table.to_dict(orient="records")})


def regime_board(models: list[str], candles: pd.DataFrame, *, detector: str = "hmm", n_regimes: int = 2,
                 horizon: int = 1, timeframe: str | None = None, cache: bool = True,
                 **settings: Any) -> dict[str, Any]:
    """Walk ``models`` forward (the leaderboard, cached) and break their accuracy down by regime."""
    board = leaderboard(models, candles, horizon, timeframe=timeframe, cache=cache, **settings)
    return by_regime(board, candles, detector=detector, n_regimes=n_regimes, seed=settings.get("seed", 0))
