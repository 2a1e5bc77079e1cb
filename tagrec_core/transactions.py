"""One write transaction on an autocommit SQLite connection, for the small stores beside the profile (the
folder index, the bridge's tokens). The profile has its own writer (``profile.store``): it maps failures to
``ProfileError``."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator

__all__ = ["immediate"]


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection, lock: threading.Lock | None = None) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` (the write lock at once, so no upgrade can fail half-way), ``COMMIT`` when the block
    ends, ``ROLLBACK`` when it raises; all under ``lock`` when the connection is shared between threads."""
    with lock if lock is not None else contextlib.nullcontext():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
