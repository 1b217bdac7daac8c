"""Regime detectors: K-Means, DBSCAN and a Gaussian HMM (forward-filtered only), fitted by their libraries."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from core.regimes.base import Detector, register


@register
class KMeansDetector(Detector):
    """Nearest fitted centroid; the distance to it is the anomaly score."""

    name, kind = "kmeans", "regime"

    def _fit(self, z: np.ndarray) -> dict[str, np.ndarray]:
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=self.n_regimes, n_init=10, random_state=self.seed).fit(z)
        return {"centers": model.cluster_centers_}

    def _score(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        distances = np.linalg.norm(z[:, None, :] - self.state_["centers"][None], axis=2)
        return distances.argmin(axis=1), distances.min(axis=1)


@register
class DBSCANDetector(Detector):
    """Density clusters; a new bar joins the cluster of its nearest core sample within eps, else noise (-1).

    DBSCAN chooses its own number of clusters, so ``n_regimes`` is not used. eps is the median
    distance to the ``MIN_SAMPLES``-th neighbour in the training window, so it follows the data's scale.
    """

    name, kind = "dbscan", "regime"
    max_fit_rows = 5000
    MIN_SAMPLES = 20

    def _fit(self, z: np.ndarray) -> dict[str, np.ndarray]:
        from sklearn.cluster import DBSCAN

        eps = float(np.median(cKDTree(z).query(z, k=self.MIN_SAMPLES + 1)[0][:, -1]))
        model = DBSCAN(eps=eps, min_samples=self.MIN_SAMPLES).fit(z)
        core = model.core_sample_indices_
        return {"core": z[core], "core_label": model.labels_[core].astype(np.int64), "eps": np.array([eps])}

    def _score(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(self.state_["core"]) == 0:
            return np.full(len(z), -1), np.full(len(z), np.inf)
        distance, nearest = cKDTree(self.state_["core"]).query(z, k=1)
        regimes = np.where(distance <= self.state_["eps"][0], self.state_["core_label"][nearest], -1)
        return regimes, distance


@register
class HMMDetector(Detector):
    """Gaussian HMM fitted by hmmlearn; bars are labelled by the forward filter P(state_t | bars <= t).

    hmmlearn's predict/predict_proba decode with Viterbi or forward-backward smoothing, which
    read later bars, so only the fitted parameters are taken from it. The anomaly score is the
    negative log predictive density of the bar given the bars before it.
    """

    name, kind = "hmm", "regime"
    warmup = 168
    max_fit_rows = 20000

    def _fit(self, z: np.ndarray) -> dict[str, np.ndarray]:
        from hmmlearn.hmm import GaussianHMM

        model = GaussianHMM(n_components=self.n_regimes, covariance_type="diag", n_iter=60, random_state=self.seed)
        model.fit(z)
        variances = np.stack([np.diag(c) for c in model.covars_])
        return {"start": model.startprob_, "transition": model.transmat_, "means": model.means_,
                "variances": variances}

    def _score(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        means, variances = self.state_["means"], self.state_["variances"]
        log_emission = -0.5 * (((z[:, None, :] - means[None]) ** 2 / variances[None])
                               + np.log(2 * np.pi * variances[None])).sum(axis=2)
        peak = log_emission.max(axis=1, keepdims=True)
        emission, transition = np.exp(log_emission - peak), self.state_["transition"]
        prior = self.state_["start"]
        filtered = np.empty_like(emission)
        evidence = np.empty(len(z))
        for t in range(len(z)):  # the forward recursion, normalised at every bar
            joint = prior * emission[t]
            evidence[t] = max(joint.sum(), 1e-300)
            filtered[t] = joint / evidence[t]
            prior = filtered[t] @ transition
        return filtered.argmax(axis=1), -(np.log(np.maximum(evidence, 1e-300)) + peak[:, 0])
