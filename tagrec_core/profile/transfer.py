"""Moving profiles in and out: tagged records as accepted feedback, and JSON export/import.

The export document holds, per user, what cannot be recomputed — items (text and tags), events, aliases,
implied tags and learned state; importing it replaces those users' data and rebuilds the rest. Exports are
the undo of destructive commands: ``tagrec profile forget`` and ``reset`` write one before deleting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tagrec_core.atomic import write_text_atomically
from tagrec_core.errors import InputError
from tagrec_core.home import resolve_home
from tagrec_core.profile import learning
from tagrec_core.profile.feedback import DEFAULT_USER, Feedback, parse_feedback
from tagrec_core.profile.store import Profile
from tagrec_core.records import Record

__all__ = [
    "EXPORT_FORMAT",
    "backup_profile",
    "export_profile",
    "import_profile",
    "learn_records",
    "record_feedback",
    "write_text_atomically",
]

EXPORT_FORMAT = "tagrec-profile"
EXPORT_VERSION = 1
_BATCH = 500


def record_feedback(record: Record, site: str, *, user: str | None = None) -> Feedback:
    """A tagged record as the feedback of its user accepting its tags (its ``created`` time kept)."""
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
) -> int:
    """Import tagged records as accepted feedback, each for its record's ``user`` (or ``user``), in
    ``created`` order (records without a time keep their place after the timed ones); returns the count.

    Every record is checked before anything is written; then batches of ``_BATCH`` commit one by one.
    """
    events = [
        record_feedback(r, site, user=user) for r in sorted(records, key=lambda r: (r.created is None, r.created or ""))
    ]
    for start in range(0, len(events), _BATCH):
        part = events[start : start + _BATCH]
        profile.record_many(part)
        if progress is not None:
            progress(len(part))
    return len(events)


def export_profile(profile: Profile, users: Iterable[str] | None = None) -> dict[str, Any]:
    """The profile (or these users of it) as one JSON-ready document."""
    conn = profile.reader()
    names = list(users) if users is not None else profile.users()
    out = []
    for name in names:
        row = profile.user(name)
        if row is None:
            continue
        uid = row.id
        items = [
            {"site": s, "item": i, "title": t, "body": b, "tags": json.loads(tags), "clock": c, "updated": u}
            for s, i, t, b, tags, c, u in conn.execute(
                "SELECT site, item, title, body, tags, clock, updated FROM items WHERE user_id = ? ORDER BY clock",
                (uid,),
            )
        ]
        events = []
        for site, item, url, shown, accepted, rejected, final, clock, created, received in conn.execute(
            "SELECT site, item, url, shown, accepted, rejected, final, clock, created, received FROM events"
            " WHERE user_id = ? ORDER BY id",
            (uid,),
        ):
            events.append({
                "site": site, "item": item, "url": url or "", "shown": json.loads(shown or "[]"),
                "accepted": json.loads(accepted or "[]"), "rejected": json.loads(rejected or "[]"),
                "final": None if final is None else json.loads(final), "clock": clock, "created": created,
                "received": received,
            })  # fmt: skip
        out.append({
            "name": name,
            "clock": row.clock,
            "items": items,
            "events": events,
            "aliases": dict(conn.execute("SELECT alias, tag FROM aliases WHERE user_id = ?", (uid,)).fetchall()),
            "implied": [list(r) for r in conn.execute("SELECT tag, implies FROM implied WHERE user_id = ?", (uid,))],
            "state": {
                k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM state WHERE user_id = ?", (uid,))
            },
        })  # fmt: skip
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "users": out}


def import_profile(profile: Profile, document: Any) -> list[str]:
    """Replace the data of the document's users with the document's; returns their names.

    The whole document is checked first (``InputError`` names what is wrong) and written in one transaction.
    """
    users = _checked(document)
    with profile.writing() as conn:
        for user in users:
            uid = learning.user_id(conn, user["name"])
            if uid is not None:
                learning.delete_user(conn, uid)
            uid = learning.user_id(conn, user["name"], create=True)
            assert uid is not None
            conn.execute("UPDATE users SET clock = ? WHERE id = ?", (int(user.get("clock", 0)), uid))
            conn.executemany(
                "INSERT INTO items (user_id, site, item, title, body, terms, tags, clock, version, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                [(uid, i["site"], i["item"], i.get("title") or "", i.get("body") or "",
                  learning.item_terms(i.get("title") or "", i.get("body") or ""),
                  json.dumps(i["tags"], ensure_ascii=False), int(i.get("clock", 0)), i.get("updated"))
                 for i in user["items"]],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO events (user_id, site, item, url, shown, accepted, rejected, final, clock, created,"
                " received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(uid, e["site"], e["item"], e.get("url", ""), json.dumps(e.get("shown", []), ensure_ascii=False),
                  json.dumps(e.get("accepted", []), ensure_ascii=False),
                  json.dumps(e.get("rejected", []), ensure_ascii=False),
                  None if e.get("final") is None else json.dumps(e["final"], ensure_ascii=False),
                  int(e.get("clock", 0)), e.get("created"), e.get("received"))
                 for e in user["events"]],
            )  # fmt: skip
            for alias, tag in user.get("aliases", {}).items():
                learning.set_alias(conn, uid, alias, tag)
            for tag, implies in user.get("implied", []):
                learning.set_implied(conn, uid, tag, implies)
            conn.executemany(
                "INSERT INTO state (user_id, key, value, updated) VALUES (?, ?, ?, datetime('now'))",
                [(uid, k, json.dumps(v)) for k, v in user.get("state", {}).items()],
            )
            learning.rebuild(conn, uid)
    return [u["name"] for u in users]


def _checked(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise InputError(f"not a tagrec profile export (expected an object with format {EXPORT_FORMAT!r})")
    if document.get("version") != EXPORT_VERSION:
        raise InputError(f"profile export version {document.get('version')!r} is not supported (expected 1)")
    users = document.get("users")
    if not isinstance(users, list):
        raise InputError("users must be a list")
    for n, user in enumerate(users):
        where = f"users[{n}]"
        if not isinstance(user, dict) or not isinstance(user.get("name"), str) or not user["name"]:
            raise InputError(f"{where} must be an object with a name")
        for key in ("items", "events"):
            if not isinstance(user.get(key), list):
                raise InputError(f"{where}.{key} must be a list")
        if not _is_count(user.get("clock", 0)):
            raise InputError(f"{where}.clock must be a whole number")
        for m, item in enumerate(user["items"]):
            ok = isinstance(item, dict) and all(isinstance(item.get(k), str) for k in ("site", "item"))
            if not ok or not _is_tags(item.get("tags")) or not _is_count(item.get("clock", 0)):
                raise InputError(f"{where}.items[{m}] needs site, item (strings) and tags (a list of strings)")
        for m, event in enumerate(user["events"]):
            if not isinstance(event, dict) or not all(isinstance(event.get(k), str) for k in ("site", "item")):
                raise InputError(f"{where}.events[{m}] needs site and item (strings)")
            for key in ("shown", "accepted", "rejected"):
                if not _is_tags(event.get(key, [])):
                    raise InputError(f"{where}.events[{m}].{key} must be a list of strings")
            if event.get("final") is not None and not _is_tags(event["final"]):
                raise InputError(f"{where}.events[{m}].final must be a list of strings or null")
            if not _is_count(event.get("clock", 0)):
                raise InputError(f"{where}.events[{m}].clock must be a whole number")
        aliases, implied = user.get("aliases", {}), user.get("implied", [])
        pairs_ok = isinstance(implied, list) and all(_is_tags(p) and len(p) == 2 for p in implied)
        if not isinstance(aliases, dict) or not _is_tags(list(aliases.values())) or not pairs_ok:
            raise InputError(
                f"{where}: aliases must be an object of strings and implied a list of [tag, implies] pairs"
            )
        if not isinstance(user.get("state", {}), dict):
            raise InputError(f"{where}.state must be an object")
    return users


def _is_tags(value: Any) -> bool:
    """A list of strings."""
    return isinstance(value, list) and all(isinstance(t, str) for t in value)


def _is_count(value: Any) -> bool:
    """A whole number (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def backup_profile(profile: Profile, home: str | Path | None = None) -> Path:
    """Export the whole profile to ``<home>/backups/profile-<time>.json`` (the undo of a destructive change:
    ``import_profile`` of it restores those users); returns the file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = resolve_home(home) / "backups" / f"profile-{stamp}.json"
    write_text_atomically(path, json.dumps(export_profile(profile), ensure_ascii=False) + "\n")
    return path
