"""One desktop app per home: a second start hands over to the first and ends.

Two apps on one home would be two writers of one profile, two watchers of the same folders, and the second
would never get the bridge's port. So the first start takes ``<home>/desktop.lock`` (a ``QLockFile``) and
listens on a local socket named after the home (``QLocalServer``); a later start finds the lock taken,
connects, asks the first to bring its window to the front, waits for its answer and ends. Homes are separate:
two different homes run side by side.

The socket lives in a folder only this user can write to (see ``socket_name``): in the shared temporary folder,
another local user could take the name first and stop the app from starting, or answer in its place.

A crash leaves the lock file and the socket behind. ``QLockFile`` takes a lock whose process is gone (its pid is
not running, or runs another program, or the machine has rebooted) as stale and removes it; the stale lock
time is 0 because the app holds its lock for as long as it runs, which must never make the lock look stale.
Only the lock's holder removes a leftover socket, so a live app's socket is never taken away.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from tagrec_core.errors import TagrecError

LOCK_FILE = "desktop.lock"
SHOW = b"show\n"  # bring the window to the front
STAY = b"stay\n"  # a start that asked for the tray (autostart): leave the window as it is
DONE = b"done\n"  # the answer
ANSWER_MS = 20_000  # the first app answers from its event loop, which starts once its window is built
CONNECT_MS = 1_000
HAND_OVER_S = 10.0  # how long a later start keeps trying while the first one is starting or quitting
# A Unix socket's path must fit ``sun_path``: 108 bytes on Linux, 104 on macOS, with the closing NUL.
MAX_SOCKET_PATH_BYTES = 100


class NotAnswering(TagrecError):
    """The home is held by an app that does not answer (hung, or of another user)."""

    code = "not_answering"

    def __init__(self, home: Path, pid: int, message: str = "") -> None:
        super().__init__(
            message or f"tagrec is already running for {home} (process {pid or '?'}), but it does not answer"
        )
        self.home = home
        self.pid = pid  # 0 when the lock file cannot be read


def socket_name(home: Path) -> str:
    """The local socket's name for ``home``: the same for every start on that home (its resolved path) by this
    user. On Unix a full path in a folder no other user can write to, so none can take the name first: the
    user's runtime folder (``XDG_RUNTIME_DIR``, else Qt's ``<tmp>/runtime-<user>``; Qt creates it 0700 and
    gives none when it is another user's or open to others), else ``home`` itself; the first of them where
    the path fits ``MAX_SOCKET_PATH_BYTES``. ``TagrecError`` when none does. On Windows a pipe name (Qt
    restricts the pipe to this user: ``UserAccessOption``)."""
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    digest = hashlib.sha256(f"{user}\0{home.resolve()}".encode("utf-8", "surrogateescape")).hexdigest()
    name = f"tagrec-desktop-{digest[:24]}"
    if os.name == "nt":
        return name
    runtime = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.RuntimeLocation)
    places = [Path(runtime) / name] if runtime else []
    places.append(home.resolve() / "desktop.socket")  # two homes, two folders: they stay side by side
    for path in places:
        if len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES:
            return str(path)
    raise TagrecError(
        f"tagrec needs a private folder with a short path for its local socket: {home} is too long and there is"
        " no runtime folder; set XDG_RUNTIME_DIR to one (e.g. /run/user/<uid>)"
    )


class SingleInstance(QObject):
    """The guard of one home. Main thread only. After ``claim_or_hand_over`` returned True, later starts are
    answered from the event loop and ``on_show`` brings the window to the front; ``release`` (at quit) stops
    answering and frees the home."""

    def __init__(self, home: Path) -> None:
        super().__init__()
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.name = socket_name(home)
        self._lock = QLockFile(str(home / LOCK_FILE))
        self._lock.setStaleLockTime(0)  # held for the app's whole life: only a dead holder makes it stale
        self._server: QLocalServer | None = None
        self.on_show: Callable[[], None] = lambda: None

    def claim_or_hand_over(self, *, show: bool = True) -> bool:
        """True when this start is the home's app: the home is locked and later starts are answered. False when
        another app holds the home and has answered: it brought its window to the front (``show``), or only
        said that it runs. An app that is starting (locked, not listening yet) or quitting (listening no
        more, lock not yet freed) is waited for. ``NotAnswering`` when the app holding the home does not
        answer; ``TagrecError`` when the lock cannot be written (a home that is not writable)."""
        deadline = time.monotonic() + HAND_OVER_S
        holder = 0  # the holder's pid, read while it holds the lock: once it is gone the lock file is too
        while True:
            if self._claim():
                return True
            holder = self._lock.getLockInfo()[0] or holder  # (pid, host, program); pid 0: unreadable
            if time.monotonic() > deadline:
                break
            answer = self._ask(SHOW if show else STAY)
            if answer == DONE:
                return False
            if answer not in (None, b""):
                break  # something that is not a tagrec app of this version answers: do not wait for it
            # None: nothing listens (starting, or quitting); b"": no answer (quitting: the connection closed
            # when it released the home; or hung, and the answer's time has run out): try again, so a home
            # freed meanwhile, even past the deadline, is claimed
            time.sleep(0.1)
        raise NotAnswering(self.home, holder)

    def _claim(self) -> bool:
        if not self._lock.tryLock(0):
            if self._lock.error() != QLockFile.LockError.LockFailedError:
                raise TagrecError(f"{self.home / LOCK_FILE} cannot be written: {self._lock.error().name}")
            return False
        QLocalServer.removeServer(self.name)  # a crashed app's socket: we hold the lock, so it is not live
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # this user only
        if not server.listen(self.name):
            self._lock.unlock()
            raise TagrecError(f"tagrec cannot listen on {self.name}: {server.errorString()}")
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def _ask(self, request: bytes) -> bytes | None:
        """Send ``request`` to the app holding the home and return its answer (``b""``: none in time); ``None``
        when nothing listens."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            return None
        socket.write(request)
        socket.waitForBytesWritten(CONNECT_MS)
        answer = _read_line(socket, ANSWER_MS)
        socket.disconnectFromServer()
        return answer

    def _accept(self) -> None:
        while self._server is not None and (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._answer(s))
            socket.disconnected.connect(socket.deleteLater)
            self._answer(socket)  # the request may have come with the connection

    def _answer(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        if bytes(socket.readLine().data()) == SHOW:
            self.on_show()
        socket.write(DONE)
        socket.flush()

    def release(self) -> None:
        """Stop answering and free the home (the app quits)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()


def _read_line(socket: QLocalSocket, timeout_ms: int) -> bytes:
    """One line from ``socket``, or ``b""`` when none came within ``timeout_ms``."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not socket.canReadLine():
        left = int((deadline - time.monotonic()) * 1000)
        if left <= 0 or not socket.waitForReadyRead(left):
            return b""
    return bytes(socket.readLine().data())
