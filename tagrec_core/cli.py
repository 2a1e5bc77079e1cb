"""The ``tagrec`` command line. Its options and output formats are a contract that scripts rely on
(docs/cli.md): change them only compatibly.

Every expected failure is a ``TagrecError``: printed as one ``error: ...`` line on stderr with exit code 1
(2 for usage errors, 130 for Ctrl-C) - never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tagrec_core.cli_profile import HomeOpt, UserOpt, feedback, open_profile, profile_app
from tagrec_core.defaults import DOMAINS
from tagrec_core.errors import Cancelled, DataError, TagrecError
from tagrec_core.version import __version__

app = typer.Typer(
    name="tagrec",
    help="Offline, personal tag suggestions. Train, evaluate and run tag models on your machine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click messages: stable text for scripts, no terminal-width boxes
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command("feedback")(feedback)
app.add_typer(profile_app, name="profile")


def _add_plugin_commands() -> None:
    """Add the commands that outer packages register as ``tagrec.commands`` entry points (the bridge's
    ``serve`` and ``token``): a ``typer.Typer`` becomes a command group, a function a command."""
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group="tagrec.commands"), key=lambda e: e.name):
        command = entry.load()
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=entry.name)
        else:
            app.command(entry.name)(command)


_add_plugin_commands()

ModelOpt = Annotated[Path, typer.Option("--model", "-m", help="A .tagrec model file.", show_default=False)]
SkipBadOpt = Annotated[bool, typer.Option("--skip-bad", help="Skip malformed lines (reported on stderr).")]
TopKOpt = Annotated[int, typer.Option("--top-k", "-k", min=1, max=100, help="How many tags to suggest.")]


def _warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def _read(path: Path, *, require_tags: bool, skip_bad: bool, user_field: str = "user") -> list[Any]:
    from tagrec_core.records import read_records

    def on_skip(error: DataError) -> None:
        _warn(f"skipped {error}")

    return read_records(path, require_tags=require_tags, skip_bad=skip_bad, on_skip=on_skip, user_field=user_field)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tagrec {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Offline, personal tag suggestions."""


# More threads than this only wait for each other, and 100,000 made torch and sentencepiece crash (SIGSEGV).
MAX_THREADS = 256


@app.command()
def train(
    data: Annotated[
        list[Path], typer.Option("--data", "-d", help="Training data (JSON Lines); more files may follow.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the model file.")],
    more: Annotated[list[Path] | None, typer.Argument(help="More training files.", show_default=False)] = None,
    valid: Annotated[Path | None, typer.Option("--valid", help="Validation data for early stopping.")] = None,
    tags: Annotated[
        Path | None, typer.Option("--tags", help="A site's tag list (tag<TAB>count), kept in the model.")
    ] = None,
    preset: Annotated[
        str, typer.Option("--preset", help="Recipe: bag, attention-cnn, textcnn, ... (see docs/cli.md).")
    ] = "bag",
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Override the preset's epoch limit.")] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", min=0, max=2**32 - 1, help="Random seed (0 to 2**32-1); the same seed gives the same model."
        ),
    ] = 0,
    quantize: Annotated[
        bool | None, typer.Option("--quantize/--no-quantize", help="int8 weights (default: the preset's).")
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option("--threads", min=1, max=MAX_THREADS, help="CPU threads (default: the preset's)."),
    ] = None,
    classifier_only: Annotated[
        bool,
        typer.Option(
            "--classifier-only",
            help="Only the network: no similar-post index, text matches, co-occurrence or fusion.",
        ),
    ] = False,
    folds: Annotated[
        int,
        typer.Option(
            "--folds",
            min=0,
            help="Folds whose held-out posts fit the fusion, each training one more classifier "
            "(0, the default: enough for 5,000 posts, at most 5; 1: the fastest training).",
        ),
    ] = 0,
    skip_bad: SkipBadOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a model on tagged posts and write it to --out (atomically: Ctrl-C leaves nothing half-written).

    By default the model is the full ranker: the network of --preset, an index of the training posts whose
    nearest neighbours vote, tags read out of the text (the training tags and the --tags list), tag
    co-occurrence, and a fusion of all of them learned on held-out posts.
    """
    from tagrec_core import modelfile, presets
    from tagrec_core.progress import TrainingBar
    from tagrec_core.ranker_training import train_ranker
    from tagrec_core.records import read_tag_list
    from tagrec_core.training import train as run_training

    modelfile.check_writable(out, [*data, *(more or []), *([valid] if valid else []), *([tags] if tags else [])])
    distributed = _init_distributed()
    records = [r for path in [*data, *(more or [])] for r in _read(path, require_tags=True, skip_bad=skip_bad)]
    valid_records = _read(valid, require_tags=True, skip_bad=skip_bad) if valid else None
    site_tags = read_tag_list(tags) if tags else None
    config = presets.config_for(preset, epochs=epochs, seed=seed, quantize=quantize, threads=threads)
    show = not quiet and _is_main_process()
    try:
        with TrainingBar(enabled=show) as bar:
            if classifier_only:
                model = run_training(records, valid_records, config, progress=bar.update)
            else:
                model = train_ranker(
                    records, valid_records, config, site_tags=site_tags, folds=folds or None, progress=bar.update
                )
    except KeyboardInterrupt:
        raise Cancelled("interrupted; nothing was written") from None
    if _is_main_process():
        modelfile.save(model, out)
        size = out.stat().st_size / 1e6
        typer.echo(
            f"wrote {out} ({size:.1f} MB, {len(model.ranking.tags if model.ranking else model.vocab)} tags, "
            f"classifier valid F1@3 {model.meta['valid_f1_at_3']:.3f})",
            err=True,
        )
    if distributed:
        import torch.distributed as dist

        dist.destroy_process_group()


@app.command()
def predict(
    model: ModelOpt,
    data: Annotated[Path, typer.Option("--data", "-d", help="Posts (JSON Lines or plain text, one per line).")],
    top_k: TopKOpt = 5,
    skip_bad: SkipBadOpt = False,
    home: HomeOpt = None,
    user: UserOpt = None,
    user_field: Annotated[
        str | None, typer.Option("--user-field", help="Use each record's own user from this JSON field (e.g. user).")
    ] = None,
) -> None:
    """Suggest tags for every post in --data: one JSON line per post, in input order.

    With a profile in --home, suggestions are personal: for --user, or for each record's --user-field.
    """
    records = _read(data, require_tags=False, skip_bad=skip_bad, user_field=user_field or "user")
    users = [r.user for r in records] if user_field else [user] * len(records)
    with _personal(model, home) as recommender:
        results = recommender.suggest_many([(r.title, r.body) for r in records], k=top_k, users=users)
    for record, suggestions in zip(records, results, strict=True):
        line = {"id": record.id, "suggestions": [_public(s) for s in suggestions]}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


@app.command("eval")
def evaluate_cmd(
    model: ModelOpt,
    data: Annotated[Path, typer.Option("--data", "-d", help="Tagged posts (JSON Lines).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as one JSON object.")] = False,
    skip_bad: SkipBadOpt = False,
) -> None:
    """Score a model on tagged posts: P@k, R@k and F1@k for k = 1, 3, 5 (recall divides by all true tags)."""
    import tagrec_core
    from tagrec_core.metrics import KS, evaluate

    recommender = tagrec_core.load(model)
    records = _read(data, require_tags=True, skip_bad=skip_bad)
    results = recommender.suggest_many([(r.title, r.body) for r in records], k=max(KS))
    scores = evaluate([[s.tag for s in row] for row in results], [r.tags for r in records])
    if as_json:
        typer.echo(json.dumps({"posts": scores.posts, **{k: round(v, 4) for k, v in scores.values.items()}}))
        return
    typer.echo(f"{scores.posts} posts")
    typer.echo(f"{'k':>3} {'P@k':>7} {'R@k':>7} {'F1@k':>7}")
    for k in KS:
        typer.echo(f"{k:>3} {scores[f'p@{k}']:>7.4f} {scores[f'r@{k}']:>7.4f} {scores[f'f1@{k}']:>7.4f}")


Domain = StrEnum("Domain", list(DOMAINS))  # a usage error (exit 2) names the choices; no path is tried


@app.command()
def suggest(
    text: Annotated[str | None, typer.Argument(help="The post (title, then body); read from stdin if absent.")] = None,
    model: Annotated[Path | None, typer.Option("--model", "-m", help="A .tagrec model file.")] = None,
    domain: Annotated[
        Domain | None,
        typer.Option("--domain", help="Shipped model: stackoverflow or weibo (default: by language)."),
    ] = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag already chosen (repeatable).")] = None,
    top_k: TopKOpt = 5,
    min_score: Annotated[
        float,
        typer.Option(
            "--min-score",
            min=0.0,
            max=1.0,
            help="Leave out suggestions scored below this (scores are calibrated: 0.05 is right about 1 time in 20).",
        ),
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"suggestions": [...]}.')] = False,
    home: HomeOpt = None,
    user: UserOpt = None,
) -> None:
    """Suggest tags for one text. The first line is the title, the rest the body.

    With a profile in --home (see tagrec profile), the suggestions are personal to --user.
    """
    from tagrec_core import defaults
    from tagrec_core.records import check_text, read_text_stream

    if text is None:
        if sys.stdin.isatty():
            raise TagrecError("no text: give it as an argument or pipe it on stdin")
        text = read_text_stream(sys.stdin.buffer, "stdin")
    else:
        text = check_text(text)
    title, _, body = text.strip().partition("\n")
    chosen = model if model else (domain.value if domain else defaults.domain_for(text))
    with _personal(chosen, home) as recommender:
        suggestions = recommender.suggest(
            title=title, body=body, tags=tags or (), user=user, k=top_k, min_score=min_score
        )
    if as_json:
        typer.echo(json.dumps({"suggestions": [_public(s) for s in suggestions]}, ensure_ascii=False))
        return
    if not suggestions:
        typer.echo("(no suggestions)")
    for s in suggestions:
        typer.echo(f"{s.tag}\t{s.score:.3f}\t{s.source}\t{s.reason}")


@app.command()
def info(
    model: Annotated[str, typer.Argument(help="A model file, or a shipped domain (stackoverflow, weibo).")],
) -> None:
    """Describe a model file: architecture, tags, training data, versions (as JSON)."""
    from tagrec_core import defaults, modelfile

    path = defaults.model_path(model) if model in defaults.DOMAINS else Path(model)
    loaded = modelfile.load(path)
    summary = {
        "path": str(path),
        "size_bytes": path.stat().st_size,
        "tags": len(loaded.vocab),
        "pieces": loaded.tokenizer.size,
        "quantized": loaded.quantized,
        **{k: v for k, v in loaded.meta.items() if k != "train_config"},
        "ranker": loaded.ranking is not None,
    }
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@contextlib.contextmanager
def _personal(model: Path | str, home: Path | None) -> Iterator[Any]:
    """A recommender for ``model`` with the home's profile when one exists (suggesting never creates one)."""
    import tagrec_core

    profile = open_profile(home, create=False)
    try:
        yield tagrec_core.load(model, profile=profile)
    finally:
        if profile is not None:
            profile.close()


def _public(s: Any) -> dict[str, Any]:
    return {"tag": s.tag, "score": s.score, "source": s.source, "reason": s.reason}


def _init_distributed() -> bool:
    """Join a ``torchrun`` process group (gloo on CPU) when launched by torchrun; False otherwise."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    import torch.distributed as dist

    dist.init_process_group("gloo")
    return True


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def main() -> None:
    """Console entry point: click handles usage errors (exit 2) and --help; expected errors and failures to
    write (a full disk) become one ``error:`` line (exit 1, or 130 when cancelled) instead of a traceback.
    (When the reader of a pipe leaves, click exits 1 quietly.)"""
    try:
        app()
    except Cancelled as error:
        typer.echo(str(error), err=True)
        sys.exit(130)
    except TagrecError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
    except OSError as error:  # what no command turned into a TagrecError: e.g. printing to a full disk
        _silence_stdout()
        where = f": {error.filename}" if error.filename else ""
        typer.echo(f"error: {error.strerror or error}{where}", err=True)
        sys.exit(1)


def _silence_stdout() -> None:
    """Point stdout at the null device, so that Python's own flush at exit does not fail (and print) again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
