"""`lydian sentiment`: per-bar sentiment features from point-in-time texts, the scorers, the PhraseBank classifier."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli._common import UsageError, add_group, check_table_path, print_json, write_table
from core.data.timeframes import TIMEFRAMES


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0 <= value < 1e7:
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or more minutes")
    return value


def add_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_group(commands, "sentiment", "news and social sentiment, point in time",
                    "Sentiment features from texts, each used only once it was public.")
    build = sub.add_parser(
        "features", help="per-bar sentiment features from a file of texts",
        description="Read texts (CSV or parquet: 'timestamp' in UTC, 'text', optional 'source' and 'symbols') and "
        "write one row per bar of --timeframe from --start to --end (bar open times, end inclusive) with the "
        "sentiment mean and dispersion, post/headline counts, their z-scores and coin mentions. A bar's row uses "
        "only texts published before the bar's close minus --latency-minutes.",
    )
    build.add_argument("--texts", type=Path, required=True, help="CSV or parquet file of texts")
    build.add_argument("--timeframe", required=True, choices=list(TIMEFRAMES), metavar="TF",
                       help=f"one of {', '.join(TIMEFRAMES)}")
    build.add_argument("--start", required=True, help="first bar open time (UTC), e.g. 2022-01-01")
    build.add_argument("--end", required=True, help="last bar open time (UTC), inclusive")
    build.add_argument("--latency-minutes", type=_minutes, default=0.0,
                       help="a text counts only if published this many minutes before the bar's close (default 0)")
    build.add_argument("--scorer", default="vader", help="vader (default) or phrasebank; 'lydian sentiment scorers' lists them")
    build.add_argument("--fear-greed", action="store_true",
                       help="add the Fear & Greed index, each day's value known once its day has closed")
    build.add_argument("--out", type=Path, required=True, help="output .csv or .parquet")
    build.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    build.set_defaults(handler=features_command)
    listing = sub.add_parser("scorers", help="which scorers are ready and why the others are not",
                             description="List every text scorer, whether it can run here, and what it needs if not.")
    listing.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    listing.set_defaults(handler=scorers_command)
    study = sub.add_parser(
        "ablation", help="walk-forward with and without the sentiment group on a bundled market",
        description="Score the bundled texts over the last --days days they share with the market's candles, build "
        "the sentiment group point in time, and run the same walk-forward folds with and without it; print the "
        "information coefficient (rank correlation with the next-bar return) and hit rate of each, with 95% "
        "intervals, and each column's own IC.")
    study.add_argument("--symbol", default="BTC", help="bundled symbol (default BTC)")
    study.add_argument("--timeframe", default="1h", choices=list(TIMEFRAMES), metavar="TF", help="default 1h")
    study.add_argument("--source", default="news", choices=("news", "reddit"), help="bundled texts (default news)")
    study.add_argument("--days", type=int, default=120, help="the last this-many days the texts cover (default 120)")
    study.add_argument("--latency-minutes", type=_minutes, default=0.0, help="publication latency (default 0)")
    study.add_argument("--scorer", default="vader", help="vader (default) or phrasebank")
    study.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    study.set_defaults(handler=ablation_command)
    train = sub.add_parser("train-phrasebank", help="train the finance sentence classifier (JSON, no pickle)",
                           description="Train TF-IDF + logistic regression on 80% of the Financial PhraseBank, save "
                           "it as JSON in LYDIAN_HOME and report held-out accuracy and macro-F1 beside VADER's.")
    train.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    train.set_defaults(handler=train_command)


def features_command(args: argparse.Namespace) -> int:
    from core.text import corpus, pipeline

    check_table_path(args.out)
    texts = corpus.normalise(corpus.read_table(args.texts))
    table = pipeline.features(texts, args.timeframe, args.start, args.end, latency_minutes=args.latency_minutes,
                              scorer=args.scorer, with_fear_greed=args.fear_greed)
    write_table(table.reset_index(), args.out, index=False)
    summary = {"rows": len(table), "columns": list(table.columns), "texts": len(texts), "out": str(args.out)}
    if args.json:
        print_json(summary)
    else:
        print(f"wrote {len(table)} bars x {table.shape[1]} sentiment columns from {len(texts)} texts to {args.out}")
    return 0


def ablation_command(args: argparse.Namespace) -> int:
    from core.data import load_candles
    from core.text import market

    if not 1 <= args.days <= 2000:
        raise UsageError("--days must be between 1 and 2000")
    result = market.report(load_candles(args.symbol, args.timeframe), args.timeframe, source=args.source,
                           days=args.days, latency_minutes=args.latency_minutes, scorer=args.scorer)["ablation"]
    if args.json:
        print_json(result)
        return 0
    for name in ("without", "with"):
        row = result[name]
        print(f"{name:<8} IC {row['ic']:+.4f} [{row['ic_low']:+.4f}, {row['ic_high']:+.4f}]  hit rate "
              f"{row['hit_rate']:.3f} [{row['hit_low']:.3f}, {row['hit_high']:.3f}]  n={row['n']}")
    return 0


def scorers_command(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from core.text import scorers

    rows = scorers.status()
    if args.json:
        print_json([asdict(row) for row in rows])
    else:
        for row in rows:
            print(f"{row.name:<11} {'ready' if row.ready else 'not ready':<10} {row.reason}")
    return 0


def train_command(args: argparse.Namespace) -> int:
    from core.text import phrasebank

    report = phrasebank.train_and_report()
    if args.json:
        print_json(report)
    else:
        for name in ("trained", "vader"):
            row = report[name]
            print(f"{name:<8} accuracy {row['accuracy']:.3f}  macro-F1 {row['macro_f1']:.3f}  (held out, n={row['n']})")
        print(f"FinBERT's published accuracy on the PhraseBank: about {report['finbert_published_accuracy']}")
    return 0
