"""The leaderboard: every chosen model and every baseline walked forward on the same bars.

Models are compared with the best baseline by `versus_baselines`, with Holm's correction over
the number of models on the board, so adding models never makes a lucky one look significant.
The board is stored in the results cache; the dashboard's Compare page and the API list it
from there (`stored_leaderboards`) instead of recomputing.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from core import forecasters
from core.backtest.baselines import random_band
from core.backtest.cache import ResultsCache
from core.backtest.comparison import versus_baselines
from core.backtest.references import versus_references
from core.backtest.strategy import periods_per_year
from core.backtest.walkforward import (
    BacktestResult, Market, Progress, Settings, backtest, cache_for, check_settings, prepare_market,
)
from core.distributed.backend import Backend, backend_for
from core.fingerprint import code_version, digest
from core.models import capabilities as cap
from core.models.registry import current_id
from core.tracking import record_leaderboard

ROW_METRICS = (
    "accuracy", "accuracy_ci_low", "accuracy_ci_high", "n", "log_loss", "brier", "auc", "rmse", "mae",
    "sharpe", "sortino", "max_drawdown", "total_return",
    # return forecasts only (tag return_forecast): versus the random walk, and intervals' measured coverage and width
    "mase", "dm_rw_stat", "dm_rw_p_value", "conformal_90_coverage", "conformal_90_width",
    "own_80_coverage", "own_80_width", "own_95_coverage", "own_95_width",
    "own_80_coverage_ci_low", "own_80_coverage_ci_high",  # its 95 % Wilson interval
)
KIND = "leaderboard"


@dataclass
class Leaderboard:
    """Rows sorted by edge over the best baseline, the baselines and the coin-flip band beside them."""

    rows: list[dict[str, Any]]
    random_band: dict[str, float]
    context: dict[str, Any]  # symbol, timeframe, horizon, data fingerprint, settings, seconds
    results: dict[str, BacktestResult] = field(default_factory=dict, repr=False)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).set_index("model")

    def predictions(self) -> pd.DataFrame:
        """Every out-of-sample prediction in long form: timestamp, model, p_up, realised return and direction."""
        parts = [
            result.predictions.reset_index(names="timestamp").assign(model=name)
            [["timestamp", "model", "p_up", "expected_return", "realised_return", "realised_direction"]]
            for name, result in self.results.items()
        ]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``models`` maps each model and baseline to its row, in leaderboard order."""
        return {"models": {row["model"]: row for row in self.rows}, "random_band": self.random_band,
                "context": self.context}


def _row(name: str, kind: str, result: BacktestResult, versus: dict[str, Any] | None) -> dict[str, Any]:
    metrics = result.metrics
    row: dict[str, Any] = {"model": name, "kind": kind} | {k: metrics.get(k) for k in ROW_METRICS}
    row["long_flat_sharpe"] = metrics["long_flat"]["sharpe"]
    row["trades"] = metrics["long_short"]["trades"]
    row["seconds"] = result.info.get("seconds")
    row["cached"] = result.info.get("cached", False)
    row["config_digest"] = result.info.get("config_digest")
    if "horizons" in metrics:  # multi-horizon models: each extra horizon scored out of sample
        row["horizons"] = metrics["horizons"]
    row |= versus or {}
    return row


def _sort_key(row: dict[str, Any]) -> tuple[int, float]:
    edge = row.get("edge")
    return (0 if row["kind"] == "model" else 1, -(edge if edge is not None and not math.isnan(edge) else -1.0))


def _finite(value: Any) -> Any:
    """NaN and inf become None so the board is valid JSON for the API and the CLI."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def leaderboard(
    model_ids: list[str], candles: pd.DataFrame, horizon: int = 1, *, timeframe: str | None = None,
    symbol: str | None = None, cache: bool | ResultsCache | None = True, device: str | None = None,
    progress: Progress | None = None, overrides: dict[str, dict[str, Any]] | None = None,
    backend: Backend | None = None, **settings: Any,
) -> Leaderboard:
    """Walk every model and baseline forward on ``candles`` and rank the models by edge over the best baseline.

    ``backend`` runs the models' walks (default: ``LYDIAN_BACKEND``, else serially); the board is the same either way.
    """
    if symbol:
        candles = candles.copy(deep=False)
        candles.attrs["symbol"] = symbol
    return leaderboards(model_ids, [candles], horizon, timeframe=timeframe, cache=cache, device=device,
                        progress=progress, overrides=overrides, backend=backend, **settings)[0]


def leaderboards(
    model_ids: list[str], markets: list[pd.DataFrame], horizon: int = 1, *, timeframe: str | None = None,
    cache: bool | ResultsCache | None = True, device: str | None = None, progress: Progress | None = None,
    overrides: dict[str, dict[str, Any]] | None = None, backend: Backend | None = None, **settings: Any,
) -> list[Leaderboard]:
    """One board per market (its symbol from ``candles.attrs``), every (market x model) walk one job of ``backend``.

    All jobs go to the backend at once, so a cluster works on every market's models side by side.
    """
    check_settings(settings)
    chosen = Settings(horizon=horizon, **settings)
    prepared = [prepare_market(candles, horizon, timeframe) for candles in markets]
    store = cache_for(cache)
    started = time.perf_counter()
    jobs = [(i, model_id, (overrides or {}).get(model_id)) for i in range(len(prepared)) for model_id in model_ids]
    labels = [model_id if len(markets) == 1 else f"{markets[i].attrs.get('symbol', i)} {model_id}"
              for i, model_id, _ in jobs]
    walked = (backend or backend_for()).map(_walk, jobs, shared=(prepared, chosen, store, device), labels=labels,
                                        progress=progress)
    per_market = [walked[i * len(model_ids) : (i + 1) * len(model_ids)] for i in range(len(markets))]
    return [_board(model_ids, candles, market, chosen, store, results, started)
            for candles, market, results in zip(markets, prepared, per_market)]


def _board(model_ids: list[str], candles: pd.DataFrame, market: Market, chosen: Settings,
           store: ResultsCache | None, walked: list[BacktestResult], started: float) -> Leaderboard:
    """The board of one market from its models' walks, the baselines walked here beside them; stored and recorded."""
    horizon = chosen.horizon
    naive = {name: backtest(name, market, chosen, cache=store) for name in forecasters.forecaster_ids(having=cap.BASELINE)}
    models: dict[str, BacktestResult] = dict(zip(model_ids, walked))
    versus = versus_baselines({n: r.predictions for n, r in models.items()},
                              {n: r.predictions for n, r in naive.items()}, horizon)
    best = next(iter(versus.values()))["baseline"] if versus else None
    references = versus_references({n: r.predictions for n, r in models.items()}, horizon)  # vs_dlinear, vs_nlinear
    rows = [_row(n, "model", r, versus[n] | references.get(n, {})) for n, r in models.items()]
    base_accuracy = naive[best].metrics["accuracy"] if best else None
    rows += [
        _row(n, "baseline", r, {"edge": r.metrics["accuracy"] - base_accuracy if best else None,
                                "p_value": None, "verdict": "best baseline" if n == best else "baseline"})
        for n, r in naive.items()
    ]
    rows = [{k: _finite(v) for k, v in row.items()} for row in sorted(rows, key=_sort_key)]
    any_result = next(iter(naive.values()))
    band = random_band(
        any_result.predictions["hold_return"].to_numpy(), any_result.predictions["realised_direction"].to_numpy(),
        chosen.cost_per_side, periods_per_year(market.timeframe, chosen.step),
    )
    context = {
        "symbol": candles.attrs.get("symbol"), "timeframe": market.timeframe, "horizon": horizon,
        "data": market.fingerprint, "settings": asdict(chosen), "n_forecasts": len(any_result.predictions),
        "test_first": str(any_result.predictions.index[0]), "test_last": str(any_result.predictions.index[-1]), "models": list(model_ids),
        "best_baseline": best, "seconds": round(time.perf_counter() - started, 3),
        "created": pd.Timestamp.now(tz="UTC").isoformat(), "code": code_version(),
    }
    board = Leaderboard(rows, {k: _finite(v) for k, v in band.items()}, context, models | naive)
    if store is not None:
        store.put(KIND, _key(market, chosen, model_ids), board.to_dict())
    record_leaderboard(board)  # an MLflow run when tracking is on; never fails the board
    return board


def _walk(shared: tuple[list[Market], Settings, ResultsCache | None, str | None],
          job: tuple[int, str, dict[str, Any] | None], progress: Progress | None) -> BacktestResult:
    """One model's walk-forward on one market: a job of the backend (module level, so a Ray worker imports it)."""
    markets, settings, store, device = shared
    market, model_id, overrides = job
    return backtest(model_id, markets[market], settings, cache=store, device=device, progress=progress,
                    overrides=overrides)


def _key(market: Market, settings: Settings, model_ids: list[str]) -> str:
    return digest({"data": market.fingerprint, "timeframe": market.timeframe, "settings": asdict(settings),
                   "models": sorted(model_ids), "code": code_version()})


def stored_leaderboards(cache: ResultsCache | None = None) -> list[dict[str, Any]]:
    """Every leaderboard in the results cache, newest first (what the Compare page and the API show)."""
    return [_current_names(board) for board in (cache or ResultsCache()).entries(KIND)]


def _current_names(board: dict[str, Any]) -> dict[str, Any]:
    """A board stored before a forecaster was renamed (`registry.RENAMED`), read under today's names."""
    models = {}
    for name, row in board.get("models", {}).items():
        row = row | {"model": current_id(name)}
        if isinstance(row.get("baseline"), str):
            row["baseline"] = current_id(row["baseline"])
        models[row["model"]] = row
    context = board.get("context", {})
    if isinstance(context.get("best_baseline"), str):
        context = context | {"best_baseline": current_id(context["best_baseline"])}
    return board | {"models": models, "context": context}


def evaluation_for(symbol: str, timeframe: str, horizon: int, model: str, config_digest: str | None = None,
                   cache: ResultsCache | None = None) -> dict[str, Any] | None:
    """The newest stored walk-forward figures of ``model`` on this market, or None when never evaluated.

    With ``config_digest`` (`EnsembleConfig.digest`, or a model's identity digest) only a record of
    exactly that configuration counts: a record of another ensemble is never shown as this one's.
    """
    for board in stored_leaderboards(cache):
        context = board.get("context", {})
        if (context.get("symbol"), context.get("timeframe"), context.get("horizon")) != (symbol, timeframe, horizon):
            continue
        row = board.get("models", {}).get(model)
        if row is not None and (config_digest is None or row.get("config_digest") == config_digest):
            keys = ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "n", "edge", "baseline", "baseline_accuracy",
                    "p_value", "verdict", "verdict_text", "sharpe", "config_digest")
            return {k: row.get(k) for k in keys} | {"test_first": context.get("test_first"),
                                                    "test_last": context.get("test_last"),
                                                    "created": context.get("created")}
    return None
