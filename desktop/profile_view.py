"""The profile view: what tagrec learned from the user — counts and accept rate, the vocabulary (filterable),
aliases and implied tags (editable), plots of their tags and accept rate over time — and export, import,
reset, and forgetting one tag (the vocabulary's context menu). Reset, import and forget ask first, write a
backup, and can be undone from the same view; the undo restores only the users they changed.

Export, import, reset, forget and undo run on the relay's worker (with a heavy profile they take seconds);
meanwhile a busy bar shows and those actions are disabled, and the UI stays responsive.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core_texts import error_text
from desktop.plots import ProfilePlots
from desktop.relay import Relay
from tagrec_core.atomic import open_atomically
from tagrec_core.errors import TagrecError
from tagrec_core.profile import Profile, Timeline
from tagrec_core.profile.store import UserRow
from tagrec_core.profile.transfer import backup_profile, import_profile, unpin_backup, unpin_backups, write_export

VOCABULARY_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Undo:
    """How to take back the last reset, import or forget: the whole-profile backup written just before it
    (pinned: pruning spares it while this undo is offered), the users it changed, and each one's row right after
    it (``None``: no such user). Every write of a user's data advances their ``version`` (a user deleted and
    created again also has another ``id`` and ``generation``), so a different row means they changed since;
    their ``clock`` alone moves only when an event adds a tag."""

    action: Literal["reset", "import", "forget"]
    backup: Path
    after: dict[str, UserRow | None]


class ProfileView(QWidget):
    """One user's profile. ``refresh`` re-reads it (the tab calls it when shown): the counts and tables at once,
    the plots' history in the background (``plots_loaded`` is emitted when they show it)."""

    plots_loaded = Signal()

    def __init__(self, profile: Profile, relay: Relay, user: str, home: str | Path | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.relay = relay
        self.user = user
        self.home = home
        self.last_undo: Undo | None = None
        # The app is its home's only one (desktop.instance): pinned backups there are an earlier run's, which
        # crashed before it could unpin them; back to the ordinary retention, so they do not stay forever.
        unpin_backups(home)
        self._timeline_request = 0  # the latest history read; answers to older ones are dropped

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter tags"))
        self.vocabulary = _table([self.tr("Tag"), self.tr("Items"), self.tr("Last used")])
        self.aliases = _table([self.tr("Alias"), self.tr("Tag")])
        self.implied = _table([self.tr("Tag"), self.tr("Implies")])
        self.rule_a = QLineEdit()
        self.rule_b = QLineEdit()
        self.rule_a.setPlaceholderText(self.tr("js / pandas"))
        self.rule_b.setPlaceholderText(self.tr("javascript / python"))
        add_alias = QPushButton(self.tr("Add alias"))
        add_implied = QPushButton(self.tr("Add implied tag"))
        remove = QPushButton(self.tr("Remove selected rule"))
        export = QPushButton(self.tr("Export…"))
        import_ = QPushButton(self.tr("Import…"))
        export.setObjectName("export")
        import_.setObjectName("import")
        self.reset_button = QPushButton(self.tr("Reset…"))
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setEnabled(False)
        self.undo_button.setToolTip(
            self.tr("Take back the last reset, import or forgotten tag, from the backup written before it")
        )
        self.busy = QProgressBar()  # while export, import, reset, forget or undo runs (a range of 0: busy)
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.busy_text = QLabel()
        self._actions = [export, import_, self.reset_button]  # disabled while one runs (and Undo with them)
        self._undo_ready = False  # whether Undo has something to take back (enabled once not busy)
        self._working = False  # export, import, reset, forget or undo is running
        self.vocabulary.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.vocabulary.customContextMenuRequested.connect(self._vocabulary_menu)
        for button, name in ((add_alias, "add_alias"), (add_implied, "add_implied"), (remove, "remove_rule")):
            button.setObjectName(name)

        rules = QHBoxLayout()
        rules.addWidget(self.rule_a)
        rules.addWidget(self.rule_b)
        rules.addWidget(add_alias)
        rules.addWidget(add_implied)
        rules.addWidget(remove)
        tables = QHBoxLayout()
        tables.addWidget(self.vocabulary, 2)
        tables.addWidget(self.aliases, 1)
        tables.addWidget(self.implied, 1)
        actions = QHBoxLayout()
        for button in (export, import_, self.reset_button, self.undo_button):
            actions.addWidget(button)
        actions.addWidget(self.busy_text)
        actions.addWidget(self.busy, 1)
        actions.addStretch(1)
        tags_page = QWidget()
        tags_layout = QVBoxLayout(tags_page)
        tags_layout.addWidget(self.filter)
        tags_layout.addLayout(tables, 1)
        tags_layout.addLayout(rules)
        self.plots = ProfilePlots()
        self.sections = QTabWidget()
        self.sections.addTab(tags_page, self.tr("Tags and rules"))
        self.sections.addTab(self.plots, self.tr("Over time"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.sections, 1)
        layout.addLayout(actions)

        self.filter.textChanged.connect(self._show_vocabulary)
        add_alias.clicked.connect(lambda: self._edit(lambda a, b: self.profile.set_alias(a, b, self.user)))
        add_implied.clicked.connect(lambda: self._edit(lambda a, b: self.profile.set_implied(a, b, self.user)))
        remove.clicked.connect(self.remove_selected_rule)
        export.clicked.connect(self.export)
        import_.clicked.connect(self.import_)
        self.reset_button.clicked.connect(self.reset)
        self.undo_button.clicked.connect(self.undo)
        self.refresh()

    # --- reading ---------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        stats = self.profile.stats(self.user)
        rate = stats["accept_rate"]
        self.summary.setText(
            self.tr(
                "{events} feedback events, {items} items, {tags} tags; accepted {rate} of the suggestions shown"
            ).format(
                events=stats["feedback_events"],
                items=stats["items"],
                tags=stats["tags"],
                rate="–" if rate is None else f"{rate:.0%}",
            )
        )
        self._show_vocabulary()
        _fill(self.aliases, sorted(self.profile.aliases(self.user).items()))
        _fill(self.implied, self.profile.implications(self.user))
        self._read_timeline()

    def _read_timeline(self) -> None:
        """Read the history for the plots on the relay's worker: it scans every event (about 0.5 s for 100k),
        and after the writes queued before it, so it sees them. The plots keep what they show until it comes."""
        self._timeline_request += 1
        request = self._timeline_request
        self.relay.run(
            lambda: self.profile.timeline(self.user),
            lambda timeline, error: self._show_timeline(request, timeline, error),
        )

    def _show_timeline(self, request: int, timeline: Timeline | None, error: BaseException | None) -> None:
        if request != self._timeline_request:
            return  # a newer refresh is on its way
        if error is not None or timeline is None:
            self.plots.show_message(self.tr("The history could not be read: {error}").format(error=error))
        else:
            self.plots.show_timeline(timeline)
        self.plots_loaded.emit()

    def _show_vocabulary(self) -> None:
        entries = self.profile.vocabulary(self.user, self.filter.text(), VOCABULARY_ROWS)
        _fill(self.vocabulary, [(e.tag, str(e.items), e.last_used[:10]) for e in entries])

    # --- editing ---------------------------------------------------------------------------------------------

    def _edit(self, change: Callable[[str, str], object]) -> None:
        first, second = self.rule_a.text().strip(), self.rule_b.text().strip()
        if not first or not second:
            self._warn(self.tr("Give both tags."))
            return
        self._write(lambda: change(first, second))
        self.rule_a.clear()
        self.rule_b.clear()

    def remove_selected_rule(self) -> None:
        for table, remove in (
            (self.aliases, lambda a, _b: self.profile.remove_alias(a, self.user)),
            (self.implied, lambda a, b: self.profile.remove_implied(a, b, self.user)),
        ):
            row = table.currentRow()
            if row >= 0 and table.item(row, 0) is not None:
                a, b = table.item(row, 0).text(), table.item(row, 1).text()
                self._write(lambda remove=remove, a=a, b=b: remove(a, b))
                return

    def export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the profile"), "tagrec-profile.json", "JSON (*.json)"
        )
        if path:
            self.export_file(Path(path))

    def export_file(self, path: Path) -> None:
        """Write the whole profile to ``path``, all on the relay's worker (seconds with a long history)."""

        def work() -> None:
            # Row by row: memory of one row, and the UI thread runs between them (one ``json.dumps`` of the
            # whole document holds the interpreter for its whole length)
            with open_atomically(path) as out:
                write_export(self.profile, out)

        def done(_result: object, error: BaseException | None) -> None:
            if error is not None:
                self._warn(error_text(error))

        self._busy_run(self.tr("Exporting…"), work, done)

    def import_(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a profile"), "", "JSON (*.json)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path, *, confirmed: bool = False) -> None:
        """Replace the data of the file's users with the file's, after saying whose and asking; a backup
        written first makes it undoable."""

        def read() -> tuple[dict[str, Any], list[str]]:
            try:
                document = json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError) as error:
                raise TagrecError(f"cannot read {path}: {error}") from None
            return document, _user_names(document)

        def ask(read_back: tuple[dict[str, Any], list[str]] | None, error: BaseException | None) -> None:
            if error is not None or read_back is None:
                self._warn(error_text(error))
                return
            document, names = read_back
            if not confirmed and not self._confirm(
                self.tr("Import a profile"),
                self.tr(
                    "Replace what tagrec learned for {users} with the contents of {file}? A backup is written"
                    " first; you can undo it here."
                ).format(users=", ".join(names) or "–", file=path.name),
            ):
                return

            def work() -> Undo:
                return self._undoable("import", lambda: import_profile(self.profile, document))

            self._busy_run(self.tr("Importing…"), work, self._after_change)

        self._busy_run(self.tr("Reading {file}…").format(file=path.name), read, ask)

    def reset(self, *, confirmed: bool = False) -> None:
        """Delete what the profile learned about this user, after asking; a backup makes it undoable."""
        if not confirmed and not self._confirm(
            self.tr("Reset the profile"),
            self.tr("Delete everything tagrec learned from your feedback? You can undo it here."),
        ):
            return
        user = self.user

        def change() -> list[str]:
            self.profile.reset(user)
            return [user]

        def work() -> Undo:
            return self._undoable("reset", change)

        self._busy_run(self.tr("Resetting…"), work, self._after_change)

    def forget_tag(self, tag: str, *, confirmed: bool = False) -> None:
        """Remove ``tag`` from this user's items, events, aliases and implied tags, after asking; a backup makes
        it undoable (as ``tagrec profile forget --tag``, for this user only)."""
        if not confirmed and not self._confirm(
            self.tr("Forget a tag"),
            self.tr(
                "Forget the tag {tag}? It is removed from every item and event of yours, and from your aliases"
                " and implied tags. You can undo it here."
            ).format(tag=tag),
        ):
            return
        user = self.user

        def change() -> list[str]:
            self.profile.forget_tag(tag, user)
            return [user]

        def work() -> Undo:
            return self._undoable("forget", change)

        self._busy_run(self.tr("Forgetting {tag}…").format(tag=tag), work, self._after_change)

    def _undoable(self, action: Literal["reset", "import", "forget"], change: Callable[[], list[str]]) -> Undo:
        """Write a pinned backup of the whole profile, make the ``change`` (it returns the users it changed), and
        return how to take it back. A change that fails unpins the backup: no undo will point to it. Relay's
        worker."""
        backup = backup_profile(self.profile, self.home, pinned=True)
        try:
            changed = change()
        except BaseException:
            unpin_backup(backup)
            raise
        return Undo(action, backup, self._rows(changed))

    def _vocabulary_menu(self, at: QPoint) -> None:
        item = self.vocabulary.itemAt(at)
        if item is None or self._working:
            return
        tag = self.vocabulary.item(item.row(), 0).text()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per right-click: gone once it closes
        forget = menu.addAction(self.tr("Forget this tag…"))
        forget.triggered.connect(lambda: self.forget_tag(tag))
        menu.popup(self.vocabulary.viewport().mapToGlobal(at))

    def _after_change(self, undo: Undo | None, error: BaseException | None) -> None:
        if error is not None:
            self._warn(error_text(error))
        else:
            self.release_undo()  # the new undo replaces it
            if undo is not None:
                self._offer_undo(undo)
        self.refresh()

    def _offer_undo(self, undo: Undo) -> None:
        """Let Undo take back ``undo`` (its button says which action)."""
        self.last_undo = undo
        label = {"reset": self.tr("Undo reset"), "import": self.tr("Undo import"), "forget": self.tr("Undo forget")}
        self.undo_button.setText(label[undo.action])
        self._set_undo_ready(True)

    def undo(self, *, confirmed: bool = False) -> None:
        """Restore the users the last reset or import changed, as the backup holds them (a user the import
        created is removed again); other users are left as they are. Asks first when one of them has changed
        since, as that would be lost. An undo that fails stays offered, its backup kept, and the warning says
        where that file is."""
        undo = self.last_undo
        if undo is None:
            return
        now = self._rows(list(undo.after))
        changed = [name for name, row in undo.after.items() if now[name] != row]
        question = self.tr("{users} changed since then; undoing loses those changes. Undo anyway?")
        if changed and not confirmed and not self._confirm(self.tr("Undo"), question.format(users=", ".join(changed))):
            return

        def restore() -> None:
            document = json.loads(undo.backup.read_text(encoding="utf-8"))
            kept = [u for u in document["users"] if u["name"] in undo.after]
            if kept:
                import_profile(self.profile, {**document, "users": kept})
            for name in set(undo.after) - {u["name"] for u in kept}:
                self.profile.reset(name)

        def work() -> None:
            with _collector_paused():  # and its objects freed before it is back: else it walks them once more
                restore()

        self.last_undo = None
        self.undo_button.setText(self.tr("Undo"))
        self._set_undo_ready(False)

        def done(_result: object, error: BaseException | None) -> None:
            if error is not None:  # still offered, its backup still pinned: the user may try again, or use the file
                self._offer_undo(undo)
                self._warn(
                    self.tr("The undo failed: {error}\nThe backup it restores from is {file}").format(
                        error=error_text(error), file=undo.backup
                    )
                )
            else:
                undo.backup.unlink(missing_ok=True)  # restored: what it was kept for is done
            self.refresh()

        self._busy_run(self.tr("Undoing…"), work, done)

    def release_undo(self) -> None:
        """Stop offering the undo (it is replaced, or the app quits): its backup becomes an ordinary one, which
        the newest ``BACKUPS_KEPT`` rule deletes in time. Call it when no undo runs on the relay's worker."""
        undo, self.last_undo = self.last_undo, None
        if undo is not None:
            unpin_backup(undo.backup)
        self.undo_button.setText(self.tr("Undo"))
        self._set_undo_ready(False)

    def _busy_run(self, text: str, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        """Run ``work`` on the relay's worker with the busy bar and ``text`` shown and the profile's actions
        disabled (one at a time: each may replace the whole profile), then ``done(result, error)``."""
        self._set_busy(text)

        def finished(result: Any, error: BaseException | None) -> None:
            self._set_busy(None)
            done(result, error)

        self.relay.run(work, finished)

    def _set_busy(self, text: str | None) -> None:
        self._working = text is not None
        self.busy.setVisible(self._working)
        self.busy_text.setText(text or "")
        for button in self._actions:
            button.setEnabled(text is None)
        self.undo_button.setEnabled(text is None and self._undo_ready)

    def _set_undo_ready(self, ready: bool) -> None:
        self._undo_ready = ready
        self.undo_button.setEnabled(ready and not self._working)

    def _rows(self, names: list[str]) -> dict[str, UserRow | None]:
        """Each user's row now (``None``: not in the profile)."""
        return {name: self.profile.user(name) for name in names}

    def _confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _write(self, work: Callable[[], object]) -> None:
        """Run a profile write off the UI thread, then show the result (or say what went wrong)."""

        def done(_result: object, error: BaseException | None) -> None:
            if error is not None:
                self._warn(error_text(error))
            self.refresh()

        self.relay.run(work, done)

    def _warn(self, message: str) -> None:
        QMessageBox.warning(self, "tagrec", message)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the relay's worker builds a whole profile's objects (its
    JSON, then ``import_profile``'s checked copy: millions), then as it was.

    Why: each collection runs on the thread whose allocation triggers it, holding the interpreter lock, and as
    the new objects pile up the full ones walk them all; inside ``json.loads`` (one C call) the lock is not
    even offered between them. An undo of a reset of 200,000 events (67 MB of JSON; 2026-11-25, this machine)
    froze the UI thread 1.46 s in ``json.loads`` (0.37 s without collections) and 0.36 s in the checks; paused,
    its longest wait is ``json.loads`` itself, 0.39 s, and the undo takes 11.1 s instead of 12.5. These objects
    form no cycles (JSON data, frozen dataclasses): reference counting frees them, so the collector would find
    nothing. It is off for the whole process meanwhile (there is no per-thread switch): the UI thread's and the
    bridge's cycles, if any, wait until it is back on. Free the objects before leaving: while it is off, every
    new object stays in the youngest generation, which its first pass afterwards walks whole."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _user_names(document: Any) -> list[str]:
    """The names of the users an export document holds, for the question before importing it (``import_profile``
    checks the document itself, and says what is wrong with it)."""
    users = document.get("users") if isinstance(document, dict) else None
    if not isinstance(users, list):
        return []
    return [u["name"] for u in users if isinstance(u, dict) and isinstance(u.get("name"), str)]


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))
