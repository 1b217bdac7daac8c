"""The lydian command: help everywhere, JSON that parses, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.cli import build_parser, main
from core import forecasters
from core.models import capabilities

LYDIAN = Path(sys.executable).with_name("lydian")


def _subcommand_paths(parser, prefix=()):
    """Every command path in the parser tree, e.g. ('data', 'info')."""
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _subcommand_paths(sub, (*prefix, name))


@pytest.mark.parametrize("path", [(), *_subcommand_paths(build_parser())], ids=lambda p: " ".join(p) or "lydian")
def test_every_command_has_help(path: tuple[str, ...], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*path, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: lydian") and len(out.splitlines()) > 3
    assert "%%" not in out  # argparse formats % in help= strings only, never in a description


def test_console_script_runs_from_the_venv() -> None:
    done = subprocess.run([str(LYDIAN), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "data" in done.stdout and "features" in done.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        (["data", "info", "--timeframe", "2h", "--symbol", "BTC"], "argument --timeframe: invalid choice: '2h'"),
        (["data", "info", "--symbol", "FOO"], "no bundled data for FOO/USDT"),
        (["data", "info"], "give exactly one of --symbol or --file"),
        (["data", "info", "--symbol", "BNB", "--timeframe", "1m"], "cannot be built: the finest stored data is 1h"),
        (["data", "info", "--file", "/no/such.csv"], "no such file"),
        (["features", "--symbol", "BTC"], "the following arguments are required: --out"),
        (["features", "--symbol", "BTC", "--out", "x.txt"], "use a .parquet or .csv file name"),
        (["data", "info", "--symbol", "BTC", "--source", "ccxt:nosuchexchange"], "nosuchexchange"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv: list[str], message: str) -> None:
    done = subprocess.run([str(LYDIAN), *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_data_list_json(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    btc_4h = next(r for r in rows if r["symbol"] == "BTC/USDT" and r["timeframe"] == "4h")
    assert btc_4h["source"] == "bundled" and btc_4h["built_from"] == "1h"
    assert btc_4h["start"].startswith("2017-08-17")
    assert {r["timeframe"] for r in rows if r["symbol"] == "BTC/USDT"} == {
        "1m", "3m", "5m", "15m", "30m", "1h", "4h", "1d", "1w",
    }


def test_data_list_table(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "BTC/USDT" in out and "built_from" in out


def test_data_info_json_reports_quality(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "info", "--symbol", "BTC/USDT", "--timeframe", "1h", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    quality = info["quality"]
    assert info["symbol"] == "BTC/USDT" and info["timeframe"] == "1h"
    assert quality["rows"] == 61_596
    assert quality["missing_bars"] == 128 and len(quality["gaps"]) == 28
    assert 0.99 < quality["coverage"] < 1.0


def test_data_info_text(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "info", "--symbol", "ETH", "--timeframe", "1d"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ETH/USDT 1d (bundled, built from 1h bars)")
    assert "coverage" in out


def test_features_writes_parquet(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "btc.parquet"
    argv = ["features", "--symbol", "BTC", "--timeframe", "1d", "--out", str(out), "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    table = pd.read_parquet(out)
    assert table.shape == (summary["rows"], summary["columns"])
    assert table.shape[1] >= 150
    assert not table.isna().any().any()
    assert summary["warmup_rows"] > 0


def test_features_from_a_file_with_resampling(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "eth.csv"
    candles = pd.read_parquet(Path("data/binance_ETH-USDT_1h.parquet")).iloc[:3000]
    candles.to_csv(source, index=False)
    out = tmp_path / "eth_4h.csv"
    assert main(["features", "--file", str(source), "--timeframe", "4h", "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col=0, parse_dates=True)
    assert (table.index.to_series().diff().dropna() == pd.Timedelta(hours=4)).mean() > 0.95
    assert "wrote" in capsys.readouterr().out


def test_data_info_on_a_bad_file_explains(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close\n2024-01-01,1,2,0.5,1.5\n")
    done = subprocess.run([str(LYDIAN), "data", "info", "--file", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "volume" in done.stderr and "Traceback" not in done.stderr


def test_models_list_shows_every_forecaster_with_sizes_and_tags(capsys: pytest.CaptureFixture) -> None:
    assert main(["models", "list", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(forecasters.registry())
    nets = [n for n in forecasters.forecaster_ids(having=capabilities.SEQUENCE)  # the feature-window nets
            if rows[n]["family"] != "linear" and forecasters.spec(n).module is not None]
    assert nets and all(100_000 <= rows[n]["parameters"] <= 600_000 for n in nets), nets
    assert all(0 < rows[n]["parameters"] < 10_000 for n in forecasters.resolve_ids("linear"))  # the linear references
    assert all(rows[b]["family"] == "baseline" and rows[b]["parameters"] is None
               for b in forecasters.forecaster_ids(having=capabilities.BASELINE))
    assert capabilities.COMBINER in rows["ensemble"]["tags"]


def test_train_then_predict_round_trip(capsys: pytest.CaptureFixture) -> None:
    argv = ["--symbol", "BTC", "--timeframe", "4h", "--start", "2023-06-01"]
    assert main(["train", *argv, "--models", "lightgbm,gru_standard", "--epochs", "1", "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["model_id"] for r in reports] == ["lightgbm", "gru_standard"]
    assert all(r["version"] == 1 and r["valid_n"] > 100 and 0.3 < r["valid_accuracy"] < 0.7 for r in reports)
    assert main(["predict", *argv, "--model", "gru_standard", "--json"]) == 0
    forecast = json.loads(capsys.readouterr().out)
    assert 0 <= forecast["p_up"] <= 1 and forecast["version"] == 1
    assert forecast["candle_time"].startswith("2024-08-31T20:00")
    assert main(["models", "versions", "--symbol", "BTC", "--timeframe", "4h", "--model", "lightgbm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["version"] == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--symbol", "BTC", "--models", "gpt5"], "unknown model 'gpt5'"),
        (["predict", "--symbol", "BTC", "--model", "xgboost"], "no trained xgboost for BTC/USDT 1h horizon 1"),
        (["predict", "--symbol", "BTC", "--model", "xgboost", "--version", "two"], "is not a version number"),
        (["train", "--symbol", "BTC", "--models", "xgboost", "--device", "tpu"], "unknown device 'tpu'"),
    ],
)
def test_model_commands_fail_cleanly(argv: list[str], message: str, tmp_path: Path) -> None:
    done = subprocess.run([str(LYDIAN), *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
