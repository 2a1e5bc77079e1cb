"""The folder organizer: the user adds folders; their files are indexed in the background (with progress and
cancel), each with suggested tags; selecting a file shows its suggestions as chips (click accepts, right-click
rejects: feedback to the profile, site ``files``, item = the path). Watched folders pick up new, changed,
moved and deleted files by themselves (``watcher``). A file renamed or moved (alone, or in a folder moved
whole) keeps its tags, for every user of the profile, and its suggestions; moved out of the organized folders,
it is forgotten as a deleted file is. Moved between two organized folders (a deletion in one and a new file in
the other), or while tagrec was not running, it is known by its name, inode and content when it turns up
(``FolderIndex.arrive``) and keeps them too. A file that cannot be indexed is said once a session, not at every
rescan.

The folder list above the table shows each folder; one that is missing (deleted, or on a drive that is not
plugged in) is greyed and marked, its files stay indexed, and it is watched and scanned again once a rescan
(the button, the periodic one, the next start) finds it back. "Remove folder…" forgets a folder after asking;
it never touches the files, and Undo brings it back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.chips import ChipBar
from desktop.core_texts import error_text, skip_text
from desktop.file_table import FileRow, FileTableModel, file_row
from desktop.relay import Relay
from desktop.watcher import FolderWatcher
from tagrec_core.errors import Cancelled, ModelFileError, TagrecError
from tagrec_core.file_tags import FileTagsError, SavedCopies, move_sidecar, restore_copies, save_copies, sync
from tagrec_core.folders import FolderIndex, RemovedFolder, changed, index_files, is_there, stale_files
from tagrec_core.profile import Profile, parse_feedback
from tagrec_core.service import Service
from tagrec_core.suggestion import DEFAULT_MIN_SCORE, Suggestion, at_least

SITE = "files"
# A periodic rescan catches what the watcher cannot see: changes while tagrec was not running are caught at
# start, but a network drive's polling can miss renames and inotify drops events when its queue overflows.
RESCAN_MS = 15 * 60 * 1000
FOLDER_ROWS = 4  # the folder list shows this many folders before it scrolls: the files' table gets the room


@dataclass(frozen=True, slots=True)
class Indexed:
    """What an indexing job did, for the table: ``count`` files stored, the rows of the files it touched that are
    indexed now, every path it touched (those without a row are no longer indexed), and the user and lowest
    score shown that the rows were read for (the view's when the job began)."""

    count: int
    rows: list[FileRow]
    touched: list[str]
    user: str
    min_score: float


class FolderView(QWidget):
    """Folders, their files and tags. ``indexed`` fires after each indexing job (tests and views wait on it)."""

    indexed = Signal(int)
    copies_written = Signal(int)  # files whose tags were copied where other tools see them
    _progress = Signal(int, int)
    _waiting = Signal()  # the job waits for the suggestion model to load
    _finished = Signal(object, object)  # result, error

    def __init__(
        self,
        index: FolderIndex,
        service: Service,
        profile: Profile,
        relay: Relay,
        user: str,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> None:
        super().__init__()
        self.index = index
        self.service = service
        self.profile = profile
        self.relay = relay
        self.user = user
        self.min_score = min_score  # suggestions scored below it are not shown, nor applied in bulk
        self._jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagrec-index")
        self._cancel = threading.Event()
        self._queued: list[tuple[str, list[Path]]] = []
        self._running = False
        self.write_xattr = False
        self.write_sidecar = False
        self.missing: set[str] = set()  # folders of the index that are not there now (shown so, files kept)
        self._skipped: list[tuple[tuple[str, str], str]] = []  # the running job's: ((path, problem), what to show)
        self._reported: set[tuple[str, str]] = set()  # (path, problem) said already: once a session is enough
        self._reload_request = 0  # the latest full reload asked for (``_reload``); answers to older ones are dropped
        self._reload_shown = 0  # the latest one shown
        self._closed = False  # ``close_jobs`` ran: answers still on their way find the index closed

        add = QPushButton(self.tr("Add folder…"))
        self.remove_button = QPushButton(self.tr("Remove folder…"))
        self.remove_button.setToolTip(self.tr("Stop organizing the selected folder (its files are not deleted)"))
        self.remove_button.setEnabled(False)
        rescan = QPushButton(self.tr("Rescan"))
        rescan.setToolTip(self.tr("Look again at every folder, and watch again those that are back"))
        self.apply_button = QPushButton(self.tr("Apply top suggestion to selected"))
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setEnabled(False)
        self._undo: Callable[[], None] | None = None  # takes back the last bulk apply or folder removal
        self.folder_list = QListWidget()
        self.folder_list.setMaximumHeight(self.folder_list.fontMetrics().height() * (FOLDER_ROWS + 1) + 8)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search files and tags"))
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setVisible(False)
        self.status = QLabel()
        self.model = FileTableModel([self.tr("File"), self.tr("Suggested"), self.tr("Your tags")])
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        # Every row is one line high: the view need not measure 50,000 rows to lay them out.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.chips = ChipBar()

        top = QHBoxLayout()
        top.addWidget(add)
        top.addWidget(self.remove_button)
        top.addWidget(rescan)
        top.addWidget(self.search, 1)
        top.addWidget(self.apply_button)
        top.addWidget(self.undo_button)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.folder_list)
        layout.addLayout(busy)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chips)
        layout.addWidget(self.status)

        add.clicked.connect(lambda: self.add_folder())
        self.remove_button.clicked.connect(lambda: self.remove_folder())
        self.folder_list.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(self.selected_folder() is not None)
        )
        rescan.clicked.connect(self.rescan)
        self.apply_button.clicked.connect(self.apply_top)
        self.undo_button.clicked.connect(self.undo)
        self.cancel_button.clicked.connect(self._cancel.set)
        self.search.textChanged.connect(self._search)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_chips())
        self.chips.accepted.connect(lambda tag: self._feedback(accepted=[tag]))
        self.chips.rejected.connect(lambda tag: self._feedback(rejected=[tag]))
        self._progress.connect(self._show_progress)
        self._waiting.connect(self._show_waiting)
        self._finished.connect(self._job_done)

        self.watcher = FolderWatcher(self)
        self.watcher.changed.connect(self.index_paths)
        self.watcher.removed.connect(self.forget_paths)
        self.watcher.moved.connect(self.move_paths)
        self._reload()
        self.rescan()  # watches each folder that is there; one that is not is shown missing, and the app starts
        self._rescan_timer = QTimer(self)
        self._rescan_timer.timeout.connect(self._rescan_if_idle)
        self._rescan_timer.start(RESCAN_MS)

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
            QMessageBox.warning(self, "tagrec", error_text(error))
            return
        if self._check(key):
            self._scan(key)
        self._show_folders()

    def rescan(self) -> None:
        """Look again at every folder: new and changed files are indexed, vanished ones forgotten. A missing
        folder is marked missing and not scanned (its files stay); one that is back is watched and scanned."""
        for folder in self.index.folders():
            if self._check(folder):
                self._scan(folder)
        self._show_folders()

    def _check(self, folder: str) -> bool:
        """Whether ``folder`` is there, and then watched. A missing one joins ``missing``, and its watch (if it
        vanished while watched) is dropped: a watch on a vanished folder sees nothing even once it is back."""
        if is_there(self.index, folder) and self.watcher.watch(folder):
            self.missing.discard(folder)
            return True
        self.watcher.unwatch(folder)
        self.missing.add(folder)
        return False

    def selected_folder(self) -> str | None:
        """The folder selected in the folder list, or ``None``."""
        items = self.folder_list.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def _show_folders(self) -> None:
        """List the index's folders, a missing one greyed and marked, keeping the selection."""
        selected = self.selected_folder()
        self.folder_list.clear()
        for folder in self.index.folders():
            item = QListWidgetItem(folder)
            item.setData(Qt.ItemDataRole.UserRole, folder)
            if folder in self.missing:
                note = self.tr("{folder} — missing: reconnect the drive, or remove it").format(folder=folder)
                item.setText(note)
                item.setToolTip(
                    self.tr("Its files stay listed with their tags. Rescan once the drive is back, or remove it.")
                )
                item.setForeground(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            self.folder_list.addItem(item)
            item.setSelected(folder == selected)
        self.remove_button.setEnabled(self.selected_folder() is not None)

    def remove_folder(self, folder: str | None = None, *, confirmed: bool = False) -> None:
        """Stop organizing ``folder`` (else the one selected in the list), after asking unless ``confirmed``:
        stop watching it, drop its queued jobs and forget its files' suggestions. Nothing on disk is touched,
        the user's tags stay in the profile, and ``undo`` puts the folder back."""
        folder = folder or self.selected_folder()
        if folder is None or (not confirmed and not self._confirm_removal(folder)):
            return
        self.watcher.unwatch(folder)
        self._queued = [(f, files) for f, files in self._queued if f != folder]

        def removed(snapshot: object, error: BaseException | None) -> None:
            if isinstance(snapshot, RemovedFolder):
                self.missing.discard(folder)
                self._offer_undo(lambda: self._restore_folder(snapshot))
                self.status.setText(
                    self.tr("Removed {folder} from the organizer; its files were not touched").format(folder=folder)
                )
            else:
                self.status.setText(error_text(error))
            self._reload()

        self.relay.run(lambda: self.index.remove_folder(folder), removed)

    def _confirm_removal(self, folder: str) -> bool:
        answer = QMessageBox.question(
            self,
            self.tr("Remove folder"),
            self.tr(
                "Stop organizing {folder}?\n\ntagrec forgets the tags it suggested for the files in it. The files "
                "are not deleted or changed, and the tags you gave them stay (in your profile, and in the files' "
                "attributes or sidecars if tagrec wrote them there). Undo brings the folder back."
            ).format(folder=folder),
        )
        return answer == QMessageBox.StandardButton.Yes

    def _restore_folder(self, removed: RemovedFolder) -> None:
        def restored(_result: object, error: BaseException | None) -> None:
            if error is not None:
                self.status.setText(error_text(error))
            elif self._check(removed.path):
                self._scan(removed.path)  # what changed while it was out of the organizer
            self._reload()

        self.relay.run(lambda: self.index.restore_folder(removed), restored)

    def _rescan_if_idle(self) -> None:
        if not self._running and not self._queued:
            self.rescan()

    def index_paths(self, paths: list[str]) -> None:
        """Index these files (from the watcher), each under the folder that holds it, unless the index already
        has them as they are (same size and time): tagrec's own tag writes, and other metadata changes, are
        not worth a re-read."""
        folders = self.index.folders()
        by_folder: dict[str, list[Path]] = {}
        for path in changed(self.index, [Path(raw) for raw in paths]):
            owner = next((f for f in folders if path.is_relative_to(f)), None)
            if owner is not None:
                by_folder.setdefault(owner, []).append(path)
        for folder, files in by_folder.items():
            self._queue(folder, files)

    def forget_paths(self, paths: list[str]) -> None:
        """Forget files (or every file below folders) that went away. On the relay's worker, after the moves
        the watcher reported first: a file moved and then deleted must not be moved back into the index."""

        def forgotten(any_forgotten: object, error: BaseException | None) -> None:
            if error is not None:
                self.status.setText(error_text(error))
            if any_forgotten or error is not None:
                self._reload()

        folders = self.index.folders()
        kept = []
        for raw in paths:
            owner = next((f for f in folders if Path(raw).is_relative_to(f)), None)
            if owner is not None and not self._check(owner):
                continue  # the whole folder went (an unplugged drive): shown missing, its files kept (``rescan``)
            kept.append(raw)
        self._show_folders()
        self.relay.run(lambda: any([self.index.forget(raw) for raw in kept]), forgotten)

    def move_paths(self, moves: list[tuple[str, str]]) -> None:
        """Files or folders renamed or moved (from the watcher, ``(old, new)`` in order): their index rows and
        the tags every user gave them follow them, and so do their sidecars when tagrec writes sidecars. On the
        relay's worker, which keeps the profile's writes in order. A file moved out of every organized folder
        is forgotten (its tags stay under its old path, as a deleted file's)."""
        self._carry(lambda: self.index.move(moves))

    def _carry(self, move_rows: Callable[[], list[tuple[str, str]]]) -> None:
        """On the relay's worker: ``move_rows()`` (moves index rows and returns the files moved, ``(old, new)``),
        then the tags every user gave those files, and their sidecars when tagrec writes sidecars. Called on the
        UI thread, or on the indexing thread (``_index_job``)."""
        sidecar = self.write_sidecar

        def move() -> list[str]:
            pairs = move_rows()
            for run in _runs(pairs):
                self.profile.move_items(SITE, run)
            problems = []
            for old, new in pairs if sidecar else []:
                try:
                    move_sidecar(Path(old), Path(new))
                except FileTagsError as error:
                    problems.append(str(error))
            return problems

        def moved(problems: object, error: BaseException | None) -> None:
            failed = problems if isinstance(problems, list) else [str(error)]
            if failed:
                self.status.setText(
                    self.tr("Could not move the tags of {count} files: {first}").format(
                        count=len(failed), first=failed[0]
                    )
                )
            self._reload()

        self.relay.run(move, moved)

    def _scan(self, folder: str) -> None:
        self._queue(folder, None)

    def _queue(self, folder: str, files: list[Path] | None) -> None:
        """Index ``files`` of ``folder`` (``None``: whatever a scan of the folder finds stale)."""
        if folder in self.missing:
            return
        if files is None or files:
            self._queued.append((folder, files))
            self._next_job()

    def _next_job(self) -> None:
        if self._running or not self._queued:
            return
        folder, files = self._queued.pop(0)
        self._running = True
        self._cancel.clear()
        self._skipped = []
        self.progress.setRange(0, 0)  # busy until the scan knows how many
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        future = self._jobs.submit(self._index_job, folder, files)
        future.add_done_callback(lambda done: self._finished.emit(*_outcome(done)))

    def _index_job(self, folder: str, files: list[Path] | None) -> Indexed:
        """On the indexing thread: scan (walking a big folder takes a while), index, and read the rows of the
        files touched (here, not on the UI thread, which only puts them in the table)."""
        user, min_score = self.user, self.min_score  # the settings may change them meanwhile: see ``_update_rows``
        gone: list[str] = []
        if files is None:
            files, gone = stale_files(self.index, folder)
            for raw in gone:
                self.index.forget(raw)
        arrived = self.index.arrive(files)  # moved from another folder, or while tagrec was not running
        if arrived:
            # Their tags follow on the relay's worker, handed over from here, not through the UI thread: the
            # index holds the new paths now, so a quit before the UI thread ran would leave the tags behind for
            # good. ``Desktop.close`` ends this job before it drains the relay.
            self._carry(lambda: arrived)
            moved = {new for _, new in arrived}
            files = [path for path in files if str(path) not in moved]
        count = index_files(
            self.index, self.service, folder, files, user=user, progress=self._progress.emit,
            cancel=self._cancel, skipped=self._note_skipped, waiting=self._waiting.emit,
        )  # fmt: skip
        touched = [str(path) for path in files] + gone
        rows = self._read_rows(touched, user, min_score) if touched else []
        return Indexed(count, rows, touched, user, min_score)

    def _note_skipped(self, path: Path, problem: str) -> None:
        """On the indexing thread: a file passed over (``_job_done`` reads the list once the job is over)."""
        shown = os.fsencode(path).decode("utf-8", "replace")  # a name that is not UTF-8: its bad bytes as �
        self._skipped.append(((str(path), problem), f"{shown}: {skip_text(problem)}"))

    def _show_waiting(self) -> None:
        self.progress.setRange(0, 0)  # busy: how long the model takes is not known
        self.status.setText(self.tr("Indexing: waiting for the suggestion model to load…"))

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        self.status.setText(self.tr("Indexing: {done} of {total} files").format(done=done, total=total))

    def _job_done(self, done: object, error: object) -> None:
        """On the UI thread, after an indexing job: the rows of the files it touched change in the table (a full
        reload only after a failed or cancelled job, which may have stored some of its files), then the next."""
        count = done.count if isinstance(done, Indexed) else 0
        self._running = False
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        if isinstance(error, Cancelled):
            self._queued.clear()
            self.status.setText(error_text(error))
        elif isinstance(error, ModelFileError):  # said once: the queued jobs would only fail the same way
            self._queued.clear()
            self.status.setText(
                self.tr("Files cannot be indexed: the suggestion model could not be loaded ({error})").format(
                    error=error
                )
            )
        elif isinstance(error, BaseException):
            self.status.setText(self.tr("Indexing failed: {error}").format(error=error))
        else:
            self.status.setText(self.tr("{count} files indexed").format(count=count))
        # Each file passed over is said once a session (for each reason): a rescan finds it again every time,
        # and the same news each time would drown what is new. The first in the line, up to 50 in the tooltip.
        fresh = [shown for key, shown in self._skipped if key not in self._reported]
        self._reported.update(key for key, _ in self._skipped)
        if fresh:
            skipped = self.tr("{count} skipped ({first})").format(count=len(fresh), first=fresh[0])
            self.status.setText(f"{self.status.text()}; {skipped}")
        self.status.setToolTip("\n".join(fresh[:50]))
        if isinstance(done, Indexed):
            self._update_rows(done)
        else:
            self._reload()
        self.indexed.emit(count)
        self._next_job()

    # --- the table ---------------------------------------------------------------------------------------------

    def set_min_score(self, min_score: float) -> None:
        """Show (and apply in bulk) only suggestions scored ``min_score`` or more, from now on (a deliberate
        change in the settings: the table shows it at once, with a full ``refresh``)."""
        self.min_score = min_score
        self.refresh()
        self._show_chips()

    def refresh(self) -> None:
        """Reload every indexed file and the user's tags (the search and the sort stay), keeping the selection,
        now and on the UI thread (most of a second at 50,000 files: the view itself uses ``_reload``)."""
        self._reload_request += 1
        self._reload_shown = self._reload_request  # any reload still on its way is older than this
        self._show_rows(self._read_rows(None, self.user, self.min_score))

    def _reload(self) -> None:
        """``refresh`` with the reading on the relay's worker, after the profile writes queued before it, and
        only the swap of the rows (a sort in Python) on the UI thread. The table shows what it had until then;
        an answer older than the latest reload asked for (or an explicit ``refresh``) is dropped."""
        self._reload_request += 1
        request = self._reload_request

        def read() -> list[FileRow]:
            return self._read_rows(None, self.user, self.min_score)

        def loaded(rows: list[FileRow] | None, error: BaseException | None) -> None:
            if request <= self._reload_shown or self._closed:
                return
            self._reload_shown = request
            if error is not None or rows is None:
                self.status.setText(error_text(error))
            else:
                self._show_rows(rows)

        self.relay.run(read, loaded)

    def _read_rows(self, paths: list[str] | None, user: str, min_score: float) -> list[FileRow]:
        """The rows of the indexed files among ``paths`` (``None``: all), with ``user``'s tags and the suggestions
        scored ``min_score`` or more; on any thread."""
        summaries = self.index.summaries(min_score=min_score, paths=paths)
        mine = self.profile.item_tags(user, SITE, [s.path for s in summaries])
        return [file_row(summary, mine.get(summary.path, [])) for summary in summaries]

    def _show_rows(self, rows: list[FileRow]) -> None:
        """Show ``rows`` as every indexed file, keeping the selection."""
        selected = self.selected_paths()
        self.model.load(rows)
        self._reselect(selected)
        self._show_folders()

    def _update_rows(self, indexed: Indexed) -> None:
        """Put an indexing job's rows in the table, keeping the selection, and show the chips of a selected file
        it read again. A full reload still on its way read the index before, perhaps before the job stored its
        files: it is asked again, to show them too. Rows read for another user or lowest score (the settings
        changed during the job) are not shown: a full reload reads them for the current ones."""
        if (indexed.user, indexed.min_score) != (self.user, self.min_score):
            self._reload()
            return
        selected = self.selected_paths()
        self.model.update(indexed.rows, indexed.touched)
        if self.selected_paths() != selected:  # many rows: the model was reset
            self._reselect(selected)
        if not set(selected).isdisjoint(indexed.touched):  # its row changed in place: no selection change says so
            self._show_chips()
        if self._reload_shown < self._reload_request:
            self._reload()
        self._show_folders()

    def _update_tags(self, paths: list[str], saved: list[SavedCopies] | None = None, *, copy: bool = True) -> None:
        """Show the user's current tags of ``paths`` (after feedback: cheaper than ``refresh`` at 50,000 files),
        and, with ``copy``, copy them where other tools see them, if the user chose so (``saved`` then gets each
        written file's copies as they were before, see ``_write_copies``)."""
        found = self.profile.item_tags(self.user, SITE, paths)
        now = {path: found.get(path, []) for path in paths}
        changes = [
            (path, tags, [t for t in self.model.tags(path) if t not in tags])
            for path, tags in now.items()
            if tuple(tags) != self.model.tags(path)
        ]
        self.model.set_tags(now)
        if copy and changes and (self.write_xattr or self.write_sidecar):
            self._write_copies(changes, saved)

    # --- tags where other tools see them (settings) ------------------------------------------------------------

    def set_file_tags(self, *, xattr: bool, sidecar: bool) -> None:
        """From now on, copy changed tags into the ``user.xdg.tags`` attribute and/or TagSpaces' sidecar."""
        self.write_xattr, self.write_sidecar = xattr, sidecar

    def write_all_file_tags(self) -> None:
        """Copy the tags of every tagged file now (after the user turned copying on)."""
        self._write_copies([(path, list(tags), []) for path, tags in self.model.tagged().items()])

    def _write_copies(
        self, changes: list[tuple[str, list[str], list[str]]], saved: list[SavedCopies] | None = None
    ) -> None:
        """Sync each changed file's copies on the relay's worker. With ``saved``, each file's copies are first
        kept there as they are (raw), so that an undo can put them back byte for byte (``_restore_tags``)."""
        xattr, sidecar = self.write_xattr, self.write_sidecar

        def write() -> list[str]:
            problems = []
            for path, tags, removed in changes:
                if saved is not None:
                    saved.append(save_copies(Path(path), xattr=xattr, sidecar=sidecar))
                try:
                    sync(Path(path), tags, removed, xattr=xattr, sidecar=sidecar)
                except FileTagsError as error:
                    problems.append(str(error))
            return problems

        self.relay.run(write, lambda problems, error: self._copies_done(len(changes), problems, error))

    def _copies_done(self, count: int, problems: object, error: BaseException | None) -> None:
        """Say how writing (or restoring) the copies of ``count`` files went."""
        failed = problems if isinstance(problems, list) else [str(error)]
        if failed:
            self.status.setText(
                self.tr("Could not write tags to {count} files: {first}").format(count=len(failed), first=failed[0])
            )
        else:
            self.status.setText(self.tr("Tags written to {count} files").format(count=count))
        self.copies_written.emit(count - len(failed))

    def _search(self, text: str) -> None:
        selected = self.selected_paths()
        self.model.search(text)
        self._reselect(selected)

    def _reselect(self, paths: list[str]) -> None:
        for path in paths:
            self.select(path, keep=True)

    def selected_path(self) -> str | None:
        paths = self.selected_paths()
        return paths[0] if paths else None

    def selected_paths(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [self.model.path(index.row()) for index in sorted(rows, key=lambda r: r.row())]

    # --- bulk apply, with undo -------------------------------------------------------------------------------

    def apply_top(self) -> None:
        """Give each selected file its best suggestion (one transaction); ``undo`` puts the old tags back, and
        the files' attributes and sidecars as they were (when tagrec wrote its tags there)."""
        paths = self.selected_paths()
        before = self.profile.item_tags(self.user, SITE, paths)
        events = []
        for path in paths:
            entry = self.index.entry(path)
            shown = self._shown(entry.suggested) if entry is not None else []
            if not shown or shown[0].tag in before.get(path, []):
                continue
            events.append({"site": SITE, "item": path, "title": entry.title, "accepted": [shown[0].tag]})
        if not events:
            return
        undo = [(event["item"], before.get(event["item"], [])) for event in events]
        saved: list[SavedCopies] = []  # filled on the relay's worker, before the copies are written

        def applied(_ids: object, error: BaseException | None) -> None:
            if error is None:
                self._offer_undo(lambda: self._restore_tags(undo, saved))
                self.status.setText(self.tr("Tagged {count} files").format(count=len(events)))
            else:
                self.status.setText(error_text(error))
            self._update_tags(paths, saved)

        self.relay.run(lambda: self._record(events), applied)

    def _offer_undo(self, action: Callable[[], None]) -> None:
        """Let Undo take back what was just done (only the last bulk apply or folder removal)."""
        self._undo = action
        self.undo_button.setEnabled(True)

    def undo(self) -> None:
        """Take back the last bulk apply (the files' tags as they were) or folder removal (the folder back)."""
        action, self._undo = self._undo, None
        self.undo_button.setEnabled(False)
        if action is not None:
            action()

    def _restore_tags(self, undo: list[tuple[str, list[str]]], saved: list[SavedCopies]) -> None:
        """Give the files of ``undo`` their old tags in the profile, and put back their copies as ``saved`` kept
        them. Not re-synced from the profile: that would drop another tool's tag equal to one the apply added,
        and rewrite the sidecar's bookkeeping. The relay's single worker runs this after the apply's writes,
        so ``saved`` is complete by then."""
        events = [{"site": SITE, "item": path, "final": tags} for path, tags in undo]
        paths = [path for path, _ in undo]

        def restore() -> list[str]:
            problems = []
            for copies in saved:
                try:
                    restore_copies(copies)
                except FileTagsError as error:
                    problems.append(str(error))
            return problems

        def recorded(_ids: object, error: BaseException | None) -> None:
            # Nothing saved: copying was off at the apply; if it is on now, sync as for any change.
            self._update_tags(paths, copy=not saved)
            if error is not None:  # the profile keeps the applied tags: so do the copies
                self.status.setText(error_text(error))
            elif saved:
                self.relay.run(restore, lambda problems, failure: self._copies_done(len(saved), problems, failure))

        self.relay.run(lambda: self._record(events), recorded)

    def _record(self, events: list[dict[str, object]]) -> list[int]:
        return self.profile.record_many([parse_feedback(e, default_user=self.user) for e in events])

    def select(self, path: str, *, keep: bool = False) -> None:
        """Select the row of ``path`` (if shown), alone or, with ``keep``, besides the rows already selected."""
        row = self.model.row_of(path)
        if row is None:
            return
        flags = QItemSelectionModel.SelectionFlag.Rows | (
            QItemSelectionModel.SelectionFlag.Select if keep else QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.table.selectionModel().select(self.model.index(row, 0), flags)
        self.table.scrollTo(self.model.index(row, 0))

    def _show_chips(self) -> None:
        path = self.selected_path()
        entry = self.index.entry(path) if path else None
        if entry is None:
            self.chips.show_suggestions([])
            return
        mine = set(self.profile.item_tags(self.user, SITE, [path]).get(path, []))
        self.chips.show_suggestions([s for s in self._shown(entry.suggested) if s.tag not in mine][:5])

    def _shown(self, suggested: list[dict[str, Any]]) -> list[Suggestion]:
        """A file's stored suggestions that are scored high enough to be shown, best first."""
        return at_least([Suggestion.from_dict(s) for s in suggested], self.min_score)

    def _feedback(self, **lists: list[str]) -> None:
        path = self.selected_path()
        entry = self.index.entry(path) if path else None
        if entry is None:
            return
        event = {"site": SITE, "item": path, "title": entry.title, "shown": [s["tag"] for s in entry.suggested[:5]],
                 **lists}  # fmt: skip

        def saved(_id: object, error: BaseException | None) -> None:
            if error is not None:
                self.status.setText(error_text(error))
            self._update_tags([path])
            self._show_chips()

        self.relay.run(lambda: self.service.feedback(event, user=self.user), saved)

    def close_jobs(self) -> None:
        """Stop watching and indexing (the app is quitting)."""
        self._closed = True
        self._cancel.set()
        self._rescan_timer.stop()
        self.watcher.stop()
        self._jobs.shutdown(wait=True)


def _runs(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """``pairs`` as mappings for ``Profile.move_items``, in order, a new one wherever a path moves again: one
    mapping holds each old path once, and ``a -> b``, ``c -> a``, ``a -> d`` must not become ``a -> d, c -> a``."""
    runs: list[dict[str, str]] = [{}]
    for old, new in pairs:
        if old in runs[-1]:
            runs.append({})
        runs[-1][old] = new
    return [run for run in runs if run]


def _outcome(done: object) -> tuple[object, object]:
    error = done.exception()  # type: ignore[attr-defined]
    return (None, error) if error is not None else (done.result(), None)  # type: ignore[attr-defined]
