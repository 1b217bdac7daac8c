"""Encryption at rest: with LYDIAN_ARTIFACT_KEY set, model files are AES-256-GCM ciphertext that
loads back to the same predictions, and a wrong key or any tampering is refused by name."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from core.cli import main
from core.data import load_candles
from core.models import registry
from core.models.dataset import prepare
from core.models.encryption import KEY_ENV, ArtifactKeyError, new_key
from core.models.store import META, Key, ModelFileError, ModelStore, _seal

KEY = Key("ETH/USDT", "1h", 1)


@pytest.fixture(scope="module")
def data():
    dataset = prepare(load_candles("ETH/USDT", "1h", start="2024-06-01")[:900], horizon=1)
    split, index = dataset.split()
    return dataset, dataset.window(index[split.train]), dataset.window(index[split.valid])


@pytest.fixture(scope="module", params=["lightgbm", "cnn_standard"])
def fitted(request, data):
    _, train, valid = data
    quick = {"max_epochs": 1} if registry.spec(request.param).sequence else {"n_estimators": 10}
    return registry.create(request.param, **quick).fit(*train, *valid, seed=0)


@pytest.fixture
def key(monkeypatch) -> str:
    value = new_key()
    monkeypatch.setenv(KEY_ENV, value)
    return value


def _version_folder(store: ModelStore, model_id: str, version: int = 1):
    return KEY.folder(store.root, model_id) / f"v{version:04d}"


def _reseal(folder, edit) -> None:
    """What an attacker who knows the format does: change something, then fix every checksum."""
    meta = json.loads((folder / META).read_text())
    edit(meta)
    for name in meta["files"]:
        meta["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    meta["meta_checksum"] = _seal(meta)
    (folder / META).write_text(json.dumps(meta))


def test_encrypted_files_load_to_identical_predictions(fitted, data, key, tmp_path) -> None:
    dataset = data[0]
    store = ModelStore(tmp_path)
    store.save(fitted, KEY, {"source": "test"})
    folder = _version_folder(store, fitted.model_id)
    meta = json.loads((folder / META).read_text())
    assert meta["encryption"] == "AES-256-GCM"
    plain = tmp_path / "plain"
    plain.mkdir()
    fitted.save(plain)
    for name in meta["files"]:  # ciphertext: no plaintext file survives on disk
        assert (folder / name).read_bytes() != (plain / name).read_bytes()
        assert (plain / name).read_bytes()[:64] not in (folder / name).read_bytes()
    features = dataset.features.iloc[-200:]
    pd.testing.assert_frame_equal(store.load(KEY, fitted.model_id).predict(features), fitted.predict(features))
    assert store.catalog()[0]["encryption"] == "AES-256-GCM"


def test_missing_or_wrong_key_is_refused(fitted, key, monkeypatch, tmp_path) -> None:
    store = ModelStore(tmp_path)
    store.save(fitted, KEY, {"source": "test"})
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ModelFileError, match=f"is encrypted \\(AES-256-GCM\\); set {KEY_ENV}"):
        store.load(KEY, fitted.model_id)
    monkeypatch.setenv(KEY_ENV, new_key())
    with pytest.raises(ModelFileError, match="cannot be decrypted: LYDIAN_ARTIFACT_KEY is not the key"):
        store.load(KEY, fitted.model_id)


def test_tampered_file_with_fixed_checksums_is_refused(fitted, key, tmp_path) -> None:
    store = ModelStore(tmp_path)
    store.save(fitted, KEY, {"source": "test"})
    folder = _version_folder(store, fitted.model_id)
    weights = folder / next(iter(json.loads((folder / META).read_text())["files"]))
    blob = bytearray(weights.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    weights.write_bytes(bytes(blob))
    _reseal(folder, lambda meta: None)
    with pytest.raises(ModelFileError, match="cannot be decrypted.*or the file or its meta.json was altered"):
        store.load(KEY, fitted.model_id)


def test_meta_rewritten_with_a_fresh_checksum_is_refused(fitted, key, tmp_path) -> None:
    """Plain files can only be guarded by a checksum anyone can recompute; the key closes that gap."""
    store = ModelStore(tmp_path)
    store.save(fitted, KEY, {"source": "test"})
    _reseal(_version_folder(store, fitted.model_id), lambda meta: meta["data"].update(source="forged"))
    assert store.meta(KEY, fitted.model_id)["data"]["source"] == "forged"  # the checksum alone passes it
    with pytest.raises(ModelFileError, match="cannot be decrypted"):
        store.load(KEY, fitted.model_id)


def test_plain_models_still_load_with_a_key_set(fitted, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    store = ModelStore(tmp_path)
    store.save(fitted, KEY, {"source": "test"})
    monkeypatch.setenv(KEY_ENV, new_key())
    assert store.meta(KEY, fitted.model_id)["encryption"] is None
    assert store.load(KEY, fitted.model_id).feature_names_ == fitted.feature_names_


def test_malformed_key_is_a_clear_error(fitted, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(KEY_ENV, "not-a-key")
    with pytest.raises(ArtifactKeyError, match="64 hex digits.*lydian models key"):
        ModelStore(tmp_path).save(fitted, KEY, {"source": "test"})
    assert not list(tmp_path.rglob("v0001"))  # nothing half-written


def test_cli_prints_a_usable_key(capsys, monkeypatch) -> None:
    assert main(["models", "key"]) == 0
    printed = capsys.readouterr().out.strip()
    assert len(bytes.fromhex(printed)) == 32
    monkeypatch.setenv(KEY_ENV, printed)
    from core.models.encryption import artifact_key

    assert artifact_key() == bytes.fromhex(printed)
