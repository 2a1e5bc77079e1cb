"""Do the scores mean what they say? The reliability of the full ranker's scores on held-out posts, and what
hiding suggestions below a minimum score (``min_score``: the API, ``tagrec suggest --min-score``, the apps'
"hide suggestions scored below") costs and gains.

Per set: the full ranker trained on train (as ``tagrec train`` does, ``valid=None``; or ``--model`` for every
set), its 10 best suggestions for each valid post (cooking: its 20% fold), then

* a reliability table: per score bin, the suggestions in it, their mean score and the share of them that are
  one of the post's tags (calibrated scores: the two columns agree);
* per minimum score of ``suggestion.MIN_SCORES``: suggestions shown per post (at most 5, as the apps show), the
  share of shown ones that are right, recall of the shown ones (of the post's tags) and posts left with none.

    python -m bench.calibration [--sets so-titles,weibo-polls] [--model PATH] [--data-root ../shared/data]
                                [--out bench/results/calibration.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.quality import DEFAULT_DATA_ROOT, load_set

RESULTS = Path(__file__).resolve().parent / "results"
BINS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
DEPTH = 10  # suggestions per post for the reliability table
SHOWN = 5  # what the apps show at most


def reliability(scores: np.ndarray, right: np.ndarray) -> list[dict[str, float]]:
    """Per score bin ``[lo, hi)`` (the last one closed): suggestions, mean score, share right."""
    rows = []
    for lo, hi in itertools.pairwise(BINS):
        inside = (scores >= lo) & ((scores < hi) if hi < 1.0 else (scores <= hi))
        if inside.any():
            rows.append({"low": lo, "high": hi, "suggestions": int(inside.sum()),
                         "mean_score": float(scores[inside].mean()), "right": float(right[inside].mean())})  # fmt: skip
    return rows


def thresholds(ranked: Sequence[Sequence[tuple[str, float]]], truths: Sequence[set[str]]) -> list[dict[str, float]]:
    """Per minimum score: what the apps would show (``SHOWN`` at most, none below it) and how good that is."""
    from tagrec_core.suggestion import MIN_SCORES

    rows = []
    for minimum in MIN_SCORES:
        kept = [[tag for tag, score in post if score >= minimum][:SHOWN] for post in ranked]
        hits = [len(set(tags) & truth) for tags, truth in zip(kept, truths, strict=True)]
        shown = sum(map(len, kept))
        rows.append({
            "min_score": minimum,
            "shown_per_post": shown / len(kept),
            "right_of_shown": sum(hits) / shown if shown else 0.0,
            "recall": float(np.mean([h / len(t) for h, t in zip(hits, truths, strict=True)])),
            "posts_with_none": float(np.mean([not tags for tags in kept])),
        })  # fmt: skip
    return rows


def measure(recommender: object, records: Sequence[object]) -> dict[str, object]:
    """The reliability and threshold tables of ``recommender``'s suggestions for ``records``."""
    posts = [(r.title, r.body) for r in records]  # type: ignore[attr-defined]
    found = recommender.suggest_many(posts, k=DEPTH)  # type: ignore[attr-defined]
    truths = [{t.lower() for t in r.tags} for r in records]  # type: ignore[attr-defined]
    ranked = [[(s.tag.lower(), s.score) for s in post] for post in found]
    scores = np.array([score for post in ranked for _, score in post])
    right = np.array([tag in truth for post, truth in zip(ranked, truths, strict=True) for tag, _ in post])
    return {"posts": len(records), "reliability": reliability(scores, right), "min_score": thresholds(ranked, truths)}


def run_set(name: str, data_root: Path, model_path: Path | None) -> dict[str, object]:
    from bench.product import one_thread
    from tagrec_core.modelfile import load
    from tagrec_core.presets import config_for
    from tagrec_core.ranker_training import train_ranker
    from tagrec_core.recommender import Recommender

    one_thread()
    bench_set = load_set(name, data_root)
    start = time.perf_counter()
    if model_path is not None:
        model, note = load(model_path), f"loaded from {model_path}"
    else:
        model = train_ranker(list(bench_set.train), None, config_for("bag", threads=1))
        note = f"full ranker trained on {name} train in {time.perf_counter() - start:.0f} s"
    return {"model": note, "split": bench_set.split, **measure(Recommender(model), bench_set.valid)}


def format_set(name: str, result: dict[str, object]) -> str:
    lines = [f"== {name} ({result['split']}, {result['posts']} posts; {result['model']})",
             f"{'score bin':>14} {'suggestions':>12} {'mean score':>11} {'right':>7}"]  # fmt: skip
    for row in result["reliability"]:  # type: ignore[attr-defined]
        lines.append(f"  [{row['low']:.2f}, {row['high']:.2f}) {row['suggestions']:>12} {row['mean_score']:>11.3f}"
                     f" {row['right']:>7.3f}")  # fmt: skip
    lines.append(f"{'min score':>10} {'shown/post':>11} {'right of shown':>15} {'recall':>7} {'posts with none':>16}")
    for row in result["min_score"]:  # type: ignore[attr-defined]
        lines.append(f"{row['min_score']:>10.2f} {row['shown_per_post']:>11.2f} {row['right_of_shown']:>15.3f}"
                     f" {row['recall']:>7.3f} {row['posts_with_none']:>16.3f}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calibration", description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="so-titles,weibo-polls", help="comma-separated set names")
    parser.add_argument("--model", type=Path, help="a model file to measure on every set (default: train one)")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--out", type=Path, default=RESULTS / "calibration.json")
    args = parser.parse_args(argv)
    report: dict[str, object] = {"meta": {"depth": DEPTH, "shown": SHOWN, "bins": list(BINS)}, "sets": {}}
    for name in [s for s in args.sets.split(",") if s]:
        print(f"[{name}] training and suggesting", file=sys.stderr, flush=True)
        report["sets"][name] = result = run_set(name, args.data_root, args.model)  # type: ignore[index]
        print(format_set(name, result), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
