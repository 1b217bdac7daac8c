"""Honest evaluation: splits, walk-forward, purged CV, metrics and baselines (issue: evaluation)."""
