"""core.explain on candles with a planted signal: every method must find it, and the sums must add up.

The next bar's return has the sign of this bar's log volume change plus noise, so the one feature
that drives the target is ``volume_log_change_1``; its neighbours (relative volume, volume z-scores)
only correlate with it. A booster and a small gru_attention net learn it in about a second each.
A second series (`two_signal_candles`) plants two features; both must rank on top.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.explain import (ExplainError, attention, cache_info, clear_memory, explain, global_importance,
                          lime_explain)
from core.explain._inputs import model_inputs
from core.models import registry
from core.models.base import Model
from core.models.dataset import prepare
from core.models.store import Key, ModelStore

PLANTED = "volume_log_change_1"
SECOND = "upper_wick_pct"  # the second planted feature, in `two_signal_candles`
NET = {"lookback": 8, "hidden": 16, "layers": 1, "max_epochs": 6, "patience": 2, "lr": 1e-2, "dropout": 0.0}


def planted_candles(n: int = 2500, seed: int = 0) -> pd.DataFrame:
    """Hourly candles whose return at t+1 is 0.004 * sign(log volume change at t) + N(0, 0.004)."""
    rng = np.random.default_rng(seed)
    log_volume = rng.normal(3.0, 0.5, n)
    change = np.diff(log_volume, prepend=log_volume[0])
    returns = np.concatenate([[0.0], 0.004 * np.sign(change[:-1]) + rng.normal(0.0, 0.004, n - 1)])
    close = 100.0 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.normal(0.0, 0.003, (2, n)))
    index = pd.date_range("2021-01-01", periods=n, freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * (1 + wick[0]),
                         "low": np.minimum(open_, close) * (1 - wick[1]), "close": close,
                         "volume": np.exp(log_volume)}, index=index)


def two_signal_candles(n: int = 2500, seed: int = 0) -> pd.DataFrame:
    """Daily candles whose next return is 0.003 * sign(volume change) + 0.003 * sign(upper wick - its median) + noise.

    Daily bars, so the calendar features cycle inside the training window instead of drifting past
    it (an hourly series' month_cos leaves the training range, and the nets lean on it). The lower
    wick is wide, so the upper wick's share of the range is only a loose twin of the upper wick.
    """
    rng = np.random.default_rng(seed)
    log_volume = rng.normal(3.0, 0.5, n)
    change = np.diff(log_volume, prepend=log_volume[0])
    wick = np.abs(rng.normal(0.0, [[0.003], [0.05]], (2, n)))
    signal = 0.003 * np.sign(change) + 0.003 * np.sign(wick[0] - np.median(wick[0]))
    returns = np.concatenate([[0.0], signal[:-1] + rng.normal(0.0, 0.003, n - 1)])
    close = 100.0 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[100.0], close[:-1]])
    index = pd.date_range("2010-01-01", periods=n, freq="D", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * (1 + wick[0]),
                         "low": np.minimum(open_, close) * (1 - wick[1]), "close": close,
                         "volume": np.exp(log_volume)}, index=index)


@dataclass(frozen=True)
class Fitted:
    candles: pd.DataFrame
    features: pd.DataFrame
    booster: Model
    net: Model
    moderate: pd.Timestamp  # a test bar where the planted feature is moderate: a local slope exists
    extreme: pd.Timestamp  # the test bar where it is largest


def _fit(model_id: str, dataset, **overrides) -> Model:
    split, index = dataset.split()
    model = registry.create(model_id, **overrides)
    return model.fit(*dataset.window(index[split.train]), *dataset.window(index[split.valid]), seed=0, device="cpu")


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """One torch thread, as conftest sets under xdist: two threads on a busy 2-core machine ran 10x slower."""
    import torch

    before = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LYDIAN_TORCH_THREADS", "1")
        torch.set_num_threads(1)
        yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    candles = planted_candles()
    dataset = prepare(candles, horizon=1)
    change = dataset.features[PLANTED].iloc[-400:].abs()
    moderate = change[(change > 0.3) & (change < 1.0)].index[-1]
    booster, net = _fit("lightgbm", dataset, n_estimators=40), _fit("gru_attention", dataset, **NET)
    return Fitted(candles, dataset.features, booster, net, moderate, change.idxmax())


def _top(scores: dict[str, float]) -> str:
    return max(scores, key=lambda name: abs(scores[name]))


def test_booster_shap_ranks_the_planted_feature_first(fitted: Fitted) -> None:
    local = explain(fitted.booster, fitted.candles, fitted.moderate, cache=False)
    assert local.method == "tree" and local.time == fitted.moderate.isoformat()
    assert local.top(1)[0]["feature"] == PLANTED and _top(local.groups) == "volume"
    overall = global_importance(fitted.booster, fitted.candles, cache=False)
    assert next(iter(overall.features)) == PLANTED and next(iter(overall.groups)) == "volume"
    assert overall.rows == 100 and overall.start >= fitted.features.index[int(len(fitted.features) * 0.8)].isoformat()


@pytest.mark.parametrize("model_id", ["lightgbm", "xgboost", "catboost"])
def test_tree_shap_adds_up_to_the_booster_margin(fitted: Fitted, model_id: str) -> None:
    model = fitted.booster if model_id == "lightgbm" else _fit(model_id, prepare(fitted.candles, 1), n_estimators=30)
    result = explain(model, fitted.candles, fitted.moderate, cache=False)
    total = result.base_value + sum(result.features.values())
    assert abs(total - result.model_output) < 1e-6 and result.additivity_gap < 1e-6
    assert result.p_up == pytest.approx(1 / (1 + np.exp(-result.model_output)), abs=1e-6)
    assert result.p_up == pytest.approx(model.predict(fitted.features).loc[fitted.moderate, "p_up"], abs=1e-9)


def test_groups_and_lags_add_up_to_the_features(fitted: Fitted) -> None:
    for model in (fitted.booster, fitted.net):
        result = explain(model, fitted.candles, fitted.extreme, cache=False)
        assert sum(result.groups.values()) == pytest.approx(sum(result.features.values()), abs=1e-9)
        assert set(result.features) == set(result.values) == set(model.feature_names_)
    assert explain(fitted.booster, fitted.candles, cache=False).lags is None
    assert list(result.lags) == [f"lag_{k}" for k in range(NET["lookback"] - 1, -1, -1)]
    assert sum(result.lags.values()) == pytest.approx(sum(result.features.values()), abs=1e-9)
    assert _top(result.lags) == "lag_0", "the planted signal is in the forecast bar itself"


def test_net_gradient_shap_finds_the_planted_feature(fitted: Fitted) -> None:
    local = explain(fitted.net, fitted.candles, fitted.extreme, cache=False)
    assert local.method == "gradient" and local.top(1)[0]["feature"] == PLANTED
    assert local.additivity_gap < 0.05, "expected gradients add up only approximately, but closely"
    assert local.p_up == pytest.approx(fitted.net.predict(fitted.features).loc[fitted.extreme, "p_up"], abs=1e-6)
    overall = global_importance(fitted.net, fitted.candles, rows=60, cache=False)
    assert next(iter(overall.features)) == PLANTED and max(overall.lags, key=overall.lags.get) == "lag_0"


@pytest.fixture(scope="module")
def two_signals():
    candles = two_signal_candles()
    return candles, prepare(candles, horizon=1)


@pytest.mark.parametrize("model_id", ["lightgbm", "xgboost", "catboost"])
def test_boosters_rank_both_planted_features_on_top(two_signals, model_id: str) -> None:
    """Every column in every tree: column sampling would hand part of a feature's credit to its twins."""
    candles, dataset = two_signals
    model = _fit(model_id, dataset, n_estimators=40, colsample=1.0)
    assert set(list(global_importance(model, candles, cache=False).features)[:2]) == {PLANTED, SECOND}


@pytest.mark.parametrize("model_id", ["gru_attention", "cnn_standard"])
def test_nets_rank_both_planted_features_near_the_top(two_signals, model_id: str) -> None:
    """Gradient SHAP shares a feature's credit with its twins (upper_wick_to_range here): top three, not two."""
    candles, dataset = two_signals
    model = _fit(model_id, dataset, **{**NET, "max_epochs": 20, "patience": 3})
    top = list(global_importance(model, candles, rows=60, cache=False).features)[:3]
    assert {PLANTED, SECOND} <= set(top), top


def test_kernel_fallback_is_additive_and_agrees(fitted: Fitted) -> None:
    result = explain(fitted.booster, fitted.candles, fitted.moderate, method="kernel", background=20,
                     nsamples=600, cache=False)
    assert result.method == "kernel" and result.additivity_gap < 1e-9
    assert result.top(1)[0]["feature"] == PLANTED
    with pytest.raises(ExplainError, match="does not apply"):
        explain(fitted.net, fitted.candles, method="tree")


def test_windows_score_as_predict_does(fitted: Fitted) -> None:
    """`predict_inputs` on windows is `predict` at each window's last bar, and the nets' batched path
    equals the window-by-window one every sequence model inherits."""
    inputs = model_inputs(fitted.net, fitted.candles)
    positions = np.arange(len(inputs.features) - 5, len(inputs.features))
    batched = fitted.net.predict_inputs(inputs.at(positions))
    generic = Model.predict_inputs(fitted.net, inputs.at(positions))
    expected = fitted.net.predict(inputs.features.iloc[positions[0] - inputs.lookback + 1 :])
    np.testing.assert_allclose(batched, generic, atol=1e-6)
    np.testing.assert_allclose(batched[0], expected["p_up"].to_numpy()[-5:], atol=1e-6)
    np.testing.assert_allclose(batched[1], expected["expected_return"].to_numpy()[-5:], atol=1e-6)


@pytest.mark.parametrize("which", ["booster", "net"])
def test_lime_top_feature_is_the_planted_one(fitted: Fitted, which: str) -> None:
    result = lime_explain(getattr(fitted, which), fitted.candles, fitted.moderate, top=5, cache=False)
    assert next(iter(result.weights)) == PLANTED and len(result.weights) == 5
    assert 0.2 < result.r2 <= 1 and 0 < result.p_up < 1
    assert result.values[PLANTED] == pytest.approx(fitted.features.loc[fitted.moderate, PLANTED])


def test_attention_is_a_distribution_over_the_lookback(fitted: Fitted) -> None:
    result = attention(fitted.net, fitted.candles, fitted.moderate)
    weights = np.array(list(result.weights.values()))
    assert list(result.weights) == [f"lag_{k}" for k in range(NET["lookback"] - 1, -1, -1)]
    assert weights.sum() == pytest.approx(1.0, abs=1e-6) and (weights >= 0).all()
    assert "softmax" in result.description
    with pytest.raises(ExplainError, match="lightgbm has no attention weights"):
        attention(fitted.booster, fitted.candles)


@pytest.mark.parametrize("model_id", ["transformer_standard", "transformer_timeseries", "transformer_informer"])
def test_transformer_attention_is_a_distribution(fitted: Fitted, model_id: str) -> None:
    tiny = {**NET, "layers": 2, "heads": 2, "max_epochs": 1}
    result = attention(_fit(model_id, prepare(fitted.candles, 1), **tiny), fitted.candles)
    assert len(result.weights) == NET["lookback"] and sum(result.weights.values()) == pytest.approx(1.0, abs=1e-6)
    assert min(result.weights.values()) >= 0 and result.time == fitted.candles.index[-1].isoformat()


def test_at_picks_the_last_bar_at_or_before_it(fitted: Fitted) -> None:
    between = (fitted.moderate + pd.Timedelta(minutes=30)).tz_localize(None).isoformat()  # naive = UTC
    assert explain(fitted.booster, fitted.candles, between, cache=False).time == fitted.moderate.isoformat()
    with pytest.raises(ExplainError, match="earliest it can explain"):
        explain(fitted.booster, fitted.candles, fitted.candles.index[5], cache=False)
    with pytest.raises(ExplainError, match="not a time"):
        explain(fitted.booster, fitted.candles, "yesterday-ish")


def test_cache_hits_then_misses_when_data_or_model_change(fitted: Fitted, tmp_path: Path) -> None:
    clear_memory()
    first = explain(fitted.booster, fitted.candles, fitted.moderate)
    assert explain(fitted.booster, fitted.candles, fitted.moderate) == first
    assert cache_info() == {"memory_hits": 1, "disk_hits": 0, "misses": 1, "memory_entries": 1}
    clear_memory()
    assert explain(fitted.booster, fitted.candles, fitted.moderate) == first  # from the JSON on disk
    assert cache_info()["disk_hits"] == 1
    changed = fitted.candles.copy()
    changed.iloc[10, changed.columns.get_loc("volume")] *= 1.01
    explain(fitted.booster, changed, fitted.moderate)
    explain(_fit("lightgbm", prepare(fitted.candles, 1), n_estimators=40, learning_rate=0.1), fitted.candles,
            fitted.moderate)
    store, key = ModelStore(tmp_path), Key("PLANTED/USDT", "1h", 1)
    versions = [store.save(fitted.booster, key, {"source": "test"}) for _ in range(2)]  # same weights, 2 versions
    for version in versions:
        explain(store.load(key, "lightgbm", version), fitted.candles, fitted.moderate)
    assert cache_info()["misses"] == 4 and cache_info()["memory_hits"] == 0  # counters restart at clear_memory
    for entry in Path(os.environ["LYDIAN_HOME"], "cache", "explain").glob("*.json"):
        entry.write_text("{not json")  # damaged entries are misses, not errors
    clear_memory()
    assert explain(fitted.booster, fitted.candles, fitted.moderate) == first and cache_info()["misses"] == 1


def test_cli_help_and_untrained_model(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["explain", "--help"])
    assert done.value.code == 0 and "SHAP" in capsys.readouterr().out
    source = tmp_path / "planted.csv"
    planted_candles().reset_index().to_csv(source, index=False)
    assert main(["explain", "--file", str(source), "--model", "lightgbm"]) == 2
    assert "no trained lightgbm for PLANTED/USDT 1h horizon 1; run 'lydian train" in capsys.readouterr().err


def test_cli_json_with_a_stored_model(fitted: Fitted, capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    ModelStore().save(fitted.booster, Key("PLANTED/USDT", "1h", 1), {"source": "test"})
    source = tmp_path / "planted.csv"
    fitted.candles.reset_index().to_csv(source, index=False)
    argv = ["explain", "--file", str(source), "--model", "lightgbm", "--at", str(fitted.moderate), "--top", "5"]
    assert main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["version"] == 1 and payload["symbol"] == "PLANTED/USDT"
    assert payload["time"] == fitted.moderate.isoformat() and payload["method"] == "tree"
    assert [row["feature"] for row in payload["top"]][0] == PLANTED and len(payload["top"]) == 5
    assert len(payload["features"]) == len(fitted.booster.feature_names_) and payload["additivity_gap"] < 1e-6
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "lightgbm v1 on PLANTED/USDT 1h" in text and PLANTED in text and "by group: volume" in text
