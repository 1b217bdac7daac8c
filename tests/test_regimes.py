"""Regimes and anomalies: known answers on planted data, causality for every detector, the shared contract.

The contract tests run over the detector registry, so a new detector is tested the moment it is
registered. Sizes are small (hundreds to a few thousand bars) to keep the suite quick.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, f1_score

from core.cli import main
from core.regimes import (RegimeError, anomaly_metrics, label_causally, load_detector, make, methods, regime_inputs, save_detector,
                          summary)


def candles_from(returns: np.ndarray, sigma: np.ndarray, seed: int) -> pd.DataFrame:
    """Hourly candles with the given log returns; wicks scale with each bar's volatility."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.normal(0.0, 1.0, (2, len(returns)))) * sigma / 2
    index = pd.date_range("2021-01-01", periods=len(returns), freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * (1 + wick[0]),
                         "low": np.minimum(open_, close) * (1 - wick[1]), "close": close,
                         "volume": rng.lognormal(3.0, 0.5, len(returns))}, index=index)


def planted_regimes(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Calm (0.2% per bar) and wild (1.2%) stretches of 150-400 bars, alternating: the truth is known."""
    rng = np.random.default_rng(seed)
    truth = np.empty(n, dtype=int)
    at, state = 0, 0
    while at < n:
        length = int(rng.integers(150, 400))
        truth[at:at + length], at, state = state, at + length, 1 - state
    sigma = np.where(truth == 1, 0.012, 0.002)
    candles = candles_from(rng.normal(0.0, sigma), sigma, seed)
    return candles, pd.Series(truth, index=candles.index)


def planted_spikes(n: int = 3000, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """A 0.5%-per-bar random walk with 1% of bars jumping 8% (either way): the anomalies are known."""
    rng = np.random.default_rng(seed)
    sigma = np.full(n, 0.005)
    returns = rng.normal(0.0, sigma)
    spikes = np.zeros(n, dtype=bool)
    spikes[rng.choice(np.arange(100, n), size=n // 100, replace=False)] = True
    returns[spikes] = rng.choice([-0.08, 0.08], size=spikes.sum())
    sigma = np.where(spikes, 0.08, sigma)
    candles = candles_from(returns, sigma, seed)
    return candles, pd.Series(spikes, index=candles.index)


@pytest.mark.parametrize("method", ["kmeans", "hmm"])
def test_planted_volatility_regimes_are_recovered(method: str) -> None:
    candles, truth = planted_regimes()
    labelled = label_causally(candles, method, train_bars=1200, refit_every=400)
    assert len(labelled.matching) >= 3  # several refits: the ids must have been matched across them
    ari = adjusted_rand_score(truth.loc[labelled.labels.index], labelled.labels["regime"])
    assert ari >= 0.8, f"{method}: adjusted Rand index {ari:.3f}"
    table = summary(labelled)["regimes"]
    assert table[0]["volatility"] < table[1]["volatility"]  # regime 0 is the calm one, before and after refits


def test_planted_spikes_are_found_by_isolation_forest_raw_f1() -> None:
    candles, spikes = planted_spikes()
    labelled = label_causally(candles, "isolation_forest", train_bars=1200, refit_every=600, contamination=0.01)
    flagged = labelled.labels["regime"] == 1
    f1 = f1_score(spikes.loc[flagged.index], flagged)  # raw: every bar counts, no point adjustment
    assert f1 >= 0.8, f"F1 {f1:.3f}"
    scores = anomaly_metrics(labelled.labels, spikes)
    assert scores["f1"] == pytest.approx(f1) and scores["pr_auc"] >= 0.8 and scores["base_rate"] < 0.02


def test_a_random_walk_has_no_spikes_to_find() -> None:
    candles, _ = planted_spikes()
    calm = candles_from(np.random.default_rng(5).normal(0, 0.005, 3000), np.full(3000, 0.005), 5)
    labelled = label_causally(calm, "isolation_forest", train_bars=1200, refit_every=600, contamination=0.01)
    assert labelled.labels["regime"].mean() < 0.03  # about the contamination asked for, no more


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return planted_regimes(700, seed=3)[0]


@pytest.mark.parametrize("method", methods())
def test_no_label_or_score_at_t_changes_when_later_bars_change(method: str, small: pd.DataFrame) -> None:
    full = label_causally(small, method, train_bars=300, refit_every=150).labels
    cut = small.index[520]
    changed = small.copy()
    rng = np.random.default_rng(9)
    later = changed.index > cut
    changed.loc[later, ["open", "high", "low", "close"]] *= rng.uniform(0.5, 2.0, (later.sum(), 1))
    changed["high"] = changed[["open", "high", "low", "close"]].max(axis=1)
    changed["low"] = changed[["open", "high", "low", "close"]].min(axis=1)
    again = label_causally(changed, method, train_bars=300, refit_every=150).labels
    pd.testing.assert_frame_equal(full.loc[:cut], again.loc[:cut])
    assert not full.loc[cut:].iloc[1:].equals(again.loc[cut:].iloc[1:])  # the change did reach the later bars


@pytest.mark.parametrize("method", methods())
def test_detector_contract_fit_label_and_store_without_pickle(method: str, small: pd.DataFrame, tmp_path) -> None:
    x = regime_inputs(small).to_numpy()
    detector = make(method, seed=0).fit(x[:400])
    regimes, scores = detector.label(x[400:])
    assert regimes.shape == scores.shape == (len(x) - 400,) and np.isfinite(scores).all()
    assert regimes.dtype == np.int64 and regimes.min() >= -1
    path = tmp_path / f"{method}.safetensors"
    save_detector(detector, path)
    assert b"pickle" not in path.read_bytes()[:64] and path.read_bytes()[8:9] == b"{"  # safetensors' JSON header
    loaded = load_detector(path)
    np.testing.assert_array_equal(loaded.label(x[400:])[0], regimes)
    np.testing.assert_array_equal(loaded.label(x[400:])[1], scores)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # one flipped bit pattern in the last array
    path.write_bytes(bytes(data))
    with pytest.raises(RegimeError, match="seal"):
        load_detector(path)


def test_stored_forest_and_svm_score_as_scikit_learn_does(small: pd.DataFrame) -> None:
    from sklearn.ensemble import IsolationForest
    from sklearn.svm import OneClassSVM

    x = regime_inputs(small).to_numpy()
    forest = make("isolation_forest").fit(x)
    z = forest._z(x)
    expected = -IsolationForest(n_estimators=100, random_state=0).fit(z).score_samples(z)
    np.testing.assert_allclose(forest.label(x)[1], expected, atol=1e-12)
    svm = make("one_class_svm").fit(x)
    expected = -OneClassSVM(kernel="rbf", gamma="scale", nu=0.05).fit(z).decision_function(z)
    np.testing.assert_allclose(svm.label(x)[1], expected, atol=1e-9)


def test_bad_inputs_are_refused_in_words() -> None:
    with pytest.raises(RegimeError, match="unknown detector 'nope'; choose one of .*kmeans"):
        make("nope")
    with pytest.raises(RegimeError, match="at least"):
        make("kmeans").fit(np.zeros((5, 3)))
    with pytest.raises(RegimeError, match="finite"):
        make("kmeans").fit(np.full((50, 3), np.nan))


def test_cli_contract_json_and_labels_file(tmp_path, capsys) -> None:
    candles, _ = planted_regimes(1500, seed=4)
    source = tmp_path / "planted.csv"
    candles.reset_index().to_csv(source, index=False)
    out = tmp_path / "labels.csv"
    code = main(["regimes", "--file", str(source), "--timeframe", "1h", "--method", "kmeans", "--regimes", "2",
                 "--train-bars", "800", "--json", "--labels-out", str(out)])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["method"] == "kmeans" and {"regimes", "transition_matrix", "n_labelled"} <= set(report)
    assert {"share", "volatility", "mean_return", "mean_duration"} <= set(report["regimes"][0])
    assert sum(r["share"] for r in report["regimes"]) == pytest.approx(1.0)
    for row in report["transition_matrix"].values():
        assert sum(row.values()) == pytest.approx(1.0)
    labels = pd.read_csv(out)
    assert list(labels.columns) == ["timestamp", "regime", "anomaly_score"] and len(labels) == report["n_labelled"]
    first = pd.Timestamp(labels["timestamp"].iloc[0])
    assert first > candles.index[800]  # fitted on the first 800 input bars, labelled only after them
    assert main(["anomalies", "--file", str(source), "--timeframe", "1h", "--train-bars", "800", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["method"] == "isolation_forest"


def test_cli_refuses_an_unknown_method_in_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["regimes", "--symbol", "BTC", "--method", "nope"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_accuracy_by_regime_has_known_answers_and_stand_aside_silences_only_anomalies() -> None:
    from core.regimes import accuracy_by_regime, stand_aside

    index = pd.date_range("2022-01-01", periods=8, freq="h", tz="UTC")
    labels = pd.DataFrame({"regime": [0, 0, 0, 0, 1, 1, 1, 1], "anomaly_score": 0.0}, index=index)
    predictions = pd.DataFrame({"p_up": [0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.6, 0.4],
                                "realised_direction": [1, 1, 1, 0, 0, 0, 1, 1], "expected_return": 0.01}, index=index)
    board = accuracy_by_regime({"m": predictions}, labels).set_index("regime")
    assert board.loc[0, "accuracy"] == 0.75 and board.loc[1, "accuracy"] == 0.5
    assert board.loc[0, "always_up"] == 0.75 and board.loc[0, "edge_vs_always_up"] == 0.0  # no edge over always-up
    assert board.loc[0, "accuracy_ci_low"] < 0.75 < board.loc[0, "accuracy_ci_high"] and board.loc[1, "n"] == 4
    filtered = stand_aside(predictions, labels)
    assert (filtered["p_up"].iloc[4:] == 0.5).all() and (filtered["p_up"].iloc[:4] == 0.6).all()
    assert (filtered["expected_return"].iloc[4:] == 0).all() and filtered.attrs["stood_aside"] == 4


def test_api_regimes_and_anomalies_match_the_core(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from core.api.app import create_app
    from core.api.settings import ApiSettings

    settings = ApiSettings(database_url=f"sqlite:///{tmp_path / 'api.db'}", jwt_secret="x" * 40, rate_limit=0)
    with TestClient(create_app(settings)) as client:
        params = {"symbol": "BTC", "method": "kmeans", "bars": 1200, "refit_every": 300}
        answer = client.get("/api/ai/regimes", params=params)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["method"] == "kmeans" and report["n_labelled"] > 500 and len(report["recent"]) == 10
        assert sum(r["share"] for r in report["regimes"]) == pytest.approx(1.0)
        found = client.get("/api/ai/anomalies", params={"symbol": "BTC", "bars": 1200, "refit_every": 300}).json()
        assert found["method"] == "isolation_forest" and found["n_anomalies"] >= 0
        bad = client.get("/api/ai/regimes", params={"symbol": "BTC", "method": "nope"})
        assert bad.status_code == 422 and "kmeans" in bad.text


def test_regimes_page_draws_the_coloured_chart_tables_board_and_stand_aside() -> None:
    from tests.pages import open_page

    at = open_page("views/Regimes.py")
    assert at.title[0].value == "Regimes"
    regimes, transitions = (d.value for d in at.dataframe)
    assert regimes["share"].sum() == pytest.approx(1.0) and "mean duration (bars)" in regimes.columns
    assert transitions.sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert not at.error and "computed from bars up to it only" in at.caption[0].value
    assert at.info and "Walk forward" in at.info[0].value  # nothing is walked before the button
    at.multiselect(key="regimes_models").set_value(["persistence"]).run()
    at.button(key="regimes_walk").click().run()
    assert not at.exception, at.exception
    board, aside = (d.value for d in at.dataframe[2:])
    assert set(board["model"]) == {"persistence"} and (board["accuracy_ci_low"] <= board["accuracy"]).all()
    assert list(aside.index) == ["without", "with"] and any("stood aside" in c.value for c in at.caption)
