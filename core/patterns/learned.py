"""Learned pattern detectors (issue 23), trained on the rules' own labels and judged against the rules.

The rule-based detectors (`chart_patterns`) label the training bars only; a YOLO-style 1-D detector
(`PatternDetector`) learns the span and class of each chart pattern inside a window of bars, and a 1-D
U-Net (`SupportResistanceUNet`) learns to mark, bar by bar, the bars that sit in a support or
resistance zone the rules know at that bar. On the later bars both are compared with what the rules
find there: precision, recall and span IoU, beside random spans of the same count and lengths, and the
forward returns after their detections beside the rules' own. These are not direction forecasters.

Causality: every window ends at the bar at which its output is known, and is normalised by its own bars;
a detection counts from the end of the first window that showed it, a zone mark at bar t from the
window ending at t. Labels: a pattern's span runs from its first key point to its detection bar; a bar
is in a zone when a support (resistance) level detected at or before it is still unresolved and the
bar's low (high) is within half the zigzag threshold of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

from core.errors import DataError
from core.models.trainer import seed_everything
from core.patterns._learned_nets import BOX, PatternDetector, SupportResistanceUNet
from core.patterns.chart import chart_patterns
from core.patterns.events import CHART_PATTERNS, ChartPattern
from core.patterns.stats import forward_returns

CLASSES = tuple(CHART_PATTERNS)
ZONES = ("support", "resistance")  # U-Net classes 1 and 2; 0 is no zone
TRAIN_STRIDE = 8  # bars between training windows: neighbours overlap by all but 8 bars, so more adds little


@dataclass(frozen=True)
class LearnConfig:
    threshold: float = 0.01  # zigzag reversal for the rules' labels: 1 % gives ~560 patterns a year of 1h bars
    window: int = 128  # bars a detector or U-Net window spans (99 % of 1 % patterns are shorter)
    cells: int = 16  # detector cells per window (8 bars each)
    stride: int = 8  # bars between detector windows at inference
    epochs: int = 20
    lr: float = 2e-3
    train: float = 0.6  # share of the bars whose rule labels train the nets; the rest is for evaluation
    horizon: int = 24  # bars after a detection at which its forward return is read
    iou: float = 0.5  # span IoU at which a detection matches a rule pattern of the same class
    seed: int = 0


@dataclass(frozen=True)
class Detection:
    pattern: str
    start: int  # bar positions in the candles
    end: int
    known: int  # the bar at whose close the detector first showed it
    score: float


# ---- inputs and labels
def window_inputs(candles: pd.DataFrame, window: int, ends: np.ndarray | None = None) -> np.ndarray:
    """(bars, OHLCV) -> (windows, 5, window) float32 for the windows ending at ``ends`` (default: every bar from
    ``window - 1``, so window k ends at bar k + window - 1).

    Log prices minus the window's last log close, over the window's log range; volume as log(1 + v / mean v).
    """
    ohlc = np.log(candles[["open", "high", "low", "close"]].to_numpy(np.float64))
    volume = candles["volume"].to_numpy(np.float64)
    if len(ohlc) < window:
        raise DataError(f"need at least {window} bars, got {len(ohlc)}")
    starts = slice(None) if ends is None else np.asarray(ends) - window + 1
    prices = sliding_window_view(ohlc, window, axis=0)[starts]  # (n, 4, window)
    span = np.maximum(prices[:, 1].max(-1) - prices[:, 2].min(-1), 1e-9)[:, None, None]
    prices = (prices - prices[:, 3:4, -1:]) / span
    vol = sliding_window_view(volume, window)[starts]
    mean = np.maximum(vol.mean(-1, keepdims=True), 1e-12)
    return np.concatenate([prices, np.log1p(vol / mean)[:, None]], axis=1).astype(np.float32)


def rule_spans(events: list[ChartPattern], index: pd.DatetimeIndex) -> pd.DataFrame:
    """Rule patterns as bar positions: start (first key point), known (detection bar), class id."""
    rows = [(index.get_loc(e.start), index.get_loc(e.detected_at), CLASSES.index(e.pattern)) for e in events]
    return pd.DataFrame(rows, columns=["start", "known", "cls"], dtype=np.int64)


def zone_labels(candles: pd.DataFrame, events: list[ChartPattern], tol: float) -> np.ndarray:
    """Per bar: 0, 1 (support zone) or 2 (resistance zone) of the rule levels known and unresolved at that bar."""
    index = candles.index
    low, high = candles["low"].to_numpy(), candles["high"].to_numpy()
    labels = np.zeros(len(candles), dtype=np.int64)
    best = np.full(len(candles), np.inf)
    for e in events:
        if e.pattern not in ZONES:
            continue
        first = index.get_loc(e.detected_at)
        last = index.get_loc(e.resolved_at) if e.resolved_at is not None else len(candles) - 1
        bars = np.arange(first, last + 1)
        price = low[bars] if e.pattern == "support" else high[bars]
        gap = np.abs(price / e.level - 1.0)
        near = (gap <= tol) & (gap < best[bars])
        labels[bars[near]], best[bars[near]] = ZONES.index(e.pattern) + 1, gap[near]
    return labels


def detector_targets(spans: pd.DataFrame, ends: np.ndarray, cfg: LearnConfig) -> np.ndarray:
    """(windows, cells, 4): objectness, centre in its cell, log length / window, class (-1: none)."""
    out = np.zeros((len(ends), cfg.cells, 4), dtype=np.float32)
    out[..., 3] = -1
    cell = cfg.window / cfg.cells
    for row in spans.itertuples():  # in detection order: a later pattern in the same cell wins
        w = np.flatnonzero((ends >= row.known) & (ends - cfg.window + 1 <= row.start))  # windows holding the whole span
        centre = (row.start + row.known) / 2 - (ends[w] - cfg.window + 1) + 0.5
        c = np.minimum((centre // cell).astype(np.intp), cfg.cells - 1)
        out[w, c] = np.column_stack([np.ones(len(w)), centre / cell - c, np.full(len(w), np.log(
            (row.known - row.start + 1) / cfg.window)), np.full(len(w), row.cls)])
    return out


# ---- training
def _loop(module: torch.nn.Module, x: np.ndarray, y: np.ndarray, loss, cfg: LearnConfig, batch: int = 64) -> None:
    """A few seeded AdamW epochs over (x, y); no early stopping: the evaluation bars are never seen."""
    generator = torch.Generator().manual_seed(cfg.seed)
    optimizer = torch.optim.AdamW(module.parameters(), lr=cfg.lr, weight_decay=1e-4)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    module.train()
    for _ in range(cfg.epochs):
        for idx in torch.randperm(len(xt), generator=generator).split(batch):
            if len(idx) < 2:
                continue
            optimizer.zero_grad(set_to_none=True)
            loss(module(xt[idx]), yt[idx]).backward()
            optimizer.step()
    module.eval()


def _detector_loss(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    has = target[..., 0] > 0
    loss = F.binary_cross_entropy_with_logits(out[..., 0], target[..., 0], pos_weight=torch.tensor(4.0))
    if has.any():
        o, t = out[has], target[has]
        loss = loss + F.mse_loss(torch.sigmoid(o[:, 1]), t[:, 1]) + F.mse_loss(o[:, 2], t[:, 2])
        loss = loss + F.cross_entropy(o[:, BOX:], t[:, 3].long())
    return loss


def fit_detector(candles: pd.DataFrame, spans: pd.DataFrame, cfg: LearnConfig) -> PatternDetector:
    """Train on windows ending every `TRAIN_STRIDE` bars of ``candles`` (the caller passes training bars only)."""
    seed_everything(cfg.seed)
    x = window_inputs(candles, cfg.window)[::TRAIN_STRIDE]
    ends = np.arange(cfg.window - 1, len(candles))[::TRAIN_STRIDE]
    model = PatternDetector(cfg.window, cfg.cells, len(CLASSES))
    _loop(model, x, detector_targets(spans, ends, cfg), _detector_loss, cfg)
    return model


def fit_unet(candles: pd.DataFrame, labels: np.ndarray, cfg: LearnConfig) -> SupportResistanceUNet:
    seed_everything(cfg.seed)
    x = window_inputs(candles, cfg.window)[::TRAIN_STRIDE]
    y = sliding_window_view(labels, cfg.window)[::TRAIN_STRIDE].copy()
    weight = torch.tensor([1.0, 5.0, 5.0])  # zones are rare: a few % of bars
    model = SupportResistanceUNet()
    _loop(model, x, y, lambda out, t: F.cross_entropy(out, t, weight=weight), cfg)
    return model


# ---- inference
def detect(model: PatternDetector, candles: pd.DataFrame, cfg: LearnConfig, first_end: int = 0) -> list[Detection]:
    """Detections of windows ending every ``stride`` bars from ``first_end``, each kept at its first sighting."""
    ends = np.arange(max(first_end, cfg.window - 1), len(candles), cfg.stride)
    if not len(ends):
        return []
    with torch.inference_mode():
        out = model(torch.from_numpy(window_inputs(candles, cfg.window, ends))).numpy()
    cell = cfg.window / cfg.cells
    score = 1 / (1 + np.exp(-out[..., 0]))
    w, c = np.nonzero(score > 0.5)
    centre = (c + 1 / (1 + np.exp(-out[w, c, 1]))) * cell + ends[w] - cfg.window + 1 - 0.5
    half = np.exp(out[w, c, 2]) * cfg.window / 2
    classes = out[w, c, BOX:].argmax(-1)
    kept: list[Detection] = []
    recent: dict[int, list[tuple[int, int]]] = {}  # per class, the spans kept lately: a repeat matches one of them
    for i in np.argsort(ends[w], kind="stable"):
        start, end = int(max(round(centre[i] - half[i]), 0)), int(min(round(centre[i] + half[i]), ends[w][i]))
        end = max(end, start)
        seen = recent.setdefault(int(classes[i]), [])
        if not any(span_iou(span, (start, end)) >= cfg.iou for span in seen[-20:]):
            seen.append((start, end))
            kept.append(Detection(CLASSES[classes[i]], start, end, int(ends[w][i]), float(score[w[i], c[i]])))
    return kept


def zone_probabilities(model: SupportResistanceUNet, candles: pd.DataFrame, cfg: LearnConfig) -> np.ndarray:
    """Per bar P(none, support, resistance) from the window ending at that bar (NaN before the first full window)."""
    x = torch.from_numpy(window_inputs(candles, cfg.window))
    with torch.inference_mode():
        last = torch.cat([model(chunk)[..., -1] for chunk in x.split(2048)]).softmax(-1).numpy()
    return np.concatenate([np.full((cfg.window - 1, 3), np.nan), last])


def mark_zones(model: SupportResistanceUNet, candles: pd.DataFrame, cfg: LearnConfig) -> np.ndarray:
    """Per bar 0 (none), 1 (support zone) or 2 (resistance zone); 0 before the first full window."""
    return np.nan_to_num(zone_probabilities(model, candles, cfg), nan=0.0).argmax(-1)


# ---- evaluation
def span_iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Intersection over union of two inclusive bar spans."""
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
    return max(inter, 0) / (max(a[1], b[1]) - min(a[0], b[0]) + 1)


def match(found: list[tuple[int, int, int]], truth: list[tuple[int, int, int]], iou: float) -> dict[str, float]:
    """Greedy one-to-one matching of (start, end, class) spans: precision, recall, mean IoU of the matches."""
    t = np.array(truth, dtype=np.float64).reshape(-1, 3)
    free = np.ones(len(t), dtype=bool)
    ious = []
    for s, e, k in found:
        inter = np.minimum(e, t[:, 1]) - np.maximum(s, t[:, 0]) + 1
        score = np.where(free & (t[:, 2] == k), np.maximum(inter, 0) / (np.maximum(e, t[:, 1]) - np.minimum(s, t[:, 0]) + 1), 0)
        if len(score) and score.max() >= iou:
            free[score.argmax()] = False
            ious.append(float(score.max()))
    return {"precision": len(ious) / len(found) if found else float("nan"),
            "recall": len(ious) / len(truth) if truth else float("nan"),
            "mean_iou": float(np.mean(ious)) if ious else float("nan"), "n_found": len(found), "n_rules": len(truth)}


def chance(found: list[tuple[int, int, int]], truth: list[tuple[int, int, int]], lo: int, hi: int, iou: float,
           draws: int = 20, seed: int = 0) -> dict[str, float]:
    """`match` for random spans of the same lengths and classes placed uniformly in [lo, hi]."""
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(draws):
        spans = []
        for s, e, k in found:
            start = int(rng.integers(lo, max(hi - (e - s), lo + 1)))
            spans.append((start, start + e - s, k))
        scores.append(match(spans, truth, iou))
    return {key: float(np.nanmean([s[key] for s in scores])) for key in ("precision", "recall")}


def zone_scores(marks: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, float]]:
    """Bar-level precision, recall and IoU of each zone class, beside its base rate."""
    out = {}
    for k, name in enumerate(ZONES, start=1):
        p, t = marks == k, labels == k
        tp = int((p & t).sum())
        out[name] = {"precision": tp / p.sum() if p.any() else float("nan"), "recall": tp / t.sum() if t.any() else float("nan"),
                     "iou": tp / (p | t).sum() if (p | t).any() else float("nan"), "base_rate": float(t.mean()),
                     "marked": int(p.sum()), "rule_bars": int(t.sum())}
    return out


def signed_returns(close: np.ndarray, bars: np.ndarray, patterns: list[str], horizon: int) -> dict[str, float]:
    """Forward returns after each detection, signed by its pattern's claim (neutral claims left out)."""
    sign = np.array([{"bullish": 1.0, "bearish": -1.0}.get(CHART_PATTERNS[p], 0.0) for p in patterns])
    r = forward_returns(close, horizon)[bars] * sign if len(bars) else np.array([])
    r = r[(sign != 0) & np.isfinite(r)] if len(bars) else r
    return {"n": int(len(r)), "mean_signed_return": float(r.mean()) if len(r) else float("nan"),
            "hit_rate": float((r > 0).mean()) if len(r) else float("nan")}


def learn(candles: pd.DataFrame, cfg: LearnConfig = LearnConfig()) -> dict:
    """Train both nets on the first ``cfg.train`` of the bars (their rule labels only), score them on the rest."""
    cut = int(len(candles) * cfg.train)
    if cut < 2 * cfg.window or len(candles) - cut < cfg.window:
        raise DataError(f"need at least {int(3 * cfg.window / cfg.train)} bars to train and evaluate, got {len(candles)}")
    train = candles.iloc[:cut]
    train_events = chart_patterns(train, cfg.threshold)  # the rules see only the training bars
    all_events = chart_patterns(candles, cfg.threshold)
    detector = fit_detector(train, rule_spans(train_events, train.index), cfg)
    unet = fit_unet(train, zone_labels(train, train_events, cfg.threshold / 2), cfg)
    found = detect(detector, candles, cfg, first_end=cut)
    truth = rule_spans([e for e in all_events if candles.index.get_loc(e.detected_at) >= cut], candles.index)
    found_spans = [(d.start, d.end, CLASSES.index(d.pattern)) for d in found]
    truth_spans = list(truth[["start", "known", "cls"]].itertuples(index=False, name=None))
    close = candles["close"].to_numpy()
    labels = zone_labels(candles, all_events, cfg.threshold / 2)[cut:]
    marks = mark_zones(unet, candles, cfg)[cut:]
    base = forward_returns(close, cfg.horizon)[cut:]
    return {
        "config": asdict(cfg), "bars": len(candles), "train_bars": cut, "test_start": candles.index[cut].isoformat(),
        "detector": {**match(found_spans, truth_spans, cfg.iou),
                     "chance": chance(found_spans, truth_spans, cut, len(candles) - 1, cfg.iou, seed=cfg.seed)},
        "unet": zone_scores(marks, labels),
        "forward_returns": {
            "horizon": cfg.horizon,
            "detector": signed_returns(close, np.array([d.known for d in found], dtype=np.int64), [d.pattern for d in found],
                                       cfg.horizon),
            "rules": signed_returns(close, truth["known"].to_numpy(), [CLASSES[k] for k in truth["cls"]], cfg.horizon),
            "base": {"mean_return": float(np.nanmean(base)), "up_rate": float(np.mean(base[np.isfinite(base)] > 0))},
        },
    }
