"""Running the ``tagrec`` command in tests: the command line to start, and what a run gave."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCRIPT = Path(sys.executable).parent / "tagrec"
TAGREC = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "tagrec_core"]


@dataclass
class Run:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def run(args: list[str], stdin: bytes | None = None, timeout: float = 300, env: dict[str, str] | None = None) -> Run:
    """``tagrec ARGS`` in a subprocess (stdin empty unless given), decoded leniently."""
    started = time.monotonic()
    done = subprocess.run(
        [*TAGREC, *args], input=stdin if stdin is not None else b"", capture_output=True, timeout=timeout, env=env
    )
    return Run(
        args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        time.monotonic() - started,
    )
