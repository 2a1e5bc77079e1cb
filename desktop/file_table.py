"""The folder organizer's table as a Qt model: rows are built only when they scroll into view, so a folder of
50,000 files costs one query and one Python tuple per file, not three widgets per cell.

The model holds every indexed file (``load``); the search filters and the header sorts in Python over that
list (fast: no call back into ``data`` per row), and the view asks ``data`` only for visible cells.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.core_texts import file_problem_text
from tagrec_core.folders import FileSummary

Index = QModelIndex | QPersistentModelIndex


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
        return next((i for i, row in enumerate(self._rows) if row.path == path), None)

    def _show(self) -> None:
        column, descending = self._sort
        rows = [r for r in self._all if r.matches(self._needle)] if self._needle else list(self._all)
        key = (lambda r: r.name.lower(), lambda r: r.suggested.lower(), lambda r: ", ".join(r.mine).lower())[column]
        rows.sort(key=lambda r: (key(r), r.path), reverse=descending)
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()


def _relative(summary: FileSummary) -> str:
    """The path from the folder's parent on (``notes/a.md``); string work, as ``Path`` is slow at 50,000 rows."""
    parent = os.path.dirname(summary.folder.rstrip(os.sep))
    prefix = parent if parent.endswith(os.sep) else parent + os.sep
    return summary.path[len(prefix) :] if summary.path.startswith(prefix) else summary.path
