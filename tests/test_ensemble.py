"""The ensemble: weights that react to skill, out-of-fold stacking, calibration that helps, a sane signal."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import service
from core.backtest.leaderboard import leaderboard
from core.cli import main
from core.data import load_candles
from core.ensemble import (
    CALIBRATIONS, METHODS, Calibrator, Combiner, EnsembleConfig, EnsembleError, EnsembleModel, SignalSettings, ensemble_signal,
    ensemble_signals, expected_calibration_error, make_signal, reliability, time_horizon,
)
from core.ensemble import model as ensemble_model
from core.models.dataset import prepare
from core.models.store import Key, ModelFileError, ModelStore
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


@pytest.mark.parametrize("method", METHODS)
def test_weights_sum_to_one(method: str) -> None:
    P, y = _members()
    weights = Combiner(method).fit(P, y, NAMES).weights()
    assert sum(weights.values()) == pytest.approx(1.0) and all(w >= 0 for w in weights.values())


@pytest.mark.parametrize("method", ["weighted", "bagging", "bma", "stacking", "boosting"])
def test_weights_follow_skill(method: str) -> None:
    P, y = _members()
    w = Combiner(method).fit(P, y, NAMES).weights()
    assert w["perfect"] > 0.6 and w["perfect"] > w["decent"] > w["useless"] - 1e-9
    if method in ("weighted", "bagging"):
        assert w["useless"] == pytest.approx(0.02, abs=0.005)  # the floor, nothing more


def test_boosting_moves_weight_away_from_a_member_that_went_wrong_lately() -> None:
    """Hedge: the same total error, but made recently, costs weight only through the running product; a member
    right early and wrong late ends below one that is steadily decent, and the update is causal (row order)."""
    P, y = _members(n=2_000)
    late_wrong = P[:, 0].copy()
    late_wrong[1_000:] = 1 - late_wrong[1_000:]  # perfect for 1,000 rows, then exactly wrong
    P2 = np.column_stack([late_wrong, P[:, 2]])
    w = Combiner("boosting").fit(P2, y, ["turned", "decent"]).weights()
    assert w["decent"] > w["turned"] and sum(w.values()) == pytest.approx(1.0)
    w_early = Combiner("boosting").fit(P2[:1_000], y[:1_000], ["turned", "decent"]).weights()
    assert w_early["turned"] > 0.5  # before it turned, it led


@pytest.mark.parametrize("method", METHODS)
def test_a_fitted_combiner_round_trips_through_json(method: str) -> None:
    P, y = _members(n=1_000)
    fitted = Combiner(method).fit(P, y, NAMES)
    again = Combiner.from_dict(json.loads(json.dumps(fitted.to_dict())))
    np.testing.assert_allclose(again.combine(P), fitted.combine(P), rtol=1e-12)
    assert again.contributions(P[0]) == pytest.approx(fitted.contributions(P[0]))


@pytest.mark.parametrize("method", CALIBRATIONS)
def test_a_fitted_calibrator_round_trips_through_json(method: str) -> None:
    P, y = _members(n=1_000)
    fitted = Calibrator(method).fit(P[:, 2], y)
    again = Calibrator.from_dict(json.loads(json.dumps(fitted.to_dict())))
    np.testing.assert_allclose(again.transform(P[:, 2]), fitted.transform(P[:, 2]), rtol=1e-12)


def test_malformed_saved_combinations_are_refused() -> None:
    with pytest.raises(EnsembleError, match="malformed"):
        Combiner.from_dict({"method": "weighted"})
    with pytest.raises(EnsembleError, match="do not match"):
        Combiner.from_dict({"method": "weighted", "floor": 0.02, "user_weights": None, "bags": 30, "seed": 0,
                            "names": ["a", "b"], "weights": [1.0]})
    with pytest.raises(EnsembleError):
        Calibrator.from_dict({"method": "isotonic", "x": [0.1, 0.2], "y": [0.3]})


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
        from sklearn.linear_model import LogisticRegression

        z = np.log(overconfident / (1 - overconfident))[:, None]
        reference = LogisticRegression(C=1e6, max_iter=1000).fit(z[fit], y[fit].astype(int))
        np.testing.assert_allclose(calibrator.transform(overconfident[check]),
                                   reference.predict_proba(z[check])[:, 1], rtol=1e-6)
    if method == "isotonic":  # the kept knots give IsotonicRegression's own answer
        from sklearn.isotonic import IsotonicRegression

        reference = IsotonicRegression(y_min=1e-6, y_max=1 - 1e-6, out_of_bounds="clip").fit(overconfident[fit], y[fit])
        np.testing.assert_allclose(calibrator.transform(overconfident[check]),
                                   np.clip(reference.predict(overconfident[check]), 1e-6, 1 - 1e-6), rtol=1e-9)


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


MEMBERS = ("lightgbm", "xgboost")


@pytest.fixture(scope="module")
def trained_market(tmp_path_factory) -> tuple[pd.DataFrame, Key, str]:
    """An ensemble of two boosters trained once on recent BTC/USDT 1h, in its own model store."""
    root = tmp_path_factory.mktemp("ensemble_artifacts")
    candles = load_candles("BTC/USDT", "1h", start="2024-02-01")
    key = Key("BTC/USDT", "1h", 1)
    train_models(candles, key, ["ensemble"], source="bundled", store=ModelStore(root),
                 overrides={"ensemble": {"members": MEMBERS}})
    return candles, key, str(root)


def test_the_record_beside_a_signal_is_the_record_of_exactly_its_configuration(trained_market) -> None:
    candles, key, root = trained_market
    store = ModelStore(root)
    config = EnsembleConfig(members=MEMBERS)
    signal = service.signal(candles, key, config, store=store)
    assert signal.action in ("BUY", "SELL", "HOLD") and 0 < signal.probability < 1
    assert {c.id for c in signal.contributing_models} == set(MEMBERS)
    assert sum(c.weight for c in signal.contributing_models) == pytest.approx(1.0)
    assert signal.evaluation is None and "lydian backtest" in signal.note  # never a made-up accuracy
    assert signal.config_digest == config.digest()
    other = dataclasses.replace(config, members=("lightgbm",))  # another ensemble walked forward first
    service.evaluate(candles.iloc[-2_000:], key, ["ensemble"], config=other, refit_every=500)
    assert service.signal(candles, key, config, store=store).evaluation is None  # not this configuration's record
    service.evaluate(candles.iloc[-2_000:], key, ["ensemble"], config=config, refit_every=500)
    e = service.signal(candles, key, config, store=store).evaluation
    assert e is not None and e["accuracy_ci_low"] < e["accuracy"] < e["accuracy_ci_high"] and e["verdict"]
    assert e["config_digest"] == config.digest()
    stacking = service.signal(candles, key, dataclasses.replace(config, method="stacking"), store=store)
    assert stacking.method == "stacking" and stacking.evaluation is None  # the method is part of the identity


def test_switching_the_method_equals_a_full_fit_with_that_method() -> None:
    """`with_combination` re-fits only the combination: the members never see the method."""
    dataset = prepare(ar1_candles(2_500, phi=-0.2, seed=3), horizon=1)
    split, index = dataset.split()
    windows = (*dataset.window(index[split.train]), *dataset.window(index[split.valid]))
    small = {"member_overrides": {"xgboost": {"n_estimators": 30}, "lightgbm": {"n_estimators": 30}}}
    weighted = EnsembleModel(EnsembleConfig(members=MEMBERS, **small)).fit(*windows, seed=0)
    stacking = EnsembleModel(EnsembleConfig(members=MEMBERS, method="stacking", calibration="isotonic", **small))
    stacking.fit(*windows, seed=0)
    switched = weighted.with_combination(method="stacking", calibration="isotonic")
    x_test, _ = dataset.window(index[split.test])
    pd.testing.assert_frame_equal(switched.predict(x_test), stacking.predict(x_test))
    assert switched.config.digest() == stacking.config.digest() != weighted.config.digest()
    with pytest.raises(EnsembleError, match="only the combination"):
        weighted.with_combination(members=("lightgbm",))


def test_an_ensemble_with_a_sequence_member_gives_every_held_out_row_a_full_window() -> None:
    """A net's first held-out forecast needs the rows before it: without them it was NaN and calibration failed."""
    dataset = prepare(ar1_candles(1_500, phi=-0.2, seed=3), horizon=1)
    split, index = dataset.split()
    windows = (*dataset.window(index[split.train]), *dataset.window(index[split.valid]))
    tiny = {"max_epochs": 1, "lookback": 16, "patience": 1, "hidden": 8}
    config = EnsembleConfig(members=("lightgbm", "cnn_standard"),
                            member_overrides={"lightgbm": {"n_estimators": 20}, "cnn_standard": tiny})
    model = EnsembleModel(config).fit(*windows, seed=0)
    assert model.context_rows == 15 and not np.isnan(model.holdout_p_).any()
    alone = model.members_["cnn_standard"].predict(dataset.window(index[split.valid])[0])["p_up"].to_numpy()
    np.testing.assert_allclose(model.holdout_p_[:, 1], alone[-len(model.holdout_p_):], rtol=1e-5, atol=1e-6)


def test_a_stored_ensemble_loads_with_the_same_forecasts_and_refuses_tampering(trained_market, tmp_path) -> None:
    candles, key, root = trained_market
    store = ModelStore(root)
    loaded = store.load(key, "ensemble")
    assert loaded.config.members == MEMBERS and set(loaded.members_) == set(MEMBERS)
    features = prepare(candles.iloc[-1_500:], 1).features.iloc[-50:]
    first = loaded.predict(features)
    again = ModelStore(root).load(key, "ensemble").predict(features)
    pd.testing.assert_frame_equal(first, again)
    assert first["p_up"].between(0, 1).all()
    folder = next(p for p in Path(root).rglob("holdout.safetensors")).parent
    copy = tmp_path / "copy"
    shutil.copytree(Path(root), copy)
    target = next(copy.rglob("members/lightgbm/classifier.txt"))
    target.write_bytes(target.read_bytes()[:-10])  # a truncated member file
    with pytest.raises(ModelFileError, match="checksum"):
        ModelStore(copy).load(key, "ensemble")
    assert folder.is_dir()


def test_a_batch_of_signals_is_the_one_by_one_signals(trained_market, monkeypatch) -> None:
    from core.ensemble import live
    from core.features import pool

    candles, key, root = trained_market
    config = EnsembleConfig(members=MEMBERS)
    markets = [(candles.iloc[: len(candles) - k], key) for k in range(3)]  # three "new candle" states
    monkeypatch.setattr(pool, "MIN_FRAMES", 1)  # the worker processes, even for three
    live._features.clear()
    batch = ensemble_signals(markets, config=config, store=ModelStore(root))
    live._features.clear()
    single = [ensemble_signal(c, k, config=config, store=ModelStore(root)) for c, k in markets]
    assert [s.to_dict() for s in batch] == [s.to_dict() for s in single]
    assert len({s.candle_time for s in batch}) == 3


def test_cli_predict_ensemble_json(trained_market, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LYDIAN_ARTIFACTS", trained_market[2])
    assert main(["predict", "--symbol", "BTC", "--start", "2024-02-01", "--model", "ensemble", "--json",
                 "--method", "stacking", "--members", ",".join(MEMBERS)]) == 0
    payload = json.loads(capsys.readouterr().out)
    for field in ("action", "confidence", "price_target", "stop_loss", "take_profit", "time_horizon", "risk_score",
                  "contributing_models", "model_agreement", "evaluation"):
        assert field in payload
    assert payload["method"] == "stacking"
    assert payload["config_digest"] == EnsembleConfig(members=MEMBERS, method="stacking").digest()


def test_no_trained_ensemble_is_a_clear_error(capsys) -> None:
    assert main(["predict", "--symbol", "ETH", "--model", "ensemble"]) == 2
    err = capsys.readouterr().err
    assert "no trained ensemble" in err and "ETH/USDT 1h" in err and "--models ensemble" in err


@pytest.mark.slow
def test_ensemble_walk_forward_finds_planted_mean_reversion() -> None:
    board = leaderboard(["lightgbm", "ensemble"], ar1_candles(6_000, phi=-0.2, seed=3), 1, cache=False,
                        refit_every=1_000, overrides={"ensemble": {"members": ["lightgbm", "xgboost"]}})
    row = board.table().loc["ensemble"]
    assert row["verdict"] == "edge" and row["accuracy"] > 0.515  # members early-stop on half the validation window
    assert row["log_loss"] < board.table().loc["majority", "log_loss"]  # calibrated, not just right more often


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
