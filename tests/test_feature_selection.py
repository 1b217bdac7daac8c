"""Feature selection and reduction fitted per training window; the ablation command; the t-SNE map."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.backtest.walkforward import walk_forward
from core.cli import main
from core.errors import LydianError
from core.explain.feature_space import feature_map
from core.features import selection
from core.features.selection import FeatureSelector
from tests.synthetic import ar1_candles

ONE_FOLD = {"refit_every": 100_000, "cache": False}  # one fit: its selection is the one to compare


def test_topk_keeps_the_planted_columns() -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(800, 40)), columns=[f"noise_{i}" for i in range(40)])
    x["signal_a"], x["signal_b"] = rng.normal(size=800), rng.normal(size=800)
    y = pd.Series((x["signal_a"] + 0.5 * x["signal_b"] + 0.3 * rng.normal(size=800) > 0).astype(float))
    chosen = FeatureSelector("topk", k=5).fit(x[:600], y[:600], x[600:], y[600:])
    assert {"signal_a", "signal_b"} <= set(chosen.columns_) and len(chosen.columns_) == 5
    assert max(chosen.importances_, key=chosen.importances_.get) == "signal_a"
    assert list(chosen.transform(x).columns) == chosen.columns_


def test_pca_rotates_onto_the_training_rows_components() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(500, 2))
    x = pd.DataFrame(np.hstack([base, base @ rng.normal(size=(2, 8)) + 0.01 * rng.normal(size=(500, 8))]))
    x.columns = [f"c{i}" for i in range(10)]
    reduced = FeatureSelector("pca", k=2).fit(x, pd.Series(np.zeros(500)))
    assert reduced.explained_ > 0.99 and list(reduced.transform(x).columns) == ["pc_1", "pc_2"]


@pytest.mark.parametrize("method", ["topk", "pca"])
def test_selection_is_fitted_on_training_rows_only(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fitted: list[tuple] = []
    fit = FeatureSelector.fit

    def recording(self, *args, **kwargs):  # what each refit learnt
        out = fit(self, *args, **kwargs)
        rotation = None if self.components_ is None else self.components_.round(12).tobytes()
        fitted.append((tuple(self.columns_), rotation))
        return out

    monkeypatch.setattr(FeatureSelector, "fit", recording)
    candles = ar1_candles(900, 0.3, seed=2)
    clean = walk_forward("lightgbm", candles, features=method, top_k=10, overrides={"n_estimators": 30}, **ONE_FOLD)
    cut = clean.predictions.index[len(clean.predictions) // 2]
    altered = candles.copy()
    later = altered.index > cut
    altered.loc[later, ["open", "high", "low", "close"]] *= 1.5  # the test window's second half moves
    changed = walk_forward("lightgbm", altered, features=method, top_k=10, overrides={"n_estimators": 30}, **ONE_FOLD)
    assert len(fitted) == 2 and fitted[0] == fitted[1]  # the fitted selection ignores the test window
    before = clean.predictions.index <= cut
    pd.testing.assert_series_equal(clean.predictions.loc[before, "p_up"], changed.predictions.loc[before, "p_up"])


def test_an_unknown_method_is_a_clear_error() -> None:
    with pytest.raises(LydianError, match="features must be one of all, topk, pca"):
        walk_forward("lightgbm", ar1_candles(600, 0.0), features="umap", **ONE_FOLD)
    with pytest.raises(selection.SelectionError, match="top_k"):
        selection.check("topk", 0)


def test_cli_ablation_compares_all_topk_and_pca(tmp_path, capsys) -> None:
    path = tmp_path / "ar1.csv"
    ar1_candles(700, 0.3, seed=3).to_csv(path)
    assert main(["ablation", "--file", str(path), "--model", "lightgbm", "--top-k", "10", "--refit-every", "100000",
                 "--no-cache", "--json"]) == 0
    board = json.loads(capsys.readouterr().out)
    variants = [f"lightgbm[{m}]" for m in selection.METHODS]
    assert set(variants) <= set(board["rows"]) and {"majority", "persistence"} <= set(board["rows"])
    assert len({board["rows"][v]["n"] for v in variants}) == 1  # the same bars for each variant
    assert all(board["rows"][v]["verdict"] for v in variants)
    assert main(["ablation", "--file", str(path), "--model", "lightgbm", "--top-k", "0"]) == 2


def test_tsne_map_is_coloured_by_outcome_and_cached() -> None:
    candles = ar1_candles(600, 0.2, seed=4)
    first = feature_map(candles, rows=120, perplexity=10)
    assert list(first.columns) == ["x", "y", "outcome", "future_return"] and len(first) == 120
    assert ((first["outcome"] == "up") == (first["future_return"] > 0)).all()
    assert np.isfinite(first[["x", "y"]].to_numpy()).all()
    pd.testing.assert_frame_equal(feature_map(candles, rows=120, perplexity=10), first)
