"""Anomaly detectors: Isolation Forest, one-class SVM (scikit-learn) and a torch autoencoder.

Each keeps its fitted model as arrays (the forest's trees, the SVM's support vectors, the
network's weights) and scores from them, so a loaded detector scores exactly as it did when fitted;
the tests check those scores against the libraries' own ``score_samples``/``decision_function``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.regimes.base import Detector, register


def _average_path(n: np.ndarray) -> np.ndarray:
    """Expected path length of an unsuccessful search in a binary tree of n points (Liu et al. 2008)."""
    n = np.asarray(n, dtype=np.float64)
    out = np.where(n == 2, 1.0, 0.0)
    big = n > 2
    out[big] = 2 * (np.log(n[big] - 1) + np.euler_gamma) - 2 * (n[big] - 1) / n[big]
    return out


@register
class IsolationForestDetector(Detector):
    """Short isolation paths are anomalies; the score is -score_samples (0.5 typical, near 1 anomalous)."""

    name, kind = "isolation_forest", "anomaly"

    def _fit(self, z: np.ndarray) -> dict[str, np.ndarray]:
        from sklearn.ensemble import IsolationForest

        model = IsolationForest(n_estimators=100, random_state=self.seed).fit(z)
        trees = [(e.tree_, f) for e, f in zip(model.estimators_, model.estimators_features_)]
        width = max(t.node_count for t, _ in trees)

        def pad(values: list[np.ndarray], fill: float) -> np.ndarray:
            return np.stack([np.pad(v, (0, width - len(v)), constant_values=fill) for v in values])

        return {
            "left": pad([t.children_left for t, _ in trees], -1).astype(np.int64),
            "right": pad([t.children_right for t, _ in trees], -1).astype(np.int64),
            "feature": pad([np.where(t.feature >= 0, f[np.maximum(t.feature, 0)], -1) for t, f in trees], -1
                           ).astype(np.int64),
            "threshold": pad([t.threshold for t, _ in trees], 0.0),
            "samples": pad([t.n_node_samples for t, _ in trees], 0).astype(np.float64),
            "max_samples": np.array([float(model.max_samples_)]),
        }

    def _score(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.state_
        n_trees, width = s["left"].shape
        offset = (np.arange(n_trees) * width)[:, None]  # nodes of all trees in one flat array: 1-D takes are fast
        left = np.where(s["left"] >= 0, s["left"] + offset, -1).ravel()
        right = (s["right"] + offset).ravel()
        feature, threshold = np.maximum(s["feature"], 0).ravel(), s["threshold"].ravel()
        cell = (np.arange(len(z)) * z.shape[1])[None, :]
        node = np.repeat(offset, len(z), axis=1).ravel()  # every tree walks every row at once, a level a step
        depth = np.zeros(node.shape)
        values, cells = z.ravel(), np.broadcast_to(cell, (n_trees, len(z))).ravel()
        while (inner := left.take(node) >= 0).any():
            go_left = values.take(cells + feature.take(node)) <= threshold.take(node)
            node = np.where(inner, np.where(go_left, left.take(node), right.take(node)), node)
            depth += inner
        paths = (depth + _average_path(s["samples"].ravel().take(node))).reshape(n_trees, len(z))
        scores = 2.0 ** (-paths.mean(axis=0) / _average_path(s["max_samples"])[0])
        return np.zeros(len(z), dtype=np.int64), scores


@register
class OneClassSVMDetector(Detector):
    """RBF one-class SVM; the score is minus its decision function. Fits on the last 2,000 bars (O(n^2))."""

    name, kind = "one_class_svm", "anomaly"
    max_fit_rows = 2000

    def _fit(self, z: np.ndarray) -> dict[str, np.ndarray]:
        from sklearn.svm import OneClassSVM

        model = OneClassSVM(kernel="rbf", gamma="scale", nu=0.05).fit(z)
        return {"support": model.support_vectors_, "dual": model.dual_coef_[0],
                "intercept": np.asarray(model.intercept_, dtype=np.float64), "gamma": np.array([model._gamma])}

    def _score(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.metrics.pairwise import rbf_kernel

        s = self.state_
        decision = rbf_kernel(z, s["support"], gamma=float(s["gamma"][0])) @ s["dual"] + s["intercept"][0]
        return np.zeros(len(z), dtype=np.int64), -decision


@register
class AutoencoderDetector(Detector):
    """A small torch autoencoder over the last ``WINDOW`` bars: a pattern it cannot rebuild is an anomaly.

    The score is the mean squared reconstruction error of the window ending at the bar; the first
    rows of a block repeat its first bar as history (only earlier-or-equal bars, so still causal).
    """

    name, kind = "autoencoder", "anomaly"
    WINDOW = 8
    warmup = WINDOW - 1
    max_fit_rows = 5000
    EPOCHS = 30

    def _windows(self, z: np.ndarray) -> np.ndarray:
        padded = np.concatenate([np.repeat(z[:1], self.WINDOW - 1, axis=0), z])
        return np.lib.stride_tricks.sliding_window_view(padded, self.WINDOW, axis=0).reshape(len(z), -1)

    def _network(self, width: int) -> "torch.nn.Module":  # noqa: F821
        from torch import nn

        return nn.Sequential(nn.Linear(width, 12), nn.Tanh(), nn.Linear(12, 4), nn.Tanh(),
                             nn.Linear(4, 12), nn.Tanh(), nn.Linear(12, width))

    def _fit(self, z: np.ndarray) -> dict[str, np.ndarray]:
        import torch

        torch.manual_seed(self.seed)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a 1,000-weight net: more threads only contend (restored below)
        try:
            return self._train(z, torch)
        finally:
            torch.set_num_threads(threads)

    def _train(self, z: np.ndarray, torch: Any) -> dict[str, np.ndarray]:
        x = torch.tensor(self._windows(z), dtype=torch.float32)
        net = self._network(x.shape[1])
        optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
        order = torch.Generator().manual_seed(self.seed)
        for _ in range(self.EPOCHS):
            for batch in torch.randperm(len(x), generator=order).split(256):
                optimiser.zero_grad()
                loss = ((net(x[batch]) - x[batch]) ** 2).mean()
                loss.backward()
                optimiser.step()
        return {f"net.{k}": v.detach().numpy().astype(np.float64) for k, v in net.state_dict().items()}

    def _score(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        x = torch.tensor(self._windows(z), dtype=torch.float32)
        net = self._network(x.shape[1])
        net.load_state_dict({k[4:]: torch.tensor(v, dtype=torch.float32)
                             for k, v in self.state_.items() if k.startswith("net.")})
        with torch.no_grad():
            error = ((net(x) - x) ** 2).mean(dim=1).numpy()
        return np.zeros(len(z), dtype=np.int64), error.astype(np.float64)
