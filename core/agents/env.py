"""A single-asset trading environment (gymnasium API) that cannot see the future or trade for free.

The decision at bar t's close sees only the causal feature window ending at t (plus position and
cash). It fills at bar t+1's open (+ latency) and earns open[t+2+lat] / open[t+1+lat] - 1, minus
|position change| x cost per side: exactly `core.policy.execution`'s returns and costs, so the
env's rewards and the policy layer's positions table agree bar for bar (tests prove it).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from core.errors import LydianError
from core.policy.execution import Execution, asset_returns

FEATURES = ("log_return", "high_range", "low_range", "log_volume_change")
DISCRETE_POSITIONS = np.array([-1.0, 0.0, 1.0])  # action 0 short, 1 flat, 2 long
CLIP = 10.0  # normalised features beyond 10 scales are clipped (a bounded observation space)
DSR_ETA = 0.01  # adaptation rate of the differential Sharpe ratio's moving moments


def causal_features(candles: pd.DataFrame) -> np.ndarray:
    """Scale-free features of each bar from that bar and the one before it only (T x 4, float64)."""
    close = candles["close"].to_numpy(np.float64)
    volume = np.maximum(candles["volume"].to_numpy(np.float64), 1e-12)
    log_return = np.diff(np.log(close), prepend=np.log(close[0]))
    volume_change = np.clip(np.diff(np.log(volume), prepend=np.log(volume[0])), -5.0, 5.0)
    high = np.log(candles["high"].to_numpy(np.float64) / close)
    low = np.log(candles["low"].to_numpy(np.float64) / close)
    return np.column_stack([log_return, high, low, volume_change])


def fit_normaliser(features: np.ndarray) -> dict[str, list[float]]:
    """Mean and scale of the training rows; frozen and reused, never refitted on evaluation bars."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    return {"mean": mean.tolist(), "scale": np.where(scale > 0, scale, 1.0).tolist()}


class TradingEnv(gym.Env):
    """Trade one asset over decision rows ``rows`` of ``candles``; one step = one bar."""

    metadata = {"render_modes": []}

    def __init__(self, candles: pd.DataFrame, rows: np.ndarray, normaliser: dict[str, list[float]],
                 execution: Execution = Execution(), window: int = 16, continuous: bool = False,
                 reward: str = "log_return") -> None:
        if reward not in ("log_return", "differential_sharpe"):
            raise LydianError(f"unknown reward {reward!r}; expected log_return or differential_sharpe")
        self._args = (candles, rows, normaliser, execution, window, continuous, reward)
        self.normaliser = normaliser
        features = (causal_features(candles) - np.asarray(normaliser["mean"])) / np.asarray(normaliser["scale"])
        features = np.clip(features, -CLIP, CLIP)
        returns = asset_returns(candles["open"].to_numpy(np.float64), np.arange(len(candles)), execution.latency)
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[(rows >= window) & np.isfinite(returns[rows])]
        if len(rows) < 2:
            raise LydianError(f"too few bars to trade: need more than {window + 3} candles")
        self._windows = np.lib.stride_tricks.sliding_window_view(features.astype(np.float32), window, axis=0)
        self._windows = self._windows.transpose(0, 2, 1).reshape(len(self._windows), -1)  # row i ends at bar i+window-1
        self.rows, self.returns, self.window = rows, returns, window
        self.cost, self.reward_kind, self.continuous = execution.cost_per_side, reward, continuous
        self.observation_space = gym.spaces.Box(-CLIP, CLIP, (window * len(FEATURES) + 2,), np.float32)
        self.action_space = (gym.spaces.Box(-1.0, 1.0, (1,), np.float32) if continuous
                             else gym.spaces.Discrete(len(DISCRETE_POSITIONS)))
        self._i, self.position, self._moments = 0, 0.0, (0.0, 0.0)

    def copy(self) -> TradingEnv:
        """A fresh environment over the same bars (one per parallel actor)."""
        return TradingEnv(*self._args)

    def _obs(self) -> np.ndarray:
        window = self._windows[self.rows[self._i] - self.window + 1]
        return np.concatenate([window, np.array([self.position, 1.0 - abs(self.position)], np.float32)])

    def target(self, action: Any) -> float:
        """The position an action asks for: short/flat/long, or a clipped target in [-1, 1]."""
        if self.continuous:
            return float(np.clip(np.asarray(action, np.float64).reshape(-1)[0], -1.0, 1.0))
        return float(DISCRETE_POSITIONS[int(action)])

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._i, self.position, self._moments = 0, 0.0, (0.0, 0.0)
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        target = self.target(action)
        cost = abs(target - self.position) * self.cost
        net = target * self.returns[self.rows[self._i]] - cost
        self.position = target
        reward = float(np.log1p(net)) if self.reward_kind == "log_return" else self._differential_sharpe(net)
        info = {"net_return": float(net), "cost": float(cost), "position": target, "row": int(self.rows[self._i])}
        self._i += 1
        done = self._i >= len(self.rows)
        if done:
            self._i -= 1  # the final observation repeats the last decision bar; it is never acted on
        return self._obs(), reward, done, False, info

    def _differential_sharpe(self, net: float) -> float:
        """Moody and Saffell's differential Sharpe ratio: the step's marginal effect on an EMA Sharpe."""
        a, b = self._moments
        da, db = net - a, net * net - b
        variance = b - a * a
        value = (b * da - 0.5 * a * db) / variance**1.5 if variance > 1e-12 else 0.0
        self._moments = (a + DSR_ETA * da, b + DSR_ETA * db)
        return float(np.clip(value, -10.0, 10.0))
