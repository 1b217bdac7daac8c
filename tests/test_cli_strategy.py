"""`lydian strategy backtest` and `lydian portfolio backtest`: the JSON contract and a positions CSV anyone can recompute."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from tests.synthetic import ar1_candles

KEYS = ("policy", "model", "sharpe", "sharpe_ci_low", "sharpe_ci_high", "deflated_sharpe", "trials", "total_return",
        "max_drawdown", "turnover", "fees_paid", "breakeven_fee", "n_trades", "baselines")
STAT_KEYS = tuple(k for k in KEYS if k not in ("policy", "model", "baselines"))


@pytest.fixture(scope="module")
def candle_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("candles") / "ar1.csv"
    ar1_candles(3000, 0.2, seed=7).reset_index().to_csv(path, index=False)
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as stop:
        code = stop.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract_and_positions_csv_recompute_exactly(candle_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "positions.csv"
    code, stdout, _ = _run(["strategy", "backtest", "--file", str(candle_file), "--timeframe", "1h", "--model",
                            "persistence", "--policy", "threshold", "--fee", "0.002", "--bootstrap", "200",
                            "--json", "--positions-out", str(out)], capsys)
    assert code == 0
    report = json.loads(stdout)
    assert not [k for k in KEYS if k not in report]
    assert report["policy"] == "threshold" and report["model"] == "persistence" and report["trials"] > 1
    assert 0 <= report["deflated_sharpe"] <= 1 and report["sharpe_ci_low"] <= report["sharpe"] <= report["sharpe_ci_high"]
    for name in ("buy_and_hold", "random"):
        assert not [k for k in STAT_KEYS if k not in report["baselines"][name]], name

    table = pd.read_csv(out, float_precision="round_trip")  # the CSV holds every digit
    assert list(table.columns) == ["timestamp", "position", "asset_return", "cost", "net_return"]
    assert len(table) == report["n"] and table["position"].between(-1, 1).all()
    position, asset = table["position"].to_numpy(), table["asset_return"].to_numpy()
    cost = 0.002 * np.abs(np.diff(position, prepend=0.0))
    assert np.array_equal(table["cost"].to_numpy(), cost)
    assert np.array_equal(table["net_return"].to_numpy(), position * asset - cost)
    candles = pd.read_csv(candle_file, index_col="timestamp", float_precision="round_trip")
    rows = candles.index.get_indexer(table["timestamp"])
    opens = candles["open"].to_numpy()
    np.testing.assert_allclose(asset, opens[rows + 2] / opens[rows + 1] - 1, rtol=0, atol=1e-15)  # a price ulp or two
    net = table["net_return"].to_numpy()
    assert report["sharpe"] == pytest.approx(net.mean() / net.std(ddof=1) * math.sqrt(24 * 365), rel=1e-9)
    assert report["fees_paid"] == pytest.approx(cost.sum()) and report["turnover"] == pytest.approx(np.abs(np.diff(position, prepend=0.0)).sum())
    assert report["total_return"] == pytest.approx(np.prod(1 + net) - 1)


def test_text_table_shows_the_policy_beside_its_baselines(candle_file: Path, capsys) -> None:
    code, stdout, _ = _run(["strategy", "backtest", "--file", str(candle_file), "--model", "persistence",
                            "--policy", "signal", "--bootstrap", "100"], capsys)
    assert code == 0
    assert all(word in stdout for word in ("signal", "buy_and_hold", "random", "break-even fee", "deflated Sharpe"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--policy", "nope"], "invalid choice"),
        (["--fee", "0.5"], "fractions per side"),
        (["--latency", "-1"], "--latency"),
        (["--positions-out", "x.txt"], "use a .parquet or .csv file name"),
        (["--horizon", "0"], "--horizon must be at least 1"),
    ],
)
def test_bad_strategy_arguments_exit_2_with_one_line(candle_file: Path, extra: list[str], message: str, capsys) -> None:
    code, _, err = _run(["strategy", "backtest", "--file", str(candle_file), "--model", "persistence", *extra], capsys)
    assert code == 2 and message in err, err
    assert "Traceback" not in err


def test_portfolio_json_has_the_statistics_per_method(capsys) -> None:
    args = ["portfolio", "backtest", "--symbols", "BTC,ETH,SOL", "--timeframe", "1h", "--start", "2024-06-01",
            "--lookback", "168", "--bootstrap", "100", "--json"]
    reports = {}
    for method in ("equal", "min_variance"):
        code, stdout, _ = _run([*args, "--method", method], capsys)
        assert code == 0
        reports[method] = json.loads(stdout)
    for method, report in reports.items():
        assert report["method"] == method and report["symbols"] == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
        assert not [k for k in STAT_KEYS if k not in report]
        assert "buy_and_hold" in report["baselines"]
    assert reports["min_variance"]["baselines"]["equal"]["sharpe"] == pytest.approx(reports["equal"]["sharpe"])
    code, _, err = _run([*args[:-1], "--symbols", "BTC", "--method", "equal"], capsys)
    assert code == 2 and "at least two markets" in err
