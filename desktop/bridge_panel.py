"""The browser bridge panel: where the bridge listens (or why it cannot), the models' state, the paired browsers
with revoke, the pairing dialog, and a debug report.

Pairing requests are accepted only while the pairing dialog is open (``Pairing.open_window``); the dialog
shows each request's code, which the extension shows too, and the user approves or denies it here.
"""

from __future__ import annotations

import json
import platform

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core_texts import model_states_text
from extension_bridge.pairing import Pairing, PairingError, PairingRequest
from extension_bridge.server import BridgeServer
from tagrec_core.service import Service
from tagrec_core.version import __version__

REFRESH_MS = 1000
NAME_CHARS = 40  # of a browser's name in the pairing dialog (it may send 100): the rest is in the tooltip


class PairingSignals(QObject):
    """Carries ``Pairing``'s callback (on the server's thread) to the Qt thread."""

    requested = Signal()

    def notify(self, _request: PairingRequest) -> None:
        self.requested.emit()


class PairingDialog(QDialog):
    """Open while the user pairs a browser: lists waiting requests with their codes; Approve / Deny each."""

    def __init__(self, pairing: Pairing, signals: PairingSignals, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Pair a browser"))
        self.pairing = pairing
        hint = QLabel(
            self.tr(
                "In the browser, open tagrec's options and press “Pair with tagrec”. Approve the request "
                "only if the browser shows the same code."
            )
        )
        hint.setWordWrap(True)
        self.requests = QVBoxLayout()
        self.empty = QLabel(self.tr("Waiting for a pairing request…"))
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.empty)
        layout.addLayout(self.requests)
        layout.addWidget(close)
        signals.requested.connect(self.refresh)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)  # expiries, and requests that came before the signal connected
        self.rows: dict[str, QWidget] = {}

    def showEvent(self, event) -> None:
        self.pairing.open_window()
        self._timer.start(REFRESH_MS)
        self.refresh()
        super().showEvent(event)

    def done(self, result: int) -> None:
        self.pairing.close_window()
        self._timer.stop()
        super().done(result)

    def refresh(self) -> None:
        waiting = {r.id: r for r in self.pairing.pending()}
        for request_id in list(self.rows):
            if request_id not in waiting:
                self.rows.pop(request_id).deleteLater()
        for request_id, request in waiting.items():
            if request_id not in self.rows:
                self.rows[request_id] = self._row(request)
                self.requests.addWidget(self.rows[request_id])
        self.empty.setVisible(not waiting)

    def _row(self, request: PairingRequest) -> QWidget:
        row = QWidget()
        row.setProperty("request", request.id)
        name = request.name if len(request.name) <= NAME_CHARS else request.name[: NAME_CHARS - 1] + "…"
        label = QLabel(self.tr("{name} ({origin}) — code {code}").format(
            name=name, origin=request.origin, code=request.code))  # fmt: skip
        label.setTextFormat(Qt.TextFormat.PlainText)  # names come from the browser: never markup
        label.setWordWrap(True)  # a 100-character name made the dialog 1,700 px wide, its buttons off-screen
        label.setToolTip(request.name)
        approve = QPushButton(self.tr("Approve"))
        deny = QPushButton(self.tr("Deny"))
        approve.setObjectName("approve")
        deny.setObjectName("deny")
        approve.clicked.connect(lambda: self._answer(request.id, approve=True))
        deny.clicked.connect(lambda: self._answer(request.id, approve=False))
        line = QHBoxLayout(row)
        line.addWidget(label, 1)
        line.addWidget(approve)
        line.addWidget(deny)
        return row

    def _answer(self, request_id: str, *, approve: bool) -> None:
        try:
            if approve:
                self.pairing.approve(request_id)
            else:
                self.pairing.deny(request_id)
        except PairingError:
            pass  # it expired meanwhile; refresh drops it
        self.refresh()


class BridgePanel(QWidget):
    """Status of the bridge inside the app, its paired browsers and the way to pair one more."""

    def __init__(self, service: Service, server: BridgeServer | None, error: str, signals: PairingSignals) -> None:
        super().__init__()
        self.service = service
        self.server = server
        self.error = error
        self.signals = signals
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.models = QLabel()
        self.browsers = QTableWidget(0, 4)
        self.browsers.setHorizontalHeaderLabels([self.tr("Browser"), self.tr("Origin"), self.tr("Last used"), ""])
        self.browsers.horizontalHeader().setStretchLastSection(True)
        self.pair_button = QPushButton(self.tr("Pair a browser…"))
        report = QPushButton(self.tr("Copy debug report"))
        self.pair_button.setEnabled(server is not None)
        self.pair_button.clicked.connect(self.open_pairing)
        report.clicked.connect(self.copy_report)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pair_button)
        buttons.addWidget(report)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.models)
        layout.addWidget(self.browsers, 1)
        layout.addLayout(buttons)
        self.dialog: PairingDialog | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(REFRESH_MS)
        self.refresh()

    def set_server(self, server: BridgeServer | None, error: str) -> None:
        """The bridge was restarted (on another port) or could not be: show the new one, or why. An open pairing
        dialog belonged to the old one: it is closed, and opened again for the new one."""
        pairing = self.dialog is not None and self.dialog.isVisible()
        if pairing:
            self.dialog.reject()
        self.server, self.error = server, error
        self.pair_button.setEnabled(server is not None)
        self.refresh()
        if pairing:
            self.open_pairing()

    def refresh(self) -> None:
        if self.server is None:
            self.status.setText(self.tr("The browser bridge is off: {error}").format(error=self.error))
        else:
            self.status.setText(self.tr("Browsers reach tagrec at {url}").format(url=self.server.url))
        states = model_states_text(self.service.status())
        self.models.setText(self.tr("Models — {states}").format(states=states))
        self._show_browsers()

    def _show_browsers(self) -> None:
        tokens = [t for t in self.server.tokens.list() if t.active] if self.server else []
        if [self.browsers.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.browsers.rowCount())] == [
            t.id for t in tokens
        ]:
            for row, token in enumerate(tokens):  # the same browsers: only their last use moves on
                self.browsers.item(row, 2).setText(token.last_used or self.tr("never"))
            return
        self.browsers.setRowCount(len(tokens))
        for row, token in enumerate(tokens):
            name = QTableWidgetItem(token.name or "-")
            name.setData(Qt.ItemDataRole.UserRole, token.id)
            self.browsers.setItem(row, 0, name)
            self.browsers.setItem(row, 1, QTableWidgetItem(token.origin))
            self.browsers.setItem(row, 2, QTableWidgetItem(token.last_used or self.tr("never")))
            revoke = QPushButton(self.tr("Revoke"))
            revoke.clicked.connect(lambda _=False, token_id=token.id: self.revoke(token_id))
            self.browsers.setCellWidget(row, 3, revoke)

    def revoke(self, token_id: str) -> None:
        if self.server is not None:
            self.server.tokens.revoke(token_id)
        self.refresh()

    def open_pairing(self) -> None:
        """Show the pairing dialog; one at a time (closing a second one closed pairing under the first)."""
        if self.server is None:
            return
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        self.dialog = PairingDialog(self.server.pairing, self.signals, self)
        self.dialog.finished.connect(self.refresh)
        self.dialog.show()

    def report(self) -> dict[str, object]:
        """What a bug report needs, and no secrets (no tokens, no drafts)."""
        return {
            "tagrec": __version__,
            "platform": platform.platform(),
            "bridge": self.server.url if self.server else None,
            "bridge_error": self.error or None,
            "models": self.service.status(),
            "paired_browsers": len([t for t in self.server.tokens.list() if t.active]) if self.server else 0,
        }

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(json.dumps(self.report(), indent=2))
