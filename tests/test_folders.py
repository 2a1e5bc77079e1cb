"""Files as documents, and the folder organizer's index, on a real temporary folder with the tiny ranker."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tagrec_core.documents import is_document, read_document
from tagrec_core.errors import Cancelled, InputError, ModelFileError
from tagrec_core.folders import FolderIndex, changed, index_files, stale_files
from tagrec_core.profile import Profile
from tagrec_core.profile.feedback import parse_feedback
from tagrec_core.service import Service


@pytest.mark.parametrize(
    ("name", "expected"),
    [("notes.md", True), (".hidden", False), ("~$report.docx", False), (".~lock.a.odt#", False),
     ("draft.txt.swp", False), ("movie.mkv.part", False), ("setup.crdownload", False), ("#scratch#", False),
     ("backup~", False), ("tax_2025.pdf", True)],
)  # fmt: skip
def test_temporary_and_partial_files_are_not_documents(name: str, expected: bool) -> None:
    assert is_document(Path("/x") / name) is expected


def test_documents_are_read_by_kind(tmp_path: Path) -> None:
    (tmp_path / "pandas_merge-notes.md").write_text("# Merge\npandas dataframe merge on a column", encoding="utf-8")
    (tmp_path / "page.html").write_text("<html><body><p>docker <b>volume</b></p></body></html>", encoding="utf-8")
    xml = (
        "<w:document><w:p><w:r><w:t>tax return</w:t></w:r></w:p>"
        '<w:p><w:r><w:t xml:space="preserve">2025 receipts</w:t></w:r></w:p></w:document>'
    )
    with zipfile.ZipFile(tmp_path / "letter.docx", "w") as docx:
        docx.writestr("word/document.xml", xml)
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(100))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    md = read_document(tmp_path / "pandas_merge-notes.md")
    assert (md.title, md.kind) == ("pandas merge notes", "text") and "dataframe" in md.body
    html = read_document(tmp_path / "page.html")
    assert html.kind == "html" and "docker" in html.body and "<b>" not in html.body
    docx = read_document(tmp_path / "letter.docx")
    assert docx.kind == "docx" and docx.body == "tax return\n2025 receipts"
    assert read_document(tmp_path / "photo.jpg").kind == "name"
    broken = read_document(tmp_path / "broken.pdf")
    assert broken.kind == "name" and broken.problem and broken.title == "broken"
    assert read_document(tmp_path / "binary.txt").problem


@pytest.fixture
def setup(tmp_path: Path, tiny_ranker_path: Path) -> Any:
    profile = Profile.open(tmp_path / "profile.sqlite")
    service = Service(profile, {"tiny": tiny_ranker_path})
    assert service.wait(timeout=60)
    index = FolderIndex(tmp_path / "folders.sqlite")
    yield index, service, tmp_path / "docs"
    index.close()
    service.close()
    profile.close()


def _files(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"note{i:03d}.md").write_text(f"pandas dataframe merge groupby {i}", encoding="utf-8")


def test_a_folder_is_indexed_with_suggestions_and_rescans_only_what_changed(setup: Any) -> None:
    index, service, docs = setup
    _files(docs, 40)
    (docs / ".git").mkdir()
    (docs / ".git" / "config").write_text("ignored")
    folder = index.add_folder(docs)
    todo, gone = stale_files(index, folder)
    assert len(todo) == 40 and gone == []
    seen: list[tuple[int, int]] = []
    assert index_files(index, service, folder, todo, progress=lambda d, t: seen.append((d, t))) == 40
    assert seen[-1] == (40, 40) and len(seen) == 2  # batches of 32
    entry = index.entry(str(docs / "note000.md"))
    assert entry is not None and entry.suggested[0]["tag"] in {"pandas", "python"}
    assert len([f for f in index.summaries() if "note00" in f.path]) == 10
    # A list shows only the suggestions scored high enough, best first.
    scores = [s["score"] for s in entry.suggested]
    cut = (scores[0] + scores[-1]) / 2
    (shown,) = [f.top for f in index.summaries(top=10, min_score=cut) if f.path == entry.path]
    assert list(shown) == [s["tag"] for s in entry.suggested if s["score"] >= cut][:10] and shown
    assert len(shown) < len(entry.suggested)
    assert stale_files(index, folder) == ([], [])
    (docs / "note001.md").write_text("docker container volume", encoding="utf-8")
    os.utime(docs / "note001.md", (1, 1))
    (docs / "note002.md").unlink()
    todo, gone = stale_files(index, folder)
    assert todo == [docs / "note001.md"] and gone == [str(docs / "note002.md")]


def test_indexing_stops_between_batches_when_cancelled(setup: Any) -> None:
    index, service, docs = setup
    _files(docs, 70)
    folder = index.add_folder(docs)
    cancel = threading.Event()
    todo, _ = stale_files(index, folder)
    with pytest.raises(Cancelled, match="after 32 of 70"):
        index_files(index, service, folder, todo, progress=lambda d, t: cancel.set(), cancel=cancel)
    assert len(index.summaries()) == 32  # what was stored stays


def test_adding_something_that_is_not_a_folder_is_refused(setup: Any, tmp_path: Path) -> None:
    index, _, _ = setup
    with pytest.raises(InputError, match="not a folder"):
        index.add_folder(tmp_path / "missing")


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_of_the_folder_is_indexed(setup: Any) -> None:
    """Linux allows any bytes in a name; Python shows the bad ones as lone surrogates, which neither the model
    nor SQLite takes. That one file is reported; the folder's other files are indexed."""
    index, service, docs = setup
    _files(docs, 3)
    os.close(os.open(os.path.join(os.fsencode(docs), b"caf\xe9.txt"), os.O_CREAT | os.O_WRONLY, 0o644))
    folder = index.add_folder(docs)
    todo, _ = stale_files(index, folder)
    assert len(todo) == 4
    assert index_files(index, service, folder, todo) == 3  # raised InputError (a lone surrogate), storing none
    assert sorted(Path(s.path).name for s in index.summaries()) == ["note000.md", "note001.md", "note002.md"]
    skipped: list[tuple[Path, str]] = []
    (again,), _ = stale_files(index, folder)  # the next scan meets it again, and says why it is left out
    assert index_files(index, service, folder, [again], skipped=lambda p, why: skipped.append((p, why))) == 0
    ((path, why),) = skipped
    assert os.fsencode(path).endswith(b"caf\xe9.txt") and "UTF-8" in why


def _fifo_with_files(docs: Path) -> Path:
    _files(docs, 2)
    fifo = docs / "notes.txt"
    os.mkfifo(fifo)
    return fifo


def _release(fifo: Path) -> None:
    """Open the pipe for writing and close it: a reader blocked on it (the bug) gets end-of-file and returns."""
    with contextlib.suppress(OSError):  # ENXIO: nobody is reading it, nothing to release
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.timeout(120)
def test_a_named_pipe_is_never_opened_and_is_skipped_with_a_reason(setup: Any) -> None:
    index, service, docs = setup
    fifo = _fifo_with_files(docs)
    folder = index.add_folder(docs)
    todo, _ = stale_files(index, folder)
    assert fifo in todo
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(index_files(index, service, folder, todo)), daemon=True)
    worker.start()  # daemon: a worker hung on the pipe (the bug) must not keep pytest alive
    worker.join(timeout=30)
    hung = worker.is_alive()
    _release(fifo)
    worker.join(timeout=30)  # released: a hung worker finishes before the fixture closes the index
    assert not hung, "indexing blocked on the named pipe"
    assert outcome == [2]
    assert sorted(Path(s.path).name for s in index.summaries()) == ["note000.md", "note001.md"]
    skipped: list[tuple[Path, str]] = []
    assert index_files(index, service, folder, [fifo], skipped=lambda p, why: skipped.append((p, why))) == 0
    assert skipped == [(fifo, "not a regular file (a named pipe)")]


@pytest.mark.timeout(120)
def test_reading_a_named_pipe_as_a_document_returns_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "notes.txt"
    os.mkfifo(fifo)
    found: list[Any] = []
    worker = threading.Thread(target=lambda: found.append(read_document(fifo)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    hung = worker.is_alive()
    _release(fifo)
    assert not hung, "read_document blocked on the named pipe"
    (doc,) = found
    assert doc.kind == "name" and doc.body == "" and "named pipe" in doc.problem


def test_a_missing_folder_is_not_scanned_and_its_files_stay_indexed(setup: Any) -> None:
    """An unplugged drive looks like a deleted folder: a scan must not take its files for gone."""
    index, service, docs = setup
    _files(docs, 3)
    folder = index.add_folder(docs)
    index_files(index, service, folder, stale_files(index, folder)[0])
    shutil.rmtree(docs)
    with pytest.raises(InputError, match="missing"):
        stale_files(index, folder)
    assert len(index.summaries()) == 3 and index.folders() == [folder]


def test_an_empty_folder_where_files_were_is_an_unmounted_drive_not_a_deletion(setup: Any) -> None:
    """A drive unmounted under /mnt/x leaves its empty mount point behind: a scan then found every file gone and
    forgot their suggestions. An empty folder whose files are indexed is missing; a new empty folder is not."""
    from tagrec_core.folders import is_there

    index, service, docs = setup
    _files(docs, 3)
    folder = index.add_folder(docs)
    index_files(index, service, folder, stale_files(index, folder)[0])
    for path in list(docs.iterdir()):
        path.unlink()  # the mount point, emptied
    assert not is_there(index, folder)
    with pytest.raises(InputError, match="missing"):
        stale_files(index, folder)
    assert len(index.summaries()) == 3
    (docs / "back.md").write_text("pandas merge", encoding="utf-8")  # mounted again (or a file added)
    assert is_there(index, folder) and len(stale_files(index, folder)[1]) == 3
    empty = docs.parent / "empty"
    empty.mkdir()
    assert is_there(index, index.add_folder(empty))  # nothing indexed there yet: an empty folder is a folder


def test_removing_a_folder_forgets_its_files_and_restoring_brings_them_back(setup: Any) -> None:
    index, service, docs = setup
    _files(docs, 3)
    folder = index.add_folder(docs)
    index_files(index, service, folder, stale_files(index, folder)[0])
    before = index.summaries()
    removed = index.remove_folder(folder)
    assert index.folders() == [] and index.summaries() == []
    assert sorted(p.name for p in docs.iterdir()) == ["note000.md", "note001.md", "note002.md"]  # files untouched
    # A job that was indexing the folder when it was removed stores nothing for it.
    path = docs / "note000.md"
    assert not index.store(folder, path, path.stat(), "late", "text", "", [])
    assert index.summaries() == []
    index.restore_folder(removed)
    assert index.folders() == [folder] and index.summaries() == before


@pytest.fixture
def loading(tmp_path: Path, tiny_ranker_path: Path) -> Any:
    """Like ``setup``, but the service's model has not started loading: as at the app's start, where the
    folders are rescanned while the models load in the background."""
    profile = Profile.open(tmp_path / "profile.sqlite")
    service = Service(profile, {"tiny": tiny_ranker_path})
    index = FolderIndex(tmp_path / "folders.sqlite")
    yield index, service, tmp_path / "docs"
    index.close()
    service.close()
    profile.close()


def test_indexing_waits_for_a_model_that_is_still_loading(loading: Any) -> None:
    """The first request finds the model loading (``ModelLoading``, which ended the job): indexing waits."""
    index, service, docs = loading
    _files(docs, 3)
    folder = index.add_folder(docs)
    todo, _ = stale_files(index, folder)
    calls: list[object] = []
    stored = index_files(index, service, folder, todo, progress=lambda d, t: calls.append((d, t)),
                         waiting=lambda: calls.append("waiting"))  # fmt: skip
    assert stored == 3 and service.status()["tiny"]["state"] == "ready"
    assert calls == ["waiting", (0, 3), (3, 3)]  # said while waiting, then the numbers
    assert len(index.summaries()) == 3 and all(s.top for s in index.summaries())


def test_waiting_for_the_model_stops_when_cancelled(loading: Any) -> None:
    index, service, docs = loading
    _files(docs, 3)
    folder = index.add_folder(docs)
    todo, _ = stale_files(index, folder)
    cancel = threading.Event()
    with pytest.raises(Cancelled, match="after 0 of 3"):  # the user clicks Cancel while it says "waiting"
        index_files(index, service, folder, todo, cancel=cancel, waiting=cancel.set)
    assert index.summaries() == []


def test_a_model_that_cannot_load_stops_indexing_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tagrec"
    broken.write_bytes(b"not a model")
    profile = Profile.open(tmp_path / "profile.sqlite")
    service = Service(profile, {"so": broken})
    index = FolderIndex(tmp_path / "folders.sqlite")
    try:
        _files(tmp_path / "docs", 40)
        folder = index.add_folder(tmp_path / "docs")
        skipped: list[tuple[Path, str]] = []
        with pytest.raises(ModelFileError, match=r"broken\.tagrec"):  # once, not once a file
            index_files(index, service, folder, stale_files(index, folder)[0],
                        skipped=lambda p, why: skipped.append((p, why)))  # fmt: skip
        assert skipped == [] and index.summaries() == []
    finally:
        index.close()
        service.close()
        profile.close()


def test_changed_keeps_only_files_the_index_does_not_hold_as_they_are(setup: Any) -> None:
    """Metadata alone (an extended attribute, permissions) leaves size and time as indexed: not worth a re-read."""
    index, service, docs = setup
    _files(docs, 3)
    folder = index.add_folder(docs)
    index_files(index, service, folder, stale_files(index, folder)[0])
    a, b, c = sorted(docs.iterdir())
    os.chmod(a, 0o600)
    with contextlib.suppress(OSError):  # a file system without user attributes: the chmod stands for it
        os.setxattr(a, "user.xdg.tags", b"pandas")
    b.write_text("docker container volume, longer than before", encoding="utf-8")
    new = docs / "new.md"
    new.write_text("java spring", encoding="utf-8")
    assert changed(index, [a, b, c, new, docs / "gone.md"]) == [b, new]


def test_saved_copies_are_restored_byte_for_byte_and_a_sidecar_folder_tagrec_made_goes(tmp_path: Path) -> None:
    from tagrec_core.file_tags import XATTR, restore_copies, save_copies, sidecar_path, sync

    a, b = tmp_path / "a.md", tmp_path / "b.md"
    for note in (a, b):
        note.write_text("pandas", encoding="utf-8")
    try:
        os.setxattr(a, XATTR, b"holiday, pandas")  # another tool's spelling: a space after the comma
        xattr = True
    except OSError:  # a file system without user attributes: the sidecars alone
        xattr = False
    saved = [save_copies(note, xattr=xattr, sidecar=True) for note in (a, b)]
    for note in (a, b):
        sync(note, ["python"], ["pandas"], xattr=xattr, sidecar=True)
    assert sidecar_path(a).exists() and sidecar_path(b).exists()
    for copies in saved:
        restore_copies(copies)
    assert not (tmp_path / ".ts").exists()  # there was none: the folder tagrec made is gone with its sidecars
    if xattr:
        assert os.getxattr(a, XATTR) == b"holiday, pandas"
        with pytest.raises(OSError):  # ENODATA: unset, as before
            os.getxattr(b, XATTR)


def test_moving_index_rows_follows_whole_path_components(tmp_path: Path) -> None:
    """A folder moved takes every file below it, never a sibling whose name merely starts the same
    (``/a/b`` vs ``/a/bc``); a move onto an indexed file replaces it; a move out of the organizer forgets."""
    index = FolderIndex(tmp_path / "folders.sqlite")
    try:
        top = tmp_path / "a"
        names = ["b/x.md", "b/sub/z.md", "bc/y.md", "bc.md", "w.md"]
        for name in names:
            (top / name).parent.mkdir(parents=True, exist_ok=True)
            (top / name).write_text(name, encoding="utf-8")
        folder = index.add_folder(top)
        for name in names:
            index.store(folder, top / name, (top / name).stat(), name, "text", "", [{"tag": name, "score": 1.0}])

        def indexed() -> dict[str, str]:
            return {Path(s.path).relative_to(top).as_posix(): s.title for s in index.summaries()}

        moved = index.move([(str(top / "b"), str(top / "c"))])
        assert moved == [(str(top / "b/sub/z.md"), str(top / "c/sub/z.md")), (str(top / "b/x.md"), str(top / "c/x.md"))]
        assert indexed() == {"c/x.md": "b/x.md", "c/sub/z.md": "b/sub/z.md", "bc/y.md": "bc/y.md", "bc.md": "bc.md",
                             "w.md": "w.md"}  # fmt: skip
        assert index.entry(str(top / "c/x.md")).suggested == [{"tag": "b/x.md", "score": 1.0}]  # kept, not redone
        # onto an indexed file: it is replaced; out of every folder: forgotten, and not among the moved
        assert index.move([(str(top / "w.md"), str(top / "bc.md")), (str(top / "c"), str(tmp_path / "out"))]) == [
            (str(top / "w.md"), str(top / "bc.md"))
        ]
        assert indexed() == {"bc.md": "w.md", "bc/y.md": "bc/y.md"}
        assert index.move([(str(top / "b"), str(top / "d"))]) == []  # nothing there any more
        assert not index.forget(str(top / "b")) and index.forget(str(top / "bc")) and indexed() == {"bc.md": "w.md"}
    finally:
        index.close()


def test_a_file_moved_between_two_organized_folders_is_known_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two organized folders a move is a deletion in one and a new file in the other: the file was
    indexed as new and its row (and the tags the profile keeps under its path) stayed behind. It is known by its
    device, inode, size and time now, whichever side comes first; never a file that merely reuses an inode."""
    from tagrec_core import folders

    index = FolderIndex(tmp_path / "folders.sqlite")
    try:
        a, b = tmp_path / "a", tmp_path / "b"
        names = ["first.md", "later.md", "linked.md", "touched.md", "old.md", "stays.md"]
        _files(a, 0)
        _files(b, 0)
        for name in names:
            (a / name).write_text(f"pandas {name}", encoding="utf-8")
        one, two = index.add_folder(a), index.add_folder(b)
        for name in names:
            index.store(one, a / name, (a / name).stat(), name, "text", "", [{"tag": name, "score": 0.5}])
        index._conn.execute("UPDATE files SET device = NULL, inode = NULL")  # indexed before the index kept them
        index._conn.execute("UPDATE files SET digest = NULL WHERE path = ?", (str(a / "later.md"),))  # and digests
        assert stale_files(index, one) == ([], [])  # a scan records them, without reading the files again

        def arrive(name: str) -> list[tuple[str, str]]:
            return index.arrive([b / name])

        (a / "first.md").rename(b / "first.md")  # the deletion is seen first: the row has been forgotten
        assert index.forget(str(a / "first.md"))
        assert arrive("first.md") == [(str(a / "first.md"), str(b / "first.md"))]
        entry = index.entry(str(b / "first.md"))
        assert entry is not None and entry.folder == two and entry.suggested == [{"tag": "first.md", "score": 0.5}]
        assert arrive("first.md") == []  # held now: a change at most, not an arrival

        (a / "later.md").rename(b / "later.md")  # the new file is seen first: the row is still under the old path
        assert arrive("later.md") == [(str(a / "later.md"), str(b / "later.md"))]
        assert not index.forget(str(a / "later.md"))

        os.link(a / "linked.md", b / "linked.md")  # a second name: the first still holds the inode
        assert arrive("linked.md") == [] and index.entry(str(a / "linked.md")) is not None

        (a / "touched.md").rename(b / "touched.md")
        os.utime(b / "touched.md", (1_000_000_000, 1_000_000_000))  # another time: as an inode reused by a new file
        assert arrive("touched.md") == []

        (a / "stays.md").rename(tmp_path / "stays.md")  # out of the organizer: not an arrival
        assert index.arrive([tmp_path / "stays.md"]) == []

        (a / "old.md").rename(b / "old.md")
        assert index.forget(str(a / "old.md"))
        monkeypatch.setattr(folders, "DEPARTED_SECONDS", -1.0)  # forgotten too long ago
        assert arrive("old.md") == []
        assert {Path(s.path).name: s.folder for s in index.summaries()} == {
            "first.md": two, "later.md": two, "linked.md": one, "touched.md": one, "stays.md": one
        }  # fmt: skip
    finally:
        index.close()


def _tag(index: FolderIndex, profile: Profile, folder: str, path: Path, tags: list[str]) -> None:
    """Index ``path`` as ``index_files`` would, and give it the user's ``tags`` in the profile."""
    index.store(folder, path, path.stat(), path.stem, "text", "", [{"tag": tags[0], "score": 0.9}])
    profile.record(parse_feedback({"site": "files", "item": str(path), "accepted": tags}))


def _carry(index: FolderIndex, profile: Profile, paths: list[Path]) -> list[tuple[str, str]]:
    """What the desktop's indexing job does with files a scan found: ``arrive``, and the tags follow."""
    arrived = index.arrive(paths)
    profile.move_items("files", dict(arrived))
    return arrived


def test_a_hard_link_is_not_taken_for_its_original_moved_once_an_editor_replaced_the_original(
    tmp_path: Path,
) -> None:
    """Review r2. While tagrec was not running, the note was hard-linked into the archive, then saved by an editor
    that writes a new file and renames it over the note (a new inode). The archive's scan came first and took
    the link for the note moved, as the note's path no longer held the inode: the note's tags went to the link,
    and the note the user kept editing was indexed as new, without them. A path that is still there is never
    a move's source."""
    notes, archive = tmp_path / "notes", tmp_path / "archive"
    notes.mkdir(), archive.mkdir()
    index, profile = FolderIndex(tmp_path / "folders.sqlite"), Profile.open(tmp_path / "profile.sqlite")
    try:
        one, two = index.add_folder(notes), index.add_folder(archive)
        note = notes / "plan.md"
        note.write_text("tax plan for 2025\n", encoding="utf-8")
        _tag(index, profile, one, note, ["taxes", "2025"])
        os.link(note, archive / "plan.md")
        (notes / ".plan.md.swp").write_text("tax plan for 2025, revised\n", encoding="utf-8")
        os.replace(notes / ".plan.md.swp", note)

        todo, gone = stale_files(index, two)
        assert (todo, gone) == ([archive / "plan.md"], [])
        assert _carry(index, profile, todo) == []
        assert index.entry(str(note)) is not None and index.entry(str(archive / "plan.md")) is None
        assert profile.item_tags("local", "files", [str(note)]) == {str(note): ["taxes", "2025"]}
        assert profile.item_tags("local", "files", [str(archive / "plan.md")]).get(str(archive / "plan.md"), []) == []
    finally:
        index.close()
        profile.close()


@pytest.mark.parametrize(
    ("name", "content"),
    [("recipe.txt", "B" * 100), ("diagnosis.txt", "B" * 100), ("recipe.txt", "A" * 100)],
    ids=["another-name-and-content", "same-name-another-content", "another-name-same-content"],
)
def test_a_file_that_reuses_a_departed_files_inode_size_and_time_does_not_get_its_tags(
    tmp_path: Path, name: str, content: str
) -> None:
    """Review r3. A file deleted (its row departed) and, within the hour, an unrelated file in another organized
    folder with the same size and time (``cp -p``, ``rsync -a``, ``tar`` and ``unzip`` keep times) that got the
    same inode number (ext4 reuses one at once): it inherited the deleted file's tags. The name and the content
    digest must be the departed file's too; either one differing is enough to tell them apart."""
    private, shared = tmp_path / "private", tmp_path / "shared"
    private.mkdir(), shared.mkdir()
    index, profile = FolderIndex(tmp_path / "folders.sqlite"), Profile.open(tmp_path / "profile.sqlite")
    try:
        one, _ = index.add_folder(private), index.add_folder(shared)
        old = private / "diagnosis.txt"
        old.write_text("A" * 100, encoding="utf-8")
        os.utime(old, (1_700_000_000, 1_700_000_000))
        _tag(index, profile, one, old, ["medical", "private"])
        inode = old.stat().st_ino
        old.unlink()
        assert index.forget(str(old))  # the watcher saw it deleted
        new = shared / name
        for _ in range(50):
            new.write_text(content, encoding="utf-8")
            os.utime(new, (1_700_000_000, 1_700_000_000))
            if new.stat().st_ino == inode:
                break
            new.unlink()
        else:
            pytest.skip("this file system did not reuse the inode")
        assert _carry(index, profile, [new]) == []
        assert profile.item_tags("local", "files", [str(new)]).get(str(new), []) == []
        assert profile.item_tags("local", "files", [str(old)]) == {str(old): ["medical", "private"]}
    finally:
        index.close()
        profile.close()
