"""`lydian models ...`, `lydian train` and `lydian predict`: the model zoo from the shell."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from core.cli._common import (
    add_backend_args, add_ensemble_args, add_group, add_source_args, add_volatility_arg, ensemble_changes, load,
    print_json,
)


def _version(text: str) -> int | str:
    if text == "latest":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version number or 'latest'") from None


def _add_market_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--horizon", type=int, default=1, help="bars ahead to forecast (default 1)")
    parser.add_argument("--device", default=None, help="auto (default), cpu, cuda or mps")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def _add_version_args(parser: argparse.ArgumentParser, *, version_required: bool) -> None:
    parser.add_argument("--symbol", required=True, help="e.g. BTC/USDT")
    parser.add_argument("--timeframe", default="1h", help="default 1h")
    parser.add_argument("--horizon", type=int, default=1, help="default 1")
    parser.add_argument("--model", required=True, help="a model id (see 'lydian models list')")
    parser.add_argument("--version", type=int, required=version_required, help="version number")


def add_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_group(commands, "models", "list models and manage trained versions",
                    "List the model zoo and manage trained versions.")
    listing = sub.add_parser("list", help="every model id with family and size", description="Every registered model.")
    listing.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    listing.set_defaults(handler=models_list)
    versions = sub.add_parser("versions", help="trained versions of one model", description="Trained versions of a model.")
    _add_version_args(versions, version_required=False)
    versions.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    versions.set_defaults(handler=models_versions)
    for name, handler, text in (("promote", models_promote, "make a version the default"),
                                ("delete", models_delete, "delete one version")):
        command = sub.add_parser(name, help=text, description=text.capitalize() + ".")
        _add_version_args(command, version_required=True)
        command.set_defaults(handler=handler)
    key = sub.add_parser(
        "key", help="print a new key for encrypting model files at rest",
        description="Print 32 random bytes as 64 hex digits. Export it as LYDIAN_ARTIFACT_KEY and every model "
        "saved from then on is encrypted with AES-256-GCM; loading it needs the same key. Keep the key apart "
        "from the artifacts: without it the models cannot be read.",
    )
    key.set_defaults(handler=models_key)

    train = commands.add_parser(
        "train", help="train models on one market",
        description="Train models on a purged 60/20/20 chronological split (the last 20% is left for "
        "evaluation) and store each as a new version. Shows per-model and per-epoch progress.",
    )
    add_source_args(train)
    train.add_argument("--models", default="lightgbm",
                       help="'all', a family (lstm, forest, statistical...: see 'lydian models list'), ids a,b "
                       "and/or 'ensemble' (trains the ensemble with its own members; default lightgbm)")
    add_ensemble_args(train, "--ensemble-")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--epochs", type=int, default=None, help="cap on epochs for the nets (default: their own)")
    _add_market_args(train)
    add_backend_args(train)
    train.set_defaults(handler=train_command)

    predict = commands.add_parser("predict", help="forecast the next bar(s) with a trained model",
                                  description="P(up) and expected return for the bar after the last candle.")
    add_source_args(predict)
    predict.add_argument("--model", required=True,
                         help="a model id (see 'lydian models list') or 'ensemble' for the combined BUY/SELL/HOLD signal")
    add_ensemble_args(predict)
    add_volatility_arg(predict)
    predict.add_argument("--version", type=_version, default=None, help="version number or 'latest' (default: promoted, else latest)")
    _add_market_args(predict)
    predict.set_defaults(handler=predict_command)


def models_list(args: argparse.Namespace) -> int:
    from core import forecasters
    from core.features import feature_groups
    from core.models import capabilities as cap

    n_features = len(feature_groups())
    rows = [
        {"id": s.model_id, "family": s.family, "parameters": forecasters.parameter_count(s.model_id, n_features),
         "tags": sorted(s.tags), "available": s.available, "install": s.install if not s.available else "",
         "unavailable_reason": s.unavailable_reason, "description": s.description}
        for s in forecasters.registry().values()
    ]
    if args.json:
        print_json(rows)
        return 0
    print(f"{'id':<22} {'family':<12} {'parameters':>10}  description")
    for row in rows:
        size = f"{row['parameters']:,}" if row["parameters"] else "trees" if cap.TREE in row["tags"] else "-"
        note = f"  [unavailable: {row['unavailable_reason'] or row['install']}]" if not row["available"] else ""
        print(f"{row['id']:<22} {row['family']:<12} {size:>10}  {row['description']}{note}")
    single = sum(1 for r in rows if cap.BASELINE not in r["tags"] and cap.COMBINER not in r["tags"])
    print(f"\n{single} models, {len(rows) - single} baselines and ensembles; parameter counts for {n_features} "
          "input features.")
    return 0


def _key(args: argparse.Namespace, symbol: str | None = None, timeframe: str | None = None):
    from core.data import normalize_symbol
    from core.models.store import Key

    return Key(normalize_symbol(symbol or args.symbol), timeframe or args.timeframe, args.horizon)


def models_versions(args: argparse.Namespace) -> int:
    from core import service

    fields = ("version", "created", "n_parameters", "fit_seconds", "valid_metrics", "promoted")
    key = _key(args)
    rows = [{k: meta.get(k) for k in fields} for meta in service.versions(key, args.model)]
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"No trained {args.model} for {key.symbol} {key.timeframe} h{key.horizon}.")
    else:
        for row in rows:
            mark = " (promoted)" if row["promoted"] else ""
            acc = row["valid_metrics"].get("accuracy", float("nan"))
            print(f"v{row['version']}{mark}  {row['created']}  validation accuracy {acc:.3f}")
    return 0


def models_promote(args: argparse.Namespace) -> int:
    from core.models.store import ModelStore

    ModelStore().promote(_key(args), args.model, args.version)
    print(f"{args.model} v{args.version} is now the default version")
    return 0


def models_key(args: argparse.Namespace) -> int:
    from core.models.encryption import new_key

    print(new_key())
    return 0


def models_delete(args: argparse.Namespace) -> int:
    from core.models.store import ModelStore

    ModelStore().delete(_key(args), args.model, args.version)
    print(f"deleted {args.model} v{args.version}")
    return 0


class _Bars:
    """tqdm bars on stderr: one over the models, one over the epochs of the model in training."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self.models = tqdm(total=total, desc="models", unit="model", file=sys.stderr, position=0)
        self.epochs: Any = None

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") == "model":
            self._close_epochs()
            self.models.set_postfix_str(event["model"])
            if event["index"]:
                self.models.update(1)
        elif "epoch" in event:
            if self.epochs is None:
                self.epochs = self._tqdm(total=event["epochs"], desc=event.get("model", "epochs"), unit="epoch",
                                         file=sys.stderr, position=1, leave=False)
            self.epochs.update(1)
            self.epochs.set_postfix(valid_loss=f"{event['valid_loss']:.4f}")

    def _close_epochs(self) -> None:
        if self.epochs is not None:
            self.epochs.close()
            self.epochs = None

    def close(self) -> None:
        self._close_epochs()
        self.models.update(self.models.total - self.models.n)
        self.models.close()


def train_command(args: argparse.Namespace) -> int:
    from core import forecasters, service
    from core.distributed.backend import backend_for
    from core.ensemble import ENSEMBLE
    from core.models.device import pick_device

    ids = forecasters.resolve_ids(args.models)
    backend = backend_for(args.backend, args.ray_address)
    device = str(pick_device(args.device))
    candles = load(args)
    key = _key(args, candles.attrs.get("symbol"), candles.attrs.get("timeframe"))
    config = service.ensemble_config(key, **ensemble_changes(args, "ensemble_")) if ENSEMBLE in ids else None
    print(f"training {len(ids)} model(s) on {device}", file=sys.stderr)
    bars = _Bars(len(ids))
    try:
        reports = service.train(candles, key, ids, source=candles.attrs.get("source", "bundled"), epochs=args.epochs,
                                config=config, seed=args.seed, device=device, progress=bars, backend=backend)
    finally:
        bars.close()
    if args.json:
        print_json([r.to_dict() for r in reports])
        return 0
    print(f"\nTrained on {key.symbol} {key.timeframe}, horizon {key.horizon} (validation = the 20% after training):")
    print(f"{'model':<22} {'version':>7} {'parameters':>10} {'seconds':>8} {'valid acc':>9} {'log loss':>8} {'n':>6}")
    for r in reports:
        print(f"{r.model_id:<22} {r.version:>7} {r.n_parameters:>10,} {r.fit_seconds:>8.1f} "
              f"{r.valid_accuracy:>9.3f} {r.valid_log_loss:>8.4f} {r.valid_n:>6}")
    print("Validation accuracy guided early stopping; honest figures come from walk-forward tests beside baselines.")
    return 0


def predict_command(args: argparse.Namespace) -> int:
    from core import service

    candles = load(args)
    key = _key(args, candles.attrs.get("symbol"), candles.attrs.get("timeframe"))
    if args.model == "ensemble":
        return _ensemble_command(args, candles, key)
    result = service.forecast(candles, key, args.model, args.version)
    if args.json:
        print_json(result)
        return 0
    direction = "up" if result["p_up"] >= 0.5 else "down"
    print(f"{args.model} v{result['version']} on {key.symbol} {key.timeframe}, after the candle of {result['candle_time']}:")
    print(f"  P(up over {key.horizon} bar(s)) = {result['p_up']:.3f}  -> leans {direction}")
    print(f"  expected return               = {result['expected_return']:+.4%}")
    for label, forecast in result.get("horizons", {}).items():  # multi-horizon models: every horizon forecast at once
        print(f"  over {label:<4} ({forecast['bars']} bars): P(up) {forecast['p_up']:.3f}, "
              f"expected return {forecast['expected_return']:+.4%}")
    return 0


def _ensemble_command(args: argparse.Namespace, candles: Any, key: Any) -> int:
    from core import service

    settings = service.signal_settings(key)
    if args.volatility:
        settings = dataclasses.replace(settings, volatility=args.volatility)
    signal = service.signal(candles, key, service.ensemble_config(key, **ensemble_changes(args)), settings)
    if args.json:
        print_json(signal.to_dict())
        return 0
    s = signal
    print(f"Ensemble ({s.method}, {s.calibration} calibration) on {s.symbol} {s.timeframe}, after the candle of "
          f"{s.candle_time}, for the next {s.time_horizon}:")
    print(f"  {s.action}  P(up) {s.probability:.3f}  confidence {s.confidence:.2f}  agreement {s.model_agreement:.0f}%  "
          f"risk {s.risk_score:.0f}/100")
    print(f"  price {s.price:,.2f}  target {s.price_target:,.2f}"
          + (f"  stop-loss {s.stop_loss:,.2f}  take-profit {s.take_profit:,.2f}" if s.stop_loss else ""))
    for c in s.contributing_models:
        print(f"    {c.id:<22} P(up) {c.probability:.3f}  weight {c.weight:.3f}")
    if s.evaluation:
        e = s.evaluation
        print(f"  walk-forward: {e['accuracy']:.1%} ({e['accuracy_ci_low']:.1%}-{e['accuracy_ci_high']:.1%}, "
              f"n={e['n']}), edge {e['edge']:+.1%} over {e['baseline']}: {e['verdict']}")
    else:
        print(f"  {s.note}")
    return 0
