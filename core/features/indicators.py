"""TA-Lib indicators as one table: (function, parameters, outputs with their scaling).

A model trained on 2018 prices must read 2024 prices the same way, so every output that lives
on the price scale is made scale-free, and the column name says how:

* ``_vs_close``  level / close - 1       (moving averages, bands, SAR, regression lines)
* ``_pct``       value / close, a fraction, not x100  (ATR, MACD, MOM, DM, slopes, deviations)
* ``_pct_sq``    value / close**2        (variance of price)
* no suffix      already scale-free      (RSI, ADX, CCI, PPO, cycle phase, ...)

Outputs that duplicate another column exactly (the middle band of BBANDS is the SMA, the
Heikin-Ashi close is AVGPRICE) are dropped with ``None``. The group of every column is TA-Lib's
own function group, so the table cannot file an indicator under the wrong family, and TA-Lib's
pattern-recognition (CDL*) functions are rejected because they have no group here.
Cumulative volume indicators: AD enters as CMF (below); OBV and ADOSC are normalised in `volume`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import talib
from talib import abstract

from core.features.base import Bars, Block, log_close

VS, PCT, PCT_SQ, RAW = "vs_close", "pct", "pct_sq", "raw"
_SUFFIX = {VS: "_vs_close", PCT: "_pct", PCT_SQ: "_pct_sq", RAW: ""}

_TALIB_GROUP = {
    "Overlap Studies": "overlap",
    "Momentum Indicators": "momentum",
    "Volume Indicators": "volume_ta",
    "Volatility Indicators": "volatility",
    "Cycle Indicators": "cycle",
    "Price Transform": "price_transform",
    "Statistic Functions": "statistic",
}

# Inputs that are not candle columns. Regression angle on raw prices is in degrees of
# "dollars per bar", which means nothing across price levels; on 100*ln(close) it is the
# angle of a percent-per-bar slope.
_DERIVED: dict[str, Callable[[Bars], np.ndarray]] = {
    "log_close_pct": lambda bars: 100.0 * bars.series("log_close", log_close),
}


@dataclass(frozen=True)
class TA:
    """One TA-Lib call: its outputs (name stem, scaling) in TA-Lib's order; None drops one."""

    func: str
    outputs: tuple[tuple[str, str] | None, ...]
    params: dict[str, float] = field(default_factory=dict)
    inputs: tuple[str, ...] | None = None  # None: TA-Lib's default inputs for the function


def ta(func: str, stem: str, scale: str, inputs: tuple[str, ...] | None = None, **params: float) -> TA:
    """A single-output indicator."""
    return TA(func, ((stem, scale),), params, inputs)


def multi(func: str, *outputs: tuple[str, str] | None, **params: float) -> TA:
    """A multi-output indicator."""
    return TA(func, outputs, params)


MA_PERIODS = (5, 10, 20, 50, 100, 200)
PERIODS = (10, 20, 50)

SPEC: tuple[TA, ...] = (
    # --- overlap studies: price levels -> distance to close
    *(ta(f, f"{f.lower()}_{n}", VS, timeperiod=n) for f in ("SMA", "EMA", "WMA") for n in MA_PERIODS),
    *(
        ta(f, f"{f.lower()}_{n}", VS, timeperiod=n)
        for f in ("DEMA", "TEMA", "TRIMA", "KAMA", "HMA", "ZLEMA", "VWMA", "MIDPOINT", "MIDPRICE")
        for n in PERIODS
    ),
    *(ta("T3", f"t3_{n}", VS, timeperiod=n) for n in (5, 10, 20)),
    ta("HT_TRENDLINE", "ht_trendline", VS),
    multi("MAMA", ("mama", VS), ("fama", VS), fastlimit=0.5, slowlimit=0.05),
    # SAR names carry (acceleration, maximum) in percent
    ta("SAR", "sar_2_20", VS, acceleration=0.02, maximum=0.2),
    ta("SAR", "sar_1_10", VS, acceleration=0.01, maximum=0.1),
    *(
        multi("BBANDS", (f"bbands_{n}_{tag}_upper", VS), None, (f"bbands_{n}_{tag}_lower", VS),
              timeperiod=n, nbdevup=k, nbdevdn=k)
        for n, k, tag in ((10, 1.5, "1p5"), (20, 2.0, "2"), (50, 2.0, "2"))
    ),
    multi("ACCBANDS", ("accbands_20_upper", VS), None, ("accbands_20_lower", VS), timeperiod=20),
    *(
        multi("DONCHIAN", (f"donchian_{n}_upper", VS), None, (f"donchian_{n}_lower", VS), timeperiod=n)
        for n in (20, 50)
    ),
    multi("KC", ("kc_20_10_2_upper", VS), None, ("kc_20_10_2_lower", VS), timeperiod=20, atrperiod=10, nbdev=2.0),
    multi("SUPERTREND", ("supertrend_10_3", VS), ("supertrend_10_3_direction", RAW), timeperiod=10, multiplier=3.0),
    # --- momentum
    *(ta("RSI", f"rsi_{n}", RAW, timeperiod=n) for n in (7, 14, 21)),
    *(ta("ADX", f"adx_{n}", RAW, timeperiod=n) for n in (14, 28)),
    ta("ADXR", "adxr_14", RAW, timeperiod=14),
    ta("DX", "dx_14", RAW, timeperiod=14),
    ta("PLUS_DI", "plus_di_14", RAW, timeperiod=14),
    ta("MINUS_DI", "minus_di_14", RAW, timeperiod=14),
    ta("PLUS_DM", "plus_dm_14", PCT, timeperiod=14),
    ta("MINUS_DM", "minus_dm_14", PCT, timeperiod=14),
    # APO/PPO on SMAs: with their EMA default (matype=1) APO is the MACD line again
    ta("APO", "apo_sma_12_26", PCT, fastperiod=12, slowperiod=26, matype=0),
    ta("PPO", "ppo_sma_12_26", RAW, fastperiod=12, slowperiod=26, matype=0),
    *(multi("AROON", (f"aroon_{n}_down", RAW), (f"aroon_{n}_up", RAW), timeperiod=n) for n in (14, 25)),
    *(ta("AROONOSC", f"aroonosc_{n}", RAW, timeperiod=n) for n in (14, 25)),
    ta("BOP", "bop", RAW),
    *(ta("CCI", f"cci_{n}", RAW, timeperiod=n) for n in (14, 20, 50)),
    *(ta("CMO", f"cmo_{n}", RAW, timeperiod=n) for n in (9, 28)),  # CMO is 2*RSI-100 at equal periods
    ta("CMOU", "cmo_unsmoothed_14", RAW, timeperiod=14),
    *(
        multi("MACD", (f"macd_{f}_{s}_{g}", PCT), (f"macd_{f}_{s}_{g}_signal", PCT), (f"macd_{f}_{s}_{g}_hist", PCT),
              fastperiod=f, slowperiod=s, signalperiod=g)
        for f, s, g in ((12, 26, 9), (5, 35, 5))
    ),
    *(ta("MFI", f"mfi_{n}", RAW, timeperiod=n) for n in (14, 28)),
    *(ta("MOM", f"mom_{n}", PCT, timeperiod=n) for n in (10, 20)),
    *(ta("ROC", f"roc_{n}", RAW, timeperiod=n) for n in (14, 30, 100)),  # other lags: price returns
    *(
        multi("STOCH", (f"stoch_{k}_{s}_{d}_slowk", RAW), (f"stoch_{k}_{s}_{d}_slowd", RAW),
              fastk_period=k, slowk_period=s, slowd_period=d)
        for k, s, d in ((14, 3, 3), (5, 3, 3))
    ),
    # STOCHF(14, 3) would repeat WILLR(14) and STOCH(14) slowk
    multi("STOCHF", ("stochf_9_3_fastk", RAW), ("stochf_9_3_fastd", RAW), fastk_period=9, fastd_period=3),
    multi("STOCHRSI", ("stochrsi_14_5_3_fastk", RAW), ("stochrsi_14_5_3_fastd", RAW),
          timeperiod=14, fastk_period=5, fastd_period=3),
    *(ta("TRIX", f"trix_{n}", RAW, timeperiod=n) for n in (15, 30)),
    ta("ULTOSC", "ultosc_7_14_28", RAW, timeperiod1=7, timeperiod2=14, timeperiod3=28),
    *(ta("WILLR", f"willr_{n}", RAW, timeperiod=n) for n in (14, 28)),
    ta("AO", "ao_5_34", PCT, fastperiod=5, slowperiod=34),
    ta("AC", "ac_5_34_5", PCT, fastperiod=5, slowperiod=34, signalperiod=5),
    ta("COPPOCK", "coppock_10_11_14", RAW, wmaperiod=10, roc1period=11, roc2period=14),
    ta("DPO", "dpo_20", PCT, timeperiod=20),
    *(ta("ER", f"efficiency_ratio_{n}", RAW, timeperiod=n) for n in (10, 20)),
    multi("ERI", ("eri_13_bull_power", PCT), ("eri_13_bear_power", PCT), timeperiod=13),
    ta("FOSC", "fosc_14", RAW, timeperiod=14),
    ta("IMI", "imi_14", RAW, timeperiod=14),
    multi("KDJ", ("kdj_9_3_3_k", RAW), ("kdj_9_3_3_d", RAW), ("kdj_9_3_3_j", RAW),
          fastk_period=9, slowk_period=3, slowd_period=3),
    ta("QSTICK", "qstick_10", PCT, timeperiod=10),
    multi("SMI", ("smi_13_2_25", RAW), ("smi_13_2_25_signal", RAW), timeperiod=13, fastperiod=2, slowperiod=25),
    ta("TSI", "tsi_25_13", RAW, firstperiod=25, secondperiod=13),
    ta("VHF", "vhf_28", RAW, timeperiod=28),
    multi("VORTEX", ("vortex_14_plus", RAW), ("vortex_14_minus", RAW), timeperiod=14),
    # --- volume indicators that are ratios already. CMF(n) is AD's n-bar change divided by the
    # n-bar volume, i.e. exactly the stationary form of AD; OBV and ADOSC: see volume.py
    *(ta("CMF", f"cmf_{n}", RAW, timeperiod=n) for n in PERIODS),
    ta("PVO", "pvo_12_26", RAW, fastperiod=12, slowperiod=26),
    # --- volatility
    *(ta("ATR", f"atr_{n}", PCT, timeperiod=n) for n in (7, 14, 28)),  # NATR is atr_pct x 100
    ta("TRANGE", "trange", PCT),
    ta("ADR", "adr_14", PCT, timeperiod=14),
    ta("CVI", "cvi_10_10", RAW, timeperiod=10, rocperiod=10),
    ta("MASSI", "massi_9_25", RAW, fastperiod=9, slowperiod=25),
    ta("RVI", "rvi_14_10", RAW, timeperiod=14, stddevperiod=10),
    # --- cycle
    ta("HT_DCPERIOD", "ht_dcperiod", RAW),
    ta("HT_DCPHASE", "ht_dcphase", RAW),
    multi("HT_PHASOR", ("ht_phasor_inphase", PCT), ("ht_phasor_quadrature", PCT)),
    multi("HT_SINE", ("ht_sine", RAW), ("ht_sine_lead", RAW)),
    ta("HT_TRENDMODE", "ht_trendmode", RAW),
    # --- price transform
    # TYPPRICE and WCLPRICE vs close are exactly 2/3 and 1/2 of MEDPRICE vs close: left out
    *(ta(f, f.lower(), VS) for f in ("AVGPRICE", "MEDPRICE")),
    multi("HA", ("heikin_ashi_open", VS), ("heikin_ashi_high", VS), ("heikin_ashi_low", VS), None),  # close = AVGPRICE
    ta("AVGDEV", "avgdev_14", PCT, timeperiod=14),
    # --- statistic
    *(
        ta(f, f"{f.lower()}_{n}", VS, timeperiod=n)
        for f in ("LINEARREG", "LINEARREG_INTERCEPT", "TSF")
        for n in (14, 50)
    ),
    *(ta("LINEARREG_SLOPE", f"linearreg_slope_{n}", PCT, timeperiod=n) for n in (14, 50)),
    *(ta("LINEARREG_ANGLE", f"linearreg_angle_{n}_log_close", RAW, ("log_close_pct",), timeperiod=n) for n in (14, 50)),
    *(ta("STDDEV", f"stddev_{n}", PCT, timeperiod=n) for n in PERIODS),
    ta("VAR", "var_20", PCT_SQ, timeperiod=20),
    *(ta("BETA", f"beta_high_low_{n}", RAW, timeperiod=n) for n in (5, 20)),
    ta("CORREL", "correl_high_low_30", RAW, timeperiod=30),
    ta("CORREL", "correl_close_volume_20", RAW, ("close", "volume"), timeperiod=20),
    *(ta("PERCENTRANK", f"percentrank_{n}", RAW, timeperiod=n) for n in (50, 100)),
)


def _group_of() -> dict[str, str]:
    return {f: _TALIB_GROUP[g] for g, funcs in talib.get_function_groups().items() if g in _TALIB_GROUP for f in funcs}


def _scale(values: np.ndarray, how: str, close: np.ndarray) -> np.ndarray:
    """Make a fresh TA-Lib output scale-free in place (see module docstring)."""
    values = values.astype(np.float64, copy=False)  # HT_TRENDMODE and SUPERTREND give int32
    if how == VS:
        values /= close
        values -= 1.0
    elif how == PCT:
        values /= close
    elif how == PCT_SQ:
        values /= close
        values /= close
    return values


def _dominant_cycle_phase(bars: Bars) -> np.ndarray:
    return bars.series("ht_dcphase", lambda b: talib.HT_DCPHASE(b.close))


# TA-Lib works out the dominant-cycle phase afresh inside HT_SINE (half a millisecond per 1,000
# bars, a tenth of a live forecast's features); its outputs are exactly sin(phase) and
# sin(phase + 45 degrees) of HT_DCPHASE's phase, so they are taken from it (tests/test_features.py).
_FROM_PHASE: dict[str, Callable[[np.ndarray], tuple[np.ndarray, ...]]] = {
    "HT_DCPHASE": lambda phase: (phase.copy(),),
    "HT_SINE": lambda phase: (np.sin(np.deg2rad(phase)), np.sin(np.deg2rad(phase + 45.0))),
}


def _run(spec: TA, inputs: tuple[str, ...], bars: Bars) -> list[np.ndarray]:
    if spec.func in _FROM_PHASE:
        raw = _FROM_PHASE[spec.func](_dominant_cycle_phase(bars))
    else:
        raw = getattr(talib, spec.func)(*[bars.series(name, _DERIVED.get(name)) for name in inputs], **spec.params)
    raw = raw if isinstance(raw, tuple) else (raw,)
    return [_scale(out, kept[1], bars.close) for out, kept in zip(raw, spec.outputs, strict=True) if kept]


def _block(spec: TA, groups: dict[str, str]) -> Block:
    if spec.func not in groups:
        raise ValueError(f"{spec.func} is not an indicator in the groups {sorted(set(groups.values()))}")
    info = abstract.Function(spec.func)
    unknown = set(spec.params) - set(info.info["parameters"])
    if unknown:  # TA-Lib's abstract API ignores unknown parameters silently
        raise ValueError(f"{spec.func}: unknown parameter(s) {sorted(unknown)}")
    info.set_parameters(spec.params)
    if len(spec.outputs) != len(info.info["output_names"]):
        raise ValueError(f"{spec.func} has outputs {info.info['output_names']}, spec lists {len(spec.outputs)}")
    default: list[str] = []
    for names in info.info["input_names"].values():
        default.extend([names] if isinstance(names, str) else names)
    inputs = spec.inputs or tuple(default)
    names = tuple(stem + _SUFFIX[scale] for stem, scale in (o for o in spec.outputs if o))
    return Block(names, groups[spec.func], info.lookback, partial(_run, spec, inputs))


def indicator_blocks() -> list[Block]:
    """One block per TA-Lib call in `SPEC`; look-backs are TA-Lib's own (default unstable periods)."""
    groups = _group_of()
    return [_block(spec, groups) for spec in SPEC]
