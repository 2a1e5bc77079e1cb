"""The profile's tables, as versioned migrations (sqlite-utils ``Migrations``).

Each migration runs once, in a transaction, and is recorded in ``_sqlite_migrations``; a new version of
tagrec adds migrations at the end and never edits old ones. A database that lists a migration this version
does not know was written by a newer tagrec (``newer_than_us``).

Tables (every per-user row carries ``user_id``):

* ``users``    name, ``clock`` (items tagged so far: the time unit of decay), ``version`` (bumped by every
               write that concerns the user, so caches in other processes see change), ``generation``
               (bumped when rows are deleted: caches rebuild).
* ``events``   every feedback event as received: site, item, url, shown/accepted/rejected/final (JSON), time;
               the sender's ``key`` of the event, unique per user when given (``m002_event_keys``).
* ``items``    the user's tagged items: text, its retrieval terms (int32, ``ranker.query_terms``) and current
               tags; the user's own retrieval neighbours.
* ``vocab``    per tag: items carrying it, decayed weights at two half-lives, shown/accepted/rejected counts
               (``hits``: accepted when shown, for the accept rate).
* ``cooc``     per ordered tag pair: items carrying both.
* ``aliases``  ``alias`` -> ``tag`` (``js`` -> ``javascript``); ``implied``: ``tag`` implies ``implies``.
* ``state``    per-user learned state by key (JSON), e.g. what background consolidation produces.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATION_SET = "tagrec-profile"
migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_initial(db: Database) -> None:
    db["users"].create(
        {"id": int, "name": str, "clock": int, "version": int, "generation": int, "created": str},
        pk="id",
        not_null={"name", "clock", "version", "generation"},
        defaults={"clock": 0, "version": 0, "generation": 0},
    )
    db["users"].create_index(["name"], unique=True)
    db["events"].create(
        {
            "id": int,
            "user_id": int,
            "site": str,
            "item": str,
            "url": str,
            "shown": str,
            "accepted": str,
            "rejected": str,
            "final": str,
            "clock": int,
            "created": str,
            "received": str,
        },
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
        not_null={"user_id", "site", "item"},
    )
    db["events"].create_index(["user_id", "site", "item"])
    db["items"].create(
        {
            "user_id": int,
            "site": str,
            "item": str,
            "title": str,
            "body": str,
            "terms": bytes,
            "tags": str,
            "clock": int,
            "version": int,
            "updated": str,
        },
        pk=("user_id", "site", "item"),
        foreign_keys=[("user_id", "users", "id")],
        not_null={"tags", "clock", "version"},
    )
    db["items"].create_index(["user_id", "version"])
    db["vocab"].create(
        {
            "user_id": int,
            "tag": str,
            "items": int,
            "weight_short": float,
            "weight_long": float,
            "clock": int,
            "last_used": str,
            "last_clock": int,
            "shown": int,
            "accepted": int,
            "hits": int,
            "rejected": int,
            "rejected_weight": float,
            "version": int,
        },
        pk=("user_id", "tag"),
        foreign_keys=[("user_id", "users", "id")],
        defaults={
            "items": 0,
            "weight_short": 0.0,
            "weight_long": 0.0,
            "clock": 0,
            "last_clock": -1,
            "shown": 0,
            "accepted": 0,
            "hits": 0,
            "rejected": 0,
            "rejected_weight": 0.0,
            "version": 0,
        },
    )
    db["vocab"].create_index(["user_id", "version"])
    db["cooc"].create(
        {"user_id": int, "tag": str, "other": str, "items": int, "version": int},
        pk=("user_id", "tag", "other"),
        foreign_keys=[("user_id", "users", "id")],
    )
    db["cooc"].create_index(["user_id", "version"])
    db["aliases"].create(
        {"user_id": int, "alias": str, "tag": str}, pk=("user_id", "alias"), foreign_keys=[("user_id", "users", "id")]
    )
    db["implied"].create(
        {"user_id": int, "tag": str, "implies": str},
        pk=("user_id", "tag", "implies"),
        foreign_keys=[("user_id", "users", "id")],
    )
    db["state"].create(
        {"user_id": int, "key": str, "value": str, "updated": str},
        pk=("user_id", "key"),
        foreign_keys=[("user_id", "users", "id")],
    )


@migrations()
def m002_event_keys(db: Database) -> None:
    """Each event may carry its sender's unique key, so an event sent again (its answer was lost) is stored once.
    Events without a key (older ones, clients that send none) are not constrained."""
    db["events"].add_column("key", str)
    db.execute("CREATE UNIQUE INDEX events_user_key ON events (user_id, key) WHERE key IS NOT NULL")


def known_migrations() -> list[str]:
    """The names of the migrations this version of tagrec has, in order."""
    return [m.name for m in migrations._migrations]


def newer_than_us(db: Database) -> list[str]:
    """Migrations the database has applied that this version does not know (written by a newer tagrec)."""
    known = set(known_migrations())
    return [m.name for m in migrations.applied(db) if m.name not in known]
