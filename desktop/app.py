"""``tagrec-desktop``: the composition root. It opens the home's profile, starts the models loading, hosts the
browser bridge, and shows the window before any model is ready.

Without a display it says so and points to ``tagrec serve`` (the bridge alone) and ``tagrec suggest``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tagrec_core.errors import TagrecError


class Desktop:
    """Everything the app runs, built in order and closed in reverse: profile → service → bridge → window."""

    def __init__(self, home: str | Path | None = None, *, port: int | None = None, user: str | None = None) -> None:
        from desktop.bridge_panel import BridgePanel, PairingSignals
        from desktop.drafting import DraftingPane
        from desktop.folders_view import FolderView
        from desktop.profile_view import ProfileView
        from desktop.relay import Relay
        from desktop.window import MainWindow
        from extension_bridge.server import BridgeServer
        from tagrec_core.folders import FolderIndex
        from tagrec_core.home import profile_path
        from tagrec_core.profile import DEFAULT_USER, Profile
        from tagrec_core.service import Service

        self.profile = Profile.open(profile_path(home), recover=True)
        self.service = Service(self.profile)
        self.service.start()  # in the background: the window does not wait
        self.relay = Relay()
        self.signals = PairingSignals()
        self.server: BridgeServer | None = None
        error = ""
        try:
            self.server = BridgeServer(home, port=port, service=self.service, on_pairing_request=self.signals.notify)
            self.server.start()
        except TagrecError as failure:  # e.g. the port is taken: drafting still works
            error = str(failure)
        self.drafting = DraftingPane(self.service, self.relay, user or DEFAULT_USER)
        self.profile_view = ProfileView(self.profile, self.relay, user or DEFAULT_USER, home)
        self.folder_index = FolderIndex.for_home(home)
        self.folders = FolderView(self.folder_index, self.service, self.profile, self.relay, user or DEFAULT_USER)
        self.bridge_panel = BridgePanel(self.service, self.server, error, self.signals)
        self.window = MainWindow(self.drafting, self.folders, self.profile_view, self.bridge_panel)
        if self.profile.recovered:
            self.drafting.status.setText(self.profile.recovered)

    def close(self) -> None:
        self.folders.close_jobs()
        if self.server is not None:
            self.server.stop()
        self.relay.close()
        self.folder_index.close()
        self.service.close()
        self.profile.close()


def has_display() -> bool:
    """Whether Qt can show a window here (an X or Wayland display, or a platform plugin chosen explicitly)."""
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main() -> None:
    if not has_display():
        print(
            "tagrec-desktop needs a display, and there is none here.\n"
            "  - the browser bridge alone: tagrec serve\n"
            '  - suggestions on the command line: tagrec suggest "your text"',
            file=sys.stderr,
        )
        sys.exit(2)
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop.translations import install

    app = QApplication(sys.argv)
    app.setApplicationName("tagrec")
    install(app)
    try:
        desktop = Desktop()
    except TagrecError as error:  # e.g. the profile folder is not writable: say so in a dialog, then stop
        print(f"error: {error}", file=sys.stderr)
        QMessageBox.critical(None, "tagrec", str(error))
        sys.exit(1)
    desktop.window.show()
    code = app.exec()
    desktop.close()
    sys.exit(code)
