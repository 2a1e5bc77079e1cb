"""``tagrec serve`` and ``tagrec token ...``: the bridge from the command line.

They join the ``tagrec`` command through the ``tagrec.commands`` entry points (pyproject), so the core's CLI
never imports the bridge. Heavy imports (uvicorn, FastAPI, torch) happen inside the commands.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from tagrec_core.cli_profile import HomeOpt, JsonOpt

PortOpt = Annotated[
    int | None,
    typer.Option("--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (default: $TAGREC_PORT, else 24519)."),
]

token_app = typer.Typer(
    help="Tokens of the clients allowed to use the bridge (create, list, revoke).",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def serve(
    home: HomeOpt = None,
    port: PortOpt = None,
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help="Serve this model file for every site (default: shipped ones).")
    ] = None,
    pair: Annotated[
        bool, typer.Option("--pair", help="Accept pairing requests; approve each on this terminal (y/n + Enter).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each request (method, route, status, time).")
    ] = False,
) -> None:
    """Run the bridge for the browser extension on http://127.0.0.1:PORT until Ctrl-C."""
    from extension_bridge.server import BridgeServer

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("tagrec.bridge").setLevel(logging.INFO if verbose else logging.WARNING)
    server = BridgeServer(
        home, port=port, models={"model": model} if model else None, on_pairing_request=_announce if pair else None
    )
    if server.profile.recovered:
        typer.echo(f"warning: {server.profile.recovered}", err=True)
    if pair:
        server.pairing.open_window()
        threading.Thread(target=_approve_from_terminal, args=(server,), name="tagrec-pairing", daemon=True).start()
    typer.echo(f"tagrec bridge on {server.url} (profile {server.profile.path}); Ctrl-C stops it", err=True)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled: the normal end here
        server.run()
    typer.echo("tagrec bridge stopped", err=True)


def _announce(request: object) -> None:
    typer.echo(
        f"pairing request from {request.name!r} ({request.origin}), code {request.code}:"  # type: ignore[attr-defined]
        " type y and Enter to approve if the extension shows the same code, n to deny",
        err=True,
    )


def _approve_from_terminal(server: object) -> None:
    """Answer the oldest waiting pairing request with each line typed on stdin (y approves)."""
    pairing = server.pairing  # type: ignore[attr-defined]
    for line in sys.stdin:
        waiting = pairing.pending()
        if not waiting:
            typer.echo("no pairing request is waiting", err=True)
            continue
        if line.strip().lower() in {"y", "yes"}:
            pairing.approve(waiting[0].id)
            typer.echo(f"paired {waiting[0].name!r}", err=True)
        else:
            pairing.deny(waiting[0].id)
            typer.echo(f"denied {waiting[0].name!r}", err=True)


@token_app.command("create")
def token_create(
    origin: Annotated[
        str,
        typer.Option(
            "--origin", help="The client's origin, e.g. chrome-extension://<id>; 'cli' for scripts that send none."
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="A label for token list.")] = "",
    user: Annotated[str, typer.Option("--user", "-u", help="Whose profile the client uses.")] = "local",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token for a client (shown once: store it in the client)."""
    from extension_bridge.tokens import TokenStore

    store = TokenStore.for_home(home)
    row, token = store.create(origin, name=name, user=user)
    store.close()
    if as_json:
        typer.echo(json.dumps({"token": token, **row.to_dict()}, ensure_ascii=False))
        return
    typer.echo(token)
    typer.echo(f"token {row.id} for {origin}: shown only now; revoke with `tagrec token revoke {row.id}`", err=True)


@token_app.command("list")
def token_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List the tokens (never their secrets), newest first."""
    from extension_bridge.tokens import TokenStore

    store = TokenStore.for_home(home)
    tokens = store.list()
    store.close()
    if as_json:
        typer.echo(json.dumps({"tokens": [t.to_dict() for t in tokens]}, ensure_ascii=False))
        return
    if not tokens:
        typer.echo("(no tokens)")
    for t in tokens:
        state = f"revoked {t.revoked}" if t.revoked else f"last used {t.last_used or 'never'}"
        typer.echo(f"{t.id}\t{t.origin}\t{t.name or '-'}\t{t.user}\tcreated {t.created}\t{state}")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str | None, typer.Argument(metavar="ID", help="The token's id (see token list).")] = None,
    revoke_all: Annotated[bool, typer.Option("--all", help="Revoke every token.")] = False,
    home: HomeOpt = None,
) -> None:
    """Revoke one token, or all of them: their clients must pair again."""
    from extension_bridge.tokens import TokenStore
    from tagrec_core.errors import InputError

    if (token_id is None) == (not revoke_all):
        raise InputError("give a token ID or --all (not both)")
    store = TokenStore.for_home(home)
    try:
        if revoke_all:
            typer.echo(f"revoked {store.revoke_all()} token(s)")
        elif store.revoke(token_id or ""):
            typer.echo(f"revoked {token_id}")
        else:
            raise InputError(f"no active token {token_id!r}; see `tagrec token list`")
    finally:
        store.close()
