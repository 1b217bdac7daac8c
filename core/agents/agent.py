"""Train, act, save and load one agent; saved agents are safetensors weights plus a sealed JSON config.

Stable-Baselines3's own zip holds pickled objects, so it is never written or read: the policy's
tensors go to ``weights.safetensors``, everything needed to rebuild the policy (agent id, spaces,
hyper-parameters, the frozen normaliser) to ``agent.json``, which also carries the weights' SHA-256
and a seal over itself. A file whose digest or seal does not match is refused before anything loads.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from core.agents.env import CLIP, TradingEnv
from core.agents.registry import AgentSpec, agent_spec
from core.errors import LydianError

WEIGHTS, CONFIG = "weights.safetensors", "agent.json"


class _Spaces(gym.Env):
    """Only the spaces: what an algorithm needs to rebuild its policy without data."""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space) -> None:
        self.observation_space, self.action_space = observation_space, action_space

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        return np.zeros(self.observation_space.shape, np.float32), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        return np.zeros(self.observation_space.shape, np.float32), 0.0, True, False, {}


def _build(spec: AgentSpec, env: gym.Env | Any, seed: int) -> Any:
    import torch

    torch.set_num_threads(1)  # tiny networks: threads cost more than they give
    policy = "MlpLstmPolicy" if spec.recurrent else "MlpPolicy"
    kwargs = copy.deepcopy(spec.kwargs)  # SB3 writes into policy_kwargs; the registry's dicts stay untouched
    return spec.algorithm()(policy, env, seed=seed, device="cpu", verbose=0, **kwargs)


@dataclass
class Agent:
    """A trained (or loaded) policy with what it needs to see data as it saw it in training."""

    spec: AgentSpec
    model: Any
    config: dict[str, Any]

    @classmethod
    def train(cls, agent_id: str, env: TradingEnv, steps: int, seed: int = 0) -> Agent:
        """Learn on ``env`` for ``steps`` environment steps (A3C's parallel actors each get a copy)."""
        from stable_baselines3.common.vec_env import DummyVecEnv

        spec = agent_spec(agent_id)
        if spec.continuous != env.continuous:
            raise LydianError(f"agent {agent_id} needs a {'continuous' if spec.continuous else 'discrete'} environment")
        vec = DummyVecEnv([lambda: env] + [lambda: env.copy() for _ in range(spec.n_envs - 1)]) \
            if spec.n_envs > 1 else env
        model = _build(spec, vec, seed)
        model.learn(total_timesteps=int(steps))
        config = {"agent": agent_id, "seed": seed, "steps": int(steps), "window": env.window,
                  "continuous": env.continuous, "normaliser": env.normaliser, "reward": env.reward_kind,
                  "observation_size": int(env.observation_space.shape[0])}
        return cls(spec, model, config)

    def act(self, env: TradingEnv) -> np.ndarray:
        """Deterministic target positions over every decision row of ``env`` (weights frozen)."""
        obs, _ = env.reset()
        state, start, out = None, np.ones(1, bool), []
        done = False
        while not done:
            action, state = self.model.predict(obs, state=state, episode_start=start, deterministic=True)
            start = np.zeros(1, bool)
            obs, _, done, _, info = env.step(action)
            out.append(info["position"])
        return np.asarray(out)

    def save(self, folder: Path) -> Path:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().cpu().contiguous().clone() for k, v in self.model.policy.state_dict().items()}
        save_file(tensors, str(folder / WEIGHTS))
        body = {**self.config, "weights_sha256": _sha256(folder / WEIGHTS), "format": "lydian-agent-1"}
        (folder / CONFIG).write_text(json.dumps({**body, "seal": _seal(body)}, indent=1))
        return folder

    @classmethod
    def load(cls, folder: Path) -> Agent:
        """Rebuild the policy from the JSON config and load the weights; refuse anything tampered with."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            config = json.loads((folder / CONFIG).read_text())
            seal = config.pop("seal")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LydianError(f"{folder}: not a saved Lydian agent ({CONFIG} missing or unreadable)") from exc
        if seal != _seal(config) or not (folder / WEIGHTS).is_file() or \
                _sha256(folder / WEIGHTS) != config.get("weights_sha256"):
            raise LydianError(f"{folder}: the saved agent was modified after saving (checksum mismatch); refused")
        spec = agent_spec(config["agent"])
        size = config["observation_size"]
        actions = gym.spaces.Box(-1.0, 1.0, (1,), np.float32) if config["continuous"] else gym.spaces.Discrete(3)
        model = _build(spec, _Spaces(gym.spaces.Box(-CLIP, CLIP, (size,), np.float32), actions), config["seed"])
        try:
            model.policy.load_state_dict(load_file(str(folder / WEIGHTS)), strict=True)
        except (SafetensorError, RuntimeError, OSError) as exc:
            raise LydianError(f"{folder}: the weights do not fit agent {spec.id}: {exc}") from exc
        model.policy.set_training_mode(False)
        return cls(spec, model, config)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _seal(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
