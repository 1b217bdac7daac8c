"""`lydian backtest`: one JSON document with every model and baseline, a predictions CSV, clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core import forecasters
from core.backtest.cache import ResultsCache
from core.backtest.leaderboard import stored_leaderboards
from core.cli import main

ARGS = ["backtest", "--symbol", "BTC", "--timeframe", "1h", "--start", "2024-06-01", "--models", "lightgbm",
        "--refit-every", "400"]
KEYS = ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "n", "log_loss", "brier", "auc", "sharpe", "max_drawdown",
        "edge", "p_value", "verdict")


def test_json_lists_models_and_baselines_and_writes_predictions(tmp_path, capsys) -> None:
    out = tmp_path / "predictions.csv"
    assert main([*ARGS, "--json", "--predictions-out", str(out)]) == 0
    board = json.loads(capsys.readouterr().out)
    assert list(board["models"])[0] == "lightgbm"
    assert set(board["models"]) == {"lightgbm", "majority", "persistence", "buy_and_hold"}
    for name, row in board["models"].items():
        missing = [k for k in KEYS if k not in row]
        assert not missing, f"{name} lacks {missing}"
        assert row["accuracy_ci_low"] < row["accuracy"] < row["accuracy_ci_high"]
    lgb = board["models"]["lightgbm"]
    assert lgb["verdict"] in ("edge", "no evidence of edge", "worse than baseline") and 0 <= lgb["p_value"] <= 1
    assert board["context"]["symbol"] == "BTC/USDT" and board["context"]["n_forecasts"] == lgb["n"]
    table = pd.read_csv(out)
    assert list(table.columns) == ["timestamp", "model", "p_up", "realised_return", "realised_direction"]
    assert len(table) == 4 * lgb["n"] and set(table["model"]) == set(board["models"])
    assert table["p_up"].between(0, 1).all()
    # the board is in the results cache, where the dashboard and the API read it
    stored = stored_leaderboards()
    assert stored and list(stored[0]["models"]) == list(board["models"])


def test_test_start_as_a_utc_date_is_the_first_bar_at_or_after_it(capsys) -> None:
    assert main([*ARGS, "--test-start", "2024-08-01T10:30", "--json"]) == 0
    context = json.loads(capsys.readouterr().out)["context"]
    assert pd.Timestamp(context["test_first"]) == pd.Timestamp("2024-08-01 11:00", tz="UTC")
    assert main([*ARGS, "--test-start", "2024-08-01", "--json"]) == 0
    assert pd.Timestamp(json.loads(capsys.readouterr().out)["context"]["test_first"]) == pd.Timestamp("2024-08-01", tz="UTC")


def test_text_table_and_cached_rerun(capsys) -> None:
    assert main(ARGS) == 0
    first = capsys.readouterr()
    assert "lightgbm" in first.out and "coin flip (95% band)" in first.out and "best baseline" in first.out
    assert main([*ARGS, "--json"]) == 0
    rerun = json.loads(capsys.readouterr().out)
    assert rerun["models"]["lightgbm"]["cached"] is True


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--horizon", "0"], "--horizon must be at least 1"),
        (["--models", "nope"], "unknown model 'nope'"),
        (["--fee", "0.5"], "fractions per side"),
        (["--predictions-out", "x.txt"], "use a .parquet or .csv file name"),
        (["--predictions-out", "/no/such/dir/x.csv"], "does not exist"),
        (["--test-start", "abc"], "is not a fraction"),
        (["--test-start", "01/09/2024"], "or a UTC date or time such as 2024-09-01"),  # ISO 8601 only, no guessing
        (["--test-start", "2024-08-01T12:00+02:00"], "give the time in UTC"),
        (["--test-start", "1.5"], "is not a fraction between 0 and 1 or a whole row number"),
        (["--test-start", "2024-05-01"], "is at or before the first labelled bar (2024-06-0"),
        (["--test-start", "2030-01-01"], "is after the last labelled bar (2024-08-"),
        (["--window", "rolling"], "train_size"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(extra: list[str], message: str, capsys) -> None:
    code = None
    try:
        code = main([*ARGS, *extra])
    except SystemExit as stop:
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert "Traceback" not in err


def test_the_old_always_up_id_still_reads_as_majority(tmp_path) -> None:
    """Renamed because it predicts the training window's majority direction, down included; kept readable one release."""
    assert forecasters.resolve_ids("lightgbm,always_up") == ["lightgbm", "majority"]  # --models, the API's model lists
    assert forecasters.create("always_up").model_id == "majority"
    assert "always_up" not in forecasters.registry()
    cache = ResultsCache(tmp_path)
    old = {"models": {"lightgbm": {"model": "lightgbm", "kind": "model", "baseline": "always_up"},
                      "always_up": {"model": "always_up", "kind": "baseline"}},
           "context": {"best_baseline": "always_up"}}
    cache.put("leaderboard", "stored-before-the-rename", old)
    board = stored_leaderboards(cache)[0]
    assert list(board["models"]) == ["lightgbm", "majority"]
    assert board["models"]["majority"]["model"] == "majority" and board["models"]["lightgbm"]["baseline"] == "majority"
    assert board["context"]["best_baseline"] == "majority"
