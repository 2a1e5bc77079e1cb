"""How a feedback event changes the profile, inside the caller's write transaction.

An event is stored as received; then the item's tags become ``final`` (or its earlier tags plus accepted
minus rejected), and what depends on them follows incrementally: the user's clock (items tagged so far),
the vocabulary's counts and decayed weights, co-occurrence, and the shown/accepted/rejected counters. Every
touched row carries the user's new ``version``, so readers elsewhere load only what changed.

Decay counts items, not days: a tag used ``h`` items ago weighs ``2 ** (-h / half_life)``; a user who
tags nothing for a month keeps their profile. Deletions (forget, reset, import) rebuild the user's derived
rows from items and events, and bump ``generation`` so readers rebuild too.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from itertools import permutations
from typing import NamedTuple

import numpy as np

from tagrec_core.errors import FeedbackError, InputError, KeyConflict
from tagrec_core.profile.feedback import Feedback, check_tag
from tagrec_core.retrieval import query_terms
from tagrec_core.text import normalize, normalize_tag

HALF_LIFE_SHORT = 10.0  # items
HALF_LIFE_LONG = 50.0
MAX_COOC_TAGS = 30  # items with more tags add no pairs (quadratic, and such items say little about pairs)


def item_terms(title: str, body: str) -> bytes:
    """An item's retrieval terms as int32 bytes, stored so that loading a profile does no text processing."""
    return np.asarray(query_terms(normalize(title or ""), normalize(body or "")), dtype=np.int32).tobytes()


def decay(age: float, half_life: float) -> float:
    """Weight of evidence ``age`` items old."""
    return 2.0 ** (-max(0.0, age) / half_life)


# --- users -------------------------------------------------------------------------------------------------------


def user_id(conn: sqlite3.Connection, name: str, *, create: bool = False) -> int | None:
    """The id of user ``name`` (created when ``create``), else ``None`` if unknown."""
    row = conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
    if row is not None:
        return int(row[0])
    if not create:
        return None
    # A new user's generation starts at the time in nanoseconds, not at 0: a user deleted and then created again
    # (a reset, then feedback or an import) can get the same id back, and a reader still holding the old user's
    # model must see that this is another user (``UserModel.refresh`` compares the id and the generation).
    cursor = conn.execute(
        "INSERT INTO users (name, clock, version, generation, created) VALUES (?, 0, 0, ?, datetime('now'))",
        (name, time.time_ns()),
    )
    return int(cursor.lastrowid or 0)


def user_ids(conn: sqlite3.Connection) -> list[int]:
    return [int(r[0]) for r in conn.execute("SELECT id FROM users ORDER BY id")]


def _bump(conn: sqlite3.Connection, uid: int, *, clock: bool = False, generation: bool = False) -> tuple[int, int]:
    """Advance the user's version (and clock/generation); returns the new (version, clock)."""
    conn.execute(
        "UPDATE users SET version = version + 1, clock = clock + ?, generation = generation + ? WHERE id = ?",
        (int(clock), int(generation), uid),
    )
    version, now = conn.execute("SELECT version, clock FROM users WHERE id = ?", (uid,)).fetchone()
    return int(version), int(now)


def aliases_of(conn: sqlite3.Connection, uid: int) -> dict[str, str]:
    return {a: t for a, t in conn.execute("SELECT alias, tag FROM aliases WHERE user_id = ?", (uid,))}


# --- one event ---------------------------------------------------------------------------------------------------


def apply(conn: sqlite3.Connection, event: Feedback, received: str) -> int:
    """Store ``event`` for its user and learn from it; returns the event id.

    An event whose ``key`` the user's events already hold was stored before (its sender sent it again): nothing
    changes, and the stored event's id is returned. A different event under that key (``_Defining`` differs) is
    a sender reusing keys: ``KeyConflict``, and nothing is written (the caller rolls back)."""
    uid = user_id(conn, event.user, create=True)
    assert uid is not None
    alias = aliases_of(conn, uid)

    def canon(tags: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(alias.get(t, t) for t in tags))

    shown, accepted, rejected = canon(event.shown), canon(event.accepted), canon(event.rejected)
    final = canon(event.final) if event.final is not None else None
    defining = _Defining(event.site, event.item, event.url, shown, accepted, rejected, final)
    if event.key is not None:
        stored = _stored_with_key(conn, uid, event.key, canon)
        if stored is not None:
            stored_id, stored_event = stored
            differ = [name for name in _Defining._fields if getattr(stored_event, name) != getattr(defining, name)]
            if differ:
                raise KeyConflict(
                    f"key {event.key!r} was already used by a different event (it differs in {', '.join(differ)}):"
                    " give every event a key of its own, such as a UUID; this one was not stored"
                )
            return stored_id
    both = sorted(set(accepted) & set(rejected))
    if both:  # parse_feedback checked the tags as sent; an alias can still make two of them one
        raise FeedbackError(f"tags both accepted and rejected once aliases are applied: {', '.join(both)}")
    row = conn.execute(
        "SELECT tags, clock, title, body FROM items WHERE user_id = ? AND site = ? AND item = ?",
        (uid, event.site, event.item),
    ).fetchone()
    old = json.loads(row[0]) if row else []
    new = final if final is not None else [t for t in dict.fromkeys([*old, *accepted]) if t not in set(rejected)]
    changed = new != old
    text_changed = row is None or ((event.title, event.body) != (row[2], row[3]) and bool(event.title or event.body))
    version, clock = _bump(conn, uid, clock=changed and bool(set(new) - set(old)))

    cursor = conn.execute(
        "INSERT INTO events (user_id, site, item, url, shown, accepted, rejected, final, clock, created, received,"
        " key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            uid,
            event.site,
            event.item,
            event.url,
            json.dumps(shown, ensure_ascii=False),
            json.dumps(accepted, ensure_ascii=False),
            json.dumps(rejected, ensure_ascii=False),
            None if final is None else json.dumps(final, ensure_ascii=False),
            clock,
            event.created,
            received,
            event.key,
        ),
    )
    if changed or (text_changed and (new or row is not None)):
        title, body = (event.title, event.body) if text_changed else (row[2], row[3])
        item_clock = clock if changed else int(row[1])
        conn.execute(
            "INSERT INTO items (user_id, site, item, title, body, terms, tags, clock, version, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, site, item) DO UPDATE SET"
            " title = excluded.title, body = excluded.body, terms = excluded.terms, tags = excluded.tags,"
            " clock = excluded.clock, version = excluded.version, updated = excluded.updated",
            (
                uid,
                event.site,
                event.item,
                title,
                body,
                item_terms(title, body),
                json.dumps(new, ensure_ascii=False),
                item_clock,
                version,
                event.created,
            ),
        )
    if changed:
        _update_vocab_uses(conn, uid, old, new, int(row[1]) if row else clock, clock, version, event.created)
        _update_cooc(conn, uid, old, -1, version)
        _update_cooc(conn, uid, new, +1, version)
    _update_counters(conn, uid, shown, accepted, rejected, clock, version)
    return int(cursor.lastrowid or 0)


class _Defining(NamedTuple):
    """What makes two events with one ``key`` the same event, as ``events`` stores it: the tag lists after the
    user's aliases, ``final`` ``None`` when not given. Not ``created`` (a sender that gives none gets the time
    of receipt, so every copy sent again differs) nor ``title``/``body`` (kept with the item, not the event)."""

    site: str
    item: str
    url: str
    shown: list[str]
    accepted: list[str]
    rejected: list[str]
    final: list[str] | None


def _stored_with_key(
    conn: sqlite3.Connection, uid: int, key: str, canon: Callable[[Iterable[str]], list[str]]
) -> tuple[int, _Defining] | None:
    """The id and defining fields of the user's event with ``key`` (``None``: none yet). Its tags go through
    ``canon`` (the user's aliases now) too, so an alias set since the event was stored does not make its copy
    sent again look different."""
    row = conn.execute(
        "SELECT id, site, item, url, shown, accepted, rejected, final FROM events WHERE user_id = ? AND key = ?",
        (uid, key),
    ).fetchone()
    if row is None:
        return None
    event_id, site, item, url, shown, accepted, rejected, final = row
    lists = [canon(json.loads(v or "[]")) for v in (shown, accepted, rejected)]
    return int(event_id), _Defining(site, item, url or "", *lists, None if final is None else canon(json.loads(final)))


def _vocab_rows(conn: sqlite3.Connection, uid: int, tags: Sequence[str]) -> dict[str, list]:
    """Current vocab rows of ``tags`` as mutable lists (missing tags get zero rows)."""
    rows: dict[str, list] = {}
    for start in range(0, len(tags), 500):
        part = tags[start : start + 500]
        marks = ",".join("?" * len(part))
        for r in conn.execute(
            "SELECT tag, items, weight_short, weight_long, clock, rejected_weight, last_used, last_clock"
            f" FROM vocab WHERE user_id = ? AND tag IN ({marks})",
            (uid, *part),
        ):
            rows[r[0]] = list(r[1:])
    for tag in tags:
        rows.setdefault(tag, [0, 0.0, 0.0, 0, 0.0, None, -1])
    return rows


def _update_vocab_uses(
    conn: sqlite3.Connection,
    uid: int,
    old: Sequence[str],
    new: Sequence[str],
    old_clock: int,
    clock: int,
    version: int,
    when: str,
) -> None:
    """The item's tags move from ``old`` (tagged at ``old_clock``) to ``new`` (tagged now, at ``clock``): the item
    leaves the weights of ``old`` and joins those of ``new``, so a kept tag is re-stamped at the item's new
    clock, as ``rebuild`` computes it from the item."""
    rows = _vocab_rows(conn, uid, list(dict.fromkeys([*new, *old])))
    out = []
    for tag, (items, short, long_, at, rejected_weight, last_used, last_clock) in rows.items():
        short *= decay(clock - at, HALF_LIFE_SHORT)
        long_ *= decay(clock - at, HALF_LIFE_LONG)
        rejected_weight *= decay(clock - at, HALF_LIFE_SHORT)
        if tag in old:
            items = max(0, items - 1)
            short = max(0.0, short - decay(clock - old_clock, HALF_LIFE_SHORT))
            long_ = max(0.0, long_ - decay(clock - old_clock, HALF_LIFE_LONG))
        if tag in new:
            items, short, long_, last_used, last_clock = items + 1, short + 1.0, long_ + 1.0, when, clock
        out.append((uid, tag, items, short, long_, clock, rejected_weight, last_used, last_clock, version))
    conn.executemany(
        "INSERT INTO vocab (user_id, tag, items, weight_short, weight_long, clock, rejected_weight, last_used,"
        " last_clock, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, tag) DO UPDATE SET"
        " items = excluded.items, weight_short = excluded.weight_short, weight_long = excluded.weight_long,"
        " clock = excluded.clock, rejected_weight = excluded.rejected_weight, last_used = excluded.last_used,"
        " last_clock = excluded.last_clock, version = excluded.version",
        out,
    )


def _update_counters(
    conn: sqlite3.Connection,
    uid: int,
    shown: Sequence[str],
    accepted: Sequence[str],
    rejected: Sequence[str],
    clock: int,
    version: int,
) -> None:
    tags = list(dict.fromkeys([*shown, *accepted, *rejected]))
    if not tags:
        return
    rows = _vocab_rows(conn, uid, tags)
    out = []
    for tag in tags:
        _, short, long_, at, rejected_weight, _, _ = rows[tag]
        # Every weight of the row moves to the current clock together.
        short, long_ = short * decay(clock - at, HALF_LIFE_SHORT), long_ * decay(clock - at, HALF_LIFE_LONG)
        rejected_weight = rejected_weight * decay(clock - at, HALF_LIFE_SHORT) + (1.0 if tag in rejected else 0.0)
        out.append((
            uid, tag, short, long_, clock, rejected_weight,
            int(tag in shown), int(tag in accepted), int(tag in shown and tag in accepted), int(tag in rejected),
            version,
        ))  # fmt: skip
    conn.executemany(
        "INSERT INTO vocab (user_id, tag, weight_short, weight_long, clock, rejected_weight, shown, accepted,"
        " hits, rejected, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, tag) DO UPDATE SET"
        " weight_short = excluded.weight_short, weight_long = excluded.weight_long, clock = excluded.clock,"
        " rejected_weight = excluded.rejected_weight, shown = shown + excluded.shown,"
        " accepted = accepted + excluded.accepted, hits = hits + excluded.hits,"
        " rejected = rejected + excluded.rejected, version = excluded.version",
        out,
    )


def _update_cooc(conn: sqlite3.Connection, uid: int, tags: Sequence[str], sign: int, version: int) -> None:
    if len(tags) < 2 or len(tags) > MAX_COOC_TAGS:
        return
    conn.executemany(
        "INSERT INTO cooc (user_id, tag, other, items, version) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id, tag, other) DO UPDATE SET items = max(0, items + excluded.items),"
        " version = excluded.version",
        [(uid, a, b, sign, version) for a, b in permutations(tags, 2)],
    )


# --- aliases and implied tags ----------------------------------------------------------------------------------


def set_alias(conn: sqlite3.Connection, uid: int, alias: str, tag: str) -> None:
    alias, tag = _tag_or_fail(alias, "the alias"), _tag_or_fail(tag, "the tag")
    if alias == tag:
        raise InputError("a tag cannot be an alias of itself")
    if conn.execute("SELECT 1 FROM aliases WHERE user_id = ? AND alias = ?", (uid, tag)).fetchone():
        raise InputError(f"{tag} is itself an alias; point {alias} at what {tag} stands for")
    conn.execute(
        "INSERT INTO aliases (user_id, alias, tag) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id, alias) DO UPDATE SET tag = excluded.tag",
        (uid, alias, tag),
    )
    # Aliases of the alias follow it, so no chain is ever longer than one step.
    conn.execute("UPDATE aliases SET tag = ? WHERE user_id = ? AND tag = ?", (tag, uid, alias))
    _bump(conn, uid, generation=True)


def remove_alias(conn: sqlite3.Connection, uid: int, alias: str) -> bool:
    gone = conn.execute("DELETE FROM aliases WHERE user_id = ? AND alias = ?", (uid, normalize_tag(alias))).rowcount
    if gone:
        _bump(conn, uid, generation=True)
    return bool(gone)


def set_implied(conn: sqlite3.Connection, uid: int, tag: str, implies: str) -> None:
    tag, implies = _tag_or_fail(tag, "the tag"), _tag_or_fail(implies, "the implied tag")
    if tag == implies:
        raise InputError("a tag cannot imply itself")
    conn.execute("INSERT OR IGNORE INTO implied (user_id, tag, implies) VALUES (?, ?, ?)", (uid, tag, implies))
    _bump(conn, uid, generation=True)


def remove_implied(conn: sqlite3.Connection, uid: int, tag: str, implies: str) -> bool:
    gone = conn.execute(
        "DELETE FROM implied WHERE user_id = ? AND tag = ? AND implies = ?",
        (uid, normalize_tag(tag), normalize_tag(implies)),
    ).rowcount
    if gone:
        _bump(conn, uid, generation=True)
    return bool(gone)


def _tag_or_fail(tag: str, where: str) -> str:
    """``tag`` normalised, by the rules of every tag the profile stores (``check_tag``: length, control
    characters, something visible); else ``InputError`` naming ``where`` (this is not feedback)."""
    try:
        return check_tag(tag, where)
    except FeedbackError as error:
        raise InputError(str(error)) from None


# --- deletion and rebuilding -------------------------------------------------------------------------------------


def forget_item(conn: sqlite3.Connection, uid: int, site: str, item: str) -> int:
    gone = conn.execute("DELETE FROM items WHERE user_id = ? AND site = ? AND item = ?", (uid, site, item)).rowcount
    gone += conn.execute("DELETE FROM events WHERE user_id = ? AND site = ? AND item = ?", (uid, site, item)).rowcount
    if gone:
        rebuild(conn, uid)
    return gone


def move_item(conn: sqlite3.Connection, uid: int, site: str, old: str, new: str) -> bool:
    """Give the user's item ``old`` the key ``new``, with its events (a file renamed or moved: the item is its
    path). An item already at ``new`` is one the move replaced: it is forgotten first. Returns whether ``old``
    was known. The user's generation advances, so cached models reload the items under their new keys."""
    where = "WHERE user_id = ? AND site = ? AND item = ?"
    if old == new or conn.execute(f"SELECT 1 FROM items {where}", (uid, site, old)).fetchone() is None:
        return False
    replaced = conn.execute(f"DELETE FROM items {where}", (uid, site, new)).rowcount
    replaced += conn.execute(f"DELETE FROM events {where}", (uid, site, new)).rowcount
    conn.execute(f"UPDATE items SET item = ? {where}", (new, uid, site, old))
    conn.execute(f"UPDATE events SET item = ? {where}", (new, uid, site, old))
    if replaced:
        rebuild(conn, uid)  # the replaced item's tags leave the vocabulary
    else:
        _bump(conn, uid, generation=True)  # the counts stand; only the keys changed
    return True


def forget_tag(conn: sqlite3.Connection, uid: int, tag: str) -> int:
    tag = normalize_tag(tag)
    touched = 0
    for key, tags in list(conn.execute("SELECT rowid, tags FROM items WHERE user_id = ?", (uid,))):
        values = json.loads(tags)
        if tag in values:
            conn.execute("UPDATE items SET tags = ? WHERE rowid = ?", (_without(values, tag), key))
            touched += 1
    for key, *lists in list(
        conn.execute("SELECT id, shown, accepted, rejected, final FROM events WHERE user_id = ?", (uid,))
    ):
        decoded = [None if v is None else json.loads(v) for v in lists]
        if any(v is not None and tag in v for v in decoded):
            conn.execute(
                "UPDATE events SET shown = ?, accepted = ?, rejected = ?, final = ? WHERE id = ?",
                (*[None if v is None else _without(v, tag) for v in decoded], key),
            )
            touched += 1
    touched += conn.execute(
        "DELETE FROM aliases WHERE user_id = ? AND (alias = ? OR tag = ?)", (uid, tag, tag)
    ).rowcount
    touched += conn.execute(
        "DELETE FROM implied WHERE user_id = ? AND (tag = ? OR implies = ?)", (uid, tag, tag)
    ).rowcount
    if touched or conn.execute("SELECT 1 FROM vocab WHERE user_id = ? AND tag = ?", (uid, tag)).fetchone():
        rebuild(conn, uid)
        touched = max(touched, 1)
    return touched


def _without(tags: list[str], tag: str) -> str:
    return json.dumps([t for t in tags if t != tag], ensure_ascii=False)


def delete_user(conn: sqlite3.Connection, uid: int) -> None:
    for table in ("events", "items", "vocab", "cooc", "aliases", "implied", "state"):
        conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (uid,))
    conn.execute("DELETE FROM users WHERE id = ?", (uid,))


def rebuild(conn: sqlite3.Connection, uid: int) -> None:
    """Recompute the user's vocab and co-occurrence from items (in clock order) and events; bump generation."""
    version, _ = _bump(conn, uid, generation=True)
    clock = int(conn.execute("SELECT clock FROM users WHERE id = ?", (uid,)).fetchone()[0])
    conn.execute("DELETE FROM vocab WHERE user_id = ?", (uid,))
    conn.execute("DELETE FROM cooc WHERE user_id = ?", (uid,))
    vocab: dict[str, list] = {}

    def entry(tag: str) -> list:
        # items, short, long, rejected_weight, last_used, last_clock, shown, accepted, rejected, hits
        return vocab.setdefault(tag, [0, 0.0, 0.0, 0.0, None, -1, 0, 0, 0, 0])

    pairs: dict[tuple[str, str], int] = {}
    for tags_json, item_clock, updated in conn.execute(
        "SELECT tags, clock, updated FROM items WHERE user_id = ? ORDER BY clock", (uid,)
    ):
        tags = json.loads(tags_json)
        for tag in tags:
            row = entry(tag)
            row[0] += 1
            row[1] += decay(clock - item_clock, HALF_LIFE_SHORT)
            row[2] += decay(clock - item_clock, HALF_LIFE_LONG)
            if item_clock >= row[5]:
                row[4], row[5] = updated, item_clock
        if 2 <= len(tags) <= MAX_COOC_TAGS:
            for pair in permutations(tags, 2):
                pairs[pair] = pairs.get(pair, 0) + 1
    for shown, accepted, rejected, event_clock in conn.execute(
        "SELECT shown, accepted, rejected, clock FROM events WHERE user_id = ?", (uid,)
    ):
        for position, values in ((6, shown), (7, accepted), (8, rejected)):
            for tag in json.loads(values or "[]"):
                entry(tag)[position] += 1
        for tag in json.loads(rejected or "[]"):
            entry(tag)[3] += decay(clock - int(event_clock or 0), HALF_LIFE_SHORT)
        for tag in set(json.loads(shown or "[]")) & set(json.loads(accepted or "[]")):
            entry(tag)[9] += 1
    conn.executemany(
        "INSERT INTO vocab (user_id, tag, items, weight_short, weight_long, clock, rejected_weight, last_used,"
        " last_clock, shown, accepted, rejected, hits, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(uid, tag, *r[:3], clock, *r[3:], version) for tag, r in vocab.items()],
    )
    conn.executemany(
        "INSERT INTO cooc (user_id, tag, other, items, version) VALUES (?, ?, ?, ?, ?)",
        [(uid, a, b, n, version) for (a, b), n in pairs.items()],
    )
