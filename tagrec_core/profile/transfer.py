"""Moving profiles in and out: tagged records as accepted feedback, and JSON export/import.

The export document holds, per user, what cannot be recomputed — items (text and tags), events, aliases,
implied tags and learned state; importing it replaces those users' data and rebuilds the rest. Exports are
the undo of destructive commands: ``tagrec profile forget`` and ``reset`` write one of the users they change
before deleting (``backup_profile``: the newest ``BACKUPS_KEPT`` are kept).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from tagrec_core.atomic import open_atomically
from tagrec_core.errors import FeedbackError, InputError
from tagrec_core.home import resolve_home
from tagrec_core.profile import learning
from tagrec_core.profile.feedback import (
    DEFAULT_USER,
    MAX_BODY_CHARS,
    MAX_NAME_CHARS,
    MAX_TITLE_CHARS,
    Feedback,
    check_created,
    check_key,
    check_site,
    check_tag,
    check_tags,
    check_text,
    parse_feedback,
)
from tagrec_core.profile.store import Profile
from tagrec_core.records import Record

__all__ = [
    "BACKUPS_KEPT",
    "EXPORT_FORMAT",
    "backup_profile",
    "backups_folder",
    "export_profile",
    "import_profile",
    "learn_records",
    "prune_backups",
    "record_feedback",
    "unpin_backup",
    "unpin_backups",
    "write_export",
]

EXPORT_FORMAT = "tagrec-profile"
EXPORT_VERSION = 1
_BATCH = 500


def record_feedback(record: Record, site: str, *, user: str | None = None) -> Feedback:
    """A tagged record as the feedback of its user accepting its tags (its ``created`` time kept).

    The record must keep the rules of live feedback (number and length of tags, sizes of texts, the range of
    times): else ``FeedbackError`` names the record's field at fault (``id``, ``tags[2]``, ``title``...).
    """
    # The record's own names first: parse_feedback would call the id "item" and the tags "accepted".
    check_text(record.id, "id", MAX_NAME_CHARS, required=True)
    check_tags(list(record.tags), "tags")
    data: dict[str, Any] = {
        "user": user or record.user or DEFAULT_USER,
        "site": site,
        "item": record.id,
        "title": record.title,
        "body": record.body,
        "accepted": list(record.tags),
        "final": list(record.tags),
    }
    if record.created:
        data["created"] = record.created
    return parse_feedback(data)


def learn_records(
    profile: Profile,
    records: Sequence[Record],
    site: str,
    *,
    user: str | None = None,
    progress: Callable[[int], None] | None = None,
    on_bad: Callable[[int, FeedbackError], None] | None = None,
) -> int:
    """Import tagged records as accepted feedback, each for its record's ``user`` (or ``user``), in
    ``created`` order (records without a time keep their place after the timed ones); returns the count.

    Every record is checked (``record_feedback``) before anything is written, in the order given: the first
    bad one raises ``FeedbackError``; with ``on_bad``, each bad one is passed there instead (its index in
    ``records`` and the error) and left out, and the others are learned. A bad ``site`` always raises. Then
    batches of ``_BATCH`` commit one by one.
    """
    check_site(site)
    events: list[tuple[Record, Feedback]] = []
    for index, record in enumerate(records):
        try:
            events.append((record, record_feedback(record, site, user=user)))
        except FeedbackError as error:
            if on_bad is None:
                raise
            on_bad(index, error)
    events.sort(key=lambda pair: (pair[0].created is None, pair[0].created or ""))
    for start in range(0, len(events), _BATCH):
        part = [event for _, event in events[start : start + _BATCH]]
        profile.record_many(part)
        if progress is not None:
            progress(len(part))
    return len(events)


def export_profile(profile: Profile, users: Iterable[str] | None = None) -> dict[str, Any]:
    """The profile (or these users of it) as one JSON-ready document, read from one snapshot of it."""
    with _snapshot(profile) as conn:
        return {
            **_document_head(),
            "users": [
                {**head, "items": list(items), "events": list(events)}
                for head, items, events in _exported_users(profile, conn, users)
            ],
        }


def write_export(profile: Profile, out: TextIO, users: Iterable[str] | None = None) -> None:
    """Write ``export_profile``'s document to ``out`` as it is read, one item or event a line: memory stays
    that of one row, whatever the history (a 200k-event profile built whole took 1.1 GB for a 99 MB file)."""
    with _snapshot(profile) as conn, contextlib.ExitStack() as stack:
        out.write(json.dumps(_document_head())[:-1] + ', "users": [')
        for n, (head, items, events) in enumerate(_exported_users(profile, conn, users)):
            # Closed even when writing fails (a full disk): an open cursor would keep this thread's reader on
            # this snapshot, so it would read stale data and hold the WAL back.
            stack.enter_context(contextlib.closing(items))
            stack.enter_context(contextlib.closing(events))
            out.write(",\n" if n else "\n")
            out.write(json.dumps(head, ensure_ascii=False)[:-1])  # its closing brace comes after the lists
            for name, rows in (("items", items), ("events", events)):
                out.write(f', "{name}": [')
                for i, row in enumerate(rows):
                    out.write(",\n  " if i else "\n  ")
                    out.write(json.dumps(row, ensure_ascii=False))
                out.write("]")
            out.write("}")
        out.write("\n]}\n")


def _document_head() -> dict[str, Any]:
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION}


@contextlib.contextmanager
def _snapshot(profile: Profile) -> Iterator[sqlite3.Connection]:
    """This thread's reader inside one read transaction: an export is of one moment, not of a profile that a
    writer changes between its users, or between a user's items and events."""
    conn = profile.reader()
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def _exported_users(
    profile: Profile, conn: sqlite3.Connection, users: Iterable[str] | None
) -> Iterator[tuple[dict[str, Any], Iterator[dict[str, Any]], Iterator[dict[str, Any]]]]:
    """Per user of ``users`` (default: everyone) that the profile knows: the user's small fields, then their
    items and their events as rows read lazily (consume them in that order, before the next user)."""
    for name in list(users) if users is not None else profile.users():
        row = profile.user(name)
        if row is None:
            continue
        uid = row.id
        head = {
            "name": name,
            "clock": row.clock,
            "aliases": dict(conn.execute("SELECT alias, tag FROM aliases WHERE user_id = ?", (uid,)).fetchall()),
            "implied": [list(r) for r in conn.execute("SELECT tag, implies FROM implied WHERE user_id = ?", (uid,))],
            "state": {
                k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM state WHERE user_id = ?", (uid,))
            },
        }
        yield head, _exported_items(conn, uid), _exported_events(conn, uid)


def _exported_items(conn: sqlite3.Connection, uid: int) -> Iterator[dict[str, Any]]:
    with contextlib.closing(
        conn.execute(
            "SELECT site, item, title, body, tags, clock, updated FROM items WHERE user_id = ? ORDER BY clock", (uid,)
        )
    ) as rows:
        for s, i, t, b, tags, c, u in rows:
            yield {"site": s, "item": i, "title": t, "body": b, "tags": json.loads(tags), "clock": c, "updated": u}


def _exported_events(conn: sqlite3.Connection, uid: int) -> Iterator[dict[str, Any]]:
    rows = conn.execute(
        "SELECT site, item, url, shown, accepted, rejected, final, clock, created, received, key FROM events"
        " WHERE user_id = ? ORDER BY id",
        (uid,),
    )
    with contextlib.closing(rows):
        for site, item, url, shown, accepted, rejected, final, clock, created, received, key in rows:
            yield {
                "site": site, "item": item, "url": url or "", "shown": json.loads(shown or "[]"),
                "accepted": json.loads(accepted or "[]"), "rejected": json.loads(rejected or "[]"),
                "final": None if final is None else json.loads(final), "clock": clock, "created": created,
                "received": received,
                # The sender's key keeps an event sent again after a restore from being stored twice.
                **({} if key is None else {"key": key}),
            }  # fmt: skip


def import_profile(profile: Profile, document: Any) -> list[str]:
    """Replace the data of the document's users with the document's; returns their names.

    The whole document is checked first, with the rules of live feedback for every tag, text and time
    (``InputError`` names the user, the item or event and the field at fault), and then written in one
    transaction: a refused document changes nothing.
    """
    users = _checked(document)
    try:
        with profile.writing() as conn:
            for user in users:
                _write_user(conn, user)
    except (sqlite3.IntegrityError, OverflowError, UnicodeEncodeError) as error:
        # The checks above should leave nothing for SQLite to refuse; if it still does, the import is a bad
        # document, not a crash (``writing`` has rolled everything back).
        raise InputError(f"the profile export could not be imported ({error}); nothing was changed") from None
    return [u.name for u in users]


def _write_user(conn: sqlite3.Connection, user: _User) -> None:
    """Replace the user's rows with the checked ``user``, inside the caller's transaction."""
    uid = learning.user_id(conn, user.name)
    if uid is not None:
        learning.delete_user(conn, uid)
    uid = learning.user_id(conn, user.name, create=True)
    assert uid is not None
    conn.execute("UPDATE users SET clock = ? WHERE id = ?", (user.clock, uid))
    conn.executemany(
        "INSERT INTO items (user_id, site, item, title, body, terms, tags, clock, version, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        [(uid, i.site, i.item, i.title, i.body, learning.item_terms(i.title, i.body), _json(i.tags), i.clock,
          i.updated) for i in user.items],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO events (user_id, site, item, url, shown, accepted, rejected, final, clock, created,"
        " received, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(uid, e.site, e.item, e.url, _json(e.shown), _json(e.accepted), _json(e.rejected),
          None if e.final is None else _json(e.final), e.clock, e.created, e.received, e.key)
         for e in user.events],
    )  # fmt: skip
    for alias, tag in user.aliases.items():
        learning.set_alias(conn, uid, alias, tag)
    for tag, implies in user.implied:
        learning.set_implied(conn, uid, tag, implies)
    conn.executemany(
        "INSERT INTO state (user_id, key, value, updated) VALUES (?, ?, ?, datetime('now'))",
        [(uid, k, v) for k, v in user.state.items()],
    )
    learning.rebuild(conn, uid)


def _json(tags: Sequence[str]) -> str:
    return json.dumps(list(tags), ensure_ascii=False)


# --- checking an export document ----------------------------------------------------------------------------------

# Clocks are counts of items: whole numbers from 0 to 2**53, which every JSON reader holds exactly (and SQLite's
# 64-bit integers with room to spare; 2**70 used to overflow in SQLite mid-import).
MAX_COUNT = 2**53
_DOCUMENT_FIELDS = {"format", "version", "users"}
_USER_FIELDS = {"name", "clock", "items", "events", "aliases", "implied", "state"}
_ITEM_FIELDS = {"site", "item", "title", "body", "tags", "clock", "updated"}
# ``key`` is optional: exports written before events had keys (``m002_event_keys``) import as events without one.
_EVENT_FIELDS = {
    "site", "item", "url", "shown", "accepted", "rejected", "final", "clock", "created", "received", "key"
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Item:
    site: str
    item: str
    title: str
    body: str
    tags: tuple[str, ...]
    clock: int
    updated: str | None


@dataclass(frozen=True, slots=True)
class _Event:
    site: str
    item: str
    url: str
    shown: tuple[str, ...]
    accepted: tuple[str, ...]
    rejected: tuple[str, ...]
    final: tuple[str, ...] | None
    clock: int
    created: str
    received: str | None
    key: str | None


@dataclass(frozen=True, slots=True)
class _User:
    name: str
    clock: int
    items: list[_Item]
    events: list[_Event]
    aliases: dict[str, str]
    implied: list[tuple[str, str]]
    state: dict[str, str]  # key -> the value as JSON text


@contextlib.contextmanager
def _at(where: str) -> Iterator[None]:
    """Turn a ``FeedbackError`` of the checks inside into an ``InputError`` that starts with ``where`` (a
    malformed import is bad input, not bad feedback)."""
    try:
        yield
    except FeedbackError as error:
        raise InputError(f"{where}: {error}") from None


def _checked(document: Any) -> list[_User]:
    """The document's users, every field checked and tags normalised; ``InputError`` for the first problem."""
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise InputError(f"not a tagrec profile export (expected an object with format {EXPORT_FORMAT!r})")
    if document.get("version") != EXPORT_VERSION:
        raise InputError(f"profile export version {document.get('version')!r} is not supported (expected 1)")
    _known_fields(document, _DOCUMENT_FIELDS, "the profile export")
    users = document.get("users")
    if not isinstance(users, list):
        raise InputError(f"users must be a list, not {_kind(users)}")
    out: list[_User] = []
    seen: dict[str, int] = {}
    for n, user in enumerate(users):
        checked = _checked_user(user, f"users[{n}]")
        if checked.name in seen:
            raise InputError(f"users[{n}]: user {checked.name!r} is listed twice (also users[{seen[checked.name]}])")
        seen[checked.name] = n
        out.append(checked)
    return out


def _checked_user(user: Any, where: str) -> _User:
    if not isinstance(user, dict):
        raise InputError(f"{where} must be an object with a name, not {_kind(user)}")
    with _at(where):
        name = check_text(user.get("name"), "name", MAX_NAME_CHARS, required=True)
    where = f"{where} (user {name!r})"
    _known_fields(user, _USER_FIELDS, where)
    for key in ("items", "events"):
        if not isinstance(user.get(key), list):
            raise InputError(f"{where}: {key} must be a list, not {_kind(user.get(key))}")
    items: list[_Item] = []
    places: dict[tuple[str, str], int] = {}
    for m, data in enumerate(user["items"]):
        item = _checked_item(data, f"{where}: items[{m}]")
        key = (item.site, item.item)
        if key in places:
            raise InputError(
                f"{where}: items[{m}]: item {item.item!r} of {item.site} is listed twice (also items[{places[key]}])"
            )
        places[key] = m
        items.append(item)
    events = [_checked_event(data, f"{where}: events[{m}]") for m, data in enumerate(user["events"])]
    keys: dict[str, int] = {}  # an event's key -> its place: the profile holds each key once per user
    for m, e in enumerate(events):
        if e.key is not None and e.key in keys:
            at = f"{where}: events[{m}] (item {e.item[:80]!r} of {e.site})"
            raise InputError(f"{at}: key {e.key!r} is listed twice (also events[{keys[e.key]}])")
        if e.key is not None:
            keys[e.key] = m
    return _User(
        name=name,
        clock=_count(user.get("clock", 0), where, "clock"),
        items=items,
        events=events,
        aliases=_checked_aliases(user.get("aliases", {}), where),
        implied=_checked_implied(user.get("implied", []), where),
        state=_checked_state(user.get("state", {}), where),
    )


def _keyed(data: Any, where: str, fields: set[str]) -> tuple[str, str, str]:
    """An item's or an event's ``site`` and ``item``, checked, and ``where`` naming them, once ``data`` is known
    to be an object of only ``fields``."""
    if not isinstance(data, dict):
        raise InputError(f"{where} must be an object, not {_kind(data)}")
    with _at(where):
        site = check_site(data.get("site"))
        item = check_text(data.get("item"), "item", MAX_NAME_CHARS, required=True)
    where = f"{where} (item {item[:80]!r} of {site})"
    _known_fields(data, fields, where)
    return site, item, where


def _checked_item(data: Any, where: str) -> _Item:
    site, item, where = _keyed(data, where, _ITEM_FIELDS)
    if data.get("tags") is None:
        raise InputError(f"{where}: tags is required (a list of tags)")
    with _at(where):
        # No limit on the number: an item's tags accumulate over many events.
        return _Item(
            site=site,
            item=item,
            title=check_text(data.get("title"), "title", MAX_TITLE_CHARS),
            body=check_text(data.get("body"), "body", MAX_BODY_CHARS),
            tags=check_tags(data.get("tags"), "tags", limit=None),
            clock=_count(data.get("clock", 0), where, "clock"),
            updated=None if data.get("updated") is None else check_created(data["updated"], "updated"),
        )


def _checked_event(data: Any, where: str) -> _Event:
    site, item, where = _keyed(data, where, _EVENT_FIELDS)
    with _at(where):
        lists = {key: check_tags(data.get(key, []), key) for key in ("shown", "accepted", "rejected")}
        return _Event(
            site=site,
            item=item,
            url=check_text(data.get("url"), "url", MAX_NAME_CHARS),
            final=None if data.get("final") is None else check_tags(data["final"], "final"),
            clock=_count(data.get("clock", 0), where, "clock"),
            created=check_created(data.get("created"), "created"),
            received=None if data.get("received") is None else check_created(data["received"], "received"),
            key=check_key(data.get("key")),
            **lists,
        )


def _checked_aliases(aliases: Any, where: str) -> dict[str, str]:
    """Aliases as ``set_alias`` will take them: normalised, none of itself, none twice, no chains (an alias's
    tag that is itself an alias would make the result depend on the order)."""
    if not isinstance(aliases, dict):
        raise InputError(f"{where}: aliases must be an object (alias: tag), not {_kind(aliases)}")
    out: dict[str, str] = {}
    for raw, target in aliases.items():
        with _at(f"{where}: aliases"):
            alias = check_tag(raw, repr(raw)[:120])
            tag = check_tag(target, f"the tag of {alias!r}")
        if alias == tag:
            raise InputError(f"{where}: aliases: {alias!r} is an alias of itself")
        if alias in out:
            raise InputError(f"{where}: aliases: {alias!r} is listed twice")
        out[alias] = tag
    for alias, tag in out.items():
        if tag in out:
            raise InputError(f"{where}: aliases: {alias!r} stands for {tag!r}, which is itself an alias")
    return out


def _checked_implied(implied: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(implied, list):
        raise InputError(f"{where}: implied must be a list of [tag, implies] pairs, not {_kind(implied)}")
    out: list[tuple[str, str]] = []
    for n, pair in enumerate(implied):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InputError(f"{where}: implied[{n}] must be a [tag, implies] pair")
        with _at(f"{where}: implied[{n}]"):
            tag, implies = check_tag(pair[0], "the tag"), check_tag(pair[1], "the implied tag")
        if tag == implies:
            raise InputError(f"{where}: implied[{n}]: {tag!r} cannot imply itself")
        out.append((tag, implies))
    return out


def _checked_state(state: Any, where: str) -> dict[str, str]:
    """Learned state: names to any JSON, returned as JSON text."""
    if not isinstance(state, dict):
        raise InputError(f"{where}: state must be an object, not {_kind(state)}")
    out: dict[str, str] = {}
    for key, value in state.items():
        with _at(f"{where}: state"):
            check_text(key, "a key", MAX_NAME_CHARS, required=True)
        try:
            out[key] = json.dumps(value)  # ASCII: a lone surrogate in a value is stored as its escape
        except (TypeError, ValueError) as error:
            raise InputError(f"{where}: state[{key!r}] is not JSON data ({error})") from None
    return out


def _count(value: Any, where: str, name: str) -> int:
    """A clock: a whole number (not a boolean) from 0 to ``MAX_COUNT``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(f"{where}: {name} must be a whole number, not {_kind(value)}")
    if not 0 <= value <= MAX_COUNT:
        raise InputError(f"{where}: {name} must lie between 0 and 2**53, not {value}")
    return value


def _known_fields(data: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(map(str, set(data) - known))
    if unknown:
        raise InputError(f"{where}: unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# How many backups ``backup_profile`` keeps in ``<home>/backups``: enough to undo the last few destructive changes,
# few enough that forgotten data does not stay on disk indefinitely.
BACKUPS_KEPT = 5
_BACKUP, _PINNED = "profile-", "pinned-"  # the names' prefixes; the time after them sorts as text


def backup_profile(
    profile: Profile, home: str | Path | None = None, users: Iterable[str] | None = None, *, pinned: bool = False
) -> Path:
    """Export these ``users`` (default: everyone) to ``<home>/backups/profile-<time>.json`` (the undo of a
    destructive change: ``import_profile`` of it restores those users), then delete all but the newest
    ``BACKUPS_KEPT`` backups; returns the file.

    ``pinned``: the file is ``pinned-<time>.json``, which pruning spares, for an undo that is offered until
    further notice (the desktop's Undo: other processes' backups must not delete it meanwhile). Its owner
    deletes it or hands it to the ordinary retention with ``unpin_backup``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = backups_folder(home)
    path = folder / f"{_PINNED if pinned else _BACKUP}{stamp}.json"
    with open_atomically(path) as out:
        write_export(profile, out, users)
    prune_backups(folder, spare=path)  # never the one just written, even when the clock went back
    return path


def unpin_backup(path: Path) -> Path:
    """Make the pinned backup ``path`` an ordinary one, its time kept (so it takes its place among the newest
    ``BACKUPS_KEPT``, or is deleted at once when it is older than those), and prune; returns its new path. A
    file already gone, or not pinned, is left as it is. Never fails: the desktop calls it as it quits or starts,
    where an error would skip closing the profile or stop the app; a backup that cannot be renamed (a read-only
    folder) stays pinned, its path returned, and ``unpin_backups`` tries again at the next start."""
    if not path.name.startswith(_PINNED):
        return path
    ordinary = path.with_name(_BACKUP + path.name.removeprefix(_PINNED))
    try:
        path.replace(ordinary)
    except FileNotFoundError:
        pass
    except OSError:
        return path
    prune_backups(path.parent)
    return ordinary


def unpin_backups(home: str | Path | None = None) -> list[Path]:
    """``unpin_backup`` every pinned backup of ``home``: those of a process that ended without unpinning them
    (a crash). Only for the one process that pins there, when it starts; returns their new paths."""
    return [unpin_backup(path) for path in sorted(backups_folder(home).glob(f"{_PINNED}*.json"))]


def backups_folder(home: str | Path | None = None) -> Path:
    """Where ``backup_profile`` writes: ``<home>/backups``."""
    return resolve_home(home) / "backups"


def prune_backups(folder: Path, keep: int = BACKUPS_KEPT, spare: Path | None = None) -> list[Path]:
    """Delete the backups in ``folder`` (``profile-<time>.json``) but the newest ``keep``; returns those deleted.
    The time in the name orders them (it sorts as text). Pinned backups and other files are left alone; a file
    that cannot be deleted is left too (the next backup tries again). ``spare`` (the backup just written) is kept
    whatever its name says: a clock set back would make it the oldest."""
    backups = sorted(folder.glob(f"{_BACKUP}*.json"), key=lambda p: p.name)
    doomed = [p for p in backups[: max(0, len(backups) - keep)] if p != spare]
    deleted = []
    for path in doomed:
        with contextlib.suppress(OSError):
            path.unlink()
            deleted.append(path)
    return deleted
