"""Files as documents, and the folder organizer's index, on a real temporary folder with the tiny ranker."""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tagrec_core.documents import is_document, read_document
from tagrec_core.errors import Cancelled, InputError
from tagrec_core.folders import FolderIndex, index_files, stale_files
from tagrec_core.profile import Profile
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
