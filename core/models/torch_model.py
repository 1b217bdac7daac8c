"""`TorchModel`: the `Model` wrapper shared by every torch net, so a net file is only its ``nn.Module``.

The module contract: ``Module(n_features, cfg)``; ``forward(x: (batch, lookback, features)) ->
(batch, 2)`` = [logit P(up), standardised expected return]; attention nets add
``attention_weights(x) -> (batch, lookback)``. Training is `train_module`'s job; this file adds
target standardisation, device choice, vectorised prediction and safetensors persistence.

Weights go to ``weights.safetensors`` (never pickle, never ``torch.load``); a loaded model predicts on CPU,
a few windows at a time through the verified ONNX graph saved beside them (`core.models.onnx_runtime`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from core.errors import DataError, LydianError
from core.models import nets, onnx_runtime
from core.models.nets import _outputs as outputs
from core.models import capabilities as cap
from core.models.base import Model, NotFittedError, Progress, json_ready
from core.models.config import NetConfig
from core.models.device import configure_threads, pick_device
from core.models.trainer import EVAL_CHUNK, gather_windows, seed_everything, train_module

WEIGHTS = "weights.safetensors"


class WeightsError(LydianError):
    """A weights file that is missing, damaged or does not fit the net its config builds."""


class Highway(nn.Module):
    """The net plus a linear map of the forecast bar's own features (LSTNet's autoregressive highway).

    A linear signal in the latest bar (e.g. short-term mean reversion) is learnt directly instead of
    having to survive pooling or recurrence; the net adds what is non-linear. Zero-initialised, so
    training starts from the net alone.
    """

    def __init__(self, net: nn.Module, n_features: int, width: int = 2) -> None:
        super().__init__()
        self.net = net
        self.highway = nn.Linear(n_features, width)
        nn.init.zeros_(self.highway.weight)
        nn.init.zeros_(self.highway.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) + self.highway(x[:, -1])


def build_net(module_cls: type[nn.Module], n_features: int, config: NetConfig) -> Highway:
    """The module a TorchModel trains: the registered architecture behind the shared highway."""
    return Highway(module_cls(n_features, config), n_features, outputs.width(module_cls))


class TorchModel(Model):
    """Any contract-following ``nn.Module`` class behind the `Model` interface."""

    sequence = True
    tags = nets.TAGS

    def __init__(self, model_id: str, config: NetConfig, module_cls: type[nn.Module], family: str) -> None:
        super().__init__(model_id, config)
        self.module_cls = module_cls
        self.family = family
        self.tags = type(self).tags | nets.module_tags(module_cls)
        self.steps, self.levels = outputs.steps_of(module_cls), outputs.levels_of(module_cls)

    # ---- Model hooks
    def _fit(
        self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
        seed: int, device: str | None, progress: Progress | None,
    ) -> None:
        returns = y_train[self.lookback - 1:, 1]  # the rows that end a training window
        self.return_mean_ = float(returns.mean())
        self.return_std_ = float(returns.std()) or 1.0
        self.n_features_ = int(x_train.shape[1])
        self.graph_ = None  # a graph loaded earlier computes the old weights
        extra_train = outputs.horizon_targets(y_train[:, 1], self.steps, self._stride())
        known = extra_train[self.lookback - 1:]
        self.horizon_scale_ = [outputs.location_scale(known[:, c]) for c in range(1, known.shape[1], 2)]
        seed_everything(seed)  # before building, so the initial weights are seeded too
        self.module_ = build_net(self.module_cls, self.n_features_, self.config)
        torch_device = pick_device(device)
        configure_threads()
        result = train_module(
            self.module_, x_train, self._train_targets(y_train), x_valid, self._train_targets(y_valid), self.config,
            seed=seed, device=torch_device, progress=progress, name=self.model_id,
            extra=outputs.extra_loss(self.steps, self.levels, self.config.return_weight),
        )
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.device_ = str(torch_device)

    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = self._outputs(torch.from_numpy(self._raw(x))).numpy()
        return out[:, 0], out[:, 1]

    def _save_weights(self, folder: Path) -> dict[str, Any]:
        state = self.module_.state_dict()  # copies: safetensors refuses tensors that share memory (tied weights)
        tensors = {key: value.detach().to("cpu", copy=True).contiguous() for key, value in state.items()}
        save_file(tensors, str(folder / WEIGHTS))
        graph = onnx_runtime.export(self.module_, self.lookback, self.n_features_)
        if graph is not None:
            (folder / onnx_runtime.GRAPH).write_bytes(graph)
        return json_ready({
            "n_features": self.n_features_, "return_mean": self.return_mean_, "return_std": self.return_std_,
            "best_epoch": self.best_epoch_, "history": self.history_, "device": self.device_,
            "onnx": graph is not None, "horizon_scale": self.horizon_scale_,
        })

    def _load_weights(self, folder: Path, state: dict[str, Any]) -> None:
        self.n_features_ = int(state["n_features"])
        module = build_net(self.module_cls, self.n_features_, self.config)
        path = folder / WEIGHTS
        try:
            module.load_state_dict(load_file(str(path)), strict=True)
        except (OSError, SafetensorError, RuntimeError) as exc:
            raise WeightsError(
                f"{self.model_id}: cannot load {path}: the file is missing, damaged or was saved for a different "
                f"{self.family} net ({_first_line(exc)}); retrain the model"
            ) from None
        self.module_ = module.eval()
        self.return_mean_ = float(state["return_mean"])
        self.return_std_ = float(state["return_std"])
        self.best_epoch_ = int(state["best_epoch"])
        self.history_ = list(state["history"])
        self.device_ = str(state["device"])
        self.horizon_scale_ = [list(map(float, pair)) for pair in state.get("horizon_scale", [])]
        self.graph_ = self._load_graph(folder) if state.get("onnx") else None

    def n_parameters(self) -> int:
        if not hasattr(self, "module_"):
            raise NotFittedError(f"{self.model_id} is not trained yet: its size depends on the number of features")
        return sum(p.numel() for p in self.module_.parameters() if p.requires_grad)

    # ---- public extras, the capabilities explanations read (see core.models.capabilities)
    def predict_horizons(self, features: pd.DataFrame) -> pd.DataFrame:
        """Capability ``multi_horizon``: ``p_up_<bars>`` and ``expected_return_<bars>`` for every horizon the
        net forecasts (bars = step x horizon), the first pair equal to `predict`'s; NaN without a full window."""
        if cap.MULTI_HORIZON not in self.tags:
            return super().predict_horizons(features)
        raw = self._raw(self._inputs(features))
        columns: dict[str, np.ndarray] = {}
        for k, step in enumerate(self.steps):
            mean, std = (self.return_mean_, self.return_std_) if k == 0 else self.horizon_scale_[k - 1]
            bars = step * self._stride()
            columns[f"p_up_{bars}"] = torch.sigmoid(torch.from_numpy(raw[:, 2 * k])).numpy()
            columns[f"expected_return_{bars}"] = raw[:, 2 * k + 1] * std + mean
        return pd.DataFrame(columns, index=features.index)

    def predict_with_intervals(self, features: pd.DataFrame) -> pd.DataFrame:
        """Capability ``quantiles``: `predict` plus the 80 % and 95 % intervals of the return (`cap.INTERVALS`)
        from the learnt quantiles, sorted so that they never cross."""
        if cap.QUANTILES not in self.tags:
            raise LydianError(f"{self.model_id} gives no intervals (no capability {cap.QUANTILES})")
        x = self._inputs(features)
        raw = self._raw(x)
        heads = self._outputs(torch.from_numpy(raw)).numpy()
        first = 2 * len(self.steps)
        q = np.sort(raw[:, first : first + len(self.levels)], axis=1) * self.return_std_ + self.return_mean_
        at = {level: q[:, i] for i, level in enumerate(self.levels)}
        return pd.DataFrame({"p_up": heads[:, 0], "expected_return": heads[:, 1], "lo_80": at[0.1], "hi_80": at[0.9],
                             "lo_95": at[0.025], "hi_95": at[0.975]}, index=features.index)

    def predict_inputs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Windows (n, lookback, features) from `transform` -> P(up) and expected return, batched through the net."""
        self._check_fitted()
        device = next(self.module_.parameters()).device
        self.module_.eval()
        with torch.inference_mode():
            out = torch.cat([self._heads(torch.as_tensor(np.ascontiguousarray(chunk, np.float32), device=device)).cpu()
                             for chunk in np.array_split(x, max(1, len(x) // 1024))]).numpy()
        return out[:, 0], out[:, 1]

    def logit_module(self) -> nn.Module:
        """The net in eval mode as windows (batch, lookback, features) -> logit P(up) (batch, 1): what
        gradient explainers differentiate (the shared weights, not a copy)."""
        self._check_fitted()
        return _Logit(self.module_).eval()

    def attention_description(self) -> str:
        """What this architecture's attention weights mean (first line of its docstring); "" without attention."""
        method = getattr(self.module_cls, "attention_weights", None)
        lines = (method.__doc__ or "").strip().splitlines() if method is not None else []
        return lines[0] if lines else ""

    def attention(self, features: pd.DataFrame) -> pd.DataFrame | None:
        """Per-row attention over the look-back steps (columns ``lag_<k>``, k bars back); None for nets without it."""
        self._check_fitted()
        if not hasattr(self.module_.net, "attention_weights"):
            return None
        missing = [c for c in self.feature_names_ if c not in features.columns]
        if missing:
            raise DataError(f"{self.model_id}: features the model was trained on are missing, e.g. {missing[:3]}")
        scaled = self._scaled(features[self.feature_names_])
        weights = self._per_window(self.module_.net.attention_weights, scaled, self.lookback)
        columns = [f"lag_{k}" for k in range(self.lookback - 1, -1, -1)]
        return pd.DataFrame(weights, index=features.index, columns=columns)

    # ---- helpers
    def _load_graph(self, folder: Path) -> Any:
        """The saved ONNX graph as a session, refused unless it reproduces the weights just loaded."""
        path = folder / onnx_runtime.GRAPH
        try:
            graph = onnx_runtime.session(path.read_bytes())
            # one window tells another net's graph apart; batch sizes were checked when it was saved
            faithful = onnx_runtime.matches(graph, self.module_, self.lookback, self.n_features_, batches=(1,))
        except Exception as exc:  # noqa: BLE001 - OSError, or whatever ONNX Runtime raises on a bad graph
            raise WeightsError(f"{self.model_id}: cannot load {path} ({_first_line(exc)[:200]}); retrain the model") from None
        if not faithful:
            raise WeightsError(f"{self.model_id}: {path} does not compute what the weights do (altered?); retrain the model")
        return graph

    def _standardised(self, y: np.ndarray) -> np.ndarray:
        return np.column_stack([y[:, 0], (y[:, 1] - self.return_mean_) / self.return_std_]).astype(np.float32)

    def _stride(self) -> int:
        """Bars of one horizon step: the config's horizon on multi-horizon nets."""
        return int(getattr(self.config, "horizon", 1))

    def _train_targets(self, y: np.ndarray) -> np.ndarray:
        """The trainer's targets: standardised [direction, return], then each extra horizon's (NaN: unknown)."""
        extra = outputs.horizon_targets(y[:, 1], self.steps, self._stride())
        for pair, (mean, std) in enumerate(self.horizon_scale_):
            extra[:, 2 * pair + 1] = (extra[:, 2 * pair + 1] - mean) / std
        return np.column_stack([self._standardised(y), extra]).astype(np.float32)

    def _inputs(self, features: pd.DataFrame) -> np.ndarray:
        """Features checked against the trained list, reordered, scaled: what `predict_values` feeds `_predict`."""
        self._check_fitted()
        missing = [c for c in self.feature_names_ if c not in features.columns]
        if missing:
            raise DataError(f"{self.model_id}: {len(missing)} feature(s) the model was trained on are missing, e.g. {missing[:3]}")
        return self._scaled(features[self.feature_names_])

    def _raw(self, x: np.ndarray) -> np.ndarray:
        """Raw net outputs (rows x width) for scaled rows, NaN before the first full window; live windows
        go through the verified ONNX graph, blocks through PyTorch."""
        n_windows = len(x) - self.lookback + 1
        if self.graph_ is not None and 0 < n_windows <= onnx_runtime.MAX_WINDOWS:
            out = np.full((len(x), outputs.width(self.module_cls)), np.nan)
            windows = np.lib.stride_tricks.sliding_window_view(x, self.lookback, axis=0).transpose(0, 2, 1)
            out[self.lookback - 1:] = onnx_runtime.run(self.graph_, np.ascontiguousarray(windows))
            return out
        return self._per_window(self.module_, x, outputs.width(self.module_cls))

    def _heads(self, windows: torch.Tensor) -> torch.Tensor:
        """Windows -> [P(up), expected return in the target's own units], in float64."""
        return self._outputs(self.module_(windows))

    def _outputs(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw net output (from the module or its ONNX graph) -> [P(up), expected return], in float64."""
        out = raw.double()
        return torch.stack([torch.sigmoid(out[:, 0]), out[:, 1] * self.return_std_ + self.return_mean_], dim=1)

    def _per_window(self, fn: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray, width: int) -> np.ndarray:
        """``fn`` over every full window of ``x``, in chunks; row r gets the output of the window ending at r.

        Rows before ``lookback - 1`` have no full window and stay NaN.
        """
        out = np.full((len(x), width), np.nan)
        n_windows = len(x) - self.lookback + 1
        if n_windows <= 0:
            return out
        device = next(self.module_.parameters()).device
        features = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32), device=device)
        if self.module_.training:  # eval() walks every submodule: 0.3 ms a call, more than a CNN's forward pass
            self.module_.eval()
        with torch.inference_mode():
            parts = [
                fn(gather_windows(features, starts, self.lookback)).double().cpu()
                for starts in torch.arange(n_windows, device=device).split(EVAL_CHUNK)
            ]
        out[self.lookback - 1:] = torch.cat(parts).numpy()
        return out


class _Logit(nn.Module):
    """A net's first output, logit P(up), as the (batch, 1) output gradient explainers expect."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        return self.net(windows)[:, :1]


def _first_line(exc: Exception) -> str:
    """The first line of an exception's message (library errors can run to pages), or its type."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
