"""Every TA-Lib candlestick pattern (the 61 CDL functions) as one table of events.

TA-Lib answers per bar: 0 for no pattern, +100/-100 for bullish/bearish, +-80 for a weaker
engulfing/harami, +-200 for a confirmed hikkake. The value at bar t only uses bars up to t (the
candle averages run forwards from the first bar), so an event is known when its own bar closes;
tests/test_patterns.py checks that by truncating real candles.

Eight functions carry a sign that is not a claim: TA-Lib's own source says the doji family is
"always positive ... but this does not mean it is bullish" and spinning top, high wave and short
line are signed by candle colour, which "does not mean bullish or bearish". Those are reported as
"neutral" instead of inventing a direction for them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from core.errors import DataError

# TA-Lib function -> readable pattern name (the traditional English name, snake_case).
CANDLESTICK_PATTERNS: dict[str, str] = {
    "CDL2CROWS": "two_crows",
    "CDL3BLACKCROWS": "three_black_crows",
    "CDL3INSIDE": "three_inside",
    "CDL3LINESTRIKE": "three_line_strike",
    "CDL3OUTSIDE": "three_outside",
    "CDL3STARSINSOUTH": "three_stars_in_the_south",
    "CDL3WHITESOLDIERS": "three_white_soldiers",
    "CDLABANDONEDBABY": "abandoned_baby",
    "CDLADVANCEBLOCK": "advance_block",
    "CDLBELTHOLD": "belt_hold",
    "CDLBREAKAWAY": "breakaway",
    "CDLCLOSINGMARUBOZU": "closing_marubozu",
    "CDLCONCEALBABYSWALL": "concealing_baby_swallow",
    "CDLCOUNTERATTACK": "counterattack",
    "CDLDARKCLOUDCOVER": "dark_cloud_cover",
    "CDLDOJI": "doji",
    "CDLDOJISTAR": "doji_star",
    "CDLDRAGONFLYDOJI": "dragonfly_doji",
    "CDLENGULFING": "engulfing",
    "CDLEVENINGDOJISTAR": "evening_doji_star",
    "CDLEVENINGSTAR": "evening_star",
    "CDLGAPSIDESIDEWHITE": "gap_side_by_side_white_lines",
    "CDLGRAVESTONEDOJI": "gravestone_doji",
    "CDLHAMMER": "hammer",
    "CDLHANGINGMAN": "hanging_man",
    "CDLHARAMI": "harami",
    "CDLHARAMICROSS": "harami_cross",
    "CDLHIGHWAVE": "high_wave",
    "CDLHIKKAKE": "hikkake",
    "CDLHIKKAKEMOD": "modified_hikkake",
    "CDLHOMINGPIGEON": "homing_pigeon",
    "CDLIDENTICAL3CROWS": "identical_three_crows",
    "CDLINNECK": "in_neck",
    "CDLINVERTEDHAMMER": "inverted_hammer",
    "CDLKICKING": "kicking",
    "CDLKICKINGBYLENGTH": "kicking_by_length",
    "CDLLADDERBOTTOM": "ladder_bottom",
    "CDLLONGLEGGEDDOJI": "long_legged_doji",
    "CDLLONGLINE": "long_line",
    "CDLMARUBOZU": "marubozu",
    "CDLMATCHINGLOW": "matching_low",
    "CDLMATHOLD": "mat_hold",
    "CDLMORNINGDOJISTAR": "morning_doji_star",
    "CDLMORNINGSTAR": "morning_star",
    "CDLONNECK": "on_neck",
    "CDLPIERCING": "piercing",
    "CDLRICKSHAWMAN": "rickshaw_man",
    "CDLRISEFALL3METHODS": "rising_falling_three_methods",
    "CDLSEPARATINGLINES": "separating_lines",
    "CDLSHOOTINGSTAR": "shooting_star",
    "CDLSHORTLINE": "short_line",
    "CDLSPINNINGTOP": "spinning_top",
    "CDLSTALLEDPATTERN": "stalled_pattern",
    "CDLSTICKSANDWICH": "stick_sandwich",
    "CDLTAKURI": "takuri",
    "CDLTASUKIGAP": "tasuki_gap",
    "CDLTHRUSTING": "thrusting",
    "CDLTRISTAR": "tristar",
    "CDLUNIQUE3RIVER": "unique_three_river",
    "CDLUPSIDEGAP2CROWS": "upside_gap_two_crows",
    "CDLXSIDEGAP3METHODS": "gap_three_methods",
}

# Patterns whose TA-Lib sign is no directional claim (see the module docstring).
NEUTRAL_PATTERNS = frozenset(
    {"CDLDOJI", "CDLLONGLEGGEDDOJI", "CDLRICKSHAWMAN", "CDLDRAGONFLYDOJI", "CDLGRAVESTONEDOJI",
     "CDLHIGHWAVE", "CDLSPINNINGTOP", "CDLSHORTLINE"}
)

def candlestick_events(candles: pd.DataFrame) -> pd.DataFrame:
    """One row per (bar, pattern) where a TA-Lib CDL function fired, sorted by time then pattern.

    ``timestamp`` is the open time of the bar that completes the pattern (known at its close),
    ``direction`` is "bullish", "bearish" or "neutral", ``strength`` is |TA-Lib value| / 100
    (0.8 weak, 1.0 normal, 2.0 confirmed hikkake).
    """
    missing = {"open", "high", "low", "close"} - set(candles.columns)
    if missing:
        raise DataError(f"candles lack column(s) {', '.join(sorted(missing))}")
    prices = [np.ascontiguousarray(candles[c].to_numpy(dtype=np.float64)) for c in ("open", "high", "low", "close")]
    funcs = list(CANDLESTICK_PATTERNS)
    if len(candles):
        values = np.column_stack([getattr(talib, f)(*prices) for f in funcs])  # (bars, 61) int32
    else:  # TA-Lib refuses empty input; no bars, no events
        values = np.zeros((0, len(funcs)), dtype=np.int32)
    bars, which = np.nonzero(values)  # row-major: already sorted by bar, then by function order
    raw = values[bars, which]
    neutral = np.array([f in NEUTRAL_PATTERNS for f in funcs])[which]
    direction = np.where(neutral, "neutral", np.where(raw > 0, "bullish", "bearish"))
    names = np.array([CANDLESTICK_PATTERNS[f] for f in funcs], dtype=object)[which]
    return pd.DataFrame(
        {
            "timestamp": candles.index[bars],
            "pattern": names,
            "direction": direction.astype(object),
            "strength": np.abs(raw) / 100.0,
        }
    )
