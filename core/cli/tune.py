"""`lydian tune` (nested tuning inside the walk-forward) and `lydian ablation` (all/top-k/PCA, or regimes)."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from core.cli._common import UsageError, add_source_args, add_test_start, load, print_json


def _walk_args(parser: argparse.ArgumentParser) -> None:
    add_source_args(parser)
    parser.add_argument("--horizon", type=int, default=1, help="bars ahead to forecast (default 1)")
    add_test_start(parser)
    parser.add_argument("--refit-every", type=int, default=168, help="forecasts between refits (default 168)")
    parser.add_argument("--fee", type=float, default=0.001, help="fee per side as a fraction (default 0.001 = 0.1%%)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--no-cache", action="store_true", help="recompute the untuned and baseline walks")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def add_commands(commands: argparse._SubParsersAction) -> None:
    tune = commands.add_parser(
        "tune", help="tune a model's hyper-parameters inside the walk-forward (Ray Tune, Optuna TPE, ASHA)",
        description="Tune one model nested inside the purged walk-forward: each trial (one configuration) is fitted "
        "and scored only on validation rows inside every outer training window, never on test bars; bad trials stop "
        "early (ASHA over the folds). Each test window is then forecast by a fresh fit with the configuration that "
        "scored best on the rows before it, and the tuned model is shown beside its defaults and the naive "
        "baselines, with its after-cost Sharpe deflated for every trial run.",
        epilog="Example: lydian tune --symbol BTC --timeframe 1h --start 2024-05-01 --model lightgbm --trials 20 "
        "--search grid --json. Searches: grid (default for trees: the family's grid, a seeded sample of it when "
        "--trials is smaller), random (default for nets), bayes (Optuna TPE). With --workers above 1 trials run "
        "side by side and ASHA's stops may differ from run to run.",
    )
    _walk_args(tune)
    tune.add_argument("--model", required=True, help="a model id (see 'lydian models list')")
    tune.add_argument("--trials", type=int, default=20, help="configurations to try (default 20)")
    tune.add_argument("--search", choices=("grid", "random", "bayes"), default=None,
                      help="grid, random or bayes (Optuna TPE); default by model kind (trees grid, nets random)")
    tune.add_argument("--workers", type=int, default=1, help="trials run at once on Ray (default 1: deterministic)")
    tune.add_argument("--epochs", type=int, default=None, help="cap on epochs for the nets (default: their own)")
    tune.add_argument("--space", action="append", default=None, metavar="NAME=V1,V2",
                      help="try these values of one hyper-parameter instead of the family's space (repeatable), "
                      "e.g. --space num_leaves=15,63 --space learning_rate=0.03,0.1")
    tune.set_defaults(handler=tune_command)

    ablation = commands.add_parser(
        "ablation", help="one model with all features vs the top-k vs PCA (or without vs with regime features), "
        "walked forward beside the baselines",
        description="Walk one model forward in variants on the same bars. --group features (default): with every "
        "feature, with the top-k features by permutation importance, and with the first k principal components. "
        "--group regimes: without and with the regime and anomaly feature group (detectors fitted inside each "
        "training window, later bars labelled causally). Selection, PCA and detectors are fitted inside each "
        "training window. Edges over the best baseline are Holm-corrected over the variants.",
        epilog="Example: lydian ablation --symbol BTC --timeframe 1h --start 2024-05-01 --model lightgbm --top-k 50; "
        "lydian ablation --symbol BTC --model lightgbm --group regimes --regime-detectors hmm,isolation_forest",
    )
    _walk_args(ablation)
    ablation.add_argument("--model", required=True, help="a model id (see 'lydian models list')")
    ablation.add_argument("--top-k", type=int, default=50, help="features (topk) or components (pca) kept (default 50)")
    ablation.add_argument("--group", choices=("features", "regimes"), default="features",
                          help="what to ablate: features (all/topk/pca, default) or regimes (without/with)")
    ablation.add_argument("--regime-detectors", default="hmm,isolation_forest",
                          help="detectors of the regime feature group (default hmm,isolation_forest)")
    ablation.set_defaults(handler=ablation_command)


def _check(args: argparse.Namespace) -> None:
    counts = ("trials", "workers", "epochs") if hasattr(args, "trials") else ("top_k",)
    for name in ("horizon", "refit_every", *counts):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if not 0 <= args.fee < 0.1:
        raise UsageError("--fee is a fraction per side between 0 and 0.1 (0.001 = 0.1%)")


def _space(items: list[str] | None) -> dict[str, list[Any]] | None:
    """``NAME=V1,V2`` options as ``{name: [values]}``, numbers read as numbers."""
    if not items:
        return None
    space: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        parsed = [_number(v.strip()) for v in values.split(",") if v.strip()]
        if not sep or not name.strip() or not parsed:
            raise UsageError(f"--space {item!r}: write NAME=V1,V2 (for example num_leaves=15,63)")
        space[name.strip()] = parsed
    return space


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {"start": args.test_start, "refit_every": args.refit_every, "fee": args.fee, "seed": args.seed,
            "cache": not args.no_cache}


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, float) and math.isfinite(value) else "-"


def _num(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) and math.isfinite(value) else "-"


def tune_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.service import epoch_cap
    from core.tuning import tune_walk_forward

    _check(args)
    candles = load(args)
    bar = tqdm(total=args.trials, desc=f"tuning {args.model}", unit="trial", file=sys.stderr)

    def progress(event: dict[str, Any]) -> None:
        bar.total = event["trials"]
        bar.update(event["trial"] - bar.n)

    try:
        result = tune_walk_forward(args.model, candles, args.horizon, trials=args.trials, search=args.search,
                                   space=_space(args.space), workers=args.workers, progress=progress,
                                   overrides=epoch_cap(args.model, args.epochs), **_settings(args))
    finally:
        bar.close()
    payload = result.to_dict()
    if args.json:
        print_json(payload)
        return 0
    print(f"\n{payload['trials']} trials ({payload['search']} search), "
          f"{payload['trials_stopped_early']} stopped early; "
          f"best configuration {payload['best_config']} (defaults {payload['default_config']})")
    print(f"Out of sample, {payload['n_forecasts']:,} forecasts "
          f"from {payload['test_first']} to {payload['test_last']}:")
    rows = {"tuned": payload["tuned_result"], "untuned": payload["untuned_result"], **payload["baselines"]}
    for name, row in rows.items():
        ci = f"{_pct(row['accuracy_ci_low'])}-{_pct(row['accuracy_ci_high'])}"
        print(f"  {name:<14} accuracy {_pct(row['accuracy']):>6} ({ci})  Sharpe {_num(row['sharpe']):>6}  "
              f"{row.get('verdict') or ''}")
    deflated = payload["deflated"]
    print(f"Tuned long/short after costs: Sharpe {_num(deflated['sharpe'])} (95% CI {_num(deflated['sharpe_ci_low'])} "
          f"to {_num(deflated['sharpe_ci_high'])}); deflated Sharpe for {deflated['trials']} trials: "
          f"{_pct(deflated['deflated_sharpe'])} (above 95% would be evidence of an edge).")
    return 0


def ablation_command(args: argparse.Namespace) -> int:
    from core.backtest.ablation import ablation
    from core.backtest.progress import tqdm_bars
    from core.policy.report import finite

    _check(args)
    if args.group == "regimes":
        from core.regimes.features import parse

        parse(args.regime_detectors)  # an unknown detector fails before any walk
    candles = load(args)
    progress, close = tqdm_bars(3 if args.group == "features" else 2)
    try:
        board = finite(ablation(args.model, candles, args.horizon, group=args.group, top_k=args.top_k,
                                regime_features=args.regime_detectors, progress=progress, **_settings(args)))
    finally:
        close()
    if args.json:
        print_json(board)
        return 0
    what = f"k = {args.top_k}" if args.group == "features" else f"regime features: {args.regime_detectors}"
    print(f"\n{args.group.capitalize()} ablation of {args.model} ({what}), "
          f"{board['n_forecasts']:,} out-of-sample forecasts:")
    for name, row in board["rows"].items():
        edge = f"{row['edge']:+.1%}" if row.get("edge") is not None else ""
        print(f"  {name:<24} accuracy {_pct(row['accuracy']):>6}  edge {edge:>7}  Sharpe {_num(row['sharpe']):>6}  "
              f"{row.get('verdict') or row.get('kind', '')}")
    return 0
