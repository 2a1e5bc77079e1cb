"""The folder organizer's index: which folders the user added, and per file its size, time, kind and the tags
suggested for it, in ``<home>/folders.sqlite``. The tags the user gives a file live in the profile (site
``files``, item = the file's path), like every other feedback.

``index_files`` reads files (``documents``) and asks the ``Service`` for suggestions; it reports progress and
stops between batches when its cancel event is set; a file it cannot take (a named pipe, a name that is not
UTF-8) is reported and skipped, never the whole folder. While the model is still loading (the app's start) it
waits for it, cancellably; a model that cannot load ends the job with ``ModelFileError``. ``stale_files``
lists what a scan must (re)index: new files, and files whose size or modification time changed (``changed``
is the same test for given paths); a folder that is missing (an unplugged drive) is not scanned, so its files
are not taken for gone. A file renamed or moved keeps its row under its new path (``FolderIndex.move``), so
that its suggestions, and the tags the profile keeps under its path (``Profile.move_items``), follow it. A file
moved where no watcher sees it as a move (between two organized folders: a deletion in one, a new file in the
other; or while tagrec was not running) is recognised when it turns up (``FolderIndex.arrive``) by its name,
device, inode, size, time and content digest, its old path being gone: the index keeps the files forgotten in
the last ``DEPARTED_SECONDS`` for that.
Thread-safe: one connection behind a lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat as stat_mode
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from tagrec_core.documents import is_document, not_regular, read_document
from tagrec_core.errors import Cancelled, InputError, TagrecError
from tagrec_core.home import resolve_home
from tagrec_core.profile.feedback import DEFAULT_USER
from tagrec_core.service import ModelLoading, Service, SuggestRequest
from tagrec_core.suggestion import Suggestion
from tagrec_core.text import is_unicode
from tagrec_core.transactions import immediate

__all__ = [
    "FOLDERS_FILE", "NAME_NOT_UTF8", "FileEntry", "FileSummary", "FolderIndex", "IndexingStopped", "RemovedFolder",
    "changed", "index_files", "is_there", "stale_files",
]  # fmt: skip

FOLDERS_FILE = "folders.sqlite"
BATCH = 32
SUGGESTIONS = 8
MAX_BODY_CHARS = 4_000  # of a document, sent for suggestions
MODEL_WAIT_STEP = 0.1  # seconds between looks at the cancel event while the model loads
# Why a file whose name is not UTF-8 is skipped (``index_files``' ``skipped``); a constant so front-ends can
# recognise it and say it in their language.
NAME_NOT_UTF8 = "its name is not valid UTF-8: rename the file to index it"
# How long a forgotten file can still turn up elsewhere as itself (``FolderIndex.arrive``): a move between two
# organized folders is seen within seconds, but at start one folder's scan (which forgets the file) may run long
# before the other's (which finds it).
DEPARTED_SECONDS = 3600.0
# How much of a file's head and of its tail its digest covers (``_digest``): all of a note, a bounded read of a
# big PDF. Enough to tell apart two files that merely share a name, size, time and a reused inode.
DIGEST_SPAN = 65_536

migrations = Migrations("tagrec-folders")


@migrations()
def m001_folders(db: Database) -> None:
    db["folders"].create({"path": str, "added": str}, pk="path")
    db["files"].create(
        {
            "path": str,
            "folder": str,
            "size": int,
            "mtime": float,
            "title": str,
            "kind": str,
            "problem": str,
            "suggested": str,
            "indexed": str,
        },
        pk="path",
    )
    db["files"].create_index(["folder"])


@migrations()
def m002_identity(db: Database) -> None:
    """Each file's device and inode (filled as files are indexed or scanned), and the files forgotten lately
    (``departed``: the columns of ``files`` and when it went), so that a file that went away and turns up under
    another path is known as itself."""
    db["files"].add_column("device", int)
    db["files"].add_column("inode", int)
    db["files"].create_index(["inode"])
    db["departed"].create(
        {
            "path": str,
            "folder": str,
            "size": int,
            "mtime": float,
            "title": str,
            "kind": str,
            "problem": str,
            "suggested": str,
            "indexed": str,
            "device": int,
            "inode": int,
            "gone": float,
        },
        pk="path",
    )
    db["departed"].create_index(["inode"])
    db["departed"].create_index(["gone"])


@migrations()
def m003_digest(db: Database) -> None:
    """Each file's content digest when it was indexed (``_digest``; ``NULL`` for rows indexed before), so that an
    unrelated file that reuses a departed file's inode, name, size and time is not taken for it."""
    db["files"].add_column("digest", str)
    db["departed"].add_column("digest", str)


class IndexingStopped(Cancelled):
    """``index_files`` stopped because it was asked to, after ``done`` of ``total`` files (front-ends say the
    numbers in their language)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"indexing stopped after {done} of {total} files")
        self.done = done
        self.total = total


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One indexed file and the tags suggested for it (best first)."""

    path: str
    folder: str
    title: str
    kind: str
    problem: str
    suggested: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FileSummary:
    """What a list of files shows of one: no full suggestions, only the ``top`` suggested tags (best first)."""

    path: str
    folder: str
    title: str
    problem: str
    top: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemovedFolder:
    """What ``remove_folder`` took out of the index, so that ``restore_folder`` can put it back (undo)."""

    path: str
    added: str
    files: tuple[tuple[Any, ...], ...]  # rows of the ``files`` table, columns in ``_FILE_COLUMNS`` order


_FILE_COLUMNS = "path, folder, size, mtime, title, kind, problem, suggested, indexed, device, inode, digest"
_FILE_VALUES = ", ".join("?" * len(_FILE_COLUMNS.split(", ")))

# A tag never holds a control character (the profile refuses them), so one can join a row's top tags in SQL.
_JOIN = "\x1f"


class FolderIndex:
    """The index file of a home. Close it when done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            with self._write() as conn:
                migrations.apply(Database(conn))
        except sqlite3.DatabaseError as error:
            raise TagrecError(f"the folder index {path} cannot be used: {error}") from None

    @classmethod
    def for_home(cls, home: str | Path | None = None) -> FolderIndex:
        return cls(resolve_home(home) / FOLDERS_FILE)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- folders ---------------------------------------------------------------------------------------------

    def add_folder(self, folder: Path) -> str:
        """Remember ``folder`` (absolute, resolved); returns its key. A missing folder, or one whose path is not
        UTF-8 (SQLite cannot store it), is an ``InputError``."""
        resolved = folder.expanduser().resolve()
        if not resolved.is_dir():
            raise InputError(f"{folder} is not a folder")
        if not is_unicode(str(resolved)):
            shown = os.fsencode(resolved).decode("utf-8", "replace")
            raise InputError(f"{shown}: the folder's name is not valid UTF-8; rename it to organize it")
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO folders (path, added) VALUES (?, ?)", (str(resolved), _now()))
        return str(resolved)

    def remove_folder(self, folder: str) -> RemovedFolder:
        """Forget a folder and its files' suggestions, in one transaction; returns what was forgotten, for
        ``restore_folder``. Only the index changes: the files on disk, and the tags the user gave them (in the
        profile, in extended attributes, in sidecars), stay."""
        with self._write() as conn:
            added = conn.execute("SELECT added FROM folders WHERE path = ?", (folder,)).fetchone()
            files = conn.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE folder = ?", (folder,)).fetchall()
            conn.execute("DELETE FROM files WHERE folder = ?", (folder,))
            conn.execute("DELETE FROM folders WHERE path = ?", (folder,))
        return RemovedFolder(folder, added[0] if added else _now(), tuple(files))

    def restore_folder(self, removed: RemovedFolder) -> None:
        """Put back a folder ``remove_folder`` forgot, with its files as they were then (a later scan updates
        them). The folder need not exist now: it is shown as missing until it is back."""
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO folders (path, added) VALUES (?, ?)", (removed.path, removed.added))
            conn.executemany(f"INSERT OR IGNORE INTO files ({_FILE_COLUMNS}) VALUES ({_FILE_VALUES})", removed.files)

    def folders(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT path FROM folders ORDER BY path")]

    # --- files -----------------------------------------------------------------------------------------------

    def summaries(self, top: int = 3, min_score: float = 0.0, paths: Iterable[str] | None = None) -> list[FileSummary]:
        """Every indexed file (or those of ``paths`` that are indexed), by path, with its ``top`` suggested tags of
        score ``min_score`` or more (cut in SQL, not decoded in Python: cheap enough for lists of tens of
        thousands of files; a few ``paths`` cost a few index look-ups, not a pass over every file)."""
        only = "" if paths is None else " WHERE path IN (SELECT value FROM json_each(?))"
        query = (
            "SELECT path, folder, title, problem, (SELECT group_concat(t, char(31)) FROM"
            " (SELECT json_extract(value, '$.tag') AS t FROM json_each(files.suggested)"
            "  WHERE json_extract(value, '$.score') >= ? ORDER BY key LIMIT ?))"
            f" FROM files{only} ORDER BY path"
        )
        args: tuple[object, ...] = (min_score, top)
        if paths is not None:
            args += (json.dumps([p for p in paths if is_unicode(p)], ensure_ascii=False),)
        with self._lock:
            rows = self._conn.execute(query, args).fetchall()
        return [FileSummary(p, f, t, pr or "", tuple(tags.split(_JOIN)) if tags else ()) for p, f, t, pr, tags in rows]

    def entry(self, path: str) -> FileEntry | None:
        """The indexed file at ``path``, or ``None``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT path, folder, title, kind, problem, suggested FROM files WHERE path = ?", (path,)
            ).fetchone()
        if row is None:
            return None
        p, f, t, k, pr, s = row
        return FileEntry(p, f, t, k, pr or "", json.loads(s or "[]"))

    def known(self, folder: str) -> dict[str, tuple[int, float]]:
        """Size and modification time of each indexed file of ``folder``."""
        with self._lock:
            rows = self._conn.execute("SELECT path, size, mtime FROM files WHERE folder = ?", (folder,)).fetchall()
        return {p: (s, m) for p, s, m in rows}

    def holds_files(self, folder: str) -> bool:
        """Whether any file of ``folder`` is indexed."""
        with self._lock:
            return self._conn.execute("SELECT 1 FROM files WHERE folder = ? LIMIT 1", (folder,)).fetchone() is not None

    def stat_of(self, path: str) -> tuple[int, float] | None:
        """Size and modification time of the indexed file at ``path`` when it was indexed, or ``None``."""
        if not is_unicode(path):  # a name that is not UTF-8 was never indexed (and SQLite cannot take it)
            return None
        with self._lock:
            row = self._conn.execute("SELECT size, mtime FROM files WHERE path = ?", (path,)).fetchone()
        return (row[0], row[1]) if row else None

    def store(self, folder: str, path: Path, stat: os.stat_result, title: str, kind: str, problem: str,
              suggested: list[dict[str, Any]]) -> bool:  # fmt: skip
        """Store one indexed file of ``folder``, with the digest of its content (read here, outside the lock); True
        when stored. Nothing is stored when ``folder`` is no longer in the index (the user removed it while a job
        was indexing it: its files must not come back)."""
        digest = _digest(path, stat)
        with self._write() as conn:
            return conn.execute(
                f"INSERT OR REPLACE INTO files ({_FILE_COLUMNS}) SELECT {_FILE_VALUES}"
                " WHERE EXISTS (SELECT 1 FROM folders WHERE path = ?)",
                (str(path), folder, stat.st_size, stat.st_mtime, title, kind, problem,
                 json.dumps(suggested, ensure_ascii=False), _now(), stat.st_dev, stat.st_ino, digest, folder),
            ).rowcount > 0  # fmt: skip

    def forget(self, path: str) -> bool:
        """Drop a file that went away, or every file below a folder that went away (whole path components:
        ``/a/b`` holds ``/a/b/c``, never ``/a/bc``); True when something was indexed. What is dropped stays
        known for ``DEPARTED_SECONDS``, in case it turns up elsewhere (``arrive``)."""
        if not is_unicode(path):  # a name that is not UTF-8 was never indexed (and SQLite cannot take it)
            return False
        with self._write() as conn:
            return _depart(conn, _AT_OR_BELOW, _at_or_below(path)) > 0

    def arrive(self, paths: Iterable[Path]) -> list[tuple[str, str]]:
        """Recognise, among ``paths`` (files new at their path, or changed), files indexed under another path
        that they left: moved between two organized folders (which watchers see as a deletion in one and a new
        file in the other, in either order), or while tagrec was not running. Each such file's row moves to
        its new path, as ``move`` does, from the index or from the files forgotten in the last
        ``DEPARTED_SECONDS``; in one transaction. Returns the files moved, ``(old, new)`` in order, for
        ``Profile.move_items``; the other paths are left to be indexed.

        Giving one file's tags to another is worse than losing them, so a file is the one that left ``old``
        only when all of this holds: nothing is at ``old`` any more (a hard link whose original was then saved
        by an editor, as a new file under the old name, is another file); the file name is the same (a move by
        a file manager or ``mv`` keeps it; a rename to another name where no watcher saw it is indexed as new);
        its device, inode, size and modification time are the ones indexed; and so is its content digest,
        where the row has one (rows indexed before the index kept digests have none). An inode number is
        reused by unrelated files, and ``cp -p``, ``rsync -a``, ``tar`` or ``unzip`` give them the size and
        time of another. A path the index already holds, or that lies in no organized folder, is not an
        arrival. Moved across file systems (a copy and a deletion), a file has a new inode and is indexed as
        new."""
        found = []
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            if is_unicode(str(path)):
                found.append((str(path), stat))
        if not found:
            return []
        done: list[tuple[str, str]] = []
        with self._write() as conn:
            conn.execute("DELETE FROM departed WHERE gone < ?", (time.time() - DEPARTED_SECONDS,))
            folders = [row[0] for row in conn.execute("SELECT path FROM folders ORDER BY path")]
            for new, stat in found:
                owner = _owner(folders, new)
                if owner is None or conn.execute("SELECT 1 FROM files WHERE path = ?", (new,)).fetchone():
                    continue
                old = _arrived_from(conn, new, owner, stat)
                if old is not None:
                    done.append((old, new))
        return done

    def fill_identity(self, stats: Iterable[tuple[str, os.stat_result]]) -> None:
        """Record the device and inode of indexed files whose size and time are as indexed (a scan's): rows
        indexed before the index kept them, or a file put back (a restore) under a new inode."""
        rows = [(stat.st_dev, stat.st_ino, path, stat.st_dev, stat.st_ino) for path, stat in stats]
        if rows:
            with self._write() as conn:
                conn.executemany(
                    "UPDATE files SET device = ?, inode = ? WHERE path = ?"
                    " AND (device IS NOT ? OR inode IS NOT ?)", rows
                )  # fmt: skip

    def identities(self, folder: str) -> dict[str, tuple[int | None, int | None]]:
        """Device and inode of each indexed file of ``folder`` (``None`` where not known yet)."""
        with self._lock:
            rows = self._conn.execute("SELECT path, device, inode FROM files WHERE folder = ?", (folder,))
            return {p: (d, i) for p, d, i in rows.fetchall()}

    def move(self, moves: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Give indexed files the paths they were renamed or moved to, keeping their rows (suggestions, size and
        time): each ``(old, new)`` moves the file at ``old``, or every file below the folder ``old`` (whole
        path components, as ``forget``), to the same place under ``new``. In the given order, in one
        transaction.

        A row already at a new path is replaced: the move replaced that file. A file whose new path lies in no
        folder of the index (moved out of the organizer), or is not UTF-8, is forgotten. Returns the files
        moved, ``(old, new)`` in order, for ``Profile.move_items``: not those forgotten, whose tags stay under
        the old path as a deleted file's do."""
        done: list[tuple[str, str]] = []
        with self._write() as conn:
            folders = [row[0] for row in conn.execute("SELECT path FROM folders ORDER BY path")]
            for old, new in moves:
                if old == new or not is_unicode(old):  # a name that is not UTF-8 was never indexed
                    continue
                rows = conn.execute(f"SELECT path FROM files WHERE {_AT_OR_BELOW} ORDER BY path", _at_or_below(old))
                for path in [row[0] for row in rows.fetchall()]:
                    target = new + path[len(old) :]
                    owner = _owner(folders, target) if is_unicode(target) else None
                    if owner is None:  # out of the organizer: it may still turn up in another folder (``arrive``)
                        _depart(conn, "path = ?", (path,))
                        continue
                    conn.execute("DELETE FROM files WHERE path = ?", (target,))
                    conn.execute("UPDATE files SET path = ?, folder = ? WHERE path = ?", (target, owner, path))
                    done.append((path, target))
        return done

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._conn, self._lock)


# A path, or any path below it: the paths that start with it and a separator sort between ``path + sep`` and
# ``path`` + the character after the separator (SQLite compares text byte by byte; the primary key serves it).
_AT_OR_BELOW = "(path = ? OR (path >= ? AND path < ?))"


def _at_or_below(path: str) -> tuple[str, str, str]:
    """The arguments of ``_AT_OR_BELOW`` for ``path``."""
    top = path.rstrip(os.sep)
    return path, top + os.sep, top + chr(ord(os.sep) + 1)


def _depart(conn: sqlite3.Connection, where: str, args: tuple[str, ...]) -> int:
    """Drop the rows of ``files`` ``where`` says, keeping them in ``departed`` (``arrive``) for
    ``DEPARTED_SECONDS``; returns how many. The older departed rows (their titles) go now, not only when a file
    arrives."""
    now = time.time()
    conn.execute("DELETE FROM departed WHERE gone < ?", (now - DEPARTED_SECONDS,))
    conn.execute(
        f"INSERT OR REPLACE INTO departed ({_FILE_COLUMNS}, gone) SELECT {_FILE_COLUMNS}, ? FROM files WHERE {where}",
        (now, *args),
    )
    return conn.execute(f"DELETE FROM files WHERE {where}", args).rowcount


def _arrived_from(conn: sqlite3.Connection, new: str, owner: str, stat: os.stat_result) -> str | None:
    """Move the row of the file that left its old path and is now at ``new`` (of folder ``owner``): from
    ``files`` (its old path not forgotten yet) or from ``departed``, by the rules of ``FolderIndex.arrive``.
    Returns the old path, or ``None``."""
    same = "device = ? AND inode = ? AND size = ? AND mtime = ?"
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime)
    name = os.path.basename(new)
    digests: list[str | None] = []  # the new file's, read once and only if a row has one to compare

    def content_matches(digest: str | None) -> bool:
        if digest is None:
            return True
        if not digests:
            digests.append(_digest(Path(new), stat))
        return digests[0] == digest

    for table in ("files", "departed"):
        rows = conn.execute(f"SELECT path, digest FROM {table} WHERE {same} ORDER BY path", identity).fetchall()
        old = next(
            (
                path
                for path, digest in rows
                if os.path.basename(path) == name and not os.path.lexists(path) and content_matches(digest)
            ),
            None,
        )
        if old is None:
            continue
        columns = _FILE_COLUMNS.replace("path, folder, ", "")
        conn.execute(
            f"INSERT INTO files (path, folder, {columns}) SELECT ?, ?, {columns} FROM {table} WHERE path = ?",
            (new, owner, old),
        )
        conn.execute(f"DELETE FROM {table} WHERE path = ?", (old,))
        return old
    return None


def _digest(path: Path, stat: os.stat_result) -> str | None:
    """A digest of the content of the regular file ``stat`` describes, at ``path``: BLAKE2b of its first and last
    ``DIGEST_SPAN`` bytes and its size (the whole file when it is smaller). ``None`` when ``path`` is not that
    file (gone, replaced, or changed since ``stat``) or cannot be read. Opened non-blocking: a named pipe put
    in a file's place must not hang the indexing thread."""
    if not stat_mode.S_ISREG(stat.st_mode):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino, now.st_size, now.st_mtime) != (
            stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime,
        ):  # fmt: skip
            return None
        digest = hashlib.blake2b(str(stat.st_size).encode(), digest_size=16)
        with os.fdopen(os.dup(fd), "rb") as file:
            digest.update(file.read(DIGEST_SPAN))
            if stat.st_size > DIGEST_SPAN:
                file.seek(max(DIGEST_SPAN, stat.st_size - DIGEST_SPAN))
                digest.update(file.read(DIGEST_SPAN))
        return digest.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def _owner(folders: list[str], path: str) -> str | None:
    """The folder of ``folders`` that holds ``path`` (the first, as ``FolderView.index_paths`` picks), or None."""
    return next((folder for folder in folders if Path(path).is_relative_to(folder)), None)


def walk(folder: str) -> Iterator[Path]:
    """Every document below ``folder`` (hidden folders and temporary files left out), in a stable order."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if is_document(path):
                yield path


def stale_files(index: FolderIndex, folder: str) -> tuple[list[Path], list[str]]:
    """What a scan of ``folder`` must do: files to (re)index, and indexed paths that are gone.

    ``InputError`` when ``folder`` is missing, before or after the walk: an unplugged drive or an unmounted share
    must not make every file it holds look gone (``os.walk`` says nothing when its folder disappears)."""
    _require_folder(index, folder)
    known = index.known(folder)
    identities = index.identities(folder)
    todo: list[Path] = []
    seen: set[str] = set()
    unknown: list[tuple[str, os.stat_result]] = []  # as indexed, but the device or inode not as recorded
    for path in walk(folder):
        seen.add(str(path))
        try:
            stat = path.stat()
        except OSError:
            continue
        if known.get(str(path)) != (stat.st_size, stat.st_mtime):
            todo.append(path)
        elif identities.get(str(path)) != (stat.st_dev, stat.st_ino):
            unknown.append((str(path), stat))
    _require_folder(index, folder)
    index.fill_identity(unknown)
    return todo, [p for p in known if p not in seen]


def changed(index: FolderIndex, paths: Iterable[Path]) -> list[Path]:
    """Those of ``paths`` that need (re)indexing: not indexed, or their size or modification time is not what
    the index holds (``stale_files``' test). A file that vanished is left out (the watcher reports it gone).

    Why: a watcher event is no proof of new content. Writing a file's tags into its extended attribute (tagrec's
    own, or another tagger's) or a ``chmod`` changes only metadata, and re-reading and re-suggesting the file
    would be wasted work, or a loop with a tool that reacts to tagrec's writes."""
    out = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        if index.stat_of(str(path)) != (stat.st_size, stat.st_mtime):
            out.append(path)
    return out


def is_there(index: FolderIndex, folder: str) -> bool:
    """Whether ``folder`` is there to scan: it exists, and it is not empty while the index holds files of it. An
    empty folder where files were is a drive not mounted (its mount point stays behind), far likelier than every
    file deleted at once; taken for gone, its files would lose their suggestions. Removing the folder from the
    organizer forgets them, if they really are gone."""
    try:
        if not os.path.isdir(folder):
            return False
        with os.scandir(folder) as entries:
            empty = next(entries, None) is None
    except OSError:  # unreadable: not there to scan either
        return False
    return not empty or not index.holds_files(folder)


def _require_folder(index: FolderIndex, folder: str) -> None:
    if not is_there(index, folder):
        raise InputError(f"{folder} is missing: reconnect the drive, or remove the folder from the organizer")


def index_files(
    index: FolderIndex,
    service: Service,
    folder: str,
    paths: Iterable[Path],
    *,
    user: str = DEFAULT_USER,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    skipped: Callable[[Path, str], None] | None = None,
    waiting: Callable[[], None] | None = None,
) -> int:
    """Read ``paths`` (files of ``folder``), suggest tags for each and store them; returns how many were stored.

    Suggestions for a batch are asked at once, so the service's worker batches them. ``progress(done, total)``
    is called after each batch; ``Cancelled`` is raised between batches once ``cancel`` is set (what was
    stored stays). A file that vanished meanwhile is passed over silently; one that cannot be taken (not a
    regular file, a name that is not UTF-8, a request the service refuses) is reported to
    ``skipped(path, problem)`` and passed over, so the rest of the folder is still indexed.

    While the model a file needs is still loading, indexing waits for it: ``waiting()`` is called when the
    wait begins, ``progress(done, total)`` once it is over, and ``Cancelled`` is raised if ``cancel`` is set
    meanwhile. A model that cannot be loaded raises ``ModelFileError``: no file could be indexed, so the
    job stops with one clear reason instead of failing file by file.
    """
    todo = list(paths)
    done = stored = 0

    def stopped() -> IndexingStopped:
        return IndexingStopped(done, len(todo))

    def wait_for_model(request: SuggestRequest) -> None:
        if waiting is not None:
            waiting()
        if not _await_model(service, request, cancel):
            raise stopped()
        if progress is not None:  # the wait is over: "waiting" gives way to the numbers
            progress(done, len(todo))

    for start in range(0, len(todo), BATCH):
        if cancel is not None and cancel.is_set():
            raise stopped()
        batch = []
        for path in todo[start : start + BATCH]:
            try:
                stat = path.stat()
            except OSError:
                continue
            why = _cannot_index(path, stat)
            if why:
                _report(skipped, path, why)
                continue
            doc = read_document(path)
            request = SuggestRequest(doc.title, doc.body[:MAX_BODY_CHARS], site="files", limit=SUGGESTIONS, user=user)
            try:
                future = _submit(service, request, wait_for_model)
            except InputError as error:  # about this file only (e.g. a text the model cannot take)
                _report(skipped, path, str(error))
                continue
            batch.append((path, stat, doc, future))
        for path, stat, doc, future in batch:
            suggested = [s.to_dict() for s in future.result(120)]
            stored += index.store(folder, path, stat, doc.title, doc.kind, doc.problem, suggested)
        done += len(todo[start : start + BATCH])
        if progress is not None:
            progress(done, len(todo))
    return stored


def _submit(
    service: Service, request: SuggestRequest, wait_for_model: Callable[[SuggestRequest], None]
) -> Future[list[Suggestion]]:
    """``service.submit(request)``, after ``wait_for_model(request)`` if its model is loading (which raises to
    give up). ``ModelFileError`` (the model cannot load) and ``InputError`` pass through, and so does a
    ``ModelLoading`` after the wait: the load ended without a model, which only a closing service does."""
    try:
        return service.submit(request)
    except ModelLoading:
        wait_for_model(request)
    return service.submit(request)


def _await_model(service: Service, request: SuggestRequest, cancel: threading.Event | None) -> bool:
    """Wait until the model for ``request`` has loaded or failed (``Service.wait`` starts a load nobody asked
    for yet); False when ``cancel`` was set first. Waits in short steps: a user's Cancel, or the app quitting,
    must not wait for a model that takes long, or never comes (the service is closing)."""
    domains = [service.domain_for(request)]
    while cancel is None or not cancel.is_set():
        if service.wait(MODEL_WAIT_STEP, domains):
            return True
    return False


def _cannot_index(path: Path, stat: os.stat_result) -> str:
    """Why ``path`` cannot be indexed, or ``""``. Its content is never opened here: a named pipe would block."""
    if not is_unicode(str(path)):  # os.walk turns a name's non-UTF-8 bytes into lone surrogates
        return NAME_NOT_UTF8
    return not_regular(stat.st_mode)


def _report(skipped: Callable[[Path, str], None] | None, path: Path, why: str) -> None:
    if skipped is not None:
        skipped(path, why)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
