"""Causal market regimes and anomalies of one market: the same core and JSON as `lydian regimes|anomalies`,
the leaderboard by regime (`lydian backtest --by-regime`) and the stand-aside comparison after costs
(`lydian anomalies --policy-model`).

A request labels the last ``bars`` candles (fit on the first ``train_bars`` of them, refit every
``refit_every``), so its cost is bounded; reports are kept per (market, last candle, settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from core.api.auth import Identity, reader
from core.api.context import READ_ERRORS, Context, context
from core.api.schemas import ModelName, Strict, Symbol, Timeframe
from core.api.service import finite
from core.lru import Lru
from core.policy.policies import POLICIES
from core.regimes import methods

router = APIRouter(tags=["regimes"])
Ctx = Annotated[Context, Depends(context)]
Reader = Annotated[Identity, Depends(reader)]
Detector = Literal[methods()]  # type: ignore[valid-type]
_REPORTS: Lru[dict[str, Any]] = Lru(32)


class RegimesQuery(Strict):
    symbol: Symbol = Field(description="BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    timeframe: Timeframe = "1h"
    method: Detector = Field("kmeans", description="the detector (see 'lydian regimes --help')")
    regimes: int = Field(2, ge=2, le=10, description="number of regimes (DBSCAN finds its own)")
    bars: int = Field(4000, ge=200, le=20000, description="label within the last this-many candles")
    train_bars: int | None = Field(None, ge=100, le=19000,
                                   description="fit on the first N of those bars (default: half of them)")
    refit_every: int = Field(168, ge=24, le=5000, description="refit after this many labelled bars")
    contamination: float = Field(0.01, gt=0, lt=0.5, allow_inf_nan=False,
                                 description="share of training bars an anomaly detector marks")
    last: int = Field(10, ge=1, le=500, description="how many recent anomalies or labels to return")


def _report(query: RegimesQuery, ctx: Context, anomalies: bool) -> dict[str, Any]:
    from core.regimes import label_causally, summary
    from core.regimes.summary import anomaly_report

    def compute(candles: Any) -> dict[str, Any]:
        labelled = label_causally(candles, query.method, n_regimes=query.regimes, train_bars=query.train_bars,
                                  refit_every=query.refit_every, contamination=query.contamination)
        return anomaly_report(labelled, query.last) if anomalies else summary(labelled) | {
            "recent": [{"timestamp": str(t), "regime": int(r), "anomaly_score": float(s)}
                       for t, r, s in labelled.labels.tail(query.last).itertuples()]}

    return _cached("anomalies" if anomalies else "regimes", query, ctx, compute)


@router.get("/regimes", responses=READ_ERRORS,
            summary="Regimes labelled causally: share, volatility, mean return and duration, transition matrix")
def regimes(query: Annotated[RegimesQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    return _report(query, ctx, anomalies=False)


@router.get("/anomalies", responses=READ_ERRORS,
            summary="Anomalous bars found causally (score higher = more anomalous) and how many were marked")
def anomalies(query: Annotated[RegimesQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    if "method" not in query.model_fields_set:
        query = query.model_copy(update={"method": "isolation_forest"})
    return _report(query, ctx, anomalies=True)


class BoardQuery(Strict):
    symbol: Symbol = Field(description="BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    timeframe: Timeframe = "1h"
    models: list[ModelName] = Field(["lightgbm"], min_length=1, max_length=5, description="models walked forward")
    method: Detector = Field("hmm", description="the regime detector")
    regimes: int = Field(2, ge=2, le=10, description="number of regimes (DBSCAN finds its own)")
    bars: int = Field(4000, ge=500, le=20_000, description="most recent bars; forecasts start half-way")
    refit_every: int = Field(168, ge=24, le=5000, description="forecasts between refits (models and detector)")


class StandAsideQuery(Strict):
    symbol: Symbol = Field(description="BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    timeframe: Timeframe = "1h"
    model: ModelName = Field("lightgbm", description="the model whose walk-forward forecasts are traded")
    method: Detector = Field("isolation_forest", description="the anomaly detector")
    policy: Literal[POLICIES] = Field(  # type: ignore[valid-type]
        "always", description="the policy, the same with and without the filter")
    fee: float = Field(0.001, ge=0, lt=0.1, description="fee per side as a fraction (0.001 = 0.1 %)")
    contamination: float = Field(0.01, gt=0, lt=0.5, allow_inf_nan=False,
                                 description="share of training bars the detector marks")
    bars: int = Field(4000, ge=500, le=20_000, description="most recent bars; forecasts start half-way")
    refit_every: int = Field(168, ge=24, le=5000, description="forecasts between refits (model and detector)")


def _cached(name: str, query: Strict, ctx: Context, compute: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """``compute(candles)`` on the query's last bars, kept per (market, last candle, query)."""
    symbol = ctx.markets.check(query.symbol, query.timeframe)
    candles = ctx.markets.candles(symbol, query.timeframe).iloc[-query.bars:]
    key = (name, symbol, candles.index[-1].value, query.model_dump_json())
    report = _REPORTS.get(key)
    if report is None:
        report = finite({"symbol": symbol, "timeframe": query.timeframe, **compute(candles)})
        _REPORTS.put(key, report)
    return report


@router.get("/regimes/board", responses=READ_ERRORS,
            summary="Each model's walk-forward accuracy within each causal regime, beside always-up")
def regimes_board(query: Annotated[BoardQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core.backtest.by_regime import regime_board

    return _cached("board", query, ctx, lambda candles: regime_board(
        query.models, candles, detector=query.method, n_regimes=query.regimes, timeframe=query.timeframe,
        refit_every=query.refit_every))


@router.get("/anomalies/stand-aside", responses=READ_ERRORS,
            summary="A model's forecasts traded with and without standing aside in anomalous bars, after costs")
def anomalies_stand_aside(query: Annotated[StandAsideQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core.policy import Execution
    from core.policy.stand_aside import stand_aside_report

    return _cached("stand_aside", query, ctx, lambda candles: stand_aside_report(
        candles, query.model, timeframe=query.timeframe, detector=query.method, policy=query.policy,
        execution=Execution(fee=query.fee), refit_every=query.refit_every, contamination=query.contamination))
