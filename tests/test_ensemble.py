"""The ensemble: weights that react to skill, out-of-fold stacking, calibration that helps, a sane signal."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.backtest.leaderboard import leaderboard
from core.cli import main
from core.data import load_candles
from core.ensemble import (
    Calibrator, Combiner, EnsembleConfig, EnsembleError, EnsembleModel, SignalSettings, ensemble_signal,
    ensemble_signals, expected_calibration_error, make_signal, reliability, time_horizon,
)
from core.ensemble import model as ensemble_model
from core.models.dataset import prepare
from core.models.store import Key, ModelStore
from core.models.training import train_models
from tests.synthetic import ar1_candles

NAMES = ["perfect", "useless", "decent"]


def _members(n: int = 4_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) > 0.5).astype(float)
    perfect = np.where(y > 0.5, 0.97, 0.03)
    useless = np.clip(0.5 + rng.normal(0, 0.05, n), 0.01, 0.99)
    decent = np.clip(np.where(y > 0.5, 0.6, 0.4) + rng.normal(0, 0.15, n), 0.01, 0.99)
    return np.column_stack([perfect, useless, decent]), y


@pytest.mark.parametrize("method", ["weighted", "bagging", "bma", "stacking", "soft_vote", "hard_vote"])
def test_weights_sum_to_one(method: str) -> None:
    P, y = _members()
    weights = Combiner(method).fit(P, y, NAMES).weights()
    assert sum(weights.values()) == pytest.approx(1.0) and all(w >= 0 for w in weights.values())


@pytest.mark.parametrize("method", ["weighted", "bagging", "bma", "stacking"])
def test_weights_follow_skill(method: str) -> None:
    P, y = _members()
    w = Combiner(method).fit(P, y, NAMES).weights()
    assert w["perfect"] > 0.6 and w["perfect"] > w["decent"] > w["useless"] - 1e-9
    if method in ("weighted", "bagging"):
        assert w["useless"] == pytest.approx(0.02, abs=0.005)  # the floor, nothing more


def test_a_member_made_useless_loses_its_weight() -> None:
    P, y = _members()
    before = Combiner("weighted").fit(P, y, NAMES).weights()["perfect"]
    P[:, 0] = np.random.default_rng(1).random(len(y))  # the perfect member now guesses
    after = Combiner("weighted").fit(P, y, NAMES).weights()["perfect"]
    assert before > 0.6 and after == pytest.approx(0.02, abs=0.005)


def test_user_weights_and_bad_requests() -> None:
    P, y = _members()
    combiner = Combiner("weighted", user_weights={"useless": 1, "decent": 3}).fit(P, y, NAMES)
    assert combiner.weights() == {"perfect": 0.0, "useless": 0.25, "decent": 0.75}
    assert combiner.combine(P[:1])[0] == pytest.approx(0.25 * P[0, 1] + 0.75 * P[0, 2])
    with pytest.raises(EnsembleError, match="not in the ensemble"):
        Combiner("weighted", user_weights={"ghost": 1}).fit(P, y, NAMES)
    with pytest.raises(EnsembleError, match="non-negative"):
        Combiner("weighted", user_weights={"decent": -1}).fit(P, y, NAMES)
    with pytest.raises(EnsembleError, match="unknown ensemble method"):
        Combiner("majority")


def test_contributions_explain_the_latest_forecast() -> None:
    P, y = _members()
    combiner = Combiner("weighted").fit(P, y, NAMES)
    pulls = combiner.contributions(P[0])
    assert sum(pulls.values()) == pytest.approx(combiner.combine(P[:1])[0] - 0.5)


def test_stacking_learns_only_from_rows_no_member_saw(monkeypatch) -> None:
    """Fails if the combiner were fitted on the members' training or early-stopping rows."""
    dataset = prepare(ar1_candles(3_000, phi=-0.2, seed=3), horizon=4)
    split, index = dataset.split()
    x_train, y_train = dataset.window(index[split.train])
    x_valid, y_valid = dataset.window(index[split.valid])
    seen: set = set()
    combined_rows: list = []
    real_predictions = ensemble_model.member_predictions

    def spy(models, features):
        combined_rows.append(features.index)
        return real_predictions(models, features)

    monkeypatch.setattr(ensemble_model, "member_predictions", spy)
    model = EnsembleModel(EnsembleConfig(members=("lightgbm", "xgboost"), method="stacking", horizon=4))
    for member in model.members_.values():
        original = member.fit

        def fit(xt, yt, xv, yv, _original=original, **kwargs):
            seen.update(xt.index), seen.update(xv.index)
            return _original(xt, yt, xv, yv, **kwargs)

        member.fit = fit
    model.fit(x_train, y_train, x_valid, y_valid)
    fitted_on = combined_rows[0]
    assert len(fitted_on) > 100 and not seen & set(fitted_on)
    assert fitted_on[0] - max(seen) >= pd.Timedelta(hours=4)  # purged by the horizon
    assert model.predict(dataset.features.loc[index[split.test]])["p_up"].between(0, 1).all()


@pytest.mark.parametrize("method", ["platt", "isotonic", "temperature"])
def test_calibration_reduces_ece_on_an_overconfident_model(method: str) -> None:
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.2, 0.8, 20_000)
    y = (rng.random(20_000) < truth).astype(float)
    overconfident = 1 / (1 + np.exp(-3 * np.log(truth / (1 - truth))))
    fit, check = slice(0, 10_000), slice(10_000, None)
    calibrator = Calibrator(method).fit(overconfident[fit], y[fit])
    before = expected_calibration_error(overconfident[check], y[check])
    after = expected_calibration_error(calibrator.transform(overconfident[check]), y[check])
    assert before > 0.08 and after < 0.03, (before, after)
    if method == "temperature":
        assert calibrator.temperature_ == pytest.approx(3.0, rel=0.15)
    if method == "platt":  # the direct sigmoid is the fitted logistic regression's own answer
        z = np.log(overconfident[check] / (1 - overconfident[check]))[:, None]
        np.testing.assert_allclose(calibrator.transform(overconfident[check]),
                                   calibrator.model_.predict_proba(z)[:, 1], rtol=1e-9)


def test_reliability_table_bins_predictions() -> None:
    table = reliability(np.array([0.05, 0.15, 0.12, 0.95]), np.array([0, 1, 0, 1]), bins=10)
    assert list(table.index) == ["0.0-0.1", "0.1-0.2", "0.9-1.0"]
    assert table.loc["0.1-0.2", "count"] == 2 and table.loc["0.1-0.2", "observed"] == 0.5


def _signal(probability: float, **kwargs):
    candles = load_candles("BTC/USDT", "1h", start="2024-06-01")
    return candles, make_signal(
        candles, symbol="BTC/USDT", timeframe="1h", horizon=4, probability=probability, raw_probability=probability,
        expected_return=0.01 if probability > 0.5 else -0.01, member_p={"a": probability, "b": 0.4},
        weights={"a": 0.7, "b": 0.3}, pulls={"a": 0.1, "b": -0.03}, method="weighted", calibration="platt", **kwargs,
    )


@pytest.mark.parametrize("probability", [0.9, 0.1])
def test_signal_levels_sit_on_the_right_side(probability: float) -> None:
    candles, signal = _signal(probability)
    price = candles["close"].iloc[-1]
    assert signal.price == price and 0 <= signal.risk_score <= 100 and 0 <= signal.confidence <= 1
    assert 0 <= signal.model_agreement <= 100 and signal.time_horizon == "4h"
    if probability > 0.5:
        assert signal.action == "BUY" and signal.stop_loss < price < signal.take_profit < price * 1.2
        assert signal.price_target > price
    else:
        assert signal.action == "SELL" and signal.take_profit < price < signal.stop_loss
        assert signal.price_target < price
    assert json.loads(json.dumps(signal.to_dict()))["contributing_models"][0]["id"] == "a"


def test_low_confidence_is_hold_without_levels() -> None:
    _, signal = _signal(0.53, settings=SignalSettings(min_confidence=0.1))
    assert signal.action == "HOLD" and signal.stop_loss is None and signal.take_profit is None
    _, bolder = _signal(0.53, settings=SignalSettings(min_confidence=0.05))
    assert bolder.action == "BUY"


@pytest.mark.parametrize(("horizon", "timeframe", "words"), [(1, "1h", "1h"), (4, "1h", "4h"), (24, "1h", "1d"),
                                                             (3, "5m", "15m"), (7, "1d", "1w"), (6, "4h", "1d")])
def test_time_horizon_in_wall_clock_terms(horizon: int, timeframe: str, words: str) -> None:
    assert time_horizon(horizon, timeframe) == words


@pytest.fixture(scope="module")
def trained_market(tmp_path_factory) -> tuple[pd.DataFrame, Key, str]:
    """Two boosters trained once on recent BTC/USDT 1h, in their own model store."""
    root = tmp_path_factory.mktemp("ensemble_artifacts")
    candles = load_candles("BTC/USDT", "1h", start="2024-02-01")
    key = Key("BTC/USDT", "1h", 1)
    train_models(candles, key, ["lightgbm", "xgboost"], source="bundled", store=ModelStore(root),
                 overrides={"xgboost": {"n_estimators": 40}})
    return candles, key, str(root)


def test_live_signal_from_stored_members_and_its_evaluation(trained_market) -> None:
    candles, key, root = trained_market
    store = ModelStore(root)
    signal = ensemble_signal(candles, key, store=store)
    assert signal.action in ("BUY", "SELL", "HOLD") and 0 < signal.probability < 1
    assert {c.id for c in signal.contributing_models} == {"lightgbm", "xgboost"}
    assert sum(c.weight for c in signal.contributing_models) == pytest.approx(1.0)
    assert signal.evaluation is None and "lydian backtest" in signal.note  # never a made-up accuracy
    leaderboard(["ensemble"], candles.iloc[-2_000:], 1, symbol="BTC/USDT", refit_every=500,
                overrides={"ensemble": {"members": ["lightgbm"]}})
    e = ensemble_signal(candles, key, store=store).evaluation
    assert e is not None and e["accuracy_ci_low"] < e["accuracy"] < e["accuracy_ci_high"] and e["verdict"]


def test_a_batch_of_signals_is_the_one_by_one_signals(trained_market, monkeypatch) -> None:
    from core.ensemble import live
    from core.features import pool

    candles, key, root = trained_market
    markets = [(candles.iloc[: len(candles) - k], key) for k in range(3)]  # three "new candle" states
    monkeypatch.setattr(pool, "MIN_FRAMES", 1)  # the worker processes, even for three
    live._features.clear()
    batch = ensemble_signals(markets, store=ModelStore(root))
    live._features.clear()
    single = [ensemble_signal(c, k, store=ModelStore(root)) for c, k in markets]
    assert [s.to_dict() for s in batch] == [s.to_dict() for s in single]
    assert len({s.candle_time for s in batch}) == 3


def test_cli_predict_ensemble_json(trained_market, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LYDIAN_ARTIFACTS", trained_market[2])
    assert main(["predict", "--symbol", "BTC", "--start", "2024-02-01", "--model", "ensemble", "--json",
                 "--method", "stacking"]) == 0
    payload = json.loads(capsys.readouterr().out)
    for field in ("action", "confidence", "price_target", "stop_loss", "take_profit", "time_horizon", "risk_score",
                  "contributing_models", "model_agreement", "evaluation"):
        assert field in payload
    assert payload["method"] == "stacking"


def test_no_trained_members_is_a_clear_error(capsys) -> None:
    assert main(["predict", "--symbol", "ETH", "--model", "ensemble"]) == 2
    assert "no trained models for ETH/USDT 1h" in capsys.readouterr().err


@pytest.mark.slow
def test_ensemble_walk_forward_finds_planted_mean_reversion() -> None:
    board = leaderboard(["lightgbm", "ensemble"], ar1_candles(6_000, phi=-0.2, seed=3), 1, cache=False,
                        refit_every=1_000, overrides={"ensemble": {"members": ["lightgbm", "xgboost"]}})
    row = board.table().loc["ensemble"]
    assert row["verdict"] == "edge" and row["accuracy"] > 0.515  # members early-stop on half the validation window
    assert row["log_loss"] < board.table().loc["always_up", "log_loss"]  # calibrated, not just right more often


def test_side_by_side_member_forecasts_match_one_after_another(monkeypatch) -> None:
    """The live path (members on several threads, one torch thread each) must not change a forecast."""
    from core.models import registry

    dataset = prepare(ar1_candles(1_200, phi=-0.2, seed=3), horizon=1)
    split, index = dataset.split()
    fast = {"max_epochs": 1, "lookback": 8, "patience": 1, "hidden": 8}
    models = {}
    for name in ("lightgbm", "xgboost", "gru_standard", "cnn_standard", "transformer_standard"):
        overrides = fast if registry.spec(name).sequence else {"n_estimators": 20}
        models[name] = registry.create(name, **overrides).fit(
            *dataset.window(index[split.train]), *dataset.window(index[split.valid]), seed=0, device="cpu")
    live = dataset.features.iloc[-ensemble_model.LIVE_ROWS:]
    monkeypatch.setattr(ensemble_model.os, "cpu_count", lambda: 3)  # take the threaded path on any machine
    p_up, returns = ensemble_model.member_predictions(models, live)
    for name, model in models.items():
        alone_p, alone_r = model.predict_values(live)
        np.testing.assert_allclose(p_up[name].to_numpy(), alone_p, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(returns[name].to_numpy(), alone_r, rtol=1e-5, atol=1e-7)
    assert list(p_up.columns) == list(models) and p_up.index.equals(live.index)


def test_one_op_thread_nests_and_restores() -> None:
    import torch

    from core.models.device import one_op_thread

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with one_op_thread():
            with one_op_thread():
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 1, "the outer caller is still inside"
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
