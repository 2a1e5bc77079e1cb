"""Training under torchrun: two gloo processes on CPU, rank 0 writes the model (slow: ~20-60 s)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tagrec_core import modelfile
from tagrec_core.recommender import Recommender
from tagrec_core.records import Record

TORCHRUN = Path(sys.executable).parent / "torchrun"


@pytest.mark.slow
def test_torchrun_two_processes_train_a_working_model(
    tmp_path: Path,
    corpus: dict[str, Path],
    heldout_records: list[Record],
    make_posts: Callable[..., list[dict[str, Any]]],
) -> None:
    out = tmp_path / "models" / "ddp.tagrec"
    done = subprocess.run(
        [str(TORCHRUN), "--nproc_per_node=2", "--standalone", "-m", "tagrec_core", "train",
         "--data", str(corpus["train"]), "--out", str(out), "--preset", "bag", "--epochs", "2", "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.count(f"wrote {out}") == 1  # only rank 0 writes and reports
    assert [p.name for p in out.parent.iterdir()] == ["ddp.tagrec"]
    model = modelfile.load(out)
    assert model.meta["epochs_run"] == 2
    assert len(model.vocab) == 16
    recommender = Recommender(model)
    results = recommender.suggest_many([(r.title, r.body) for r in heldout_records], k=2)
    hits = sum(row[0].tag in {t.lower() for t in r.tags} for row, r in zip(results, heldout_records, strict=True))
    assert hits / len(heldout_records) >= 0.8
    assert recommender.suggest("今天女排比赛朱婷扣球", k=1)[0].tag == "中国女排"
