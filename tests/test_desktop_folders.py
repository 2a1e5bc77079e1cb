"""The Folders view on real widgets (Qt offscreen, pytest-qt), real files, a real folder index and a real service:
indexing while the model loads, tagrec's own tag writes and the watcher, undoing a bulk apply byte for byte."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt

from desktop.app import Desktop
from desktop.file_table import FileTableModel
from desktop.folders_view import FolderView
from desktop.relay import Relay
from tagrec_core import defaults
from tagrec_core.file_tags import XATTR, sidecar_path
from tagrec_core.folders import FolderIndex
from tagrec_core.profile import Profile
from tagrec_core.service import Service
from tests.test_desktop import _rows, desktop  # noqa: F401  (``desktop`` is a fixture)

MERGE = "How do I merge two pandas dataframes in Python on a column?"
DOCKER = "How do I mount a volume into a docker container with docker compose?"


@pytest.fixture
def folder_view(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., FolderView]]:
    """``make(models, folders)``: a FolderView over a fresh profile and index that already holds ``folders``
    (as at the app's start), with a service over ``models`` that starts loading them as the app does."""
    profile = Profile.open(tmp_path / "profile.sqlite")
    index = FolderIndex(tmp_path / "folders.sqlite")
    relay = Relay()
    made: list[tuple[FolderView, Service]] = []

    def make(models: dict[str, Path], folders: list[Path]) -> FolderView:
        for folder in folders:
            index.add_folder(folder)
        service = Service(profile, models)
        service.start()  # in the background, as ``Desktop`` does
        view = FolderView(index, service, profile, relay, "local")
        qtbot.addWidget(view)
        made.append((view, service))
        return view

    yield make
    for view, service in made:
        view.close_jobs()
        service.close()
    relay.close()
    index.close()
    profile.close()


def _notes(folder: Path, n: int = 2) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"merge{i}.md").write_text(MERGE, encoding="utf-8")
    return folder


def _slow_model() -> dict[str, Path]:
    """A shipped model by its path: read from disk and built anew by each service (1-2 s here), unlike a shipped
    domain's name, which one process loads once (the tests before may have loaded it already)."""
    return {"so": defaults.model_path("stackoverflow")}


def test_indexing_at_start_waits_for_the_model_and_then_indexes(
    folder_view: Callable[..., FolderView], qtbot: Any, tmp_path: Path
) -> None:
    """The start's rescan met a model still loading and ended "Indexing failed: …" until the next rescan."""
    docs = _notes(tmp_path / "docs")
    view = folder_view(_slow_model(), [docs])
    jobs: list[int] = []
    view.indexed.connect(jobs.append)  # the start's job runs on; its end is signalled on this thread, later
    qtbot.waitUntil(lambda: "waiting for the suggestion model" in view.status.text(), timeout=10_000)
    assert view.progress.isVisibleTo(view) and view.cancel_button.isVisibleTo(view)
    qtbot.waitUntil(lambda: bool(jobs), timeout=60_000)
    assert jobs == [2] and view.status.text() == "2 files indexed"
    assert set(_rows(view)) == {"merge0.md", "merge1.md"}
    assert all(suggested for suggested, _ in _rows(view).values())


def test_waiting_for_the_model_can_be_cancelled(
    folder_view: Callable[..., FolderView], qtbot: Any, tmp_path: Path
) -> None:
    docs = _notes(tmp_path / "docs")
    view = folder_view(_slow_model(), [docs])
    qtbot.waitUntil(lambda: "waiting for the suggestion model" in view.status.text(), timeout=10_000)
    with qtbot.waitSignal(view.indexed, timeout=10_000) as done:
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    assert done.args == [0] and view.status.text() == "indexing stopped after 0 of 2 files"
    assert _rows(view) == {} and not view.cancel_button.isVisibleTo(view)
    assert view.service.wait(timeout=120)
    with qtbot.waitSignal(view.indexed, timeout=30_000):  # the next rescan indexes them
        view.rescan()
    assert set(_rows(view)) == {"merge0.md", "merge1.md"}


def test_a_model_that_cannot_load_is_said_once_clearly(
    folder_view: Callable[..., FolderView], qtbot: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.tagrec"
    broken.write_bytes(b"not a model")
    view = folder_view({"so": broken}, [_notes(tmp_path / "a"), _notes(tmp_path / "b")])
    jobs: list[int] = []
    view.indexed.connect(jobs.append)
    qtbot.waitUntil(lambda: bool(jobs), timeout=30_000)
    qtbot.wait(1_000)  # the second folder's job, queued at start, would fail the same way: it is dropped
    assert jobs == [0] and _rows(view) == {}
    status = view.status.text()
    assert status.startswith("Files cannot be indexed: the suggestion model could not be loaded (")
    assert str(broken) in status and status.count("could not be loaded") == 1 and "Indexing failed" not in status


def _has_user_xattrs(path: Path) -> bool:
    try:
        os.setxattr(path, "user.tagrec-test", b"1")
        os.removexattr(path, "user.tagrec-test")
    except (OSError, AttributeError):
        return False
    return True


def test_writing_a_files_tags_does_not_make_the_watcher_index_it_again(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    view = desktop.folders
    docs = _notes(tmp_path / "tagged", 1)
    note = docs / "merge0.md"
    if not _has_user_xattrs(note):
        pytest.skip("this file system keeps no user extended attributes")
    view.set_file_tags(xattr=True, sidecar=True)
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.add_folder(docs)
    row = view.index._conn.execute("SELECT size, mtime, indexed FROM files").fetchall()
    view.select(str(note))
    qtbot.waitUntil(lambda: bool(view.chips.tags()), timeout=5_000)
    tag = view.chips.tags()[0]
    with qtbot.waitSignal(view.copies_written, timeout=10_000):
        qtbot.mouseClick(view.chips.chips[0], Qt.MouseButton.LeftButton)
    assert tag in os.getxattr(note, XATTR).decode() and sidecar_path(note).exists()  # an IN_ATTRIB, a .ts write
    jobs: list[int] = []
    view.indexed.connect(jobs.append)
    qtbot.wait(3_000)  # several of the watcher's settling periods (SETTLE_MS)
    assert jobs == [], "the file tagrec just tagged was indexed again"
    assert view.index._conn.execute("SELECT size, mtime, indexed FROM files").fetchall() == row
    note.write_text(MERGE + " With a new paragraph.", encoding="utf-8")  # a change of content still counts
    qtbot.waitUntil(lambda: bool(jobs), timeout=30_000)


def test_undoing_a_bulk_apply_puts_attributes_and_sidecars_back_byte_for_byte(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    view = desktop.folders
    docs = _notes(tmp_path / "bulk", 2)
    tagged, bare = docs / "merge0.md", docs / "merge1.md"
    if not _has_user_xattrs(tagged):
        pytest.skip("this file system keeps no user extended attributes")
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.add_folder(docs)
    top = view.index.entry(str(tagged)).suggested[0]["tag"]
    # Another tool's tags: one of them the very tag the apply adds, in another tool's own formatting.
    attribute = f"holiday,{top}".encode()
    os.setxattr(tagged, XATTR, attribute)
    (docs / ".ts").mkdir()
    sidecar = json.dumps({"description": "from TagSpaces", "tags": [{"title": "holiday", "color": "#ff0000"}],
                          "customField": [1, 2]}, separators=(",", ":")).encode()  # fmt: skip
    sidecar_path(tagged).write_bytes(sidecar)
    desktop.service.feedback({"site": "files", "item": str(tagged), "final": ["mine"]})
    view.refresh()
    view.set_file_tags(xattr=True, sidecar=True)

    view.table.selectAll()
    with qtbot.waitSignal(view.copies_written, timeout=10_000):
        view.apply_button.click()
    assert sidecar_path(tagged).read_bytes() != sidecar and sidecar_path(bare).exists()
    assert os.getxattr(bare, XATTR) == view.index.entry(str(bare)).suggested[0]["tag"].encode()

    with qtbot.waitSignal(view.copies_written, timeout=10_000):
        view.undo_button.click()
    assert os.getxattr(tagged, XATTR) == attribute  # the other tool's tag the apply also gave is still there
    assert sidecar_path(tagged).read_bytes() == sidecar
    with pytest.raises(OSError):  # ENODATA: no attribute, as before
        os.getxattr(bare, XATTR)
    assert not sidecar_path(bare).exists() and sorted(p.name for p in (docs / ".ts").iterdir()) == ["merge0.md.json"]
    assert desktop.profile.item_tags("local", "files", [str(tagged)]) == {str(tagged): ["mine"]}
    assert desktop.profile.item_tags("local", "files", [str(bare)]) in ({}, {str(bare): []})
    assert _rows(view)["merge0.md"][1] == "mine" and _rows(view)["merge1.md"][1] == ""


# --- files renamed and moved keep their tags (the watcher's moves) ---------------------------------------------

USERS = {"local": "kept", "other": "theirs"}  # two users of one profile, each with a tag of their own


def _tagged(desktop: Desktop, qtbot: Any, docs: Path, names: list[str]) -> FolderView:  # noqa: F811
    """Index ``docs`` with the files ``names`` and give each, for each of ``USERS``, that user's tag."""
    view = desktop.folders
    for name in names:
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(MERGE, encoding="utf-8")
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.add_folder(docs)
    for name in names:
        for user, tag in USERS.items():
            desktop.service.feedback({"site": "files", "item": str(docs / name), "final": [tag]}, user=user)
    view.refresh()
    assert set(_yours(view).values()) == {"kept"}
    return view


def _yours(view: FolderView) -> dict[str, str]:
    """What the table shows: full path -> the user's tags."""
    model = view.table.model()
    return {model.data(model.index(r, 0), Qt.ItemDataRole.UserRole): model.data(model.index(r, 2))
            for r in range(model.rowCount())}  # fmt: skip


def _keeps_tags(desktop: Desktop, old: Path, new: Path) -> None:  # noqa: F811
    """Each user's tags are under ``new`` in the profile, none under ``old``."""
    for user, tag in USERS.items():
        assert desktop.profile.item_tags(user, "files", [str(new)]) == {str(new): [tag]}, user
        assert desktop.profile.item_tags(user, "files", [str(old)]) in ({}, {str(old): []}), user


def test_a_renamed_file_keeps_its_tags_for_every_user(desktop: Desktop, qtbot: Any, tmp_path: Path) -> None:  # noqa: F811
    """It was re-indexed as a new file; its tags stayed in the profile under the old path, invisible."""
    docs = tmp_path / "renamed"
    view = _tagged(desktop, qtbot, docs, ["merge0.md", "merge1.md"])
    old, new = docs / "merge0.md", docs / "pandas notes.md"
    suggested = view.index.entry(str(old)).suggested
    jobs: list[int] = []
    view.indexed.connect(jobs.append)
    old.rename(new)
    qtbot.waitUntil(lambda: _yours(view).get(str(new)) == "kept" and str(old) not in _yours(view), timeout=10_000)
    _keeps_tags(desktop, old, new)
    assert view.index.entry(str(new)).suggested == suggested
    qtbot.wait(2_000)  # several settling periods: the file, as indexed, is not read again
    assert jobs == [] and _yours(view) == {str(new): "kept", str(docs / "merge1.md"): "kept"}


def test_a_moved_folder_keeps_the_tags_of_every_file_in_it(desktop: Desktop, qtbot: Any, tmp_path: Path) -> None:  # noqa: F811
    docs = tmp_path / "moved"
    view = _tagged(desktop, qtbot, docs, ["sub/a.md", "sub/deep/b.md", "subway.md"])
    (docs / "later").mkdir()
    qtbot.wait(300)  # watchdog watches a new folder once told of it: a move into it before is unseen there
    (docs / "sub").rename(docs / "later" / "box")
    moved = {docs / "sub/a.md": docs / "later/box/a.md", docs / "sub/deep/b.md": docs / "later/box/deep/b.md"}
    expected = {str(new): "kept" for new in moved.values()} | {str(docs / "subway.md"): "kept"}
    qtbot.waitUntil(lambda: _yours(view) == expected, timeout=10_000)
    for old, new in moved.items():
        _keeps_tags(desktop, old, new)


def test_files_and_folders_moved_out_of_the_organizer_leave_the_table(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    """A folder moved out left its files listed: inotify reports only the folder gone, not what it held."""
    docs = tmp_path / "out"
    view = _tagged(desktop, qtbot, docs, ["merge0.md", "sub/a.md", "sub/b.md", "stays.md"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (docs / "merge0.md").rename(elsewhere / "merge0.md")
    (docs / "sub").rename(elsewhere / "sub")
    qtbot.waitUntil(lambda: _yours(view) == {str(docs / "stays.md"): "kept"}, timeout=10_000)
    assert desktop.profile.item_tags("local", "files", [str(docs / "sub/a.md")]) == {str(docs / "sub/a.md"): ["kept"]}


def test_a_whole_organized_folder_going_away_keeps_its_files_as_missing(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    """The watcher reports every file of an unplugged drive (or a deleted folder) gone: they are not forgotten,
    the folder is shown missing, as at start (its tags and suggestions come back with it)."""
    import shutil

    docs = tmp_path / "drive"
    view = _tagged(desktop, qtbot, docs, ["merge0.md", "sub/a.md"])
    before = _yours(view)
    shutil.rmtree(docs)
    qtbot.waitUntil(lambda: str(docs) in view.missing, timeout=10_000)
    qtbot.wait(2_000)  # a few settle ticks more: nothing is forgotten meanwhile
    assert _yours(view) == before and len(before) == 2


@pytest.mark.parametrize("temporary", [".notes.md.swp", "notes.md~"])
def test_an_editor_saving_through_a_temporary_file_keeps_the_files_tags(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
    temporary: str,
) -> None:
    """Written beside it, then renamed over it: a move of an ignored file onto the real one is a change of it."""
    docs = tmp_path / "edited"
    view = _tagged(desktop, qtbot, docs, ["notes.md"])
    note = docs / "notes.md"
    (docs / temporary).write_text(MERGE + " Edited: with a join on two keys.", encoding="utf-8")
    with qtbot.waitSignal(view.indexed, timeout=30_000) as job:  # the new content is read
        os.replace(docs / temporary, note)
    assert job.args == [1] and _yours(view) == {str(note): "kept"}
    for user, tag in USERS.items():
        assert desktop.profile.item_tags(user, "files", [str(note)]) == {str(note): [tag]}


def test_a_renamed_files_sidecar_follows_it(desktop: Desktop, qtbot: Any, tmp_path: Path) -> None:  # noqa: F811
    docs = tmp_path / "sidecars"
    view = _tagged(desktop, qtbot, docs, ["merge0.md"])
    old, new = docs / "merge0.md", docs / "sub" / "merge.md"
    view.set_file_tags(xattr=False, sidecar=True)
    with qtbot.waitSignal(view.copies_written, timeout=10_000):
        view.write_all_file_tags()
    content = sidecar_path(old).read_bytes()
    new.parent.mkdir()
    qtbot.wait(300)  # watchdog watches a new folder once told of it: a move into it before is unseen there
    old.rename(new)
    # The sidecar moves on the relay's worker; the table follows once the worker's answer reaches the UI thread.
    qtbot.waitUntil(lambda: sidecar_path(new).exists() and _yours(view) == {str(new): "kept"}, timeout=10_000)
    assert sidecar_path(new).read_bytes() == content and not sidecar_path(old).exists()


def test_a_file_moved_between_two_organized_folders_keeps_its_tags(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    """The watcher sees such a move as a deletion in one folder and a new file in the other: the file was read
    again as new, without its tags (they stayed in the profile under its old path) and without its sidecar."""
    docs, other = tmp_path / "docs", tmp_path / "other"
    other.mkdir()
    view = _tagged(desktop, qtbot, docs, ["merge0.md", "merge1.md"])
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.add_folder(other)
    view.set_file_tags(xattr=False, sidecar=True)
    with qtbot.waitSignal(view.copies_written, timeout=10_000):
        view.write_all_file_tags()
    old, new = docs / "merge0.md", other / "merge0.md"
    content, suggested = sidecar_path(old).read_bytes(), view.index.entry(str(old)).suggested
    stored: list[int] = []
    view.indexed.connect(stored.append)
    old.rename(new)
    qtbot.waitUntil(lambda: _yours(view).get(str(new)) == "kept" and str(old) not in _yours(view), timeout=20_000)
    _keeps_tags(desktop, old, new)
    qtbot.waitUntil(lambda: sidecar_path(new).exists(), timeout=10_000)
    assert sidecar_path(new).read_bytes() == content and not sidecar_path(old).exists()
    assert view.index.entry(str(new)).suggested == suggested and set(stored) <= {0}  # known, not read again


def test_files_moved_while_tagrec_was_not_watching_keep_their_tags(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    """Moves that no watcher saw (tagrec was not running) are found by the next scan: a deletion and a new file,
    which the file's name, inode, size, time and content tie together, within a folder and between two. A file
    renamed to another name meanwhile is indexed as new: its name is part of the evidence, as giving one file's
    tags to another (an inode reused) is worse than losing them."""
    docs, other = tmp_path / "docs", tmp_path / "other"
    other.mkdir()
    view = _tagged(desktop, qtbot, docs, ["merge0.md", "merge1.md", "sort.md"])
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.add_folder(other)
    for folder in (docs, other):
        view.watcher.unwatch(str(folder))
    (docs / "merge0.md").rename(other / "merge0.md")
    (docs / "sub").mkdir()
    (docs / "merge1.md").rename(docs / "sub" / "merge1.md")
    (docs / "sort.md").rename(docs / "renamed.md")
    with qtbot.waitSignals([view.indexed, view.indexed], timeout=30_000):  # a scan of each folder
        view.rescan()
    expected = {str(p): "kept" for p in (other / "merge0.md", docs / "sub" / "merge1.md")} | {
        str(docs / "renamed.md"): ""
    }
    qtbot.waitUntil(lambda: _yours(view) == expected, timeout=10_000)
    _keeps_tags(desktop, docs / "merge0.md", other / "merge0.md")
    _keeps_tags(desktop, docs / "merge1.md", docs / "sub" / "merge1.md")


def test_a_file_that_cannot_be_indexed_is_said_once_not_at_every_rescan(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    """Every rescan (the button, the 15-minute one, the watcher's) said the same skipped file again."""
    view = desktop.folders
    docs = tmp_path / "odd"
    docs.mkdir()
    (docs / "merge.md").write_text(MERGE, encoding="utf-8")
    os.close(os.open(os.path.join(os.fsencode(docs), b"caf\xe9.txt"), os.O_CREAT | os.O_WRONLY, 0o644))
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.add_folder(docs)
    assert view.status.text().startswith("1 files indexed; 1 skipped (")
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.rescan()
    assert view.status.text() == "0 files indexed" and view.status.toolTip() == ""
    os.close(os.open(os.path.join(os.fsencode(docs), b"na\xefve.txt"), os.O_CREAT | os.O_WRONLY, 0o644))
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.rescan()
    assert view.status.text().startswith("0 files indexed; 1 skipped (") and "na\ufffdve.txt" in view.status.text()
    assert view.status.toolTip() == f"{docs}/na\ufffdve.txt: its name is not valid UTF-8: rename the file to index it"


# --- a big folder: an indexing job updates its rows, the UI thread is not blocked ------------------------------


class _StallMeter:
    """A 10 ms QTimer on the UI thread; ``longest()`` is the longest gap between its ticks so far, in seconds:
    how long the event loop was blocked at most."""

    def __init__(self) -> None:
        import time

        from PySide6.QtCore import QTimer

        self._clock = time.perf_counter
        self._gaps = [0.0]
        self._last = self._clock()
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self._timer.start(10)

    def _tick(self) -> None:
        now = self._clock()
        self._gaps.append(now - self._last)
        self._last = now

    def longest(self) -> float:
        return max(self._gaps)


BIG = 40_000  # files: a full reload of the table takes ~0.5 s here on the UI thread, the job's update ~10 ms


@pytest.mark.slow
def test_a_job_on_a_big_folder_updates_its_rows_without_blocking_the_ui(
    folder_view: Callable[..., FolderView], qtbot: Any, tmp_path: Path
) -> None:
    """A note edited in a folder of 40,000 indexed files: the job's rows change in the table, the event loop is
    never blocked long (it was for a whole reload after every job), and the table then shows what a full
    reload shows."""
    import time

    notes = tmp_path / "big"
    suggested = [{"tag": f"tag{j}", "score": 0.5, "source": "classifier", "why": ""} for j in range(8)]
    index = FolderIndex(tmp_path / "folders.sqlite")  # the fixture's file: its view opens it again
    key = index.add_folder(notes.mkdir() or notes)
    for i in range(BIG):  # as indexed, so that the view's first rescan finds nothing stale
        path = notes / f"d{i // 1000:02d}" / f"n{i:05d}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"note {i}\n", encoding="utf-8")
        index.store(key, path, path.stat(), f"note {i}", "text", "", suggested)
    index.close()
    view = folder_view({"stackoverflow": "stackoverflow"}, [])
    with qtbot.waitSignal(view.indexed, timeout=120_000):  # the first rescan: nothing stale
        pass
    qtbot.waitUntil(lambda: view.model.rowCount() == BIG, timeout=60_000)
    edited = notes / "d39" / "n39999.md"
    edited.write_text(MERGE, encoding="utf-8")
    view.select(str(edited))
    qtbot.wait(50)
    meter = _StallMeter()
    start = time.perf_counter()
    with qtbot.waitSignal(view.indexed, timeout=120_000):
        view.index_paths([str(edited)])
    qtbot.wait(100)  # what the job's answer leads to on the UI thread
    assert meter.longest() < 0.25, f"the UI thread was blocked {meter.longest() * 1e3:.0f} ms"
    assert time.perf_counter() - start < 60
    row = view.model.row_of(str(edited))
    assert row is not None and view.selected_paths() == [str(edited)]
    assert "pandas" in view.model.data(view.model.index(row, 1))  # its new suggestions
    full = FileTableModel(["File", "Suggested", "Your tags"])
    full.load(view._read_rows(None, view.user, view.min_score))
    shown = [view.model.data(view.model.index(r, c)) for r in range(view.model.rowCount()) for c in range(3)]
    assert shown == [full.data(full.index(r, c)) for r in range(full.rowCount()) for c in range(3)]


# --- what an indexing job found, and the settings and selection meanwhile --------------------------------------


def test_the_tags_of_files_found_moved_follow_them_even_when_the_app_quits_at_once(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    """The job stored a moved file's new path in the index, but its tags followed only once the UI thread had
    passed the move on to the relay: a quit before that left them under the old path for good (the move is
    never recognised again). Here the UI thread runs no event between the scan and the quit."""
    docs = tmp_path / "docs"
    view = _tagged(desktop, qtbot, docs, ["merge0.md"])
    view.watcher.unwatch(str(docs))
    (docs / "sub").mkdir()
    (docs / "merge0.md").rename(docs / "sub" / "merge0.md")
    view.rescan()  # finds the move; the app quits at once, as ``Desktop.close`` does:
    view.close_jobs()  # the job ends (it moved the index's row) ...
    drained = threading.Event()
    desktop.relay.run(drained.set, lambda *_: None)  # ... then the relay's worker does what it was given
    assert drained.wait(30)
    assert view.index.entry(str(docs / "sub" / "merge0.md")) is not None
    _keeps_tags(desktop, docs / "merge0.md", docs / "sub" / "merge0.md")


def _job_over(view: FolderView) -> None:
    """Wait, without running the UI thread's events, until the indexing job under way has ended (the indexing
    thread is one: what is submitted after it runs after it)."""
    view._jobs.submit(lambda: None).result(timeout=60)


def test_rows_read_for_a_lowest_score_the_settings_changed_are_not_shown(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    """A job reads its rows for the view's lowest score shown (and user); when the settings changed it before
    the UI thread put them in the table, they were shown anyway: suggestions below the new cut-off."""
    docs = tmp_path / "docs"
    view = _tagged(desktop, qtbot, docs, ["merge0.md"])
    view.watcher.unwatch(str(docs))
    new = docs / "merge1.md"
    new.write_text(MERGE, encoding="utf-8")
    view.index_paths([str(new)])
    _job_over(view)  # its rows are read, with the suggestions of the lowest score shown now
    entry = view.index.entry(str(new))
    assert entry is not None and _rows(view).get("merge1.md") is None
    view.set_min_score(max(s["score"] for s in entry.suggested) + 1e-6)  # as ``Desktop.apply_settings`` does
    assert _rows(view)["merge1.md"][0] == ""  # none of its suggestions is scored that high
    with qtbot.waitSignal(view.indexed, timeout=10_000):
        pass  # the job's answer reaches the UI thread
    qtbot.wait(200)  # and what it leads to
    assert _rows(view)["merge1.md"] == ("", "")


def test_a_selected_file_read_again_shows_the_chips_of_its_new_content(
    desktop: Desktop,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    """Its row changed in place (its place in the sort the same): no selection change, so the chips of its old
    content stayed up."""
    docs = tmp_path / "docs"
    view = _tagged(desktop, qtbot, docs, ["merge0.md", "zz.md"])
    note = docs / "merge0.md"
    view.select(str(note))
    qtbot.waitUntil(lambda: "pandas" in view.chips.tags(), timeout=5_000)
    before = view.chips.tags()
    view.watcher.unwatch(str(docs))
    note.write_text(DOCKER, encoding="utf-8")
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.index_paths([str(note)])
    suggested = _rows(view)["merge0.md"][0].split(", ")  # the table shows its new top suggestions
    assert view.selected_paths() == [str(note)] and "pandas" not in suggested
    assert view.chips.tags()[: len(suggested)] == suggested and view.chips.tags() != before
