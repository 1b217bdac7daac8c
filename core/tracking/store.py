"""Reading runs back: the list ``lydian runs list`` prints, one run, and a run's parquet tables."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import LydianError
from core.tracking import _mlflow
from core.tracking.runs import KINDS
from core.tracking.settings import tracking_uri

KEY_METRICS = 4  # metrics shown per run in the list (all of them in `show_run`), these names first:
_KEY_NAMES = ("accuracy", ".edge", "best_valid_log_loss")


def _summary(run: Any, metrics: int | None = KEY_METRICS) -> dict[str, Any]:
    info, data = run.info, run.data
    chosen = sorted(data.metrics.items(), key=lambda item: (not item[0].endswith(_KEY_NAMES), item[0]))
    return {
        "id": info.run_id, "kind": data.tags.get(_mlflow.KIND_TAG), "name": info.run_name,
        "start": datetime.fromtimestamp(info.start_time / 1000, UTC).isoformat(timespec="seconds"),
        "end": (datetime.fromtimestamp(info.end_time / 1000, UTC).isoformat(timespec="seconds")
                if info.end_time else None),
        "status": info.status, "parent": data.tags.get("mlflow.parentRunId"),
        "metrics": dict(chosen if metrics is None else chosen[:metrics]),
    }


def list_runs(kind: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs first, of one kind or all; [] when nothing was ever tracked."""
    if kind is not None and kind not in KINDS:
        raise LydianError(f"unknown run kind {kind!r}; use one of {', '.join(KINDS)}")
    uri = tracking_uri()
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return []  # nothing tracked yet: answer without importing mlflow or creating its schema
    experiment = _mlflow.experiment_id(create=False)
    if experiment is None:
        return []
    where = f"tags.`{_mlflow.KIND_TAG}` = '{kind}'" if kind else ""
    runs = _mlflow.client().search_runs([experiment], filter_string=where, max_results=limit,
                                        order_by=["attributes.start_time DESC"])
    return [_summary(run) for run in runs]


def show_run(run_id: str) -> dict[str, Any]:
    """Every parameter, metric and artifact of one run; a clear error for an unknown id."""
    client = _mlflow.client()
    try:
        run = client.get_run(run_id)
    except Exception:
        raise LydianError(f"no tracked run {run_id!r} in {tracking_uri()}; 'lydian runs list' shows the ids") from None
    artifacts = [f.path for f in client.list_artifacts(run_id, "tables")]
    return {**_summary(run, None), "params": dict(run.data.params), "artifacts": artifacts,
            "artifact_uri": run.info.artifact_uri}


def load_table(run_id: str, name: str) -> pd.DataFrame:
    """A table logged with `Run.table`, read back from its parquet artifact."""
    client = _mlflow.client()
    with tempfile.TemporaryDirectory(prefix="lydian-track-") as folder:
        try:
            path = client.download_artifacts(run_id, f"tables/{name}.parquet", folder)
        except Exception:
            raise LydianError(f"run {run_id} has no table {name!r}") from None
        return pd.read_parquet(path)
