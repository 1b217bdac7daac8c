"""The ensemble's configuration (method, user weights, thresholds: validated, stored, audited),
the weights in force, and its walk-forward performance beside its members'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from core.api import configs
from core.api.auth import Identity, reader, writer
from core.api.context import READ_ERRORS, WRITE_ERRORS, Context, context
from core.api.errors import ApiError
from core.api.responses import EnsembleConfigOut, PerformanceOut, WeightsOut
from core.api.schemas import ConfigureRequest, MarketQuery
from core import service
from core.api.service import finite
from core.ensemble import DEFAULT_MEMBERS, ENSEMBLE
from core.errors import LydianError
from core.models.store import Key

router = APIRouter(tags=["ensemble"])
Ctx = Annotated[Context, Depends(context)]


@router.get("/ensemble/weights", response_model=WeightsOut, responses=READ_ERRORS,
            summary="The configuration in force and the member weights it gives on the latest candle")
def weights(query: Annotated[MarketQuery, Query()], ctx: Ctx, _: Annotated[Identity, Depends(reader)]) -> dict[str, Any]:
    symbol = ctx.markets.check(query.symbol, query.timeframe)
    forecast = ctx.predictor.predict(symbol, query.timeframe, "ensemble", query.horizon)
    members = forecast["signal"]["contributing_models"]
    return {"config": ctx.predictor.config(symbol, query.timeframe, query.horizon),
            "weights": {m["id"]: m["weight"] for m in members}, "candle_time": forecast["candle_time"]}


@router.post("/ensemble/configure", response_model=EnsembleConfigOut, responses=WRITE_ERRORS,
             summary="Store the ensemble configuration of one market (needs a token; audited)")
def configure(body: ConfigureRequest, ctx: Ctx, who: Annotated[Identity, Depends(writer)]) -> dict[str, Any]:
    symbol = ctx.markets.check(body.symbol, body.timeframe)
    members = body.members or list(DEFAULT_MEMBERS)
    if body.user_weights is not None:
        unknown = sorted(set(body.user_weights) - set(members))
        if unknown:
            raise ApiError(422, "bad_ensemble", f"weights given for models that are not members: {', '.join(unknown)}; "
                           f"members: {', '.join(members)}")
        if sum(body.user_weights.values()) <= 0:
            raise ApiError(422, "bad_ensemble", "user weights must not all be zero")
    values = body.model_dump(include=set(configs.FIELDS))
    try:
        result = configs.save(ctx.db, symbol, body.timeframe, body.horizon, values, who.name, who.client,
                              body.model_dump(mode="json"))
    except LydianError as exc:  # unknown or repeated members, an ensemble as a member
        raise ApiError(422, "bad_ensemble", str(exc)) from None
    ctx.predictor.forget_configs()
    return result


@router.get("/ensemble/performance", response_model=PerformanceOut, responses=READ_ERRORS,
            summary="Walk-forward accuracy of the ensemble and of each member, with baselines")
def performance(query: Annotated[MarketQuery, Query()], ctx: Ctx,
                _: Annotated[Identity, Depends(reader)]) -> dict[str, Any]:
    symbol = ctx.markets.check(query.symbol, query.timeframe)
    key = Key(symbol, query.timeframe, query.horizon)
    config = service.ensemble_config(key, ctx.db)
    ensemble = finite(service.evaluation(key, ENSEMBLE, config))
    evaluated = {m: finite(service.evaluation(key, m)) for m in config.members}
    note = "" if ensemble else (f"the ensemble configured for {symbol} {query.timeframe} ({config.method}, "
                                f"{config.calibration}, {', '.join(config.members)}) was not walked forward yet: run "
                                f"'lydian backtest --symbol {symbol} --timeframe {query.timeframe} --models ensemble'")
    return {"symbol": symbol, "timeframe": query.timeframe, "horizon": query.horizon, "ensemble": ensemble,
            "members": evaluated, "note": note}
