"""From forecasts to positions: policies, market-like execution and statistics that resist luck."""

from core.policy.evaluate import PolicyResult, evaluate
from core.policy.execution import Execution, execute
from core.policy.policies import POLICIES

__all__ = ["POLICIES", "Execution", "PolicyResult", "evaluate", "execute"]
