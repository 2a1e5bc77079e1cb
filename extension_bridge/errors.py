"""The bridge's one error shape: ``{"error": {"code": ..., "message": ...}}`` with a real HTTP status.

Codes are stable (clients branch on them; docs/bridge.md lists them). A core ``TagrecError`` keeps its own
code (``bad_feedback``, ``model_loading``, ...) and gets the status that fits it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from tagrec_core.errors import TagrecError

__all__ = ["ApiError", "error_response", "status_for"]

# Core error codes -> HTTP status (anything else a TagrecError raises is the client's fault: 400).
_STATUS: dict[str, int] = {
    "model_loading": 503,
    "bad_model": 503,
    "bad_profile": 503,
    "closed": 503,
    "pairing_closed": 403,
    "too_many_requests": 429,
    "not_found": 404,
    "key_conflict": 409,  # the event's key names another stored event: sending it again cannot help
}
_RETRY_AFTER: dict[str, str] = {"model_loading": "1", "too_many_requests": "5"}


class ApiError(Exception):
    """An answer other than success: ``status``, stable ``code``, a message for a person, extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    @classmethod
    def from_core(cls, error: TagrecError) -> ApiError:
        code = error.code
        retry = _RETRY_AFTER.get(code)
        return cls(status_for(code), code, str(error), {"Retry-After": retry} if retry else None)

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, self.headers)


def status_for(code: str) -> int:
    """The HTTP status of a core error code."""
    return _STATUS.get(code, 400)


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The one error body. ``Cache-Control: no-store`` like every answer of the bridge."""
    return JSONResponse(
        {"error": {"code": code, "message": message}},
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
