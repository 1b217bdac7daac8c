"""Every reinforcement-learning method the specification names, built or honestly not.

A built agent is a Stable-Baselines3 / sb3-contrib algorithm with small networks (the features
are 64 numbers, the actions three); a method without a maintained implementation that installs on
our pins is listed with ``available: false`` and the reason, never replaced by a home-made toy.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field
from typing import Any

from core.errors import LydianError

NET = {"net_arch": [64, 64]}


@dataclass(frozen=True)
class AgentSpec:
    """One named method: where it comes from and how it is built (``algo`` = 'module:Class')."""

    id: str
    family: str
    library: str
    label: str
    algo: str = ""
    continuous: bool = False  # acts with a target position in [-1, 1] instead of short/flat/long
    recurrent: bool = False
    n_envs: int = 1  # parallel actors (A3C's asynchronous actors become A2C's synchronous ones)
    kwargs: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @property
    def available(self) -> bool:
        return not self.reason

    def describe(self) -> dict[str, Any]:
        keep = ("id", "family", "library", "label", "continuous", "recurrent", "n_envs")
        out = {k: v for k, v in asdict(self).items() if k in keep}
        out["available"] = self.available
        if self.reason:
            out["reason"] = self.reason
        return out

    def algorithm(self) -> type:
        module, name = self.algo.split(":")
        return getattr(importlib.import_module(module), name)


_SB3, _CONTRIB = "stable_baselines3", "sb3_contrib"
_DQN = {"learning_starts": 100, "buffer_size": 20_000, "train_freq": 4, "target_update_interval": 250,
        "exploration_fraction": 0.3, "batch_size": 64, "learning_rate": 1e-3, "policy_kwargs": NET}
_ON_POLICY = {"n_steps": 256, "learning_rate": 1e-3, "policy_kwargs": NET}
_OFF_CONT = {"learning_starts": 100, "buffer_size": 20_000, "batch_size": 64, "policy_kwargs": NET}
_NO_DQN_VARIANT = ("tianshou 2.0.0, which has it, does not resolve against requirements-lock.txt (pip install "
                   "--dry-run backtracks to tianshou 0.5.1, a 2023 release); SB3's DQN has no {0} option, and a "
                   "home-made one is not shipped")
_NO_MARL = ("no maintained multi-agent learner is installed (tianshou 2 does not resolve on our pins; RLlib, "
            "BenchMARL/TorchRL were not added), so the multi-agent environment and this method are not built")

AGENTS: dict[str, AgentSpec] = {s.id: s for s in (
    AgentSpec("dqn", "dqn", _SB3, "DQN", f"{_SB3}:DQN", kwargs=_DQN),
    AgentSpec("qrdqn", "dqn", _CONTRIB, "Quantile-regression DQN", f"{_CONTRIB}:QRDQN",
              kwargs={**_DQN, "policy_kwargs": {**NET, "n_quantiles": 25}}),
    AgentSpec("a2c", "policy_gradient", _SB3, "A2C", f"{_SB3}:A2C", kwargs={"n_steps": 32, "learning_rate": 7e-4,
                                                                         "policy_kwargs": NET}),
    AgentSpec("a3c", "policy_gradient", _SB3, "A3C as A2C with 4 synchronous parallel actors (what modern "
              "libraries ship instead of asynchronous updates)", f"{_SB3}:A2C", n_envs=4,
              kwargs={"n_steps": 8, "learning_rate": 7e-4, "policy_kwargs": NET}),
    AgentSpec("ppo", "policy_gradient", _SB3, "PPO", f"{_SB3}:PPO", kwargs={**_ON_POLICY, "batch_size": 64}),
    AgentSpec("recurrent_ppo", "policy_gradient", _CONTRIB, "Recurrent PPO (LSTM policy)", f"{_CONTRIB}:RecurrentPPO",
              recurrent=True, kwargs={"n_steps": 128, "batch_size": 64, "learning_rate": 1e-3,
                                      "policy_kwargs": {"net_arch": [64], "lstm_hidden_size": 32}}),
    AgentSpec("trpo", "policy_gradient", _CONTRIB, "TRPO", f"{_CONTRIB}:TRPO", kwargs={**_ON_POLICY, "batch_size": 64}),
    AgentSpec("ddpg", "actor_critic", _SB3, "DDPG (target position)", f"{_SB3}:DDPG", continuous=True, kwargs=_OFF_CONT),
    AgentSpec("td3", "actor_critic", _SB3, "TD3 (target position)", f"{_SB3}:TD3", continuous=True, kwargs=_OFF_CONT),
    AgentSpec("sac", "actor_critic", _SB3, "SAC (target position)", f"{_SB3}:SAC", continuous=True, kwargs=_OFF_CONT),
    *(AgentSpec(i, "dqn", "tianshou", label, reason=_NO_DQN_VARIANT.format(option)) for i, label, option in (
        ("double_dqn", "Double DQN", "double-Q target"), ("dueling_dqn", "Dueling DQN", "dueling head"),
        ("noisy_dqn", "Noisy DQN", "noisy-net layer"), ("prioritized_dqn", "DQN with prioritised replay",
                                                        "prioritised replay buffer"),
        ("c51", "C51 (categorical DQN)", "categorical head"), ("rainbow", "Rainbow", "Rainbow combination"))),
    *(AgentSpec(i, "multi_agent", "none", label, reason=_NO_MARL) for i, label in (
        ("iql", "Independent Q-learning"), ("qmix", "QMIX"), ("maddpg", "MADDPG"), ("commnet", "CommNet"),
        ("coma", "COMA"))),
)}


def agent_spec(agent_id: str) -> AgentSpec:
    """The spec of a built agent; a clear error for unknown or unavailable ids."""
    spec = AGENTS.get(agent_id)
    if spec is None:
        raise LydianError(f"unknown agent {agent_id!r}; choose from {', '.join(AGENTS)}")
    if not spec.available:
        raise LydianError(f"agent {agent_id!r} is not available: {spec.reason}")
    return spec


def available() -> list[str]:
    return [i for i, s in AGENTS.items() if s.available]
