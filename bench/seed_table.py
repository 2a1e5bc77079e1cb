"""The seed paper's comparison table, reproduced in shape on the three Weibo sets.

Gong & Zhang (IJCAI 2016) compare NB, CNN, attention only and CNN + attention. Here: presets ``naive-bayes``,
``cnn``, ``attention-only``, ``attention-cnn`` (the paper's rows) plus ``textcnn``, ``bigru`` and ``bag``, each
trained on train with ``valid=None`` (the trainer's own hashed hold-out of train for early stopping) and scored
on the set's valid split: P@1, R@5 (recall over |T|), F1@1/3/5, training time, model file size. Models are
built as shipped (int8 except naive-bayes, whose preset keeps fp32).

    python -m bench.seed_table [--sets weibo-takg,...] [--presets cnn,...] [--out bench/results/seed_table.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.quality import DEFAULT_DATA_ROOT, BenchSet, K, load_set

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUT = RESULTS_DIR / "seed_table.json"
SETS = ("weibo-takg", "weibo-hashtaggen", "weibo-polls")
PAPER_ROWS = {"naive-bayes": "NB", "cnn": "CNN", "attention-only": "attention only", "attention-cnn": "CNN + attention"}
PRESETS = (*PAPER_ROWS, "textcnn", "bigru", "bag")
METRICS = ("p@1", "r@5", "f1@1", "f1@3", "f1@5")


def run_preset(bench_set: BenchSet, preset: str, **overrides: object) -> dict[str, object]:
    """Train ``preset`` on the set's train (valid=None), score it on valid."""
    import torch

    from bench.product import file_size
    from tagrec_core.metrics import evaluate
    from tagrec_core.presets import config_for
    from tagrec_core.recommender import Recommender
    from tagrec_core.training import train

    torch.set_num_threads(1)  # for the predictions; training uses the preset's threads (``overrides`` may set them)
    config = config_for(preset, **overrides)
    start = time.perf_counter()
    model = train(list(bench_set.train), None, config)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    suggestions = Recommender(model).suggest_many([(r.text, "") for r in bench_set.valid], k=K)
    predict_s = time.perf_counter() - start
    scores = evaluate([[s.tag for s in row] for row in suggestions], [r.tags for r in bench_set.valid])
    return {
        **{m: scores[m] for m in METRICS},
        "train_s": train_s,
        "predict_ms_per_post": 1000 * predict_s / max(1, len(bench_set.valid)),
        "epochs_run": model.meta.get("epochs_run"),
        "train_threads": config.threads,
        "tags": len(model.vocab),
        "size_mb": file_size(model) / 1e6,
        "quantized": model.quantized,
    }


def add_ratios(rows: dict[str, dict[str, object]]) -> None:
    """F1@3 relative to NB (the paper's baseline) and to CNN + attention (the paper's model)."""
    for ref_name, key in (("naive-bayes", "vs_nb"), ("attention-cnn", "vs_attention_cnn")):
        ref = rows.get(ref_name, {}).get("f1@3")
        for row in rows.values():
            row[key] = row["f1@3"] / ref if ref else None


def format_table(set_name: str, rows: dict[str, dict[str, object]], posts: tuple[int, int]) -> str:
    heads = ["P@1", "R@5", "F1@1", "F1@3", "F1@5", "/NB", "/A+CNN", "train s", "epochs", "MB"]
    lines = [
        f"== {set_name} (train {posts[0]}, valid {posts[1]})",
        f"{'preset':<16}{'paper row':<17}" + "".join(f"{h:>8}" for h in heads),
    ]
    for preset, r in rows.items():
        cells = [f"{r[m]:>8.3f}" for m in METRICS]
        cells += [f"{r[k]:>8.2f}" if r.get(k) is not None else f"{'-':>8}" for k in ("vs_nb", "vs_attention_cnn")]
        cells += [f"{r['train_s']:>8.1f}", f"{r['epochs_run'] or 0:>8}", f"{r['size_mb']:>8.1f}"]
        lines.append(f"{preset:<16}{PAPER_ROWS.get(preset, '(extra)'):<17}" + "".join(cells))
    return "\n".join(lines)


def run(
    sets: Sequence[str],
    presets: Sequence[str],
    data_root: Path,
    out: Path | None,
    **overrides: object,
) -> dict[str, object]:
    report: dict[str, object] = {
        "meta": {
            "metrics": "tagrec_core.metrics.evaluate on valid; recall over |T|; train with valid=None",
            "threads": "training: each preset's (train_threads); predicting: 1",
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "overrides": {k: v for k, v in overrides.items()},
        },
        "sets": {},
    }
    for set_name in sets:
        bench_set = load_set(set_name, data_root)
        rows: dict[str, dict[str, object]] = {}
        report["sets"][set_name] = {
            "train_posts": len(bench_set.train),
            "valid_posts": len(bench_set.valid),
            "rows": rows,
        }
        for preset in presets:
            print(f"[{set_name}] {preset}: training on {len(bench_set.train)} posts", file=sys.stderr, flush=True)
            rows[preset] = run_preset(bench_set, preset, **overrides)
            print(f"[{set_name}] {preset}: {rows[preset]['train_s']:.1f} s", file=sys.stderr, flush=True)
            add_ratios(rows)
            if out is not None:  # keep partial results of a long run
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(format_table(set_name, rows, (len(bench_set.train), len(bench_set.valid))) + "\n", flush=True)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed_table", description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--presets", default=",".join(PRESETS), help="comma-separated preset names")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        help="print the tables of earlier runs (merged: later files win per set) instead of training",
    )
    args = parser.parse_args(argv)
    split = lambda s: [x.strip() for x in s.split(",") if x.strip()]  # noqa: E731
    if args.from_json:
        merged: dict[str, object] = {"meta": {"merged_from": [str(p) for p in args.from_json]}, "sets": {}}
        for path in args.from_json:
            merged["sets"].update(json.loads(path.read_text(encoding="utf-8"))["sets"])
        for set_name, entry in merged["sets"].items():
            posts = (entry["train_posts"], entry["valid_posts"])
            print(format_table(set_name, entry["rows"], posts) + "\n")
        if args.out:
            args.out.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
        return 0
    run(split(args.sets), split(args.presets), args.data_root, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
