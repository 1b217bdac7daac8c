"""A trained net's live forecasts through ONNX Runtime: the same maths without PyTorch's per-op cost.

A live forecast runs each net on one window. At that size PyTorch spends most of its time
dispatching ops (gru_standard: 1.3 ms a window, against 0.27 ms in ONNX Runtime) and takes the
GIL between them, so nets run side by side on two cores barely overlap; ONNX Runtime runs the
whole graph in C++ without the GIL. The graph is exported from the trained module when the model
is saved and only kept if it reproduces the module on probe windows; the store checksums it with
the weights, and loading checks it against the safetensors weights again, so a live forecast is
always the evaluated model's. A net whose graph does not export or does not match keeps the
PyTorch path (every registered net exports today, which the contract tests check; cnn_dilated needed
`CentredConv1d`, transformer_informer an out-of-place scatter).
"""

from __future__ import annotations

import copy
import io
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

GRAPH = "graph.onnx"
MAX_WINDOWS = 64  # more windows per call and PyTorch's batched kernels are as fast
TOLERANCE = 1e-4  # largest difference allowed from the module's raw outputs (seen: about 1e-7)
PROBE_BATCHES = (1, 3)


def export(module: nn.Module, lookback: int, n_features: int) -> bytes | None:
    """The module as an ONNX graph that reproduces it, or None when it cannot be exported faithfully."""
    cpu = copy.deepcopy(module).cpu().eval()
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer notes about Python-level shape checks, not errors
            torch.onnx.export(
                cpu, (torch.from_numpy(_probe(1, lookback, n_features)),), buffer, dynamo=False,
                input_names=["windows"], output_names=["out"], dynamic_axes={"windows": {0: "batch"}, "out": {0: "batch"}},
            )
        graph = buffer.getvalue()
        return graph if matches(session(graph), cpu, lookback, n_features) else None
    except Exception:  # noqa: BLE001 - any exporter or runtime failure means: keep the PyTorch path
        return None


def session(graph: bytes) -> Any:
    """An ONNX Runtime session on one thread: live forecasts run the members side by side, one per core."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # fatal only: a graph that fails to run is reported by the caller
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def matches(graph_session: Any, module: nn.Module, lookback: int, n_features: int,
            batches: tuple[int, ...] = PROBE_BATCHES) -> bool:
    """Whether the graph gives the module's raw outputs on probe windows (``module`` on the CPU, in eval mode)."""
    for batch in batches:
        probe = _probe(batch, lookback, n_features)
        with torch.no_grad():
            want = module(torch.from_numpy(probe)).numpy()
        got = run(graph_session, probe)
        if got.shape != want.shape or not np.allclose(got, want, rtol=0.0, atol=TOLERANCE):
            return False
    return True


def run(graph_session: Any, windows: np.ndarray) -> np.ndarray:
    """Raw net outputs for float32 windows of shape (n, lookback, n_features)."""
    return graph_session.run(None, {"windows": windows})[0]


def _probe(batch: int, lookback: int, n_features: int) -> np.ndarray:
    """Fixed windows shaped like scaled features (standard normal, clipped as the models clip)."""
    values = np.random.default_rng(batch).standard_normal((batch, lookback, n_features))
    return np.clip(values, -5.0, 5.0).astype(np.float32)
