"""What the browser extension tests share, whatever the browser: pairing it with the running bridge, and
waiting for the feedback events it sends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class ExtensionBrowser(Protocol):
    """A browser with the extension loaded (``test_webextension``'s Chromium, ``test_webextension_firefox``'s
    Firefox): its extension origin, and a way to set the extension's options."""

    origin: str

    def configure(self, **options: Any) -> None: ...


def pair(browser: ExtensionBrowser, bridge: Any, name: str) -> str:
    """Pair the extension with ``bridge`` for a fresh user of the profile (``name`` plus a clock); the user."""
    user = f"{name}-{time.monotonic_ns()}"
    _, token = bridge.tokens.create(browser.origin, name=name, user=user)
    browser.configure(bridgeUrl=bridge.url, token=token)
    return user


def feedback_events(
    bridge: Any, user: str, count: int, columns: str, wait: Callable[[], None]
) -> list[tuple[Any, ...]]:
    """The user's first ``count`` feedback events (``columns`` of ``events``) once they have arrived, calling
    ``wait`` (about 50 ms) between looks; ``AssertionError`` after 200 looks."""
    query = f"SELECT {columns} FROM events WHERE user_id = (SELECT id FROM users WHERE name = ?) ORDER BY id"
    rows: list[tuple[Any, ...]] = []
    for _ in range(200):
        rows = bridge.profile.reader().execute(query, (user,)).fetchall()
        if len(rows) >= count:
            return rows[:count]
        wait()
    raise AssertionError(f"{user} has {len(rows)} feedback events, not {count}")


class BridgeProxy:
    """A stand-in on its own fixed port in front of the real bridge at ``target`` (its URL), which tests stop and
    start again like the app (stopped, the port refuses connections) and switch to ``mode``:

    - ``"forward"``: every request goes to the bridge, and its answer comes back;
    - ``"loading"``: like the app while its models load: suggestions get 503 ``model_loading`` with
      ``Retry-After: 1``, hello says each model is ``loading``;
    - ``"foreign"``: another program that answers every request 200 with JSON of its own;
    - ``"hang"``: like an app that hangs: it accepts every request and answers none while in this mode; once the
      mode changes, the requests it holds go on as in the new mode (a hung app that recovers answers them)."""

    def __init__(self, target: str) -> None:
        import socket
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.mode = "forward"
        self._server: Any = None

    def start(self) -> BridgeProxy:
        import threading
        from http.server import ThreadingHTTPServer

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handler(self) -> type:
        import http.client
        import json
        from http.server import BaseHTTPRequestHandler

        proxy = self

        class Handler(BaseHTTPRequestHandler):  # HTTP/1.0: one request per connection, none left open on stop
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in {"content-length", "connection", "transfer-encoding", "keep-alive"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, data: Any, headers: list[tuple[str, str]] = []) -> None:  # noqa: B006
                self._answer(status, json.dumps(data).encode(), [("Content-Type", "application/json"), *headers])

            def _any(self) -> None:
                import time

                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                while proxy.mode == "hang":
                    if proxy._server is None:
                        return  # stopped: the connection closes unanswered
                    time.sleep(0.05)
                if proxy.mode == "foreign":
                    return self._json(200, {"status": "ok", "items": []})
                if proxy.mode == "loading" and not self.path.startswith("/v1/hello"):
                    error = {"code": "model_loading", "message": "the suggestion model is still loading"}
                    return self._json(503, {"error": error}, [("Retry-After", "1")])
                headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "connection"}}
                connection = http.client.HTTPConnection(*proxy.target, timeout=30)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    data, status, answer_headers = answer.read(), answer.status, answer.getheaders()
                finally:
                    connection.close()
                if proxy.mode == "loading":  # hello: the app runs, its models load
                    hello = json.loads(data)
                    for model in hello.get("models", {}).values():
                        model["state"] = "loading"
                    data = json.dumps(hello).encode()
                self._answer(status, data, answer_headers)

            do_GET = do_POST = do_OPTIONS = _any

        return Handler
