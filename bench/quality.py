"""Quality benchmark: train every contender on each set's train split, score it on valid.

    python -m bench.quality [--sets cooking,so-titles,...] [--data-root ../shared/data]
                            [--out bench/results/quality.json]

Contenders are the two peers (``bench.peers``) plus whatever the product registers: call
``register_contenders(factory)`` with ``factory(bench_set) -> list[Contender]`` (or append to
``CONTENDER_FACTORIES``), e.g. from a ``bench/product.py`` that this module imports if present.

``cooking`` has no valid split: its valid is a deterministic fold of train (``in_cooking_fold``: the 20% of
posts whose SHA-1 of the id falls in bucket 0 of 5), the same for every contender and every run; it is
reported as ``"split": "fold"``. Metrics come from ``tagrec_core.metrics.evaluate`` (recall over |T|).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from bench.peers import FastTextPeer, KnnPeer, Peer
from tagrec_core.metrics import evaluate

if TYPE_CHECKING:  # pragma: no cover
    from tagrec_core.records import Record

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_ROOT = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "quality.json"
ALL_SETS: tuple[str, ...] = (
    "cooking",
    "so-titles",
    "so-users",
    "se-multi",
    "weibo-polls",
    "weibo-takg",
    "weibo-hashtaggen",
)
METRICS: tuple[str, ...] = ("f1@1", "f1@3", "f1@5", "p@1", "r@5")
K = 5  # predictions are ranked lists of K tags; every metric @k<=K reads a prefix
FOLD_BUCKETS = 5  # cooking: 1 of 5 hash buckets (20%) is the validation fold
PEER_NAMES = (FastTextPeer.name, KnnPeer.name)


# --- sets --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchSet:
    """One data set as the benchmark sees it (``dir`` also holds ``tags.tsv`` where the set has one)."""

    name: str
    dir: Path
    train: Sequence[Record]
    valid: Sequence[Record]
    split: str  # "valid", or "fold" when valid is a fold of train (cooking)
    untagged_dropped: int = 0


def in_cooking_fold(record_id: str) -> bool:
    """True for the ~20% of posts held out as cooking's validation fold (stable: SHA-1 of the id)."""
    digest = hashlib.sha1(record_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % FOLD_BUCKETS == 0


def _read_tagged(path: Path) -> tuple[list[Record], int]:
    """The records of ``path`` that have tags, and how many had none (so-users has a few)."""
    from tagrec_core.records import read_records

    records = read_records(path, require_tags=False)
    tagged = [r for r in records if r.tags]
    return tagged, len(records) - len(tagged)


def load_set(name: str, data_root: Path) -> BenchSet:
    """Train and valid records of one set; posts without tags are left out of both (they cannot be scored)."""
    directory = data_root / name
    valid_path = directory / "valid.jsonl"
    train, untagged = _read_tagged(directory / "train.jsonl")
    if valid_path.exists():
        valid, untagged_valid = _read_tagged(valid_path)
        return BenchSet(name, directory, train, valid, "valid", untagged + untagged_valid)
    fold = [in_cooking_fold(r.id) for r in train]
    return BenchSet(
        name,
        directory,
        [r for r, held in zip(train, fold, strict=True) if not held],
        [r for r, held in zip(train, fold, strict=True) if held],
        "fold",
        untagged,
    )


# --- contenders --------------------------------------------------------------------------------------------


@dataclass
class Contender:
    """Anything that can be trained on a set and rank tags for posts.

    ``predict_records`` defaults to ``predict_many`` over ``record.text``; a contender that uses more of the
    record (user, created) passes its own.
    """

    name: str
    fit: Callable[[Sequence[Record]], None]
    predict_many: Callable[[Sequence[str], int], list[list[str]]]
    size_bytes: Callable[[], int]
    is_peer: bool = False
    predict_records: Callable[[Sequence[Record], int], list[list[str]]] | None = None
    info: dict[str, object] = field(default_factory=dict)  # free-form, copied into the JSON

    def rank(self, records: Sequence[Record], k: int) -> list[list[str]]:
        if self.predict_records is not None:
            return self.predict_records(records, k)
        return self.predict_many([r.text for r in records], k)


def from_peer(peer: Peer, *, is_peer: bool = True) -> Contender:
    return Contender(peer.name, peer.fit, peer.predict_many, peer.size_bytes, is_peer=is_peer)


ContenderFactory = Callable[[BenchSet], list[Contender]]
# The product's contenders: factories appended here (by ``register_contenders``) run after the peers.
CONTENDER_FACTORIES: list[ContenderFactory] = []
# Modules imported (if they exist) before the first set runs, so they can register their contenders.
PLUGIN_MODULES: list[str] = ["bench.product", "bench.ranker"]


def register_contenders(factory: ContenderFactory) -> ContenderFactory:
    """Add the product's contenders to every set's run; usable as a decorator."""
    CONTENDER_FACTORIES.append(factory)
    return factory


def load_plugins() -> None:
    for module in PLUGIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def peer_contenders(bench_set: BenchSet) -> list[Contender]:
    return [from_peer(FastTextPeer()), from_peer(KnnPeer())]


def contenders_for(bench_set: BenchSet) -> list[Contender]:
    """Fresh contenders for one set: the peers, then every registered product contender."""
    out = peer_contenders(bench_set)
    for factory in CONTENDER_FACTORIES:
        out.extend(factory(bench_set))
    return out


# --- running -----------------------------------------------------------------------------------------------


def run_contender(contender: Contender, bench_set: BenchSet) -> dict[str, object]:
    start = time.perf_counter()
    contender.fit(bench_set.train)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    predictions = contender.rank(bench_set.valid, K)
    predict_s = time.perf_counter() - start
    scores = evaluate(predictions, [r.tags for r in bench_set.valid])
    result: dict[str, object] = {m: scores[m] for m in METRICS}
    result.update(
        {
            "all": scores.values,
            "posts": scores.posts,
            "train_s": train_s,
            "predict_s": predict_s,
            "predict_ms_per_post": 1000 * predict_s / max(1, len(bench_set.valid)),
            "size_mb": contender.size_bytes() / 1e6,
            "is_peer": contender.is_peer,
        }
    )
    if contender.info:
        result["info"] = contender.info
    return result


def add_ratios(results: dict[str, dict[str, object]]) -> None:
    """F1@3 of every contender divided by the best peer's, fastText's and kNN's."""
    peer_f1 = {name: r["f1@3"] for name, r in results.items() if r["is_peer"]}
    best = max(peer_f1.values(), default=0.0)
    refs = {"vs_best_peer": best, "vs_fastText": peer_f1.get("fastText"), "vs_kNN": peer_f1.get("kNN")}
    for r in results.values():
        for key, ref in refs.items():
            r[key] = (r["f1@3"] / ref) if ref else None


def format_table(set_name: str, split: str, results: dict[str, dict[str, object]]) -> str:
    cols = [*METRICS, "vs_best_peer", "vs_fastText", "vs_kNN", "train_s", "size_mb"]
    heads = [*(m.upper() for m in METRICS), "/best", "/fT", "/kNN", "train s", "MB"]
    width = max([len("contender"), *(len(n) for n in results)])
    lines = [
        f"== {set_name} ({'valid = 20% fold of train' if split == 'fold' else 'valid'})",
        f"{'contender':<{width}}  " + "  ".join(f"{h:>7}" for h in heads),
    ]
    for name, r in results.items():
        cells = []
        for c in cols:
            value = r.get(c)
            if value is None:
                cells.append(f"{'-':>7}")
            elif c in ("train_s", "size_mb"):
                cells.append(f"{value:>7.1f}")
            else:
                cells.append(f"{value:>7.3f}")
        lines.append(f"{name:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def run(sets: Sequence[str], data_root: Path, out: Path | None) -> dict[str, object]:
    load_plugins()
    report: dict[str, object] = {
        "meta": {
            "k": K,
            "metrics": "tagrec_core.metrics.evaluate: per-post average, recall divides by |T|",
            "data_root": str(data_root),
            "python": platform.python_version(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "cooking_fold": f"sha1(id) % {FOLD_BUCKETS} == 0 held out from train.jsonl",
        },
        "sets": {},
    }
    for set_name in tqdm(sets, desc="sets", unit="set", file=sys.stderr):
        bench_set = load_set(set_name, data_root)
        results: dict[str, dict[str, object]] = {}
        for contender in contenders_for(bench_set):
            tqdm.write(f"[{set_name}] {contender.name}: fitting on {len(bench_set.train)} posts", sys.stderr)
            results[contender.name] = run_contender(contender, bench_set)
        add_ratios(results)
        report["sets"][set_name] = {
            "split": bench_set.split,
            "train_posts": len(bench_set.train),
            "valid_posts": len(bench_set.valid),
            "untagged_dropped": bench_set.untagged_dropped,
            "contenders": results,
        }
        tqdm.write(format_table(set_name, bench_set.split, results) + "\n")
        if out is not None:  # save after every set, so a long run keeps what it has
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(ALL_SETS), help="comma-separated set names")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in sets if not (args.data_root / s / "train.jsonl").exists()]
    if unknown:
        parser.error(f"no train.jsonl under {args.data_root} for: {', '.join(unknown)}")
    run(sets, args.data_root, args.out)
    return 0


if __name__ == "__main__":
    # Run the importable ``bench.quality``, not this ``__main__`` copy: plugins (bench.product) import
    # ``bench.quality`` and register into *its* CONTENDER_FACTORIES, which ``__main__.run`` would never see.
    from bench import quality as _quality

    raise SystemExit(_quality.main())
