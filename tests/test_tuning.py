"""Tuning nested in the walk-forward: known answers, and proof that no trial reads a test bar.

The planted market: the next bar repeats the last bar's direction in the morning (UTC hour < 12) and
reverses it in the afternoon, 85 % of the time. That is an interaction of two features (return_1 and
hour), which trees of one split (num_leaves=2, an additive model) cannot learn and trees of 16 leaves
can: grid search must pick 16 in every fold.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.backtest.walkforward import Settings, prepare_market
from core.cli import main
from core.tuning import TuningError, default_search, space_for
from core.tuning.inner import inner_fold, trial_scores
from core.tuning.search import Trial
from core.tuning.spaces import grid_points
from core.tuning.walk import _deflated, choose



def planted_candles(n: int = 1400, seed: int = 0, sigma: float = 0.01) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=n, freq="h", tz="UTC", name="timestamp")
    size = np.abs(rng.normal(0.0, sigma, n))
    returns = np.empty(n)
    returns[0] = size[0]
    for t in range(1, n):
        side = np.sign(returns[t - 1]) * (1 if index[t - 1].hour < 12 else -1)
        returns[t] = (side if rng.random() < 0.85 else -side) * size[t]
    close = 100.0 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.normal(0.0, sigma / 2, (2, n)))
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * (1 + wick[0]),
                         "low": np.minimum(open_, close) * (1 - wick[1]), "close": close,
                         "volume": rng.lognormal(3.0, 0.5, n)}, index=index)


# ---- without Ray: the inner split, the trial's rows, the choice and the deflation

def test_inner_split_is_purged_and_stays_inside_the_outer_fit_window() -> None:
    market = prepare_market(planted_candles(1000), 3, "1h")
    for outer in Settings(horizon=3, refit_every=200).folds(market.index):
        inner = inner_fold(outer, 3)
        assert inner.train.start == outer.train.start and inner.test.stop == outer.valid.stop
        assert inner.valid.stop - 1 + 3 <= inner.test.start  # early-stopping labels end before the scored rows
        assert inner.test.stop - 1 + 3 <= outer.test.start  # the scored labels are known at the first test bar


def test_a_trial_reads_no_test_bar_poisoned_test_rows_change_nothing() -> None:
    market = prepare_market(planted_candles(1000), 1, "1h")
    settings = Settings(refit_every=250)
    folds = settings.folds(market.index)
    params = {"num_leaves": 4, "n_estimators": 30}
    clean = list(trial_scores("lightgbm", params, market, folds, settings))
    for fold, score in zip(folds, clean):
        assert score.last_row + settings.horizon <= fold.test.start
    # poison every row from the first test bar on (features huge, labels flipped): the trial must not move
    first = folds[0].test.start
    features, targets = market.dataset.features.copy(), market.dataset.targets.copy()
    features.iloc[first:] = 1e12
    targets.iloc[first:, targets.columns.get_loc("direction")] = 1 - targets["direction"].iloc[first:]
    poisoned = replace(market, dataset=replace(market.dataset, features=features, targets=targets))
    assert list(trial_scores("lightgbm", params, poisoned, folds[:1], settings)) == clean[:1]


def test_each_fold_uses_the_best_configuration_among_trials_that_reached_it() -> None:
    def trial(number: int, losses: list[float]) -> Trial:
        return Trial(number, {"k": number}, [{"loss": loss} for loss in losses])

    trials = [trial(1, [0.60, 0.70, 0.69]), trial(2, [0.65, 0.60]), trial(3, [0.60])]  # 3 stopped after fold 1
    assert choose(trials, 3) == [{"k": 1}, {"k": 2}, {"k": 1}]  # fold 1: tie -> first trial
    with pytest.raises(TuningError, match="no trial reached outer fold 4"):
        choose(trials, 4)


def test_the_trial_count_deflates_the_reported_sharpe() -> None:
    rng = np.random.default_rng(1)
    candles = planted_candles(600)
    index = candles.index[100:500]
    predictions = pd.DataFrame({"p_up": np.where(rng.random(len(index)) < 0.9, 0.6, 0.4)}, index=index)
    ratios = rng.normal(0.0, 0.03, 50)
    few = [Trial(i, {}, [{"sharpe": r}]) for i, r in enumerate(ratios[:2])]
    many = [Trial(i, {}, [{"sharpe": r}]) for i, r in enumerate(ratios)]
    settings = Settings()
    one = _deflated(predictions, candles, settings, "1h", few)
    fifty = _deflated(predictions, candles, settings, "1h", many)
    assert (one["trials"], fifty["trials"]) == (2, 50)
    assert one["sharpe"] == fifty["sharpe"] and fifty["deflated_sharpe"] < one["deflated_sharpe"] <= one["psr"]


def test_spaces_follow_the_registry_and_the_capability_tags() -> None:
    assert {p.name for p in space_for("lightgbm")} >= {"num_leaves", "learning_rate"}
    assert "max_depth" in {p.name for p in space_for("xgboost")}
    assert default_search("lightgbm") == "grid" and default_search("gru_standard") == "random"
    with pytest.raises(TuningError, match="no search space"):
        space_for("majority")
    space = space_for("lightgbm")
    assert len(grid_points(space, 10_000, 0)) == math.prod(len(p.grid) for p in space)
    assert grid_points(space, 7, 3) == grid_points(space, 7, 3) and len(grid_points(space, 7, 3)) == 7


# ---- on a local Ray, through the CLI: one test, so that under xdist only one worker starts a Ray

def _tune_json(candles: pd.DataFrame, path, capsys) -> dict:
    candles.to_csv(path)
    assert main(["tune", "--file", str(path), "--model", "lightgbm", "--space", "num_leaves=2,16",
                 "--space", "n_estimators=40", "--trials", "2", "--refit-every", "330", "--no-cache", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_nested_tune_on_ray_finds_the_planted_best_and_never_reads_test_bars(tmp_path, capsys) -> None:
    pytest.importorskip("ray", reason="Ray (pip extra 'scale') is not installed")
    from core.distributed.runtime import init_ray, shutdown_ray

    with pytest.MonkeyPatch.context() as patch:  # a private local Ray, even if another one runs on this machine
        patch.setenv("RAY_ADDRESS", "local")
        init_ray(num_cpus=1)
    try:
        candles = planted_candles()
        with pytest.MonkeyPatch.context() as patch:  # this one tune is tracked (the suite runs with tracking off)
            patch.setenv("LYDIAN_TRACKING", "on")
            patch.setenv("LYDIAN_MLFLOW_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
            clean = _tune_json(candles, tmp_path / "clean.csv", capsys)
            from core.tracking import list_runs, load_table, show_run

            run = list_runs("tune", 5)
            assert len(run) == 1 and run[0]["name"].startswith("lightgbm ")
            recorded = show_run(run[0]["id"])
            assert recorded["metrics"]["deflated.trials"] == 2 and recorded["params"]["search"] == "grid"
            assert len(load_table(run[0]["id"], "trials")) == 2

        # the CLI contract, and grid search finding the planted best in every fold, every trial charged to the DSR
        assert clean["trials"] == 2 and clean["search"] == "grid" and len(clean["trial_table"]) == 2
        assert {"best_config", "tuned_result", "untuned_result", "baselines", "deflated"} <= set(clean)
        planted = {"num_leaves": 16, "n_estimators": 40}
        assert [c["config"] for c in clean["chosen"]] == [planted] * clean["folds"] and clean["best_config"] == planted
        assert clean["deflated"]["trials"] == 2
        assert clean["tuned_result"]["accuracy"] > 0.7  # the interaction is learnt out of sample
        assert {"majority", "persistence", "buy_and_hold"} <= set(clean["baselines"])

        # what each trial read in each fold ends before that fold's first test bar...
        for trial in clean["trial_table"]:
            for read, fold in zip(trial["read_until"], clean["chosen"]):
                assert pd.Timestamp(read) < pd.Timestamp(fold["first"])
        # ...and altering every bar after the last fold's first test bar changes no trial and no choice
        last = pd.Timestamp(clean["chosen"][-1]["first"])
        altered = candles.copy()
        later = altered.index > last
        altered.loc[later, ["open", "high", "low", "close"]] *= np.linspace(1.0, 3.0, later.sum())[:, None]
        changed = _tune_json(altered, tmp_path / "altered.csv", capsys)
        assert changed["trial_table"] == clean["trial_table"] and changed["chosen"] == clean["chosen"]
        assert changed["tuned_result"] != clean["tuned_result"]  # the altered bars were forecast, after the choice

        # bad arguments: exit 2, one line
        args = ["tune", "--file", str(tmp_path / "clean.csv"), "--model", "lightgbm"]
        assert main([*args, "--trials", "0"]) == 2 and "--trials must be at least 1" in capsys.readouterr().err
        assert main([*args, "--model", "majority"]) == 2 and "nothing to tune" in capsys.readouterr().err
        assert main([*args, "--space", "leaves"]) == 2 and "NAME=V1,V2" in capsys.readouterr().err
        assert main([*args, "--space", "depth_of_ocean=1,2"]) == 2 and "cannot tune" in capsys.readouterr().err
    finally:
        shutdown_ray()


def test_train_page_tune_tab_defaults_the_search_by_model_kind() -> None:
    from tests.pages import open_page

    at = open_page("views/Train.py", timeout=120)
    assert not at.exception, at.exception
    models = at.selectbox(key="tune_model")
    assert "lightgbm" in models.options and "majority" not in models.options  # only models with a search space
    models.set_value("lightgbm").run()
    assert at.selectbox(key="tune_search_lightgbm").value == "grid"
    at.selectbox(key="tune_model").set_value("gru_standard").run()
    assert at.selectbox(key="tune_search_gru_standard").value == "random"
    assert at.button(key="tune_run").label == "Tune"
