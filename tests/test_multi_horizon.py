"""Multi-horizon nets (capability ``multi_horizon``): targets, purging, out-of-sample scores, the faces.

Known answers: compounded targets of a constant return; the last rows of a window have no long-horizon
target and weigh nothing in the loss; a walk-forward's forecasts at bar t (every horizon) do not move
when the candles after t change; a k-bar horizon is scored only on bars whose outcome is known; the
CLI's JSON adds ``horizons`` named in wall-clock words only for models with the tag.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from core.backtest.horizons import horizon_scores
from core.backtest.walkforward import walk_forward
from core.cli import main
from core.models import capabilities as cap
from core.models import registry
from core.models.nets._outputs import compounded, extra_loss, horizon_targets
from tests.synthetic import ar1_candles

TINY = {"hidden": 16, "lookback": 12, "max_epochs": 1}


def test_targets_compound_later_rows_of_the_window_and_stop_at_its_end() -> None:
    returns = np.full(30, 0.01)
    assert np.allclose(compounded(returns, 4, 1)[:27], 1.01**4 - 1) and np.isnan(compounded(returns, 4, 1)[27:]).all()
    strided = compounded(returns, 4, 2)  # horizon of 2 bars: rows t, t+2, t+4, t+6
    assert np.isfinite(strided[:24]).all() and np.isnan(strided[24:]).all()
    targets = horizon_targets(np.r_[np.full(10, -0.01), np.full(10, 0.02)], (1, 4), 1)
    assert targets.shape == (20, 2)
    assert targets[0, 0] == 0.0 and targets[9, 0] == 1.0 and np.isnan(targets[17:]).all()  # 3 rows purged


def test_unknown_long_horizon_targets_weigh_nothing() -> None:
    loss = extra_loss((1, 4), (), return_weight=0.5)
    outputs = torch.zeros(4, 4, requires_grad=True)
    targets = torch.tensor([[1.0, 0.5, 1.0, 0.3]] * 2 + [[1.0, 0.5, float("nan"), float("nan")]] * 2)
    value = loss(outputs, targets)
    value.backward()
    assert torch.isfinite(value) and outputs.grad[2:].abs().sum() == 0 and outputs.grad[:2, 2:].abs().sum() > 0


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return ar1_candles(900, 0.3, seed=11)


def test_walk_forward_forecasts_of_every_horizon_ignore_later_candles(candles: pd.DataFrame) -> None:
    settings = {"start": 500, "refit_every": 100, "cache": False, "overrides": TINY, "timeframe": "1h"}
    result = walk_forward("lstm_encoder_decoder", candles, 1, **settings)
    cut = result.predictions.index[150]
    altered = candles.copy()
    altered.loc[altered.index > cut, ["open", "high", "low", "close"]] *= 1.5  # a crash stamped after the cut
    again = walk_forward("lstm_encoder_decoder", altered, 1, **settings)
    columns = ["p_up_1", "expected_return_1", "p_up_4", "expected_return_4", "p_up_24", "expected_return_24"]
    before = result.predictions.loc[:cut, columns]
    pd.testing.assert_frame_equal(again.predictions.loc[:cut, columns], before)
    assert np.allclose(before["p_up_1"], result.predictions.loc[:cut, "p_up"])
    scores = result.metrics["horizons"]
    assert list(scores) == ["1h", "4h", "1d"]
    n = len(result.predictions)
    assert scores["1h"]["n"] == n and scores["1d"]["n"] == n - 23  # the last 23 outcomes are not known yet
    assert scores["1d"]["n_effective"] == (n - 23) // 24
    assert scores["1d"]["accuracy_ci_low"] <= scores["1d"]["accuracy"] <= scores["1d"]["accuracy_ci_high"]


def test_horizon_scores_know_the_answer_of_a_perfect_forecaster() -> None:
    close = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 400))),
                      index=pd.date_range("2024-01-01", periods=400, freq="h", tz="UTC"))
    future = close.shift(-4) / close - 1
    shown = future.index[:300]
    table = pd.DataFrame({"p_up_4": (future.loc[shown] > 0).astype(float), "expected_return_4": future.loc[shown]})
    scores = horizon_scores(table, close, "1h")["4h"]
    assert scores["accuracy"] == 1.0 and scores["n"] == 300 and scores["mase"] == 0.0
    assert scores["best_constant_accuracy"] < 0.7


def test_cli_json_adds_horizons_only_for_multi_horizon_models(capsys: pytest.CaptureFixture) -> None:
    assert cap.MULTI_HORIZON in registry.spec("lstm_seq2seq").tags
    assert cap.MULTI_HORIZON not in registry.spec("dlinear").tags
    argv = ["--symbol", "ETH", "--timeframe", "4h", "--start", "2024-03-01"]
    assert main(["train", *argv, "--models", "lstm_seq2seq,dlinear", "--epochs", "1", "--json"]) == 0
    capsys.readouterr()
    assert main(["predict", *argv, "--model", "lstm_seq2seq", "--json"]) == 0
    forecast = json.loads(capsys.readouterr().out)
    assert list(forecast["horizons"]) == ["4h", "16h", "4d"]  # 1, 4 and 24 bars of 4h
    assert [h["bars"] for h in forecast["horizons"].values()] == [1, 4, 24]
    assert forecast["horizons"]["4h"]["p_up"] == pytest.approx(forecast["p_up"], abs=1e-9)
    assert main(["predict", *argv, "--model", "lstm_seq2seq"]) == 0
    assert "over 4d   (24 bars): P(up)" in capsys.readouterr().out
    assert main(["predict", *argv, "--model", "dlinear", "--json"]) == 0
    assert "horizons" not in json.loads(capsys.readouterr().out)


def test_api_single_prediction_adds_horizons_and_quantile_intervals(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from core.api.app import create_app
    from core.api.settings import ApiSettings
    from core.data import load_candles
    from core.models.store import Key, ModelStore
    from core.models.training import train_models

    candles = load_candles("BTC/USDT", "1h", start="2024-07-01")
    tiny = {**TINY, "heads": 2}
    train_models(candles, Key("BTC/USDT", "1h", 1), ["lstm_encoder_decoder", "transformer_tft"], source="bundled",
                 store=ModelStore(tmp_path / "artifacts"), overrides={"lstm_encoder_decoder": TINY, "transformer_tft": tiny})
    monkeypatch.setenv("LYDIAN_ARTIFACTS", str(tmp_path / "artifacts"))
    settings = ApiSettings(database_url=f"sqlite:///{tmp_path / 'api.db'}", jwt_secret="x" * 40, rate_limit=0)
    with TestClient(create_app(settings)) as client:
        multi = client.post("/predict/single", json={"symbol": "BTC", "model": "lstm_encoder_decoder"}).json()
        tft = client.post("/predict/single", json={"symbol": "BTC", "model": "transformer_tft"}).json()
    assert list(multi["horizons"]) == ["1h", "4h", "1d"] and multi["intervals"] is None
    assert multi["horizons"]["1h"]["p_up"] == pytest.approx(multi["p_up"], abs=1e-9)
    assert tft["horizons"] is None
    i = tft["intervals"]
    assert i["lo_95"] <= i["lo_80"] < i["hi_80"] <= i["hi_95"]
