"""Train chosen models on one market and store each as a new version: what CLI, UI and API call.

Every model of a run sees the same features and the same purged 60/20/20 chronological split;
the test window (last 20 %) is never touched here, it is left for honest evaluation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from core.distributed.backend import Backend, backend_for
from core.models import registry
from core.models.base import Progress
from core.models.dataset import prepare
from core.models.store import Key, ModelStore
from core.tracking import tracked_run


@dataclass(frozen=True)
class TrainReport:
    model_id: str
    version: int
    n_parameters: int
    fit_seconds: float
    valid_accuracy: float
    valid_log_loss: float
    valid_n: int
    device: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_models(
    candles: pd.DataFrame, key: Key, model_ids: list[str], *, source: str, seed: int = 0,
    device: str | None = None, store: ModelStore | None = None, progress: Progress | None = None,
    overrides: dict[str, Any] | None = None, backend: Backend | None = None,
) -> list[TrainReport]:
    """Fit each model on the training window (early stopping on validation) and save it.

    ``backend`` runs the fits (default: ``LYDIAN_BACKEND``, else serially): the same seeds give the same models.
    """
    store = store or ModelStore()
    dataset = prepare(candles, key.horizon)
    split, index = dataset.split()
    x_train, y_train = dataset.window(index[split.train])
    x_valid, y_valid = dataset.window(index[split.valid])
    data = {
        "source": source,
        "rows": len(index),
        "train": [str(x_train.index[0]), str(x_train.index[-1])],
        "valid": [str(x_valid.index[0]), str(x_valid.index[-1])],
        "test_from": str(index[split.test][0]),
    }
    params = {"symbol": key.symbol, "timeframe": key.timeframe, "horizon": key.horizon, "models": model_ids,
              "seed": seed, "overrides": overrides or {}, **data}
    with tracked_run("train", f"{key.symbol} {key.timeframe} h{key.horizon}", params) as run:
        curves: list[dict[str, Any]] = []
        reports = _fit_and_save(x_train, y_train, x_valid, y_valid, key, model_ids, store, data, seed, device,
                                _collecting(progress, curves) if run.active else progress, overrides, backend)
        for report in reports:
            run.metrics({f"{report.model_id}.{k}": v for k, v in report.to_dict().items()})
        if curves:
            run.table("training_curves", pd.DataFrame(curves))
    return reports


def _collecting(progress: Progress | None, curves: list[dict[str, Any]]) -> Progress:
    """Pass progress on, and keep the nets' per-epoch records for the run's curve table."""
    def forward(record: dict[str, Any]) -> None:
        if "epoch" in record and "train_loss" in record:
            curves.append(dict(record))
        if progress:
            progress(record)

    return forward


def _fit_and_save(
    x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame, key: Key,
    model_ids: list[str], store: ModelStore, data: dict[str, Any], seed: int, device: str | None,
    progress: Progress | None, overrides: dict[str, Any] | None, backend: Backend | None = None,
) -> list[TrainReport]:
    shared = (x_train, y_train, x_valid, y_valid, key, store, data, seed, device)
    jobs = [(model_id, (overrides or {}).get(model_id, {})) for model_id in model_ids]
    return (backend or backend_for()).map(_fit_one, jobs, shared=shared, labels=model_ids, progress=progress)


def _fit_one(shared: tuple[Any, ...], job: tuple[str, dict[str, Any]], progress: Progress | None) -> TrainReport:
    """Fit and save one model: a job of the backend (module level, so a Ray worker imports it)."""
    x_train, y_train, x_valid, y_valid, key, store, data, seed, device = shared
    model_id, settings = job
    model = registry.create_for(model_id, key.horizon, **settings)
    model.fit(x_train, y_train, x_valid, y_valid, seed=seed, device=device, progress=progress)
    version = store.save(model, key, data)
    metrics = model.valid_metrics_
    return TrainReport(
        model_id, version, model.n_parameters(), round(model.fit_seconds_, 2), metrics["accuracy"],
        metrics["log_loss"], metrics["n"], getattr(model, "device_", "cpu"),
    )
