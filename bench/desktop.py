"""The desktop app's startup, folder indexing and file watching, measured (Qt offscreen; files on /dev/shm,
whose speed does not wander like the working disk's).

* **startup** (a fresh process each, the shipped models): time to the window, time to the first suggestion
  (typing a title; includes loading the model), memory once both models are loaded. Side by side, the peer:
  ``tagrec suggest`` for the same title, a cold process too.
* **indexing**: ``--files`` text files (default 10,000, so-titles valid titles and bodies) indexed by
  ``folders.index_files`` through the ``Service``: files per second and memory. Side by side, the floor:
  ``Recommender.suggest_many`` on the same texts in memory (no files, no index).
* **table**: the folder organizer's table with ``--rows`` indexed files (default 50,000): reloading it from the
  index and the profile, and one keystroke of search. Side by side, the peer: the same rows put into a
  ``QTableWidget`` (one item per cell, as the table was built before), in the same process.
* **burst**: ``--burst`` files (default 2,000) written at once into a watched folder: how many the watcher
  handed on, and how long until the last one.

    python -m bench.desktop [--files 10000] [--rows 50000] [--burst 2000] [--out bench/results/desktop.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.quality import DEFAULT_DATA_ROOT, load_set

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUT = RESULTS_DIR / "desktop.json"
TITLE = "How do I merge two dictionaries in Python?"
SHM = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())

_STARTUP = r"""
import json, os, sys, tempfile, time
started = time.perf_counter()
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop.app import Desktop
desktop = Desktop(tempfile.mkdtemp(), port=0)
desktop.window.show()
app.processEvents()
window = time.perf_counter() - started
desktop.drafting.title.setText(sys.argv[1])
while not desktop.drafting.chips.tags():
    app.processEvents()
    time.sleep(0.005)
first = time.perf_counter() - started
# Memory once both models are in: read at the first suggestion, it caught the other model half loaded
# (533-642 MB over three runs of the same build).
desktop.service.wait()
rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
print(json.dumps({"window_s": round(window, 3), "first_suggestion_s": round(first, 3), "rss_mb": round(rss, 1)}))
desktop.close()
"""


def startup(runs: int) -> dict[str, Any]:
    env = {**os.environ, "TAGREC_HOME": tempfile.mkdtemp()}
    ours, peer = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _STARTUP, TITLE], capture_output=True, text=True, env=env)
        ours.append(json.loads(done.stdout.strip().splitlines()[-1]))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tagrec_core", "suggest", TITLE], capture_output=True, env=env)
        peer.append(time.perf_counter() - started)
    best = min(ours, key=lambda r: r["first_suggestion_s"])
    return {
        **best,
        "runs": runs,
        "peer_cli_suggest_s": round(min(peer), 3),
        "first_suggestion_vs_cli": round(best["first_suggestion_s"] / min(peer), 2),
    }


def write_files(folder: Path, texts: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True)
    for i, (title, body) in enumerate(texts):
        (folder / f"{i:05d}-{title[:40].replace('/', ' ')}.md").write_text(f"# {title}\n\n{body}", encoding="utf-8")


def indexing(texts: list[tuple[str, str]]) -> dict[str, Any]:
    from tagrec_core import load
    from tagrec_core.folders import FolderIndex, index_files, stale_files
    from tagrec_core.profile import Profile
    from tagrec_core.service import Service

    with tempfile.TemporaryDirectory(dir=SHM) as tmp:
        root = Path(tmp)
        write_files(root / "docs", texts)
        with Profile.open(root / "profile.sqlite") as profile:
            service = Service(profile, {"stackoverflow": "stackoverflow"})
            service.wait()
            index = FolderIndex(root / "folders.sqlite")
            folder = index.add_folder(root / "docs")
            started = time.perf_counter()
            todo, _ = stale_files(index, folder)
            count = index_files(index, service, folder, todo)
            seconds = time.perf_counter() - started
            index.close()
            service.close()
    recommender = load("stackoverflow")
    started = time.perf_counter()
    recommender.suggest_many(texts, k=8)
    floor = time.perf_counter() - started
    rss = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    return {
        "files": count,
        "seconds": round(seconds, 1),
        "files_per_s": round(count / seconds, 1),
        "peer_in_memory_per_s": round(len(texts) / floor, 1),
        "vs_in_memory": round((count / seconds) / (len(texts) / floor), 2),
        "rss_mb": round(rss, 1),
    }


_BURST = r"""
import json, os, sys, tempfile, time
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCoreApplication
from desktop.watcher import FolderWatcher
n, parent = int(sys.argv[1]), sys.argv[2]
app = QCoreApplication([])
with tempfile.TemporaryDirectory(dir=parent) as tmp:
    watcher = FolderWatcher()
    seen = set()
    watcher.changed.connect(lambda paths: seen.update(paths))
    watcher.watch(tmp)
    started = time.perf_counter()
    for i in range(n):
        Path(tmp, f"burst{i:05d}.txt").write_text(f"file {i}", encoding="utf-8")
    deadline = started + 120
    while len(seen) < n and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    watcher.stop()
print(json.dumps({"written": n, "picked_up": len(seen), "missed": n - len(seen), "seconds": round(seconds, 2)}))
sys.stdout.flush()
os._exit(0)  # the measurement is out; skip Qt's teardown at interpreter exit
"""


_TABLE = r"""
import json, os, sys, tempfile, time
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication, QTableView, QTableWidget, QTableWidgetItem
from desktop.file_table import FileTableModel, file_row
from tagrec_core.folders import FolderIndex
from tagrec_core.profile import Profile, parse_feedback
n, parent = int(sys.argv[1]), sys.argv[2]
app = QApplication([])
tmp = Path(tempfile.mkdtemp(dir=parent))
index = FolderIndex(tmp / "folders.sqlite")
folder = index.add_folder(tmp)
stat = os.stat(tmp)
suggested = [{"tag": t, "score": 0.5, "source": "model", "why": ""} for t in ("python", "pandas", "numpy")]
for i in range(n):
    index.store(folder, tmp / f"notes/{i:06d}.md", stat, f"note {i}", "markdown", "", suggested)
profile = Profile.open(tmp / "profile.sqlite")
profile.record_many([parse_feedback({"site": "files", "item": str(tmp / f"notes/{i:06d}.md"), "final": ["mine"]})
                     for i in range(0, n, 10)])
def ours():
    entries = index.summaries()
    mine = profile.item_tags("local", "files", [e.path for e in entries])
    model.load([file_row(e, mine.get(e.path, [])) for e in entries])
    app.processEvents()
def peer():
    entries = index.summaries()
    mine = profile.item_tags("local", "files", [e.path for e in entries])
    widget.setRowCount(len(entries))
    for r, e in enumerate(entries):
        row = file_row(e, mine.get(e.path, []))
        widget.setItem(r, 0, QTableWidgetItem(row.name))
        widget.setItem(r, 1, QTableWidgetItem(row.suggested))
        widget.setItem(r, 2, QTableWidgetItem(", ".join(row.mine)))
    app.processEvents()
def best(fn, runs=3):
    times = []
    for _ in range(runs):
        started = time.perf_counter(); fn(); times.append(time.perf_counter() - started)
    return min(times)
model = FileTableModel(["File", "Suggested", "Your tags"])
view = QTableView(); view.setModel(model); view.resize(900, 600); view.show()
widget = QTableWidget(0, 3); widget.resize(900, 600); widget.show()
reload_ours, reload_peer = best(ours), best(peer)
search = best(lambda: (model.search("0042"), app.processEvents(), model.search(""), app.processEvents()))
rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
print(json.dumps({"rows": n, "reload_s": round(reload_ours, 3), "peer_table_widget_s": round(reload_peer, 3),
                  "vs_table_widget": round(reload_ours / reload_peer, 2), "search_keystroke_s": round(search / 2, 3),
                  "rss_mb": round(rss, 1)}))
sys.stdout.flush()
os._exit(0)
"""


def table(n: int) -> dict[str, Any]:
    """In a fresh process: the organizer's table with ``n`` files against a ``QTableWidget`` of the same rows."""
    done = subprocess.run([sys.executable, "-c", _TABLE, str(n), str(SHM)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def burst(n: int) -> dict[str, Any]:
    """In a fresh process: ``n`` files written at once into a watched folder, and what the watcher handed on."""
    done = subprocess.run([sys.executable, "-c", _BURST, str(n), str(SHM)], capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=50_000, help="files in the organizer's table")
    parser.add_argument("--burst", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3, help="startup runs (the best is reported)")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    records = load_set("se-multi", args.data_root).valid
    texts = [(r.title, r.body) for r in records]
    texts = [texts[i % len(texts)] for i in range(args.files)]
    result = {
        "bench": "desktop",
        "startup": startup(args.runs),
        "indexing": indexing(texts),
        "table": table(args.rows),
        "burst": burst(args.burst),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
