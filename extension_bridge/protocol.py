"""uvicorn's httptools protocol with the two limits it lacks: a cap on the size of a request's head (request line
and headers) and a time limit to receive it.

uvicorn bounds a head only in its h11 protocol (``h11_max_incomplete_event_size``); with httptools a client could
send headers without end (200 MB of one header took 240 MB of the app's memory, and got no answer) or a byte
every few seconds, holding a connection for ever. The guard (``guard.py``) sees a request only once its head is
complete, so these limits live here, under it. Both answer in the bridge's one error shape and close.

uvicorn's own overload answer (``limit_concurrency``: as many connections open, or requests under way, as allowed)
is a ``text/plain`` "Service Unavailable", which a client cannot tell from another program on the port. Here the
same check answers 503 ``busy`` in the error shape, with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from extension_bridge.errors import error_response

__all__ = ["BUSY_RETRY_AFTER", "HEAD_TIMEOUT", "MAX_HEAD_BYTES", "BoundedHttpTools"]

MAX_HEAD_BYTES = 64 * 1024  # browsers send a few kB; Node refuses heads over 16 kB, nginx over 8 kB a header
HEAD_TIMEOUT = 10.0  # seconds from a request's first byte (or the connection) to the end of its head
BUSY_RETRY_AFTER = "1"  # seconds: requests of a local client finish in milliseconds


class BoundedHttpTools(HttpToolsProtocol):
    """``HttpToolsProtocol`` that answers 431 ``headers_too_large`` to a head over ``MAX_HEAD_BYTES`` and 408
    ``timeout`` to one not complete ``HEAD_TIMEOUT`` seconds after it began, then closes the connection; and 503
    ``busy`` (closing too) to a request that arrives while the server is at its ``limit_concurrency``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn's check would answer text/plain: it is switched off, and ``on_headers_complete`` makes it.
        self._concurrency, self.limit_concurrency = self.limit_concurrency, None
        self._reading_head = True  # until the parser has the whole head of the current request
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()  # a connection that never completes a head is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Checked after parsing: a chunk may hold a small head and the start of a large body.
        if self._reading_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._refuse(431, "headers_too_large", f"the request line and headers are over {MAX_HEAD_BYTES:,} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True
        if self._head_timer is None:  # the next request of a kept-alive connection
            self._start_head_timer()

    def on_headers_complete(self) -> None:
        self._reading_head, self._head_bytes = False, 0
        self._stop_head_timer()
        if not self._overloaded():
            super().on_headers_complete()
            return
        # uvicorn takes the app that answers from ``self.app`` here (and queues it for a pipelined request):
        # for this one request it is the busy answer.
        app, self.app = self.app, _busy
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def _overloaded(self) -> bool:
        """uvicorn's ``limit_concurrency`` test: as many connections open, or requests under way, as allowed."""
        limit = self._concurrency
        return limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit)

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._reading_head and not self.transport.is_closing():
            self._refuse(408, "timeout", f"the request's headers did not arrive within {HEAD_TIMEOUT:.0f} s")

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer with the bridge's error shape and close: the rest of this connection cannot be trusted."""
        self._stop_head_timer()
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


async def _busy(scope: Scope, receive: Receive, send: Send) -> None:
    """The overload answer (an ASGI app, in front of the guard, so without the guard's CORS headers): 503 ``busy``
    in the error shape with ``Retry-After`` and ``nosniff``; the connection is closed, as uvicorn's own answer
    closes it."""
    response = error_response(
        503,
        "busy",
        "tagrec has too many requests at once; try again in a moment",
        {"Retry-After": BUSY_RETRY_AFTER, "X-Content-Type-Options": "nosniff", "Connection": "close"},
    )
    await response(scope, receive, send)
