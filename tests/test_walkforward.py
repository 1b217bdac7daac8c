"""Walk-forward with known answers: nothing in a random walk, the optimum on AR(1), no leaks, a real cache.

AR(1) returns with |phi| = 0.2 allow at most 0.5 + arcsin(0.2)/pi = 56.4 % one-bar direction
accuracy. With phi = +0.2 last-move persistence *is* that optimal rule, so no model can beat the
best baseline there; with phi = -0.2 every baseline scores about 50 % and a model that learns the
mean reversion has a real, significant edge.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.backtest.cache import ResultsCache
from core.backtest.leaderboard import leaderboard
from core.backtest.walkforward import Settings, prepare_market, run_folds, walk_forward
from core.errors import DataError
from core.models import registry
from tests.synthetic import ar1_candles

OPTIMUM = 0.5 + math.asin(0.2) / math.pi
SMALL_NET = {"lookback": 16, "max_epochs": 3, "patience": 1}


def _small(model_id: str) -> dict[str, Any]:
    return SMALL_NET if registry.spec(model_id).sequence else {}


@pytest.mark.slow
def test_random_walk_every_model_near_half_and_no_edge_claimed() -> None:
    candles = ar1_candles(13_000, phi=0.0, seed=11)
    ids = registry.model_ids()
    nets = set(registry.forecaster_ids(having="sequence"))  # nothing to learn here: small nets suffice
    board = leaderboard(ids, candles, 1, cache=False, start=0.5, refit_every=10_000,
                        overrides={m: _small(m) | ({"hidden": 32} if m in nets else {}) for m in ids})
    models = [row for row in board.rows if row["kind"] == "model"]
    assert len(models) == len(ids) and models[0]["n"] > 6_000
    for row in models:
        assert abs(row["accuracy"] - 0.5) <= 0.02, f"{row['model']}: {row['accuracy']:.3f} on a random walk"
        assert row["verdict"] != "edge", f"{row['model']} claims an edge on a random walk (p={row['p_value']})"
    band = board.random_band
    assert band["accuracy_ci_low"] < 0.5 < band["accuracy_ci_high"]


@pytest.mark.slow
def test_planted_mean_reversion_is_found_and_called_an_edge() -> None:
    candles = ar1_candles(8_000, phi=-0.2, seed=3)
    board = leaderboard(["lightgbm", "xgboost", "gru_standard"], candles, 1, cache=False, refit_every=1_000,
                        overrides={"gru_standard": SMALL_NET})
    best = board.rows[0]
    assert best["kind"] == "model" and OPTIMUM - 0.025 < best["accuracy"] <= OPTIMUM + 0.02
    assert best["verdict"] == "edge" and best["p_value"] < 0.01
    assert all(row["accuracy"] < 0.52 for row in board.rows if row["kind"] == "baseline")


@pytest.mark.slow
def test_planted_momentum_is_matched_but_not_beaten_by_persistence() -> None:
    candles = ar1_candles(8_000, phi=0.2, seed=5)
    board = leaderboard(["lightgbm"], candles, 1, cache=False, refit_every=1_000)
    row = board.table().loc["lightgbm"]
    assert board.context["best_baseline"] == "persistence"
    assert OPTIMUM - 0.04 < row["accuracy"] <= OPTIMUM + 0.02  # 0.536-0.545 measured (1 or 2 booster threads)
    assert row["edge"] < 0.01 and row["verdict"] != "edge"  # nothing beats the optimal rule


def _altered_after(candles: pd.DataFrame, row: int) -> pd.DataFrame:
    """Every bar from ``row`` on moved to another price path (still valid OHLC)."""
    altered = candles.copy()
    factor = np.linspace(1.3, 0.6, len(candles) - row)
    altered.iloc[row:, :4] = altered.iloc[row:, :4].to_numpy() * factor[:, None]
    altered.iloc[row:, 4] *= 3.0
    return altered


@pytest.mark.parametrize("model_id", ["lightgbm", "cnn_tcn"])
def test_data_after_a_bar_never_changes_its_forecast(model_id: str) -> None:
    candles = ar1_candles(3_000, phi=-0.1, seed=1)
    cut = 2_500
    kwargs = dict(cache=False, start=1_500, refit_every=400, overrides=_small(model_id))
    full = walk_forward(model_id, candles, **kwargs).predictions
    altered = walk_forward(model_id, _altered_after(candles, cut), **kwargs).predictions
    removed = walk_forward(model_id, candles.iloc[:cut], **kwargs).predictions
    before = full.index[full.index < candles.index[cut - 1]]  # the last kept bar has no label once later bars go
    assert len(before) > 600
    for other in (altered, removed):
        pd.testing.assert_series_equal(full.loc[before, "p_up"], other.loc[before, "p_up"])
    assert not np.allclose(full["p_up"].iloc[-100:], altered["p_up"].iloc[-100:])  # the test can see a change


def test_refits_side_by_side_give_the_same_forecasts(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.models.boosters import LightGBMModel

    market = prepare_market(ar1_candles(3_000, phi=-0.2, seed=4), horizon=1)
    folds = Settings(refit_every=300).folds(market.index)
    runs = {}
    for workers in (1, 3):
        monkeypatch.setattr(LightGBMModel, "parallel_refits", lambda self, n=workers: n)
        events = []
        runs[workers] = run_folds(lambda: registry.create("lightgbm"), market, folds, progress=events.append)
        assert [e["fold"] for e in events] == list(range(1, len(folds) + 1))  # in order, from this thread
    assert len(folds) >= 5
    pd.testing.assert_frame_equal(runs[1], runs[3])


class _ShuffledTargets:
    """LightGBM trained on targets permuted within its training window: any edge must vanish."""

    def __init__(self, seed: int) -> None:
        self.model = registry.create("lightgbm")
        self.context_rows = 0
        self.rng = np.random.default_rng(seed)

    def fit(self, x_train, y_train, x_valid, y_valid, **kwargs):
        shuffled = y_train.iloc[self.rng.permutation(len(y_train))].set_axis(y_train.index)
        return self.model.fit(x_train, shuffled, x_valid, y_valid, **kwargs)

    def predict(self, features):
        return self.model.predict(features)


def test_shuffled_training_targets_destroy_the_edge() -> None:
    market = prepare_market(ar1_candles(6_000, phi=-0.2, seed=3), horizon=1)
    folds = Settings(refit_every=1_000).folds(market.index)
    seeds = iter(range(100))
    forecasts = run_folds(lambda: _ShuffledTargets(next(seeds)), market, folds)
    truth = market.dataset.targets.loc[forecasts.index, "direction"].to_numpy()
    accuracy = float(np.mean((forecasts["p_up"].to_numpy() > 0.5) == (truth > 0.5)))
    assert abs(accuracy - 0.5) < 0.025, f"{accuracy:.3f} after shuffling the targets"
    honest = run_folds(lambda: registry.create("lightgbm"), market, folds)
    honest_accuracy = float(np.mean((honest["p_up"].to_numpy() > 0.5) == (truth > 0.5)))
    assert honest_accuracy > accuracy + 0.03  # the same model on true targets does find the signal


def test_results_cache_hits_and_is_invalidated_by_any_input(tmp_path) -> None:
    candles = ar1_candles(2_500, phi=0.0, seed=2)
    cache = ResultsCache(tmp_path)
    kwargs = dict(cache=cache, refit_every=600, overrides={"n_estimators": 20})
    first = walk_forward("lightgbm", candles, **kwargs)
    again = walk_forward("lightgbm", candles, **kwargs)
    assert not first.info["cached"] and again.info["cached"]
    pd.testing.assert_frame_equal(first.predictions, again.predictions, check_freq=False)
    assert again.metrics["accuracy"] == first.metrics["accuracy"]
    nudged = candles.copy()
    nudged.iloc[100, 3] *= 1.0001  # one close price
    assert not walk_forward("lightgbm", nudged, **kwargs).info["cached"]
    assert not walk_forward("lightgbm", candles, **{**kwargs, "fee": 0.002}).info["cached"]
    assert not walk_forward("lightgbm", candles, **{**kwargs, "overrides": {"n_estimators": 21}}).info["cached"]
    assert walk_forward("lightgbm", candles, **kwargs).info["cached"]


def test_result_carries_out_of_sample_predictions_and_metrics() -> None:
    candles = ar1_candles(2_500, phi=0.0, seed=4)
    result = walk_forward("xgboost", candles, horizon=4, cache=False, refit_every=500, step=4)
    p = result.predictions
    assert list(p.columns) == ["p_up", "expected_return", "realised_return", "realised_direction", "hold_return"]
    assert p["p_up"].between(0, 1).all() and p.index.is_monotonic_increasing
    assert (np.diff(p.index.asi8) == 4 * 3_600_000_000_000).all()  # one forecast every 4th bar
    closes = candles["close"]
    expected = (closes.shift(-4) / closes - 1).loc[p.index]
    np.testing.assert_allclose(p["realised_return"], expected, rtol=1e-12)
    for key in ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "n", "log_loss", "brier", "auc", "rmse", "mae",
                "sharpe", "sortino", "max_drawdown", "edge", "p_value", "verdict", "baseline", "dm_p_value"):
        assert key in result.metrics, key
    assert set(result.metrics["signals"]) == {"BUY", "SELL", "HOLD"}
    assert result.metrics["long_flat"]["exposure"] <= 1.0
    assert result.equity().iloc[-1] == pytest.approx(1 + result.metrics["long_short"]["total_return"])


def test_bad_settings_are_clear_errors() -> None:
    candles = ar1_candles(600, phi=0.0)
    with pytest.raises(TypeError, match="unknown backtest setting"):
        walk_forward("lightgbm", candles, cache=False, refit=5)
    with pytest.raises(DataError, match="horizon"):
        walk_forward("lightgbm", candles, horizon=0, cache=False)
    with pytest.raises(DataError, match="only"):
        walk_forward("lightgbm", candles, cache=False, start=10_000)
