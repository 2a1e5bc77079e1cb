"""Results of background work, delivered on the Qt thread.

The core hands out ``concurrent.futures.Future`` objects (``Service.submit``) and runs blocking work (profile
writes) off the UI thread; ``Relay`` turns their completion into a queued Qt signal, so callbacks always run
on the thread that owns the widgets and the UI never waits.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal


class Relay(QObject):
    """``watch(future, callback)`` calls ``callback(result, error)`` on the Qt thread when ``future`` is done;
    ``run(fn, callback)`` runs ``fn`` on a background worker first. One worker: profile writes stay ordered."""

    _done = Signal(object, object, object)  # callback, result, error

    def __init__(self) -> None:
        super().__init__()
        self._done.connect(self._deliver)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagrec-desktop")

    def watch(self, future: Future[Any], callback: Callable[[Any, BaseException | None], None]) -> None:
        def finished(done: Future[Any]) -> None:
            if done.cancelled():
                return  # nobody waits for cancelled work
            error = done.exception()
            self._done.emit(callback, None if error else done.result(), error)

        future.add_done_callback(finished)

    def run(self, work: Callable[[], Any], callback: Callable[[Any, BaseException | None], None]) -> None:
        """Callable from any thread (an indexing job hands work over from its own); ``callback`` still runs on
        the Qt thread. Not after ``close``."""
        self.watch(self._pool.submit(work), callback)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    @staticmethod
    def _deliver(callback: Callable[[Any, BaseException | None], None], result: Any, error: Any) -> None:
        callback(result, error)
