"""Portfolios over several markets: the baselines every trading agent and optimiser must beat."""

from core.portfolio.backtest import PortfolioResult, backtest_portfolio
from core.portfolio.weights import METHODS, weights

__all__ = ["METHODS", "PortfolioResult", "backtest_portfolio", "weights"]
