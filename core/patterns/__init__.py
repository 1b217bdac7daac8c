"""Candlestick and chart pattern detection, measured against base rates (issue: patterns)."""
