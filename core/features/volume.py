"""Volume features, and the cumulative TA-Lib volume indicators made stationary.

Raw volume is in units of the base coin, so it is compared with its own trailing history
(z-score, relative volume) rather than used as a level. Real data has bars with zero volume
(exchange outages); every division here is `safe_div` with the value that means "nothing
unusual", so a run of zero volume gives finite numbers.

OBV is a running sum whose level depends on where the series starts; its change over a window
divided by the volume traded in that window lies in [-1, 1] and does not. The same transform of
AD is exactly Chaikin Money Flow, which the indicator table already has (``cmf_10/20/50``).
ADOSC (a difference of EMAs of AD) is start-free but in volume units: divided by mean volume.
"""

from __future__ import annotations

import numpy as np
import talib
from talib import abstract

from core.features.base import Bars, Block, lag_diff, safe_div

ZSCORE_WINDOWS = (20, 50)
RELATIVE_WINDOWS = (5, 20, 50)
CHANGE_LAGS = (1, 5)
IMBALANCE_WINDOW = 20
TREND_WINDOWS = (5, 50)
OBV_WINDOWS = (10, 20, 50)
ADOSC_PERIODS = ((3, 10), (5, 20))


def _mean(bars: Bars, window: int) -> np.ndarray:
    return bars.rolling("volume", window, "mean")


def _zscore(bars: Bars, window: int) -> tuple[np.ndarray]:
    spread = bars.rolling("volume", window, "std")
    return (safe_div(bars.volume - _mean(bars, window), spread, 0.0),)


def _relative(bars: Bars, window: int) -> tuple[np.ndarray]:
    return (safe_div(bars.volume, _mean(bars, window), 1.0),)


def _log_change(bars: Bars, k: int) -> tuple[np.ndarray]:
    """Change of log(1 + volume): a log ratio for real volumes, finite when volume is 0."""
    return (lag_diff(bars.series("log1p_volume", lambda b: np.log1p(b.volume)), k),)


def _dollar_volume(bars: Bars) -> tuple[np.ndarray]:
    return (np.log1p(bars.close * bars.volume),)


def _imbalance(bars: Bars) -> tuple[np.ndarray]:
    """Share of the window's volume traded on up bars minus on down bars, in [-1, 1]."""
    signed = bars.rolling("signed_volume", IMBALANCE_WINDOW, "sum", lambda b: np.sign(b.close - b.open) * b.volume)
    return (safe_div(signed, bars.rolling("volume", IMBALANCE_WINDOW, "sum"), 0.0),)


def _trend(bars: Bars) -> tuple[np.ndarray]:
    short, long = TREND_WINDOWS
    return (safe_div(_mean(bars, short), _mean(bars, long), 1.0),)


def _obv_change(bars: Bars, window: int) -> tuple[np.ndarray]:
    level = bars.series("obv", lambda b: talib.OBV(b.close, b.volume))
    return (safe_div(lag_diff(level, window), bars.rolling("volume", window, "sum"), 0.0),)


def _adosc(bars: Bars, fast: int, slow: int) -> tuple[np.ndarray]:
    oscillator = talib.ADOSC(bars.high, bars.low, bars.close, bars.volume, fastperiod=fast, slowperiod=slow)
    return (safe_div(oscillator, _mean(bars, slow), 0.0),)


def volume_blocks() -> list[Block]:
    """Blocks of the volume and (normalised cumulative) volume_ta groups, in column order."""
    adosc_lookback = {p: abstract.Function("ADOSC", fastperiod=p[0], slowperiod=p[1]).lookback for p in ADOSC_PERIODS}
    return [
        *(Block((f"volume_zscore_{w}",), "volume", w - 1, lambda b, w=w: _zscore(b, w)) for w in ZSCORE_WINDOWS),
        *(Block((f"relative_volume_{w}",), "volume", w - 1, lambda b, w=w: _relative(b, w)) for w in RELATIVE_WINDOWS),
        *(Block((f"volume_log_change_{k}",), "volume", k, lambda b, k=k: _log_change(b, k)) for k in CHANGE_LAGS),
        Block(("dollar_volume_log",), "volume", 0, _dollar_volume),
        Block((f"volume_imbalance_{IMBALANCE_WINDOW}",), "volume", IMBALANCE_WINDOW - 1, _imbalance),
        Block((f"volume_trend_{TREND_WINDOWS[0]}_{TREND_WINDOWS[1]}",), "volume", TREND_WINDOWS[1] - 1, _trend),
        *(
            Block((f"obv_change_{w}_per_volume",), "volume_ta", w, lambda b, w=w: _obv_change(b, w))
            for w in OBV_WINDOWS
        ),
        *(
            Block((f"adosc_{f}_{s}_per_volume",), "volume_ta", max(adosc_lookback[(f, s)], s - 1),
                  lambda b, f=f, s=s: _adosc(b, f, s))
            for f, s in ADOSC_PERIODS
        ),
    ]
