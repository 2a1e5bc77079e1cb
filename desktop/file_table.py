"""The folder organizer's table as a Qt model: rows are built only when they scroll into view, so a folder of
50,000 files costs one query and one Python tuple per file, not three widgets per cell.

The model holds every indexed file (``load``); the search filters and the header sorts in Python over that
list (fast: no call back into ``data`` per row), and the view asks ``data`` only for visible cells. ``update``
changes a few rows in place (an indexing job's files), so that a job of one file costs one row, not 50,000.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.core_texts import file_problem_text
from tagrec_core.folders import FileSummary

Index = QModelIndex | QPersistentModelIndex
# ``update`` with more changed files than this re-shows the whole list at once: one reset (a sort of the list in
# Python, ~50 ms at 50,000 files) is cheaper then than one insertion into a long list and one signal per row.
RESHOW_ABOVE = 500


@dataclass(frozen=True, slots=True)
class FileRow:
    """One file as the table shows it: its name under the folder, the top suggestions, the user's tags."""

    path: str
    name: str
    title: str
    suggested: str
    mine: tuple[str, ...]
    tooltip: str

    def matches(self, needle: str) -> bool:
        """Whether ``needle`` (lower-case) is in the path, the title, a suggested tag or one of the user's tags."""
        texts = (self.path, self.title, self.suggested, *self.mine)
        return any(needle in text.lower() for text in texts)


def file_row(summary: FileSummary, mine: list[str]) -> FileRow:
    """The row of ``summary``; ``mine`` are the tags the user gave the file."""
    return FileRow(
        path=summary.path,
        name=_relative(summary),
        title=summary.title,
        suggested=", ".join(summary.top),
        mine=tuple(mine),
        tooltip=file_problem_text(summary.problem) if summary.problem else summary.path,
    )


class FileTableModel(QAbstractTableModel):
    """Files, suggested tags and the user's tags; ``Qt.UserRole`` of any cell is the file's path."""

    def __init__(self, headers: list[str]) -> None:
        super().__init__()
        self._headers = headers
        self._all: list[FileRow] = []
        self._by_path: dict[str, FileRow] = {}
        self._rows: list[FileRow] = []
        self._needle = ""
        self._sort: tuple[int, bool] = (0, False)

    # --- what the view asks ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, row.suggested, ", ".join(row.mine))[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return row.path
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return row.tooltip
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order == Qt.SortOrder.DescendingOrder)
        self._show()

    # --- what the organizer tells it ---------------------------------------------------------------------

    def load(self, rows: list[FileRow]) -> None:
        """Show these files (all indexed files; the current search and sort apply)."""
        self._all = rows
        self._by_path = {row.path: row for row in rows}
        self._show()

    def search(self, text: str) -> None:
        """Show only files whose path, suggestions or tags contain ``text`` (case-insensitive)."""
        self._needle = text.strip().lower()
        self._show()

    def update(self, rows: Iterable[FileRow], gone: Iterable[str] = ()) -> None:
        """Files indexed anew (``rows``: added, or replacing the row of the same path) and files no longer indexed
        (``gone``: paths, exact), shown where the search and the sort put them, as ``load`` of the full list
        would, without a reload. A row the model already holds keeps the user's tags it shows: ``set_tags`` and
        ``load`` keep those current, and ``rows`` may have read them before a later change."""
        fresh = {
            row.path: replace(row, mine=self._by_path[row.path].mine) if row.path in self._by_path else row
            for row in rows
        }
        dropped = {path for path in gone if path in self._by_path and path not in fresh}
        old = {path: self._by_path[path] for path in (*fresh, *dropped) if path in self._by_path}
        if not fresh and not dropped:
            return
        for path in dropped:
            del self._by_path[path]
        self._by_path.update(fresh)
        self._all = list(self._by_path.values())
        if len(fresh) + len(dropped) > RESHOW_ABOVE:
            self._show()
            return
        for path in (*fresh, *dropped):
            before, after = old.get(path), fresh.get(path)
            at = self._find(before) if before is not None and self._visible(before) else None
            shown = after is not None and self._visible(after)
            if at is not None and shown and self._order(before) == self._order(after):
                self._rows[at] = after  # same place: the cells change, nothing moves
                self.dataChanged.emit(self.index(at, 0), self.index(at, len(self._headers) - 1))
                continue
            if at is not None:
                self.beginRemoveRows(QModelIndex(), at, at)
                del self._rows[at]
                self.endRemoveRows()
            if shown:
                place = self._place(self._order(after))
                self.beginInsertRows(QModelIndex(), place, place)
                self._rows.insert(place, after)
                self.endInsertRows()

    def set_tags(self, tags: dict[str, list[str]]) -> None:
        """The user's tags of these files changed: update their rows in place (no reload, no re-sort)."""
        changed = {path: tuple(value) for path, value in tags.items() if path in self._by_path}
        for path, value in changed.items():
            self._by_path[path] = replace(self._by_path[path], mine=value)
        self._all = [self._by_path[r.path] for r in self._all]
        for i, row in enumerate(self._rows):
            if row.path in changed:
                self._rows[i] = self._by_path[row.path]
                self.dataChanged.emit(self.index(i, 2), self.index(i, 2))

    def tags(self, path: str) -> tuple[str, ...]:
        """The user's tags of ``path`` as shown (none for a file the table does not hold)."""
        row = self._by_path.get(path)
        return row.mine if row is not None else ()

    def tagged(self) -> dict[str, tuple[str, ...]]:
        """Every file (shown or filtered out) that has tags of the user's, with them."""
        return {row.path: row.mine for row in self._all if row.mine}

    def path(self, row: int) -> str:
        return self._rows[row].path

    def row_of(self, path: str) -> int | None:
        """The row showing ``path``, or ``None`` when it is filtered out or unknown."""
        row = self._by_path.get(path)
        return self._find(row) if row is not None else None

    def _visible(self, row: FileRow) -> bool:
        """Whether the search lets ``row`` be shown."""
        return not self._needle or row.matches(self._needle)

    def _order(self, row: FileRow) -> tuple[str, str]:
        """Where ``row`` goes in the sort: the sorted column's text, then the path (unique: no ties)."""
        column = self._sort[0]
        text = (row.name, row.suggested, ", ".join(row.mine))[column]
        return text.lower(), row.path

    def _place(self, order: tuple[str, str]) -> int:
        """The first shown row that sorts at or after ``order`` (binary search over the sorted rows)."""
        descending = self._sort[1]
        low, high = 0, len(self._rows)
        while low < high:
            middle = (low + high) // 2
            other = self._order(self._rows[middle])
            if (other > order) if descending else (other < order):
                low = middle + 1
            else:
                high = middle
        return low

    def _find(self, row: FileRow) -> int | None:
        """The index of the shown row of ``row``'s path, or ``None``. By binary search; by a scan when the rows
        are out of order (``set_tags`` does not re-sort a table sorted by the user's tags)."""
        at = self._place(self._order(row))
        if at < len(self._rows) and self._rows[at].path == row.path:
            return at
        return next((i for i, shown in enumerate(self._rows) if shown.path == row.path), None)

    def _show(self) -> None:
        descending = self._sort[1]
        rows = [r for r in self._all if self._visible(r)]
        rows.sort(key=self._order, reverse=descending)
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()


def _relative(summary: FileSummary) -> str:
    """The path from the folder's parent on (``notes/a.md``); string work, as ``Path`` is slow at 50,000 rows."""
    parent = os.path.dirname(summary.folder.rstrip(os.sep))
    prefix = parent if parent.endswith(os.sep) else parent + os.sep
    return summary.path[len(prefix) :] if summary.path.startswith(prefix) else summary.path
