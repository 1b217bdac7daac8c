"""Statistical models (issue 21): walk-forward speed beside statsforecast's own cross-validation, and live forecasts.

On the last 4,380 labelled bars of BTC/USDT 1h (horizon 1, refit every 168 bars, 27 refits):

- ``auto_arima`` (AutoARIMA, season 24) through Lydian's walk-forward, timed beside
  ``StatsForecast.cross_validation`` with the same model settings, the same 4,380 origins, the same
  refit schedule and the same 2,000-bar fit window (``input_size``); both on log price, and the two
  one-step forecasts compared;
- ``garch`` (GARCH(1,1), Student-t) through the walk-forward (target under 5 s);
- every statistical model's single live forecast (one row after its fit), median of 20 (target 20 ms);
- GARCH's next-bar variance against RiskMetrics' EWMA by QLIKE (realised: the squared return, and on the
  hours with bundled 1-minute bars the realised variance from them), and the coverage of the models' own
  80/95 % intervals and of causal 90 % conformal intervals, out of sample;
- the leaderboard's return-forecast scores of AutoARIMA and GARCH (MASE and Diebold-Mariano against the
  random walk, interval coverage and width), from the same walk-forwards.

Features are computed once, outside the timings. Prints one JSON object on its last line.

    python benchmarks/statistical.py
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pandas as pd

from _timing import median_seconds
from core.backtest.walkforward import Settings, backtest, prepare_market
from core.data import load_candles
from core import forecasters
from core.statistical import MODELS
from core.statistical.conformal import conformal_intervals, coverage, ewma_variance, qlike, realised_variance

FORECASTS = 4_380
REFIT = 168
SEASON = 24


SCORES = ("mase", "dm_rw_stat", "dm_rw_p_value", "conformal_90_coverage", "conformal_90_width", "own_80_coverage",
          "own_80_width", "own_95_coverage", "own_95_width")


def lydian_walk(model_id: str, market, start: int) -> tuple[float, pd.DataFrame, int, dict]:
    started = time.perf_counter()
    result = backtest(model_id, market, Settings(start=start, refit_every=REFIT))
    scores = {k: round(float(result.metrics[k]), 4) for k in SCORES}
    return time.perf_counter() - started, result.predictions, result.info["folds"], scores


def statsforecast_cv(market, max_train: int) -> tuple[float, pd.DataFrame]:
    """statsforecast's cross_validation of the same AutoARIMA on the same log price, origins and refits."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA

    returns = market.dataset.features["log_return_1"]
    df = pd.DataFrame({"unique_id": "BTC", "ds": returns.index.tz_localize(None),
                       "y": 10 + returns.cumsum().to_numpy()})
    # each Lydian forecast at row t predicts t+1 from bars up to t, so the last window ends one bar early
    df = df.iloc[: len(market.index) + 1]
    model = AutoARIMA(d=1, D=0, season_length=SEASON, max_P=1, max_Q=1, approximation=True, allowdrift=True)
    started = time.perf_counter()
    cv = StatsForecast(models=[model], freq="h").cross_validation(
        h=1, df=df, n_windows=FORECASTS, step_size=1, input_size=max_train, refit=REFIT)
    return time.perf_counter() - started, cv


def walk_distribution(model_id: str, market, start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-sample mean and sd of each forecast (refit every 168 bars) and the realised log return."""
    features, targets = market.dataset.features, market.dataset.targets
    means, sds = [], []
    for fold in Settings(start=start, refit_every=REFIT).folds(market.index):
        model = forecasters.create(model_id).fit(
            features.iloc[fold.train.start : fold.train.stop], targets.iloc[fold.train.start : fold.train.stop],
            features.iloc[fold.valid.start : fold.valid.stop], targets.iloc[fold.valid.start : fold.valid.stop])
        mean, sd = model.distribution(features.iloc[fold.test.start : fold.test.stop])
        means.append(mean)
        sds.append(sd)
    realised = targets["future_log_return"].to_numpy()[start : len(market.index)]
    return np.concatenate(means), np.concatenate(sds), realised


def interval_report(mean: np.ndarray, sd: np.ndarray, realised: np.ndarray) -> dict[str, float]:
    from scipy import stats

    out = {}
    for level in (0.8, 0.95):
        z = stats.norm.ppf(0.5 + level / 2)
        out[f"model_{round(level * 100)}_coverage"] = round(float(np.mean(np.abs(realised - mean) <= z * sd)), 4)
    lo, hi = conformal_intervals(mean, sd, realised, level=0.9)
    out["conformal_90_coverage"] = round(coverage(lo, hi, realised), 4)
    out["conformal_90_mean_width"] = round(float(np.nanmean(hi - lo)), 6)
    return out


def live_p50(model_id: str, market) -> float:
    """Fit on the 2,000 bars before the last and time the forecast of the last row (what a live signal does)."""
    features, targets = market.dataset.features, market.dataset.targets
    end = len(market.index) - 1
    cut = end - 400
    model = forecasters.create(model_id).fit(features.iloc[end - 2000 : cut], targets.iloc[end - 2000 : cut],
                                             features.iloc[cut:end], targets.iloc[cut:end])
    last = features.iloc[end : end + 1]
    model.predict(last)  # warm: numba and imports
    return median_seconds(lambda: model.predict(last), repeats=20)


def main() -> None:
    warnings.filterwarnings("ignore")  # statsforecast's convergence notes
    candles = load_candles("BTC/USDT", "1h").iloc[-(FORECASTS + 2_600):]
    market = prepare_market(candles, 1, "1h")
    start = len(market.index) - FORECASTS
    report: dict = {"bars": len(candles), "last": str(candles.index[-1]), "forecasts": FORECASTS, "refit_every": REFIT}

    arima_s, ours, folds, arima_scores = lydian_walk("auto_arima", market, start)
    cv_s, cv = statsforecast_cv(market, int(forecasters.spec("auto_arima").defaults.to_dict()["max_train"]))
    price = pd.Series(10 + market.dataset.features["log_return_1"].cumsum().to_numpy(),
                      index=market.dataset.features.index.tz_localize(None))
    theirs = cv.set_index("cutoff")["AutoARIMA"] - price  # their mean log return from each origin
    theirs = theirs.reindex(ours.index.tz_localize(None)).to_numpy()
    report["auto_arima"] = {
        "lydian_walk_forward_seconds": round(arima_s, 2), "refits": folds,
        "statsforecast_cross_validation_seconds": round(cv_s, 2), "speedup": round(cv_s / arima_s, 2),
        "forecasts": len(ours), "cv_forecasts": len(cv),
        "same_direction_as_cv": round(float(np.mean((ours["p_up"].to_numpy() > 0.5) == (theirs > 0))), 4),
        "correlation_with_cv": round(float(np.corrcoef(ours["expected_return"].to_numpy(), theirs)[0, 1]), 4),
        "direction_accuracy": round(float(np.mean((ours["p_up"] > 0.5) == (ours["realised_direction"] > 0.5))), 4),
    }
    garch_s, garch, garch_folds, garch_scores = lydian_walk("garch", market, start)
    report["return_forecast_scores"] = {"auto_arima": arima_scores, "garch": garch_scores}
    report["garch"] = {"walk_forward_seconds": round(garch_s, 2), "refits": garch_folds, "target_seconds": 5.0,
                       "direction_accuracy": round(float(np.mean((garch["p_up"] > 0.5)
                                                                 == (garch["realised_direction"] > 0.5))), 4)}
    intervals = {}
    for model_id in ("garch", "auto_arima"):
        mean, sd, realised = walk_distribution(model_id, market, start)
        intervals[model_id] = interval_report(mean, sd, realised)
        if model_id == "garch":
            returns = market.dataset.features["log_return_1"].to_numpy()
            ewma = ewma_variance(returns)[start : len(market.index)]
            report["variance_qlike"] = {"garch": round(qlike(sd**2, realised**2), 4),
                                        "ewma_riskmetrics": round(qlike(ewma, realised**2), 4)}
            # the forecast after bar T is for bar T + 1h, whose realised variance the 1-minute bars give
            rv = realised_variance(load_candles("BTC/USDT", "1m")["close"], "1h")
            rv = rv.reindex(market.index[start:] + pd.Timedelta(hours=1)).to_numpy()
            have = np.isfinite(rv) & np.isfinite(ewma)
            report["variance_qlike_realised_1m"] = {
                "hours": int(have.sum()), "garch": round(qlike(sd[have] ** 2, rv[have]), 4),
                "ewma_riskmetrics": round(qlike(ewma[have], rv[have]), 4),
                "garch_squared_return_same_hours": round(qlike(sd[have] ** 2, realised[have] ** 2), 4),
                "ewma_squared_return_same_hours": round(qlike(ewma[have], realised[have] ** 2), 4)}
    report["intervals"] = intervals
    report["live_forecast_ms_p50"] = {m: round(live_p50(m, market) * 1000, 2) for m in MODELS}
    report["live_target_ms"] = 20
    print(json.dumps(report))


if __name__ == "__main__":
    main()
