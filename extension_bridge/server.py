"""The bridge server: the API on ``127.0.0.1:<port>`` (uvicorn), headless (``tagrec serve``) or on a thread of
the desktop app.

The port is fixed (``--port``, else ``$TAGREC_PORT``, else the settings, else ``DEFAULT_PORT``) and never
silently moved: the extension looks for tagrec at one address. When the port is taken, ``PortInUse`` says
whether by another tagrec or by another program. Port 0 picks a free port (tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import http.client
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import uvicorn

from extension_bridge.app import Bridge, create_app
from extension_bridge.guard import Limits
from extension_bridge.pairing import Pairing, PairingRequest
from extension_bridge.protocol import BoundedHttpTools
from extension_bridge.tokens import TokenStore
from tagrec_core.errors import TagrecError
from tagrec_core.home import profile_path
from tagrec_core.profile import Profile
from tagrec_core.service import Service
from tagrec_core.settings import load_settings

__all__ = ["DEFAULT_PORT", "PORT_ENV", "BridgeServer", "PortInUse", "resolve_port"]

DEFAULT_PORT = 24519  # below Linux's ephemeral range (32768+), so outgoing connections never hold it
PORT_ENV = "TAGREC_PORT"
HOST = "127.0.0.1"  # never 0.0.0.0; never "localhost", which may resolve to ::1

log = logging.getLogger("tagrec.bridge")


class PortInUse(TagrecError):
    """The bridge's port is taken; the message says by whom and what to do (on the command line). ``port`` and
    ``by_tagrec`` (another tagrec holds it) let an app give its own advice."""

    code = "port_in_use"

    def __init__(self, message: str, port: int, by_tagrec: bool) -> None:
        super().__init__(message)
        self.port = port
        self.by_tagrec = by_tagrec


def resolve_port(port: int | None = None, home: str | Path | None = None) -> int:
    """``port`` if given, else ``$TAGREC_PORT``, else the home's settings (the desktop app's Settings dialog),
    else ``DEFAULT_PORT``."""
    if port is not None:
        value = port
    else:
        raw = os.environ.get(PORT_ENV, "")
        if raw and not (raw.isascii() and raw.isdigit()):  # str.isdigit alone takes "²" and "٢٥"
            raise TagrecError(f"{PORT_ENV} must be a port number, not {raw!r}")
        value = int(raw) if raw else (_settings_port(home) or DEFAULT_PORT)
    if not 0 <= value <= 65535:
        raise TagrecError(f"the port must be between 0 and 65535, not {value}")
    return value


def _settings_port(home: str | Path | None) -> int | None:
    """The port chosen in the home's settings; a settings file that cannot be used is said (a warning), not
    silently taken for the default: the user chose a port there."""
    settings, problem = load_settings(home)
    if problem:
        log.warning("%s", problem)
    return settings.port


class BridgeServer:
    """The bridge over a home's profile and tokens. ``run`` blocks until Ctrl-C; ``start``/``stop`` run it on a
    thread. Binding happens in the constructor, so a taken port fails at once.

    By default the server opens the home's profile and builds its own ``Service`` (``tagrec serve``). An app that
    already has a service (the desktop) passes it as ``service``: the bridge then shares its models and profile
    and leaves closing them to the app.
    """

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        port: int | None = None,
        models: Mapping[str, str | Path] | None = None,
        limits: Limits | None = None,
        on_pairing_request: Callable[[PairingRequest], None] | None = None,
        service: Service | None = None,
    ) -> None:
        self._socket = _bind(resolve_port(port, home))
        self.port: int = self._socket.getsockname()[1]
        self._owns_service = service is None
        try:
            self.profile = Profile.open(profile_path(home), recover=True) if service is None else service.profile
            self.tokens = TokenStore.for_home(home)
        except BaseException:
            self._socket.close()
            raise
        self.service = Service(self.profile, models) if service is None else service
        self.pairing = Pairing(self.tokens, on_pairing_request)
        self.bridge = Bridge(self.service, self.tokens, self.pairing, port=lambda: self.port, limits=limits)
        config = uvicorn.Config(
            create_app(self.bridge),
            http=BoundedHttpTools,  # httptools, with a cap on a request's head and a time limit to receive it
            # Not uvloop: 11% more requests/s here (771 against 693 at 50 clients), but it has leaked one
            # client's response to another under load (MagicStack/uvloop#645), and these answers carry drafts.
            loop="asyncio",
            lifespan="off",
            access_log=False,  # it would log query strings; the guard logs method, route, status, time
            log_level="warning",
            timeout_keep_alive=5,
            limit_concurrency=self.bridge.limits.concurrency,  # answered 503 `busy` by BoundedHttpTools
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Load the models and serve on a background thread; returns once the server accepts connections."""
        self.service.start()
        self._thread = threading.Thread(target=self._serve_in_thread, name="tagrec-bridge", daemon=True)
        self._thread.start()
        for _ in range(int(timeout * 100)):
            if self._server.started or not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not self._server.started:
            raise TagrecError("the bridge did not start")

    def run(self) -> None:
        """Load the models and serve until Ctrl-C (``KeyboardInterrupt`` then) or SIGTERM (a normal return then);
        either way everything is closed first."""
        in_main = threading.main_thread() is threading.current_thread()  # where signal handlers can be set
        previous = signal.signal(signal.SIGTERM, _raise_terminated) if in_main else None
        try:
            self.service.start()
            self._server.run(sockets=[self._socket])
        except _Terminated:
            pass  # a service manager asked us to stop, and we have
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (open requests finish) and close everything."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self.close()

    def close(self) -> None:
        self.bridge.close()
        if self._owns_service:
            self.service.close()
            self.profile.close()
        self.tokens.close()
        with contextlib.suppress(OSError):
            self._socket.close()

    def _serve_in_thread(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))


class _Terminated(BaseException):  # a BaseException: no ``except Exception`` on the way may swallow it
    """SIGTERM arrived. uvicorn stops serving on it and then raises it again, once its own handler is gone: with
    the default action the process would die there, before ``run`` closes the profile and the token store."""


def _raise_terminated(_signum: int, _frame: object) -> None:
    raise _Terminated


def _bind(port: int) -> socket.socket:
    # proto must say TCP: asyncio sets TCP_NODELAY only on such sockets, and without it every keep-alive answer
    # waits ~40 ms for the client's delayed ACK (Nagle holds back the body after the headers).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if sys.platform != "win32":  # on Windows SO_REUSEADDR would let two servers share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            by_tagrec = _tagrec_version_on(port)
            raise PortInUse(_who_holds(port, by_tagrec), port, by_tagrec is not None) from None
        raise TagrecError(f"cannot listen on {HOST}:{port}: {error.strerror or error}") from None
    sock.setblocking(False)
    return sock


def _tagrec_version_on(port: int) -> str | None:
    """The version of the tagrec answering /v1/hello on ``port`` (``""`` when it names none), or ``None`` when
    what holds the port is not tagrec."""
    conn = http.client.HTTPConnection(HOST, port, timeout=1.0)
    try:
        conn.request("GET", "/v1/hello", headers={"X-Tagrec-Api": "1", "Host": f"{HOST}:{port}"})
        hello = json.loads(conn.getresponse().read(65536))
    except (OSError, ValueError, http.client.HTTPException):
        hello = None
    finally:
        conn.close()
    if isinstance(hello, dict) and hello.get("app") == "tagrec":
        return str(hello.get("version", ""))
    return None


def _who_holds(port: int, tagrec_version: str | None) -> str:
    """The command line's words for a taken ``port``: another tagrec (its version) or another program."""
    if tagrec_version is not None:
        return f"tagrec {tagrec_version} is already running on port {port}; use that one, or stop it first"
    hint = f"start tagrec with --port N (or set {PORT_ENV}) and set the same port in the extension's options"
    return f"port {port} is used by another program; {hint}"
