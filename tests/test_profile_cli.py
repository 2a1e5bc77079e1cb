"""``tagrec feedback`` and ``tagrec profile ...`` as real subprocesses, with real profile files.

Each CLI start costs a couple of seconds (torch), so the scenarios run two at a time in one module-scoped
fixture and each test checks its finished scenario. Every run gets a fake platform data folder and no
``TAGREC_HOME`` unless the scenario sets one, so nothing can touch the real user's profile.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tagrec_core.profile import Profile, parse_feedback
from tagrec_core.profile.transfer import export_profile
from tests.cli_support import TAGREC, Run, run

TAX_TEXTS = [
    "Income tax return deduction form\nwhich receipts count for the deduction",
    "Tax deduction receipts for my income return\nhome office and travel",
    "Filing the income tax return online\nthe deduction form asks for receipts",
]
TAX_QUERY = "How do I claim an income tax deduction on my return?\nreceipts from the home office"


class Cli:
    """Runs ``tagrec`` with a fake platform data folder; ``env`` adds variables (e.g. TAGREC_HOME)."""

    def __init__(self, platform_home: Path) -> None:
        self.platform_home = platform_home
        env = {k: v for k, v in os.environ.items() if k != "TAGREC_HOME"}
        env.update({"HOME": str(platform_home), "XDG_DATA_HOME": str(platform_home / "data")})
        self.env = env

    def __call__(self, args: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> Run:
        return run(args, stdin, timeout=180, env={**self.env, **(env or {})})


def lines(*events: Any) -> bytes:
    return b"".join((e if isinstance(e, bytes) else json.dumps(e, ensure_ascii=False).encode()) + b"\n" for e in events)


def ok(r: Run) -> Run:
    assert r.code == 0, r.output
    assert "Traceback" not in r.output
    return r


def open_home(home: Path) -> Profile:
    return Profile.open(home / "profile.sqlite", recover=False)


def seed(home: Path) -> dict[str, Any]:
    """A profile with two users and a tag worth forgetting; returns its export."""
    with open_home(home) as profile:
        for user in ("alice", "bob"):
            for n in range(3):
                profile.record(parse_feedback({
                    "user": user, "site": "files", "item": f"{user}-{n}", "title": f"note {n} of {user}",
                    "accepted": ["secret", f"topic-{n}"], "shown": ["secret", "other"], "rejected": ["other"],
                }))  # fmt: skip
        profile.set_alias("sec", "secret", "alice")
        profile.set_implied("secret", "private", "alice")
        return export_profile(profile)


# --- the scenarios ----------------------------------------------------------------------------------------------


def feedback_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    home = folder / "home"
    stdin = lines(
        {"site": "files", "item": "a", "title": "first", "accepted": ["x", "y"]},  # 1
        b"{not json",  # 2
        b"   ",  # 3: blank, skipped without an acknowledgement
        {"site": "files", "item": "b", "accepted": ["x"], "colour": "red"},  # 4
        {"user": "bob", "site": "files", "item": "c", "shown": ["x"], "rejected": ["x"]},  # 5
        b"\xff\xfe{}",  # 6
        [1, 2],  # 7
        {"site": "files", "item": "d", "final": ["z"]},  # 8
        {"site": "files", "item": "e", "accepted": ["q"], "rejected": ["Q"]},  # 9
    )
    feedback = cli(["feedback", "--home", str(home), "--user", "zoe"], stdin)
    stats = cli(["profile", "stats", "--home", str(home), "--json"])
    return {"home": home, "feedback": feedback, "stats": stats}


def learn_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    home = folder / "home"
    data = folder / "posts.jsonl"
    posts = [
        {"id": "3", "title": "later post", "body": "b", "tags": ["Later"], "user": "alice", "created": "2024-03-01"},
        {"id": "1", "title": "first post", "body": "b", "tags": ["first", "common"], "user": "alice",
         "created": "2024-01-01"},
        {"id": "2", "title": "bob's post", "body": "b", "tags": ["common"], "user": "bob", "created": "2024-02-01"},
        {"id": "4", "title": "nobody's post", "body": "b", "tags": ["orphan"]},
        {"id": 5, "title": "numeric user", "body": "b", "tags": ["n"], "user": 42, "created": "2024-01-15"},
    ]  # fmt: skip
    data.write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    learn = cli(["profile", "learn", "--home", str(home), "--data", str(data), "--site", "stackoverflow", "-q"])
    return {"home": home, "learn": learn}


def suggest_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    home = folder / "home"
    m = ["-m", str(model), "--home", str(home)]
    before = cli(["suggest", *m, "--user", "alice", "--json", TAX_QUERY])
    created_by_suggest = (home / "profile.sqlite").exists()
    events = [
        {"user": "alice", "site": "files", "item": f"tax-{n}", "title": text.split("\n")[0],
         "body": text.split("\n")[1], "accepted": ["tax-2025"]}
        for n, text in enumerate(TAX_TEXTS)
    ]  # fmt: skip
    feedback = cli(["feedback", "--home", str(home)], lines(*events))
    after = cli(["suggest", *m, "--user", "alice", "--json", TAX_QUERY])
    title, body = TAX_QUERY.split("\n")
    posts = folder / "posts.jsonl"
    rows = [
        {"id": "for-alice", "title": title, "body": body, "user": "alice"},
        {"id": "for-bob", "title": title, "body": body, "user": "bob"},
        {"id": "for-nobody", "title": title, "body": body},
    ]
    posts.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    predict = cli(["predict", *m, "--data", str(posts), "--user-field", "user", "-k", "5"])
    return {
        "before": before,
        "created_by_suggest": created_by_suggest,
        "feedback": feedback,
        "after": after,
        "predict": predict,
    }


def forget_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    home = folder / "home"
    original = seed(home)
    # A forget that finds nothing writes no backup (it used to export the whole profile first).
    nothing = [
        cli(["profile", "forget", "--home", str(home), "--tag", "never-used"]),
        cli(["profile", "forget", "--home", str(home), "--item", "alice-0", "--user", "bob"]),
    ]
    backups_after_nothing = sorted(p.name for p in (home / "backups").glob("*")) if (home / "backups").exists() else []
    forget = cli(["profile", "forget", "--home", str(home), "--tag", "Secret"])
    with open_home(home) as profile:
        forgotten = export_profile(profile)
    undo_command = forget.stdout.splitlines()[0].split("undo with: ", 1)[-1].strip()
    words = shlex.split(undo_command)
    undo = cli([*words[1:]]) if words[:1] == ["tagrec"] else None  # no TAGREC_HOME: the command must say where
    with open_home(home) as profile:
        restored = export_profile(profile)
    return {
        "home": home,
        "original": original,
        "nothing": nothing,
        "backups_after_nothing": backups_after_nothing,
        "forget": forget,
        "forgotten": forgotten,
        "undo_command": undo_command,
        "undo": undo,
        "restored": restored,
    }


def reset_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    home = folder / "home"
    original = seed(home)
    refused = cli(["profile", "reset", "--home", str(home)])  # stdin is a pipe, not a terminal
    with open_home(home) as profile:
        after_refusal = export_profile(profile)
    backups_after_refusal = (home / "backups").exists()
    reset_nobody = cli(["profile", "reset", "--home", str(home), "--user", "nobody", "--yes"])
    backups_after_nobody = (home / "backups").exists()
    reset_bob = cli(["profile", "reset", "--home", str(home), "--user", "bob", "--yes"])
    with open_home(home) as profile:
        after_reset = export_profile(profile)
    return {
        "home": home,
        "original": original,
        "refused": refused,
        "after_refusal": after_refusal,
        "backups_after_refusal": backups_after_refusal,
        "reset_nobody": reset_nobody,
        "backups_after_nobody": backups_after_nobody,
        "reset_bob": reset_bob,
        "after_reset": after_reset,
    }


def env_home_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    home = folder / "from-env"
    event = {"site": "files", "item": "a", "accepted": ["x"]}
    stats = cli(["profile", "stats", "--json"], env={"TAGREC_HOME": str(home)})
    feedback = cli(["feedback"], lines(event), env={"TAGREC_HOME": str(home)})
    return {"home": home, "stats": stats, "feedback": feedback}


def kill_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    """``tagrec feedback`` fed a long burst through a pipe, killed with SIGKILL after ``wanted`` acks."""
    home = folder / "home"
    wanted, total = 300, 30_000
    proc = subprocess.Popen(
        [*TAGREC, "feedback", "--home", str(home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli.env,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    items = [f"item-{n}" for n in range(total)]

    def feed() -> None:
        try:
            for n, item in enumerate(items):
                event = {
                    "user": ("ann", "ben")[n % 2], "site": "files", "item": item, "title": f"post {n}",
                    "accepted": [f"tag-{n % 17}", "burst"], "shown": ["burst", "noise"], "rejected": ["noise"],
                }  # fmt: skip
                proc.stdin.write(json.dumps(event).encode() + b"\n")  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError, OSError):
            pass  # the child was killed mid-burst

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    acks = []
    while len(acks) < wanted:
        line = proc.stdout.readline()
        if not line:
            break
        acks.append(json.loads(line))
    running = proc.poll() is None
    if running:
        os.kill(proc.pid, signal.SIGKILL)
    code = proc.wait(timeout=60)
    feeder.join(timeout=30)
    with contextlib.suppress(OSError):
        proc.stdin.close()
    stderr = proc.stderr.read().decode("utf-8", "replace")
    for stream in (proc.stdout, proc.stderr):
        stream.close()
    wal_left = (home / "profile.sqlite-wal").exists()
    # Nothing must reopen the profile before the test looks at it: read it raw first.
    return {
        "home": home,
        "items": items,
        "acks": acks,
        "wanted": wanted,
        "running_when_killed": running,
        "code": code,
        "stderr": stderr,
        "wal_left": wal_left,
    }


def malformed_exports(original: dict[str, Any]) -> dict[str, bytes]:
    """Export files a hand or another program got wrong, as bytes (the last: JSON's escape of a lone surrogate)."""
    alice = original["users"][0]

    def with_alice(**changes: Any) -> bytes:
        return json.dumps({**original, "users": [{**alice, **changes}]}).encode()

    item, event = alice["items"][0], alice["events"][0]
    return {
        "item-twice": with_alice(items=[item, {**item, "title": "again"}]),
        "clock-2**70": with_alice(clock=2**70),
        "created-a-list": with_alice(events=[{**event, "created": ["2024-01-01"]}]),
        "title-a-number": with_alice(items=[{**item, "title": 5}]),
        "lone-surrogate": with_alice(items=[{**item, "tags": ["\ud800"]}]),
    }


def import_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    """``tagrec profile import`` of malformed exports (each refused), then of a good one with a byte order mark."""
    home = folder / "home"
    original = seed(home)
    refused = {}
    for name, data in malformed_exports(original).items():
        path = folder / f"{name}.json"
        path.write_bytes(data)
        refused[name] = cli(["profile", "import", str(path), "--home", str(home)])
    with open_home(home) as profile:
        after_refusals = export_profile(profile)
    bob = original["users"][1]
    with_bom = folder / "with-bom.json"  # bob's data under another name, so that the import shows
    with_bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({**original, "users": [{**bob, "name": "carol"}]}).encode())
    bom = cli(["profile", "import", str(with_bom), "--home", str(home)])
    with open_home(home) as profile:
        after_bom = export_profile(profile)
    return {"original": original, "refused": refused, "after_refusals": after_refusals, "bom": bom,
            "after_bom": after_bom}  # fmt: skip


BAD_POSTS = [
    {"id": "1", "title": "good", "body": "b", "tags": ["kept"], "created": "2024-01-02"},  # 1
    {"id": "2", "title": "many tags", "body": "b", "tags": [f"t{n}" for n in range(201)]},  # 2
    {"id": "3", "title": "long tag", "body": "b", "tags": ["x" * 101]},  # 3
    {"id": "4", "title": "too old", "body": "b", "tags": ["old"], "created": "1900-01-01"},  # 4
    {"id": "5", "title": "control", "body": "b", "tags": ["bell\u0007"]},  # 5
    {"id": "6", "title": "good too", "body": "b", "tags": ["also-kept"], "created": "2024-01-01"},  # 6
]


def learn_bad_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    """``tagrec profile learn`` of records that read fine but break the feedback rules, without and with
    --skip-bad (a blank line and a line that is not JSON in between)."""
    data = folder / "posts.jsonl"
    rows = [json.dumps(post) for post in BAD_POSTS]
    data.write_text("\n".join([rows[0], "", *rows[1:3], "{not json", *rows[3:]]) + "\n", encoding="utf-8")
    runs = {}
    for name, extra in (("strict", []), ("skip", ["--skip-bad"])):
        home = folder / name
        runs[name] = cli(["profile", "learn", "--home", str(home), "--data", str(data), "-q", *extra])
        with open_home(home) as profile:
            runs[f"{name}_items"] = [r[0] for r in profile.reader().execute("SELECT item FROM events ORDER BY id")]
    strict_json = folder / "strict.jsonl"  # the records' problems alone, without --skip-bad
    strict_json.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    runs["strict_records"] = cli(["profile", "learn", "--home", str(folder / "strict2"), "--data", str(strict_json)])
    return runs


def rules_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    """``tagrec profile alias`` and ``imply`` with tags that break the feedback rules; a folder at the profile's
    path."""
    home = folder / "home"
    attempts = {
        "alias-huge": ["profile", "alias", "js", "x" * 100_000],
        "alias-control": ["profile", "alias", "j\u0007s", "javascript"],
        "imply-control": ["profile", "imply", "pan\u001bdas", "python"],
        "imply-huge": ["profile", "imply", "pandas", "p" * 100_000],
    }
    runs = {name: cli([*args, "--home", str(home)]) for name, args in attempts.items()}
    with open_home(home) as profile:
        stored = (profile.aliases("local"), profile.implications("local"), profile.users())
    blocked = folder / "blocked"
    (blocked / "profile.sqlite").mkdir(parents=True)
    (blocked / "profile.sqlite" / "mine.txt").write_text("keep me", encoding="utf-8")
    folder_run = cli(["profile", "stats", "--home", str(blocked)])
    return {"runs": runs, "stored": stored, "folder": folder_run, "blocked": blocked}


def many_users_scenario(cli: Cli, folder: Path, model: Path) -> dict[str, Any]:
    """A profile of 25 users: ``stats`` and ``import`` name the first 20 and count the rest (2,256 names made
    one 12 KB line)."""
    home = folder / "home"
    names = [f"user-{n:02d}" for n in range(25)]
    with open_home(home) as profile:
        profile.record_many(
            [parse_feedback({"user": n, "site": "files", "item": "a", "accepted": ["x"]}) for n in names]
        )
        document = export_profile(profile)
    exported = folder / "export.json"
    exported.write_text(json.dumps(document), encoding="utf-8")
    stats = cli(["profile", "stats", "--home", str(home)])
    imported = cli(["profile", "import", str(exported), "--home", str(home)])
    return {"names": names, "stats": stats, "imported": imported}


SCENARIOS: dict[str, Callable[[Cli, Path, Path], dict[str, Any]]] = {
    "many_users": many_users_scenario,
    "kill": kill_scenario,
    "suggest": suggest_scenario,
    "feedback": feedback_scenario,
    "learn": learn_scenario,
    "forget": forget_scenario,
    "reset": reset_scenario,
    "env_home": env_home_scenario,
    "import": import_scenario,
    "learn_bad": learn_bad_scenario,
    "rules": rules_scenario,
}


@dataclass
class Outcomes:
    platform_home: Path
    results: dict[str, dict[str, Any]]
    errors: dict[str, BaseException]

    def __getitem__(self, name: str) -> dict[str, Any]:
        if name in self.errors:
            raise self.errors[name]
        return self.results[name]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, tiny_ranker_path: Path) -> Outcomes:
    root = tmp_path_factory.mktemp("profile-cli")
    cli = Cli(root / "platform-home")

    def one(name: str) -> dict[str, Any]:
        folder = root / name
        folder.mkdir()
        return SCENARIOS[name](cli, folder, tiny_ranker_path)

    results: dict[str, dict[str, Any]] = {}
    errors: dict[str, BaseException] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(one, name) for name in SCENARIOS}
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except BaseException as error:
                errors[name] = error
    return Outcomes(cli.platform_home, results, errors)


# --- feedback ---------------------------------------------------------------------------------------------------


def test_feedback_acknowledges_every_event_on_its_own_line(outcomes: Outcomes) -> None:
    r = outcomes["feedback"]["feedback"]
    assert r.code == 1, r.output
    assert "Traceback" not in r.output
    acks = r.json_lines()
    assert [a["line"] for a in acks] == [1, 2, 4, 5, 6, 7, 8, 9]
    assert [a["ok"] for a in acks] == [True, False, False, True, False, False, True, False]
    for ack in acks:
        if ack["ok"]:
            assert set(ack) == {"line", "ok", "id"} and isinstance(ack["id"], int)
        else:
            assert set(ack) == {"line", "ok", "error"} and set(ack["error"]) == {"code", "message"}
    errors = {a["line"]: a["error"] for a in acks if not a["ok"]}
    assert errors[2]["code"] == "bad_input" and errors[2]["message"].startswith("not JSON")
    assert errors[4] == {"code": "bad_feedback", "message": "unknown field: colour"}
    assert errors[6] == {"code": "bad_input", "message": "the line is not UTF-8 text"}
    assert errors[7]["code"] == "bad_feedback" and "JSON object" in errors[7]["message"]
    assert errors[9]["code"] == "bad_feedback" and "both accepted and rejected: q" in errors[9]["message"]
    assert [line for line in r.stderr.splitlines() if line.startswith("error: ")] == [
        "error: 5 events rejected (see the acknowledgements)"
    ]


def test_feedback_refuses_an_overlong_or_deeply_nested_line_and_goes_on(tmp_path: Path) -> None:
    """A 5 MB line is refused without being kept whole in memory, a line nested 100,000 deep without a
    traceback, and the events after each are learned."""
    from tagrec_core.cli_profile import MAX_EVENT_BYTES

    huge = b'{"site": "files", "item": "h", "title": "' + b"x" * (MAX_EVENT_BYTES + 1_000_000) + b'"}'
    stdin = lines(
        {"site": "files", "item": "a", "accepted": ["x"]}, huge, {"site": "files", "item": "b", "accepted": ["y"]},
        b"[" * 100_000, {"site": "files", "item": "c", "accepted": ["z"]},
    )  # fmt: skip
    r = run(["feedback", "--home", str(tmp_path)], stdin)
    assert r.code == 1 and "Traceback" not in r.output, r.output
    acks = r.json_lines()
    assert [a["line"] for a in acks] == [1, 2, 3, 4, 5]
    assert [a["ok"] for a in acks] == [True, False, True, False, True]
    assert "longer than 4,194,304 bytes" in acks[1]["error"]["message"]
    assert acks[3]["error"] == {"code": "bad_input", "message": "not usable JSON: it is nested too deeply"}
    with open_home(tmp_path) as profile:
        assert profile.stats()["feedback_events"] == 3


def test_feedback_refuses_another_event_under_a_key_of_an_earlier_run_and_goes_on(tmp_path: Path) -> None:
    """Two runs of a script that numbers its events per run ("cli:1"): the second run's event, another item, was
    acknowledged ``ok`` with the first event's id and lost. Now its line is a ``key_conflict`` error, the lines
    after it are learned, and the first run's event sent again is still acknowledged with its id."""
    taxes = {"site": "files", "item": "/a.txt", "title": "taxes 2024", "accepted": ["taxes"], "key": "cli:1"}
    holiday = {"site": "files", "item": "/b.txt", "title": "holiday photos", "accepted": ["holiday"], "key": "cli:1"}
    later = {"site": "files", "item": "/c.txt", "accepted": ["misc"], "key": "5c0ffee0-0000-4000-8000-000000000001"}
    first = ok(run(["feedback", "--home", str(tmp_path)], lines(taxes))).json_lines()
    second = run(["feedback", "--home", str(tmp_path)], lines(holiday, later, taxes))
    assert second.code == 1 and "Traceback" not in second.output, second.output
    acks = second.json_lines()
    assert [a["ok"] for a in acks] == [False, True, True]
    assert acks[0]["error"]["code"] == "key_conflict"
    assert acks[0]["error"]["message"].startswith(
        "key 'cli:1' was already used by a different event (it differs in item, accepted)"
    )
    assert acks[2]["id"] == first[0]["id"]
    assert "error: 1 event rejected (see the acknowledgements)" in second.stderr
    with open_home(tmp_path) as profile:
        rows = profile.reader().execute("SELECT item, key FROM events ORDER BY id").fetchall()
    assert rows == [("/a.txt", "cli:1"), ("/c.txt", later["key"])]


def test_feedback_stores_the_good_lines_and_nothing_of_the_bad(outcomes: Outcomes) -> None:
    result = outcomes["feedback"]
    acks = {a["line"]: a for a in result["feedback"].json_lines()}
    with open_home(result["home"]) as profile:
        stored = (
            profile.reader()
            .execute("SELECT e.id, u.name, e.item FROM events e JOIN users u ON u.id = e.user_id ORDER BY e.id")
            .fetchall()
        )
        assert profile.users() == ["bob", "zoe"]  # --user is the user of events that name none
        assert profile.integrity() == "ok"
    assert stored == [(acks[1]["id"], "zoe", "a"), (acks[5]["id"], "bob", "c"), (acks[8]["id"], "zoe", "d")]


def test_profile_stats_json_has_the_path_and_the_counts(outcomes: Outcomes) -> None:
    result = outcomes["feedback"]
    stats = json.loads(ok(result["stats"]).stdout)
    assert stats["path"] == str(result["home"] / "profile.sqlite")
    assert stats["feedback_events"] == 3
    assert stats["users"] == ["bob", "zoe"]
    assert (stats["items"], stats["rejected"]) == (2, 1)
    assert {"tag": "x", "items": 1} in stats["top_tags"]


def test_tagrec_home_variable_is_honoured(outcomes: Outcomes) -> None:
    result = outcomes["env_home"]
    stats = json.loads(ok(result["stats"]).stdout)
    assert stats["path"] == str(result["home"] / "profile.sqlite") and stats["feedback_events"] == 0
    assert ok(result["feedback"]).json_lines() == [{"line": 1, "ok": True, "id": 1}]
    with open_home(result["home"]) as profile:
        assert profile.stats()["feedback_events"] == 1


def test_nothing_went_to_the_platform_data_folder(outcomes: Outcomes) -> None:
    assert all(outcomes[name] for name in SCENARIOS)  # every scenario ran
    assert not list(outcomes.platform_home.rglob("profile.sqlite"))


# --- learn, suggest, predict ------------------------------------------------------------------------------------


def test_profile_learn_learns_each_record_for_its_user(outcomes: Outcomes) -> None:
    result = outcomes["learn"]
    r = ok(result["learn"])
    assert r.stdout.strip() == f"learned 5 posts into {result['home'] / 'profile.sqlite'}"
    with open_home(result["home"]) as profile:
        assert profile.users() == ["42", "alice", "bob", "local"]
        rows = (
            profile.reader()
            .execute(
                "SELECT u.name, e.site, e.item, e.accepted, e.created FROM events e JOIN users u ON u.id = e.user_id"
                " ORDER BY e.id"
            )
            .fetchall()
        )
        assert [(name, item) for name, _, item, _, _ in rows] == [
            ("alice", "1"), ("42", "5"), ("bob", "2"), ("alice", "3"), ("local", "4"),
        ]  # in created order, the record without a time last  # fmt: skip
        assert {site for _, site, _, _, _ in rows} == {"stackoverflow"}
        assert json.loads(rows[3][3]) == ["later"]
        assert profile.stats("alice")["items"] == 2 and profile.stats("bob")["top_tags"] == [
            {"tag": "common", "items": 1}
        ]


def suggested(r: Run) -> list[str]:
    return [s["tag"] for s in json.loads(ok(r).stdout)["suggestions"]]


def test_suggest_with_home_and_user_changes_after_feedback(outcomes: Outcomes) -> None:
    result = outcomes["suggest"]
    assert result["created_by_suggest"] is False  # suggesting never creates a profile
    before, after = suggested(result["before"]), suggested(result["after"])
    assert len(before) == len(after) == 5
    assert "tax-2025" not in before
    assert "tax-2025" in after
    assert [a["ok"] for a in ok(result["feedback"]).json_lines()] == [True, True, True]
    mine = next(s for s in json.loads(result["after"].stdout)["suggestions"] if s["tag"] == "tax-2025")
    assert mine["source"] == "user" and mine["reason"].startswith("you used it on")


def test_predict_with_user_field_is_personal_per_record(outcomes: Outcomes) -> None:
    result = outcomes["suggest"]
    rows = {row["id"]: [s["tag"] for s in row["suggestions"]] for row in ok(result["predict"]).json_lines()}
    assert list(rows) == ["for-alice", "for-bob", "for-nobody"]
    assert "tax-2025" in rows["for-alice"]
    assert "tax-2025" not in rows["for-bob"] and "tax-2025" not in rows["for-nobody"]
    assert rows["for-bob"] == rows["for-nobody"] == suggested(result["before"])  # strangers get the base model's


# --- forget and reset -------------------------------------------------------------------------------------------


def test_profile_forget_tag_prints_an_undo_command_that_works(outcomes: Outcomes) -> None:
    result = outcomes["forget"]
    for nothing in result["nothing"]:
        assert ok(nothing).stdout.startswith("nothing to forget: the profile has no ")
    assert result["backups_after_nothing"] == []
    r = ok(result["forget"])
    assert r.stdout.startswith("forgot tag 'Secret'; undo with: tagrec profile import ")
    assert r.stdout.splitlines()[1] == (
        f"the backup is kept until 5 newer ones are in {result['home'] / 'backups'}; it still holds what was"
        " forgotten: delete it to forget for good"
    )
    forgotten = json.dumps(result["forgotten"])
    assert '"secret"' not in forgotten and '"sec"' not in forgotten and '"private"' not in forgotten
    assert '"topic-0"' in forgotten
    backups = list((result["home"] / "backups").glob("profile-*.json"))
    assert len(backups) == 1 and json.loads(backups[0].read_text(encoding="utf-8")) == result["original"]
    assert result["undo"] is not None, result["undo_command"]
    ok(result["undo"])
    assert result["restored"] == result["original"], result["undo_command"]


def test_profile_reset_without_yes_and_without_a_terminal_deletes_nothing(outcomes: Outcomes) -> None:
    result = outcomes["reset"]
    r = result["refused"]
    assert r.code == 1, r.output
    assert "Traceback" not in r.output
    assert r.stderr.strip() == "error: reset deletes the profile: confirm with --yes"
    assert r.stdout == ""
    assert result["after_refusal"] == result["original"]
    assert result["backups_after_refusal"] is False


def test_profile_reset_with_yes_backs_up_first_and_resets_only_that_user(outcomes: Outcomes) -> None:
    result = outcomes["reset"]
    assert ok(result["reset_nobody"]).stdout == "nothing to reset: the profile has no user 'nobody'\n"
    assert result["backups_after_nobody"] is False
    r = ok(result["reset_bob"])
    assert r.stdout.startswith("reset 1 user; undo with: tagrec profile import ")
    assert [u["name"] for u in result["after_reset"]["users"]] == ["alice"]
    assert result["after_reset"]["users"][0] == result["original"]["users"][0]
    backups = list((result["home"] / "backups").glob("profile-*.json"))
    # Only the user it deleted: the undo gives bob back and leaves alice's later changes alone.
    bob_only = {**result["original"], "users": result["original"]["users"][1:]}
    assert len(backups) == 1 and json.loads(backups[0].read_text(encoding="utf-8")) == bob_only


def test_long_lists_of_users_are_cut_to_the_first_few(outcomes: Outcomes) -> None:
    result = outcomes["many_users"]
    first = ", ".join(result["names"][:20])
    users_line = next(line for line in ok(result["stats"]).stdout.splitlines() if line.strip().startswith("users:"))
    assert users_line.split(": ", 1)[1] == f"{first}, and 5 more (--json lists them all)"
    assert ok(result["imported"]).stdout == f"imported 25 users: {first}, and 5 more\n"


# --- malformed input: refused with a clear message, nothing written -------------------------------------------------


def test_profile_import_refuses_a_malformed_export_and_changes_nothing(outcomes: Outcomes) -> None:
    result = outcomes["import"]
    expected = {
        "item-twice": "users[0] (user 'alice'): items[1]: item 'alice-0' of files is listed twice (also items[0])",
        "clock-2**70": "users[0] (user 'alice'): clock must lie between 0 and 2**53",
        "created-a-list": "events[0] (item 'alice-0' of files): created must be an ISO 8601 time string, not a list",
        "title-a-number": "items[0] (item 'alice-0' of files): title must be a string, not a number",
        "lone-surrogate": "items[0] (item 'alice-0' of files): tags[0] is not valid Unicode text",
    }
    assert set(result["refused"]) == set(expected)
    for name, r in result["refused"].items():
        assert r.code == 1, (name, r.output)
        assert "Traceback" not in r.output, name
        errors = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(errors) == 1 and errors[0].startswith("error: ") and expected[name] in errors[0], (name, errors)
        assert r.stdout == "", name
    assert result["after_refusals"] == result["original"]


def test_profile_import_accepts_a_byte_order_mark(outcomes: Outcomes) -> None:
    result = outcomes["import"]
    assert ok(result["bom"]).stdout.strip() == "imported 1 user: carol"
    users = {u["name"]: u for u in result["after_bom"]["users"]}
    assert list(users) == ["alice", "bob", "carol"]
    bob = result["original"]["users"][1]
    assert users["carol"] == {**bob, "name": "carol"} and users["bob"] == bob


def test_profile_learn_stops_at_the_first_bad_line_without_skip_bad(outcomes: Outcomes) -> None:
    result = outcomes["learn_bad"]
    for name in ("strict", "strict_records"):
        r = result[name]
        assert r.code == 1 and "Traceback" not in r.output, r.output
    assert "posts.jsonl:5: The line is not valid JSON" in result["strict"].stderr  # reading comes first
    assert result["strict_items"] == []
    errors = [line for line in result["strict_records"].stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {result['strict_records'].args[5]}:2: tags has 201 tags; the limit is 200"]


def test_profile_learn_with_skip_bad_reports_every_bad_line_and_learns_the_rest(outcomes: Outcomes) -> None:
    result = outcomes["learn_bad"]
    r = ok(result["skip"])
    assert r.stdout.startswith("learned 2 posts into ")
    path = r.args[5]
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning: skipped ")]
    assert len(warnings) == 5, r.stderr
    assert warnings[0].startswith(f"warning: skipped {path}:5: The line is not valid JSON")  # read first
    assert warnings[1:3] == [
        f"warning: skipped {path}:3: tags has 201 tags; the limit is 200",
        f"warning: skipped {path}:4: tags[0] is too long (101 characters; the limit is 100)",
    ]
    assert warnings[3].startswith(f"warning: skipped {path}:6: created must lie between 1970-01-01 and tomorrow")
    assert warnings[3].endswith("not '1900-01-01'")
    assert warnings[4] == f"warning: skipped {path}:7: tags[0] contains control characters"
    assert result["skip_items"] == ["6", "1"]  # the good ones, in created order


def test_profile_alias_and_imply_keep_the_rules_of_feedback_tags(outcomes: Outcomes) -> None:
    result = outcomes["rules"]
    expected = {
        "alias-huge": "error: the tag is too long (100,000 characters; the limit is 100)",
        "alias-control": "error: the alias contains control characters",
        "imply-control": "error: the tag contains control characters",
        "imply-huge": "error: the implied tag is too long (100,000 characters; the limit is 100)",
    }
    for name, r in result["runs"].items():
        assert r.code == 1 and "Traceback" not in r.output, (name, r.output)
        assert r.stderr.strip() == expected[name], name
    assert result["stored"] == ({}, [], [])


def test_a_folder_at_the_profile_path_is_an_error_and_stays(outcomes: Outcomes) -> None:
    result = outcomes["rules"]
    r = result["folder"]
    assert r.code == 1 and "Traceback" not in r.output, r.output
    assert r.stderr.strip() == (
        f"error: the profile path {result['blocked'] / 'profile.sqlite'} is a folder, not a file: move or rename"
        " that folder; the profile was left untouched"
    )
    assert sorted(p.name for p in result["blocked"].iterdir()) == ["profile.sqlite"]
    assert (result["blocked"] / "profile.sqlite" / "mine.txt").read_text(encoding="utf-8") == "keep me"


# --- durability ---------------------------------------------------------------------------------------------------


def test_sigkill_during_a_feedback_burst_loses_no_acknowledged_event(outcomes: Outcomes) -> None:
    result = outcomes["kill"]
    acks = result["acks"]
    assert len(acks) == result["wanted"], result["stderr"]
    assert result["running_when_killed"], "the burst ended before the kill: make it longer"
    assert result["code"] == -signal.SIGKILL  # killed for real, no clean shutdown
    assert result["wal_left"]  # the write-ahead log was never checkpointed away
    assert all(a["ok"] for a in acks)
    path = result["home"] / "profile.sqlite"
    started = time.monotonic()
    with Profile.open(path, recover=False) as profile:
        assert profile.recovered is None
        assert profile.integrity() == "ok"
        stored = dict(profile.reader().execute("SELECT id, item FROM events").fetchall())
        assert profile.stats()["feedback_events"] == len(stored) >= len(acks)
    assert time.monotonic() - started < 30
    for ack in acks:
        assert stored.get(ack["id"]) == result["items"][ack["line"] - 1], ack


def test_suggest_with_a_damaged_profile_warns_and_leaves_it_where_it_is(tmp_path: Path) -> None:
    """``suggest`` and ``predict`` only read: they never create a profile, nor move a damaged one aside (that
    is for a command that writes), and they still suggest."""
    damaged = tmp_path / "profile.sqlite"
    damaged.write_bytes(b"not a database, but maybe the user's only copy")
    r = run(["suggest", "--domain", "stackoverflow", "--home", str(tmp_path), "How to merge two pandas dataframes"])
    assert r.code == 0 and "pandas" in r.stdout, r.output
    assert "warning: the profile is damaged" in r.stderr and "suggesting without it" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile.sqlite"]
    assert damaged.read_bytes() == b"not a database, but maybe the user's only copy"
