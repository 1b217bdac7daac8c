"""XGBoost, LightGBM and CatBoost pairs and the forests: contract, early stopping, skill, native persistence,
corrupt files. Every entry of the booster table is checked, the named variants (deep, DART, GOSS, forests) too."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError, LydianError
from core.models.base import json_ready
from core.models.boosters import BOOSTERS, FOREST, BoosterFileError
from core.models.config import BoosterConfig

IDS = list(BOOSTERS)
TRAIN, VALID, TEST = 3000, 1000, 3000
ROUNDS = 100  # the deep and forest configurations grow up to 400 trees; 100 show the same behaviour, faster


def _model(model_id: str):
    cls, overrides, _ = BOOSTERS[model_id]
    return cls(model_id, BoosterConfig().with_overrides(overrides | {"n_estimators": ROUNDS}))


def _forest(model_id: str) -> bool:
    return BOOSTERS[model_id][1].get("variant") == FOREST


def _frames(signal: bool, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """8 noise features; with ``signal`` the direction is sign(f0), flipped on 30% of rows (70% learnable)."""
    n = TRAIN + VALID + TEST
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC", name="timestamp")
    x = pd.DataFrame(rng.normal(size=(n, 8)), index=index, columns=[f"f{i}" for i in range(8)])
    up = (x["f0"].to_numpy() > 0) ^ (rng.random(n) < 0.3) if signal else rng.random(n) < 0.5
    move = np.abs(rng.normal(0, 0.01, n))
    y = pd.DataFrame({"direction": up.astype(float), "future_return": np.where(up, move, -move)}, index=index)
    return x, y


def _fit(model_id: str, signal: bool, seed: int = 0):
    x, y = _frames(signal)
    a, b = TRAIN, TRAIN + VALID
    return _model(model_id).fit(x[:a], y[:a], x[a:b], y[a:b], seed=seed), x[b:], y[b:]


@functools.cache
def _fitted(model_id: str, signal: bool):
    """One fit per (model, data) shared by the tests that only read it."""
    return _fit(model_id, signal)


def _accuracy(model, x: pd.DataFrame, y: pd.DataFrame) -> float:
    return float(np.mean((model.predict(x)["p_up"] > 0.5) == (y["direction"] > 0.5)))


def _saved(model, folder: Path) -> dict:
    return json_ready(model.save(folder))


def test_registry_defaults() -> None:
    expected = {"xgboost": ("n_estimators", 100, "max_depth", 6), "lightgbm": ("n_estimators", 100, "num_leaves", 15),
                "catboost": ("n_estimators", 100, "max_depth", 6)}
    assert set(expected) <= set(BOOSTERS)
    for model_id, (cls, overrides, description) in BOOSTERS.items():
        model = _model(model_id)
        assert (cls.family, cls.sequence, model.model_id) == ("boosting", False, model_id)
        assert model_id not in expected or [overrides[k] for k in expected[model_id][::2]] == list(expected[model_id][1::2])
        assert description and "\n" not in description


@pytest.mark.parametrize("model_id", IDS)
def test_predictions_cover_the_index(model_id: str) -> None:
    model, x_test, _ = _fitted(model_id, False)
    pred = model.predict(x_test)
    assert pred.index.equals(x_test.index) and list(pred.columns) == ["p_up", "expected_return"]
    assert (pred.dtypes == np.float64).all()
    assert pred["p_up"].between(1e-6, 1 - 1e-6).all() and np.isfinite(pred["expected_return"]).all()
    assert model.n_parameters() > 0 and model.tree_learner() is model.learners_["classifier"]


@pytest.mark.parametrize("model_id", IDS)
def test_same_seed_same_predictions_and_quiet(model_id: str, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    again, x_test, _ = _fit(model_id, False)
    assert capfd.readouterr() == ("", ""), "fitting must not print"
    first = _fitted(model_id, False)[0].predict(x_test).to_numpy()
    assert again.predict(x_test).to_numpy().tobytes() == first.tobytes()
    other = _fit(model_id, False, seed=1)[0].predict(x_test).to_numpy()
    assert not np.array_equal(other, first), "the seed should drive row/column subsampling"


@pytest.mark.parametrize("model_id", IDS)
def test_save_load_is_bit_identical_and_pickle_free(model_id: str, tmp_path: Path) -> None:
    model, x_test, _ = _fitted(model_id, True)
    state = _saved(model, tmp_path)
    files = sorted(tmp_path.iterdir())
    suffix = BOOSTERS[model_id][0].suffix
    assert [f.name for f in files] == [f"classifier.{suffix}", f"regressor.{suffix}"]
    assert not any(f.read_bytes().startswith(b"\x80") for f in files), "pickle magic in a weight file"
    weights = state["weights"]
    assert weights["n_features"] == 8 and weights["learners"]["classifier"]["n_trees"] == model.n_trees_["classifier"]
    loaded = _model(model_id).load(tmp_path, json.loads(json.dumps(state)))
    assert loaded.predict(x_test).to_numpy().tobytes() == model.predict(x_test).to_numpy().tobytes()
    assert loaded.n_parameters() == model.n_parameters() and loaded.n_trees_ == model.n_trees_


@pytest.mark.parametrize("model_id", IDS)
def test_early_stopping_stops_on_noise_and_forests_keep_every_tree(model_id: str) -> None:
    model = _fitted(model_id, False)[0]
    if _forest(model_id):  # averaged trees: stopping early would keep one or two of them
        assert model.n_trees_["classifier"] == model.config.n_estimators
    else:
        assert model.n_trees_["classifier"] < model.config.n_estimators


@pytest.mark.parametrize("model_id", IDS)
def test_planted_signal_is_learned_and_noise_is_not(model_id: str) -> None:
    assert _accuracy(*_fitted(model_id, True)) > 0.62
    assert abs(_accuracy(*_fitted(model_id, False)) - 0.5) <= 0.04


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing"])
@pytest.mark.parametrize("model_id", IDS)
def test_damaged_file_is_a_clear_error(model_id: str, damage: str, tmp_path: Path) -> None:
    model = _fitted(model_id, False)[0]
    state = _saved(model, tmp_path)
    path = tmp_path / state["weights"]["learners"]["classifier"]["file"]
    if damage == "missing":
        path.unlink()
    else:
        data = path.read_bytes()
        path.write_bytes(b"\x00garbage, not a model\xff" * 50 if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(BoosterFileError, match=path.name) as caught:
        _model(model_id).load(tmp_path, state)
    assert isinstance(caught.value, LydianError) and str(path) in str(caught.value)


@pytest.mark.parametrize("model_id", IDS)
def test_library_errors_are_wrapped(model_id: str, tmp_path: Path) -> None:
    """Garbage whose checksum matches reaches the library parser; its own error type is wrapped."""
    model = _fitted(model_id, False)[0]
    state = _saved(model, tmp_path)
    entry = state["weights"]["learners"]["regressor"]
    (tmp_path / entry["file"]).write_bytes(b"not a booster at all")
    entry["sha256"] = hashlib.sha256(b"not a booster at all").hexdigest()
    with pytest.raises(BoosterFileError, match=f"cannot read regressor model file .*{entry['file']}") as caught:
        _model(model_id).load(tmp_path, state)
    assert caught.value.__cause__ is not None and not isinstance(caught.value.__cause__, LydianError)


def test_one_class_training_window_is_a_data_error() -> None:
    x, y = _frames(False)
    y["direction"] = 1.0
    with pytest.raises(DataError, match="only one direction class"):
        _model("lightgbm").fit(x[:500], y[:500], x[500:700], y[500:700])


@pytest.mark.parametrize(("model_id", "variant"), [("catboost", "rf"), ("xgboost", "goss"), ("lightgbm", "dart")])
def test_a_variant_the_library_lacks_is_refused_by_name(model_id: str, variant: str) -> None:
    x, y = _frames(False)
    cls, overrides, _ = BOOSTERS[model_id]
    model = cls(model_id, BoosterConfig().with_overrides(overrides | {"variant": variant}))
    with pytest.raises(LydianError, match=f"no variant '{variant}'"):
        model.fit(x[:500], y[:500], x[500:700], y[500:700])
