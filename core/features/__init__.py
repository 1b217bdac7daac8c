"""Causal features of candle frames, prediction targets, scalers and sequence windows.

``build_features(candles)`` turns canonical candles (see core.data.validate) into ~250
scale-free float64 columns: TA-Lib indicators (no candlestick patterns), price, volume and
time features, each filed under one of `FEATURE_GROUPS` by ``feature_groups()``. The value at
row t only ever uses bars up to t (tests/test_no_lookahead.py proves it on real data).
``targets`` is the one forward-looking function and lives apart from the features.
`EXTERNAL_GROUPS` need data beyond candles (texts): ``sentiment_features`` builds them per bar.
"""

from core.features.base import FEATURE_GROUPS, INDICATOR_GROUPS
from core.features.engine import build_features, feature_groups
from core.features.scaling import IdentityScaler, MinMaxScaler, RobustScaler, Scaler, ZScoreScaler
from core.features.sentiment import EXTERNAL_GROUPS, sentiment_features
from core.features.targets import targets
from core.features.windows import make_windows

__all__ = [
    "EXTERNAL_GROUPS",
    "FEATURE_GROUPS",
    "INDICATOR_GROUPS",
    "IdentityScaler",
    "MinMaxScaler",
    "RobustScaler",
    "Scaler",
    "ZScoreScaler",
    "build_features",
    "feature_groups",
    "sentiment_features",
    "make_windows",
    "targets",
]
