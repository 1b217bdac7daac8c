"""Standing aside in anomalous bars, judged after costs by the policy layer; no view is flat, never a short."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.policy.policies import Bars, always, vol_target
from tests.test_regimes import candles_from


def spikes_that_revert(n: int = 1400, seed: int = 11) -> pd.DataFrame:
    """A 0.5%-per-bar random walk where 1% of bars jump 8% and the next bar takes the jump back.

    Persistence (next bar = this bar's direction) is wrong by 8% after every jump: standing aside on the
    jump bars avoids exactly those losses, so the filtered strategy must do better after costs.
    """
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0, 0.005, n)
    jumps = rng.choice(np.arange(100, n - 1, 3), size=n // 100, replace=False)
    returns[jumps] = rng.choice([-0.08, 0.08], size=len(jumps))
    returns[jumps + 1] = -returns[jumps]
    sigma = np.full(n, 0.005)
    sigma[jumps] = sigma[jumps + 1] = 0.08
    return candles_from(returns, sigma, seed)


def test_no_view_is_flat_for_the_always_in_policies() -> None:
    p = np.array([0.6, 0.5, 0.4, 0.5])
    ones = np.ones(4)
    bars = Bars(p, np.arange(4), ones, ones, ones, ones * 0.001, horizon=1, periods=8760.0)
    assert always(bars).tolist() == [1, 0, -1, 0]  # P(up) 0.5 was a short before: a stood-aside bar must be flat
    assert (vol_target(bars, 0.5) == 0).tolist() == [False, True, False, True]


def test_standing_aside_in_planted_jumps_beats_trading_through_them_after_costs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "jumps.csv"
    spikes_that_revert().reset_index().to_csv(source, index=False)
    assert main(["anomalies", "--file", str(source), "--timeframe", "1h", "--method", "isolation_forest",
                 "--refit-every", "300", "--policy-model", "persistence", "--fee", "0.0005", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["stand_aside"]
    without, with_ = report["without"], report["with"]
    assert report["policy"] == "always"
    assert without["n"] == with_["n"] >= report["n_forecasts"] - 1  # the last forecast has no next open
    assert 3 <= report["bars_stood_aside"] <= 0.05 * report["n_forecasts"]
    assert without["flat_bars"] == 0 and with_["flat_bars"] == report["bars_stood_aside"]  # flat exactly there
    assert with_["turnover"] > 0 and with_["fees_paid"] > 0  # costs charged on both sides
    assert with_["sharpe"] > without["sharpe"] + 1 and report["return_change"] > 0.1
    assert with_["sharpe_ci_low"] < with_["sharpe"] < with_["sharpe_ci_high"]
    assert main(["anomalies", "--file", str(source), "--timeframe", "1h", "--method", "kmeans",
                 "--policy-model", "persistence", "--json"]) != 0
    assert "anomaly detector" in capsys.readouterr().err


def test_cli_backtest_breaks_the_leaderboard_down_by_causal_regime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_regimes import planted_regimes

    candles, truth = planted_regimes(1200, seed=9)
    source = tmp_path / "bars.csv"
    candles.reset_index().to_csv(source, index=False)
    assert main(["backtest", "--file", str(source), "--timeframe", "1h", "--models", "persistence,majority",
                 "--refit-every", "300", "--by-regime", "kmeans", "--no-cache", "--json"]) == 0
    board = json.loads(capsys.readouterr().out)
    rows = pd.DataFrame(board["by_regime"]["rows"])
    assert board["by_regime"]["detector"] == "kmeans" and set(rows["model"]) == {"persistence", "majority"}
    assert set(rows["regime"]) == {0, 1} and (rows["accuracy_ci_low"] <= rows["accuracy"]).all()
    first = pd.Timestamp(board["context"]["test_first"])
    assert rows.groupby("model")["n"].sum().eq(len(truth.loc[first:]) - 1).all()  # every forecast has its label
    assert main(["backtest", "--file", str(source), "--models", "persistence", "--by-regime", "nope"]) != 0
    assert "kmeans" in capsys.readouterr().err


def test_api_serves_the_board_by_regime_and_the_stand_aside_comparison(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from core.api.app import create_app
    from core.api.settings import ApiSettings

    settings = ApiSettings(database_url=f"sqlite:///{tmp_path / 'api.db'}", jwt_secret="x" * 40, rate_limit=0)
    with TestClient(create_app(settings)) as client:
        common = {"symbol": "BTC", "bars": 1000, "refit_every": 300}
        board = client.get("/api/ai/regimes/board", params={**common, "models": ["persistence", "majority"]})
        assert board.status_code == 200, board.text
        assert {r["model"] for r in board.json()["rows"]} == {"persistence", "majority"}
        aside = client.get("/api/ai/anomalies/stand-aside", params={**common, "model": "persistence"})
        assert aside.status_code == 200, aside.text
        body = aside.json()
        assert body["policy"] == "always" and body["with"]["flat_bars"] >= body["bars_stood_aside"] >= 0
        assert client.get("/api/ai/anomalies/stand-aside", params={**common, "policy": "nope"}).status_code == 422
