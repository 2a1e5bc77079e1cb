"""How latency, model file size and memory grow with the number of tags (synthetic data, bag preset, int8).

Synthetic records: tag ``i`` (Zipf-distributed over ranks, every tag used at least once) owns a few words of
its own; a post mentions some words of each of its 1-3 tags among common filler words. Only a few epochs:
the point is size and latency, not quality (F1@3 on a held-out synthetic sample is printed as a sanity check).
Latency: single thread, one post per ``suggest(k=5)`` call, short (~10 words) and long (~200 words) posts.
RSS: a fresh subprocess that imports tagrec_core, loads the model and suggests once.

    python -m bench.scaling [--tags 1000,10000,50000] [--epochs 2] [--out bench/results/scaling.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.speed import measure_groups, subprocess_rss, tagrec_call

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUT = RESULTS_DIR / "scaling.json"
DEFAULT_TAGS = (1_000, 10_000, 50_000)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_FILLER = [
    "how",
    "do",
    "i",
    "get",
    "the",
    "a",
    "to",
    "in",
    "with",
    "when",
    "not",
    "working",
    "error",
    "best",
    "way",
    "my",
    "is",
    "it",
    "can",
    "why",
    "use",
    "using",
    "from",
    "for",
    "on",
    "what",
    "does",
    "this",
    "that",
    "make",
    "set",
    "find",
    "change",
    "run",
    "after",
    "file",
    "value",
    "new",
    "data",
    "list",
]


def word(n: int) -> str:
    """A distinct lowercase token for every integer (base-26 letters, at least 4 long)."""
    out = []
    n += 26**3
    while n:
        n, r = divmod(n, 26)
        out.append(_LETTERS[r])
    return "".join(reversed(out))


def synthetic_records(
    n_tags: int,
    n_records: int,
    *,
    words_per_tag: int = 3,
    zipf_s: float = 1.1,
    seed: int = 0,
    long: bool = False,
    prefix: str = "syn",
):
    """``n_records`` Records over ``n_tags`` tags; the first ``n_tags`` records cover every tag once."""
    import numpy as np

    from tagrec_core.records import Record

    rng = random.Random(seed)
    weights = 1.0 / np.arange(1, n_tags + 1) ** zipf_s
    draws = np.random.default_rng(seed).choice(n_tags, size=(n_records, 3), p=weights / weights.sum())
    records = []
    for i in range(n_records):
        n = rng.choice((1, 1, 2, 2, 3))
        tags = list(dict.fromkeys([i % n_tags, *draws[i, : n - 1].tolist()])) if i < n_tags else []
        tags = tags or list(dict.fromkeys(draws[i, :n].tolist()))
        words = [word(t * words_per_tag + rng.randrange(words_per_tag)) for t in tags for _ in range(2)]
        words += rng.choices(_FILLER, k=190 if long else 5)
        rng.shuffle(words)
        title = " ".join(words[:12])
        body = " ".join(words[12:])
        records.append(Record(f"{prefix}:{i}", title, body, tuple(f"t{word(t)}" for t in tags)))
    return records


def run_one(
    n_tags: int, *, epochs: int, n_records: int, n_latency: int, seed: int = 0, repeat: int = 1, **overrides: object
) -> dict[str, object]:
    """Train the bag preset (with ``overrides``) on synthetic data with ``n_tags`` tags; size, latency, RSS."""
    import torch

    from bench.product import rank, scratch_dir
    from tagrec_core.metrics import evaluate
    from tagrec_core.modelfile import load, save
    from tagrec_core.presets import config_for
    from tagrec_core.training import train

    torch.set_num_threads(1)
    records = synthetic_records(n_tags, n_records, seed=seed)
    config = config_for("bag", **{"epochs": epochs, "patience": epochs, "valid_limit": 1000, "threads": 1, **overrides})
    start = time.perf_counter()
    model = train(records, None, config)
    train_s = time.perf_counter() - start
    short = synthetic_records(n_tags, n_latency, seed=seed + 1, prefix="short")
    long = synthetic_records(n_tags, n_latency, seed=seed + 2, long=True, prefix="long")
    with tempfile.TemporaryDirectory(prefix="tagrec-scaling-", dir=scratch_dir()) as tmp:
        path = save(model, Path(tmp) / "model.tagrec")
        size = os.path.getsize(path)
        loaded = load(path)
        groups = {"short": [(r.title, r.body) for r in short], "long": [(r.title, r.body) for r in long]}
        latency = measure_groups(tagrec_call(loaded), groups, repeat=repeat)
        memory = subprocess_rss(path, groups["short"][0])
    f1 = evaluate(rank(loaded, [r.text for r in short], 5), [r.tags for r in short])["f1@3"]
    return {
        "tags": n_tags,
        "model_tags": len(model.vocab),
        "records": n_records,
        "epochs_run": model.meta.get("epochs_run"),
        "train_s": train_s,
        "file_mb": size / 1e6,
        "latency": latency,
        "memory": memory,
        "sanity_f1@3_short": f1,
        "latency_repeat": repeat,
    }


def format_table(rows: Sequence[dict[str, object]]) -> str:
    base = rows[0] if rows else None
    lines = [
        "== bag int8 vs number of tags (synthetic, 1 thread, latency = each post's best of N passes); x = vs first row",
        f"{'tags':>7}{'posts':>8}{'train s':>8}{'file MB':>8}{'x':>6}{'RSS MB':>8}{'x':>6}"
        f"{'short p50':>10}{'p99':>8}{'long p50':>10}{'p99':>8}{'x p99':>7}{'F1@3':>6}  (latency µs)",
    ]
    for r in rows:
        s, g = r["latency"]["short"], r["latency"]["long"]
        lines.append(
            f"{r['model_tags']:>7}{r['records']:>8}{r['train_s']:>8.0f}{r['file_mb']:>8.1f}"
            f"{r['file_mb'] / base['file_mb']:>6.2f}{r['memory']['rss_mb']:>8.0f}"
            f"{r['memory']['rss_mb'] / base['memory']['rss_mb']:>6.2f}"
            f"{s['p50_us']:>10.0f}{s['p99_us']:>8.0f}{g['p50_us']:>10.0f}{g['p99_us']:>8.0f}"
            f"{r['latency']['all']['p99_us'] / base['latency']['all']['p99_us']:>7.2f}{r['sanity_f1@3_short']:>6.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.split("\n")[0])
    parser.add_argument("--tags", default=",".join(map(str, DEFAULT_TAGS)), help="comma-separated tag counts")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--extra-records", type=int, default=20_000, help="posts beyond one per tag")
    parser.add_argument("--latency-posts", type=int, default=300, help="short and long posts each")
    parser.add_argument("--repeat", type=int, default=5, help="latency: each post's best of N passes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    rows = []
    for n_tags in [int(t) for t in args.tags.split(",") if t.strip()]:
        print(f"{n_tags} tags: training", file=sys.stderr, flush=True)
        rows.append(
            run_one(
                n_tags,
                epochs=args.epochs,
                n_records=n_tags + args.extra_records,
                n_latency=args.latency_posts,
                repeat=args.repeat,
            )
        )
        print(f"{n_tags} tags: {rows[-1]['train_s']:.0f} s", file=sys.stderr, flush=True)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            meta = {"epochs": args.epochs, "threads": 1, "load_avg": os.getloadavg()}
            args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
