"""Choosing a policy's configuration without looking at the bars it trades.

Every configuration of the grid is run side by side (each is computable in real time). Before
each block of rows, the configuration with the best Sharpe after costs on the rows whose
outcome is already known is chosen to trade that block; until one block of outcomes is known
the policy's default trades. A row's outcome is known once its exit open has printed, i.e. two
bars (plus the latency) after its decision, so the choice never sees the block it trades.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Selection:
    position: np.ndarray  # the positions actually traded
    choice: np.ndarray  # index of the configuration trading each row
    starts: np.ndarray  # first row of each block


def select(net: np.ndarray, candidates: np.ndarray, default: int, block: int, latency: int = 0) -> Selection:
    """Stitch the rows of ``candidates`` (N x T positions) from the configuration chosen per block.

    ``net`` (N x T) holds each configuration's own net returns; only rows strictly known at a
    block's first decision (row <= start - 2 - latency) inform its choice.
    """
    n_configs, n_rows = net.shape
    zeros = np.zeros((n_configs, 1))
    first = np.concatenate([zeros, np.cumsum(net, axis=1)], axis=1)
    second = np.concatenate([zeros, np.cumsum(net**2, axis=1)], axis=1)
    starts = np.arange(0, n_rows, block)
    known = np.clip(starts - 1 - latency, 0, n_rows)
    chosen = np.full(len(starts), default)
    for b, k in enumerate(known):
        if k < block or n_configs == 1:
            continue
        mean = first[:, k] / k
        std = np.sqrt(np.maximum(second[:, k] / k - mean**2, 0.0) * k / (k - 1))
        score = np.where(std > 0, mean / np.where(std > 0, std, 1.0), 0.0)  # never trading scores 0
        chosen[b] = int(np.argmax(score))
    choice = np.repeat(chosen, block)[:n_rows]
    return Selection(candidates[choice, np.arange(n_rows)], choice, starts)
