"""Pairing: a browser extension asks for a token, the user approves it in the app, the token is delivered once.

The flow (docs/bridge.md): the extension ``POST /v1/pair`` → a request with a short code that both the
extension and the app show; the user compares the codes and approves (or denies) in the app; the extension
polls ``POST /v1/pair/{request}`` and receives the token exactly once. Requests are accepted only while the
app's pairing window is open (``open_window``), expire after ``REQUEST_TTL`` seconds, and at most
``MAX_PENDING`` wait at once, so a hostile extension cannot flood the user with prompts.

Thread-safe: the HTTP server creates and polls requests, the app's UI lists and approves them.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from extension_bridge.tokens import TokenStore
from tagrec_core.errors import TagrecError

__all__ = ["Pairing", "PairingError", "PairingRequest"]

REQUEST_TTL = 120.0  # seconds a request waits for the user
MAX_PENDING = 3

PENDING, APPROVED, DENIED = "pending", "approved", "denied"


class PairingError(TagrecError):
    """A pairing step that cannot happen now; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class PairingRequest:
    """One request to pair. ``code`` is what the user compares; ``token`` is set once approved."""

    id: str
    origin: str
    name: str
    code: str
    created: float
    status: str = PENDING
    token: str = ""
    token_id: str = ""

    @property
    def expires_in(self) -> float:
        return max(0.0, self.created + REQUEST_TTL - time.monotonic())


class Pairing:
    """The pairing window and its requests. ``on_request`` is called (on the server's thread) for each new
    request, e.g. to wake the app's dialog; it must not block."""

    def __init__(self, tokens: TokenStore, on_request: Callable[[PairingRequest], None] | None = None) -> None:
        self._tokens = tokens
        self._on_request = on_request
        self._requests: dict[str, PairingRequest] = {}
        self._open = False
        self._lock = threading.Lock()

    # --- the app's side --------------------------------------------------------------------------------------

    def open_window(self) -> None:
        """Accept pairing requests (while the app's pairing dialog is open)."""
        with self._lock:
            self._open = True

    def close_window(self) -> None:
        """Stop accepting requests; requests not yet approved are dropped."""
        with self._lock:
            self._open = False
            self._requests = {k: r for k, r in self._requests.items() if r.status == APPROVED}  # still to collect

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._open

    def pending(self) -> list[PairingRequest]:
        """Requests waiting for the user, oldest first."""
        with self._lock:
            self._expire()
            return sorted((r for r in self._requests.values() if r.status == PENDING), key=lambda r: r.created)

    def approve(self, request_id: str, user: str | None = None) -> PairingRequest:
        """The user approved: issue the request's token (bound to its origin) for the extension to collect."""
        with self._lock:
            request = self._waiting(request_id)
            kwargs = {} if user is None else {"user": user}
            issued, token = self._tokens.create(request.origin, name=request.name, **kwargs)
            approved = replace(request, status=APPROVED, token=token, token_id=issued.id)
            self._requests[request_id] = approved
            return approved

    def deny(self, request_id: str) -> None:
        with self._lock:
            request = self._waiting(request_id)
            self._requests[request_id] = replace(request, status=DENIED)

    # --- the extension's side --------------------------------------------------------------------------------

    def request(self, origin: str, name: str) -> PairingRequest:
        """A new request from ``origin``; ``PairingError`` when the window is closed or too many wait."""
        with self._lock:
            if not self._open:
                raise PairingError(
                    "pairing_closed", "pairing is not open: open tagrec's pairing window, then try again"
                )
            self._expire()
            if sum(r.status == PENDING for r in self._requests.values()) >= MAX_PENDING:
                raise PairingError("too_many_requests", "too many pairing requests are waiting; try again later")
            request = PairingRequest(
                id=secrets.token_urlsafe(16),
                origin=origin,
                name=name,
                code=f"{secrets.randbelow(1_000_000):06d}",
                created=time.monotonic(),
            )
            self._requests[request.id] = request
        if self._on_request is not None:
            self._on_request(request)
        return request

    def poll(self, request_id: str, origin: str) -> PairingRequest:
        """The request's state, for the origin that made it. An approved request gives its token once and is
        then forgotten; an unknown, expired or foreign request is ``PairingError("not_found")``."""
        with self._lock:
            self._expire()
            request = self._requests.get(request_id)
            if request is None or request.origin != origin:
                raise PairingError("not_found", "no such pairing request (it may have expired)")
            if request.status != PENDING:
                del self._requests[request_id]
            return request

    # --- internals -------------------------------------------------------------------------------------------

    def _waiting(self, request_id: str) -> PairingRequest:
        self._expire()
        request = self._requests.get(request_id)
        if request is None or request.status != PENDING:
            raise PairingError("not_found", "no such pairing request is waiting (it may have expired)")
        return request

    def _expire(self) -> None:
        """Drop requests older than ``REQUEST_TTL``; a token approved but never collected is revoked."""
        for key, request in list(self._requests.items()):
            if request.expires_in <= 0:
                del self._requests[key]
                if request.token_id:
                    self._tokens.revoke(request.token_id)
