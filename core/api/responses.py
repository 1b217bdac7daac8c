"""Response bodies, declared so the OpenAPI schema (and schemathesis) can check every answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from core.ensemble.signal import Signal


class ErrorOut(BaseModel):
    error: str = Field(description="machine-readable code, e.g. unknown_symbol")
    detail: str = Field(description="what is wrong and what exists instead")


class PredictionOut(BaseModel):
    symbol: str
    timeframe: str
    horizon: int
    model: str
    version: int | None = Field(description="the stored version that forecast (for the ensemble: the newest "
                                "version trained with the configured members)")
    candle_time: str = Field(description="open time (UTC) of the last candle the forecast is based on")
    p_up: float = Field(description="P(close higher after horizon bars); calibrated for the ensemble")
    expected_return: float
    direction: Literal["up", "down"]
    confidence: float = Field(description="|2 p_up - 1|: 0 is a coin flip")
    signal: Signal | None = Field(None, description="the ensemble's trading signal (core.ensemble.signal)")
    valid_metrics: dict[str, Any] | None = None
    intervals: dict[str, float | None] | None = Field(
        None, description="a probabilistic model's 80 % and 95 % intervals of the h-bar return: lo_80 .. hi_95")
    horizons: dict[str, dict[str, float | int | None]] | None = Field(
        None, description="a multi-horizon model's forecast per horizon it forecasts at once (\"1h\", \"4h\", \"1d\"): "
                          "bars, p_up, expected_return")
    cached: bool


class BatchError(BaseModel):
    symbol: str
    error: str
    detail: str


class TopOut(BaseModel):
    ranked: list[PredictionOut] = Field(description="highest confidence first")
    skipped: list[BatchError]


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    device: str
    models_loaded: int
    uptime_s: float
    database: str
    jobs_running: int


class ModelOut(BaseModel):
    id: str
    family: str
    description: str
    sequence: bool
    parameters: int | None
    trained_markets: int
    available: bool = Field(True, description="its libraries are installed and it can be built here")
    unavailable_reason: str = Field("", description="why it can never be built here (e.g. NeuralProphet), if so")


class VersionOut(BaseModel):
    version: int
    created: str | None
    promoted: bool
    data: dict[str, Any]
    n_parameters: int | None
    valid_metrics: dict[str, Any]


class MarketStatusOut(BaseModel):
    symbol: str
    timeframe: str
    horizon: int
    versions: list[VersionOut]
    evaluation: dict[str, Any] | None = Field(description="walk-forward metrics with baselines, null if not run")


class ModelStatusOut(BaseModel):
    id: str
    family: str
    markets: list[MarketStatusOut]
    note: str


class EnsembleConfigOut(BaseModel):
    symbol: str
    timeframe: str
    horizon: int
    method: str
    calibration: str
    user_weights: dict[str, float] | None
    members: list[str] | None
    min_confidence: float
    sl_atr: float
    tp_atr: float
    volatility: str
    updated_by: str | None
    updated: str | None


class WeightsOut(BaseModel):
    config: EnsembleConfigOut
    weights: dict[str, float]
    candle_time: str


class PerformanceOut(BaseModel):
    symbol: str
    timeframe: str
    horizon: int
    ensemble: dict[str, Any] | None
    members: dict[str, dict[str, Any] | None]
    note: str


class TaskOut(BaseModel):
    symbol: str
    timeframe: str
    model: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    epoch: int | None = None
    epochs: int | None = None
    valid_loss: float | None = None
    version: int | None = None
    valid_accuracy: float | None = None
    error: str | None = None


class JobOut(BaseModel):
    id: int
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    user: str
    spec: dict[str, Any]
    progress: float = Field(description="share of tasks finished, 0 to 1")
    tasks: list[TaskOut]
    errors: list[str]
    created: str
    started: str | None
    finished: str | None


class TrainingOut(BaseModel):
    """202: the model is not trained on this market yet; its training job was started (or joined)."""

    status: Literal["training"]
    symbol: str
    timeframe: str
    horizon: int
    model: str = Field(description="the model asked for, or 'ensemble'")
    url: str = Field(description="the job: poll it until its state is done, then ask for the forecast again")
    detail: str
    job: JobOut


class BatchOut(BaseModel):
    predictions: list[PredictionOut]
    errors: list[BatchError]
    training: list[TrainingOut] = Field(description="symbols whose model is being trained: ask again when done")


class HistoryOut(BaseModel):
    jobs: list[JobOut]


class PatternsOut(BaseModel):
    """Recent pattern events and, per pattern and horizon, the hit rate beside the base rate (core.patterns.report)."""

    symbol: str | None
    timeframe: str | None
    bars: int
    start: str
    end: str
    threshold: float
    horizons: list[int]
    events: list[dict[str, Any]]
    stats: list[dict[str, Any]]


class FeatureShapOut(BaseModel):
    feature: str
    shap: float
    value: float | None
    group: str


class ExplanationOut(BaseModel):
    """SHAP values of one forecast in log-odds of P(up) (core.explain.shapley.Explanation)."""

    symbol: str
    timeframe: str
    horizon: int
    version: int
    model_id: str
    time: str = Field(description="open time (UTC) of the explained candle")
    method: Literal["tree", "gradient", "kernel"]
    p_up: float
    base_value: float
    model_output: float
    additivity_gap: float
    output: str
    features: dict[str, float]
    values: dict[str, float | None] = Field(description="raw feature values at the candle; null where undefined")
    groups: dict[str, float]
    lags: dict[str, float] | None
    settings: dict[str, Any]
    top: list[FeatureShapOut]
