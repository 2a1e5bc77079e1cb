"""The core service and its batching worker, without HTTP: what the bridge and the desktop app build on."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tagrec_core.batching import Batcher, Closed
from tagrec_core.errors import InputError, ModelFileError
from tagrec_core.profile import Profile
from tagrec_core.service import MAX_LIMIT, ModelLoading, Service, SuggestRequest


def test_batcher_runs_what_queued_meanwhile_in_one_call() -> None:
    release = threading.Event()
    calls: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        release.wait(5)
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(run, max_batch=4)
    first = batcher.submit(0)
    while not calls:  # the worker is busy with the first item
        threading.Event().wait(0.001)
    rest = [batcher.submit(i) for i in range(1, 7)]
    release.set()
    assert [f.result(5) for f in [first, *rest]] == [0, 10, 20, 30, 40, 50, 60]
    assert calls == [[0], [1, 2, 3, 4], [5, 6]]
    batcher.close()
    with pytest.raises(Closed):
        batcher.submit(7)


def test_batcher_fails_every_waiter_of_a_failing_batch_and_goes_on() -> None:
    def run(items: Sequence[int]) -> list[int]:
        if 13 in items:
            raise ValueError("unlucky")
        return list(items)

    batcher: Batcher[int, int] = Batcher(run)
    with pytest.raises(ValueError, match="unlucky"):
        batcher.submit(13).result(5)
    assert batcher.submit(1).result(5) == 1
    batcher.close()


@pytest.fixture
def profile(tmp_path: Path) -> Any:
    with Profile.open(tmp_path / "profile.sqlite") as opened:
        yield opened


def test_service_loads_in_the_background_then_suggests(profile: Profile, tiny_ranker_path: Path) -> None:
    service = Service(profile, {"tiny": tiny_ranker_path})
    request = SuggestRequest("How do I merge two pandas dataframe?", "groupby on a column", limit=3)
    with pytest.raises(ModelLoading):
        service.submit(request)  # starts loading
    assert service.wait(timeout=60) and service.status() == {"tiny": {"state": "ready"}}
    found = service.suggest(request)
    assert len(found) == 3 and found[0].tag in {"pandas", "python"}
    assert service.suggest(SuggestRequest("   ")) == []
    # A minimum score leaves out the weaker ones, in the same order, even when that leaves fewer than limit.
    every = service.suggest(SuggestRequest(request.title, request.body, limit=10))
    cut = (every[0].score + every[-1].score) / 2
    strong = service.suggest(SuggestRequest(request.title, request.body, limit=10, min_score=cut))
    assert strong == [s for s in every if s.score >= cut] and 0 < len(strong) < len(every)
    service.close()


def test_service_refuses_requests_over_the_limits(profile: Profile) -> None:
    service = Service(profile, {"tiny": "unused.tagrec"})
    for bad in (
        SuggestRequest("t", limit=MAX_LIMIT + 1),
        SuggestRequest("t" * 2_001),
        SuggestRequest("bad \ud800 surrogate"),
        SuggestRequest("nul \x00"),
        SuggestRequest("t", tags=("x",) * 201),
        SuggestRequest("t", min_score=-0.1),
        SuggestRequest("t", min_score=1.5),
        SuggestRequest("t", min_score=float("nan")),
    ):
        with pytest.raises(InputError):
            service.submit(bad)
    service.close()


def test_service_reports_a_model_that_cannot_load(profile: Profile, tmp_path: Path) -> None:
    service = Service(profile, {"broken": tmp_path / "missing.tagrec"})
    service.start()
    assert service.wait(timeout=30)
    assert service.status()["broken"]["state"] == "failed"
    with pytest.raises(ModelFileError):
        service.submit(SuggestRequest("anything"))
    service.close()


def test_service_picks_the_model_by_site_then_language(profile: Profile) -> None:
    service = Service(profile)  # the shipped domains; nothing loads unless asked
    assert service.domain_for(SuggestRequest("x", site="weibo")) == "weibo"
    assert service.domain_for(SuggestRequest("How do I sort a list?", site="files")) == "stackoverflow"
    assert service.domain_for(SuggestRequest("今天天气很好", site="files")) == "weibo"
    assert service.domain_for(SuggestRequest("mixed", site="files", lang="zh")) == "weibo"
    service.close()


def test_the_app_starts_without_importing_torch() -> None:
    """The desktop window and the bridge come up before any model loads (torch alone takes about a second to
    import): nothing they import at start may import it. It crept in once through the personal ranking."""
    code = (
        "import sys\n"
        "import desktop.app, desktop.window, desktop.drafting, desktop.folders_view, desktop.profile_view\n"
        "import extension_bridge.server, tagrec_core.service, tagrec_core.profile.personalizer\n"
        "sys.exit(3 if 'torch' in sys.modules else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode() or "torch was imported"
