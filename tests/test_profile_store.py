"""The profile database, for real: SQLite files in tmp_path, threads and a second process.

Feedback validation (nothing is written for a rejected event or a malformed import), the schema and its
migrations, what an event does to items, clock, vocabulary, decay and co-occurrence, forgetting, reset,
export/import, aliases and implied tags, damaged and newer profiles, and readers and writers at once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tagrec_core.atomic import open_atomically
from tagrec_core.errors import FeedbackError, InputError, KeyConflict, ProfileError, TagrecError
from tagrec_core.profile import DEFAULT_USER, Feedback, Profile, learning, parse_feedback
from tagrec_core.profile.feedback import MAX_BODY_CHARS, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS
from tagrec_core.profile.learning import HALF_LIFE_LONG, HALF_LIFE_SHORT, decay
from tagrec_core.profile.schema import MIGRATION_SET, known_migrations
from tagrec_core.profile.store import WAL_LIMIT_BYTES
from tagrec_core.profile.transfer import (
    BACKUPS_KEPT,
    backup_profile,
    export_profile,
    import_profile,
    learn_records,
    unpin_backup,
    unpin_backups,
    write_export,
)
from tagrec_core.profile.user_model import UserModel
from tagrec_core.records import Record
from tagrec_core.retrieval import TERM_BUCKETS

# --- helpers ------------------------------------------------------------------------------------------------


def event(**fields: Any) -> Feedback:
    """A checked event: site ``files``, item ``a`` unless given."""
    return parse_feedback({"site": "files", "item": "a", **fields})


def contents(profile: Profile) -> dict[str, Any]:
    """``stats`` without the file's size, which the background checkpoint changes on its own."""
    return {k: v for k, v in profile.stats().items() if k != "bytes"}


def query(path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read through a connection of our own (not the profile's)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def item_tags(profile: Profile, item: str, user: str = DEFAULT_USER, site: str = "files") -> list[str] | None:
    row = (
        profile.reader()
        .execute(
            "SELECT tags FROM items WHERE site = ? AND item = ? AND user_id = (SELECT id FROM users WHERE name = ?)",
            (site, item, user),
        )
        .fetchone()
    )
    return None if row is None else json.loads(row[0])


def vocab(profile: Profile, user: str = DEFAULT_USER) -> dict[str, dict[str, Any]]:
    cursor = profile.reader().execute(
        "SELECT * FROM vocab WHERE user_id = (SELECT id FROM users WHERE name = ?) ORDER BY tag", (user,)
    )
    names = [d[0] for d in cursor.description]
    return {row[1]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def cooc(profile: Profile, user: str = DEFAULT_USER) -> dict[tuple[str, str], int]:
    return {
        (a, b): n
        for a, b, n in profile.reader().execute(
            "SELECT tag, other, items FROM cooc WHERE user_id = (SELECT id FROM users WHERE name = ?)", (user,)
        )
    }


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with Profile.open(tmp_path / "profile.sqlite", recover=False) as opened:
        yield opened


def rich_profile(profile: Profile) -> None:
    """Two users with items, shown/accepted/rejected/final events, aliases, implied tags and learned state."""
    profile.set_alias("js", "javascript", "alice")
    profile.set_implied("pandas", "python", "alice")
    profile.record_many([
        event(user="alice", item="q1", title="merge dataframes", body="pandas merge", accepted=["pandas", "python"],
              shown=["pandas", "numpy"], rejected=["numpy"], created="2024-01-01T10:00:00+00:00"),
        event(user="alice", item="q2", title="react hooks", accepted=["JS", "reactjs"], shown=["reactjs", "css"],
              rejected=["css"], created="2024-01-02T10:00:00+00:00"),
        event(user="alice", item="q1", accepted=["dataframe"], created="2024-01-03T10:00:00+00:00"),
        event(user="alice", site="stackoverflow", item="https://so/q/3", title="docker volume", final=["docker"]),
        event(user="bob", item="b1", title="火锅 好吃", accepted=["美食"], created="2024-02-01T00:00:00+08:00"),
        event(user="bob", item="b2", title="only shown", shown=["电影"]),
    ])  # fmt: skip
    with profile.writing() as conn:
        conn.execute(
            "INSERT INTO state (user_id, key, value, updated) VALUES"
            " ((SELECT id FROM users WHERE name = 'alice'), 'consolidated', '{\"n\": 3}', '2024-01-04')"
        )


# --- 1. feedback validation ------------------------------------------------------------------------------------


def test_a_good_event_is_normalised_and_round_trips() -> None:
    fb = parse_feedback({
        "site": "stackoverflow", "item": "q1", "title": "T", "body": "B", "url": "https://so/q1",
        "shown": ["Python", "python", "Machine  Learning"], "accepted": [" Python "], "rejected": ["R"],
        "created": "2024-05-06T07:08:09+00:00",
    })  # fmt: skip
    assert fb.user == DEFAULT_USER
    assert fb.shown == ("python", "machine-learning")
    assert fb.accepted == ("python",) and fb.rejected == ("r",) and fb.final is None
    assert parse_feedback(fb.to_dict()) == fb
    assert "final" not in fb.to_dict()
    assert parse_feedback({"site": "files", "item": "x", "final": []}, default_user="zoe").user == "zoe"
    assert parse_feedback({"site": "files", "item": "x", "final": []}).final == ()  # clearing the tags: allowed
    now = parse_feedback({"site": "files", "item": "x", "accepted": ["a"]}).created
    assert now.endswith("+00:00") and now[:4].isdigit()


BAD_EVENTS: dict[str, tuple[Any, str]] = {
    "not-an-object": (["site", "files"], "must be a JSON object, not a list"),
    "unknown-field": ({"site": "files", "item": "a", "accepted": ["x"], "colour": "red"}, "unknown field: colour"),
    "unknown-fields": ({"site": "files", "item": "a", "accepted": ["x"], "b": 1, "a": 2}, "unknown fields: a, b"),
    "no-site": ({"item": "a", "accepted": ["x"]}, "site is required"),
    "site-number": ({"site": 3, "item": "a", "accepted": ["x"]}, "site must be a string, not a number"),
    "site-shape": ({"site": "Stack Overflow", "item": "a", "accepted": ["x"]}, "site must be a lowercase name"),
    "no-item": ({"site": "files", "accepted": ["x"]}, "item is required"),
    "blank-item": ({"site": "files", "item": "   ", "accepted": ["x"]}, "item is empty"),
    "user-number": ({"site": "files", "item": "a", "user": 7, "accepted": ["x"]}, "user must be a string"),
    "nul-in-title": ({"site": "files", "item": "a", "title": "a\x00b", "accepted": ["x"]}, "NUL"),
    "huge-title": (
        {"site": "files", "item": "a", "title": "t" * (MAX_TITLE_CHARS + 1), "accepted": ["x"]},
        "title is too long",
    ),
    "huge-body": (
        {"site": "files", "item": "a", "body": "b" * (MAX_BODY_CHARS + 1), "accepted": ["x"]},
        "body is too long",
    ),
    "tags-not-list": ({"site": "files", "item": "a", "accepted": "python"}, "accepted must be a list of tags"),
    "tags-boolean": ({"site": "files", "item": "a", "shown": True}, "shown must be a list of tags, not a boolean"),
    "tag-number": ({"site": "files", "item": "a", "accepted": ["ok", 5]}, "accepted[1] must be a string"),
    "tag-null": ({"site": "files", "item": "a", "rejected": [None]}, "rejected[0] must be a string, not null"),
    "empty-tag": ({"site": "files", "item": "a", "accepted": [""]}, "accepted[0] is an empty tag"),
    "blank-tag": ({"site": "files", "item": "a", "final": ["a", " \t "]}, "final[1] is an empty tag"),
    "long-tag": ({"site": "files", "item": "a", "accepted": ["x" * (MAX_TAG_CHARS + 1)]}, "accepted[0] is too long"),
    "too-many-tags": (
        {"site": "files", "item": "a", "shown": [f"t{i}" for i in range(MAX_TAGS + 1)]},
        f"shown has {MAX_TAGS + 1} tags",
    ),
    "accepted-and-rejected": (
        {"site": "files", "item": "a", "accepted": ["Python", "x"], "rejected": ["python"]},
        "tags both accepted and rejected: python",
    ),
    "nothing-to-learn": ({"site": "files", "item": "a", "title": "t"}, "nothing to learn"),
    "only-empty-lists": ({"site": "files", "item": "a", "accepted": [], "rejected": []}, "nothing to learn"),
    "created-not-iso": ({"site": "files", "item": "a", "accepted": ["x"], "created": "yesterday"}, "not an ISO 8601"),
    "created-number": (
        {"site": "files", "item": "a", "accepted": ["x"], "created": 1700000000},
        "ISO 8601 time string",
    ),
    "key-number": ({"site": "files", "item": "a", "accepted": ["x"], "key": 42}, "key must be a string"),
    "key-empty": ({"site": "files", "item": "a", "accepted": ["x"], "key": ""}, "key is empty"),
    "key-space": ({"site": "files", "item": "a", "accepted": ["x"], "key": "a b"}, "key must be 1 to 128"),
    "key-long": ({"site": "files", "item": "a", "accepted": ["x"], "key": "k" * 129}, "key is too long"),
}


@pytest.mark.parametrize("case", list(BAD_EVENTS))
def test_a_bad_event_is_rejected_with_a_reason(case: str) -> None:
    data, reason = BAD_EVENTS[case]
    with pytest.raises(FeedbackError) as caught:
        parse_feedback(data)
    assert reason in str(caught.value)
    assert caught.value.code == "bad_feedback"
    assert isinstance(caught.value, InputError)


def test_nothing_is_written_when_an_event_is_rejected(profile: Profile) -> None:
    profile.record(event(accepted=["kept"]))
    before = (export_profile(profile), contents(profile))
    for data, _ in BAD_EVENTS.values():
        with pytest.raises(FeedbackError):
            profile.record(parse_feedback(data))
        # A batch is checked event by event before record_many sees it: one bad event stops the batch.
        with pytest.raises(FeedbackError):
            profile.record_many([parse_feedback(d) for d in ({"site": "files", "item": "z", "accepted": ["y"]}, data)])
    assert (export_profile(profile), contents(profile)) == before
    assert profile.users() == [DEFAULT_USER]


def test_record_many_is_all_or_nothing(profile: Profile) -> None:
    profile.record(event(accepted=["kept"]))
    before = export_profile(profile)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), profile.writing() as conn:
        conn.execute("INSERT INTO users (name) VALUES ('ghost')")
        raise Boom
    assert export_profile(profile) == before
    assert profile.users() == [DEFAULT_USER]
    ids = profile.record_many([event(item="b", accepted=["b"]), event(item="c", accepted=["c"])])
    assert ids == sorted(ids) and len(set(ids)) == 2


def malformed_documents(good: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """Documents that must be refused whole, each with (part of) the reason: the first user is fine, the damage
    is further in."""
    first = good["users"][0]

    def with_second(**changes: Any) -> dict[str, Any]:
        second = {"name": "mallory", "items": [], "events": [], **changes}
        return {**good, "users": [first, second]}

    def item(**changes: Any) -> dict[str, Any]:
        return {"site": "files", "item": "x", "title": "t", "body": "", "tags": ["a"], "clock": 1, **changes}

    def an_event(**changes: Any) -> dict[str, Any]:
        return {"site": "files", "item": "x", "accepted": ["a"], "clock": 1, "created": "2024-01-01", **changes}

    at_item, at_event = "users[1] (user 'mallory'): items[0] (item 'x' of files): ", "events[0] (item 'x' of files): "
    return {
        "not-an-object": ([good], "not a tagrec profile export"),
        "wrong-format": ({**good, "format": "something-else"}, "not a tagrec profile export"),
        "newer-version": ({**good, "version": 99}, "version 99 is not supported"),
        "users-not-list": ({**good, "users": {"alice": first}}, "users must be a list, not an object"),
        "unknown-top-field": ({**good, "colour": "red"}, "the profile export: unknown field: colour"),
        "user-without-name": (with_second(name=""), "users[1]: name is empty"),
        "user-name-a-number": (with_second(name=7), "users[1]: name must be a string, not a number"),
        "user-listed-twice": ({**good, "users": [first, first]}, "users[1]: user 'alice' is listed twice"),
        "items-not-list": (with_second(items="q1"), "users[1] (user 'mallory'): items must be a list, not a string"),
        "item-without-tags": (with_second(items=[item(tags=None)]), at_item + "tags is required"),
        "item-tag-not-string": (with_second(items=[item(tags=["ok", 3])]), at_item + "tags[1] must be a string"),
        "item-listed-twice": (
            with_second(items=[item(), item(title="again")]),
            "items[1]: item 'x' of files is listed twice (also items[0])",
        ),
        "item-unknown-field": (with_second(items=[item(colour="red")]), at_item + "unknown field: colour"),
        "item-site-not-a-site": (with_second(items=[item(site="Stack Overflow")]), "site must be a lowercase name"),
        "title-a-number": (with_second(items=[item(title=5)]), at_item + "title must be a string, not a number"),
        "title-too-long": (with_second(items=[item(title="t" * (MAX_TITLE_CHARS + 1))]), "title is too long"),
        "title-lone-surrogate": (with_second(items=[item(title="a\udfffb")]), "title is not valid Unicode text"),
        "tag-lone-surrogate": (with_second(items=[item(tags=["\ud800"])]), "tags[0] is not valid Unicode text"),
        "tag-control-character": (with_second(items=[item(tags=["a\x07b"])]), "tags[0] contains control characters"),
        "tag-too-long": (with_second(items=[item(tags=["x" * (MAX_TAG_CHARS + 1)])]), "tags[0] is too long"),
        "tag-empty": (with_second(items=[item(tags=[" "])]), "tags[0] is an empty tag"),
        "item-clock-not-number": (with_second(items=[item(clock="x")]), "clock must be a whole number, not a string"),
        "item-clock-huge": (with_second(items=[item(clock=2**70)]), "clock must lie between 0 and 2**53"),
        "updated-not-a-time": (with_second(items=[item(updated="yesterday")]), "updated is not an ISO 8601 time"),
        "event-without-item": (with_second(events=[{"site": "files", "shown": []}]), "events[0]: item is required"),
        "event-list-not-list": (with_second(events=[an_event(accepted="yes")]), "accepted must be a list of tags"),
        "event-tag-not-string": (with_second(events=[an_event(accepted=[{"t": 1}])]), "accepted[0] must be a string"),
        "event-too-many-tags": (
            with_second(events=[an_event(shown=[f"t{n}" for n in range(MAX_TAGS + 1)])]),
            at_event + f"shown has {MAX_TAGS + 1} tags",
        ),
        "event-clock-negative": (with_second(events=[an_event(clock=-1)]), "clock must lie between 0 and 2**53"),
        "created-a-list": (
            with_second(events=[an_event(created=["2024-01-01"])]),
            at_event + "created must be an ISO 8601 time string, not a list",
        ),
        "created-missing": (with_second(events=[an_event(created=None)]), "created must be an ISO 8601 time string"),
        "created-before-1970": (
            with_second(events=[an_event(created="1969-12-31T00:00:00+00:00")]),
            "created must lie between 1970-01-01",
        ),
        "created-far-future": (with_second(events=[an_event(created="2999-01-01")]), "created must lie between"),
        "url-lone-surrogate": (with_second(events=[an_event(url="https://x/\ud800")]), "url is not valid Unicode"),
        "key-with-space": (with_second(events=[an_event(key="a b")]), at_event + "key must be 1 to 128 printable"),
        "key-twice": (
            with_second(events=[an_event(key="k-1"), an_event(key="k-1")]),
            "events[1] (item 'x' of files): key 'k-1' is listed twice (also events[0])",
        ),
        "aliases-not-object": (with_second(aliases=[["js", "javascript"]]), "aliases must be an object"),
        "alias-of-itself": (with_second(aliases={"js": "JS"}), "'js' is an alias of itself"),
        "alias-not-string": (with_second(aliases={"js": 5}), "the tag of 'js' must be a string, not a number"),
        "alias-lone-surrogate": (with_second(aliases={"\ud800": "x"}), "is not valid Unicode text"),
        "alias-chain": (with_second(aliases={"a": "b", "b": "c"}), "'a' stands for 'b', which is itself an alias"),
        "alias-twice": (with_second(aliases={"JS": "javascript", "js": "java"}), "'js' is listed twice"),
        "implied-not-pairs": (with_second(implied=[["pandas"]]), "implied[0] must be a [tag, implies] pair"),
        "implied-not-strings": (with_second(implied=[["pandas", 1]]), "the implied tag must be a string"),
        "implied-itself": (with_second(implied=[["pandas", "Pandas"]]), "'pandas' cannot imply itself"),
        "implied-control": (with_second(implied=[["pan\x1bdas", "python"]]), "the tag contains control characters"),
        "clock-not-number": (with_second(clock="late"), "clock must be a whole number, not a string"),
        "clock-huge": (with_second(clock=2**70), "clock must lie between 0 and 2**53"),
        "clock-boolean": (with_second(clock=True), "clock must be a whole number, not a boolean"),
        "state-not-object": (with_second(state=["x"]), "state must be an object, not a list"),
        "state-key-lone-surrogate": (with_second(state={"\ud800": 1}), "a key is not valid Unicode text"),
        "state-not-json": (with_second(state={"k": {1, 2}}), "state['k'] is not JSON data"),
    }


def test_importing_a_malformed_document_writes_nothing(profile: Profile) -> None:
    rich_profile(profile)
    good = json.loads(json.dumps(export_profile(profile)))
    stats = contents(profile)
    for name, (document, reason) in malformed_documents(good).items():
        with pytest.raises(TagrecError) as caught:
            import_profile(profile, document)
        assert isinstance(caught.value, InputError), (name, caught.value)
        assert reason in str(caught.value), (name, str(caught.value))
        assert export_profile(profile) == good, name
        assert contents(profile) == stats, name
    assert import_profile(profile, good) == ["alice", "bob"]  # and the good document still imports
    assert export_profile(profile) == good


def test_learn_records_skips_records_that_break_the_feedback_rules_only_when_asked(profile: Profile) -> None:
    records = [
        Record(id="1", title="good", body="", tags=("a",), created="2024-01-02"),
        Record(id="2", title="too many", body="", tags=tuple(f"t{n}" for n in range(MAX_TAGS + 1))),
        Record(id="3", title="long tag", body="", tags=("x" * (MAX_TAG_CHARS + 1),)),
        Record(id="4", title="too old", body="", tags=("b",), created="1900-01-01"),
        Record(id="5", title="control", body="", tags=("c\x07",)),
        Record(id="6", title="good too", body="", tags=("d",), created="2024-01-01"),
    ]
    with pytest.raises(FeedbackError, match=f"tags has {MAX_TAGS + 1} tags"):  # the first bad one, nothing written
        learn_records(profile, records, "files")
    assert profile.users() == [] and contents(profile)["feedback_events"] == 0
    bad: list[tuple[int, str]] = []
    assert learn_records(profile, records, "files", on_bad=lambda n, error: bad.append((n, str(error)))) == 2
    assert [n for n, _ in bad] == [1, 2, 3, 4]
    assert "tags[0] is too long" in bad[1][1] and "created must lie between" in bad[2][1]
    assert "tags[0] contains control characters" in bad[3][1]
    items = [r[0] for r in profile.reader().execute("SELECT item FROM events ORDER BY id")]
    assert items == ["6", "1"]  # in created order
    with pytest.raises(FeedbackError, match="site must be a lowercase name"):  # never skipped: every record has it
        learn_records(profile, records[:1], "Stack Overflow", on_bad=lambda n, error: None)


# --- 2. the store ---------------------------------------------------------------------------------------------


def test_a_new_profile_is_wal_durable_and_records_its_migrations(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "profile.sqlite"
    with Profile.open(path, recover=False) as profile:
        assert profile.recovered is None
        assert profile.reader().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert profile.reader().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        with profile.writing() as conn:
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
            assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert profile.integrity() == "ok"
    assert query(path, "PRAGMA journal_mode")[0][0] == "wal"  # stored in the file, not per connection
    applied = query(path, "SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id")
    assert [(s, n) for s, n, _ in applied] == [(MIGRATION_SET, n) for n in known_migrations()]
    tables = {r[0] for r in query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "events", "items", "vocab", "cooc", "aliases", "implied", "state"} <= tables
    with Profile.open(path, recover=False):  # opening again applies nothing twice
        pass
    assert query(path, "SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id") == applied


def test_checkpoints_run_in_the_background_not_in_a_write(tmp_path: Path) -> None:
    """The writer never checkpoints (its commit would wait for it); a thread copies the WAL into the database
    file soon after writes, so the WAL does not grow without bound while the app runs."""
    path = tmp_path / "p.sqlite"

    def ours() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == f"tagrec-profile-checkpoint {path}"]

    with Profile.open(path, recover=False) as profile:
        with profile.writing() as conn:
            assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        before = path.stat().st_size
        for n in range(40):
            profile.record(event(item=f"q{n}", title=f"question {n} " + "words " * 200, accepted=[f"t{n}", "x"]))
        deadline = time.monotonic() + 10
        while path.stat().st_size == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > before  # pages reached the database file while the profile stayed open
        assert profile.integrity() == "ok"
        assert ours(), "no checkpoint thread"
    assert not ours()  # it stops with the profile
    assert query(path, "SELECT count(*) FROM events")[0][0] == 40


def burst(profile: Profile, count: int, start: int = 0, body: str = "") -> Iterator[int]:
    """Record ``count`` new items back to back, one transaction each (as ``tagrec feedback`` and the bridge do);
    yields each event's number once it is durable."""
    for n in range(start, start + count):
        profile.record(
            event(item=f"burst-{n}", title=f"question {n} about topic {n % 97}", body=body,
                  shown=[f"t{n % 50}", f"t{n % 7}", "x"], accepted=[f"t{n % 50}", f"t{n % 7}"])
        )  # fmt: skip
        yield n


def test_the_wal_stays_bounded_under_a_burst_of_writes(tmp_path: Path) -> None:
    """A background checkpoint beside a writer that never pauses never reached the WAL's end, so SQLite never
    rewound it: 1,500 events made a ~70 MB WAL (240 MB for 5,000) that kept its size while the profile was
    open. Now it stays near ``WAL_LIMIT_BYTES``, with a reader busy all along."""
    path = tmp_path / "profile.sqlite"
    wal = Path(f"{path}-wal")
    peak = 0
    errors: list[str] = []
    done = threading.Event()
    with Profile.open(path, recover=False) as profile:

        def read() -> None:
            try:
                while not done.is_set():
                    profile.stats()
            except Exception as error:
                errors.append(repr(error))

        reader = threading.Thread(target=read)
        reader.start()
        try:
            for _ in burst(profile, 1500):
                peak = max(peak, wal.stat().st_size)
        finally:
            done.set()
            reader.join()
        assert not errors, errors
        assert peak <= 2 * WAL_LIMIT_BYTES, f"the WAL reached {peak:,} bytes"
        assert wal.stat().st_size <= 2 * WAL_LIMIT_BYTES  # and it does not keep a peak while the profile is open
        assert profile.stats()["feedback_events"] == 1500
        assert profile.integrity() == "ok"
    assert query(path, "SELECT count(*) FROM events") == [(1500,)]


@contextlib.contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` mounted at ``folder`` (root only: the test is skipped otherwise)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small disk needs root")
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_holds_about_as_much_as_it_can_and_recovers_once_space_is_freed(tmp_path: Path) -> None:
    """On a 16 MB disk the WAL took the space (453 of 20,000 events stored, then no write and no checkpoint
    worked). Now events fill the disk with data until a write fails with a clear error; every acknowledged
    event is kept, and writing works again once space is freed."""
    with small_disk(tmp_path / "disk", 16) as disk:
        filler = disk / "filler"
        filler.write_bytes(b"\0" * 2 * 1024 * 1024)
        path = disk / "profile.sqlite"
        stored = 0
        with Profile.open(path, recover=False) as profile:
            with pytest.raises(ProfileError, match="the disk is full"):
                for n in burst(profile, 100_000, body="words of a longer question body " * 40):
                    stored = n + 1
            # The space went to the data, not to the WAL: the database file holds most of it.
            assert path.stat().st_size >= 6 * 1024 * 1024, (path.stat().st_size, Path(f"{path}-wal").stat())
            assert profile.stats()["feedback_events"] == stored  # every acknowledged event, nothing else
            # The failed write checkpointed the WAL, so the next ones reuse its space until that is gone too: each
            # is stored whole, or refused with the same clear error.
            for n in range(200):
                try:
                    profile.record(event(item=f"while-full-{n}", accepted=["x"]))
                    stored += 1
                except ProfileError as error:
                    assert "the disk is full" in str(error)
            assert profile.stats()["feedback_events"] == stored
            filler.unlink()
            for _ in burst(profile, 50, start=stored):
                pass
            assert profile.stats()["feedback_events"] == stored + 50
            assert profile.integrity() == "ok"
        assert query(path, "SELECT count(*) FROM events") == [(stored + 50,)]
        assert not Path(f"{path}-wal").exists()  # closing checkpointed the rest


def test_closed_profile_refuses_work(tmp_path: Path) -> None:
    profile = Profile.open(tmp_path / "p.sqlite")
    profile.close()
    profile.close()  # twice is fine
    with pytest.raises(ProfileError, match="closed"):
        profile.reader()
    with pytest.raises(ProfileError, match="closed"):
        profile.record(event(accepted=["x"]))


def test_record_advances_clock_and_version(profile: Profile) -> None:
    assert profile.user(DEFAULT_USER) is None
    first = profile.record(event(item="a", accepted=["x"]))
    row = profile.user(DEFAULT_USER)
    assert row is not None and (row.clock, row.version) == (1, 1)
    generation = row.generation
    second = profile.record(event(item="b", shown=["y"], rejected=["y"]))  # no tags added: the clock stays
    row = profile.user(DEFAULT_USER)
    assert row is not None and (row.clock, row.version, row.generation) == (1, 2, generation)
    profile.record(event(item="a", accepted=["z"]))  # a tag added to a known item: one more tagging
    row = profile.user(DEFAULT_USER)
    assert row is not None and (row.clock, row.version) == (2, 3)
    assert second > first > 0
    events = query(profile.path, "SELECT id, item, clock FROM events ORDER BY id")
    assert events == [(first, "a", 1), (second, "b", 1), (second + 1, "a", 2)]


def test_an_event_sent_again_with_its_key_is_stored_once_even_after_a_restart(tmp_path: Path) -> None:
    """A sender that got no answer sends the event again (the extension's outbox after a timeout): with the same
    ``key`` it is answered with the stored event's id, and nothing is written or learned twice, also once the
    profile was closed and opened again (another run of the app)."""
    path = tmp_path / "profile.sqlite"
    sent = {"site": "files", "item": "a", "shown": ["x", "y"], "accepted": ["x"], "key": "0b7c5f1e-5a43-4e0b"}
    with Profile.open(path, recover=False) as profile:
        first = profile.record(parse_feedback(sent))
        after_first = (contents(profile), vocab(profile), profile.user(DEFAULT_USER))
        assert profile.record(parse_feedback(sent)) == first
        assert profile.record_many([parse_feedback(sent), parse_feedback(sent)]) == [first] * 2
        assert (contents(profile), vocab(profile), profile.user(DEFAULT_USER)) == after_first
    with Profile.open(path, recover=False) as profile:
        assert profile.record(parse_feedback(sent)) == first
        assert (contents(profile), vocab(profile), profile.user(DEFAULT_USER)) == after_first
        assert query(path, "SELECT id, key FROM events") == [(first, sent["key"])]
        # Keys are per user, and optional: without one, every copy is an event of its own.
        other = profile.record(parse_feedback({**sent, "user": "bob"}))
        unkeyed = {k: v for k, v in sent.items() if k != "key"}
        twice = [profile.record(parse_feedback(unkeyed)) for _ in range(2)]
        assert len({first, other, *twice}) == 4
        assert contents(profile)["feedback_events"] == 4


def test_a_different_event_under_a_key_the_user_has_is_refused_and_nothing_is_written(profile: Profile) -> None:
    """A script that numbered its events per run sent "cli:1" in every run: the second run's event, another item
    with other tags, was answered with the first event's id and silently lost. A different event under a used key
    is now refused (``KeyConflict``, a ``FeedbackError`` saying which fields differ) and nothing is written,
    alone or in a batch; the same event sent again is still answered with the stored id, also when it differs
    only in what is not compared (``created``, the text) or only before normalising (tag case, an alias set
    since it was stored)."""
    sent = {"site": "files", "item": "a", "url": "u", "shown": ["x", "js"], "accepted": ["js"], "key": "cli:1"}
    first = profile.record(parse_feedback(sent))
    before = (
        contents(profile),
        vocab(profile),
        profile.user(DEFAULT_USER),
        query(profile.path, "SELECT * FROM events"),
    )
    different = {
        "site": {"site": "notes"},
        "item": {"item": "b"},
        "url": {"url": "v"},
        "shown": {"shown": ["x"]},
        "accepted": {"accepted": ["x"]},
        "rejected": {"rejected": ["x"]},
        "final": {"final": ["js"]},
    }
    for field, change in different.items():
        with pytest.raises(FeedbackError) as caught:
            profile.record(parse_feedback({**sent, **change}))
        assert caught.value.code == "key_conflict"
        assert re.search(
            rf"^key 'cli:1' was already used by a different event \(it differs in {field}\)", str(caught.value)
        )
    with pytest.raises(KeyConflict, match="differs in item, accepted"):  # a new event first: the batch writes none
        profile.record_many([event(item="new", accepted=["z"]), parse_feedback({**sent, "item": "b", "accepted": []})])
    after = (contents(profile), vocab(profile), profile.user(DEFAULT_USER), query(profile.path, "SELECT * FROM events"))
    assert after == before

    same = {
        **sent,
        "shown": ["X", "JS"],
        "accepted": ["Js"],
        "created": "2020-01-01T00:00:00",
        "title": "t",
        "body": "b",
    }
    assert profile.record(parse_feedback(same)) == first
    profile.set_alias("js", "javascript", DEFAULT_USER)  # stored as "js"; a copy sent now is canonicalised anew
    assert profile.record(parse_feedback(sent)) == first
    assert contents(profile)["feedback_events"] == 1
    # final given empty is not final left out: "no tags now" against "earlier tags plus accepted".
    profile.record(parse_feedback({"site": "files", "item": "c", "final": [], "shown": ["x"], "key": "k-final"}))
    with pytest.raises(KeyConflict, match="differs in final"):
        profile.record(parse_feedback({"site": "files", "item": "c", "shown": ["x"], "key": "k-final"}))


def test_a_profile_of_an_older_tagrec_gets_event_keys_and_keeps_its_events(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from tagrec_core.profile.schema import migrations

    path = tmp_path / "profile.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.apply(Database(conn), stop_before="m002_event_keys")  # the tables as the tagrec before keys made them
    conn.execute("INSERT INTO users (name, clock, version, generation) VALUES ('local', 0, 0, 0)")
    conn.execute("INSERT INTO events (user_id, site, item, accepted) VALUES (1, 'files', 'old', '[\"x\"]')")
    conn.close()
    with Profile.open(path, recover=False) as profile:
        assert profile.recovered is None
        sent = parse_feedback({"site": "files", "item": "new", "accepted": ["y"], "key": "k1"})
        assert profile.record(sent) == profile.record(sent)
        assert query(path, "SELECT item, key FROM events ORDER BY id") == [("old", None), ("new", "k1")]
    assert [n for _, n in query(path, "SELECT migration_set, name FROM _sqlite_migrations")] == known_migrations()


def test_final_wins_over_accepted_and_rejected(profile: Profile) -> None:
    profile.record(event(accepted=["a", "b"]))
    assert item_tags(profile, "a") == ["a", "b"]
    profile.record(event(accepted=["c", "b"], rejected=["a"]))  # earlier tags + accepted - rejected
    assert item_tags(profile, "a") == ["b", "c"]
    profile.record(event(rejected=["zzz"]))  # rejecting a tag the item does not have changes nothing
    assert item_tags(profile, "a") == ["b", "c"]
    profile.record(event(accepted=["x"], final=["d", "b"]))  # final is the item's tags, whatever else
    assert item_tags(profile, "a") == ["d", "b"]
    assert {t: v["items"] for t, v in vocab(profile).items()} == {"a": 0, "b": 1, "c": 0, "d": 1, "x": 0, "zzz": 0}
    counts = {t: (v["accepted"], v["rejected"]) for t, v in vocab(profile).items()}
    assert counts == {"a": (1, 1), "b": (2, 0), "c": (1, 0), "d": (0, 0), "x": (1, 0), "zzz": (0, 1)}
    profile.record(event(final=[]))  # the user cleared the item's tags
    assert item_tags(profile, "a") == []
    assert all(v["items"] == 0 for v in vocab(profile).values())
    assert profile.stats()["tags"] == 0 and profile.stats()["feedback_events"] == 5


def test_shown_accepted_counts_give_the_accept_rate(profile: Profile) -> None:
    profile.record(event(item="1", shown=["a", "b", "c"], accepted=["a", "new"], rejected=["b"]))
    profile.record(event(item="2", shown=["a", "c"], accepted=["a"]))
    v = vocab(profile)
    assert (v["a"]["shown"], v["a"]["accepted"], v["a"]["hits"]) == (2, 2, 2)
    assert (v["new"]["shown"], v["new"]["accepted"], v["new"]["hits"]) == (0, 1, 0)  # not shown: no hit
    assert (v["c"]["shown"], v["c"]["hits"], v["b"]["rejected"]) == (2, 0, 1)
    stats = profile.stats()
    assert (stats["shown"], stats["accepted"], stats["rejected"]) == (5, 3, 1)
    assert stats["accept_rate"] == pytest.approx(2 / 5)


def effective(entry: dict[str, Any], clock: int, half_life: float) -> float:
    """A vocab row's decayed weight at ``clock``."""
    stored = entry["weight_short"] if half_life == HALF_LIFE_SHORT else entry["weight_long"]
    return stored * decay(clock - entry["clock"], half_life)


def test_old_tags_weigh_less_than_recent_ones(profile: Profile) -> None:
    for n in range(3):  # used three times, long ago
        profile.record(event(item=f"old-{n}", accepted=["old"]))
    for n in range(40):
        profile.record(event(item=f"mid-{n}", accepted=[f"filler-{n % 4}"]))
    profile.record(event(item="new", accepted=["new"]))  # used once, just now
    clock = profile.user(DEFAULT_USER).clock  # type: ignore[union-attr]
    assert clock == 44
    v = vocab(profile)
    for half_life in (HALF_LIFE_SHORT, HALF_LIFE_LONG):
        old, new = effective(v["old"], clock, half_life), effective(v["new"], clock, half_life)
        expected_old = sum(decay(clock - c, half_life) for c in (1, 2, 3))
        assert old == pytest.approx(expected_old, rel=1e-9)
        assert new == pytest.approx(1.0)
    assert effective(v["old"], clock, HALF_LIFE_SHORT) < 0.5 < effective(v["new"], clock, HALF_LIFE_SHORT)
    # The user model reads the same weights: the recent tag has the larger share of the user's tagging.
    model = UserModel(DEFAULT_USER, np.ones(TERM_BUCKETS, np.float32))
    model.refresh(profile.reader(), profile.user(DEFAULT_USER))
    old, new = (model.weight(model.vocab[t], HALF_LIFE_SHORT) / model.total(HALF_LIFE_SHORT) for t in ("old", "new"))
    assert old < new
    assert model.top_tags(1) != ["old"] and v["old"]["items"] == 3


def test_rejections_decay_too(profile: Profile) -> None:
    profile.record(event(item="r", shown=["nope"], rejected=["nope"]))
    for n in range(20):
        profile.record(event(item=f"i{n}", accepted=["x"]))
    model = UserModel(DEFAULT_USER, np.ones(TERM_BUCKETS, np.float32))
    model.refresh(profile.reader(), profile.user(DEFAULT_USER))
    assert model.rejected("nope") == pytest.approx(decay(20, HALF_LIFE_SHORT))
    assert model.rejected("x") == 0.0 and model.rejected("never-seen") == 0.0


def test_weights_stay_what_a_rebuild_computes_when_items_are_edited(profile: Profile) -> None:
    """Re-tagging an item re-stamps its tags at the new clock; removing one later takes away exactly that
    item's part, and the incremental weights equal those rebuilt from the items (as forget/import do)."""
    profile.record(event(item="A", accepted=["pandas"]))
    profile.record(event(item="B", accepted=["pandas"]))
    for n in range(5):
        profile.record(event(item=f"x{n}", accepted=["other"]))
    profile.record(event(item="A", accepted=["dataframe"]))  # A is tagged again, now
    profile.record(event(item="A", rejected=["pandas"]))  # and loses pandas: B alone carries it
    clock = profile.user(DEFAULT_USER).clock  # type: ignore[union-attr]
    v = vocab(profile)
    assert v["pandas"]["items"] == 1
    assert effective(v["pandas"], clock, HALF_LIFE_SHORT) == pytest.approx(decay(clock - 2, HALF_LIFE_SHORT))
    assert effective(v["dataframe"], clock, HALF_LIFE_SHORT) == pytest.approx(1.0)

    def weights() -> dict[str, tuple[Any, ...]]:  # without last_clock: a removed tag keeps its last use
        return {tag: row[:5] + row[6:] for tag, row in derived(profile, DEFAULT_USER)[0].items()}

    incremental = weights()
    with profile.writing() as conn:
        learning.rebuild(conn, profile.user(DEFAULT_USER).id)  # type: ignore[union-attr]
    assert weights() == incremental


def test_cooccurrence_follows_the_items(profile: Profile) -> None:
    profile.record(event(item="1", accepted=["a", "b", "c"]))
    profile.record(event(item="2", accepted=["a", "b"]))
    pairs = cooc(profile)
    assert pairs[("a", "b")] == pairs[("b", "a")] == 2
    assert pairs[("a", "c")] == pairs[("c", "b")] == 1
    assert len(pairs) == 6
    profile.record(event(item="1", final=["a"]))
    pairs = cooc(profile)
    assert pairs[("a", "b")] == 1 and pairs[("a", "c")] == 0 and pairs[("c", "a")] == 0


def test_stats_has_path_counts_and_top_tags(profile: Profile) -> None:
    rich_profile(profile)
    stats = profile.stats()
    assert stats["path"] == str(profile.path)
    assert stats["bytes"] > 0
    assert stats["users"] == ["alice", "bob"]
    assert stats["feedback_events"] == 6
    assert stats["items"] == 4  # b2 was only shown tags: no item
    assert (stats["aliases"], stats["implied"]) == (1, 1)
    assert {"tag": "pandas", "items": 1} in stats["top_tags"]
    alice = profile.stats("alice")
    assert alice["users"] == ["alice"] and alice["feedback_events"] == 4 and alice["items"] == 3
    assert alice["tags"] == 6  # pandas python javascript reactjs dataframe docker
    nobody = profile.stats("nobody")
    assert nobody["users"] == [] and nobody["feedback_events"] == 0 and nobody["accept_rate"] is None
    json.dumps(stats)  # JSON-ready


def test_forget_item_removes_it_and_its_events(profile: Profile) -> None:
    rich_profile(profile)
    generation = profile.user("alice").generation  # type: ignore[union-attr]
    assert profile.forget_item("files", "q1", "alice") == 3  # the item and its two events
    assert item_tags(profile, "q1", "alice") is None
    assert query(profile.path, "SELECT count(*) FROM events WHERE item = 'q1'") == [(0,)]
    v = vocab(profile, "alice")
    assert "pandas" not in v and "dataframe" not in v and "numpy" not in v  # rebuilt from what is left
    assert v["javascript"]["items"] == 1 and v["css"]["rejected"] == 1
    assert profile.user("alice").generation > generation  # type: ignore[union-attr]
    assert cooc(profile, "alice") == {("javascript", "reactjs"): 1, ("reactjs", "javascript"): 1}
    assert profile.forget_item("files", "q1", "alice") == 0
    assert profile.forget_item("files", "q1", "nobody") == 0
    assert profile.stats("bob")["feedback_events"] == 2


def test_forget_tag_everywhere_or_for_one_user(profile: Profile) -> None:
    rich_profile(profile)
    profile.record(event(user="bob", item="b3", accepted=["python", "美食"]))
    assert profile.forget_tag("Python", "alice") > 0
    assert "python" not in item_tags(profile, "q1", "alice")  # type: ignore[operator]
    assert profile.stats("alice")["implied"] == 0  # pandas => python went with it
    assert vocab(profile, "alice").get("python", {"items": 0})["items"] == 0
    assert item_tags(profile, "b3", "bob") == ["python", "美食"]  # bob keeps his
    assert profile.forget_tag("javascript") > 0  # everyone
    assert profile.stats("alice")["aliases"] == 0  # js -> javascript went with it
    events = query(profile.path, "SELECT shown, accepted, rejected, final FROM events")
    assert not any("javascript" in (cell or "") for row in events for cell in row)
    assert profile.forget_tag("never-used") == 0
    assert profile.forget_tag("python", "nobody") == 0


def test_reset_one_user_or_everyone(profile: Profile) -> None:
    rich_profile(profile)
    assert profile.reset("nobody") == 0
    assert profile.reset("bob") == 1
    assert profile.users() == ["alice"] and profile.user("bob") is None
    assert profile.reset() == 1
    assert profile.users() == [] and profile.stats()["feedback_events"] == 0
    for table in ("events", "items", "vocab", "cooc", "aliases", "implied", "state", "users"):
        assert query(profile.path, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert profile.integrity() == "ok"


def derived(profile: Profile, user: str) -> tuple[dict[str, Any], dict[tuple[str, str], int]]:
    """What import rebuilds: vocab rows (weights rounded) and co-occurrence, without bookkeeping columns."""
    rows = {}
    for tag, row in vocab(profile, user).items():
        clock = profile.user(user).clock  # type: ignore[union-attr]
        rows[tag] = (
            row["items"], row["shown"], row["accepted"], row["hits"], row["rejected"], row["last_clock"],
            round(effective(row, clock, HALF_LIFE_SHORT), 9), round(effective(row, clock, HALF_LIFE_LONG), 9),
            round(row["rejected_weight"] * decay(clock - row["clock"], HALF_LIFE_SHORT), 9),
        )  # fmt: skip
    return rows, {k: v for k, v in cooc(profile, user).items() if v}


def test_export_reset_import_gives_the_same_profile(profile: Profile, tmp_path: Path) -> None:
    rich_profile(profile)
    document = json.loads(json.dumps(export_profile(profile), ensure_ascii=False))
    assert document["format"] == "tagrec-profile" and document["version"] == 1
    assert [u["name"] for u in document["users"]] == ["alice", "bob"]
    learned = {user: derived(profile, user) for user in ("alice", "bob")}
    profile.reset()
    assert export_profile(profile)["users"] == []
    assert import_profile(profile, document) == ["alice", "bob"]
    assert export_profile(profile) == document
    assert {user: derived(profile, user) for user in ("alice", "bob")} == learned
    assert profile.stats("alice")["aliases"] == 1
    # Into another, fresh profile: the same again; importing twice replaces rather than adds.
    with Profile.open(tmp_path / "other" / "profile.sqlite", recover=False) as other:
        import_profile(other, document)
        import_profile(other, document)
        assert export_profile(other) == document
        assert other.stats()["feedback_events"] == 6
    # Only some users: the others are kept.
    alice_only = export_profile(profile, ["alice", "nobody"])
    assert [u["name"] for u in alice_only["users"]] == ["alice"]
    profile.reset("alice")
    import_profile(profile, alice_only)
    assert export_profile(profile) == document


def test_events_keep_their_keys_through_export_and_import(profile: Profile, tmp_path: Path) -> None:
    """An export left out the events' keys: after a restore (an import, the desktop's undo of a reset) an event
    sent again with its key was stored twice. Exports written before keys existed still import."""
    keyed = {"user": "alice", "site": "files", "item": "q1", "accepted": ["python"], "key": "0b7c5f1e-5a43"}
    first = profile.record(parse_feedback(keyed))
    profile.record(event(user="alice", item="q2", accepted=["rust"]))  # and one without a key
    document = json.loads(json.dumps(export_profile(profile)))
    assert [e.get("key") for e in document["users"][0]["events"]] == ["0b7c5f1e-5a43", None]
    profile.reset()
    import_profile(profile, document)
    assert profile.record(parse_feedback(keyed)) == first  # known: not stored again
    assert profile.stats("alice")["feedback_events"] == 2
    with Profile.open(tmp_path / "other.sqlite", recover=False) as other:
        import_profile(other, document)
        other.record(parse_feedback(keyed))
        assert other.stats("alice")["feedback_events"] == 2
        assert export_profile(other) == document
        # An export of a tagrec before keys: its events have no key field, and import as events without one.
        for e in document["users"][0]["events"]:
            e.pop("key", None)
        import_profile(other, document)
        assert query(other.path, "SELECT key FROM events") == [(None,), (None,)]


def test_a_streamed_export_is_the_same_document_in_the_memory_of_a_row(profile: Profile, tmp_path: Path) -> None:
    """``tagrec profile export`` built the whole document, then one string of it: 1.1 GB of memory for a 99 MB
    file of 200k events. ``write_export`` writes it row by row: the same document, in little memory."""
    rich_profile(profile)
    profile.record(parse_feedback({"user": "dave", "site": "files", "item": "k", "accepted": ["x"], "key": "k-1"}))
    profile.record(event(user="carol", item="c1", title='论文 \u202e "quoted" \\', accepted=["论文"]))
    streamed = io.StringIO()
    write_export(profile, streamed)
    assert json.loads(streamed.getvalue()) == export_profile(profile)
    only = io.StringIO()
    write_export(profile, only, ["bob", "nobody"])
    assert json.loads(only.getvalue()) == export_profile(profile, ["bob"])
    empty = io.StringIO()
    write_export(profile, empty, ["nobody"])
    assert json.loads(empty.getvalue()) == {"format": "tagrec-profile", "version": 1, "users": []}

    body = "a long note about sqlite and pandas " * 60  # ~2 kB an item: 1,500 items make a 3 MB export
    for n in range(1_500):
        profile.record(event(user="heavy", item=f"n{n}", title=f"note {n}", body=body, accepted=["notes"]))
    path = tmp_path / "export.json"
    tracemalloc.start()
    try:
        with path.open("w", encoding="utf-8") as out:
            write_export(profile, out, ["heavy"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert size > 3_000_000 and peak < size / 10, (size, peak)  # whole, it took several times the file's size
    assert json.loads(path.read_text(encoding="utf-8")) == export_profile(profile, ["heavy"])


class _FailingStream(io.StringIO):
    """A stream whose writes fail after a few (a full disk in the middle of an export)."""

    def __init__(self, writes: int) -> None:
        super().__init__()
        self.left = writes

    def write(self, text: str) -> int:
        self.left -= 1
        if self.left < 0:
            raise OSError(28, "No space left on device")
        return super().write(text)


def test_an_export_that_fails_midway_leaves_this_threads_reader_on_the_live_profile(profile: Profile) -> None:
    """The items' cursor stayed open while the error lived (the relay's Future keeps it): this thread's reader
    kept the export's snapshot, reading stale counts and holding the WAL back from being rewound."""
    for n in range(30):
        profile.record(event(item=f"i{n}", title=f"post {n}", accepted=["x"]))
    with pytest.raises(OSError) as failed:
        write_export(profile, _FailingStream(10))
    assert failed.value is not None  # the error, with its traceback and frames, is still alive here
    profile.record(event(item="after", accepted=["y"]))
    assert not profile.reader().in_transaction
    assert profile.stats()["feedback_events"] == 31


def test_a_file_written_atomically_from_a_stream_is_whole_or_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), open_atomically(path) as out:
        out.write("half of it")
        raise RuntimeError("the export failed midway")
    assert path.read_text(encoding="utf-8") == "old" and list(tmp_path.iterdir()) == [path]
    with open_atomically(path) as out:
        out.write("new")
    assert path.read_text(encoding="utf-8") == "new" and list(tmp_path.iterdir()) == [path]
    with pytest.raises(TagrecError, match="cannot write"), open_atomically(tmp_path / "out.json" / "x") as out:
        out.write("into a file as if it were a folder")
    assert path.read_text(encoding="utf-8") == "new"


def test_backups_are_of_the_users_asked_and_only_the_newest_few_are_kept(profile: Profile, tmp_path: Path) -> None:
    """Every forget and reset wrote a backup of the whole profile and none was ever deleted (210 MB beside an
    80 MB profile, forgotten data kept in plain JSON for good)."""
    rich_profile(profile)
    home = tmp_path / "home"
    (home / "backups").mkdir(parents=True)
    (home / "backups" / "notes.txt").write_text("mine")  # not a backup: left alone
    written = [backup_profile(profile, home, ["bob"]) for _ in range(BACKUPS_KEPT + 2)]
    assert sorted((home / "backups").glob("profile-*.json")) == written[-BACKUPS_KEPT:]
    assert (home / "backups" / "notes.txt").read_text() == "mine"
    document = json.loads(written[-1].read_text(encoding="utf-8"))
    assert document == export_profile(profile, ["bob"]) and [u["name"] for u in document["users"]] == ["bob"]
    assert json.loads(backup_profile(profile, home).read_text(encoding="utf-8")) == export_profile(profile)


def test_a_pinned_backup_outlives_pruning_until_unpinned_and_then_takes_its_place(
    profile: Profile, tmp_path: Path
) -> None:
    """Keeping the newest 5 deleted the backup the desktop's Undo still offered (5 CLI forgets meanwhile): the
    undo failed and the reset data was gone. A pinned backup is spared; unpinned (the undo is replaced, the app
    quits, or a crashed run's at the next start), it is an ordinary backup of its own time again."""
    rich_profile(profile)
    home = tmp_path / "home"
    pinned = backup_profile(profile, home, ["bob"], pinned=True)
    later = [backup_profile(profile, home, ["bob"]) for _ in range(BACKUPS_KEPT)]
    assert pinned.exists() and json.loads(pinned.read_text(encoding="utf-8")) == export_profile(profile, ["bob"])
    assert sorted((home / "backups").glob("profile-*.json")) == later  # the CLI's keep the newest-5 rule
    crashed = backup_profile(profile, home, pinned=True)  # the newest, left pinned by a run that crashed

    ordinary = unpin_backup(pinned)  # older than the newest 5: deleted at once
    assert not pinned.exists() and not ordinary.exists() and ordinary.name.startswith("profile-")
    assert unpin_backup(pinned) == ordinary  # gone already: nothing to do
    (unpinned,) = unpin_backups(home)
    assert unpinned.name == crashed.name.replace("pinned-", "profile-")
    assert sorted((home / "backups").iterdir()) == [*later[1:], unpinned]  # its place among the newest 5
    assert unpin_backups(home) == []


def test_the_backup_just_written_is_kept_even_when_the_clock_went_back(profile: Profile, tmp_path: Path) -> None:
    """Pruning by the time in the name deleted the new backup when the clock had gone back (NTP, dual boot): the
    forget then deleted the data and printed the undo command of a file that was gone."""
    rich_profile(profile)
    home = tmp_path / "home"
    folder = home / "backups"
    folder.mkdir(parents=True)
    for n in range(BACKUPS_KEPT):  # written when the clock was a year ahead
        (folder / f"profile-20991231T00000{n}000000Z.json").write_text("{}", encoding="utf-8")
    written = backup_profile(profile, home, ["bob"])
    assert json.loads(written.read_text(encoding="utf-8")) == export_profile(profile, ["bob"])


def test_a_pinned_backup_that_cannot_be_renamed_stays_pinned_without_an_error(profile: Profile, tmp_path: Path) -> None:
    """The desktop unpins as it quits and as it starts: an error there skipped closing the profile, or stopped the
    app from starting. Here the ordinary name is taken by a folder, so the rename fails."""
    rich_profile(profile)
    home = tmp_path / "home"
    pinned = backup_profile(profile, home, ["bob"], pinned=True)
    (pinned.parent / pinned.name.replace("pinned-", "profile-")).mkdir()
    assert unpin_backup(pinned) == pinned and pinned.exists()
    assert unpin_backups(home) == [pinned]  # tried again at the next start, still without an error


def test_what_forget_would_change_is_known_before_it_runs(profile: Profile) -> None:
    """``forget`` writes a backup only when something would change: ``holds_item`` and ``users_with_tag`` say
    exactly when ``forget_item`` and ``forget_tag`` find something."""
    rich_profile(profile)
    profile.record(event(user="carol", item="c1", final=["gone-later"]))
    profile.record(event(user="carol", item="c1", final=["kept"]))  # "gone-later" is only in an event's final
    cases = {"pandas": ["alice"], "JS": ["alice"], "python": ["alice"], "美食": ["bob"], "电影": ["bob"],
             "gone-later": ["carol"], "never-used": []}  # fmt: skip
    for tag, users in cases.items():
        assert profile.users_with_tag(tag) == users, tag
        assert profile.users_with_tag(tag, "bob") == [u for u in users if u == "bob"], tag
    assert profile.holds_item("files", "q1", "alice") and not profile.holds_item("files", "q1", "bob")
    assert not profile.holds_item("files", "nope", "alice") and not profile.holds_item("files", "q1", "nobody")
    for tag, users in cases.items():
        assert (profile.forget_tag(tag) > 0) == bool(users), tag
    assert profile.forget_item("files", "q1", "alice") > 0 and not profile.holds_item("files", "q1", "alice")


def test_a_reset_gives_the_space_back_and_deleted_text_leaves_the_file(tmp_path: Path) -> None:
    """After a reset the file kept its size (19,509 of 19,532 pages free); and forgotten text must not stay
    readable in the file's free space (``secure_delete``: on by default in some SQLite builds only)."""
    path = tmp_path / "profile.sqlite"
    with Profile.open(path, recover=False) as profile:
        for _ in burst(profile, 600, body="a body of some length to fill pages " * 30):
            pass
        profile.record(event(user="bob", item="diary", title="my secret diary words xyzzy-plugh", accepted=["d"]))
        profile.forget_item("files", "diary", "bob")
    full = path.stat().st_size
    assert full > 2 * 1024 * 1024
    assert b"xyzzy-plugh" not in path.read_bytes()
    with Profile.open(path, recover=False) as profile:
        profile.reset()
        assert profile.stats()["feedback_events"] == 0
    assert path.stat().st_size < full / 10, (path.stat().st_size, full)
    assert query(path, "PRAGMA integrity_check") == [("ok",)]


def secrets_in_files(path: Path, secret: bytes) -> dict[str, int]:
    """How often ``secret`` occurs in each of the profile's files (database, WAL, shared memory)."""
    return {f.name: f.read_bytes().count(secret) for f in sorted(path.parent.iterdir()) if f.is_file()}


FORGETTING = {  # how, and what text it forgets (forget_tag: only the tag's name)
    "forget_item": (
        lambda profile: profile.forget_item("files", "diary", "bob-the-user"),
        [b"plugh-title", b"xyzzy-tag"],
    ),
    "forget_tag": (lambda profile: profile.forget_tag("xyzzy-tag"), [b"xyzzy-tag"]),
    "reset": (lambda profile: profile.reset("bob-the-user"), [b"plugh-title", b"xyzzy-tag", b"bob-the-user"]),
}


@pytest.mark.parametrize("how", list(FORGETTING))
def test_forgotten_text_leaves_the_wal_while_the_profile_stays_open(tmp_path: Path, how: str) -> None:
    """A forgotten title stayed readable in ``profile.sqlite-wal`` (3 copies) for as long as the profile was open
    (the desktop app runs for days): ``secure_delete`` covers the database file only, and the WAL keeps old
    frames until later writes happen to overwrite them. Once the deletion returns, no file holds the text."""
    path = tmp_path / "profile.sqlite"
    forget, secrets = FORGETTING[how]
    with Profile.open(path, recover=False) as profile:
        for _ in burst(profile, 30):
            pass
        profile.record(event(user="bob-the-user", item="diary", title="plugh-title", accepted=["xyzzy-tag"]))
        profile.record(event(user="bob-the-user", item="diary", shown=["xyzzy-tag"], final=["xyzzy-tag", "d"]))
        for _ in burst(profile, 5, start=30):
            pass
        time.sleep(4 * profile._checkpointer.PAUSE)  # the background checkpoint copied the text into the file too
        assert all(sum(secrets_in_files(path, secret).values()) > 0 for secret in secrets)
        assert forget(profile) > 0
        for secret in secrets:
            assert secrets_in_files(path, secret) == {path.name: 0, f"{path.name}-shm": 0, f"{path.name}-wal": 0}
        profile.record(event(item="after", accepted=["x"]))  # and the profile goes on as usual
        assert profile.stats()["feedback_events"] == {"forget_item": 36, "forget_tag": 38, "reset": 36}[how]
    assert query(path, "PRAGMA integrity_check") == [("ok",)]


def test_a_reader_on_an_older_snapshot_only_delays_clearing_the_wal(tmp_path: Path) -> None:
    """Truncating the WAL cannot get through while another program reads an older snapshot (and must not wait
    for it with the write lock held): the forget returns at once, and the background checkpointer clears the WAL
    once the reader is done, with no further write to wake it."""
    path = tmp_path / "profile.sqlite"
    secret = b"xyzzy-plugh"
    with Profile.open(path, recover=False) as profile:
        for _ in burst(profile, 30):
            pass
        other = sqlite3.connect(path, isolation_level=None)  # another program, reading the profile as it was
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM events").fetchone()
        profile.record(event(user="bob", item="diary", title="my diary xyzzy-plugh", accepted=["d"]))
        started = time.monotonic()
        assert profile.forget_item("files", "diary", "bob") > 0
        assert time.monotonic() - started < 5  # not the 30 s busy timeout
        time.sleep(4 * profile._checkpointer.PAUSE)
        assert secrets_in_files(path, secret)[f"{path.name}-wal"] > 0  # held for the reader: SQLite cannot help it
        other.execute("COMMIT")
        other.close()
        deadline = time.monotonic() + 10 * profile._checkpointer.CLEAR_RETRY_MAX
        while sum(secrets_in_files(path, secret).values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sum(secrets_in_files(path, secret).values()) == 0
        assert Path(f"{path}-wal").stat().st_size == 0


def test_an_alias_stores_feedback_under_its_tag(profile: Profile) -> None:
    profile.set_alias("JS", "JavaScript", "alice")
    profile.record(event(user="alice", item="1", shown=["js"], accepted=["js", "react"]))
    assert item_tags(profile, "1", "alice") == ["javascript", "react"]
    v = vocab(profile, "alice")
    assert "js" not in v and (v["javascript"]["items"], v["javascript"]["hits"]) == (1, 1)
    stored = query(profile.path, "SELECT shown, accepted FROM events")
    assert stored == [('["javascript"]', '["javascript", "react"]')]
    profile.record(event(user="bob", item="1", accepted=["js"]))  # bob has no such alias
    assert item_tags(profile, "1", "bob") == ["js"]
    with pytest.raises(InputError, match="itself"):
        profile.set_alias("x", "X", "alice")
    with pytest.raises(InputError, match="is itself an alias"):
        profile.set_alias("ecma", "js", "alice")
    with pytest.raises(InputError, match="empty"):
        profile.set_alias(" ", "x", "alice")
    # Making the tag an alias in turn moves its aliases along: no chains.
    profile.set_alias("javascript", "ecmascript", "alice")
    aliases = dict(query(profile.path, "SELECT alias, tag FROM aliases"))
    assert aliases == {"js": "ecmascript", "javascript": "ecmascript"}
    assert profile.remove_alias("JS", "alice") is True
    assert profile.remove_alias("js", "alice") is False
    assert profile.remove_alias("js", "nobody") is False


def test_an_alias_that_makes_an_accepted_tag_a_rejected_one_writes_nothing(profile: Profile) -> None:
    profile.set_alias("js", "javascript", "alice")

    def counts() -> dict[str, Any]:
        return {k: v for k, v in profile.stats("alice").items() if k != "bytes"}  # the file's size is the WAL's

    before = counts()
    with pytest.raises(FeedbackError, match=r"both accepted and rejected.*javascript"):
        profile.record(event(user="alice", item="1", accepted=["js"], rejected=["javascript"]))
    assert counts() == before and query(profile.path, "SELECT count(*) FROM events") == [(0,)]


def test_a_moved_item_keeps_its_tags_and_history_for_every_user(profile: Profile) -> None:
    profile.record(event(user="alice", site="files", item="/d/a.md", title="pandas merge", accepted=["pandas"]))
    profile.record(event(user="bob", site="files", item="/d/a.md", accepted=["notes"]))
    profile.record(event(user="alice", site="files", item="/d/old.md", accepted=["obsolete"]))
    generation = profile.user("alice").generation
    assert profile.move_items("files", {"/d/a.md": "/e/b.md", "/d/gone.md": "/e/x.md"}) == 2
    assert profile.item_tags("alice", "files", ["/d/a.md", "/e/b.md"]) == {"/e/b.md": ["pandas"]}
    assert profile.item_tags("bob", "files", ["/e/b.md"]) == {"/e/b.md": ["notes"]}
    assert query(profile.path, "SELECT DISTINCT item FROM events WHERE item LIKE '/d/a%'") == []
    assert vocab(profile, "alice")["pandas"]["items"] == 1
    assert profile.user("alice").generation > generation  # cached models reload the items under their new keys
    # Moved onto an item that was there: that one is replaced, its tags leave the vocabulary.
    assert profile.move_items("files", {"/e/b.md": "/d/old.md"}) == 2
    assert profile.item_tags("alice", "files", ["/d/old.md"]) == {"/d/old.md": ["pandas"]}
    assert "obsolete" not in vocab(profile, "alice")


def test_implied_tags_are_stored_per_user(profile: Profile) -> None:
    profile.set_implied("Pandas", "Python", "alice")
    profile.set_implied("pandas", "python", "alice")  # once is enough
    profile.set_implied("pandas", "data", "alice")
    assert query(profile.path, "SELECT tag, implies FROM implied ORDER BY rowid") == [
        ("pandas", "python"),
        ("pandas", "data"),
    ]
    with pytest.raises(InputError, match="imply itself"):
        profile.set_implied("a", "A", "alice")
    assert profile.remove_implied("pandas", "data", "alice") is True
    assert profile.remove_implied("pandas", "data", "alice") is False
    assert profile.remove_implied("pandas", "python", "bob") is False
    assert profile.stats("alice")["implied"] == 1


BAD_RULE_TAGS: dict[str, tuple[str, str]] = {
    "control-character": ("java\x07script", "contains control characters"),
    "escape-sequence": ("\x1b[31mred", "contains control characters"),
    "huge": ("x" * 100_000, "is too long (100,000 characters; the limit is 100)"),
    "lone-surrogate": ("js\ud800", "is not valid Unicode text"),
    "nothing-visible": ("\u200b \t", "is an empty tag"),
}


@pytest.mark.parametrize("case", list(BAD_RULE_TAGS))
def test_aliases_and_implied_tags_keep_the_rules_of_feedback_tags(profile: Profile, case: str) -> None:
    bad, reason = BAD_RULE_TAGS[case]
    with pytest.raises(FeedbackError, match=re.escape(reason)):  # the rule of live feedback, for comparison
        event(accepted=[bad])
    attempts = {
        "the alias": lambda: profile.set_alias(bad, "javascript", "alice"),
        "the tag": lambda: profile.set_alias("js", bad, "alice"),
        "the implied tag": lambda: profile.set_implied("pandas", bad, "alice"),
    }
    for where, attempt in attempts.items():
        with pytest.raises(InputError) as caught:
            attempt()
        assert str(caught.value).startswith(f"{where} ") and reason in str(caught.value), str(caught.value)
    with pytest.raises(InputError, match=f"the tag .*{re.escape(reason)}"):
        profile.set_implied(bad, "python", "alice")
    assert profile.users() == [] and profile.aliases("alice") == {} and profile.implications("alice") == []


# --- 3. damaged and newer profiles -----------------------------------------------------------------------------


def make_newer(path: Path) -> None:
    """A real profile with data, then marked as migrated by a tagrec from the future."""
    with Profile.open(path, recover=False) as profile:
        profile.record(event(accepted=["x"]))
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
            (MIGRATION_SET, "m999_from_the_future", "2099-01-01 00:00:00"),
        )
    conn.close()


def make_garbage(path: Path) -> None:
    path.write_bytes(b"this is not SQLite at all \x00\xff" * 500)


def make_truncated(path: Path) -> None:
    with Profile.open(path, recover=False) as profile:
        profile.record_many([event(item=str(n), title="t " * 200, accepted=[f"t{n}"]) for n in range(100)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def make_foreign(path: Path) -> None:
    """A sound SQLite database of some other program (rollback journal, its own tables)."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('mine, not tagrec''s')")
    conn.close()


UNUSABLE = {
    "garbage": (make_garbage, "damaged", "damaged"),
    "truncated": (make_truncated, "damaged", "damaged"),
    "foreign-sqlite": (make_foreign, "damaged", "not a tagrec profile"),
    "newer": (make_newer, "newer", "newer version of tagrec (it has m999_from_the_future)"),
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_an_unusable_profile_is_left_untouched_without_recover(tmp_path: Path, case: str) -> None:
    make, _, message = UNUSABLE[case]
    path = tmp_path / "profile.sqlite"
    make(path)
    before = files_of(tmp_path)
    for _ in range(2):
        with pytest.raises(ProfileError) as caught:
            Profile.open(path, recover=False)
        assert message in str(caught.value) and "left untouched" in str(caught.value)
        assert caught.value.code == "bad_profile"
        after = files_of(tmp_path)
        assert after[path.name] == before[path.name]  # byte for byte
        # SQLite itself may leave an empty WAL and its index beside a damaged WAL-mode file: nothing else.
        assert set(after) - set(before) <= {f"{path.name}-wal", f"{path.name}-shm"}
        assert after.get(f"{path.name}-wal", b"") == b""


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_an_unusable_profile_is_moved_aside_with_recover(tmp_path: Path, case: str) -> None:
    make, kind, message = UNUSABLE[case]
    path = tmp_path / "profile.sqlite"
    make(path)
    original = path.read_bytes()
    with Profile.open(path, recover=True) as profile:
        assert profile.recovered is not None and message in profile.recovered
        backups = sorted(tmp_path.glob(f"profile.{kind}-*.sqlite"))
        assert len(backups) == 1
        assert backups[0].read_bytes() == original
        assert str(backups[0]) in profile.recovered and "fresh profile" in profile.recovered
        assert profile.users() == []
        profile.record(event(accepted=["fresh"]))
        assert profile.stats()["feedback_events"] == 1 and profile.integrity() == "ok"
    with Profile.open(path, recover=False) as again:  # the fresh one is a sound profile from now on
        assert again.recovered is None and again.stats()["feedback_events"] == 1
    assert backups[0].read_bytes() == original


def test_an_empty_file_is_a_fresh_profile(tmp_path: Path) -> None:
    path = tmp_path / "profile.sqlite"
    path.write_bytes(b"")
    with Profile.open(path, recover=False) as profile:
        assert profile.recovered is None and profile.users() == []


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ProfileError, match="cannot create the profile folder"):
        Profile.open(blocker / "sub" / "profile.sqlite")


# Not damage: the disk, the folder or the file's permissions. The profile must stay exactly where it is.


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files and folders read-only for this process while the block runs. A normal user gets ``chmod``;
    root, whom permissions do not stop, gets the immutable attribute (``chattr +i``), which stops root too
    (skipped where that is not possible)."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    locked = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True, check=False)
    if locked.returncode != 0:
        pytest.skip(f"running as root and chattr +i is not possible here: {locked.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


def make_rollback_journal(path: Path) -> None:
    """A real profile with data in SQLite's rollback-journal mode (as other tools leave it): opening it writes
    (the switch back to the WAL journal), so a file that cannot be written fails while opening."""
    with Profile.open(path, recover=False) as profile:
        profile.record(event(accepted=["kept"]))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()


def no_backups(folder: Path) -> list[str]:
    """Names that look like a moved-aside profile (``profile.damaged-<time>.sqlite``, ``profile.newer-...``)."""
    return [p.name for p in folder.iterdir() if ".damaged-" in p.name or ".newer-" in p.name]


@pytest.mark.parametrize("recover", [True, False])
def test_a_folder_at_the_profile_path_is_left_where_it_is(tmp_path: Path, recover: bool) -> None:
    path = tmp_path / "profile.sqlite"
    path.mkdir()
    (path / "notes.txt").write_text("mine")
    with pytest.raises(ProfileError) as caught:
        Profile.open(path, recover=recover)
    assert "is a folder, not a file" in str(caught.value) and "left untouched" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile.sqlite"]
    assert files_of(path) == {"notes.txt": b"mine"}


def test_a_read_only_profile_file_is_never_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "profile.sqlite"
    make_rollback_journal(path)
    before = files_of(tmp_path)
    with read_only(path):
        for _ in range(2):  # and again: the first failure changed nothing
            with pytest.raises(ProfileError) as caught:
                Profile.open(path, recover=True)
            assert "the profile file is read-only: make it writable" in str(caught.value)
            assert "left untouched" in str(caught.value) and str(path) in str(caught.value)
            assert files_of(tmp_path) == before and no_backups(tmp_path) == []
    with Profile.open(path, recover=False) as profile:  # writable again: the same profile, nothing lost
        assert profile.stats()["feedback_events"] == 1


def test_writing_to_a_read_only_profile_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "profile.sqlite"
    with Profile.open(path, recover=False) as profile:
        profile.record(event(accepted=["kept"]))
    original = path.read_bytes()
    with read_only(path), Profile.open(path, recover=True) as profile:
        assert profile.recovered is None and profile.stats()["feedback_events"] == 1  # reading still works
        with pytest.raises(ProfileError, match="the profile file is read-only: make it writable"):
            profile.record(event(item="b", accepted=["new"]))
        assert profile.stats()["feedback_events"] == 1
    assert path.read_bytes() == original and no_backups(tmp_path) == []


@pytest.mark.parametrize("journal", ["wal", "rollback"])
def test_a_read_only_profile_folder_is_never_moved_aside(tmp_path: Path, journal: str) -> None:
    folder = tmp_path / "home"
    folder.mkdir()
    path = folder / "profile.sqlite"
    if journal == "wal":
        with Profile.open(path, recover=False) as profile:
            profile.record(event(accepted=["kept"]))
    else:
        make_rollback_journal(path)
    before = files_of(folder)
    with read_only(folder):
        for recover in (True, True, False):
            with pytest.raises(ProfileError) as caught:
                Profile.open(path, recover=recover)
            assert "the profile folder is read-only: make it writable" in str(caught.value)
            assert "left untouched" in str(caught.value)
    assert files_of(folder) == before and no_backups(folder) == []


OPEN_WITH_A_FILE_SIZE_LIMIT = r"""
import json, resource, sys
from tagrec_core.errors import ProfileError
from tagrec_core.profile import Profile

# Files may not grow past 3000 bytes, as on a full disk: SQLite's writes fail (Python ignores SIGXFSZ).
resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))
try:
    Profile.open(sys.argv[1], recover=True).close()
    print(json.dumps({"opened": True}))
except ProfileError as error:
    print(json.dumps({"opened": False, "error": str(error)}))
"""


def open_on_a_full_disk(path: Path) -> dict[str, Any]:
    """``Profile.open(path, recover=True)`` in a process whose files cannot grow: what it said."""
    done = subprocess.run(
        [sys.executable, "-c", OPEN_WITH_A_FILE_SIZE_LIMIT, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.skipif(sys.platform == "win32", reason="no file size limits (RLIMIT_FSIZE) on Windows")
def test_a_disk_that_cannot_be_written_is_not_damage(tmp_path: Path) -> None:
    path = tmp_path / "profile.sqlite"
    make_rollback_journal(path)
    before = files_of(tmp_path)
    outcome = open_on_a_full_disk(path)
    assert outcome["opened"] is False
    assert "the disk could not be read or written" in outcome["error"] and "left untouched" in outcome["error"]
    assert files_of(tmp_path) == before and no_backups(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="no file size limits (RLIMIT_FSIZE) on Windows")
def test_a_fresh_profile_that_cannot_be_started_after_a_recovery_is_a_clear_error(tmp_path: Path) -> None:
    """A damaged profile is moved aside, and then the disk refuses the fresh one: the error says both (the
    internal "unusable" exception used to escape here)."""
    path = tmp_path / "profile.sqlite"
    make_garbage(path)
    original = path.read_bytes()
    outcome = open_on_a_full_disk(path)
    assert outcome["opened"] is False
    assert outcome["error"].startswith("the profile is damaged or not a tagrec profile")
    (backup,) = tmp_path.glob("profile.damaged-*.sqlite")
    assert f"it was moved to {backup}, but a fresh profile could not be started" in outcome["error"]
    assert "the disk could not be read or written" in outcome["error"]
    assert backup.read_bytes() == original


# --- 4. concurrency ---------------------------------------------------------------------------------------------


def open_at_once(path: Path, connections: int) -> list[str]:
    """Open a profile from ``connections`` threads at the same moment, each writing one event; each one's
    outcome: ``"ok"``, the recovery message, or the error."""
    barrier = threading.Barrier(connections)
    outcomes: list[str] = []

    def open_and_write(n: int) -> None:
        barrier.wait()
        try:
            with Profile.open(path, recover=True) as profile:
                profile.record(event(item=f"t{n}", accepted=["x"]))
                outcomes.append(profile.recovered or "ok")
        except Exception as error:
            outcomes.append(repr(error))

    threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_many_connections_opening_a_fresh_profile_at_once_all_get_it(tmp_path: Path) -> None:
    """First use: the app, the CLI and the bridge may open a not-yet-existing profile at the same moment."""
    for round_ in range(5):
        path = tmp_path / f"r{round_}" / "profile.sqlite"
        assert open_at_once(path, 4) == ["ok"] * 4
        assert [p.name for p in path.parent.iterdir() if ".damaged-" in p.name] == []
        assert query(path, "SELECT count(*) FROM events") == [(4,)]


READER_PROCESS = r"""
import json, sys, time
from pathlib import Path
from tagrec_core.profile import Profile, parse_feedback

path, stop = Path(sys.argv[1]), Path(sys.argv[2])
loops, errors, seen, wrote, backwards = 0, [], 0, 0, 0
with Profile.open(path, recover=False) as profile:
    print("ready", flush=True)
    while not stop.exists():
        try:
            stats = profile.stats()
            if stats["feedback_events"] < seen:
                backwards += 1
            seen = stats["feedback_events"]
            row = profile.user("writer")
            if row is not None and row.clock < 0:
                errors.append("bad clock")
            profile.stats("writer")
            if loops % 25 == 0:  # and now and then a write of its own, across processes
                profile.record(parse_feedback({"user": "other", "site": "files", "item": f"o{loops}",
                                               "accepted": ["from-the-other-process"]}))
                wrote += 1
        except Exception as error:
            errors.append(repr(error))
        loops += 1
print(json.dumps({"loops": loops, "errors": errors[:5], "seen": seen, "wrote": wrote, "backwards": backwards}))
"""


def test_a_writer_readers_and_another_process_never_lock_each_other_out(tmp_path: Path) -> None:
    path = tmp_path / "profile.sqlite"
    stop = tmp_path / "stop"
    with Profile.open(path, recover=False) as profile:
        profile.record(event(user="writer", item="seed", accepted=["seed"]))
        other = subprocess.Popen(
            [sys.executable, "-c", READER_PROCESS, str(path), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert other.stdout is not None
            assert other.stdout.readline().strip() == "ready", other.stderr.read() if other.stderr else ""
            errors: list[str] = []
            done = threading.Event()
            reads = [0] * 4

            def write() -> None:
                try:
                    for n in range(600):
                        tags = [f"tag-{n % 13}", f"tag-{n % 7}"]
                        if n % 50 == 49:
                            profile.record_many([
                                event(user="writer", item=f"w{n}-{m}", title=f"post {n}", accepted=tags)
                                for m in range(20)
                            ])  # fmt: skip
                        else:
                            profile.record(event(user="writer", item=f"w{n}", title=f"post {n}", accepted=tags))
                except Exception as error:
                    errors.append(f"writer: {error!r}")
                finally:
                    done.set()

            def read(slot: int) -> None:
                last = 0
                try:
                    while not done.is_set() or reads[slot] < 5:
                        stats = profile.stats("writer")
                        assert stats["feedback_events"] >= last, "a reader went back in time"
                        last = stats["feedback_events"]
                        row = profile.user("writer")
                        assert row is not None and row.version >= 1
                        if slot == 0 and reads[slot] % 50 == 0:
                            export_profile(profile, ["writer"])
                        reads[slot] += 1
                except Exception as error:
                    errors.append(f"reader {slot}: {error!r}")

            threads = [threading.Thread(target=write)] + [threading.Thread(target=read, args=(s,)) for s in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert not errors, errors
            assert all(n >= 5 for n in reads), reads
            time.sleep(0.2)  # let the other process read the final state a few times
        finally:
            stop.touch()
            out, err = other.communicate(timeout=60)
        assert other.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        assert report["errors"] == [] and report["backwards"] == 0, report
        assert report["loops"] > 10 and report["wrote"] >= 1
        expected = 1 + 600 - 12 + 12 * 20
        assert profile.stats("writer")["feedback_events"] == expected
        assert expected <= report["seen"] <= expected + report["wrote"]
        assert profile.stats("other")["feedback_events"] == report["wrote"]
        assert profile.integrity() == "ok"
    assert "database is locked" not in err
    assert not os.path.exists(str(path) + "-journal")
