"""Watching the organizer's folders (watchdog): changed paths reach the Qt thread as a signal, once they have
settled.

A "created" event can arrive before a copy finishes, so a path is handed on only when its size and
modification time have stayed the same for ``SETTLE_MS`` (field-notes §5). Temporary and partial files, and
files in hidden folders, are ignored, and so are changes of a file's attributes alone: writing tags into
``user.xdg.tags`` (tagrec does when asked to) is one, and must not make the file be read again. Where inotify
cannot watch (its limit reached, network drives), the watcher falls back to polling.
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
    def __init__(self, seen: Signal, folder: str) -> None:
        self._seen = seen
        self._folder = Path(folder)

    def on_any_event(self, event: FileSystemEvent) -> None:
        # "attrib" (inotify's IN_ATTRIB): permissions, owner, times or extended attributes changed, not the
        # content, which comes as "modified"/"closed". tagrec's own writes of a file's tags are such events.
        if event.is_directory or event.event_type in ("opened", "closed_no_write", "attrib"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(raw)
            # Hidden folders (.git, TagSpaces' .ts sidecars, which tagrec may write itself) are never indexed.
            if path and not in_hidden_folder(Path(path), self._folder):
                self._seen.emit(path)


class FolderWatcher(QObject):
    """``changed(paths)``: settled files that appeared or changed; ``removed(paths)``: files that went away."""

    changed = Signal(list)
    removed = Signal(list)
    _seen = Signal(str)  # from watchdog's thread, queued to ours

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[str, tuple[int, float] | None] = {}
        self._watches: dict[str, object] = {}
        self._observer = Observer()
        self._polling: PollingObserver | None = None
        self._observer.start()
        self._seen.connect(self._note)
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
        handler = _Handler(self._seen, folder)
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

    def _settle(self) -> None:
        """Hand on the paths whose size and time did not change since the last tick; the rest wait."""
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
