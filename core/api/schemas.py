"""Request bodies: strict (unknown fields are refused), bounded, and typed so that OpenAPI says it all.

Symbols are checked for spelling here and against the data that exists in the service (404 when
unknown); timeframes must be one Lydian knows. Defaults follow the CLI: timeframe 1h, horizon 1.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from core.data.timeframes import TIMEFRAMES
from core.ensemble.calibration import CALIBRATIONS
from core.ensemble.combiners import METHODS

Timeframe = Literal[tuple(TIMEFRAMES)]  # type: ignore[valid-type]
Method = Literal[METHODS]  # type: ignore[valid-type]
Calibration = Literal[CALIBRATIONS]  # type: ignore[valid-type]
Symbol = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=24,
                                          pattern=r"^[A-Za-z0-9][A-Za-z0-9/_:-]{0,23}$")]
ModelName = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Horizon = Annotated[int, Field(ge=1, le=100, description="bars ahead to forecast")]
Version = Annotated[int, Field(ge=1, le=1_000_000)]
Epochs = Annotated[int, Field(ge=1, le=500, description="cap on epochs for the nets (boosters ignore it)")]
MAX_BATCH = 100


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Market(Strict):
    symbol: Symbol = Field(description="BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    timeframe: Timeframe = "1h"
    horizon: Horizon = 1


class ModelPredictRequest(Market):
    """The model comes from the path."""

    version: Version | None = Field(None, description="default: the promoted version, else the newest")


class SingleRequest(ModelPredictRequest):
    model: ModelName = Field("ensemble", description="a model id or 'ensemble'")


class BatchRequest(Strict):
    symbols: list[Symbol] = Field(min_length=1, max_length=MAX_BATCH)
    timeframe: Timeframe = "1h"
    model: ModelName = "ensemble"
    horizon: Horizon = 1


class EnsembleRequest(Market):
    method: Method | None = Field(None, description="default: the stored configuration of this market")
    calibration: Calibration | None = None


class TopRequest(Strict):
    timeframe: Timeframe = "1h"
    model: ModelName = "ensemble"
    horizon: Horizon = 1
    limit: int = Field(MAX_BATCH, ge=1, le=MAX_BATCH)


class StatusQuery(Strict):
    symbol: Symbol | None = Field(None, description="default: every market this model is trained on")
    timeframe: Timeframe | None = None
    horizon: Horizon | None = None


class MarketQuery(Market):
    pass


class HistoryQuery(Strict):
    limit: int = Field(50, ge=1, le=500)
    state: Literal["queued", "running", "done", "failed", "cancelled"] | None = None


class ConfigureRequest(Market):
    method: Method = "weighted"
    calibration: Calibration = "platt"
    user_weights: dict[ModelName, Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]] | None = Field(
        None, max_length=32, description="replace the learnt weights; keys must be trained members")
    members: list[ModelName] | None = Field(None, min_length=1, max_length=32,
                                            description="single models combined; default: the fast boosters")
    min_confidence: float = Field(0.1, ge=0, lt=1, description="HOLD below this confidence")
    sl_atr: float = Field(1.5, gt=0, le=20, description="stop-loss distance in ATRs")
    tp_atr: float = Field(2.5, gt=0, le=50, description="take-profit distance in ATRs")
    volatility: Literal["atr", "garch"] = Field(
        "atr", description="unit of the stop distances and the risk score's volatility: ATR(14) or GARCH's forecast")


class TrainRequest(Market):
    """Train the model of the path on one market."""

    epochs: Epochs | None = None
    start: date | None = Field(None, description="first candle to train on (UTC date); default: all history")


class ScheduleRequest(Strict):
    symbols: list[Symbol] = Field(min_length=1, max_length=20)
    timeframes: list[Timeframe] = Field(default_factory=lambda: ["1h"], min_length=1, max_length=len(TIMEFRAMES))
    models: list[ModelName] = Field(min_length=1, max_length=32,
                                    description="ids, families (lstm, forest, statistical...: see /api/ai/models/list) or 'all'")
    horizon: Horizon = 1
    epochs: Epochs | None = None
    start: date | None = None


class PatternsQuery(Strict):
    symbol: Symbol = Field(description="BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    timeframe: Timeframe = "1h"
    last: int = Field(20, ge=1, le=500, description="how many recent events to return")
    threshold: float = Field(0.03, ge=0.002, le=0.5, allow_inf_nan=False,
                             description="zigzag reversal that confirms a pivot, as a fraction of price")


class ExplainQuery(Market):
    model: ModelName = Field(description="a trained model id (the ensemble is explained through its members)")
    at: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None, description="explain the forecast made at this candle (UTC open time, or the last before it); "
        "default: the latest candle")
    top: int = Field(15, ge=1, le=300, description="how many features to list in top")
