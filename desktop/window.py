"""The main window: the drafting pane and the browser bridge panel as tabs; a tray icon keeps the app (and the
bridge) running when the window is closed, where the desktop has a tray."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QStyle, QSystemTrayIcon, QTabWidget

from desktop.bridge_panel import BridgePanel
from desktop.drafting import DraftingPane
from desktop.folders_view import FolderView
from desktop.profile_view import ProfileView

ICONS = Path(__file__).resolve().parent / "icons"  # rendered from packaging/icon/tagrec.svg (make_icon.py)


def app_icon() -> QIcon:
    """tagrec's icon in every size shipped (Qt picks the nearest for the window, the tray, the task switcher)."""
    icon = QIcon()
    for path in sorted(ICONS.glob("tagrec-*.png")):
        icon.addFile(str(path))
    return icon


class MainWindow(QMainWindow):
    """The tabs, a menu (Settings…, Quit) and the tray icon. ``settings_requested`` fires for Settings…"""

    settings_requested = Signal()

    def __init__(self, drafting: DraftingPane, folders: FolderView, profile: ProfileView, bridge: BridgePanel) -> None:
        super().__init__()
        self.setWindowTitle("tagrec")
        self.setWindowIcon(app_icon())
        self.resize(900, 640)
        self.drafting = drafting
        self.folders = folders
        self.profile = profile
        self.bridge = bridge
        self.tabs = QTabWidget()
        self.tabs.addTab(drafting, self.tr("Draft"))
        self.tabs.addTab(folders, self.tr("Folders"))
        self.tabs.addTab(profile, self.tr("Profile"))
        self.tabs.addTab(bridge, self.tr("Browser bridge"))
        self.tabs.currentChanged.connect(lambda _index: self.tabs.currentWidget() is profile and profile.refresh())
        self.setCentralWidget(self.tabs)
        menu = self.menuBar().addMenu(self.tr("&tagrec"))
        self.settings_action = QAction(self.tr("&Settings…"), self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))  # StandardKey.Preferences: empty on most Linux
        self.settings_action.triggered.connect(self.settings_requested)
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(QApplication.quit)
        menu.addAction(self.settings_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        self.tray = self._tray() if QSystemTrayIcon.isSystemTrayAvailable() else None

    def _tray(self) -> QSystemTrayIcon:
        icon = app_icon()
        if icon.isNull():  # a source tree without the rendered icons
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView)
        tray = QSystemTrayIcon(icon, self)
        tray.setToolTip(self.tr("tagrec: tag suggestions and the browser bridge"))
        menu = QMenu()
        show = QAction(self.tr("Show tagrec"), menu)
        quit_ = QAction(self.tr("Quit"), menu)
        show.triggered.connect(self.bring_to_front)
        quit_.triggered.connect(QApplication.quit)
        menu.addAction(show)
        menu.addAction(quit_)
        tray.setContextMenu(menu)
        tray.show()
        return tray

    def bring_to_front(self) -> None:
        """Show the window (from the tray, or minimized) and raise it above the others, as far as the window
        manager lets an app that is not in front do so. Only the minimized state goes: a maximized or full-screen
        window stays so (``showNormal`` would give it its normal size back)."""
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray is not None and self.tray.isVisible():
            self.hide()  # the bridge keeps serving the browser; Quit is in the tray menu
            event.ignore()
            return
        super().closeEvent(event)
