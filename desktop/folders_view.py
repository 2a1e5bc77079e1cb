"""The folder organizer: the user adds folders; their files are indexed in the background (with progress and
cancel), each with suggested tags; selecting a file shows its suggestions as chips (click accepts, right-click
rejects: feedback to the profile, site ``files``, item = the path). Watched folders pick up new, changed,
moved and deleted files by themselves (``watcher``).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.chips import ChipBar
from desktop.relay import Relay
from desktop.watcher import FolderWatcher
from tagrec_core.errors import Cancelled, TagrecError
from tagrec_core.folders import FileEntry, FolderIndex, index_files, stale_files
from tagrec_core.profile import Profile, parse_feedback
from tagrec_core.service import Service
from tagrec_core.suggestion import Suggestion

SITE = "files"
SHOWN_SUGGESTIONS = 3


class FolderView(QWidget):
    """Folders, their files and tags. ``indexed`` fires after each indexing job (tests and views wait on it)."""

    indexed = Signal(int)
    _progress = Signal(int, int)
    _finished = Signal(object, object)  # result, error

    def __init__(self, index: FolderIndex, service: Service, profile: Profile, relay: Relay, user: str) -> None:
        super().__init__()
        self.index = index
        self.service = service
        self.profile = profile
        self.relay = relay
        self.user = user
        self._jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagrec-index")
        self._cancel = threading.Event()
        self._queued: list[tuple[str, list[Path]]] = []
        self._running = False

        add = QPushButton(self.tr("Add folder…"))
        rescan = QPushButton(self.tr("Rescan"))
        self.apply_button = QPushButton(self.tr("Apply top suggestion to selected"))
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setEnabled(False)
        self._undo: list[tuple[str, list[str]]] = []
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search files and tags"))
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setVisible(False)
        self.status = QLabel()
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([self.tr("File"), self.tr("Suggested"), self.tr("Your tags")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.chips = ChipBar()

        top = QHBoxLayout()
        top.addWidget(add)
        top.addWidget(rescan)
        top.addWidget(self.search, 1)
        top.addWidget(self.apply_button)
        top.addWidget(self.undo_button)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(busy)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chips)
        layout.addWidget(self.status)

        add.clicked.connect(lambda: self.add_folder())
        rescan.clicked.connect(self.rescan)
        self.apply_button.clicked.connect(self.apply_top)
        self.undo_button.clicked.connect(self.undo)
        self.cancel_button.clicked.connect(self._cancel.set)
        self.search.textChanged.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._show_chips)
        self.chips.accepted.connect(lambda tag: self._feedback(accepted=[tag]))
        self.chips.rejected.connect(lambda tag: self._feedback(rejected=[tag]))
        self._progress.connect(self._show_progress)
        self._finished.connect(self._job_done)

        self.watcher = FolderWatcher(self)
        self.watcher.changed.connect(self.index_paths)
        self.watcher.removed.connect(self.forget_paths)
        for folder in self.index.folders():
            self.watcher.watch(folder)
        self.refresh()
        self.rescan()

    # --- folders and indexing --------------------------------------------------------------------------------

    def add_folder(self, folder: Path | None = None) -> None:
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, self.tr("Add a folder to organize"))
            if not chosen:
                return
            folder = Path(chosen)
        try:
            key = self.index.add_folder(folder)
        except TagrecError as error:
            QMessageBox.warning(self, "tagrec", str(error))
            return
        self.watcher.watch(key)
        self._scan(key)

    def rescan(self) -> None:
        """Look again at every folder: new and changed files are indexed, vanished ones forgotten."""
        for folder in self.index.folders():
            self._scan(folder)

    def index_paths(self, paths: list[str]) -> None:
        """Index these files (from the watcher), each under the folder that holds it."""
        folders = self.index.folders()
        by_folder: dict[str, list[Path]] = {}
        for raw in paths:
            owner = next((f for f in folders if Path(raw).is_relative_to(f)), None)
            if owner is not None:
                by_folder.setdefault(owner, []).append(Path(raw))
        for folder, files in by_folder.items():
            self._queue(folder, files)

    def forget_paths(self, paths: list[str]) -> None:
        if any([self.index.forget(raw) for raw in paths]):
            self.refresh()

    def _scan(self, folder: str) -> None:
        self._queue(folder, None)

    def _queue(self, folder: str, files: list[Path] | None) -> None:
        """Index ``files`` of ``folder`` (``None``: whatever a scan of the folder finds stale)."""
        if files is None or files:
            self._queued.append((folder, files))
            self._next_job()

    def _next_job(self) -> None:
        if self._running or not self._queued:
            return
        folder, files = self._queued.pop(0)
        self._running = True
        self._cancel.clear()
        self.progress.setRange(0, 0)  # busy until the scan knows how many
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        future = self._jobs.submit(self._index_job, folder, files)
        future.add_done_callback(lambda done: self._finished.emit(*_outcome(done)))

    def _index_job(self, folder: str, files: list[Path] | None) -> int:
        """On the indexing thread: scan (walking a big folder takes a while) and index."""
        if files is None:
            files, gone = stale_files(self.index, folder)
            for raw in gone:
                self.index.forget(raw)
        return index_files(
            self.index, self.service, folder, files, user=self.user, progress=self._progress.emit, cancel=self._cancel
        )

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        self.status.setText(self.tr("Indexing: {done} of {total} files").format(done=done, total=total))

    def _job_done(self, count: object, error: object) -> None:
        self._running = False
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        if isinstance(error, Cancelled):
            self._queued.clear()
            self.status.setText(str(error))
        elif isinstance(error, BaseException):
            self.status.setText(self.tr("Indexing failed: {error}").format(error=error))
        else:
            self.status.setText(self.tr("{count} files indexed").format(count=count))
        self.refresh()
        self.indexed.emit(int(count) if isinstance(count, int) else 0)
        self._next_job()

    # --- the table ---------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        entries = self.index.files(search=self.search.text())
        mine = self.profile.item_tags(self.user, SITE, [e.path for e in entries])
        selected = self.selected_path()
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            name = QTableWidgetItem(_relative(entry))
            name.setData(Qt.ItemDataRole.UserRole, entry.path)
            name.setToolTip(entry.problem or entry.path)
            suggested = ", ".join(s["tag"] for s in entry.suggested[:SHOWN_SUGGESTIONS])
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(suggested))
            self.table.setItem(row, 2, QTableWidgetItem(", ".join(mine.get(entry.path, []))))
            if entry.path == selected:
                self.table.selectRow(row)

    def selected_path(self) -> str | None:
        paths = self.selected_paths()
        return paths[0] if paths else None

    def selected_paths(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return [row.data(Qt.ItemDataRole.UserRole) for row in sorted(rows, key=lambda r: r.row())]

    # --- bulk apply, with undo -------------------------------------------------------------------------------

    def apply_top(self) -> None:
        """Give each selected file its best suggestion (one transaction); ``undo`` puts the old tags back."""
        paths = self.selected_paths()
        before = self.profile.item_tags(self.user, SITE, paths)
        events = []
        for path in paths:
            entry = self.index.entry(path)
            if entry is None or not entry.suggested or entry.suggested[0]["tag"] in before.get(path, []):
                continue
            events.append({"site": SITE, "item": path, "title": entry.title, "accepted": [entry.suggested[0]["tag"]]})
        if not events:
            return
        undo = [(event["item"], before.get(event["item"], [])) for event in events]

        def applied(_ids: object, error: BaseException | None) -> None:
            if error is None:
                self._undo = undo
                self.undo_button.setEnabled(True)
                self.status.setText(self.tr("Tagged {count} files").format(count=len(events)))
            else:
                self.status.setText(str(error))
            self.refresh()

        self.relay.run(lambda: self._record(events), applied)

    def undo(self) -> None:
        """Put back the tags the files had before the last bulk apply."""
        events = [{"site": SITE, "item": path, "final": tags} for path, tags in self._undo]
        self._undo = []
        self.undo_button.setEnabled(False)
        self.relay.run(lambda: self._record(events), lambda _ids, _error: self.refresh())

    def _record(self, events: list[dict[str, object]]) -> list[int]:
        return self.profile.record_many([parse_feedback(e, default_user=self.user) for e in events])

    def select(self, path: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == path:
                self.table.selectRow(row)
                return

    def _show_chips(self) -> None:
        path = self.selected_path()
        entry = self.index.entry(path) if path else None
        if entry is None:
            self.chips.show_suggestions([])
            return
        mine = set(self.profile.item_tags(self.user, SITE, [path]).get(path, []))
        self.chips.show_suggestions([Suggestion(**s) for s in entry.suggested if s["tag"] not in mine][:5])

    def _feedback(self, **lists: list[str]) -> None:
        path = self.selected_path()
        entry = self.index.entry(path) if path else None
        if entry is None:
            return
        event = {"site": SITE, "item": path, "title": entry.title, "shown": [s["tag"] for s in entry.suggested[:5]],
                 **lists}  # fmt: skip

        def saved(_id: object, error: BaseException | None) -> None:
            if error is not None:
                self.status.setText(str(error))
            self.refresh()
            self._show_chips()

        self.relay.run(lambda: self.service.feedback(event, user=self.user), saved)

    def close_jobs(self) -> None:
        """Stop watching and indexing (the app is quitting)."""
        self._cancel.set()
        self.watcher.stop()
        self._jobs.shutdown(wait=True)


def _relative(entry: FileEntry) -> str:
    try:
        return str(Path(entry.path).relative_to(Path(entry.folder).parent))
    except ValueError:
        return entry.path


def _outcome(done: object) -> tuple[object, object]:
    error = done.exception()  # type: ignore[attr-defined]
    return (None, error) if error is not None else (done.result(), None)  # type: ignore[attr-defined]
