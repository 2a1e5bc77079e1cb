"""A raw HTTP client for the bridge tests: every header exactly as given (Host, Origin, Authorization), so the
tests can attack the real server the way a browser or a hostile page would."""

from __future__ import annotations

import contextlib
import http.client
import json
import time
from dataclasses import dataclass
from typing import Any

API = {"X-Tagrec-Api": "1"}
EXTENSION = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
OTHER_EXTENSION = "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba"
SO_DRAFT = {
    "site": "stackoverflow",
    "title": "How do I merge two dictionaries in Python?",
    "body": "I have two dicts and want a single dict with the keys of both.",
    "tags": [],
    "limit": 5,
}


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def code(self) -> str | None:
        """The error code of an error answer (``None`` when the body is not the error shape)."""
        try:
            return self.json["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None


class Raw:
    """Requests to ``127.0.0.1:port`` with exactly the given headers (plus Host, unless given)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        *,
        api: bool = True,
    ) -> Answer:
        sent = {**(API if api else {}), **(headers or {})}
        if isinstance(body, dict):
            body = json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.putrequest(method, path, skip_host="Host" in sent, skip_accept_encoding=True)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            for name, value in sent.items():
                conn.putheader(name, value)
            conn.endheaders(body)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> Answer:
        return self.request("GET", path, headers=_auth(token, kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, body: Any, token: str | None = None, **kwargs: Any) -> Answer:
        return self.request("POST", path, body, headers=_auth(token, kwargs.pop("headers", None)), **kwargs)

    def wait_until_up(self, seconds: float = 60.0) -> None:
        """Return once a server answers ``/v1/hello`` on the port (a process just started); fail after ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.get("/v1/hello").status == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"nothing answered on port {self.port} within {seconds:.0f} s")


def _auth(token: str | None, headers: dict[str, str] | None) -> dict[str, str]:
    out = dict(headers or {})
    if token is not None:
        out.setdefault("Authorization", f"Bearer {token}")
    return out
