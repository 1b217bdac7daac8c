"""The selection problems built from Lydian's own data (bundled candles)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.quantum.qubo import QuboError, Selection, portfolio_selection


def aligned_returns(symbols: list[str], timeframe: str, lookback: int, end: str | None = None) -> tuple[list[str], np.ndarray]:
    """Log returns of the last `lookback` bars every bundled symbol shares, up to `end` (nothing later is read)."""
    from core.data import load_candles

    candles = {}
    for word in symbols:
        frame = load_candles(word, timeframe, None, end)
        candles[frame.attrs.get("symbol", word)] = frame
    return shared_returns(candles, lookback, timeframe)


def shared_returns(candles: dict[str, pd.DataFrame], lookback: int, timeframe: str = "") -> tuple[list[str], np.ndarray]:
    """Close-to-close log returns of the last `lookback` bars all markets share (any candle source)."""
    table = pd.DataFrame({symbol: frame["close"] for symbol, frame in candles.items()}).dropna()
    returns = np.log(table).diff().dropna().tail(lookback)
    if len(returns) < 3:
        raise QuboError(f"{', '.join(candles)} share only {len(returns)} bars {timeframe}: too few for a covariance")
    return list(candles), returns.to_numpy()


def portfolio_problem(symbols: list[str], timeframe: str, k: int, lookback: int = 720, risk_aversion: float = 1.0,
                      end: str | None = None) -> Selection:
    """Choose k of the symbols on the last `lookback` shared bars (mean-variance, shrunk covariance)."""
    labels, returns = aligned_returns(symbols, timeframe, lookback, end)
    return window_problem(labels, returns, k, risk_aversion)


def window_problem(labels: list[str], returns: np.ndarray, k: int, risk_aversion: float = 1.0) -> Selection:
    """The portfolio selection on one return window: its mean and Ledoit-Wolf covariance (as core.portfolio)."""
    from core.portfolio.weights import shrunk_covariance

    returns = np.asarray(returns, dtype=float)
    if not np.all(np.isfinite(returns)):
        raise QuboError("the return window holds NaN or infinite values")
    return portfolio_selection(labels, returns.mean(axis=0), shrunk_covariance(returns), k, risk_aversion)
