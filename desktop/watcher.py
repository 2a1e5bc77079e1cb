"""Watching the organizer's folders (watchdog): changed paths reach the Qt thread as a signal, once they have
settled.

A "created" event can arrive before a copy finishes, so a path is handed on only when its size and
modification time have stayed the same for ``SETTLE_MS`` (field-notes §5). Temporary and partial files, and
files in hidden folders, are ignored, and so are changes of a file's attributes alone: writing tags into
``user.xdg.tags`` (tagrec does when asked to) is one, and must not make the file be read again. Where inotify
cannot watch (its limit reached, network drives), the watcher falls back to polling.

A rename or move is reported as one, ``moved`` (old, new), never as a removal and a new file: the file's tags
are keyed by its path and must follow it. When one side of a move is ignored, the move is what the other side
sees: an editor's "write a temporary file, rename it over the original" changes the original, a file renamed
to a temporary name or into a hidden folder went away. A folder that went away (deleted, or moved out of the
watched folders) is reported ``removed`` as a whole: inotify says nothing about the files it held.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from tagrec_core.documents import in_hidden_folder, is_document

SETTLE_MS = 700


class _Handler(FileSystemEventHandler):
    def __init__(self, seen: Signal, moved: Signal, folder: str) -> None:
        self._seen = seen
        self._moved = moved
        self._folder = Path(folder)

    def on_any_event(self, event: FileSystemEvent) -> None:
        # "attrib" (inotify's IN_ATTRIB): permissions, owner, times or extended attributes changed, not the
        # content, which comes as "modified"/"closed". tagrec's own writes of a file's tags are such events.
        if event.event_type in ("opened", "closed_no_write", "attrib"):
            return
        src, dest = os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")
        if event.event_type == "moved":
            self._on_moved(src, dest, directory=event.is_directory)
        elif not event.is_directory:
            for path in (src, dest):
                # Hidden folders (.git, TagSpaces' .ts sidecars, which tagrec may write itself) are never indexed.
                if path and not in_hidden_folder(Path(path), self._folder):
                    self._seen.emit(path)
        elif event.event_type == "deleted" and self._visible(src, directory=True) and Path(src) != self._folder:
            # Not the watched folder itself: polling reports it deleted when its drive is unplugged, and a
            # missing folder's files stay indexed (``FolderView``).
            self._seen.emit(src)

    def _on_moved(self, src: str, dest: str, *, directory: bool) -> None:
        """A move where both sides are seen, else what the seen side saw: a change of ``dest`` (an editor's
        temporary file renamed over the original: same path, same tags), or ``src`` gone."""
        before, after = self._visible(src, directory=directory), self._visible(dest, directory=directory)
        if before and after:
            self._moved.emit(src, dest)
        elif after and not directory:  # a folder's files come as moves of their own (watchdog walks it)
            self._seen.emit(dest)
        elif before:
            self._seen.emit(src)

    def _visible(self, path: str, *, directory: bool) -> bool:
        """Whether ``path`` is something the organizer indexes: a document (or, ``directory``, a folder that
        is not hidden) outside hidden folders."""
        if not path or in_hidden_folder(Path(path), self._folder):
            return False
        return not Path(path).name.startswith(".") if directory else is_document(Path(path))


class FolderWatcher(QObject):
    """``changed(paths)``: settled files that appeared or changed; ``removed(paths)``: files (or folders) that
    went away; ``moved(pairs)``: files or folders renamed or moved, ``(old, new)`` in the order they happened.
    Each tick emits ``moved`` first: a move's old path is never reported removed, its new one is reported
    changed once settled (only files the index does not already hold as they are need indexing)."""

    changed = Signal(list)
    removed = Signal(list)
    moved = Signal(list)
    _seen = Signal(str)  # from watchdog's thread, queued to ours
    _moved = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[str, tuple[int, float] | None] = {}
        self._moves: list[tuple[str, str]] = []
        self._watches: dict[str, object] = {}
        self._observer = Observer()
        self._polling: PollingObserver | None = None
        self._observer.start()
        self._seen.connect(self._note)
        self._moved.connect(self._note_move)
        self._timer = QTimer(self)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._settle)
        self._timer.start()

    @property
    def polling(self) -> bool:
        """Whether some folder is watched by polling (inotify could not watch it)."""
        return self._polling is not None and bool(self._polling.emitters)

    def watch(self, folder: str) -> bool:
        """Watch ``folder`` and everything below it; True when it is watched (or already was).

        False, and nothing watched, when ``folder`` cannot be watched at all: it is missing (an unplugged
        drive, a deleted folder) or unreadable. Never raises: a folder gone since the last run must not stop
        the app from starting. Call again once the folder is back."""
        if folder in self._watches:
            return True
        if not os.path.isdir(folder):  # checked first: watchdog's polling would raise FileNotFoundError
            return False
        handler = _Handler(self._seen, self._moved, folder)
        try:
            self._watches[folder] = self._observer.schedule(handler, folder, recursive=True)
            return True
        except OSError:  # e.g. ENOSPC: the inotify limit; poll this folder instead
            pass
        if self._polling is None:
            self._polling = PollingObserver(timeout=5)
            self._polling.start()
        try:  # watchdog starts an emitter before it keeps it: a failed schedule leaves nothing behind
            self._watches[folder] = self._polling.schedule(handler, folder, recursive=True)
        except OSError:  # it vanished meanwhile, or cannot be read
            return False
        return True

    def watching(self, folder: str) -> bool:
        """Whether ``folder`` is being watched."""
        return folder in self._watches

    def unwatch(self, folder: str) -> None:
        watch = self._watches.pop(folder, None)
        for observer in (self._observer, self._polling):
            if watch is not None and observer is not None:
                with contextlib.suppress(KeyError, ValueError):
                    observer.unschedule(watch)

    def stop(self) -> None:
        self._timer.stop()
        for observer in (self._observer, self._polling):
            if observer is not None:
                observer.stop()
                observer.join(5)

    def _note(self, raw: str) -> None:
        self._pending.setdefault(raw, None)

    def _note_move(self, src: str, dest: str) -> None:
        """Keep a move for the next tick. What waits to settle under ``src`` waits under ``dest`` now: reported
        at ``src`` it would be gone, a removal. ``dest`` waits too: a file moved before it was indexed (a scan
        listed it under its old name) must still be, and one indexed as it is will not be again."""
        self._moves.append((src, dest))
        for raw in [raw for raw in self._pending if _below(raw, src)]:
            self._pending[dest + raw[len(src) :]] = self._pending.pop(raw)
        self._pending.setdefault(dest, None)

    def _settle(self) -> None:
        """Hand on the moves, then the paths whose size and time did not change since the last tick; the rest
        wait."""
        moves, self._moves = self._moves, []
        if moves:
            self.moved.emit(moves)
        ready, gone = [], []
        for raw, before in list(self._pending.items()):
            path = Path(raw)
            try:
                stat = path.stat()
            except OSError:
                gone.append(raw)
                del self._pending[raw]
                continue
            now = (stat.st_size, stat.st_mtime)
            if now == before:
                del self._pending[raw]
                if path.is_file() and is_document(path):
                    ready.append(raw)
            else:
                self._pending[raw] = now
        if ready:
            self.changed.emit(ready)
        if gone:
            self.removed.emit(gone)


def _below(path: str, top: str) -> bool:
    """Whether ``path`` is ``top`` or lies below it, by whole components (``/a/b`` holds ``/a/b/c``, not ``/a/bc``)."""
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)
