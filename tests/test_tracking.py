"""Tracking: runs reach MLflow (a SQLite store in a temporary LYDIAN_HOME), long series come back
from parquet, nets' curves reach TensorBoard, and a broken store never breaks the work it records."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from core.backtest.leaderboard import leaderboard
from core.cli import main
from core.models.config import NetConfig
from core.models.trainer import train_module
from core.tracking import list_runs, load_table, show_run, tensorboard_root, tracked_run
from tests.synthetic import ar1_candles

TINY_BOOSTER = {"lightgbm": {"n_estimators": 20}}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite store for the module: creating MLflow's schema costs seconds, so it is done once."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture(autouse=True)
def _tracking_on(monkeypatch: pytest.MonkeyPatch, store: str) -> None:
    """The suite runs with tracking off (conftest); these tests turn it on, in a temporary store."""
    monkeypatch.setenv("LYDIAN_TRACKING", "on")
    monkeypatch.setenv("LYDIAN_MLFLOW_URI", store)


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_an_empty_store_says_so(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LYDIAN_MLFLOW_URI")  # the default store in this test's empty LYDIAN_HOME
    assert main(["runs", "list"]) == 0
    assert "no runs tracked yet" in capsys.readouterr().out
    assert _cli_json(capsys, "runs", "list", "--json")["runs"] == []


def test_runs_are_listed_newest_first_by_kind_with_their_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    with tracked_run("train", "first", {"models": ["lightgbm"], "seed": 0}) as first:
        first.metrics({"lightgbm.valid_accuracy": 0.55, "skipped": float("nan"), "also_skipped": None})
    with tracked_run("backtest", "second", {"horizon": 1}) as second:
        second.metrics({"lightgbm.edge": 0.01})
    runs = _cli_json(capsys, "runs", "list", "--limit", "2", "--json")["runs"]
    assert [r["id"] for r in runs] == [second.id, first.id]
    assert runs[1] | {"start": None, "end": None} == {
        "id": first.id, "kind": "train", "name": "first", "start": None, "end": None, "status": "FINISHED",
        "parent": None, "metrics": {"lightgbm.valid_accuracy": 0.55}}
    only = _cli_json(capsys, "runs", "list", "--kind", "backtest", "--json")["runs"]
    assert second.id in {r["id"] for r in only} and all(r["kind"] == "backtest" for r in only)
    assert show_run(first.id)["params"] == {"models": '["lightgbm"]', "seed": "0"}
    assert main(["runs", "show", "no-such-run"]) == 2
    assert "no tracked run" in capsys.readouterr().err


def test_a_failing_block_marks_its_run_failed_and_still_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        with tracked_run("tune", "boom") as run:
            1 / 0
    assert show_run(run.id)["status"] == "FAILED"


def test_a_table_round_trips_through_its_parquet_artifact() -> None:
    frame = pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=500, freq="h", tz="UTC"),
                          "p_up": np.linspace(0, 1, 500), "model": ["lightgbm"] * 500})
    with tracked_run("backtest", "table") as run:
        run.table("predictions", frame)
    assert show_run(run.id)["artifacts"] == ["tables/predictions.parquet"]
    pd.testing.assert_frame_equal(load_table(run.id, "predictions"), frame)
    assert show_run(run.id)["artifact_uri"].startswith("file:///") and not (Path.cwd() / "mlruns").exists()


def test_a_leaderboard_is_recorded_with_every_prediction() -> None:
    board = leaderboard(["lightgbm"], ar1_candles(1_200, phi=-0.2, seed=3), 1, cache=False, refit_every=10_000,
                        overrides=TINY_BOOSTER)
    run = list_runs("backtest", 1)[0]
    assert run["name"] == "candles 1h h1"
    recorded = show_run(run["id"])
    assert recorded["metrics"]["lightgbm.accuracy"] == pytest.approx(board.table().loc["lightgbm", "accuracy"])
    assert json.loads(recorded["params"]["models"]) == ["lightgbm"]
    pd.testing.assert_frame_equal(load_table(run["id"], "predictions"), board.predictions())


def test_a_broken_store_does_not_break_the_backtest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    monkeypatch.setenv("LYDIAN_MLFLOW_URI", f"sqlite:///{blocker / 'mlflow.db'}")
    with caplog.at_level(logging.WARNING, logger="lydian.tracking"):
        board = leaderboard(["lightgbm"], ar1_candles(1_200, phi=-0.2, seed=3), 1, cache=False, refit_every=10_000,
                            overrides=TINY_BOOSTER)
    assert board.table().loc["lightgbm", "n"] > 100
    assert "going on untracked" in caplog.text


class _Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x[:, -1])


def _fit(epochs: int) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 2)).astype(np.float32), np.c_[rng.integers(0, 2, 200), rng.normal(size=200)]
    cfg = NetConfig(lookback=4, max_epochs=epochs, patience=epochs, batch_size=32)
    train_module(_Tiny(), x[:150], y[:150], x[150:], y[150:], cfg, seed=0, device=torch.device("cpu"), name="tiny")


def test_training_curves_reach_tensorboard_only_inside_a_run_that_wants_them() -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _fit(2)  # no tracked run: no event file
    with tracked_run("backtest", "refits"):  # walk-forward refits: curves off
        _fit(2)
    assert not tensorboard_root().exists()
    with tracked_run("train", "BTC/USDT 1h") as run:
        _fit(3)
    [folder] = (tensorboard_root() / f"BTC_USDT_1h-{run.id[:8]}").iterdir()
    events = EventAccumulator(str(folder))
    events.Reload()
    losses = events.Scalars("train_loss")
    assert folder.name == "tiny" and [e.step for e in losses] == [1, 2, 3]
    assert all(np.isfinite(e.value) for e in losses) and len(events.Scalars("valid_loss")) == 3
