"""Suggestion latency of two or more model files, side by side in one process (an A/B of a rebuilt model).

Each model suggests for the same valid posts of each set; the passes alternate between the models, so a busy
spell of the machine falls on all of them alike, and every post keeps its fastest of ``--passes`` times (as
``bench.speed`` does). Prints p50 and p99 per set and model, and each model's ratio to the first.

    python -m bench.models_ab OLD.tagrec NEW.tagrec [--sets se-multi,so-titles] [--posts 400] [--passes 5]
                              [--data-root ../shared/data] [--out FILE.json]

E.g. the shipped model before and after a rebuild: ``git show HEAD~1:tagrec_core/resources/stackoverflow.tagrec
> /tmp/old.tagrec``, then this with ``/tmp/old.tagrec tagrec_core/resources/stackoverflow.tagrec``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from bench.product import one_thread
from bench.quality import DEFAULT_DATA_ROOT
from bench.speed import Post, latencies_us, summarize, tagrec_call

WARMUP = 30


def compare(paths: Sequence[Path], posts: Sequence[Post], passes: int) -> list[dict[str, float]]:
    """Per model of ``paths``: ``bench.speed.summarize`` of each post's fastest suggestion time (µs), the
    models taking turns pass by pass (each pass is ``bench.speed.latencies_us`` of one model)."""
    from tagrec_core.modelfile import load

    calls = [tagrec_call(load(path)) for path in paths]
    best = [latencies_us(call, posts, warmup=WARMUP) for call in calls]
    for _ in range(passes - 1):
        for call, times in zip(calls, best, strict=True):
            times[:] = map(min, times, latencies_us(call, posts, warmup=0))
    return [summarize(times) for times in best]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", type=Path, help="model files; ratios are to the first")
    parser.add_argument("--sets", default="se-multi,so-titles", help="comma-separated sets; their valid posts")
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if len(args.models) < 2:
        parser.error("give at least two model files")
    one_thread()
    from tagrec_core.records import read_records

    report: dict[str, object] = {"models": [str(p) for p in args.models], "passes": args.passes, "sets": {}}
    for name in args.sets.split(","):
        records = read_records(args.data_root / name / "valid.jsonl", require_tags=False)[: args.posts]
        summaries = compare(args.models, [(r.title, r.body) for r in records], args.passes)
        report["sets"][name] = summaries  # type: ignore[index]
        first = summaries[0]
        for path, s in zip(args.models, summaries, strict=True):
            print(
                f"{name:18} {path.name:28} p50 {s['p50_us']:7.0f} us ({s['p50_us'] / first['p50_us']:.2f}x)"
                f"  p99 {s['p99_us']:7.0f} us ({s['p99_us'] / first['p99_us']:.2f}x)",
                flush=True,
            )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
