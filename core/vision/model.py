"""`ChartModel`: a forecaster that draws each window of candles as an image and classifies the image.

It reads the candle-shape columns of the ordinary causal feature table (`images.CANDLE_FEATURES`), which pin
down each bar's open, high, low, close and volume relative to its neighbours, so it needs no other input
than every forecaster gets. Those columns are read unscaled (an identity scaler: the image is scaled to each
window by the renderer). Training is the shared trainer's, fed one image per row as a one-step window;
weights are stored as safetensors. Forecasts run on PyTorch (no ONNX graph: a rendered image is not a
window of features, which is what the ONNX path feeds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from core.errors import DataError
from core.features.scaling import IdentityScaler
from core.models.base import Model, NotFittedError, Progress, json_ready
from core.models.device import configure_threads, pick_device
from core.models.torch_model import WEIGHTS, WeightsError
from core.models.trainer import EVAL_CHUNK, seed_everything, train_module
from core.vision import TAGS
from core.vision.config import ChartConfig
from core.vision.images import CANDLE_FEATURES, chart_windows, log_candles_from_features


class ChartModel(Model):
    """An image classifier (`core.vision.nets`) behind the `Model` interface."""

    sequence = True
    tags = TAGS
    scaler = IdentityScaler
    clip = None

    def __init__(self, model_id: str, config: ChartConfig, module_cls: type[nn.Module]) -> None:
        super().__init__(model_id, config)
        self.module_cls = module_cls

    @property
    def context_rows(self) -> int:
        """An image spans ``lookback`` bars and its moving average ``lookback`` more closes."""
        return 2 * self.lookback - 2

    def images(self, x: np.ndarray) -> np.ndarray:
        """Rows of (unscaled) features -> one image per row from `context_rows` on, flattened to (n, 1, pixels)."""
        candles = log_candles_from_features(x[:, self._columns()])
        images = chart_windows(candles, self.lookback, self.config.height)
        return images.reshape(len(images), 1, -1).astype(np.float32)

    def _fit(
        self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
        seed: int, device: str | None, progress: Progress | None,
    ) -> None:
        skip = self.context_rows
        if min(len(x_train), len(x_valid)) <= skip + 1:
            raise DataError(f"{self.model_id}: training and validation need more than {skip + 1} rows each")
        returns = y_train[skip:, 1]
        self.return_mean_ = float(returns.mean())
        self.return_std_ = float(returns.std()) or 1.0
        seed_everything(seed)
        self.module_ = self.module_cls(self.config)
        configure_threads()
        one_step = self.config.with_overrides({"lookback": 1})  # each image is one 'window' of one row
        result = train_module(
            self.module_, self.images(x_train)[:, 0], self._standardised(y_train[skip:]),
            self.images(x_valid)[:, 0], self._standardised(y_valid[skip:]), one_step,
            seed=seed, device=pick_device(device), progress=progress, name=self.model_id,
        )
        self.module_.to("cpu").eval()
        self.history_, self.best_epoch_ = result.history, result.best_epoch

    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = np.full((len(x), 2), np.nan)
        images = self.images(x)
        if len(images):
            with torch.inference_mode():
                raw = torch.cat([self.module_(torch.from_numpy(chunk)) for chunk in np.array_split(
                    images, max(1, -(-len(images) // EVAL_CHUNK)))]).double()
            out[self.context_rows:, 0] = torch.sigmoid(raw[:, 0]).numpy()
            out[self.context_rows:, 1] = raw[:, 1].numpy() * self.return_std_ + self.return_mean_
        return out[:, 0], out[:, 1]

    def _save_weights(self, folder: Path) -> dict[str, Any]:
        save_file({k: v.detach().cpu().contiguous() for k, v in self.module_.state_dict().items()}, str(folder / WEIGHTS))
        return json_ready({"return_mean": self.return_mean_, "return_std": self.return_std_,
                           "best_epoch": self.best_epoch_, "history": self.history_})

    def _load_weights(self, folder: Path, state: dict[str, Any]) -> None:
        module = self.module_cls(self.config)
        try:
            module.load_state_dict(load_file(str(folder / WEIGHTS)), strict=True)
        except (OSError, SafetensorError, RuntimeError) as exc:
            raise WeightsError(f"{self.model_id}: cannot load {folder / WEIGHTS}: the file is missing, damaged or "
                               f"was saved for another net ({str(exc).strip()[:120]}); retrain the model") from None
        self.module_ = module.eval()
        self.return_mean_, self.return_std_ = float(state["return_mean"]), float(state["return_std"])
        self.best_epoch_, self.history_ = int(state["best_epoch"]), list(state["history"])

    def n_parameters(self) -> int:
        if not hasattr(self, "module_"):
            raise NotFittedError(f"{self.model_id} is not trained yet")
        return sum(p.numel() for p in self.module_.parameters() if p.requires_grad)

    def _columns(self) -> list[int]:
        missing = [c for c in CANDLE_FEATURES if c not in self.feature_names_]
        if missing:
            raise DataError(f"{self.model_id}: draws candles from the features {', '.join(CANDLE_FEATURES)}; "
                            f"missing {', '.join(missing)}")
        return [self.feature_names_.index(c) for c in CANDLE_FEATURES]

    def _standardised(self, y: np.ndarray) -> np.ndarray:
        return np.column_stack([y[:, 0], (y[:, 1] - self.return_mean_) / self.return_std_]).astype(np.float32)
