"""A t-SNE map of the feature space, each bar coloured by what followed it.

If the ~250 causal features separated the bars that went up from those that went down, the two
colours would form regions; on liquid crypto markets they mostly do not, which is the honest
picture of why 50-55 % direction accuracy is normal. t-SNE (scikit-learn) is quadratic-ish in the
rows, so it runs on an evenly spaced, seeded subsample after a PCA to 30 dimensions (the usual
preprocessing; t-SNE then sees the main directions of variance, not 250 noisy ones). Maps are kept
in memory per (data, horizon, rows, seed): a second request is free.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.fingerprint import data_fingerprint, digest
from core.lru import Lru
from core.models.dataset import prepare

ROWS = 500  # bars in the map: about 15 s of t-SNE on two busy cores (600 bars took 20 s)
PCA_DIMS = 30
_maps: Lru[pd.DataFrame] = Lru(16)


def feature_map(candles: pd.DataFrame, horizon: int = 1, rows: int = ROWS, seed: int = 0,
                perplexity: float = 30.0) -> pd.DataFrame:
    """Columns x, y (the t-SNE plane), outcome ("up"/"down" over the horizon), future_return; index: bar time."""
    key = digest({"data": data_fingerprint(candles), "horizon": horizon, "rows": rows, "seed": seed,
                  "perplexity": perplexity})
    if (hit := _maps.get(key)) is not None:
        return hit.copy()
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    dataset = prepare(candles, horizon)
    features, targets = dataset.features, dataset.targets
    take = np.unique(np.linspace(0, len(features) - 1, min(rows, len(features))).astype(int))
    x = features.iloc[take].to_numpy(np.float64)
    x = np.where(np.isnan(x), np.nanmedian(x, axis=0), x)
    scale = x.std(axis=0)
    x = np.clip((x - x.mean(axis=0)) / np.where(scale > 0, scale, 1.0), -10, 10)
    x = PCA(n_components=min(PCA_DIMS, *x.shape), random_state=seed).fit_transform(x)
    plane = TSNE(n_components=2, perplexity=min(perplexity, (len(x) - 1) / 3), init="pca", learning_rate="auto",
                 random_state=seed).fit_transform(x)
    picked = targets.iloc[take]
    result = pd.DataFrame({"x": plane[:, 0], "y": plane[:, 1],
                           "outcome": np.where(picked["direction"].to_numpy() > 0.5, "up", "down"),
                           "future_return": picked["future_return"].to_numpy()}, index=features.index[take])
    _maps.put(key, result)
    return result.copy()
