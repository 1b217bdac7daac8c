"""Gradient-boosted trees: XGBoost, LightGBM and CatBoost behind the one `Model` interface.

Each model is a native classifier for ``direction`` (P(up)) plus a native regressor for
``future_return``, early-stopped on the validation window and cut to its best iteration, so
predict, save and `n_parameters` see exactly the trees in use. `_BoosterPair` owns all of that;
a library subclass only says how to train, predict, read and measure one learner (imported lazily,
so listing the registry stays cheap). Weights are native files, never pickle: XGBoost ``.ubj``,
LightGBM text ``.txt``, CatBoost ``.cbm``. Their SHA-256 is checked before a library parses them:
a truncated LightGBM file aborts the process instead of raising, a CatBoost bit flip loads silently.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from core.errors import DataError, LydianError
from core.models import capabilities as cap
from core.models.base import Model, Progress
from core.features.scaling import IdentityScaler, Scaler
from core.models.config import BoosterConfig, ConfigError

LEARNERS = ("classifier", "regressor")  # same order as base.TARGET_COLUMNS: direction, future_return
BIN_SAMPLE = 2_000  # rows LightGBM samples to place its bin edges (default 200,000: all rows, 2x slower)
TREE_FEATURES = 32  # LightGBM samples at least this many features per tree (all of a narrower table): column
# sampling buys speed on the ~250 indicator columns, but on 8 columns one tree in five would miss a lone signal
EPS = 1e-6  # P(up) is clipped to [EPS, 1 - EPS] so log loss stays finite


class BoosterFileError(LydianError, ValueError):
    """A saved booster file that is missing, altered or unreadable; the message names the file."""


def _threads(library: str = "") -> int:
    """Every core (``LYDIAN_BOOSTER_THREADS`` overrides); fixed per machine, so a seed reproduces.

    Except LightGBM on two cores or fewer: its many short parallel regions, with OpenMP threads that
    sleep between them (see `_native`), made the benchmark walk-forward 2.3x slower on 2 threads
    than on 1 (33.7 s against 14.8 s), while XGBoost was level and CatBoost gained from the second.
    """
    if "LYDIAN_BOOSTER_THREADS" in os.environ:
        return int(os.environ["LYDIAN_BOOSTER_THREADS"])
    cores = os.cpu_count() or 1
    return 1 if library == "lightgbm" and cores <= 2 else cores


def _native(name: str) -> Any:
    """Import a booster library with its OpenMP threads sleeping, not spinning, while they wait.

    libgomp reads OMP_WAIT_POLICY once, at load. Spinning threads on a 2-core machine busy with anything
    else (the other ``pytest -n 2`` worker, a torch fit) made a 3k-row LightGBM fit 45 s instead of 0.1 s.
    No effect if the user set the variable or torch already loaded libgomp (its symbols then win).
    """
    if name in sys.modules or "OMP_WAIT_POLICY" in os.environ:
        return importlib.import_module(name)
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        return importlib.import_module(name)
    finally:
        del os.environ["OMP_WAIT_POLICY"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _BoosterPair(Model):
    """The shared half: two learners, early stopping, seed, the predict pair and persistence."""

    family: ClassVar[str] = "boosting"
    library: ClassVar[str] = ""  # the importable library that trains and reads the learners
    sequence: ClassVar[bool] = False
    tags: ClassVar[frozenset[str]] = Model.tags | {cap.TREE, cap.KERNEL}
    scaler: ClassVar[type[Scaler]] = IdentityScaler  # trees split on ranks: scaling would only cost time
    clip: ClassVar[float | None] = None
    suffix: ClassVar[str] = ""  # native file format, also the file extension
    config: BoosterConfig

    # ---- what each library implements, for one native learner
    @abstractmethod
    def _train(self, classifier: bool, x: np.ndarray, y: np.ndarray, x_valid: np.ndarray,
               y_valid: np.ndarray, seed: int) -> Any:
        """Fit with early stopping on (x_valid, y_valid); return the native model cut to its best iteration."""

    @abstractmethod
    def _raw_predict(self, learner: Any, classifier: bool, x: np.ndarray) -> np.ndarray:
        """P(up) (classifier) or the expected return (regressor) for each row."""

    def _inputs(self, x: np.ndarray) -> Any:
        """``x`` as the library takes it, converted once for both learners."""
        return x

    @abstractmethod
    def _read(self, path: Path, classifier: bool) -> Any:
        """The learner saved at ``path``; library errors are wrapped by `_load_weights`."""

    @abstractmethod
    def _leaves(self, learner: Any) -> list[int]:
        """The leaf count of every tree."""

    @abstractmethod
    def _margin(self, learner: Any, x: np.ndarray) -> np.ndarray:
        """The classifier's raw score (log-odds of P(up)) for each row, computed by the library itself."""

    # ---- the Model hooks, written once
    def _fit(
        self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
        seed: int, device: str | None, progress: Progress | None,
    ) -> None:
        """CPU only: ``device`` is ignored (the xgboost-cpu wheel has no CUDA)."""
        if np.unique(y_train[:, 0]).size < 2:
            raise DataError(f"{self.model_id}: the training window has only one direction class; use a longer window")
        self.n_features_ = int(x_train.shape[1])
        self.learners_: dict[str, Any] = {}
        for column, kind in enumerate(LEARNERS):
            classifier = kind == "classifier"
            y, yv = y_train[:, column], y_valid[:, column]
            if classifier:  # class labels, not floats: CatBoost would otherwise name the classes "0.0"/"1.0"
                y, yv = y.astype(np.int32), yv.astype(np.int32)
            self.learners_[kind] = self._train(classifier, x_train, y, x_valid, yv, seed)
            if progress is not None:
                progress({"model": self.model_id, "learner": kind, "trees": self.n_trees_[kind]})

    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(x):  # CatBoost prints "No objects info loaded" on an empty batch
            return np.empty(0), np.empty(0)
        x = self._inputs(x)
        p_up = np.asarray(self._raw_predict(self.learners_["classifier"], True, x), dtype=np.float64)
        ret = np.asarray(self._raw_predict(self.learners_["regressor"], False, x), dtype=np.float64)
        return np.clip(p_up, EPS, 1 - EPS), ret

    def _save_weights(self, folder: Path) -> dict[str, Any]:
        """Two native files; the state records their names, SHA-256, trees kept and the feature count."""
        learners = {}
        for kind, learner in self.learners_.items():
            path = folder / f"{kind}.{self.suffix}"
            learner.save_model(str(path))  # the same call in all three libraries, each in its native format
            learners[kind] = {"file": path.name, "sha256": _sha256(path), "n_trees": self.n_trees_[kind]}
        return {"format": self.suffix, "n_features": self.n_features_, "learners": learners}

    def _load_weights(self, folder: Path, state: dict[str, Any]) -> None:
        learners = {}
        for kind in LEARNERS:
            entry = state["learners"][kind]
            path = folder / entry["file"]
            if not path.is_file():
                raise BoosterFileError(f"{self.model_id}: {kind} model file {path} is missing")
            if _sha256(path) != entry["sha256"]:
                raise BoosterFileError(f"{self.model_id}: {kind} model file {path} was altered or truncated "
                                       "since it was saved (checksum mismatch); retrain the model")
            try:
                learners[kind] = self._read(path, kind == "classifier")
            except Exception as error:  # XGBoostError, LightGBMError, CatBoostError, OSError...: no common base
                reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
                raise BoosterFileError(f"{self.model_id}: cannot read {kind} model file {path}: {reason}") from error
        self.learners_, self.n_features_ = learners, int(state["n_features"])

    def n_parameters(self) -> int:
        """Tree nodes (splits + leaves) in both learners: a binary tree with L leaves has 2L - 1 nodes."""
        self._check_fitted()
        return sum(2 * leaves - 1 for learner in self.learners_.values() for leaves in self._leaves(learner))

    @property
    def n_trees_(self) -> dict[str, int]:
        """Trees kept per learner after early stopping (best iteration + 1)."""
        return {kind: len(self._leaves(learner)) for kind, learner in self.learners_.items()}

    # ---- the tree capability (core.models.capabilities.TREE), read by tree explainers
    def tree_learner(self) -> Any:
        """The native direction classifier, as `shap.TreeExplainer` accepts it."""
        self._check_fitted()
        return self.learners_["classifier"]

    def tree_margin(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of P(up) for rows from `transform`, as the library computes them: what tree SHAP values add up to."""
        return np.asarray(self._margin(self.tree_learner(), x), dtype=np.float64)


def _one_thread(booster: Any) -> Any:
    """An XGBoost booster that forecasts on one thread (its only work after training).

    Waking a second OpenMP thread costs more than it saves below about 1,000 rows (a live row:
    0.58 ms on two threads, 0.27 ms on one; 4,000 rows: 2.9 against 3.2 ms), and a live forecast
    already runs the members side by side. `inplace_predict` takes no thread count, hence the setting.
    """
    booster.set_param({"nthread": 1})
    return booster


def _variant(model: _BoosterPair) -> str:
    """The configured growth variant, refused with the ones this library offers when it has not that one."""
    variant = model.config.variant
    offered = VARIANTS[model.library]
    if variant not in offered:
        raise ConfigError(f"{model.model_id}: {model.library} has no variant {variant!r}; "
                          f"choose one of {', '.join(repr(v) for v in offered)}")
    return variant


class XGBoostModel(_BoosterPair):
    """Depth-wise histogram trees (``tree_method="hist"``), plain or DART (dropout of earlier trees)."""

    library = "xgboost"
    suffix = "ubj"

    def _train(self, classifier: bool, x: np.ndarray, y: np.ndarray, x_valid: np.ndarray,
               y_valid: np.ndarray, seed: int) -> Any:
        xgb = _native("xgboost")
        c = self.config
        dart = {"booster": "dart", "rate_drop": 0.1, "skip_drop": 0.5} if _variant(self) == "dart" else {}
        model = (xgb.XGBClassifier if classifier else xgb.XGBRegressor)(
            n_estimators=c.n_estimators, max_depth=c.max_depth, learning_rate=c.learning_rate,
            subsample=c.subsample, colsample_bytree=c.colsample, early_stopping_rounds=c.early_stopping_rounds,
            max_bin=c.max_bin,
            eval_metric="logloss" if classifier else "rmse", tree_method="hist", n_jobs=_threads(),
            random_state=seed, verbosity=0, **dart,
        )
        model.fit(x, y, eval_set=[(x_valid, y_valid)], verbose=False)
        return _one_thread(model.get_booster()[: model.best_iteration + 1])

    def _raw_predict(self, learner: Any, classifier: bool, x: np.ndarray) -> np.ndarray:
        return learner.inplace_predict(x)  # the objective applies the sigmoid for the classifier

    def _read(self, path: Path, classifier: bool) -> Any:
        xgb = _native("xgboost")
        booster = xgb.Booster()
        booster.load_model(str(path))
        return _one_thread(booster)

    def _leaves(self, learner: Any) -> list[int]:
        return [tree.count("leaf=") for tree in learner.get_dump()]  # a leaf dumps as "7:leaf=0.0123"

    def _margin(self, learner: Any, x: np.ndarray) -> np.ndarray:
        return learner.inplace_predict(x, predict_type="margin")


class LightGBMModel(_BoosterPair):
    """Leaf-wise trees; ``deterministic`` + forced column-wise histograms make a seed reproducible."""

    library = "lightgbm"
    suffix = "txt"

    def _params(self, seed: int, n_features: int) -> dict[str, Any]:
        """Training and binning parameters shared by both learners (the objective is added per learner)."""
        c = self.config
        variant = _variant(self)
        # GOSS samples rows by gradient itself and refuses bagging; a random forest needs bagging to differ per tree
        sampling = ({"data_sample_strategy": "goss"} if variant == "goss"
                    else {"bagging_fraction": c.subsample, "bagging_freq": 1})
        return {
            "num_leaves": c.num_leaves, "learning_rate": c.learning_rate, **sampling,
            "feature_fraction": max(c.colsample, min(1.0, TREE_FEATURES / n_features)),
            "max_bin": c.max_bin, "boosting": "rf" if variant == "rf" else "gbdt", "extra_trees": c.extra_trees,
            "num_threads": _threads("lightgbm"), "seed": seed, "deterministic": True, "force_col_wise": True,
            "verbose": -1, "bin_construct_sample_cnt": BIN_SAMPLE, "feature_pre_filter": False,
        }

    def _train(self, classifier: bool, x: np.ndarray, y: np.ndarray, x_valid: np.ndarray,
               y_valid: np.ndarray, seed: int) -> Any:
        lgb = _native("lightgbm")
        params = self._params(seed, x.shape[1])
        train, valid = self._binned(lgb, x, x_valid, params)
        train.set_label(y)
        valid.set_label(y_valid)
        # A forest's trees are averaged, not added: its validation loss is flat noise after a few trees, so
        # early stopping would keep one or two of them. A forest keeps all its trees.
        stopping = [] if params["boosting"] == "rf" else [lgb.early_stopping(self.config.early_stopping_rounds, verbose=False)]
        booster = lgb.train(
            {**params, "objective": "binary" if classifier else "regression"}, train,
            num_boost_round=self.config.n_estimators, valid_sets=[valid], callbacks=stopping,
        )
        return lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))

    def _binned(self, lgb: Any, x: np.ndarray, x_valid: np.ndarray, params: dict[str, Any]) -> tuple[Any, Any]:
        """Histogram-binned training and validation sets, built once per fit and shared by both learners.

        Binning costs as much as growing 20 trees here; the labels are swapped in per learner. In a
        walk-forward refit the rows are taken from the series binned once (`shared_across_folds`).
        """
        key = (id(x), id(x_valid))
        if getattr(self, "_bins", (None,))[0] != key:
            if self.fold_ is not None:
                binned = self.fold_.shared
                train, valid = (binned.subset(np.arange(rows.start, rows.stop), params=params).construct()
                                for rows in (self.fold_.train, self.fold_.valid))
            else:
                train = lgb.Dataset(x, np.zeros(len(x)), params=params, free_raw_data=True).construct()
                valid = lgb.Dataset(x_valid, np.zeros(len(x_valid)), params=params, reference=train).construct()
            self._bins = (key, train, valid)
        return self._bins[1], self._bins[2]

    def _fit(self, *args: Any, **kwargs: Any) -> None:
        try:
            super()._fit(*args, **kwargs)
        finally:
            self.__dict__.pop("_bins", None)  # the binned copy of the data is not kept with the model

    def shared_across_folds(self, features: pd.DataFrame, fit_rows: int, seed: int = 0) -> Any:
        """The whole series binned once, with bin edges placed from its first ``fit_rows`` rows only.

        Those are the rows the walk-forward's first fit sees, so no refit's bins depend on a later bar,
        and every refit then takes its rows from this one copy: binning 26 refits separately cost
        3.1 s of the 16 s benchmark walk-forward, binning once 0.25 s. Trees see unscaled features
        (`IdentityScaler`), so these are the values each fit would bin.
        """
        lgb = _native("lightgbm")
        params = self._params(seed, features.shape[1])
        values = features.to_numpy(dtype=np.float32)
        sample = values[: fit_rows : max(1, fit_rows // BIN_SAMPLE)]  # LightGBM places edges from BIN_SAMPLE rows anyway
        edges = lgb.Dataset(sample, np.zeros(len(sample)), params=params).construct()
        return lgb.Dataset(values, np.zeros(len(values)), params=params | {"num_threads": os.cpu_count() or 1},
                           reference=edges).construct()

    def parallel_refits(self) -> int:
        """Refits run side by side: one per core when each fit is single-threaded (see `_threads`)."""
        return max(1, (os.cpu_count() or 1) // _threads("lightgbm"))

    def _raw_predict(self, learner: Any, classifier: bool, x: np.ndarray) -> np.ndarray:
        return learner.predict(x, num_threads=_threads("lightgbm"))  # the objective applies the sigmoid

    def _read(self, path: Path, classifier: bool) -> Any:
        lgb = _native("lightgbm")
        return lgb.Booster(model_file=str(path))

    def _leaves(self, learner: Any) -> list[int]:
        return [tree["num_leaves"] for tree in learner.dump_model()["tree_info"]]

    def _margin(self, learner: Any, x: np.ndarray) -> np.ndarray:
        return learner.predict(x, raw_score=True)


class CatBoostModel(_BoosterPair):
    """Symmetric (oblivious) trees; ``use_best_model`` drops the trees after the best iteration."""

    library = "catboost"
    suffix = "cbm"

    def _train(self, classifier: bool, x: np.ndarray, y: np.ndarray, x_valid: np.ndarray,
               y_valid: np.ndarray, seed: int) -> Any:
        cb = _native("catboost")
        c = self.config
        _variant(self)  # CatBoost grows plain boosting only: any other variant is refused by name
        model = (cb.CatBoostClassifier if classifier else cb.CatBoostRegressor)(
            iterations=c.n_estimators, depth=c.max_depth, learning_rate=c.learning_rate,
            bootstrap_type="Bernoulli", subsample=c.subsample, rsm=c.colsample,
            early_stopping_rounds=c.early_stopping_rounds, use_best_model=True, random_seed=seed,
            thread_count=_threads(), verbose=False, allow_writing_files=False,  # no catboost_info/ folder
        )
        model.fit(x, y, eval_set=(x_valid, y_valid))
        return model

    def _inputs(self, x: np.ndarray) -> Any:
        return _native("catboost").Pool(x)  # predict would build this Pool twice: 0.2 ms each on a live row

    def _raw_predict(self, learner: Any, classifier: bool, x: Any) -> np.ndarray:
        if classifier:
            return learner.predict(x, prediction_type="Probability", thread_count=_threads())[:, 1]
        return learner.predict(x, thread_count=_threads())

    def _read(self, path: Path, classifier: bool) -> Any:
        cb = _native("catboost")
        return (cb.CatBoostClassifier if classifier else cb.CatBoostRegressor)().load_model(str(path))

    def _leaves(self, learner: Any) -> list[int]:
        return [int(n) for n in learner.get_tree_leaf_counts()]

    def _margin(self, learner: Any, x: np.ndarray) -> np.ndarray:
        return learner.predict(x, prediction_type="RawFormulaVal")


VARIANTS: dict[str, tuple[str, ...]] = {  # BoosterConfig.variant values each library grows ("" = plain boosting)
    "xgboost": ("", "dart"), "lightgbm": ("", "goss", "rf"), "catboost": ("",),
}
FOREST = "rf"  # the variant that makes a random forest (family "forest" in the registry) rather than boosting

BOOSTERS: dict[str, tuple[type[Model], dict[str, Any], str]] = {
    "xgboost": (XGBoostModel, {"n_estimators": 100, "max_depth": 6}, "XGBoost depth-wise trees, 100 rounds, depth 6"),
    # LightGBM is the quick model of the zoo (the walk-forward benchmark, the dashboard's first forecast):
    # 15 leaves, 20 % of the features per tree, 31 bins and a patience of 10 made the benchmark
    # walk-forward 3.6x faster than 31 leaves / 50 % / 63 bins / 20 (2.0 s against 7.1 s, both with the
    # shared binning) at 54.4 % against 54.2 % accuracy (+-0.8 points standard error; 4,280 forecasts).
    "lightgbm": (LightGBMModel, {"n_estimators": 100, "num_leaves": 15, "colsample": 0.2, "max_bin": 31,
                                 "early_stopping_rounds": 10},
                 "LightGBM leaf-wise trees, 100 rounds, 15 leaves, 20 % of the features per tree"),
    "catboost": (CatBoostModel, {"n_estimators": 100, "max_depth": 6}, "CatBoost symmetric trees, 100 iterations, depth 6"),
    "xgboost_deep": (XGBoostModel, {"n_estimators": 400, "max_depth": 10, "learning_rate": 0.02},
                     "XGBoost deep and slow: depth 10, learning rate 0.02, up to 400 rounds"),
    "xgboost_dart": (XGBoostModel, {"n_estimators": 100, "max_depth": 6, "variant": "dart"},
                     "XGBoost DART: each round drops 10 % of the earlier trees (dropout for boosting)"),
    "lightgbm_deep": (LightGBMModel, {"n_estimators": 400, "num_leaves": 63, "learning_rate": 0.02},
                      "LightGBM deep and slow: 63 leaves, learning rate 0.02, up to 400 rounds"),
    "lightgbm_goss": (LightGBMModel, {"n_estimators": 100, "num_leaves": 15, "colsample": 0.2, "variant": "goss"},
                      "LightGBM with gradient-based one-side sampling (GOSS) instead of bagging"),
    # Random forests are grown by LightGBM's "rf" mode (bagged trees, each on 80 % of the rows and a share of
    # the features, averaged): the forest algorithm in a native, checksummed text format, where scikit-learn's
    # forests could only be stored by pickling them.
    "random_forest": (LightGBMModel, {"n_estimators": 300, "num_leaves": 255, "colsample": 0.1, "variant": FOREST},
                      "random forest (LightGBM's rf mode): 300 deep trees (255 leaves), 10 % of the features each"),
    "random_forest_shallow": (LightGBMModel, {"n_estimators": 300, "num_leaves": 15, "colsample": 0.3,
                                              "variant": FOREST},
                              "random forest of 300 shallow trees (15 leaves), 30 % of the features each"),
    "extra_trees": (LightGBMModel, {"n_estimators": 300, "num_leaves": 255, "colsample": 0.1, "variant": FOREST,
                                    "extra_trees": True},
                    "extremely randomised trees: a random forest whose split thresholds are drawn at random"),
}
