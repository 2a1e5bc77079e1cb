"""The ``tagrec`` command, run as a real subprocess: outputs, exit codes, clear errors, Ctrl-C.

Starting the CLI costs a couple of seconds (it imports torch), so the ordinary cases run concurrently in one
module-scoped fixture and each test then checks its own finished run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tagrec_core import modelfile
from tagrec_core.recommender import Recommender
from tests.cli_support import TAGREC, Run, run

PANDAS_POST = "How do I merge two pandas dataframe?\nmerge on a column with groupby"


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory,
    corpus: dict[str, Path],
    tiny_model_path: Path,
    make_posts: Callable[..., list[dict[str, Any]]],
    jsonl_writer: Callable[[Path, list[dict[str, Any]]], Path],
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    posts = make_posts(5, 5, seed=5, prefix="bad")
    lines = [json.dumps(p, ensure_ascii=False) for p in posts]
    lines.insert(2, '{"id": "broken", "title": "no closing brace"')  # line 3
    (folder / "bad_line.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    no_tags = [{**p, "tags": []} for p in posts]
    (folder / "dir").mkdir()
    (folder / "out_dir").mkdir()
    (folder / "binary.jsonl").write_bytes(bytes(range(256)) * 64)
    corrupt = folder / "corrupt.tagrec"
    corrupt.write_bytes(tiny_model_path.read_bytes()[:1000])
    (folder / "legacy.tagrec").write_bytes(b".")
    surrogate = '{"id": "s", "title": "a lone half \\ud800 of a pair", "tags": ["x"]}'  # JSON's escape, valid JSON
    (folder / "surrogate.jsonl").write_text(lines[0] + "\n" + surrogate + "\n", encoding="utf-8")
    return {
        "folder": folder,
        "model": tiny_model_path,
        "train": corpus["train"],
        "heldout": corpus["heldout"],
        "small": jsonl_writer(folder / "small.jsonl", make_posts(60, 60, seed=6, prefix="small")),
        "bad_line": folder / "bad_line.jsonl",
        "surrogate": folder / "surrogate.jsonl",
        "no_tags": jsonl_writer(folder / "no_tags.jsonl", no_tags),
        "dir": folder / "dir",
        "out_dir": folder / "out_dir",
        "binary": folder / "binary.jsonl",
        "corrupt": corrupt,
        "legacy": folder / "legacy.tagrec",
    }


def cases(f: dict[str, Path]) -> dict[str, tuple[list[str], bytes | None]]:
    m, folder = str(f["model"]), f["folder"]
    return {
        # --- working commands
        "version": (["--version"], None),
        **{f"help-{c}": ([c, "--help"], None) for c in ("train", "predict", "eval", "suggest", "info")},
        "help": (["--help"], None),
        "train": (
            ["train", "--data", str(f["train"]), "--out", str(folder / "new" / "m.tagrec"), "--epochs", "2", "-q"],
            None,
        ),
        "train-naive-bayes": (
            ["train", "--data", str(f["small"]), "--out", str(folder / "nb.tagrec"), "--preset", "naive-bayes", "-q"],
            None,
        ),
        "predict": (["predict", "-m", m, "--data", str(f["heldout"]), "-k", "3"], None),
        "predict-skip-bad": (["predict", "-m", m, "--data", str(f["bad_line"]), "--skip-bad"], None),
        "eval-json": (["eval", "-m", m, "--data", str(f["heldout"]), "--json"], None),
        "eval-table": (["eval", "-m", m, "--data", str(f["heldout"])], None),
        "suggest-text": (["suggest", "-m", m, PANDAS_POST], None),
        "suggest-stdin": (["suggest", "-m", m, "-k", "2"], PANDAS_POST.encode()),
        "suggest-json": (["suggest", "-m", m, "--json", PANDAS_POST], None),
        "suggest-tag": (["suggest", "-m", m, "--json", "--tag", "Python", PANDAS_POST], None),
        "suggest-min-score": (["suggest", "-m", m, "--json", "--min-score", "0.05", PANDAS_POST], None),
        "suggest-chinese": (["suggest", "-m", m, "-k", "1", "今天女排比赛朱婷扣球"], None),
        "info": (["info", m], None),
        # --- bad input: one clear error line each
        "missing-file": (["predict", "-m", m, "--data", str(folder / "nope.jsonl")], None),
        "data-is-directory": (["predict", "-m", m, "--data", str(f["dir"])], None),
        "malformed-line": (["predict", "-m", m, "--data", str(f["bad_line"])], None),
        "train-malformed-line": (["train", "--data", str(f["bad_line"]), "--out", str(folder / "x1.tagrec")], None),
        "train-no-tags": (["train", "--data", str(f["no_tags"]), "--out", str(folder / "x2.tagrec")], None),
        "train-unknown-preset": (
            ["train", "--data", str(f["small"]), "--out", str(folder / "x3.tagrec"), "--preset", "nope"],
            None,
        ),
        "empty-text": (["suggest", "-m", m, ""], None),
        "blank-stdin": (["suggest", "-m", m], b"  \n\n"),
        "huge-stdin": (["suggest", "-m", m], b"pandas dataframe merge " * 450_000),  # ~10 MB
        "binary-stdin": (["suggest", "-m", m], bytes(range(256)) * 64),
        "binary-data": (["predict", "-m", m, "--data", str(f["binary"])], None),
        "surrogate-data": (["predict", "-m", m, "--data", str(f["surrogate"])], None),
        "latin1-argument": (["suggest", "-m", m, os.fsdecode(b"caf\xe9 pandas")], None),  # a terminal not in UTF-8
        "corrupt-model": (["suggest", "-m", str(f["corrupt"]), "pandas"], None),
        "missing-model": (["suggest", "-m", str(folder / "nope.tagrec"), "pandas"], None),
        "legacy-pickle-model": (["suggest", "-m", str(f["legacy"]), "pandas"], None),
        "out-is-directory": (
            ["train", "--data", str(f["small"]), "--out", str(f["out_dir"]), "--epochs", "1", "-q"],
            None,
        ),
        "out-is-the-data": (["train", "--data", str(f["small"]), "--out", str(f["small"]), "--epochs", "1"], None),
        "out-is-a-document": (
            ["train", "--data", str(f["small"]), "--out", str(f["bad_line"]), "--epochs", "1"],
            None,
        ),
        "out-is-a-device": (["train", "--data", str(f["small"]), "--out", "/dev/null", "--epochs", "1"], None),
        # --- usage errors (click's own message, exit code 2)
        "unknown-command": (["bogus"], None),
        "missing-option": (["train"], None),
        "bad-top-k": (["suggest", "-m", m, "-k", "0", "pandas"], None),
        "bad-min-score": (["suggest", "-m", m, "--min-score", "1.5", "pandas"], None),
        "bad-domain": (["suggest", "--domain", "klingon", "pandas"], None),
        "bad-threads": (
            ["train", "--data", str(f["small"]), "--out", str(folder / "t.tagrec"), "--threads", "100000"],
            None,
        ),
        "bad-seed": (
            ["train", "--data", str(f["small"]), "--out", str(folder / "t.tagrec"), "--seed", "1" + "0" * 20],
            None,
        ),
    }


# The cases run by default (the brief's contract); the others run with --slow.
CORE = {
    "version", "help-train", "train", "predict", "predict-skip-bad", "eval-json", "eval-table", "suggest-text",
    "suggest-stdin", "suggest-json", "suggest-tag", "suggest-min-score", "missing-file", "data-is-directory",
    "malformed-line", "train-no-tags", "empty-text", "huge-stdin", "binary-stdin", "binary-data", "corrupt-model",
    "surrogate-data", "latin1-argument", "out-is-the-data", "out-is-a-document", "out-is-a-device",
}  # fmt: skip


def run_all(todo: dict[str, tuple[list[str], bytes | None]]) -> dict[str, Run]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(run, args, stdin) for name, (args, stdin) in todo.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="module")
def core_runs(files: dict[str, Path]) -> dict[str, Run]:
    return run_all({name: case for name, case in cases(files).items() if name in CORE})


@pytest.fixture(scope="module")
def more_runs(files: dict[str, Path]) -> dict[str, Run]:
    return run_all({name: case for name, case in cases(files).items() if name not in CORE})


@pytest.fixture
def runs(request: pytest.FixtureRequest) -> dict[str, Run]:
    """The finished runs: the core ones, plus the others for tests marked slow."""
    core = request.getfixturevalue("core_runs")
    if request.node.get_closest_marker("slow") is None:
        return core
    return {**core, **request.getfixturevalue("more_runs")}


def ok(r: Run) -> Run:
    assert r.code == 0, r.output
    assert "Traceback" not in r.output
    return r


# --- working commands ------------------------------------------------------------------------------


def test_version(runs: dict[str, Run]) -> None:
    from tagrec_core import __version__

    assert ok(runs["version"]).stdout.strip() == f"tagrec {__version__}"


def check_help(runs: dict[str, Run], command: str) -> None:
    r = ok(runs[f"help-{command}"])
    assert f"tagrec {command}" in r.stdout
    assert "--help" in r.stdout


def test_help_of_train(runs: dict[str, Run]) -> None:
    check_help(runs, "train")
    assert "--out" in runs["help-train"].stdout and "--preset" in runs["help-train"].stdout


@pytest.mark.slow
@pytest.mark.parametrize("command", ["predict", "eval", "suggest", "info"])
def test_help_of_each_other_command(runs: dict[str, Run], command: str) -> None:
    check_help(runs, command)
    assert command in ok(runs["help"]).stdout


def test_train_writes_a_model_and_reports_on_stderr(runs: dict[str, Run], files: dict[str, Path]) -> None:
    r = ok(runs["train"])
    out = files["folder"] / "new" / "m.tagrec"
    assert out.is_file()
    assert f"wrote {out}" in r.stderr
    assert "16 tags" in r.stderr
    assert r.stdout == ""
    model = modelfile.load(out)
    assert model.meta["epochs_run"] <= 2
    assert Recommender(model).suggest("react component state hooks", k=1)[0].tag in {"javascript", "reactjs"}
    assert [p.name for p in out.parent.iterdir()] == ["m.tagrec"]


def test_train_builds_the_full_ranker_with_a_site_tag_list(files: dict[str, Path]) -> None:
    folder = files["folder"] / "ranker"
    folder.mkdir()
    tag_list = folder / "tags.tsv"
    tag_list.write_text("tag\tcount\nmatplotlib\t900\npython\t5000\n", encoding="utf-8")
    out = folder / "r.tagrec"
    r = ok(
        run(["train", "--data", str(files["train"]), "--tags", str(tag_list), "--out", str(out), "--folds", "2", "-q"])
    )
    assert "17 tags" in r.stderr  # the 16 training tags and the listed matplotlib
    info = json.loads(ok(run(["info", str(out)])).stdout)
    assert info["ranker"] is True and info["ranking"]["site_tags"] == 2
    assert info["ranking"]["fusion_folds"] == 2
    line = ok(run(["suggest", "-m", str(out), "--json", "Plot a pandas dataframe with matplotlib"])).stdout
    suggestions = json.loads(line)["suggestions"]
    assert {"python", "pandas", "matplotlib"} <= {s["tag"] for s in suggestions}
    plotted = next(s for s in suggestions if s["tag"] == "matplotlib")
    assert plotted["source"] == "text" and plotted["reason"] == "appears in the title"
    assert all(set(s) == {"tag", "score", "source", "reason"} for s in suggestions)  # the CLI's output as it was
    only = folder / "c.tagrec"
    ok(run(["train", "--data", str(files["train"]), "--out", str(only), "--classifier-only", "--epochs", "2", "-q"]))
    assert json.loads(ok(run(["info", str(only)])).stdout)["ranker"] is False


@pytest.mark.slow
def test_train_naive_bayes_preset_gives_a_working_model(runs: dict[str, Run], files: dict[str, Path]) -> None:
    ok(runs["train-naive-bayes"])
    model = modelfile.load(files["folder"] / "nb.tagrec")
    assert model.quantized is False
    assert Recommender(model).suggest("react component state hooks", k=1)[0].tag in {"javascript", "reactjs"}


def test_predict_prints_one_json_line_per_record_in_order(runs: dict[str, Run], files: dict[str, Path]) -> None:
    r = ok(runs["predict"])
    lines = r.stdout.splitlines()
    expected_ids = [json.loads(line)["id"] for line in files["heldout"].read_text(encoding="utf-8").splitlines()]
    rows = [json.loads(line) for line in lines]
    assert [row["id"] for row in rows] == expected_ids
    for row in rows:
        assert len(row["suggestions"]) == 3
        for s in row["suggestions"]:
            assert set(s) == {"tag", "score", "source", "reason"}
            assert 0.0 <= s["score"] <= 1.0 and s["source"] == "classifier"
        assert [s["score"] for s in row["suggestions"]] == sorted(
            (s["score"] for s in row["suggestions"]), reverse=True
        )
    first_en = next(row for row in rows if row["id"] == "heldout-en-0")  # topic 0: python/pandas
    assert {s["tag"] for s in first_en["suggestions"][:2]} == {"python", "pandas"}


def test_predict_skip_bad_skips_the_malformed_line_and_reports_it(runs: dict[str, Run]) -> None:
    r = ok(runs["predict-skip-bad"])
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 10
    assert "broken" not in [row["id"] for row in rows]
    assert "bad_line.jsonl:3" in r.stderr and "warning: skipped" in r.stderr


def test_eval_json_has_all_metrics(runs: dict[str, Run]) -> None:
    scores = json.loads(ok(runs["eval-json"]).stdout)
    assert set(scores) == {"posts"} | {f"{m}@{k}" for m in ("p", "r", "f1") for k in (1, 3, 5)}
    assert scores["posts"] == 100
    assert all(0.0 <= v <= 1.0 for k, v in scores.items() if k != "posts")
    assert scores["p@1"] >= 0.9
    assert scores["r@5"] >= scores["r@3"] >= scores["r@1"]


def test_eval_table(runs: dict[str, Run]) -> None:
    lines = ok(runs["eval-table"]).stdout.splitlines()
    assert lines[0] == "100 posts"
    assert lines[1].split() == ["k", "P@k", "R@k", "F1@k"]
    assert [line.split()[0] for line in lines[2:]] == ["1", "3", "5"]
    scores = json.loads(runs["eval-json"].stdout)
    assert float(lines[2].split()[1]) == pytest.approx(scores["p@1"], abs=1e-4)


def test_suggest_text_prints_tag_score_source(runs: dict[str, Run]) -> None:
    lines = ok(runs["suggest-text"]).stdout.splitlines()
    assert len(lines) == 5
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 4 and row[2] == "classifier" and 0 <= float(row[1]) <= 1 for row in rows)
    assert all(row[3].startswith("learned from ") for row in rows)
    assert {rows[0][0], rows[1][0]} == {"python", "pandas"}


def test_suggest_reads_stdin(runs: dict[str, Run]) -> None:
    lines = ok(runs["suggest-stdin"]).stdout.splitlines()
    assert {line.split("\t")[0] for line in lines} == {"python", "pandas"}


def test_suggest_json(runs: dict[str, Run]) -> None:
    data = json.loads(ok(runs["suggest-json"]).stdout)
    assert list(data) == ["suggestions"]
    assert len(data["suggestions"]) == 5
    assert set(data["suggestions"][0]) == {"tag", "score", "source", "reason"}
    assert {s["tag"] for s in data["suggestions"][:2]} == {"python", "pandas"}


def test_suggest_min_score_leaves_out_weaker_suggestions(runs: dict[str, Run]) -> None:
    every = json.loads(ok(runs["suggest-json"]).stdout)["suggestions"]
    strong = json.loads(ok(runs["suggest-min-score"]).stdout)["suggestions"]
    assert strong == [s for s in every if s["score"] >= 0.05]
    assert strong and len(strong) < len(every)  # the tiny model's five include weak ones: the option did something


def test_suggest_tag_excludes_a_chosen_tag(runs: dict[str, Run]) -> None:
    tags = [s["tag"] for s in json.loads(ok(runs["suggest-tag"]).stdout)["suggestions"]]
    assert "python" not in tags
    assert tags[0] == "pandas"
    assert len(tags) == 5


@pytest.mark.slow
def test_suggest_chinese(runs: dict[str, Run]) -> None:
    assert ok(runs["suggest-chinese"]).stdout.split("\t")[0] == "中国女排"


@pytest.mark.slow
def test_info_is_json(runs: dict[str, Run], files: dict[str, Path]) -> None:
    info = json.loads(ok(runs["info"]).stdout)
    assert info["arch"] == "bag" and info["quantized"] is True and info["tags"] == 16
    assert info["size_bytes"] == files["model"].stat().st_size


# --- bad input ------------------------------------------------------------------------------------

BAD = {
    "missing-file": "does not exist",
    "data-is-directory": "folder",
    "malformed-line": "bad_line.jsonl:3: The line is not valid JSON",
    "train-malformed-line": "bad_line.jsonl:3:",
    "train-no-tags": "no tags",
    "train-unknown-preset": "unknown preset 'nope'",
    "empty-text": "empty",
    "blank-stdin": "empty",
    "huge-stdin": "over the limit",
    "binary-stdin": "binary",
    "binary-data": "binary",
    "surrogate-data": "surrogate.jsonl:2: The title holds a lone UTF-16 surrogate",
    "latin1-argument": "the byte 0xe9, which is not UTF-8",
    "corrupt-model": "truncated or corrupted",
    "missing-model": "does not exist",
    "legacy-pickle-model": "corrupted",
    "out-is-directory": "folder",
    "out-is-the-data": "it is the input file",
    "out-is-a-document": "the file is there and is not a tagrec model",
    "out-is-a-device": "not a regular file",
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            name,
            marks=[] if name in CORE else [pytest.mark.slow],
        )
        for name in BAD
    ],
)
def test_bad_input_gives_one_clear_error_line(runs: dict[str, Run], case: str) -> None:
    r = runs[case]
    assert r.code == 1, r.output
    assert "Traceback" not in r.output
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, r.stderr
    assert BAD[case] in errors[0]
    assert r.stdout == ""


def test_huge_text_is_refused_fast(runs: dict[str, Run]) -> None:
    assert runs["huge-stdin"].seconds < 30  # about the start-up time: the text is refused unread
    assert "stdin: The text is over the limit of 1.0 MB" in runs["huge-stdin"].stderr


def test_stdin_is_not_read_past_the_limit(files: dict[str, Path]) -> None:
    """An endless stream (``yes | tagrec suggest``) is refused after the limit, not read until memory runs out."""
    with subprocess.Popen(
        [*TAGREC, "suggest", "-m", str(files["model"])], stdin=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None and proc.stderr is not None
        with contextlib.suppress(BrokenPipeError):
            for _ in range(10_000):  # up to 640 MB; the CLI stops reading after 1 MB and exits
                proc.stdin.write(b"pandas merge " * 5_000)
        proc.stdin.close()
        assert proc.wait(timeout=120) == 1
        assert "over the limit" in proc.stderr.read().decode()


def test_a_full_disk_or_a_closed_pipe_on_stdout_is_one_line_not_a_traceback(files: dict[str, Path]) -> None:
    args = [*TAGREC, "suggest", "-m", str(files["model"]), PANDAS_POST]
    with open("/dev/full", "wb") as full:
        done = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 1 and done.stderr.decode().strip() == "error: No space left on device"
    reader, writer = os.pipe()
    os.close(reader)  # the reader has gone before the first line
    with os.fdopen(writer, "wb") as closed:
        done = subprocess.run(args, stdout=closed, stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 1 and done.stderr == b""  # click's way: quiet, as ``| head`` wants


@pytest.mark.slow
def test_nothing_is_written_when_training_input_is_bad(runs: dict[str, Run], files: dict[str, Path]) -> None:
    assert not any((files["folder"] / f"x{i}.tagrec").exists() for i in (1, 2, 3))
    assert not list(files["folder"].glob("*.part"))


def test_train_never_writes_its_model_over_the_data_or_a_document(runs: dict[str, Run], files: dict[str, Path]) -> None:
    """``-o`` given the data file by a slip used to replace the data with the model (and /dev/null, as root)."""
    assert all(runs[case].code == 1 for case in ("out-is-the-data", "out-is-a-document", "out-is-a-device"))
    assert files["small"].read_bytes().startswith(b"{") and files["bad_line"].read_bytes().startswith(b"{")
    assert Path("/dev/null").is_char_device()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "message"),
    [
        pytest.param("unknown-command", "No such command"),
        pytest.param("missing-option", "Missing"),
        pytest.param("bad-top-k", "greater than or equal to 1"),
        pytest.param("bad-min-score", "less than or equal to 1"),
        pytest.param("bad-domain", "'klingon' is not one of 'stackoverflow', 'weibo'"),
        pytest.param("bad-threads", "less than or equal to 256"),  # 100,000 crashed training (SIGSEGV)
        pytest.param("bad-seed", "less than or equal to 4294967295"),  # torch overflowed with a traceback
    ],
)
def test_usage_errors_exit_2_without_traceback(runs: dict[str, Run], case: str, message: str) -> None:
    r = runs[case]
    assert "Traceback" not in r.output
    assert r.code == 2
    assert message in r.stderr


# --- Ctrl-C during training -------------------------------------------------------------------------


def interrupt_training(data: Path, out: Path) -> Run:
    """Start `tagrec train`, wait for the progress bar on stderr, send SIGINT once, wait for the exit."""
    args = ["train", "--data", str(data), "--out", str(out), "--preset", "textcnn", "--epochs", "30"]
    started = time.monotonic()
    proc = subprocess.Popen(
        [*TAGREC, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A suite started in the background of a non-interactive shell inherits SIGINT ignored, and Python
        # keeps it ignored: give the child the default disposition, as a terminal's Ctrl-C would find it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None and proc.stdout is not None
    chunks: list[bytes] = []
    bar_seen = threading.Event()

    def read_stderr() -> None:
        assert proc.stderr is not None
        while chunk := os.read(proc.stderr.fileno(), 4096):
            chunks.append(chunk)
            if b"%|" in b"".join(chunks):  # tqdm's bar
                bar_seen.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert bar_seen.wait(timeout=180), b"".join(chunks).decode("utf-8", "replace")
        assert proc.poll() is None, "training ended before it could be interrupted; give it more data"
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    stdout = proc.stdout.read().decode("utf-8", "replace")
    proc.stdout.close()
    proc.stderr.close()
    return Run(args, code, stdout, b"".join(chunks).decode("utf-8", "replace"), time.monotonic() - started)


@pytest.fixture(scope="module")
def interrupted(
    tmp_path_factory: pytest.TempPathFactory,
    make_posts: Callable[..., list[dict[str, Any]]],
    jsonl_writer: Callable[[Path, list[dict[str, Any]]], Path],
    tiny_model_path: Path,
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("ctrl-c")
    data = jsonl_writer(folder / "big.jsonl", make_posts(2000, 2000, seed=9, prefix="big"))
    (folder / "fresh").mkdir()
    (folder / "existing").mkdir()
    existing = folder / "existing" / "model.tagrec"
    shutil.copyfile(tiny_model_path, existing)
    with ThreadPoolExecutor(max_workers=2) as pool:
        fresh_run = pool.submit(interrupt_training, data, folder / "fresh" / "model.tagrec")
        existing_run = pool.submit(interrupt_training, data, existing)
        return {
            "folder": folder,
            "original": tiny_model_path.read_bytes(),
            "fresh": fresh_run.result(),
            "existing": existing_run.result(),
        }


def test_ctrl_c_during_training_exits_130_and_writes_nothing(interrupted: dict[str, Any]) -> None:
    r: Run = interrupted["fresh"]
    assert r.code == 130, r.output
    assert "Traceback" not in r.output
    folder = interrupted["folder"] / "fresh"
    assert not (folder / "model.tagrec").exists()
    assert list(folder.iterdir()) == []


def test_ctrl_c_during_training_keeps_an_existing_model_byte_for_byte(interrupted: dict[str, Any]) -> None:
    r: Run = interrupted["existing"]
    assert r.code == 130, r.output
    assert "Traceback" not in r.output
    folder = interrupted["folder"] / "existing"
    assert (folder / "model.tagrec").read_bytes() == interrupted["original"]
    assert [p.name for p in folder.iterdir()] == ["model.tagrec"]


def test_ctrl_c_during_training_says_interrupted(interrupted: dict[str, Any]) -> None:
    for key in ("fresh", "existing"):
        assert "interrupted" in interrupted[key].stderr
