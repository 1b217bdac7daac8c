"""A multi-asset trading environment: several symbols sharing one budget (gymnasium API).

The action is one target weight per symbol in [-1, 1]; weights are scaled down together when their
gross sum passes 1, so the book never holds more than its capital. Each symbol fills at bar t+1's
open and pays |weight change| x cost per side, through the same `asset_returns` as the policy layer,
so the step's net return is the sum of each symbol's positions-table net return.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from core.agents.env import CLIP, causal_features
from core.errors import LydianError
from core.policy.execution import Execution, asset_returns


def shared_bars(candles: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every symbol cut to the bars all of them have, so row t is the same time everywhere."""
    if len(candles) < 2:
        raise LydianError("a portfolio environment needs at least two symbols")
    frames = list(candles.values())
    index = frames[0].index
    for frame in frames[1:]:
        index = index.intersection(frame.index)
    return {s: c.loc[index] for s, c in candles.items()}


def budget(action: Any) -> np.ndarray:
    """Target weights in [-1, 1] scaled so their gross exposure is at most 1."""
    weights = np.clip(np.asarray(action, np.float64).reshape(-1), -1.0, 1.0)
    gross = np.abs(weights).sum()
    return weights / gross if gross > 1.0 else weights


class PortfolioEnv(gym.Env):
    """Trade ``candles`` (symbol -> frame) over decision rows ``rows``; normalisers per symbol are frozen."""

    metadata = {"render_modes": []}

    def __init__(self, candles: dict[str, pd.DataFrame], rows: np.ndarray, normalisers: dict[str, dict],
                 execution: Execution = Execution(), window: int = 16) -> None:
        aligned = shared_bars(candles)
        self.symbols = list(aligned)
        windows, returns = [], []
        for symbol, frame in aligned.items():
            scaled = (causal_features(frame) - np.asarray(normalisers[symbol]["mean"])) / np.asarray(
                normalisers[symbol]["scale"])
            view = np.lib.stride_tricks.sliding_window_view(np.clip(scaled, -CLIP, CLIP).astype(np.float32), window, 0)
            windows.append(view.transpose(0, 2, 1).reshape(len(view), -1))
            returns.append(asset_returns(frame["open"].to_numpy(np.float64), np.arange(len(frame)), execution.latency))
        self._windows, self.returns = np.concatenate(windows, axis=1), np.column_stack(returns)
        rows = np.asarray(rows, dtype=np.int64)
        self.rows = rows[(rows >= window) & (rows < len(self.returns)) & np.isfinite(self.returns[np.minimum(
            rows, len(self.returns) - 1)]).all(axis=1)]
        if len(self.rows) < 2:
            raise LydianError(f"too few shared bars to trade: need more than {window + 3}")
        self.window, self.cost, n = window, execution.cost_per_side, len(self.symbols)
        self.observation_space = gym.spaces.Box(-CLIP, CLIP, (self._windows.shape[1] + n + 1,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (n,), np.float32)
        self._i, self.weights = 0, np.zeros(n)

    def _obs(self) -> np.ndarray:
        cash = 1.0 - np.abs(self.weights).sum()
        return np.concatenate([self._windows[self.rows[self._i] - self.window + 1],
                               self.weights.astype(np.float32), np.array([cash], np.float32)])

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._i, self.weights = 0, np.zeros(len(self.symbols))
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        target = budget(action)
        cost = np.abs(target - self.weights) * self.cost
        net = target * self.returns[self.rows[self._i]] - cost
        self.weights = target
        info = {"net_return": float(net.sum()), "weights": target.copy(), "row": int(self.rows[self._i])}
        self._i += 1
        done = self._i >= len(self.rows)
        if done:
            self._i -= 1
        return self._obs(), float(np.log1p(net.sum())), done, False, info
