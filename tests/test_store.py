"""The versioned model store: numbering, latest vs promoted, delete, listing and clear refusals."""

from __future__ import annotations

import pytest

from core.data import load_candles
from core.models import registry
from core.models.dataset import prepare
from core.models.registry import UnknownModelError
from core.models.store import Key, ModelFileError, ModelStore
from core.models.training import train_models

KEY = Key("ETH/USDT", "1h", 1)


@pytest.fixture(scope="module")
def model():
    dataset = prepare(load_candles("ETH/USDT", "1h", start="2024-06-01")[:900], horizon=1)
    split, index = dataset.split()
    fitted = registry.create("lightgbm", n_estimators=10)
    return fitted.fit(*dataset.window(index[split.train]), *dataset.window(index[split.valid]))


def test_versions_latest_promote_delete(model, tmp_path) -> None:
    store = ModelStore(tmp_path)
    assert [store.save(model, KEY, {"source": "test"}) for _ in range(3)] == [1, 2, 3]
    assert store.versions(KEY, "lightgbm") == [1, 2, 3]
    assert store.resolve(KEY, "lightgbm") == 3 == store.resolve(KEY, "lightgbm", "latest")
    store.promote(KEY, "lightgbm", 2)
    assert store.resolve(KEY, "lightgbm") == 2 and store.resolve(KEY, "lightgbm", "latest") == 3
    store.delete(KEY, "lightgbm", 2)
    assert store.versions(KEY, "lightgbm") == [1, 3]
    assert store.promoted(KEY, "lightgbm") is None and store.resolve(KEY, "lightgbm") == 3
    assert store.save(model, KEY, {"source": "test"}) == 4  # numbers are never reused
    meta = store.meta(KEY, "lightgbm", 4)
    assert meta["symbol"] == "ETH/USDT" and meta["data"] == {"source": "test"}
    assert meta["state"]["feature_hash"] and meta["state"]["feature_names"] == model.feature_names_
    assert {row["version"] for row in store.catalog()} == {1, 3, 4}
    assert not list(KEY.folder(tmp_path, "lightgbm").glob(".staging-*"))


def test_clear_errors(tmp_path) -> None:
    store = ModelStore(tmp_path)
    with pytest.raises(ModelFileError, match="no trained lightgbm for ETH/USDT 1h horizon 1; train it first"):
        store.load(KEY, "lightgbm")
    with pytest.raises(UnknownModelError, match="unknown model 'gpt5'; known: lstm_standard"):
        store.load(KEY, "gpt5")


def test_missing_version_and_unsaved_file(model, tmp_path) -> None:
    store = ModelStore(tmp_path)
    store.save(model, KEY, {"source": "test"})
    with pytest.raises(ModelFileError, match="has no version 7; versions: 1"):
        store.load(KEY, "lightgbm", 7)
    folder = KEY.folder(tmp_path, "lightgbm") / "v0001"
    next(p for p in folder.iterdir() if p.name != "meta.json").unlink()
    with pytest.raises(ModelFileError, match="is missing; the saved model is incomplete"):
        store.load(KEY, "lightgbm", 1)


def test_resolve_ids() -> None:
    assert registry.resolve_ids("all") == registry.model_ids()
    assert registry.resolve_ids("boosting")[:3] == ["xgboost", "lightgbm", "catboost"]
    assert all(registry.spec(m).family == "boosting" for m in registry.resolve_ids("boosting"))
    assert registry.resolve_ids("xgboost, gru_standard,xgboost") == ["xgboost", "gru_standard"]
    with pytest.raises(UnknownModelError, match="unknown model 'nope'"):
        registry.resolve_ids("nope")


def test_loaded_model_is_not_served_stale_after_a_version_number_is_reused(tmp_path) -> None:
    from core.models.inference import loaded_model

    candles = load_candles("BTC/USDT", "1h", start="2024-06-01")[:900]
    store = ModelStore(tmp_path)
    key = Key("BTC/USDT", "1h", 1)
    train_models(candles, key, ["lightgbm"], source="test", store=store, overrides={"lightgbm": {"n_estimators": 5}})
    first = loaded_model(key, "lightgbm", 1, store)
    store.delete(key, "lightgbm", 1)
    train_models(candles, key, ["lightgbm"], source="test", store=store, overrides={"lightgbm": {"n_estimators": 9}})
    second = loaded_model(key, "lightgbm", 1, store)  # the same number, a different model
    assert second is not first and second.config.n_estimators == 9
