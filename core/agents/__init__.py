"""Reinforcement-learning trading agents, trained and judged without look-ahead.

`TradingEnv` (gymnasium; `PortfolioEnv` for several symbols sharing one budget) decides at bar t's close and fills at t+1's open through the policy
layer's execution model; `AGENTS` lists every named method (built ones from Stable-Baselines3 and
sb3-contrib, the rest with the reason they are not); `walk_forward` scores them like any policy.
"""

from core.agents.agent import Agent
from core.agents.env import TradingEnv, causal_features, fit_normaliser
from core.agents.evaluate import WalkConfig, walk_forward
from core.agents.portfolio_env import PortfolioEnv
from core.agents.registry import AGENTS, agent_spec, available

__all__ = ["AGENTS", "Agent", "PortfolioEnv", "TradingEnv", "WalkConfig", "agent_spec", "available", "causal_features",
           "fit_normaliser", "walk_forward"]
