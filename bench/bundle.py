"""The desktop bundle (``packaging/build.py``) measured: its size, and how fast its programs start next to the same
commands run from the virtual environment (the peer).

* **size**: the bundle folder in total and its biggest parts (torch, Qt, the models, numpy and scipy, the
  launcher), the tarball; with ``--untrimmed DIR`` also a bundle built with ``build.py --no-trim`` there;
* **start** (each the best of ``--runs`` fresh processes, page cache warm): ``tagrec --version``;
  ``tagrec suggest`` on examples/stackoverflow-question.txt (loads torch and a model); ``tagrec serve`` until
  ``/v1/hello`` answers; ``tagrec-desktop`` until its window has painted (``--smoke-test``, Qt offscreen).
  Each as bundle seconds, venv seconds and their ratio (bundle / venv: below 1 the bundle is faster).

The bundle runs with an empty environment (PATH=/usr/bin:/bin and a new HOME), as on a machine without Python.

    python -m bench.bundle [--dist dist] [--runs 3] [--untrimmed DIR] [--out bench/results/bundle.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUT = RESULTS_DIR / "bundle.json"
QUESTION = ROOT / "examples" / "stackoverflow-question.txt"
MIB = 1024 * 1024


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) if path.exists() else 0


def sizes(bundle: Path) -> dict[str, float]:
    """MiB of the bundle and of its biggest parts."""
    internal = bundle / "_internal"
    parts = {
        "torch": folder_bytes(internal / "torch"),
        "qt": folder_bytes(internal / "PySide6") + folder_bytes(internal / "shiboken6"),
        "models": folder_bytes(internal / "tagrec_core" / "resources"),
        "numpy_scipy": sum(folder_bytes(internal / name) for name in ("numpy", "numpy.libs", "scipy", "scipy.libs")),
        "launcher": sum(p.stat().st_size for p in bundle.iterdir() if p.is_file() and not p.is_symlink()),
    }
    total = folder_bytes(bundle)
    parts["other"] = total - sum(parts.values())
    return {"total_mib": round(total / MIB, 1), **{f"{k}_mib": round(v / MIB, 1) for k, v in parts.items()}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def timed_run(argv: list[str], env: dict[str, str], stdin: bytes = b"") -> float:
    """Seconds from start to exit of ``argv``, which must succeed."""
    started = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, env=env, timeout=300)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv} failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return seconds


@dataclass
class Served:
    """What ``serve_until_hello`` saw of one ``tagrec serve``."""

    seconds: float  # from the start to the first 200 from /v1/hello
    answer: dict[str, Any]  # that answer
    maps: str  # the server's /proc/PID/maps while it answered (which files it had loaded)
    exit_code: int  # after Ctrl-C (SIGINT)
    stderr: str


def serve_until_hello(tagrec: list[str], env: dict[str, str], timeout: float = 120) -> Served:
    """Start ``tagrec serve`` on a free port, wait for the first 200 from ``/v1/hello``, then stop the server with
    SIGINT (its Ctrl-C). ``RuntimeError`` if it stops or stays silent for ``timeout`` seconds."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [*tagrec, "serve", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while time.perf_counter() - started < timeout:
            if server.poll() is not None:
                raise RuntimeError(f"tagrec serve stopped: {server.stderr.read().decode() if server.stderr else ''}")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", "/v1/hello", headers={"Host": f"127.0.0.1:{port}", "X-Tagrec-Api": "1"})
                response = conn.getresponse()
                if response.status == 200:
                    seconds = time.perf_counter() - started
                    answer = json.loads(response.read())
                    maps = Path(f"/proc/{server.pid}/maps").read_text()
                    break
            except OSError:
                time.sleep(0.01)
            finally:
                conn.close()
        else:
            raise RuntimeError(f"tagrec serve did not answer within {timeout:.0f} s")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=60)
    return Served(seconds, answer, maps, server.returncode, err.decode(errors="replace"))


def window_seconds(desktop: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``tagrec-desktop --smoke-test`` to its report that the window has painted."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*desktop, "--smoke-test"],
        env={**env, "QT_QPA_PLATFORM": "offscreen", "TAGREC_PORT": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    seconds = time.perf_counter() - started
    _, err = process.communicate(timeout=120)
    report = json.loads(line) if line.strip() else {}
    if process.returncode != 0 or not report.get("visible"):
        raise RuntimeError(f"tagrec-desktop --smoke-test failed: {err.decode(errors='replace')[-2000:]}")
    return seconds


def best(runs: int, measure: Callable[[], float]) -> float:
    return round(min(measure() for _ in range(runs)), 3)


def starts(bundle: Path, runs: int) -> dict[str, Any]:
    """Each start measure for the bundle and the venv, with the ratio bundle / venv."""
    venv_bin = Path(sys.executable).parent
    home = Path(tempfile.mkdtemp(prefix="bench-bundle-"))
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(home / "bundle"), "LANG": "C.UTF-8"}
    venv = {**os.environ, "HOME": str(home / "venv"), "TAGREC_HOME": str(home / "venv" / "tagrec")}
    sides = {
        "bundle": ([str(bundle / "tagrec")], [str(bundle / "tagrec-desktop")], bare),
        "venv": ([str(venv_bin / "tagrec")], [str(venv_bin / "tagrec-desktop")], venv),
    }
    question = QUESTION.read_bytes()
    result: dict[str, Any] = {"runs": runs}
    measures: dict[str, Callable[[list[str], list[str], dict[str, str]], float]] = {
        "version_s": lambda cli, _d, env: timed_run([*cli, "--version"], env),
        "suggest_s": lambda cli, _d, env: timed_run([*cli, "suggest"], env, question),
        "serve_hello_s": lambda cli, _d, env: serve_until_hello(cli, env).seconds,
        "window_s": lambda _c, desktop, env: window_seconds(desktop, env),
    }
    for name, measure in measures.items():
        row = {side: best(runs, lambda m=measure, s=args: m(*s)) for side, args in sides.items()}
        row["ratio"] = round(row["bundle"] / row["venv"], 2)
        result[name] = row
        print(f"{name:14} bundle {row['bundle']:6.3f} s   venv {row['venv']:6.3f} s   ratio {row['ratio']:.2f}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where packaging/build.py put the bundle")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per start measure (the best counts)")
    parser.add_argument("--untrimmed", type=Path, help="a dist folder of `build.py --no-trim` to compare sizes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    stamp_path = args.dist / "tagrec-build.json"
    if not stamp_path.is_file():
        raise SystemExit(f"no build in {args.dist}: run `.venv/bin/python packaging/build.py` first")
    stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    bundle = args.dist / stamp["bundle"]
    result: dict[str, Any] = {
        "bench": "bundle",
        "version": stamp["version"],
        "build_seconds": stamp["seconds"],
        "size": {**sizes(bundle), "tarball_mib": round((args.dist / stamp["tarball"]).stat().st_size / MIB, 1)},
    }
    if args.untrimmed:
        untrimmed = json.loads((args.untrimmed / "tagrec-build.json").read_text(encoding="utf-8"))
        result["size_untrimmed"] = {
            **sizes(args.untrimmed / untrimmed["bundle"]),
            "tarball_mib": round((args.untrimmed / untrimmed["tarball"]).stat().st_size / MIB, 1),
        }
    print(json.dumps(result, indent=2))
    result["start"] = starts(bundle, args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
