"""The full ranker in ``bench.quality``, and its ablation table: what each source adds.

Importing this module registers, for every set of ``python -m bench.quality``:

* ``tagrec``                 the full ranker as ``tagrec train`` builds it (bag classifier, int8; neighbours,
                             text matches with the set's ``tags.tsv`` when it has one, co-occurrence, fusion);
* ``tagrec-no-<source>``     the same trained classifier and split, the ranker rebuilt and fusion refitted
                             without one source (``neighbours``, ``text``, ``related``, ``classifier``) or
                             without the linear SVMs (``linear``: the classifier's network stays).

It trains with cross-fitted fusion (``folds=None``: up to 5 folds, enough for 5,000 posts). Like every
product contender it trains with ``valid=None``: the trainer holds out hashed folds of train for
early stopping and for fitting fusion, so the set's valid split stays unseen. The ablations reuse the
classifiers (training them again per ablation would only add noise and time); their train time is the ranker's.
``TAGREC_BENCH_ABLATIONS=0`` leaves them out. Print the ablation table of a finished run with::

    python -m bench.ranker [--quality bench/results/quality.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.product import file_size, one_thread
from bench.quality import DEFAULT_OUT, BenchSet, Contender, register_contenders

if TYPE_CHECKING:  # pragma: no cover
    from tagrec_core.model import Model
    from tagrec_core.ranker_training import Fold
    from tagrec_core.records import Record

ABLATIONS_ENV = "TAGREC_BENCH_ABLATIONS"
ABLATED: tuple[str, ...] = ("neighbours", "text", "related", "classifier", "linear")
FULL = "tagrec"


class _RankerRun:
    """One set's split and classifier, shared by the full ranker and its ablations."""

    def __init__(self, bench_set: BenchSet) -> None:
        self.bench_set = bench_set
        self.site_tags: dict[str, int] | None = None
        self.classifier: Model | None = None
        self.fit_part: list[Record] = []
        self.held_out: list[Record] = []
        self.folds: list[Fold] = []
        self.index_held_out = True
        self.models: dict[str, Model] = {}
        self.seconds: dict[str, float] = {}

    def fit_full(self, records: Sequence[Record]) -> None:
        from tagrec_core.presets import config_for
        from tagrec_core.ranker_training import hold_out, train_classifier, train_folds
        from tagrec_core.records import read_tag_list

        one_thread()
        tags_path = self.bench_set.dir / "tags.tsv"
        self.site_tags = read_tag_list(tags_path) if tags_path.exists() else None
        config = config_for("bag", threads=1)
        start = time.perf_counter()
        # What ranker_training.train_ranker does with valid=None, keeping the pieces for the ablations.
        self.fit_part, self.held_out, self.index_held_out = hold_out(records, None, config.valid_fraction)
        self.classifier = train_classifier(self.fit_part, self.held_out, config)
        self.folds = train_folds(records, None, config, len(self.held_out), None)
        self.seconds["classifier"] = time.perf_counter() - start
        self._fit_ranking(FULL, None)

    def fit_ablation(self, without: str) -> None:
        self._fit_ranking(f"{FULL}-no-{without}", without)

    def _fit_ranking(self, name: str, without: str | None) -> None:
        from tagrec_core.ranker import COMPONENTS, RankingConfig
        from tagrec_core.ranker_training import fit_ranking

        if self.classifier is None:
            raise RuntimeError("the full ranker must be fitted first")
        one_thread()
        start = time.perf_counter()
        sources = tuple(s for s in COMPONENTS if s != without)
        self.models[name] = fit_ranking(
            self.classifier,
            self.fit_part,
            self.held_out,
            site_tags=self.site_tags,
            ranking_config=RankingConfig(sources=sources),
            index_held_out=self.index_held_out,
            folds=self.folds,
        )
        self.seconds[name] = time.perf_counter() - start

    def rank(self, name: str, records: Sequence[Record], k: int) -> list[list[str]]:
        from tagrec_core.recommender import Recommender

        one_thread()
        suggestions = Recommender(self.models[name]).suggest_many([(r.title, r.body) for r in records], k=k)
        return [[s.tag for s in row] for row in suggestions]

    def info(self, name: str) -> dict[str, object]:
        model = self.models[name]
        ranking_seconds = self.seconds.get(name, 0.0)
        train_seconds = ranking_seconds + (self.seconds.get("classifier", 0.0) if name == FULL else 0.0)
        return {
            "ranking": model.meta.get("ranking"),
            "classifier_train_seconds": round(self.seconds.get("classifier", 0.0), 1),
            "ranker_seconds": round(ranking_seconds, 1),
            "train_seconds": round(train_seconds, 1),
            "site_tags": len(self.site_tags or {}),
        }


def ranker_contenders(bench_set: BenchSet, *, ablations: bool | None = None) -> list[Contender]:
    """The full ranker and (unless switched off) one contender per ablated source."""
    if ablations is None:
        ablations = os.environ.get(ABLATIONS_ENV, "1") != "0"
    run = _RankerRun(bench_set)
    out: list[Contender] = []

    def contender(name: str, fit: object) -> Contender:
        def fit_and_record(records: Sequence[Record]) -> None:
            fit(records)  # type: ignore[operator]
            made.info.update(run.info(name))

        made = Contender(
            name,
            fit_and_record,
            lambda texts, k: [],  # unused: predict_records reads title and body separately
            lambda: file_size(run.models[name]),
            predict_records=lambda records, k: run.rank(name, records, k),
        )
        return made

    out.append(contender(FULL, run.fit_full))
    if ablations:
        for source in ABLATED:
            out.append(contender(f"{FULL}-no-{source}", lambda _records, s=source: run.fit_ablation(s)))
    return out


register_contenders(ranker_contenders)


# --- reports ---------------------------------------------------------------------------------------------


def ablation_rows(report: dict[str, object]) -> list[dict[str, object]]:
    """Per set: F1@3 of the full ranker, of each ablation, of the classifier alone and of the peers."""
    rows = []
    for set_name, entry in report["sets"].items():
        results = entry["contenders"]
        if FULL not in results:
            continue
        full = results[FULL]["f1@3"]
        row: dict[str, object] = {
            "set": set_name,
            FULL: full,
            "classifier only": results.get("tagrec-bag", {}).get("f1@3"),
            "fastText": results.get("fastText", {}).get("f1@3"),
            "kNN": results.get("kNN", {}).get("f1@3"),
            "vs_best_peer": results[FULL].get("vs_best_peer"),
        }
        for source in ABLATED:
            name = f"{FULL}-no-{source}"
            if name in results:
                row[f"-{source}"] = results[name]["f1@3"] - full
        rows.append(row)
    return rows


def format_ablation(rows: Sequence[dict[str, object]]) -> str:
    """The ablation table: the drop in F1@3 when one source is left out (negative = the source helps)."""
    heads = [FULL, "/best", *(f"-{s}" for s in ABLATED), "clf only", "fT", "kNN"]
    lines = [
        "== ablation: F1@3 on valid; '-x' = change when source x is left out (fusion refitted)",
        f"{'set':<17}" + "".join(f"{h:>12}" for h in heads),
    ]
    for r in rows:
        cells = [r[FULL], r["vs_best_peer"], *(r.get(f"-{s}") for s in ABLATED), r["classifier only"]]
        cells += [r["fastText"], r["kNN"]]
        lines.append(f"{r['set']:<17}" + "".join(f"{'-':>12}" if c is None else f"{c:>12.3f}" for c in cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ranker", description=__doc__.split("\n")[0])
    parser.add_argument("--quality", type=Path, nargs="+", default=[DEFAULT_OUT])
    args = parser.parse_args(argv)
    merged: dict[str, object] = {"sets": {}}
    for path in args.quality:
        if not path.exists():
            parser.error(f"{path} missing: run python -m bench.quality first")
        merged["sets"].update(json.loads(path.read_text(encoding="utf-8"))["sets"])
    print(format_ablation(ablation_rows(merged)), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
