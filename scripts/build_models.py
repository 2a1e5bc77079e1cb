"""Rebuild the shipped default models reproducibly from the public train/valid splits.

    .venv/bin/python scripts/build_models.py [--data-root ../shared/data] [--domain stackoverflow|weibo]

Writes ``tagrec_core/resources/<domain>.tagrec``: the full ranker (bag classifier, similar-post index,
text matches with the sets' ``tags.tsv`` lists, co-occurrence, fusion), trained on all public data of the
domain's language. The classifier learns from every set's ``train.jsonl`` and stops early on the
``valid.jsonl`` files; fusion is fitted on the valid posts, which then join the index. Only ``train.jsonl``,
``valid.jsonl`` and ``tags.tsv`` are read (never a test split); the same command gives the same model (fixed
seed, one thread). Build time only: nothing at run time reads the data folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tagrec_core import modelfile, presets
from tagrec_core.defaults import DOMAINS, RESOURCES
from tagrec_core.progress import TrainingBar
from tagrec_core.ranker_training import train_ranker
from tagrec_core.records import Record, read_records, read_tag_list

ROOT = Path(__file__).resolve().parent.parent
SETS: dict[str, tuple[str, ...]] = {
    "stackoverflow": ("so-titles", "so-users", "cooking", "se-multi"),
    "weibo": ("weibo-polls", "weibo-takg", "weibo-hashtaggen"),
}
# Small enough to ship (goal <= 10 MB a file): the bag preset at 64 dimensions with 30k bigram buckets (it has
# 100 / 100k). Measured on valid with the full ranker, trained as here but on the train splits only (F1@3,
# 2026-11-23). Stack Overflow at 100 / 50k and 64 / 30k: so-titles 0.5534 / 0.5533, so-users 0.4028 / 0.4004,
# cooking 0.4796 / 0.4765, se-multi 0.2762 / 0.2745: 0.5% less for 12.4 -> 8.6 MB (model format 2). Weibo at
# the same two: polls 0.1367 / 0.1338, takg 0.2374 / 0.2285, hashtaggen 0.1845 / 0.1803, 2-4% less; but
# since the ranker's classifier learns only tags of two posts or more (ranker_training.CLASSIFIER_MIN_TAG_COUNT)
# Weibo at 64 / 30k scores 0.1405 / 0.2401 / 0.1907, above the old 100 / 50k, in 7.9 MB (format 3), and Stack
# Overflow 0.5500 / 0.4042 / 0.4763 / 0.2757 in 6.8 MB. 4-bit embedding rows instead of 8 cost Weibo 4-5%
# (0.1313 / 0.2259 / 0.1763 at 100 / 50k). Indexing fewer terms per post costs more (takg 0.203 -> 0.187 at
# the 64 strongest terms of a post).
ARCH_CONFIGS: dict[str, dict[str, object]] = {
    "stackoverflow": {**presets.PRESETS["bag"]["arch_config"], "dim": 64, "buckets": 30_000},
    "weibo": {**presets.PRESETS["bag"]["arch_config"], "dim": 64, "buckets": 30_000},
}


def _read(path: Path) -> list[Record]:
    skipped: list[str] = []
    records = read_records(path, skip_bad=True, on_skip=lambda e: skipped.append(str(e)))
    if skipped:
        print(f"  {path}: skipped {len(skipped)} unusable records (e.g. {skipped[0]})", file=sys.stderr)
    return records


def build(domain: str, data_root: Path) -> Path:
    """Train the default model of ``domain`` on its sets' train splits (early stopping on their valid)."""
    train_records: list[Record] = []
    valid_records: list[Record] = []
    for name in SETS[domain]:
        train_records += _read(data_root / name / "train.jsonl")
        valid_path = data_root / name / "valid.jsonl"
        if valid_path.exists():
            valid_records += _read(valid_path)
    site_tags: dict[str, int] = {}
    for name in SETS[domain]:
        tags_path = data_root / name / "tags.tsv"
        if tags_path.exists():
            for tag, count in read_tag_list(tags_path).items():
                site_tags[tag] = site_tags.get(tag, 0) + count
    config = presets.config_for("bag", arch_config=ARCH_CONFIGS[domain], seed=0, threads=1)
    started = time.monotonic()
    with TrainingBar() as bar:
        model = train_ranker(train_records, valid_records, config, site_tags=site_tags, progress=bar.update)
    model.meta["domain"] = domain
    model.meta["trained_on"]["sets"] = list(SETS[domain])
    target = modelfile.save(model, RESOURCES / DOMAINS[domain])
    size = target.stat().st_size / 1e6
    print(
        f"{domain}: {len(train_records)} + {len(valid_records)} posts, {len(model.ranking.tags)} tags, "
        f"classifier valid F1@3 {model.meta['valid_f1_at_3']}, "
        f"{size:.1f} MB, {time.monotonic() - started:.0f} s -> {target}",
        file=sys.stderr,
    )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--domain", choices=sorted(SETS), action="append", help="default: all")
    args = parser.parse_args()
    for domain in args.domain or sorted(SETS):
        build(domain, args.data_root)


if __name__ == "__main__":
    main()
