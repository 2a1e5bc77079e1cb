"""Client tokens: one per paired browser (or script), bound to the origin it was issued to, stored hashed.

A token reads ``tgr_<id>_<secret>``: the id finds the row, the secret is checked against the stored SHA-256
with ``hmac.compare_digest`` (constant time). Only the hash is stored, so the database cannot leak a usable
token; the token itself is shown once, when it is created. Revoking keeps the row (for ``token list``) and
refuses the token from then on, in every process: each check reads the database.

The tokens live in ``<home>/bridge.sqlite`` (sqlite-utils migrations, WAL), beside the profile but apart from
it: exporting or resetting the profile never touches who may talk to the bridge.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from sqlite_utils import Database, Migrations

from tagrec_core.errors import InputError, TagrecError
from tagrec_core.home import resolve_home
from tagrec_core.profile.feedback import DEFAULT_USER
from tagrec_core.transactions import immediate

__all__ = ["TOKENS_FILE", "Token", "TokenError", "TokenStore", "check_origin", "is_extension_origin"]

TOKENS_FILE = "bridge.sqlite"
_TOKEN = re.compile(r"^tgr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_EXTENSION_ORIGIN = re.compile(r"^(chrome|moz|safari-web|ms-browser)-extension://[A-Za-z0-9._-]{1,128}$")
_LAST_USED_EVERY = 60.0  # seconds: record use at most this often, so checking a token is not a write
MAX_NAME_CHARS = 100
_BUSY_TIMEOUT_MS = 30_000

migrations = Migrations("tagrec-bridge")


@migrations()
def m001_tokens(db: Database) -> None:
    db["tokens"].create(
        {
            "id": str,
            "secret_sha256": str,
            "origin": str,
            "name": str,
            "user": str,
            "created": str,
            "last_used": str,
            "revoked": str,
        },
        pk="id",
        not_null={"secret_sha256", "origin", "user", "created"},
    )
    db["tokens"].create_index(["origin"])
    db["settings"].create({"key": str, "value": str}, pk="key")


class TokenError(TagrecError):
    """The token store cannot be used (damaged file, unwritable folder)."""

    code = "bad_token_store"


class Token(NamedTuple):
    """One token's public facts (never its secret)."""

    id: str
    origin: str
    name: str
    user: str
    created: str
    last_used: str
    revoked: str

    @property
    def active(self) -> bool:
        return not self.revoked

    def to_dict(self) -> dict[str, str | bool]:
        return {**self._asdict(), "active": self.active}


def is_extension_origin(origin: str) -> bool:
    """True for a browser extension's origin (``chrome-extension://<id>``, ``moz-extension://<uuid>``, ...)."""
    return bool(_EXTENSION_ORIGIN.fullmatch(origin))  # fullmatch: "$" would let a trailing newline through


def check_origin(origin: str) -> str:
    """``origin`` when a token may be bound to it (an extension origin, or ``cli`` for local scripts that send
    no Origin header); else ``InputError``. Web origins never get a token."""
    if origin == "cli" or is_extension_origin(origin):
        return origin
    raise InputError(
        f"{origin!r} is not an extension origin; give one like chrome-extension://<id> or moz-extension://<uuid>,"
        " or 'cli' for scripts"
    )


class TokenStore:
    """The home's tokens. Thread-safe: one connection per thread (``check_same_thread`` off is avoided)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._used: dict[str, float] = {}
        self._used_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            why = "a file is in the way" if path.parent.is_file() else error.strerror or str(error)  # --home FILE
            raise TokenError(f"cannot create the folder {path.parent}: {why}") from None
        try:
            with self._connection() as conn:
                migrations.apply(Database(conn))
        except sqlite3.DatabaseError as error:
            raise TokenError(f"the token store {path} cannot be used: {error}") from None

    @classmethod
    def for_home(cls, home: str | Path | None = None) -> TokenStore:
        return cls(resolve_home(home) / TOKENS_FILE)

    # --- issuing and revoking --------------------------------------------------------------------------------

    def create(self, origin: str, name: str = "", user: str = DEFAULT_USER) -> tuple[Token, str]:
        """A new token for ``origin`` acting as ``user``; returns its facts and the token (shown only now)."""
        check_origin(origin)
        if len(name) > MAX_NAME_CHARS or len(user) > MAX_NAME_CHARS or not user.strip():
            raise InputError(f"name and user must be 1 to {MAX_NAME_CHARS} characters")
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        row = Token(token_id, origin, name, user, _now(), "", "")
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO tokens (id, secret_sha256, origin, name, user, created, last_used, revoked)"
                " VALUES (?, ?, ?, ?, ?, ?, '', '')",
                (token_id, _digest(secret), origin, name, user, row.created),
            )
        return row, f"tgr_{token_id}_{secret}"

    def revoke(self, token_id: str) -> bool:
        """Refuse the token from now on; False when there is no such active token."""
        with self._connection() as conn:
            cursor = conn.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked = ''", (_now(), token_id))
        return cursor.rowcount > 0

    def revoke_all(self) -> int:
        """Revoke every active token; returns how many."""
        with self._connection() as conn:
            return conn.execute("UPDATE tokens SET revoked = ? WHERE revoked = ''", (_now(),)).rowcount

    # --- reading ---------------------------------------------------------------------------------------------

    def verify(self, token: str) -> Token | None:
        """The active token ``token`` stands for, or ``None`` (malformed, unknown, wrong secret, revoked)."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        token_id, secret = match.groups()
        row = self._conn().execute("SELECT secret_sha256, * FROM tokens WHERE id = ?", (token_id,)).fetchone()
        # Compare even when the id is unknown, so a miss and a wrong secret take the same time.
        stored = row[0] if row else "0" * 64
        if not hmac.compare_digest(stored, _digest(secret)) or row is None:
            return None
        found = _token(row[1:])
        if not found.active:
            return None
        self._note_use(found.id)
        return found

    def list(self) -> list[Token]:
        """Every token, newest first (revoked ones too)."""
        rows = self._conn().execute("SELECT * FROM tokens ORDER BY created DESC, id").fetchall()
        return [_token(r) for r in rows]

    def origins(self) -> set[str]:
        """The origins of the active tokens (the only origins CORS answers)."""
        return {r[0] for r in self._conn().execute("SELECT DISTINCT origin FROM tokens WHERE revoked = ''")}

    def setting(self, key: str, default: str) -> str:
        """A stored setting, stored as ``default`` the first time it is asked for (e.g. the server id)."""
        with self._connection() as conn:
            conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, default))
            return str(conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()[0])

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- internals -------------------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def _connection(self) -> AbstractContextManager[sqlite3.Connection]:
        """This thread's connection inside one write transaction."""
        return immediate(self._conn())

    def _note_use(self, token_id: str) -> None:
        now = time.monotonic()
        with self._used_lock:
            if now - self._used.get(token_id, -_LAST_USED_EVERY) < _LAST_USED_EVERY:
                return
            self._used[token_id] = now
        conn = self._conn()
        # Checking a token runs on the server's event loop: never wait long for another writer's lock.
        conn.execute("PRAGMA busy_timeout = 100")
        try:
            with self._connection() as write:
                write.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (_now(), token_id))
        except sqlite3.OperationalError:
            pass  # a busy store must not fail or stall a request; the next use records it
        finally:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token(row: tuple[object, ...]) -> Token:
    token_id, _secret, origin, name, user, created, last_used, revoked = row
    return Token(
        str(token_id), str(origin), str(name or ""), str(user), str(created), str(last_used or ""), str(revoked or "")
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
