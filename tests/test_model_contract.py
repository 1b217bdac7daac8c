"""The contract every registered forecaster keeps (scikit-learn's check_estimator, for Lydian).

Parametrised over the whole registry (single models, baselines, the ensemble and every family
registered later), so a new forecaster is checked the moment it exists: shapes and ranges, seeded
reproducibility and causality for all; for those tagged ``storable``, a save/load round trip
through the versioned store and refusal of corrupt, truncated, edited or forged files. Which
checks apply is read from capability tags, and each forecaster is fitted with a tiny
configuration derived from its own settings, so one more forecaster costs seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import load_candles
from core import forecasters as registry
from core.errors import LydianError
from core.models import capabilities as cap
from core.models import registry as model_registry
from core.models.dataset import prepare
from core.models.store import Key, ModelFileError, ModelStore

FAST = {"max_epochs": 2, "lookback": 16, "patience": 1, "hidden": 32}  # enough to exercise training, seconds per model
KEY = Key("BTC/USDT", "1h", 1)


def _fast(model_id: str) -> dict:
    """A tiny configuration read from the forecaster's own settings: few epochs, few trees, tiny members."""
    defaults = registry.spec(model_id).defaults.to_dict()
    if "height" in defaults:  # a chart-image forecaster: half-height images at its own default width
        return {**FAST, "height": 32, "hidden": 16}
    if "max_epochs" in defaults:
        return FAST
    if "n_estimators" in defaults:
        return {"n_estimators": 30}
    if "members" in defaults:  # a combiner: each of its members made tiny the same way
        return {"member_overrides": {m: _fast(m) for m in defaults["members"]}}
    return {}


def _tags(model) -> frozenset[str]:
    return registry.spec(model.model_id).tags


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """A small real slice: 1,400 hourly BTC bars -> features, targets, a 60/20/20 split."""
    candles = load_candles("BTC/USDT", "1h", start="2024-05-01")[:1400]
    dataset = prepare(candles, horizon=1)
    split, index = dataset.split()
    x_train, y_train = dataset.window(index[split.train])
    x_valid, y_valid = dataset.window(index[split.valid])
    return {"x_train": x_train, "y_train": y_train, "x_valid": x_valid, "y_valid": y_valid,
            "x_test": dataset.features.loc[index[split.test]]}


def _fit(model_id: str, frames: dict, seed: int = 0):
    model = registry.create(model_id, **_fast(model_id))
    returned = model.fit(frames["x_train"], frames["y_train"], frames["x_valid"], frames["y_valid"], seed=seed, device="cpu")
    assert returned is model
    return model


def _offered(having: str | None = None) -> list[str]:
    """The forecasters that can be built here: neuralprophet is listed with its reason, never built."""
    return [m for m in registry.forecaster_ids(having=having) if not registry.spec(m).unavailable_reason]


@pytest.fixture(scope="module", params=_offered())
def fitted(request, frames):
    """Each forecaster fitted once per module."""
    return _fit(request.param, frames)


@pytest.fixture(scope="module", params=_offered(having=cap.STORABLE))
def stored(request, frames, tmp_path_factory):
    """Each storable forecaster fitted once per module, with a store holding its saved version."""
    model = _fit(request.param, frames)
    store = ModelStore(tmp_path_factory.mktemp(f"store_{request.param}"))
    version = store.save(model, KEY, {"source": "test"})
    return model, store, version


def test_every_forecaster_is_described_by_known_tags_and_builds() -> None:
    for model_id, entry in registry.registry().items():
        assert entry.tags and entry.tags <= cap.ALL, model_id
        assert entry.description and entry.family, model_id
        if entry.unavailable_reason:
            continue  # refused with its reason: test_a_model_that_cannot_install_is_listed_with_the_reason
        assert registry.create(model_id).model_id == model_id
        if cap.STORABLE in entry.tags:
            assert cap.TRAINABLE in entry.tags, model_id
    families = {s.family for s in registry.registry().values()}
    assert set(model_registry.FAMILIES) <= families and {"baseline", "ensemble"} <= families


def test_an_unavailable_family_is_listed_with_the_command_that_adds_it(monkeypatch) -> None:
    entry = registry.spec("catboost")
    missing = type(entry)(**{**entry.__dict__, "model_id": "catboost_missing", "requires": ("no_such_library_xyz",)})
    monkeypatch.setattr(model_registry, "_extra", {**model_registry._extra, "catboost_missing": missing})
    assert not missing.available and missing.install == "pip install -e '.[boosting]'"
    with pytest.raises(registry.UnknownModelError, match=r"not installed; add it with: pip install -e '.\[boosting\]'"):
        registry.create("catboost_missing")
    assert "catboost_missing" in registry.forecaster_ids()  # listed, not hidden


def test_a_model_that_cannot_install_is_listed_with_the_reason(capsys) -> None:
    """NeuralProphet: shown by `lydian models list` and refused with the reason, never with an install hint."""
    from core.cli import main

    entry = registry.spec("neuralprophet")
    assert entry.family == "statistical" and not entry.available and entry.install == ""
    with pytest.raises(registry.UnknownModelError, match="neuralprophet is unavailable: .*numpy 2"):
        registry.create("neuralprophet")
    main(["models", "list", "--json"])
    row = {r["id"]: r for r in json.loads(capsys.readouterr().out)}["neuralprophet"]
    assert not row["available"] and "numpy 2" in row["unavailable_reason"] and row["install"] == ""
    main(["models", "list"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("neuralprophet"))
    assert "unavailable: NeuralProphet does not install beside numpy 2" in line


_WITHOUT_TORCH = """
import importlib.abc, json, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("torch", "onnx", "onnxruntime"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Refuse())
from core.cli import main
import core.api.app, core.service
assert not [m for m in sys.modules if m.split(".")[0] == "torch"]
main(["models", "list", "--json"])
"""


def test_the_nets_are_optional_listing_needs_no_torch() -> None:
    """Without torch every face still imports and lists the nets as unavailable, with the extra that adds them."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _WITHOUT_TORCH], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = {row["id"]: row for row in json.loads(run.stdout)}
    nets = registry.forecaster_ids(having=cap.SEQUENCE)
    assert nets and all(not rows[m]["available"] and rows[m]["install"] == "pip install -e '.[nets]'" for m in nets)
    assert all(rows[m]["available"] for m in registry.forecaster_ids(having=cap.TREE))


def test_predictions_have_the_right_shape_and_range(fitted, frames) -> None:
    model = fitted
    prediction = model.predict(frames["x_test"])
    assert list(prediction.columns) == ["p_up", "expected_return"]
    assert prediction.index.equals(frames["x_test"].index)
    head, tail = prediction.iloc[: model.context_rows], prediction.iloc[model.context_rows :]
    assert head.isna().all().all(), "rows without a full look-back window must be NaN"
    assert tail.notna().all().all() and np.isfinite(tail.to_numpy()).all()
    assert tail["p_up"].between(0, 1).all()
    if cap.BASELINE not in _tags(model):  # majority and buy-and-hold are constant by design
        assert tail["p_up"].std() > 0, "a model that predicts one constant has learnt nothing"
    if cap.TRAINABLE in _tags(model):
        assert model.valid_metrics_["n"] > 0 and 0 <= model.valid_metrics_["accuracy"] <= 1


def test_same_seed_same_predictions(fitted, frames) -> None:
    model = fitted
    again = _fit(model.model_id, frames, seed=0)
    np.testing.assert_array_equal(model.predict(frames["x_test"]).to_numpy(), again.predict(frames["x_test"]).to_numpy())


def test_save_load_round_trip_is_exact(stored, frames) -> None:
    model, store, version = stored
    loaded = store.load(KEY, model.model_id, version)
    np.testing.assert_array_equal(model.predict(frames["x_test"]).to_numpy(), loaded.predict(frames["x_test"]).to_numpy())
    assert loaded.meta_["n_parameters"] == model.n_parameters() > 0


def test_predictions_are_causal(fitted, frames) -> None:
    """Changing every feature row after t leaves the predictions up to t untouched."""
    model = fitted
    x = frames["x_test"]
    cut = len(x) // 2
    altered = x.copy()
    altered.iloc[cut:] = altered.iloc[cut:].to_numpy()[::-1] * 1.5
    before = model.predict(x).iloc[:cut].to_numpy()
    after = model.predict(altered).iloc[:cut].to_numpy()
    np.testing.assert_array_equal(before, after)


def _version_folder(store: ModelStore, model_id: str, version: int) -> Path:
    return KEY.folder(store.root, model_id) / f"v{version:04d}"


def _weight_files(folder: Path) -> list[str]:
    """Every stored file but meta.json, as meta.json names them (an ensemble's members sit in sub-folders)."""
    return [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "meta.json"]


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_weight_files_are_refused(stored, frames, damage: str) -> None:
    model, store, first = stored
    names = _weight_files(_version_folder(store, model.model_id, first))
    for name in names:  # weights, and the ONNX graph of a net
        version = store.save(model, KEY, {"source": "test"})
        target = _version_folder(store, model.model_id, version) / name
        content = bytearray(target.read_bytes())
        if damage == "flip":
            content[len(content) // 2] ^= 0xFF
        else:
            content = content[: len(content) // 2]
        target.write_bytes(bytes(content))
        with pytest.raises(ModelFileError, match="does not match its checksum"):
            store.load(KEY, model.model_id, version)


def test_edited_meta_is_refused(stored) -> None:
    model, store, _ = stored
    version = store.save(model, KEY, {"source": "test"})
    path = _version_folder(store, model.model_id, version) / "meta.json"
    meta = json.loads(path.read_text())
    meta["horizon"] = 4
    path.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="edited after it was written"):
        store.load(KEY, model.model_id, version)


def _forge(folder: Path, name: str, content: bytes) -> None:
    """Replace one file and re-seal meta.json, as an attacker who knows the format would."""
    from core.models.store import _seal, _sha256

    (folder / name).write_bytes(content)
    meta = json.loads((folder / "meta.json").read_text())
    meta["files"][name] = _sha256(folder / name)
    meta["meta_checksum"] = _seal(meta)
    (folder / "meta.json").write_text(json.dumps(meta))


def test_garbage_weights_with_forged_checksums_fail_cleanly(stored) -> None:
    """Even when an attacker re-seals meta.json, the native loaders refuse garbage with a clear error."""
    model, store, first = stored
    for name in _weight_files(_version_folder(store, model.model_id, first)):
        version = store.save(model, KEY, {"source": "test"})
        _forge(_version_folder(store, model.model_id, version), name, b"\x00garbage" * 64)
        with pytest.raises(LydianError):
            store.load(KEY, model.model_id, version)


NETS = registry.forecaster_ids(having=cap.ONNX)


@pytest.mark.parametrize("stored", NETS, indirect=True)
def test_live_windows_match_the_batched_path(stored, frames) -> None:
    """A loaded net forecasts a few windows through its saved ONNX graph: the same numbers as PyTorch."""
    model, store, version = stored
    loaded = store.load(KEY, model.model_id, version)
    assert loaded.graph_ is not None, f"{model.model_id} no longer exports to ONNX: its live forecasts run on PyTorch"
    few = frames["x_test"].iloc[: model.lookback + 4]  # 5 windows: the live path
    np.testing.assert_allclose(loaded.predict(few).to_numpy(), model.predict(few).to_numpy(), rtol=0, atol=1e-6)
    assert loaded.predict(few).iloc[model.lookback - 1:].notna().all().all()


@pytest.mark.parametrize("stored", NETS, indirect=True)
def test_a_swapped_graph_is_refused(stored, frames) -> None:
    """A valid ONNX graph of other weights, with forged checksums, must not replace the evaluated net."""
    from core.models import onnx_runtime

    model, store, _ = stored
    other = _fit(model.model_id, frames, seed=1)
    graph = onnx_runtime.export(other.module_, other.lookback, other.n_features_)
    version = store.save(model, KEY, {"source": "test"})
    _forge(_version_folder(store, model.model_id, version), onnx_runtime.GRAPH, graph)
    with pytest.raises(LydianError, match="does not compute what the weights do"):
        store.load(KEY, model.model_id, version)
