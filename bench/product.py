"""The product's contenders for ``bench.quality``, and the int8-vs-fp32 quality loss of the bag model.

Importing this module registers, for every set of ``python -m bench.quality``:

* ``tagrec-bag``           preset ``bag``, int8 as shipped;
* ``tagrec-bag-fp32``      the *same* trained weights before quantization (no second training: the int8
                           model above is ``quantize(network)`` of this one, exactly what ``train`` does);
* ``tagrec-attention-cnn`` preset ``attention-cnn``, int8 as shipped.

All train with ``valid=None``: the trainer holds out a hashed fold of train for early stopping and calibration,
so the set's valid split stays unseen (as it does for the peers). Size = the saved model file.

Run as a module to print the tables of an existing quality run (goal check vs fastText, int8 vs fp32 loss)::

    python -m bench.product [--quality bench/results/quality.json]

or to measure the int8-vs-fp32 loss directly (trains the bag preset once per set)::

    python -m bench.product --measure --sets cooking,so-titles
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.quality import (
    DEFAULT_DATA_ROOT,
    DEFAULT_OUT,
    BenchSet,
    Contender,
    K,
    load_set,
    register_contenders,
)

if TYPE_CHECKING:  # pragma: no cover
    from tagrec_core.model import Model
    from tagrec_core.records import Record

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_PRODUCT_OUT = RESULTS_DIR / "product.json"
GOAL_SETS = ("cooking", "so-titles", "so-users")  # the issue: tagrec F1@3 >= fastText's on these
INT8_LOSS_GOAL_PCT = 1.0


def one_thread() -> None:
    """Benchmarks run on one intra-op thread (a shared 2-core machine)."""
    import torch

    torch.set_num_threads(1)


def file_size(model: Model) -> int:
    """Bytes of ``model`` saved as a model file (written to a temporary folder)."""
    from tagrec_core.modelfile import save

    with tempfile.TemporaryDirectory(prefix="tagrec-bench-", dir=scratch_dir()) as tmp:
        return os.path.getsize(save(model, Path(tmp) / "model.tagrec"))


def scratch_dir() -> str | None:
    """/dev/shm when there is one: the working disk's speed varies 10x (field-notes §1), and save() fsyncs."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def int8_of(model: Model) -> Model:
    """The int8 model built from ``model``'s fp32 weights, as ``training.train`` builds the shipped one."""
    from tagrec_core.model import Model as ModelClass
    from tagrec_core.quantize import quantize

    if model.quantized:
        return model
    return ModelClass(model.tokenizer, model.vocab, quantize(model.network), model.calibration, model.meta, True)


def train_pair(records: Sequence[Record], preset: str, **overrides: object) -> tuple[Model, Model, float]:
    """Train ``preset`` once in fp32 with ``valid=None``; return (fp32, int8 from the same weights, seconds)."""
    from tagrec_core.presets import config_for
    from tagrec_core.training import train

    one_thread()
    config = config_for(preset, quantize=False, threads=1, **overrides)
    start = time.perf_counter()
    fp32 = train(list(records), None, config)
    seconds = time.perf_counter() - start
    return fp32, int8_of(fp32), seconds


def layer_kinds(model: Model) -> list[str]:
    """Class names of the network's leaf modules: records which int8 scheme ``tagrec_core.quantize`` used
    (it is being changed while benchmarks run, so every result says what it measured)."""
    return sorted(
        {
            f"{type(m).__module__.rsplit('.', 1)[-1]}.{type(m).__name__}"
            for m in model.network.modules()
            if not list(m.children()) or type(m).__module__.startswith("tagrec_core")
        }
    )


def rank(model: Model, texts: Sequence[str], k: int) -> list[list[str]]:
    from tagrec_core.recommender import Recommender

    one_thread()
    suggestions = Recommender(model).suggest_many([(t, "") for t in texts], k=k)
    return [[s.tag for s in row] for row in suggestions]


class _Trained:
    """One preset trained on one set, shared by its int8 and fp32 contenders."""

    def __init__(self, preset: str, overrides: dict[str, object] | None = None) -> None:
        self.preset = preset
        self.overrides = overrides or {}
        self.fp32: Model | None = None
        self.int8: Model | None = None
        self.seconds = 0.0

    def fit(self, records: Sequence[Record]) -> None:
        self.fp32, self.int8, self.seconds = train_pair(records, self.preset, **self.overrides)

    def model(self, int8: bool) -> Model:
        model = self.int8 if int8 else self.fp32
        if model is None:
            raise RuntimeError(f"tagrec {self.preset} is not fitted")
        return model


def _info(trained: _Trained, int8: bool) -> dict[str, object]:
    meta = trained.model(int8).meta
    return {
        "preset": trained.preset,
        "quantized": int8,
        "epochs_run": meta.get("epochs_run"),
        "inner_valid_f1_at_3": meta.get("valid_f1_at_3"),
        "train_seconds": round(trained.seconds, 1),
        "tags": meta.get("trained_on", {}).get("tags"),
        "layers": layer_kinds(trained.model(int8)),
    }


def contenders(preset: str, name: str, *, with_fp32: bool = False, **overrides: object) -> list[Contender]:
    """The int8 contender of ``preset`` (and, with ``with_fp32``, the fp32 one sharing its training)."""
    trained = _Trained(preset, overrides)
    out: list[Contender] = []

    def fit(records: Sequence[Record]) -> None:
        trained.fit(records)
        out[0].info.update(_info(trained, True))
        if with_fp32:
            out[1].info.update({**_info(trained, False), "note": f"same training as {name}"})

    out.append(
        Contender(
            name,
            fit,
            lambda texts, k: rank(trained.model(True), texts, k),
            lambda: file_size(trained.model(True)),
        )
    )
    if with_fp32:
        out.append(
            Contender(
                f"{name}-fp32",
                lambda _records: None,  # same weights as the int8 contender, trained when it was fitted
                lambda texts, k: rank(trained.model(False), texts, k),
                lambda: file_size(trained.model(False)),
            )
        )
    return out


PRESETS_ENV = "TAGREC_BENCH_PRESETS"  # e.g. "bag" to leave the slow attention-cnn out of a quality run


@register_contenders
def product_contenders(bench_set: BenchSet) -> list[Contender]:
    wanted = [p.strip() for p in os.environ.get(PRESETS_ENV, "bag,attention-cnn").split(",") if p.strip()]
    out: list[Contender] = []
    if "bag" in wanted:
        out += contenders("bag", "tagrec-bag", with_fp32=True)
    if "attention-cnn" in wanted:
        out += contenders("attention-cnn", "tagrec-attention-cnn")
    return out


# --- reports ---------------------------------------------------------------------------------------------


def int8_loss_pct(f1_fp32: float, f1_int8: float) -> float:
    """Relative F1@3 loss of int8 vs fp32 in % (positive = int8 is worse)."""
    return 100.0 * (f1_fp32 - f1_int8) / f1_fp32 if f1_fp32 else 0.0


def summarize_quality(report: dict[str, object]) -> dict[str, object]:
    """Goal rows (tagrec vs fastText) and int8-vs-fp32 rows from a ``bench.quality`` report."""
    goal, quant = [], []
    for set_name, entry in report["sets"].items():
        results = entry["contenders"]
        ft = results.get("fastText", {}).get("f1@3")
        knn = results.get("kNN", {}).get("f1@3")
        for name in ("tagrec-bag", "tagrec-attention-cnn"):
            if name in results and ft is not None:
                f1 = results[name]["f1@3"]
                goal.append(
                    {
                        "set": set_name,
                        "contender": name,
                        "f1@3": f1,
                        "fastText": ft,
                        "kNN": knn,
                        "ratio_fastText": f1 / ft if ft else None,
                        "gap_fastText": f1 - ft,
                        "goal_set": set_name in GOAL_SETS,
                    }
                )
        if "tagrec-bag" in results and "tagrec-bag-fp32" in results:
            f8, f32 = results["tagrec-bag"]["f1@3"], results["tagrec-bag-fp32"]["f1@3"]
            quant.append(
                {
                    "set": set_name,
                    "f1@3_fp32": f32,
                    "f1@3_int8": f8,
                    "loss_pct": int8_loss_pct(f32, f8),
                    "mb_fp32": results["tagrec-bag-fp32"]["size_mb"],
                    "mb_int8": results["tagrec-bag"]["size_mb"],
                }
            )
    return {"goal": goal, "int8_vs_fp32": quant}


def format_goal(rows: Sequence[dict[str, object]]) -> str:
    lines = [
        "== tagrec vs fastText, F1@3 on valid (goal: >= fastText on cooking, so-titles, so-users)",
        f"{'set':<17}{'contender':<22}{'F1@3':>7}{'fT':>7}{'kNN':>7}{'/fT':>7}{'gap':>8}  goal",
    ]
    for r in rows:
        status = ("met" if r["gap_fastText"] >= 0 else "MISSED") if r["goal_set"] else "-"
        lines.append(
            f"{r['set']:<17}{r['contender']:<22}{r['f1@3']:>7.3f}{r['fastText']:>7.3f}{r['kNN'] or 0:>7.3f}"
            f"{r['ratio_fastText'] or 0:>7.3f}{r['gap_fastText']:>+8.3f}  {status}"
        )
    return "\n".join(lines)


def format_quant(rows: Sequence[dict[str, object]]) -> str:
    lines = [
        f"== bag: int8 vs fp32 (same weights), relative F1@3 loss (goal <= {INT8_LOSS_GOAL_PCT:.0f}%)",
        f"{'set':<17}{'fp32':>7}{'int8':>7}{'loss %':>8}{'MB fp32':>9}{'MB int8':>9}{'size ratio':>11}",
    ]
    for r in rows:
        ratio = r["mb_int8"] / r["mb_fp32"] if r["mb_fp32"] else 0.0
        lines.append(
            f"{r['set']:<17}{r['f1@3_fp32']:>7.3f}{r['f1@3_int8']:>7.3f}{r['loss_pct']:>+8.2f}"
            f"{r['mb_fp32']:>9.1f}{r['mb_int8']:>9.1f}{ratio:>11.2f}"
        )
    if rows:
        worst = max(r["loss_pct"] for r in rows)
        mean = sum(r["loss_pct"] for r in rows) / len(rows)
        lines.append(f"mean loss {mean:+.2f}%, worst {worst:+.2f}%")
    return "\n".join(lines)


def measure_int8_loss(bench_set: BenchSet, preset: str = "bag", **overrides: object) -> dict[str, object]:
    """Train ``preset`` once (fp32), quantize a copy, score both on the set's valid split."""
    from tagrec_core.metrics import evaluate

    fp32, int8, seconds = train_pair(bench_set.train, preset, **overrides)
    texts = [r.text for r in bench_set.valid]
    truths = [r.tags for r in bench_set.valid]
    f32 = evaluate(rank(fp32, texts, K), truths)["f1@3"]
    f8 = evaluate(rank(int8, texts, K), truths)["f1@3"]
    return {
        "set": bench_set.name,
        "f1@3_fp32": f32,
        "f1@3_int8": f8,
        "loss_pct": int8_loss_pct(f32, f8),
        "mb_fp32": file_size(fp32) / 1e6,
        "mb_int8": file_size(int8) / 1e6,
        "train_s": seconds,
        "int8_layers": layer_kinds(int8),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.product", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quality", type=Path, nargs="+", default=[DEFAULT_OUT], help="bench.quality JSON file(s) to summarise"
    )
    parser.add_argument("--measure", action="store_true", help="train the bag preset and measure int8 vs fp32")
    parser.add_argument("--sets", default=",".join(GOAL_SETS), help="sets for --measure (comma-separated)")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--out", type=Path, default=DEFAULT_PRODUCT_OUT)
    args = parser.parse_args(argv)
    one_thread()
    if args.measure:
        rows = []
        for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
            rows.append(measure_int8_loss(load_set(name, args.data_root)))
            print(f"[{name}] done", file=sys.stderr)
        summary: dict[str, object] = {"goal": [], "int8_vs_fp32": rows, "source": "measured"}
    else:
        missing = [str(p) for p in args.quality if not p.exists()]
        if missing:
            parser.error(f"{', '.join(missing)} missing: run python -m bench.quality first, or use --measure")
        merged: dict[str, object] = {"sets": {}}
        for path in args.quality:  # several runs (e.g. split over processes): later files win per set
            merged["sets"].update(json.loads(path.read_text(encoding="utf-8"))["sets"])
        summary = summarize_quality(merged)
        summary["source"] = [str(p) for p in args.quality]
    if summary["goal"]:
        print(format_goal(summary["goal"]) + "\n")
    print(format_quant(summary["int8_vs_fp32"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
