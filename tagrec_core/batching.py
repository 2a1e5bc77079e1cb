"""Natural batching: one worker thread runs a batch function over everything that queued while it was busy.

Many front-end threads or coroutines asking for suggestions at once cost one batched model call instead of one
call each (the model's matrix work is much cheaper per post in a batch), and no request waits for a timer: a
request that arrives at an idle worker runs at once, alone.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

from tagrec_core.errors import TagrecError

In = TypeVar("In")
Out = TypeVar("Out")

_STOP = object()


class Closed(TagrecError):
    """The batcher was closed: the work was not done."""

    code = "closed"


class Batcher(Generic[In, Out]):
    """Runs ``run(items) -> results`` (same length, same order) on one daemon thread.

    ``submit`` is thread-safe and returns a ``Future``; an exception raised by ``run`` fails every future of
    that batch. At most ``max_batch`` items go into one call.
    """

    def __init__(self, run: Callable[[Sequence[In]], Sequence[Out]], *, max_batch: int = 64, name: str = "batcher"):
        self._run = run
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: In) -> Future[Out]:
        """Queue one item; its future resolves to its result (or raises what ``run`` raised)."""
        future: Future[Out] = Future()
        with self._lock:
            if self._closed:
                raise Closed("the suggestion worker has stopped")
            self._queue.put((item, future))
        return future

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop after the queued work; later ``submit`` calls raise ``Closed``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._run_batch(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _run_batch(self, batch: list[tuple[In, Future[Out]]]) -> None:
        live = [(item, future) for item, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            results = self._run([item for item, _ in live])
        except BaseException as error:  # every waiter must hear about it, whatever it is
            for _, future in live:
                future.set_exception(error)
            return
        for (_, future), result in zip(live, results, strict=True):
            future.set_result(result)
