"""The profile database: one SQLite file per home, one writer, any number of readers.

Durability: WAL journal with ``synchronous=FULL``, so a write method returns only after its transaction is
on disk; a process killed at any moment leaves every acknowledged event and a database that passes
``PRAGMA integrity_check``. Copying the WAL back into the database (a checkpoint) happens mostly in a background
thread, not inside a write: SQLite's automatic checkpoint ran in the commit that filled the WAL, and in a
25 MB profile that made one event in ~70 take 5-7 ms instead of under 1 ms.

Disk use: the WAL stays near ``WAL_LIMIT_BYTES`` (16 MiB; less on a disk getting full: at most a quarter of
its free space, and a write that finds the disk full makes the writer checkpoint at once). SQLite only rewinds
the WAL to its start when a checkpoint has copied all of it, and a background checkpoint beside a writer that
commits without pause never gets there (the WAL grew to 240 MB in a burst of 5,000 events, and filled a small
disk). So the writer, while it still holds the write lock after a commit that left the WAL past the limit, runs
one PASSIVE checkpoint itself: with no write of this process in between it reaches the end, and the next write
starts the WAL again from its beginning; ``journal_size_limit`` then cuts the file back to the limit. PASSIVE,
not RESTART or TRUNCATE: those wait for readers (a long export) while the writer holds its lock. A
reader still on an older snapshot only delays the rewind to a later write.

Deleted text: ``secure_delete`` overwrites it in the database file, but the WAL keeps the frames written before
a deletion until later writes overwrite them. So after a forget or reset, the WAL is copied in and truncated to
nothing (TRUNCATE, with no busy wait, so it never waits for readers either); when a reader on an older snapshot
stops that, the background checkpointer tries again until it gets through (``Profile._clear_wal``).

Concurrency: in a process, writes go through one connection behind a lock; reads use one connection per
thread and never wait for the writer (WAL readers see the last commit). Across processes, writers take the
database lock up front (``BEGIN IMMEDIATE``) and wait for each other through the busy timeout instead of
failing with "database is locked".

Damage: a file that is not a readable profile, or one written by a newer tagrec, is never changed; with
``recover=True`` it is moved aside (``profile.damaged-<time>.sqlite`` or ``profile.newer-<time>.sqlite``)
and a fresh profile starts, with ``Profile.recovered`` saying what happened so the front-end can tell the
user; with ``recover=False`` opening raises ``ProfileError``. Only SQLite's "corrupt" and "not a database"
errors (and a sound database that is not ours, or newer) count as damage: a full disk, a read-only file or
folder, an I/O error, a busy profile or a folder at the profile's path say nothing about the file, so it stays
where it is and ``ProfileError`` says what is wrong and what to do, whatever ``recover`` says.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlite_utils import Database

from tagrec_core.errors import ProfileError
from tagrec_core.profile import learning
from tagrec_core.profile.feedback import Feedback
from tagrec_core.profile.schema import migrations, newer_than_us
from tagrec_core.profile.timeline import DEFAULT_TOP, PeriodKind, Timeline, accept_rate
from tagrec_core.profile.timeline import timeline as _timeline  # the method of the same name delegates
from tagrec_core.text import normalize_tag

__all__ = ["Profile", "UserRow"]

BUSY_TIMEOUT_MS = 30_000
CLEAR_WAIT_S = 0.25  # how long a forget or reset waits for a checkpoint under way before leaving it to a retry
# The WAL's size at which the writer completes a checkpoint itself, and the size SQLite cuts the file back to
# after it rewinds (``journal_size_limit``). The event whose commit passes it pays for the checkpoint, so the
# larger, the rarer. so-users' 2,274 valid posts as feedback, back to back, after its 18k train posts
# (2026-11-25, same machine): 4 MiB (SQLite's own default point) -> one event in ~65 took 4-7 ms, p99 4.3-4.5 ms
# (1.0-1.4 ms with an unbounded WAL, which grew to 311 MB); 16 MiB -> p99 0.82 ms, 9 events over 4 ms, max
# 10.5 ms; 32 MiB -> 0.82 ms; 64 MiB -> 0.75 ms. A full disk checkpoints at once (``writing``), whatever the size.
WAL_LIMIT_BYTES = 16 * 1024 * 1024
# After a deletion, the file is rewritten without its free pages (VACUUM) when they are at least this share of it
# and of this many pages: a reset of everyone left an 80 MB file 99.9% free. VACUUM copies only the live pages, so
# it is quick exactly when most of the file is free; scattered free pages are reused by later writes anyway.
COMPACT_FREE_SHARE = 0.5
COMPACT_MIN_PAGES = 256


class UserRow(NamedTuple):
    """One user's row of ``users``."""

    id: int
    name: str
    clock: int
    version: int
    generation: int


class VocabEntry(NamedTuple):
    """One of the user's tags: how many of their items carry it and when it was last used (ISO 8601)."""

    tag: str
    items: int
    last_used: str


class Profile:
    """An open profile database. Thread-safe; close it when done (or use it as a context manager)."""

    def __init__(self, path: Path, writer: sqlite3.Connection, recovered: str | None) -> None:
        """Use ``Profile.open``."""
        self.path = path
        self.recovered = recovered
        self._writer = writer
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._checkpointer = _Checkpointer(path)
        self._closed = False

    # --- opening ---------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, recover: bool = True) -> Profile:
        """Open (creating if needed, migrating if older) the profile at ``path``.

        A damaged or newer profile: ``ProfileError`` when ``recover`` is false; else it is moved aside,
        a fresh profile is opened and ``recovered`` holds the message for the user.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ProfileError(f"cannot create the profile folder {path.parent}: {error.strerror or error}") from None
        try:
            return cls(path, _open_checked(path), None)
        except ProfileError as error:  # not the file's fault (full disk, read-only...): never move it aside
            raise ProfileError(f"{error}; the profile was left untouched") from None
        except _Unusable as problem:
            if not recover:
                raise ProfileError(f"{problem.message} ({path}); it was left untouched") from None
            what, backup = problem.message, _move_aside(path, problem.kind)
        try:
            return cls(path, _open_checked(path), f"{what}; it was moved to {backup} and a fresh profile was started")
        except (_Unusable, ProfileError) as error:
            # The fresh file can fail too (a full disk, another program creating the file at that moment): say
            # so, and where the old profile went, instead of letting the internal ``_Unusable`` escape.
            reason = error.message if isinstance(error, _Unusable) else str(error)
            raise ProfileError(
                f"{what}; it was moved to {backup}, but a fresh profile could not be started: {reason}"
            ) from None

    def close(self) -> None:
        """Close every connection; the object is unusable afterwards."""
        if self._closed:
            return
        self._closed = True
        clearing = self._checkpointer.close()
        with self._write_lock:
            if clearing:  # a deletion's text may still be in the WAL: one more try (the thread has stopped)
                _truncate_wal(self._writer)
            self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                with contextlib.suppress(sqlite3.ProgrammingError):
                    conn.close()
            self._readers.clear()

    def __enter__(self) -> Profile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- connections -----------------------------------------------------------------------------------------

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (autocommit: each query sees the last committed state)."""
        if self._closed:
            raise ProfileError("the profile is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside commits together (durably) or not at all."""
        if self._closed:
            raise ProfileError("the profile is closed")
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise ProfileError(f"the profile could not be written: {_trouble(error, self.path)}") from None
            try:
                yield conn
            except BaseException as error:
                # SQLite rolls back by itself after some errors (a full disk): then there is nothing to undo.
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error) and _environmental(error):
                    _bound_wal(conn, self.path, 0)  # a full disk: the next write reuses the WAL, not grows it
                    raise ProfileError(f"the profile could not be written: {_trouble(error, self.path)}") from None
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                _bound_wal(conn, self.path, 0)
                raise ProfileError(f"the profile could not be written: {_trouble(error, self.path)}") from None
            _bound_wal(conn, self.path)
        self._checkpointer.wrote()

    # --- feedback ----------------------------------------------------------------------------------------------

    def record(self, feedback: Feedback) -> int:
        """Store one event and learn from it; returns its id once it is durable. An event whose ``key`` the user
        already has is not stored again: the id is the stored event's (``learning.apply``)."""
        return self.record_many([feedback])[0]

    def record_many(self, events: Sequence[Feedback]) -> list[int]:
        """Store events in order, in one transaction (all or none); their ids once durable (keys as ``record``)."""
        received = _now()
        with self.writing() as conn:
            return [learning.apply(conn, event, received) for event in events]

    # --- aliases, implied tags, forgetting ---------------------------------------------------------------------

    def set_alias(self, alias: str, tag: str, user: str) -> None:
        """``alias`` is another name of ``tag`` for ``user``: suggestions and feedback use ``tag``."""
        with self.writing() as conn:
            learning.set_alias(conn, learning.user_id(conn, user, create=True), alias, tag)

    def remove_alias(self, alias: str, user: str) -> bool:
        with self.writing() as conn:
            uid = learning.user_id(conn, user)
            return uid is not None and learning.remove_alias(conn, uid, alias)

    def set_implied(self, tag: str, implies: str, user: str) -> None:
        """Whenever ``tag`` is suggested or chosen for ``user``, ``implies`` goes with it."""
        with self.writing() as conn:
            learning.set_implied(conn, learning.user_id(conn, user, create=True), tag, implies)

    def remove_implied(self, tag: str, implies: str, user: str) -> bool:
        with self.writing() as conn:
            uid = learning.user_id(conn, user)
            return uid is not None and learning.remove_implied(conn, uid, tag, implies)

    def forget_item(self, site: str, item: str, user: str) -> int:
        """Delete an item and its events everywhere; returns how many rows went (0: nothing known)."""
        with self.writing() as conn:
            uid = learning.user_id(conn, user)
            gone = 0 if uid is None else learning.forget_item(conn, uid, site, item)
        self._after_deletion(gone > 0)
        return gone

    def move_items(self, site: str, moves: Mapping[str, str]) -> int:
        """Rename items of every user (``old`` key -> ``new`` key, in the mapping's order: files renamed or moved,
        whose key is their path), in one transaction; returns how many user items moved. See
        ``learning.move_item``."""
        with self.writing() as conn:
            return sum(
                learning.move_item(conn, uid, site, old, new)
                for uid in learning.user_ids(conn)
                for old, new in moves.items()
            )

    def forget_tag(self, tag: str, user: str | None = None) -> int:
        """Remove a tag from every item, event, alias and implication (of ``user``, or of everyone)."""
        with self.writing() as conn:
            uids = [learning.user_id(conn, user)] if user is not None else learning.user_ids(conn)
            touched = sum(learning.forget_tag(conn, uid, tag) for uid in uids if uid is not None)
        self._after_deletion(touched > 0)
        return touched

    def reset(self, user: str | None = None) -> int:
        """Delete everything of ``user`` (or of every user); returns the number of users removed."""
        with self.writing() as conn:
            uids = [learning.user_id(conn, user)] if user is not None else learning.user_ids(conn)
            removed = [uid for uid in uids if uid is not None]
            for uid in removed:
                learning.delete_user(conn, uid)
        self._after_deletion(bool(removed))
        return len(removed)

    def _after_deletion(self, deleted: bool) -> None:
        """What a forget or reset owes the disk: the free pages back when most of the file is free
        (``_compact_if_sparse``), and, when it ``deleted`` something, the deleted text out of the WAL
        (``_clear_wal``)."""
        self._compact_if_sparse()
        if deleted:
            self._clear_wal()

    def _clear_wal(self) -> None:
        """Copy the whole WAL into the database and cut it to nothing (``_truncate_wal``), under the write lock,
        waiting at most ``CLEAR_WAIT_S`` for a checkpoint under way. ``secure_delete`` overwrites deleted text in
        the database file only; the WAL keeps the frames written before a deletion (with the text) until later
        writes happen to overwrite them, which in a quiet profile is never. A reader on an older snapshot (an
        export, another program reading) stops the truncation: then the background checkpointer tries again until
        it gets through, and ``close`` once more."""
        with self._write_lock:
            cleared = _truncate_wal(self._writer)
            # Our own background checkpoint may be copying the WAL at this moment (a checkpoint excludes another):
            # it ends in milliseconds, so wait for it a little rather than leave the text until a retry.
            deadline = time.monotonic() + CLEAR_WAIT_S
            while not cleared and time.monotonic() < deadline:
                time.sleep(0.005)
                cleared = _truncate_wal(self._writer)
        if not cleared:
            self._checkpointer.clear_later()

    def _compact_if_sparse(self) -> None:
        """Give the disk back the free pages of a file that is mostly free (``COMPACT_FREE_SHARE``) by rewriting it
        (VACUUM), under the write lock. Best effort: when it cannot run (a busy profile, a full disk) the free
        pages stay for later writes to reuse, and nothing is lost."""
        with self._write_lock, contextlib.suppress(sqlite3.Error):
            conn = self._writer
            pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
            free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
            if pages < COMPACT_MIN_PAGES or free < pages * COMPACT_FREE_SHARE:
                return
            conn.execute("VACUUM")  # into the WAL; the file shrinks when the checkpoint reaches its end
            _bound_wal(conn, self.path)
        self._checkpointer.wrote()

    # --- reading ---------------------------------------------------------------------------------------------

    def user(self, name: str) -> UserRow | None:
        """The user's row, or ``None`` when the profile has never heard of them."""
        row = (
            self.reader()
            .execute("SELECT id, name, clock, version, generation FROM users WHERE name = ?", (name,))
            .fetchone()
        )
        return None if row is None else UserRow(*row)

    def users(self) -> list[str]:
        return [r[0] for r in self.reader().execute("SELECT name FROM users ORDER BY name")]

    def stats(self, user: str | None = None) -> dict[str, Any]:
        """Counts for people and scripts (``tagrec profile stats``): ``path``, ``feedback_events`` and more."""
        conn = self.reader()
        where, args = ("WHERE user_id = (SELECT id FROM users WHERE name = ?)", (user,)) if user else ("", ())

        def count(table: str) -> int:
            return int(conn.execute(f"SELECT count(*) FROM {table} {where}", args).fetchone()[0])

        shown, accepted, rejected, hits = conn.execute(
            "SELECT coalesce(sum(shown), 0), coalesce(sum(accepted), 0), coalesce(sum(rejected), 0),"
            " coalesce(sum(hits), 0)"
            f" FROM vocab {where}",
            args,
        ).fetchone()
        top = conn.execute(
            f"SELECT tag, sum(items) AS n FROM vocab {where} GROUP BY tag HAVING n > 0 ORDER BY n DESC, tag LIMIT 10",
            args,
        ).fetchall()
        size = sum(p.stat().st_size for p in (self.path, _sidecar(self.path, "-wal")) if p.exists())
        return {
            "path": str(self.path),
            "bytes": size,
            "users": self.users() if user is None else [user] if self.user(user) else [],
            "feedback_events": count("events"),
            "items": count("items"),
            "tags": int(
                conn.execute(
                    f"SELECT count(*) FROM vocab {where} {'AND' if where else 'WHERE'} items > 0", args
                ).fetchone()[0]
            ),
            "aliases": count("aliases"),
            "implied": count("implied"),
            "shown": int(shown),
            "accepted": int(accepted),
            "rejected": int(rejected),
            "accept_rate": None if (rate := accept_rate(hits, shown)) is None else round(rate, 4),
            "top_tags": [{"tag": t, "items": int(n)} for t, n in top],
        }

    def holds_item(self, site: str, item: str, user: str) -> bool:
        """Whether ``forget_item`` would find anything: the user's item or events of it."""
        row = (
            self.reader()
            .execute(
                "SELECT EXISTS (SELECT 1 FROM items WHERE user_id = u.id AND site = ?1 AND item = ?2)"
                " OR EXISTS (SELECT 1 FROM events WHERE user_id = u.id AND site = ?1 AND item = ?2)"
                " FROM users u WHERE u.name = ?3",
                (site, item, user),
            )
            .fetchone()
        )
        return bool(row and row[0])

    def users_with_tag(self, tag: str, user: str | None = None) -> list[str]:
        """The users (``user``, or everyone) for whom ``forget_tag`` would change something: the tag is in their
        vocabulary (their items' tags, and every tag shown, accepted or rejected), an alias or implication, or
        an event's ``final`` list. Sorted by name."""
        tag = normalize_tag(tag)
        where, args = ("WHERE u.name = ?2", (tag, user)) if user is not None else ("", (tag,))
        rows = self.reader().execute(
            "SELECT u.name FROM users u"
            f" {where} {'AND' if where else 'WHERE'} ("
            " EXISTS (SELECT 1 FROM vocab WHERE user_id = u.id AND tag = ?1)"
            " OR EXISTS (SELECT 1 FROM aliases WHERE user_id = u.id AND (alias = ?1 OR tag = ?1))"
            " OR EXISTS (SELECT 1 FROM implied WHERE user_id = u.id AND (tag = ?1 OR implies = ?1))"
            " OR EXISTS (SELECT 1 FROM events e, json_each(e.final) j WHERE e.user_id = u.id AND j.value = ?1))"
            " ORDER BY u.name",
            args,
        )
        return [name for (name,) in rows.fetchall()]

    def vocabulary(self, user: str, prefix: str = "", limit: int = 20) -> list[VocabEntry]:
        """The user's own tags that start with ``prefix`` (normalised), most used recently first; an alias that
        starts with ``prefix`` brings its tag. For autocomplete: one indexed query, no learning."""
        row = self.user(user)
        if row is None or limit < 1:
            return []
        pattern = _like_prefix(normalize_tag(prefix)) if prefix.strip() else "%"
        rows = (
            self.reader()
            .execute(
                "SELECT v.tag, v.items, v.last_used FROM vocab v WHERE v.user_id = ?1 AND v.items > 0"
                " AND (v.tag LIKE ?2 ESCAPE '\\' OR v.tag IN"
                " (SELECT a.tag FROM aliases a WHERE a.user_id = ?1 AND a.alias LIKE ?2 ESCAPE '\\'))"
                " ORDER BY v.weight_long DESC, v.items DESC, v.tag LIMIT ?3",
                (row.id, pattern, limit),
            )
            .fetchall()
        )
        return [VocabEntry(tag, int(items), last_used or "") for tag, items, last_used in rows]

    def item_tags(self, user: str, site: str, items: list[str]) -> dict[str, list[str]]:
        """The current tags of the user's ``items`` of ``site`` (items the profile does not know are left out)."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(items), 500):  # bounded statements, whatever the number of items
            part = items[start : start + 500]
            rows = self.reader().execute(
                "SELECT item, tags FROM items WHERE user_id = (SELECT id FROM users WHERE name = ?) AND site = ?"
                f" AND item IN ({','.join('?' * len(part))})",
                (user, site, *part),
            )
            found.update((item, json.loads(tags)) for item, tags in rows.fetchall())
        return found

    def aliases(self, user: str) -> dict[str, str]:
        """The user's aliases: ``alias`` -> ``tag``, by alias."""
        rows = self.reader().execute(
            "SELECT alias, tag FROM aliases WHERE user_id = (SELECT id FROM users WHERE name = ?) ORDER BY alias",
            (user,),
        )
        return dict(rows.fetchall())

    def implications(self, user: str) -> list[tuple[str, str]]:
        """The user's implied tags: (``tag``, ``implies``) pairs, sorted."""
        rows = self.reader().execute(
            "SELECT tag, implies FROM implied WHERE user_id = (SELECT id FROM users WHERE name = ?)"
            " ORDER BY tag, implies",
            (user,),
        )
        return [(tag, implies) for tag, implies in rows.fetchall()]

    def timeline(self, user: str, *, period: PeriodKind | None = None, top: int = DEFAULT_TOP) -> Timeline:
        """The user's feedback per ``period`` ("day", "week", "month"; ``None``: chosen from the span of the
        history): events, shown/accepted/rejected tags, accept rate, and the uses of their ``top`` tags. For
        the profile's plots; definitions in ``tagrec_core.profile.timeline``. Empty for an unknown user or no
        events; ``ValueError`` for another period. One scan of the user's events (about 0.5 s for 100k)."""
        row = self.user(user)
        return _timeline(self.reader(), None if row is None else row.id, user, period=period, top=top)

    def integrity(self) -> str:
        """``PRAGMA integrity_check`` of the database (``"ok"`` when sound)."""
        return str(self.reader().execute("PRAGMA integrity_check").fetchone()[0])


# --- helpers ---------------------------------------------------------------------------------------------------


class _Unusable(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    # Deleted text (a forgotten item or tag, a reset) is overwritten in the file, not left in free space: many
    # SQLite builds have this on by default, but not all.
    conn.execute("PRAGMA secure_delete = ON")
    return conn


def _bound_wal(conn: sqlite3.Connection, path: Path, limit: int | None = None) -> None:
    """Keep the WAL near ``WAL_LIMIT_BYTES`` (see the module's docstring): once it has passed ``limit`` (default:
    ``WAL_LIMIT_BYTES``, or a quarter of the disk's free space when that is less), checkpoint it to its end from
    the writer connection, outside any transaction and under the caller's write lock, so the next write rewinds
    it. Never fails: the write it follows is already durable (or failed and was rolled back), and a checkpoint
    that cannot run now (another process's checkpoint) is tried again after the next write."""
    try:
        if limit is None:  # on a disk getting full, the WAL may keep a quarter of what is left, so data gets the rest
            limit = min(WAL_LIMIT_BYTES, _free_bytes(path) // 4)
        if _sidecar(path, "-wal").stat().st_size <= limit:
            return
    except OSError:
        return
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _truncate_wal(conn: sqlite3.Connection) -> bool:
    """Checkpoint the whole WAL into the database and truncate it to zero bytes (``wal_checkpoint(TRUNCATE)``)
    from ``conn``, outside any transaction, without waiting (busy timeout 0 meanwhile): TRUNCATE waits for every
    reader on an older snapshot, and the caller may hold the write lock. Returns whether it got through; ``False``
    when a reader, another process's write or checkpoint, or an error stopped it (nothing is lost: try later)."""
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except sqlite3.Error:
        return False
    return busy == 0


def _free_bytes(path: Path) -> int:
    """The bytes this process may still write on the disk of ``path`` (a few microseconds)."""
    return shutil.disk_usage(path.parent).free


class _Checkpointer:
    """Checkpoints the WAL in a thread of its own (started at the first write) after writes, at most every
    ``PAUSE`` seconds; the writer connection's automatic checkpoint is off (``_open_checked``). Asked to clear
    the WAL after a deletion (``clear_later``), it truncates it instead (``_truncate_wal``), trying again on its
    own, every ``PAUSE`` doubling up to ``CLEAR_RETRY_MAX`` seconds, until it gets through."""

    PAUSE = 0.25
    CLEAR_RETRY_MAX = 5.0

    def __init__(self, path: Path) -> None:
        self._path = path
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._clear = threading.Event()  # a deletion's text may still be in the WAL
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wrote(self) -> None:
        """A write was committed: checkpoint soon."""
        self._ask()

    def clear_later(self) -> None:
        """A deletion was committed but the WAL could not be truncated yet: truncate it as soon as nothing stops
        it (a request after ``close`` is ignored: ``close`` says it was pending)."""
        self._clear.set()
        self._ask()

    def close(self) -> bool:
        """Stop the thread after its current checkpoint (closing the last connection checkpoints the rest).
        Returns whether a truncation asked by ``clear_later`` never got through."""
        with self._lock:
            self._stop.set()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=BUSY_TIMEOUT_MS / 1000)
        return self._clear.is_set()

    def _ask(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None:
                name = f"tagrec-profile-checkpoint {self._path}"
                self._thread = threading.Thread(target=self._run, name=name, daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        conn = _connect(self._path)
        retry = self.PAUSE
        try:
            while True:
                # Woken by a write; while a truncation is owed, also by the time to try it again.
                self._wake.wait(retry if self._clear.is_set() else None)
                if self._stop.is_set():
                    return
                self._wake.clear()
                if self._clear.is_set():
                    # Cleared before trying: a request that comes meanwhile sets it again, and is never lost.
                    self._clear.clear()
                    if _truncate_wal(conn):
                        retry = self.PAUSE
                    else:
                        self._clear.set()
                        retry = min(2 * retry, self.CLEAR_RETRY_MAX)
                else:
                    # PASSIVE: copies what no reader still needs, never waits for readers or writers. A failure
                    # (another process checkpointing) is retried after the next write.
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if self._stop.wait(self.PAUSE):
                    return
        finally:
            conn.close()


def _open_checked(path: Path) -> sqlite3.Connection:
    """The writer connection of a sound, current profile (created and migrated as needed).

    Nothing is written to a file before it is known to be empty or a tagrec profile this version can use.
    Creating and migrating run under the write lock, so connections that open a new profile at the same
    moment wait for each other (and then see the other's tables) instead of taking them for damage.

    Raises ``_Unusable`` for damage (SQLite's corrupt or not-a-database errors, a failed quick check, another
    program's database, a newer profile) and ``ProfileError`` for everything else that stops the opening (a
    full disk, a read-only file or folder, an I/O error, a busy profile, a folder at ``path``): those are not
    the file's fault, so the caller must leave it where it is.
    """
    try:
        if path.is_dir():
            raise ProfileError(f"the profile path {path} is a folder, not a file: move or rename that folder")
        existed = path.exists() and path.stat().st_size > 0
    except OSError as error:
        raise ProfileError(f"cannot look at the profile {path}: {error.strerror or error}") from None
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(path)
        _prepare(conn, existed)
        return conn
    except BaseException as error:
        if conn is not None:
            conn.close()
        if not isinstance(error, sqlite3.Error):
            raise
        if _damage(error):
            raise _Unusable("damaged", f"the profile is damaged or not a tagrec profile ({error})") from None
        raise ProfileError(_trouble(error, path)) from None


def _prepare(conn: sqlite3.Connection, existed: bool) -> None:
    """Check an existing profile (``_Unusable`` when it is damaged, foreign or newer), then switch to the WAL
    journal and create or migrate the tables as needed; SQLite's own errors propagate for the caller to sort."""
    db = Database(conn)
    if existed:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise _Unusable("damaged", f"the profile is damaged ({verdict})")
        _check_ours(db)
    _use_wal(conn)
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # the _Checkpointer does it, outside the writes
    conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")  # the writer rewinds the WAL: cut it back then
    if not db["_sqlite_migrations"].exists() or migrations.pending(db):
        conn.execute("BEGIN IMMEDIATE")
        try:
            _check_ours(db)  # again, under the lock: another connection may have just created it
            migrations.apply(db)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _check_ours(db: Database) -> None:
    """Refuse a database written by a newer tagrec or by another program (``_Unusable``); an empty database is
    fine (it becomes a profile)."""
    newer = newer_than_us(db)
    if newer:
        raise _Unusable("newer", f"the profile was written by a newer version of tagrec (it has {', '.join(newer)})")
    if db.table_names() and not db["_sqlite_migrations"].exists():
        raise _Unusable("damaged", "the profile is not a tagrec profile (another program's SQLite database)")


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to the WAL journal, waiting out other connections that hold the new file for a moment (the
    switch does not wait through the busy timeout by itself)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as error:
            if not _busy(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
            continue
        if str(mode).lower() != "wal":
            # Says nothing about the file (e.g. a file system without shared memory): not damage.
            raise ProfileError(f"the profile cannot use SQLite's write-ahead log here (journal mode stays {mode})")
        return


# SQLite's primary result codes that say the file itself is bad. Every other failure (full, read-only, I/O,
# cannot open, busy, out of memory...) is about the disk, the folder or another program: never a reason to move
# the user's profile aside.
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
# The failures a user can fix outside tagrec, each with what to do about it.
_ADVICE = {
    sqlite3.SQLITE_FULL: "the disk is full: free some space and try again",
    sqlite3.SQLITE_IOERR: "the disk could not be read or written (an I/O error: the disk may be full, failing or"
    " disconnected): check it and try again",
    sqlite3.SQLITE_PERM: "access to the profile was denied: check the permissions of the file and its folder",
    sqlite3.SQLITE_NOMEM: "out of memory: close other programs and try again",
    sqlite3.SQLITE_BUSY: "the profile is busy (another program holds it): close that program or try again later",
    sqlite3.SQLITE_LOCKED: "the profile is busy (another program holds it): close that program or try again later",
}


def _primary_code(error: sqlite3.Error) -> int | None:
    """SQLite's primary result code of ``error`` (``None`` for an error that did not come from SQLite)."""
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _damage(error: sqlite3.Error) -> bool:
    """Whether SQLite found the file itself unreadable (corrupt, or not a database at all)."""
    return _primary_code(error) in _DAMAGE_CODES


def _environmental(error: sqlite3.Error) -> bool:
    """Whether the error is about the disk, the folder, permissions or another program, not about our SQL."""
    code = _primary_code(error)
    return code in _ADVICE or code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN)


def _trouble(error: sqlite3.Error, path: Path) -> str:
    """What went wrong, for a person: the cause when we can tell it and what to do about it, then SQLite's words
    and the file."""
    code = _primary_code(error)
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN):
        advice = _not_writable(path) or (
            "the profile cannot be opened: check that the file and its folder exist and can be read and written"
            if code == sqlite3.SQLITE_CANTOPEN
            else "the profile is read-only: make the file and its folder writable"
        )
    else:
        advice = _ADVICE.get(code if code is not None else -1, "the profile could not be used")
    return f"{advice} ({path}: {error})"


def _not_writable(path: Path) -> str | None:
    """Which of the profile's folder or file this process cannot write, as advice (``None``: both look fine).
    The folder comes first: SQLite creates its ``-wal`` and ``-shm`` files there, even to read."""
    if path.is_dir():
        return "the profile path is a folder, not a file: move or rename that folder"
    if not os.access(path.parent, os.W_OK):
        return "the profile folder is read-only: make it writable, tagrec keeps files beside the profile"
    if path.exists() and not os.access(path, os.W_OK):
        return "the profile file is read-only: make it writable"
    return None


def _busy(error: sqlite3.Error) -> bool:
    """Whether the error is another connection holding the database (busy or locked), not damage."""
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _move_aside(path: Path, kind: str) -> Path:
    """Rename the database and its WAL/shared-memory files to a backup name; returns the new main file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = path.with_name(f"{path.stem}.{kind}-{stamp}{path.suffix}")
    try:
        path.rename(backup)
        for suffix in ("-wal", "-shm", "-journal"):
            if _sidecar(path, suffix).exists():
                _sidecar(path, suffix).rename(_sidecar(backup, suffix))
    except OSError as error:
        raise ProfileError(f"the profile {path} is unusable and could not be moved aside: {error}") from None
    return backup


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching strings that start with ``prefix`` literally."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
