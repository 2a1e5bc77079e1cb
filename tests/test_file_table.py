"""The folder organizer's table model over a real folder index: summaries, search, sort and in-place updates."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt

from desktop.file_table import FileRow, FileTableModel, file_row
from tagrec_core.folders import FolderIndex


def _suggested(*tags: str) -> list[dict[str, Any]]:
    return [{"tag": t, "score": 0.5, "source": "model", "why": ""} for t in tags]


@pytest.fixture
def index(tmp_path: Path) -> Any:
    index = FolderIndex(tmp_path / "folders.sqlite")
    folder = index.add_folder(tmp_path)
    stat = os.stat(tmp_path)
    index.store(folder, tmp_path / "b" / "merge.md", stat, "Merging frames", "text", "", _suggested("pandas", "python",
                "dataframe", "merge", "join"))  # fmt: skip
    index.store(folder, tmp_path / "a.txt", stat, "Lists", "text", "", _suggested("python"))
    index.store(folder, tmp_path / "photo.jpg", stat, "photo", "name", "not text", [])
    index.store(folder, tmp_path / "话题.md", stat, "微博话题", "text", "", _suggested("微博", "话题"))
    yield index
    index.close()


def _shown(model: FileTableModel, column: int = 0) -> list[str]:
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def test_summaries_carry_the_top_suggested_tags_in_order(index: FolderIndex, tmp_path: Path) -> None:
    summaries = {Path(s.path).name: s for s in index.summaries(top=3)}
    assert summaries["merge.md"].top == ("pandas", "python", "dataframe")
    assert summaries["photo.jpg"].top == () and summaries["photo.jpg"].problem == "not text"
    assert summaries["话题.md"].top == ("微博", "话题")
    assert [s.path for s in index.summaries()] == sorted(s.path for s in index.summaries())


def test_rows_search_sort_and_update_in_place(index: FolderIndex, tmp_path: Path) -> None:
    model = FileTableModel(["File", "Suggested", "Your tags"])
    mine = {str(tmp_path / "a.txt"): ["homework"]}
    model.load([file_row(s, mine.get(s.path, [])) for s in index.summaries()])
    folder = tmp_path.name
    assert _shown(model) == [f"{folder}/a.txt", f"{folder}/b/merge.md", f"{folder}/photo.jpg", f"{folder}/话题.md"]
    assert model.data(model.index(1, 1)) == "pandas, python, dataframe"
    assert model.data(model.index(0, 2)) == "homework"
    assert model.data(model.index(2, 0), Qt.ItemDataRole.ToolTipRole) == "only its name was read: not text"
    assert model.data(model.index(1, 2), Qt.ItemDataRole.UserRole) == str(tmp_path / "b" / "merge.md")

    model.search("HOMEWORK")  # the user's own tags, case-insensitive
    assert _shown(model) == [f"{folder}/a.txt"]
    model.search("merging")  # the title
    assert _shown(model) == [f"{folder}/b/merge.md"]
    model.search("话题")
    assert _shown(model) == [f"{folder}/话题.md"]
    model.search("")

    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert _shown(model)[0] == f"{folder}/话题.md"
    model.sort(1, Qt.SortOrder.AscendingOrder)  # by suggestions: the file with none first
    assert _shown(model, 1) == ["", "pandas, python, dataframe", "python", "微博, 话题"]

    model.set_tags({str(tmp_path / "photo.jpg"): ["cat", "holiday"], str(tmp_path / "a.txt"): []})
    assert model.data(model.index(model.row_of(str(tmp_path / "photo.jpg")), 2)) == "cat, holiday"
    assert model.data(model.index(model.row_of(str(tmp_path / "a.txt")), 2)) == ""
    model.search("holiday")  # the update reached the full list too, not only the rows shown
    assert _shown(model) == [f"{folder}/photo.jpg"]
    assert model.row_of(str(tmp_path / "a.txt")) is None


def _row(path: str, suggested: str = "", mine: tuple[str, ...] = ()) -> FileRow:
    return FileRow(path=path, name=path.lstrip("/"), title="", suggested=suggested, mine=mine, tooltip=path)


def _state(model: FileTableModel) -> list[FileRow]:
    return [model._rows[r] for r in range(model.rowCount())]


@pytest.mark.parametrize("needle", ["", "b"])
@pytest.mark.parametrize(("column", "order"), [(0, Qt.SortOrder.AscendingOrder), (1, Qt.SortOrder.DescendingOrder)])
@pytest.mark.parametrize("many", [False, True])
def test_an_update_shows_the_same_rows_as_a_full_reload(
    needle: str, column: int, order: Qt.SortOrder, many: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows added, replaced (in place, or moving under the sort) and gone, a few at a time (row by row) or many
    (one reset): the table then shows what ``load`` of the whole new list shows, signals and all."""
    start = [_row(f"/n/{i:03d}.md", suggested=f"s{i % 7}", mine=("b",) if i % 3 == 0 else ()) for i in range(60)]
    changes = [_row(f"/n/{i:03d}.md", suggested=f"s{(i * 5) % 9}") for i in range(0, 60, 4)]  # replaced
    changes += [_row(f"/n/{i:03d}b.md", suggested="s3") for i in range(0, 60, 10)]  # new
    gone = [f"/n/{i:03d}.md" for i in range(1, 60, 6)] + ["/n/never.md"]
    model, reference = FileTableModel(["f", "s", "t"]), FileTableModel(["f", "s", "t"])
    for m in (model, reference):
        m.search(needle)
        m.sort(column, order)
    model.load(start)
    shown_rows: list[int] = []  # the view's idea of the row count, kept by the signals
    model.modelReset.connect(lambda: shown_rows.append(model.rowCount()))
    model.rowsInserted.connect(lambda *_: shown_rows.append((shown_rows or [len(_state(model)) - 1])[-1] + 1))
    model.rowsRemoved.connect(lambda *_: shown_rows.append((shown_rows or [len(_state(model)) + 1])[-1] - 1))

    monkeypatch.setattr("desktop.file_table.RESHOW_ABOVE", 1 if many else 1000)
    model.update(changes, gone)

    kept = {row.path: row for row in start if row.path not in gone}
    kept.update({row.path: replace(row, mine=kept[row.path].mine) if row.path in kept else row for row in changes})
    reference.load(list(kept.values()))
    assert _state(model) == _state(reference)
    assert not shown_rows or shown_rows[-1] == model.rowCount()
    for row in changes:  # the user's tags shown stay (``set_tags`` keeps them; the job may have read older ones)
        if row.path in {r.path for r in start}:
            assert model.tags(row.path) == next(r.mine for r in start if r.path == row.path)
    assert all(model.row_of(r.path) == i for i, r in enumerate(_state(model)))
