"""``release_free_memory`` really hands freed heap pages back, and a loaded service keeps the garbage collector off
its long-lived objects (fresh processes, real allocations, a real model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tagrec_core.memory import release_free_memory

SCRIPT = r"""
import json
import numpy as np
from tagrec_core.memory import release_free_memory

def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024

# Freeing a 4 MB block raises glibc's mmap threshold, so the 2 MB blocks below come from the heap; the
# last one stays alive so that the freed ones are not at the top of the heap (which free() trims itself).
big = np.ones(4 << 18); del big
blocks = [np.ones(2 << 17) for _ in range(60)]
keep = blocks[-1]
del blocks
before = rss_mb()
release_free_memory()
print(json.dumps({"before": before, "after": rss_mb()}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_heap_pages_go_back_to_the_os() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60)
    rss = json.loads(out.stdout)
    assert rss["before"] - rss["after"] > 60  # of the ~118 MB freed


def test_release_is_harmless_to_repeat() -> None:
    release_free_memory()
    release_free_memory()


FREEZE_SCRIPT = r"""
import gc, json, sys, tempfile, weakref
from pathlib import Path
from tagrec_core.profile import Profile
from tagrec_core.service import Service, SuggestRequest

with tempfile.TemporaryDirectory() as home, Profile.open(Path(home) / "profile.sqlite") as profile:
    service = Service(profile, {"tiny": sys.argv[1]})
    service.wait(timeout=60)
    frozen, tracked = gc.get_freeze_count(), len(gc.get_objects())
    found = service.suggest(SuggestRequest("How do I merge two pandas dataframe?", limit=3))

    class Node:
        pass

    node = Node()
    node.self = node  # a reference cycle made after the freeze: garbage the collector must still find
    gone = weakref.ref(node)
    del node
    gc.collect()
    print(json.dumps({"frozen": frozen, "tracked": tracked, "found": len(found), "cycle_collected": gone() is None}))
    service.close()
"""


def test_a_loaded_service_keeps_its_long_lived_objects_out_of_garbage_collections(tiny_ranker_path: Path) -> None:
    """Full collections walked torch's ~180k objects (~100 ms with every thread stopped, the bridge's p99): once
    a model is loaded they are frozen, the collector tracks only what came after, and new garbage still goes."""
    out = subprocess.run(
        [sys.executable, "-c", FREEZE_SCRIPT, str(tiny_ranker_path)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    state = json.loads(out.stdout)
    assert state["frozen"] > 50_000, state  # torch and the model, imported and loaded before the freeze
    assert state["tracked"] < state["frozen"] / 20, state
    assert state["found"] == 3 and state["cycle_collected"], state
