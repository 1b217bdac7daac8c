"""Health, the model zoo, one model's trained versions with walk-forward metrics, and training one model."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from core import __version__, service
from core.api import jobs
from core.api.auth import Identity, reader, writer
from core.api.context import READ_ERRORS, WRITE_ERRORS, Context, context, errors
from core.api.responses import HealthOut, JobOut, ModelOut, ModelStatusOut
from core.api.schemas import ModelName, StatusQuery, TrainRequest
from core.api.service import finite
from core.backtest.leaderboard import evaluation_for
from core.data import normalize_symbol
from core.models import registry
from core.models.store import Key, ModelStore

router = APIRouter(tags=["models"])
Ctx = Annotated[Context, Depends(context)]
ModelPath = Annotated[ModelName, Path(description="a model id, see /models/list")]


@lru_cache(maxsize=1)
def _parameter_counts() -> dict[str, int | None]:
    from core.features import feature_groups

    n_features = len(feature_groups())
    return {m: registry.parameter_count(m, n_features) for m in registry.model_ids()}


@router.get("/health", response_model=HealthOut, responses=errors(401), summary="Liveness and what is loaded")
async def health(ctx: Ctx, _: Annotated[Identity, Depends(reader)]) -> dict[str, Any]:
    return {"status": "ok", "version": __version__, "device": ctx.device, "models_loaded": len(ctx.predictor.loaded),
            "uptime_s": round(time.monotonic() - ctx.started, 1), "database": ctx.db.kind,
            "jobs_running": ctx.runner.running()}


@router.get("/models/list", response_model=list[ModelOut], responses=errors(401, 429), summary="Every registered model")
def models_list(_: Annotated[Identity, Depends(reader)]) -> list[dict[str, Any]]:
    markets: dict[str, set] = {}
    for row in ModelStore().catalog():
        markets.setdefault(row["model_id"], set()).add((row["symbol"], row["timeframe"], row["horizon"]))
    counts = _parameter_counts()
    return [{"id": s.model_id, "family": s.family, "description": s.description, "sequence": s.sequence,
             "parameters": counts.get(s.model_id), "trained_markets": len(markets.get(s.model_id, ())),
             "available": s.available, "unavailable_reason": s.unavailable_reason}
            for s in registry.registry().values()]


def _market(store: ModelStore, key: Key, model_id: str) -> dict[str, Any]:
    versions = [{"version": meta["version"], "created": meta.get("created"), "promoted": meta["promoted"],
                 "data": meta.get("data", {}), "n_parameters": meta.get("n_parameters"),
                 "valid_metrics": meta.get("valid_metrics", {})} for meta in service.versions(key, model_id, store)]
    return {"symbol": key.symbol, "timeframe": key.timeframe, "horizon": key.horizon, "versions": versions,
            "evaluation": finite(evaluation_for(key.symbol, key.timeframe, key.horizon, model_id))}


@router.get("/models/{model_id}/status", response_model=ModelStatusOut, responses=READ_ERRORS,
            summary="Trained versions, training ranges and walk-forward metrics with baselines")
def model_status(model_id: ModelPath, query: Annotated[StatusQuery, Query()],
                 _: Annotated[Identity, Depends(reader)]) -> dict[str, Any]:
    entry = registry.spec(model_id)
    store = ModelStore()
    symbol = normalize_symbol(query.symbol) if query.symbol else None
    keys = sorted({Key(r["symbol"], r["timeframe"], r["horizon"]) for r in store.catalog() if r["model_id"] == model_id
                   and (symbol is None or r["symbol"] == symbol)
                   and (query.timeframe is None or r["timeframe"] == query.timeframe)
                   and (query.horizon is None or r["horizon"] == query.horizon)},
                  key=lambda k: (k.symbol, k.timeframe, k.horizon))
    markets = [_market(store, key, model_id) for key in keys]
    note = ("walk-forward metrics come from 'lydian backtest'; evaluation is null where it was never run" if markets
            else f"{model_id} is not trained on the markets asked for; POST /api/ai/models/{model_id}/train trains it")
    return {"id": model_id, "family": entry.family, "markets": markets, "note": note}


@router.post("/models/{model_id}/train", response_model=JobOut, status_code=202, responses=WRITE_ERRORS,
             summary="Queue a training job for this model on one market (runs in a worker process)")
def train_model(model_id: ModelPath, body: TrainRequest, ctx: Ctx,
                who: Annotated[Identity, Depends(writer)]) -> dict[str, Any]:
    registry.buildable(model_id)  # unknown or unavailable here: 404 saying why
    symbol = ctx.markets.check(body.symbol, body.timeframe)
    spec = {"symbols": [symbol], "timeframes": [body.timeframe], "models": [model_id], "horizon": body.horizon,
            "epochs": body.epochs, "start": body.start.isoformat() if body.start else None}
    return jobs.create(ctx.db, spec, who, {"model": model_id, **body.model_dump(mode="json")})
