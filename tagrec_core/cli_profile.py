"""``tagrec feedback`` and ``tagrec profile ...``: the personal profile from the command line.

Contract (docs/cli.md): ``feedback`` reads events as JSON lines on stdin and prints one JSON acknowledgement
line per event on stdout, each only after its event is durable (``{"line", "ok": true, "id"}``) or rejected
(``{"line", "ok": false, "error": {"code", "message"}}``; exit code 1 at the end). Every command takes
``--home DIR`` (else ``$TAGREC_HOME``, else the platform's user data folder). Destructive commands
(``forget``, ``reset``) that find something to delete first write an export of the users they change to
``<home>/backups/`` (the newest ``BACKUPS_KEPT`` are kept) and print how to undo.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer

from tagrec_core.errors import InputError, TagrecError
from tagrec_core.records import skip_rest_of_line

# The longest line ``tagrec feedback`` reads: twice the bridge's 2 MB body limit, room for any event the
# feedback rules allow (202,000 characters of text and 200 tags of 100) even written as JSON escapes; a longer
# line is refused without being kept in memory.
MAX_EVENT_BYTES = 4 * 1024 * 1024
HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="tagrec's data folder (default: $TAGREC_HOME, else the platform's user data folder).",
        show_default=False,
    ),
]
UserOpt = Annotated[str | None, typer.Option("--user", "-u", help="Whose profile (default: the local user).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

profile_app = typer.Typer(
    help="The personal profile: what tagrec learned from your feedback (stats, learn, export, import, forget, "
    "reset, alias, imply).",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def open_profile(home: Path | None, *, create: bool = True) -> Any:
    """The home's profile. With ``create`` (commands that write), a damaged or newer one is moved aside with a
    warning and a fresh one starts. Without it (``suggest``, ``predict``: they only read), ``None`` when there
    is none, and when it cannot be used, with a warning: such a command never creates or moves a profile."""
    from tagrec_core.errors import ProfileError
    from tagrec_core.home import profile_path
    from tagrec_core.profile import Profile

    path = profile_path(home)
    if not create:
        if not path.exists():
            return None
        try:
            return Profile.open(path, recover=False)
        except ProfileError as error:
            typer.echo(f"warning: {error}; suggesting without it", err=True)
            return None
    profile = Profile.open(path, recover=True)
    if profile.recovered:
        typer.echo(f"warning: {profile.recovered}", err=True)
    return profile


def feedback(home: HomeOpt = None, user: UserOpt = None) -> None:
    """Learn from feedback events read as JSON lines on stdin; one acknowledgement line per event on stdout.

    An event: {"user"?, "site", "item", "url"?, "title"?, "body"?, "shown"?, "accepted"?, "rejected"?,
    "final"?, "created"?, "key"?}. --user sets the user of events that name none. An event whose "key" the
    profile already holds for its user is acknowledged with the stored event's id and not stored again; a
    different event under that key is rejected (key_conflict): keys must be unique per event, such as UUIDs.
    """
    from tagrec_core.profile import DEFAULT_USER, parse_feedback

    failed = 0
    with open_profile(home) as profile:
        for number, raw in enumerate(_lines(sys.stdin.buffer), start=1):
            if raw is not None and not raw.strip():
                continue
            try:
                if raw is None:
                    raise InputError(f"the line is longer than {MAX_EVENT_BYTES:,} bytes; no event is that long")
                event = parse_feedback(_json_line(raw), default_user=user or DEFAULT_USER)
                ack: dict[str, Any] = {"line": number, "ok": True, "id": profile.record(event)}
            except TagrecError as error:
                failed += 1
                ack = {"line": number, "ok": False, "error": {"code": error.code, "message": str(error)}}
            sys.stdout.write(json.dumps(ack, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    if failed:
        raise TagrecError(f"{failed} event{'s' if failed > 1 else ''} rejected (see the acknowledgements)")


def _lines(stream: BinaryIO) -> Iterator[bytes | None]:
    """The lines of ``stream``, each read only up to ``MAX_EVENT_BYTES``: a longer one is ``None`` (and the rest
    of it is skipped unkept), so a stream without newlines cannot fill the memory."""
    while line := stream.readline(MAX_EVENT_BYTES + 1):
        if len(line) <= MAX_EVENT_BYTES or line.endswith(b"\n"):
            yield line
            continue
        skip_rest_of_line(stream)
        yield None


def _json_line(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("the line is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise InputError(f"not JSON: {error.msg} at column {error.colno}") from None
    except RecursionError:
        raise InputError("not usable JSON: it is nested too deeply") from None


@profile_app.command()
def stats(home: HomeOpt = None, user: UserOpt = None, as_json: JsonOpt = False) -> None:
    """Counts: events, items, tags, accept rate, top tags (and the database's path)."""
    with open_profile(home) as profile:
        summary = profile.stats(user)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    for key, value in summary.items():
        if key == "top_tags":
            value = ", ".join(f"{t['tag']} ({t['items']})" for t in value) or "-"
        elif key == "users":
            value = _names(value, "--json lists them all")
        typer.echo(f"{key:>16}: {value}")


@profile_app.command()
def learn(
    data: Annotated[list[Path], typer.Option("--data", "-d", help="Tagged records (JSON Lines); repeatable.")],
    home: HomeOpt = None,
    site: Annotated[str, typer.Option("--site", help="The site the records come from.")] = "stackoverflow",
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Learn every record for this user (default: its own user).")
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip malformed or unusable lines (each reported on stderr).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Import tagged records as accepted feedback, each for its record's user, in created order.

    A line that cannot be read, or whose record breaks the rules of feedback (too many tags, a tag too long,
    a time out of range...), stops the run before anything is learned; with --skip-bad it is reported (file,
    line and reason) and skipped, and the others are learned.
    """
    from tqdm import tqdm

    from tagrec_core.errors import DataError, FeedbackError
    from tagrec_core.profile.transfer import learn_records
    from tagrec_core.records import read_numbered_records

    records: list[Any] = []
    places: list[tuple[Path, int]] = []  # the file and line of each record, for messages

    def on_skip(error: DataError) -> None:
        typer.echo(f"warning: skipped {error}", err=True)

    for path in data:
        for line, record in read_numbered_records(path, require_tags=True, skip_bad=skip_bad, on_skip=on_skip):
            records.append(record)
            places.append((path, line))

    def on_bad(index: int, error: FeedbackError) -> None:
        path, line = places[index]
        problem = DataError(str(error), str(path), line)
        if not skip_bad:
            raise problem  # the first bad record, before anything was written
        typer.echo(f"warning: skipped {problem}", err=True)
        bar.update(1)

    with open_profile(home) as profile, tqdm(total=len(records), unit="post", disable=quiet, file=sys.stderr) as bar:
        count = learn_records(profile, records, site, user=user, progress=bar.update, on_bad=on_bad)
    typer.echo(f"learned {count} post{'' if count == 1 else 's'} into {profile.path}")


@profile_app.command("export")
def export_cmd(
    home: HomeOpt = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user (default: everyone).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).")] = None,
) -> None:
    """Write the profile as one JSON document (items, events, aliases, implied tags, learned state)."""
    from tagrec_core.atomic import open_atomically
    from tagrec_core.profile.transfer import write_export

    with open_profile(home) as profile:
        if out is None:
            write_export(profile, sys.stdout, [user] if user else None)
            return
        with open_atomically(out) as stream:
            write_export(profile, stream, [user] if user else None)
    typer.echo(f"wrote {out}", err=True)


@profile_app.command("import")
def import_cmd(
    source: Annotated[Path, typer.Argument(help="A file written by tagrec profile export.")],
    home: HomeOpt = None,
) -> None:
    """Replace the data of the users in an export with the export's (other users are kept).

    The whole file is checked first: a malformed one is refused with the user, item and field at fault, and
    nothing changes."""
    from tagrec_core.profile.transfer import import_profile

    try:
        # utf-8-sig: a byte order mark (as some Windows editors write) is harmless, not part of the JSON.
        document = json.loads(source.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise InputError(f"cannot read {source}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{source} is not a JSON profile export ({error})") from None
    except RecursionError:
        raise InputError(f"{source} is not a profile export (its JSON is nested too deeply)") from None
    with open_profile(home) as profile:
        names = import_profile(profile, document)
    typer.echo(f"imported {len(names)} user{'' if len(names) == 1 else 's'}: {_names(names)}")


@profile_app.command()
def forget(
    home: HomeOpt = None,
    user: UserOpt = None,
    item: Annotated[str | None, typer.Option("--item", help="Forget this item (its id, URL or path).")] = None,
    site: Annotated[str, typer.Option("--site", help="The item's site.")] = "files",
    tag: Annotated[str | None, typer.Option("--tag", help="Forget this tag everywhere.")] = None,
) -> None:
    """Forget an item (--item) or a tag everywhere (--tag); a backup of the users it changes is written first."""
    from tagrec_core.profile import DEFAULT_USER
    from tagrec_core.profile.transfer import backup_profile

    if (item is None) == (tag is None):
        raise InputError("give exactly one of --item or --tag")
    with open_profile(home) as profile:
        if item is not None:
            what = f"item {item!r}"
            owner = user or DEFAULT_USER
            changed = [owner] if profile.holds_item(site, item, owner) else []
        else:
            what = f"tag {tag!r}"
            changed = profile.users_with_tag(tag or "", user)
        if not changed:  # no backup of a profile that stays as it is
            typer.echo(f"nothing to forget: the profile has no {what}")
            return
        backup = backup_profile(profile, home, changed)
        if item is not None:
            profile.forget_item(site, item, changed[0])
        else:
            profile.forget_tag(tag or "", user)
    typer.echo(f"forgot {what}; undo with: {_undo_command(backup, home)}")
    typer.echo(_backup_note(backup, forgotten=True))


@profile_app.command()
def reset(
    home: HomeOpt = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user (default: everyone).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete everything the profile learned (of one user or of all); a backup of them is written first."""
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("reset deletes the profile: confirm with --yes")
        typer.confirm(f"Delete the profile of {user or 'every user'}?", abort=True)
    from tagrec_core.profile.transfer import backup_profile

    with open_profile(home) as profile:
        changed = profile.users() if user is None else [user] if profile.user(user) else []
        if not changed:  # no backup of a profile that stays as it is
            typer.echo(f"nothing to reset: the profile has no user {user!r}" if user else "nothing to reset")
            return
        backup = backup_profile(profile, home, changed)
        removed = profile.reset(user)
    typer.echo(f"reset {removed} user{'' if removed == 1 else 's'}; undo with: {_undo_command(backup, home)}")
    typer.echo(_backup_note(backup, forgotten=False))


@profile_app.command()
def alias(
    name: Annotated[str, typer.Argument(help="The other name, e.g. js.")],
    tag: Annotated[str | None, typer.Argument(help="The tag it stands for, e.g. javascript.")] = None,
    home: HomeOpt = None,
    user: UserOpt = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the alias instead.")] = False,
) -> None:
    """Make NAME an alias of TAG: suggestions and feedback use TAG (--remove to undo)."""
    from tagrec_core.profile import DEFAULT_USER

    with open_profile(home) as profile:
        if remove:
            done = profile.remove_alias(name, user or DEFAULT_USER)
            typer.echo(f"removed alias {name}" if done else f"no alias {name}")
            return
        if tag is None:
            raise InputError("give the tag the alias stands for (or --remove)")
        profile.set_alias(name, tag, user or DEFAULT_USER)
    typer.echo(f"{name} -> {tag}")


@profile_app.command()
def imply(
    tag: Annotated[str, typer.Argument(help="The tag, e.g. pandas.")],
    implies: Annotated[str, typer.Argument(help="The tag it implies, e.g. python.")],
    home: HomeOpt = None,
    user: UserOpt = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the implication instead.")] = False,
) -> None:
    """Make TAG imply IMPLIES: whenever TAG is suggested or chosen, IMPLIES goes with it."""
    from tagrec_core.profile import DEFAULT_USER

    with open_profile(home) as profile:
        if remove:
            done = profile.remove_implied(tag, implies, user or DEFAULT_USER)
            typer.echo(f"removed {tag} => {implies}" if done else f"no implication {tag} => {implies}")
            return
        profile.set_implied(tag, implies, user or DEFAULT_USER)
    typer.echo(f"{tag} => {implies}")


# How many names a line lists (a profile of so-users has 2,256: a 12 KB line).
NAMES_SHOWN = 20


def _names(names: list[str], where_all: str = "") -> str:
    """``names`` joined by commas, the first ``NAMES_SHOWN`` of them and how many more (and where they all are)."""
    if len(names) <= NAMES_SHOWN:
        return ", ".join(names) or "-"
    more = f"and {len(names) - NAMES_SHOWN:,} more" + (f" ({where_all})" if where_all else "")
    return f"{', '.join(names[:NAMES_SHOWN])}, {more}"


def _backup_note(backup: Path, *, forgotten: bool) -> str:
    """Where the backup is, how long it is kept, and (after a forget) that it still holds what was forgotten."""
    from tagrec_core.profile.transfer import BACKUPS_KEPT

    kept = f"the backup is kept until {BACKUPS_KEPT} newer ones are in {backup.parent}"
    return f"{kept}; it still holds what was forgotten: delete it to forget for good" if forgotten else kept


def _undo_command(backup: Path, home: Path | None) -> str:
    """The shell command that imports ``backup`` back into this home (named, so it works without the
    ``--home`` or ``$TAGREC_HOME`` that chose it)."""
    from tagrec_core.home import resolve_home

    return shlex.join(["tagrec", "profile", "import", str(backup), "--home", str(resolve_home(home))])
