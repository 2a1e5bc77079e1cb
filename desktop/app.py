"""``tagrec-desktop``: the composition root. It opens the home's profile, starts the models loading, hosts the
browser bridge, and shows the window before any model is ready.

Without a display it says so and points to ``tagrec serve`` (the bridge alone) and ``tagrec suggest``.

One app runs per home (``--home``, else ``TAGREC_HOME``, else the user's data folder): a second start on the
same home brings the running app's window to the front and ends with status 0 (``desktop.instance``).

``tagrec-desktop --minimized`` starts in the tray with the window hidden (how autostart runs it; where the
desktop has no tray, the window starts minimized instead). ``--version`` prints the version. The hidden
``--smoke-test`` builds everything as usual, shows the window, then prints one JSON line (how the window was
shown, whether Qt reports it visible, its tabs, the seconds since ``main`` began) and quits: the packaging
smoke test and ``bench.bundle`` run it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tagrec_core.errors import TagrecError
from tagrec_core.version import __version__

if TYPE_CHECKING:
    from types import ModuleType

    from PySide6.QtCore import QCoreApplication

    from desktop.instance import SingleInstance
    from desktop.window import MainWindow
    from extension_bridge.server import BridgeServer, PortInUse
    from tagrec_core.settings import Settings


class Desktop:
    """Everything the app runs, built in order and closed in reverse: profile → service → bridge → window."""

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        port: int | None = None,
        user: str | None = None,
        loaded: tuple[Settings, str | None] | None = None,
    ) -> None:
        """``port`` and ``user`` override the settings for this run (tests, ``--port``); they are not saved.
        ``loaded``: what ``load_settings(home)`` returned, when the caller already read it."""
        from desktop.bridge_panel import BridgePanel, PairingSignals
        from desktop.core_texts import startup_problem_text
        from desktop.drafting import DraftingPane
        from desktop.folders_view import FolderView
        from desktop.profile_view import ProfileView
        from desktop.relay import Relay
        from desktop.window import MainWindow
        from tagrec_core.folders import FolderIndex
        from tagrec_core.home import profile_path
        from tagrec_core.profile import Profile
        from tagrec_core.service import Service
        from tagrec_core.settings import load_settings

        self.home = home
        self.settings, settings_problem = loaded or load_settings(home)
        user = user or self.settings.user
        self.profile = Profile.open(profile_path(home), recover=True)
        self.service = Service(self.profile)
        self.service.start()  # in the background: the window does not wait
        self.relay = Relay()
        self.signals = PairingSignals()
        self.server, error = self._start_bridge(port)
        self.drafting = DraftingPane(self.service, self.relay, user, self.settings.min_score)
        self.profile_view = ProfileView(self.profile, self.relay, user, home)
        self.folder_index = FolderIndex.for_home(home)
        self.folders = FolderView(
            self.folder_index, self.service, self.profile, self.relay, user, self.settings.min_score
        )
        self.folders.set_file_tags(xattr=self.settings.write_xattr, sidecar=self.settings.write_sidecar)
        self.bridge_panel = BridgePanel(self.service, self.server, error, self.signals)
        self.window = MainWindow(self.drafting, self.folders, self.profile_view, self.bridge_panel)
        self.window.settings_requested.connect(self.open_settings)
        problems = [p for p in (self.profile.recovered, settings_problem) if p]
        if problems:
            self.drafting.status.setText("; ".join(startup_problem_text(p) for p in problems))

    def _start_bridge(self, port: int | None) -> tuple[BridgeServer | None, str]:
        """The bridge on ``port`` (else the settings' port), and ``""``; or ``None`` and why it cannot run."""
        from extension_bridge.server import BridgeServer, PortInUse

        try:
            server = BridgeServer(self.home, port=port, service=self.service, on_pairing_request=self.signals.notify)
            server.start()
        except PortInUse as taken:  # drafting still works; the advice is the app's, not the command line's
            return None, _port_advice(taken)
        except TagrecError as failure:
            return None, str(failure)
        return server, ""

    # --- settings ----------------------------------------------------------------------------------------------

    def open_settings(self) -> None:
        """Show the Settings dialog; apply and save what the user accepts, and tell what could not be done."""
        from PySide6.QtWidgets import QMessageBox

        from desktop import autostart
        from desktop.settings_dialog import SettingsDialog
        from extension_bridge.server import DEFAULT_PORT

        dialog = SettingsDialog(
            self.settings, self.profile.users(), DEFAULT_PORT, _autostart_is_on(autostart), self.window
        )
        if not dialog.exec():
            return
        notes = self.apply_settings(dialog.chosen(), autostart=dialog.autostart.isChecked())
        if notes:
            QMessageBox.information(self.window, "tagrec", "\n\n".join(notes))

    def apply_settings(self, new: Settings, *, autostart: bool | None = None) -> list[str]:
        """Save ``new`` and apply it at once: the user of every view, the lowest score shown, the bridge's port
        (restarted), the copies of file tags (turning one on writes the tags of every tagged file), autostart
        (``None``: unchanged). Returns what the user should know: what waits for a restart, what failed."""
        from PySide6.QtCore import QCoreApplication

        from desktop import autostart as autostart_entry
        from desktop.core_texts import error_text
        from tagrec_core.settings import save_settings

        old, notes = self.settings, []
        try:
            save_settings(new, self.home)
        except TagrecError as error:
            notes.append(error_text(error))
        self.settings = new
        if new.user != old.user:
            for view in (self.drafting, self.profile_view, self.folders):
                view.user = new.user
            self.profile_view.refresh()
            self.folders.refresh()
        if new.min_score != old.min_score:
            self.drafting.min_score = new.min_score
            self.drafting.refresh()
            self.folders.set_min_score(new.min_score)
        if new.port != old.port:
            if self.server is not None:
                self.server.stop()
            self.server, error = self._start_bridge(None)
            self.bridge_panel.set_server(self.server, error)
            if error:
                notes.append(error)
        self.folders.set_file_tags(xattr=new.write_xattr, sidecar=new.write_sidecar)
        if (new.write_xattr and not old.write_xattr) or (new.write_sidecar and not old.write_sidecar):
            self.folders.write_all_file_tags()
        if new.language != old.language:
            notes.append(QCoreApplication.translate("Desktop", "The language changes when tagrec starts again."))
        if autostart is not None:
            try:
                if autostart and not _autostart_is_on(autostart_entry):
                    autostart_entry.enable()
                elif not autostart:
                    autostart_entry.disable()
            except TagrecError as error:
                notes.append(error_text(error))
        return notes

    def close(self) -> None:
        self.folders.close_jobs()
        if self.server is not None:
            self.server.stop()
        self.relay.close()
        self.profile_view.release_undo()  # after the relay: no undo reads its backup any more
        self.folder_index.close()
        self.service.close()
        self.profile.close()


def _quit_on_signals(app: QCoreApplication) -> threading.Event:
    """Quit the event loop, so that ``main`` closes everything, on SIGTERM (logging out, a service manager) and
    Ctrl-C in the terminal, instead of dying with the profile and the bridge open; the event returned is set
    then (a signal before the loop runs must skip it). Python runs a signal handler only when the interpreter
    gets control, which Qt's loop does not give it: a timer ticks for that."""
    import signal

    from PySide6.QtCore import QTimer

    stopping = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        stopping.set()
        app.quit()

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, stop)
    tick = QTimer(app)
    tick.timeout.connect(lambda: None)
    tick.start(250)
    return stopping


def _autostart_is_on(autostart: ModuleType) -> bool:
    try:
        return bool(autostart.is_enabled())
    except TagrecError:  # an unreadable entry: show the box unticked; ticking it writes a good one
        return False


def has_display() -> bool:
    """Whether Qt can show a window here: a Wayland or X display that answers, or a platform plugin chosen
    explicitly. A ``DISPLAY`` that nothing serves (a stale one over ssh, in a container) made Qt abort."""
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    wayland = os.environ.get("WAYLAND_DISPLAY", "")
    if wayland and Path(os.environ.get("XDG_RUNTIME_DIR", "/run/user"), wayland).exists():
        return True
    return _x_display_answers(os.environ.get("DISPLAY", ""))


def _x_display_answers(display: str) -> bool:
    """Whether an X server listens for ``display`` (``:0``, ``unix:0``, ``host:10.0``): its local socket, or its TCP
    port 6000 + number."""
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isascii() or not number.isdigit():
        return False
    if host in ("", "unix"):
        return _unix_socket_answers(f"/tmp/.X11-unix/X{number}")
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=1.0):
            return True
    except OSError:
        return False


def _unix_socket_answers(path: str) -> bool:
    """Whether an X server listens on ``path``, or on the abstract socket of that name (some containers and
    sandboxes give only that one, without the file)."""
    for address in (path, "\0" + path):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(1.0)
                probe.connect(address)
                return True
        except OSError:
            continue
    return False


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The app's own options, and the arguments left for Qt (e.g. ``-platform offscreen``)."""
    parser = argparse.ArgumentParser(prog="tagrec-desktop", description="tagrec's desktop app and browser bridge.")
    parser.add_argument("--version", action="version", version=f"tagrec-desktop {__version__}")
    parser.add_argument(
        "--minimized", action="store_true", help="start in the tray, the window hidden (autostart runs this)"
    )
    parser.add_argument(
        "--home", help="the folder of the profile and settings (default: $TAGREC_HOME, else the user's data folder)"
    )
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_known_args(argv)


def show(window: MainWindow, *, minimized: bool) -> str:
    """Show ``window`` as asked; returns how: ``shown``, ``tray`` (hidden; the tray menu shows it) or
    ``minimized`` (asked to start minimized where there is no tray: a minimized window is the way back)."""
    if not minimized:
        window.show()
        return "shown"
    if window.tray is not None:
        return "tray"
    window.showMinimized()
    return "minimized"


def _smoke_report(desktop: Desktop, how: str, started: float) -> int:
    """Print what the smoke test checks, as one JSON line; 0 when the window (or the tray icon) is up. The
    window is rendered into a pixmap (``grab``), so every widget has really painted."""
    window = desktop.window
    visible = window.tray.isVisible() if how == "tray" and window.tray is not None else window.isVisible()
    painted = window.grab()
    report = {
        "version": __version__,
        "window": how,
        "visible": visible,
        "minimized": window.isMinimized(),
        "painted": [painted.width(), painted.height()],
        "tabs": [window.tabs.tabText(i) for i in range(window.tabs.count())],
        "seconds": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0 if visible else 1


def _port_advice(taken: PortInUse) -> str:
    """What to do about a taken port, in the app's words: its Settings, not the command line's ``--port``."""
    from PySide6.QtCore import QCoreApplication

    if taken.by_tagrec:
        text = QCoreApplication.translate(
            "Desktop",
            "Another tagrec is already running on port {port} and serves the browsers; quit it, or choose another"
            " port in Settings (and the same port in the extension's options).",
        )
    else:
        text = QCoreApplication.translate(
            "Desktop",
            "Port {port} is used by another program, so the browser bridge is off. Choose another port in Settings"
            " and set the same port in the extension's options.",
        )
    return text.format(port=taken.port)


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    if not has_display():
        print(
            "tagrec-desktop needs a display, and there is none here.\n"
            "  - the browser bridge alone: tagrec serve\n"
            '  - suggestions on the command line: tagrec suggest "your text"\n'
            "  (from a source checkout, these are .venv/bin/tagrec)",
            file=sys.stderr,
        )
        sys.exit(2)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop.core_texts import error_text
    from desktop.instance import NotAnswering
    from desktop.translations import install

    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("tagrec")
    stopping = _quit_on_signals(app)
    from tagrec_core.settings import load_settings

    loaded = load_settings(args.home)  # read once: the language now, the rest by the app
    install(app, loaded[0].language or None)
    try:
        instance = _first_on_home(args.home, minimized=args.minimized)
        desktop = Desktop(args.home, loaded=loaded)
    except (TagrecError, OSError) as error:  # e.g. the profile folder is not writable: say so in a dialog, then stop
        # (OSError too: started from a menu, the app has no terminal where a traceback would be seen)
        print(f"error: {error}", file=sys.stderr)
        # NotAnswering's text is translated already (``_first_on_home``)
        QMessageBox.critical(None, "tagrec", str(error) if isinstance(error, NotAnswering) else error_text(error))
        sys.exit(1)
    instance.on_show = desktop.window.bring_to_front
    how = show(desktop.window, minimized=args.minimized)
    if args.smoke_test:  # once the event loop has drawn the window
        QTimer.singleShot(0, lambda: app.exit(_smoke_report(desktop, how, started)))
    code = 0 if stopping.is_set() else app.exec()  # a signal during start-up: close at once
    desktop.close()
    instance.release()  # last: a start meanwhile waits until the profile is closed
    sys.exit(code)


def _first_on_home(home: str | None, *, minimized: bool) -> SingleInstance:
    """The guard of ``home``, when this start is its first app. When another app already runs on it, that app
    brings its window to the front (unless this start is ``minimized``: autostart), this start says so and
    exits with status 0. ``NotAnswering`` when that app does not answer."""
    from PySide6.QtCore import QCoreApplication

    from desktop.instance import NotAnswering, SingleInstance
    from tagrec_core.home import resolve_home

    folder = resolve_home(home)
    instance = SingleInstance(folder)
    try:
        if instance.claim_or_hand_over(show=not minimized):
            return instance
    except NotAnswering as error:
        text = QCoreApplication.translate(
            "Desktop",
            "tagrec is already running for {home} (process {pid}), but it does not answer. Quit it, or end that"
            " process, then start tagrec again.",
        )
        raise NotAnswering(error.home, error.pid, text.format(home=error.home, pid=error.pid or "?")) from None
    text = QCoreApplication.translate("Desktop", "tagrec is already running for {home}; its window is now in front.")
    if minimized:
        text = QCoreApplication.translate("Desktop", "tagrec is already running for {home}.")
    print(text.format(home=folder), flush=True)
    sys.exit(0)
