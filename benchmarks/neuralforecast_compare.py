"""neuralforecast's TFT, Autoformer and FEDformer beside Lydian's compact modules, on the same BTC/USDT 1h bars.

    .venv/bin/python benchmarks/neuralforecast_compare.py [--start 2024-01-01] [--refit-every 1000]
        [--epochs 3] [--max-steps 300] [--pairs transformer_tft,transformer_autoformer,transformer_fedformer]

Needs neuralforecast 3.3.0 (measured in shared/deps-wave2.md), which the product does not depend on:
`pip install neuralforecast==3.3.0 -c requirements-lock.txt`. Ours walk forward through the
leaderboard (the 249 causal features, refit every ``--refit-every`` bars); neuralforecast's models
see the series of 1-bar log returns (their usual univariate use: the features would need one
variable-selection input each) and forecast it one bar ahead from every test bar with
``cross_validation`` (refit every ``--refit-every`` windows, so each forecast uses only bars up to
its own). Both are scored on the same bars: direction accuracy with its Wilson interval, McNemar
(ours vs theirs, two one-sided p-values), Diebold-Mariano on the return forecasts, and the wall time
of one live forecast. The last stdout line is JSON; timings are from a shared, loaded 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

import numpy as np
import pandas as pd

from core.backtest.leaderboard import leaderboard
from core.backtest.metrics import direction_scores
from core.backtest.significance import diebold_mariano, mcnemar
from core.data import load_candles

PAIRS = {"transformer_tft": "TFT", "transformer_autoformer": "Autoformer", "transformer_fedformer": "FEDformer"}
LOOKBACK = 24  # our nets' window; theirs get the same input size


def _theirs(name: str, max_steps: int):
    from neuralforecast import models

    common = {"h": 1, "input_size": LOOKBACK, "max_steps": max_steps, "random_seed": 0, "accelerator": "cpu",
              "enable_progress_bar": False, "logger": False, "enable_checkpointing": False, "enable_model_summary": False}
    return getattr(models, name)(**common)


def _their_forecasts(close: pd.Series, test: pd.DatetimeIndex, name: str, args: argparse.Namespace) -> tuple[pd.Series, float, float]:
    """Their forecast of the next bar's simple return at each test bar; fit seconds; one live forecast's ms."""
    from neuralforecast import NeuralForecast

    returns = np.log(close).diff().dropna()
    frame = pd.DataFrame({"unique_id": "BTC", "ds": returns.index.tz_localize(None), "y": returns.to_numpy()})
    frame = frame[frame["ds"] <= test[-1].tz_localize(None) + pd.Timedelta(hours=1)]
    forecaster = NeuralForecast(models=[_theirs(name, args.max_steps)], freq="h")
    started = time.perf_counter()
    table = forecaster.cross_validation(frame, n_windows=len(test), step_size=1, refit=args.refit_every)
    fit_seconds = time.perf_counter() - started
    cutoffs = pd.DatetimeIndex(table["cutoff"]).tz_localize("UTC")
    forecast = pd.Series(np.expm1(table[name].to_numpy()), index=cutoffs).reindex(test)
    history = frame[frame["ds"] <= test[-1].tz_localize(None)]
    forecaster.predict(df=history)  # warm
    start = time.perf_counter()
    for _ in range(5):
        forecaster.predict(df=history)
    return forecast, fit_seconds, (time.perf_counter() - start) / 5 * 1000


def _our_live_ms(model_id: str, candles: pd.DataFrame) -> float:
    """One live forecast through the stored-model path: fit briefly, then time `predict` on one window."""
    from core.models import registry
    from core.models.dataset import prepare

    dataset = prepare(candles.iloc[-3000:], 1)
    split, index = dataset.split()
    model = registry.create(model_id, max_epochs=1).fit(*dataset.window(index[split.train]),
                                                         *dataset.window(index[split.valid]), seed=0, device="cpu")
    single = dataset.features.iloc[-(model.context_rows + 1):]
    model.predict(single)
    start = time.perf_counter()
    for _ in range(20):
        model.predict(single)
    return (time.perf_counter() - start) / 20 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--refit-every", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--pairs", default=",".join(PAIRS), help="our ids to compare, e.g. transformer_tft")
    args = parser.parse_args()
    pairs = {ours: PAIRS[ours] for ours in args.pairs.split(",")}
    try:
        import neuralforecast  # noqa: F401
    except ImportError:
        sys.exit("neuralforecast is not installed: pip install neuralforecast==3.3.0 -c requirements-lock.txt")
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning_fabric").setLevel(logging.ERROR)
    candles = load_candles("BTC/USDT", "1h", start=args.start)
    started = time.perf_counter()
    board = leaderboard(list(pairs), candles, 1, symbol="BTC/USDT", timeframe="1h", cache=True, device="cpu",
                        refit_every=args.refit_every, overrides={m: {"max_epochs": args.epochs} for m in pairs})
    ours_seconds = time.perf_counter() - started
    out = {}
    for ours, name in pairs.items():
        mine = board.results[ours].predictions
        forecast, fit_seconds, live_ms = _their_forecasts(candles["close"], mine.index, name, args)
        have = forecast.notna().to_numpy()
        realised, direction = mine["realised_return"].to_numpy()[have], mine["realised_direction"].to_numpy()[have]
        theirs_up = (forecast.to_numpy()[have] > 0).astype(float)
        our_right = (mine["p_up"].to_numpy()[have] > 0.5) == (direction > 0.5)
        their_right = (theirs_up > 0.5) == (direction > 0.5)
        ours_better, theirs_better = mcnemar(our_right, their_right)
        dm, dm_p = diebold_mariano(mine["expected_return"].to_numpy()[have] - realised,
                                   forecast.to_numpy()[have] - realised, 1)
        score = direction_scores
        out[ours] = {
            "ours": {k: score(mine["p_up"].to_numpy()[have], direction)[k] for k in ("n", "accuracy", "accuracy_ci_low", "accuracy_ci_high")}
            | {"live_ms": round(_our_live_ms(ours, candles), 2)},
            f"neuralforecast_{name}": {k: score(theirs_up, direction)[k] for k in ("n", "accuracy", "accuracy_ci_low", "accuracy_ci_high")}
            | {"fit_and_walk_s": round(fit_seconds, 1), "live_ms": round(live_ms, 1)},
            "mcnemar_p_ours_better": ours_better, "mcnemar_p_theirs_better": theirs_better,
            "dm_stat_ours_vs_theirs": dm, "dm_p_ours_better": dm_p,
        }
        print(f"{ours}: {out[ours]}", file=sys.stderr)
    print(json.dumps({"bench": "neuralforecast_compare", "symbol": "BTC/USDT", "timeframe": "1h",
                      "test_first": board.context["test_first"], "test_last": board.context["test_last"],
                      "refit_every": args.refit_every, "epochs": args.epochs, "max_steps": args.max_steps,
                      "ours_walk_s": round(ours_seconds, 1), "pairs": out}, default=float))


if __name__ == "__main__":
    main()
