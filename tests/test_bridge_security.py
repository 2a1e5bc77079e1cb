"""The bridge attacked the way a hostile web page, another extension or a careless script would: against the
real server (the ``bridge`` fixture) on a real socket, no mocks. Every check of ``extension_bridge.guard`` is
exercised from the outside: Host, Origin, CORS preflights, the API header, tokens (header and query string),
media types, body size and timing, slow clients, rate limits and the access log.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import logging
import math
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bridge_client import EXTENSION, OTHER_EXTENSION, SO_DRAFT, Answer, Raw

FEEDBACK = {
    "site": "stackoverflow",
    "item": "https://stackoverflow.com/q/38987",
    "title": "How do I merge two dictionaries in Python?",
    "shown": ["python", "dictionary"],
    "accepted": ["python"],
}
ERROR_KEYS = {"error"}


# --- helpers -----------------------------------------------------------------------------------------------------


def _assert_error(answer: Answer, status: int, code: str) -> None:
    assert answer.status == status, (answer.status, answer.raw[:300])
    assert answer.json.keys() == ERROR_KEYS, answer.raw[:300]
    assert answer.code == code, answer.raw[:300]
    assert isinstance(answer.json["error"]["message"], str)


def _no_cors(answer: Answer) -> None:
    assert "Access-Control-Allow-Origin" not in answer.headers, answer.headers
    assert "Access-Control-Allow-Credentials" not in answer.headers


def _token_id(token: str) -> str:
    return token.split("_")[1]


def _token_secret(token: str) -> str:
    return token.split("_", 2)[2]


def _other_char(char: str) -> str:
    return "A" if char != "A" else "B"


def _events(bridge: Any) -> int:
    return int(bridge.profile.stats()["feedback_events"])


def _connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def _read_answer(sock: socket.socket) -> Answer:
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        return Answer(response.status, response.headers, response.read())
    finally:
        response.close()


def _head(port: int, method: str, path: str, extra: Iterable[str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "X-Tagrec-Api: 1", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _send_in_background(sock: socket.socket, chunks: Iterable[bytes]) -> threading.Thread:
    """Send ``chunks`` on a thread until they run out or the socket fails (the server may stop reading)."""

    def run() -> None:
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except OSError:
            return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _timed_hello(raw: Raw) -> float:
    started = time.perf_counter()
    answer = raw.get("/v1/hello")
    elapsed = time.perf_counter() - started
    assert answer.status == 200, answer.raw[:300]
    assert answer.json["app"] == "tagrec"
    return elapsed


def _unpaired_extension() -> str:
    """An extension origin no token was ever issued to."""
    return f"moz-extension://{uuid.uuid4()}"


@pytest.fixture
def short_raw(bridge: Any) -> Raw:
    """A client that gives up after 5 s, so a hanging server fails the test instead of stalling the run."""
    return Raw(bridge.port, timeout=5.0)


@pytest.fixture
def writer_token(bridge: Any) -> str:
    """A script token of a user of its own: the feedback these tests store must not personalise the shared
    server's suggestions for the default user (other test files assert on those)."""
    return bridge.tokens.create("cli", name="security tests", user="security-tests")[1]


# --- 1. Host (DNS rebinding) -------------------------------------------------------------------------------------

FOREIGN_HOSTS = [
    "evil.com",
    "evil.com:{port}",
    "127.0.0.1",
    "127.0.0.1:{wrong}",
    "localhost.evil.com:{port}",
    "localhost:{wrong}",
    "localhost.:{port}",
    "evil.com@127.0.0.1:{port}",
    "127.0.0.1:{port}.evil.com",
    "0.0.0.0:{port}",
    "[::1]",
    "",
]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_foreign_host_is_refused(short_raw: Raw, bridge: Any, ext_token: str, host: str) -> None:
    value = host.format(port=bridge.port, wrong=bridge.port + 1 if bridge.port < 65535 else 1)
    for path, token in (("/v1/hello", None), ("/v1/vocab", ext_token)):
        answer = short_raw.get(path, token, headers={"Host": value})
        _assert_error(answer, 403, "forbidden_host")
        _no_cors(answer)
        assert b'"app"' not in answer.raw


@pytest.mark.parametrize("order", ["loopback-first", "foreign-first"])
def test_two_host_headers_are_refused(bridge: Any, order: str) -> None:
    hosts = [f"127.0.0.1:{bridge.port}", "evil.com"]
    if order == "foreign-first":
        hosts.reverse()
    conn = http.client.HTTPConnection("127.0.0.1", bridge.port, timeout=5.0)
    try:
        conn.putrequest("GET", "/v1/hello", skip_host=True, skip_accept_encoding=True)
        for host in hosts:
            conn.putheader("Host", host)
        conn.putheader("X-Tagrec-Api", "1")
        conn.endheaders()
        response = conn.getresponse()
        answer = Answer(response.status, response.headers, response.read())
    finally:
        conn.close()
    _assert_error(answer, 403, "forbidden_host")


@pytest.mark.parametrize("version", ["1.1", "1.0"])
def test_missing_host_is_refused(bridge: Any, version: str) -> None:
    sock = _connect(bridge.port)
    try:
        sock.sendall(f"GET /v1/hello HTTP/{version}\r\nX-Tagrec-Api: 1\r\nConnection: close\r\n\r\n".encode())
        answer = _read_answer(sock)
    finally:
        _close(sock)
    _assert_error(answer, 403, "forbidden_host")


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])
def test_loopback_hosts_are_accepted(short_raw: Raw, bridge: Any, name: str) -> None:
    answer = short_raw.get("/v1/hello", headers={"Host": f"{name}:{bridge.port}"})
    assert answer.status == 200, answer.raw[:300]
    assert answer.json["app"] == "tagrec"


# --- 2. web origins ----------------------------------------------------------------------------------------------

WEB_ORIGINS = [
    "https://evil.com",
    "http://127.0.0.1:{port}",
    "null",
    "file://",
    "http://localhost",
    "https://chrome-extension.evil.com",
    "chrome-extension://abcdefghijklmnopabcdefghijklmnop.evil.com/x",
]

ROUTES = [
    ("GET", "/v1/hello", None),
    ("POST", "/v1/suggest", SO_DRAFT),
    ("POST", "/v1/feedback", FEEDBACK),
    ("GET", "/v1/vocab", None),
    ("POST", "/v1/pair", {"name": "evil"}),
    ("POST", "/v1/pair/abcdefabcdef", None),
    ("POST", "/v1/unpair", None),
]


@pytest.mark.parametrize("with_token", [False, True], ids=["no-token", "token"])
@pytest.mark.parametrize("origin", WEB_ORIGINS)
def test_web_origins_are_refused_on_every_route(
    short_raw: Raw, bridge: Any, ext_token: str, origin: str, with_token: bool
) -> None:
    origin = origin.format(port=bridge.port)
    before = _events(bridge)
    bridge.pairing.open_window()  # even while pairing is open, a web page may not pair
    try:
        for method, path, body in ROUTES:
            headers = {"Origin": origin}
            if with_token:
                headers["Authorization"] = f"Bearer {ext_token}"
            answer = short_raw.request(method, path, body, headers)
            assert answer.status == 403, (method, path, answer.status, answer.raw[:300])
            _assert_error(answer, 403, "forbidden_origin")
            _no_cors(answer)
            assert b"suggestions" not in answer.raw
            assert bridge.bridge.server_id.encode() not in answer.raw
            assert b'"app"' not in answer.raw
            assert b'"request"' not in answer.raw  # no pairing request
    finally:
        bridge.pairing.close_window()
    assert bridge.pairing.pending() == []
    assert _events(bridge) == before
    # the refused unpair did not revoke the token
    assert short_raw.get("/v1/vocab", ext_token, headers={"Origin": EXTENSION}).status == 200


def test_two_origin_headers_are_refused(bridge: Any, ext_token: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", bridge.port, timeout=5.0)
    try:
        conn.putrequest("GET", "/v1/vocab", skip_accept_encoding=True)
        for name, value in (
            ("X-Tagrec-Api", "1"),
            ("Origin", EXTENSION),
            ("Origin", "https://evil.com"),
            ("Authorization", f"Bearer {ext_token}"),
        ):
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        answer = Answer(response.status, response.headers, response.read())
    finally:
        conn.close()
    _assert_error(answer, 403, "forbidden_origin")
    _no_cors(answer)


# --- 3. origins of extensions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/hello", None),
        ("POST", "/v1/suggest", SO_DRAFT),
        ("POST", "/v1/feedback", FEEDBACK),
        ("GET", "/v1/vocab", None),
        ("POST", "/v1/unpair", None),
    ],
)
def test_token_of_another_extension_is_refused(
    short_raw: Raw, bridge: Any, ext_token: str, method: str, path: str, body: Any
) -> None:
    before = _events(bridge)
    answer = short_raw.request(method, path, body, {"Origin": OTHER_EXTENSION, "Authorization": f"Bearer {ext_token}"})
    _assert_error(answer, 403, "forbidden_origin")
    _no_cors(answer)
    assert b"suggestions" not in answer.raw
    assert _events(bridge) == before
    assert short_raw.get("/v1/vocab", ext_token, headers={"Origin": EXTENSION}).status == 200  # not revoked


def test_cli_token_is_refused_to_an_extension(short_raw: Raw, token: str) -> None:
    answer = short_raw.get("/v1/vocab", token, headers={"Origin": EXTENSION})
    _assert_error(answer, 403, "forbidden_origin")
    _no_cors(answer)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/v1/hello", None), ("POST", "/v1/suggest", SO_DRAFT), ("GET", "/v1/vocab?prefix=py", None)],
)
def test_own_extension_gets_cors_for_its_origin_only(
    short_raw: Raw, ext_token: str, method: str, path: str, body: Any
) -> None:
    answer = short_raw.request(method, path, body, {"Origin": EXTENSION, "Authorization": f"Bearer {ext_token}"})
    assert answer.status == 200, answer.raw[:300]
    assert answer.headers.get_all("Access-Control-Allow-Origin") == [EXTENSION]
    assert "Origin" in [v.strip() for h in answer.headers.get_all("Vary", []) for v in h.split(",")]
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


# --- 4. tokens ---------------------------------------------------------------------------------------------------

PROTECTED = [
    ("POST", "/v1/suggest", SO_DRAFT),
    ("POST", "/v1/feedback", FEEDBACK),
    ("GET", "/v1/vocab", None),
    ("POST", "/v1/unpair", None),
]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_missing_token_is_unauthorized(short_raw: Raw, bridge: Any, method: str, path: str, body: Any) -> None:
    before = _events(bridge)
    answer = short_raw.request(method, path, body)
    _assert_error(answer, 401, "unauthorized")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert _events(bridge) == before


BAD_AUTHORIZATIONS = {
    "wrong-secret": lambda t: f"Bearer {t[:-1]}{_other_char(t[-1])}",
    "truncated": lambda t: f"Bearer {t[:-1]}",
    "extra-character": lambda t: f"Bearer {t}x",
    "garbage": lambda t: "Bearer garbage",
    "empty": lambda t: "Bearer ",
    "scheme-only": lambda t: "Bearer",
    "bad-charset": lambda t: f"Bearer tgr_{_token_id(t)}_{'!' * 43}",
    "unknown-id": lambda t: f"Bearer tgr_{'0' * 12}_{_token_secret(t)}",
    "id-only": lambda t: f"Bearer tgr_{_token_id(t)}",
    "no-scheme": lambda t: t,
    "basic": lambda t: "Basic " + base64.b64encode(f"user:{t}".encode()).decode(),
    "token-scheme": lambda t: f"Token {t}",
    "bearer-twice": lambda t: f"Bearer Bearer {t}",
}


@pytest.mark.parametrize("kind", sorted(BAD_AUTHORIZATIONS))
def test_bad_token_is_invalid(short_raw: Raw, token: str, kind: str) -> None:
    authorization = BAD_AUTHORIZATIONS[kind](token)
    for method, path, body in PROTECTED:
        answer = short_raw.request(method, path, body, {"Authorization": authorization})
        _assert_error(answer, 401, "invalid_token")
        assert "invalid_token" in answer.headers["WWW-Authenticate"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    hello = short_raw.get("/v1/hello", headers={"Authorization": authorization})
    assert hello.status == 200
    assert hello.json["token"] == "invalid"
    assert short_raw.get("/v1/vocab", token).status == 200  # the real token was never revoked by these


def test_bearer_scheme_is_case_insensitive(short_raw: Raw, token: str) -> None:
    assert short_raw.get("/v1/vocab", headers={"Authorization": f"bearer {token}"}).status == 200


def test_token_revoked_in_the_store_is_refused_from_then_on(short_raw: Raw, bridge: Any, token: str) -> None:
    assert short_raw.get("/v1/vocab", token).status == 200
    assert bridge.tokens.revoke(_token_id(token)) is True
    for _ in range(3):
        _assert_error(short_raw.get("/v1/vocab", token), 401, "invalid_token")
    _assert_error(short_raw.post("/v1/suggest", SO_DRAFT, token), 401, "invalid_token")
    assert short_raw.get("/v1/hello", token).json["token"] == "invalid"


def test_unpair_revokes_the_token_from_then_on(short_raw: Raw, bridge: Any, ext_token: str) -> None:
    headers = {"Origin": EXTENSION}
    answer = short_raw.request("POST", "/v1/unpair", None, {**headers, "Authorization": f"Bearer {ext_token}"})
    assert answer.status == 200, answer.raw[:300]
    assert answer.json == {"unpaired": True}
    for method, path, body in PROTECTED:
        again = short_raw.request(method, path, body, {**headers, "Authorization": f"Bearer {ext_token}"})
        _assert_error(again, 401, "invalid_token")
    revoked = {t.id: t for t in bridge.tokens.list()}[_token_id(ext_token)]
    assert not revoked.active


QUERIES = [
    "token={token}",
    "access_token={token}",
    "Token={token}",
    "ACCESS_TOKEN=x",
    "auth=x",
    "authorization=Bearer%20x",
    "api_key=x",
    "apikey=x",
    "key=x",
    "bearer=x",
    "q={token}",
    "prefix={token}",
    "x=tgr_123",
    "limit=5&token=",
    "to%6Ben=x",
    "q=tgr%5F{rest}",
]


@pytest.mark.parametrize("query", QUERIES)
def test_token_in_query_is_refused(short_raw: Raw, bridge: Any, token: str, query: str) -> None:
    query = query.format(token=token, rest=token[4:])
    before = _events(bridge)
    for method, path, body in [
        ("GET", "/v1/vocab", None),
        ("GET", "/v1/hello", None),
        ("POST", "/v1/suggest", SO_DRAFT),
        ("POST", "/v1/feedback", FEEDBACK),
    ]:
        answer = short_raw.request(method, f"{path}?{query}", body, {"Authorization": f"Bearer {token}"})
        _assert_error(answer, 400, "token_in_query")
    assert _events(bridge) == before


# --- 5. simple-request CSRF: only application/json bodies ---------------------------------------------------------

BOUNDARY = "----tagrecboundary7MA4YWxkTrZu0gW"
SIMPLE_BODIES = {
    "text/plain": ("text/plain", json.dumps(FEEDBACK)),
    "text/plain-utf8": ("text/plain;charset=UTF-8", json.dumps(FEEDBACK)),
    "form-urlencoded": ("application/x-www-form-urlencoded", json.dumps(FEEDBACK)),
    "multipart": (
        f"multipart/form-data; boundary={BOUNDARY}",
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="event"\r\n\r\n{json.dumps(FEEDBACK)}\r\n'
        f"--{BOUNDARY}--\r\n",
    ),
    "json-latin-1": ("application/json; charset=latin-1", json.dumps(FEEDBACK)),
    "json-utf-16": ("application/json; charset=utf-16", json.dumps(FEEDBACK)),
    "json-ish": ("application/jsonp", json.dumps(FEEDBACK)),
    "no-content-type": (None, json.dumps(FEEDBACK)),
}


@pytest.mark.parametrize("path", ["/v1/feedback", "/v1/suggest"])
@pytest.mark.parametrize("kind", sorted(SIMPLE_BODIES))
def test_non_json_bodies_are_refused_with_a_token(
    short_raw: Raw, bridge: Any, writer_token: str, kind: str, path: str
) -> None:
    content_type, body = SIMPLE_BODIES[kind]
    headers = {"Authorization": f"Bearer {writer_token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    before = _events(bridge)
    answer = short_raw.request("POST", path, body, headers)
    _assert_error(answer, 415, "unsupported_media_type")
    assert _events(bridge) == before


@pytest.mark.parametrize("kind", ["text/plain", "form-urlencoded", "multipart"])
def test_non_json_bodies_are_refused_without_a_token(short_raw: Raw, bridge: Any, kind: str) -> None:
    """Without a token the protected routes refuse before reading the body (401, guard step 6 before 8); the
    public pairing route reads it and refuses the media type."""
    content_type, body = SIMPLE_BODIES[kind]
    before = _events(bridge)
    answer = short_raw.request("POST", "/v1/feedback", body, {"Content-Type": content_type})
    _assert_error(answer, 401, "unauthorized")
    bridge.pairing.open_window()
    try:
        answer = short_raw.request("POST", "/v1/pair", body, {"Content-Type": content_type, "Origin": EXTENSION})
        _assert_error(answer, 415, "unsupported_media_type")
        assert bridge.pairing.pending() == []
    finally:
        bridge.pairing.close_window()
    assert _events(bridge) == before


@pytest.mark.parametrize("with_token", [False, True], ids=["no-token", "token"])
@pytest.mark.parametrize("kind", ["text/plain", "form-urlencoded", "multipart"])
def test_non_json_bodies_from_web_pages_are_forbidden(
    short_raw: Raw, bridge: Any, ext_token: str, kind: str, with_token: bool
) -> None:
    content_type, body = SIMPLE_BODIES[kind]
    headers = {"Content-Type": content_type, "Origin": "https://evil.com"}
    if with_token:
        headers["Authorization"] = f"Bearer {ext_token}"
    before = _events(bridge)
    for path in ("/v1/feedback", "/v1/suggest", "/v1/pair", "/v1/unpair"):
        answer = short_raw.request("POST", path, body, headers)
        _assert_error(answer, 403, "forbidden_origin")
        _no_cors(answer)
    assert _events(bridge) == before


def test_json_feedback_is_written_once(short_raw: Raw, bridge: Any, writer_token: str) -> None:
    """The positive control of the CSRF tests: the same event as JSON is stored."""
    before = _events(bridge)
    answer = short_raw.post("/v1/feedback", FEEDBACK, writer_token)
    assert answer.status == 200, answer.raw[:300]
    assert answer.json["ok"] is True
    assert _events(bridge) == before + 1


# --- 6. CORS preflights ------------------------------------------------------------------------------------------


def _preflight(raw: Raw, path: str, origin: str) -> Answer:
    return raw.request(
        "OPTIONS",
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-tagrec-api",
        },
        api=False,  # browsers send no custom header in a preflight
    )


@pytest.mark.parametrize("path", ["/v1/hello", "/v1/suggest", "/v1/feedback", "/v1/vocab", "/v1/pair", "/v1/unpair"])
@pytest.mark.parametrize("origin", WEB_ORIGINS)
def test_preflight_from_web_origin_is_refused(
    short_raw: Raw, bridge: Any, ext_token: str, origin: str, path: str
) -> None:
    answer = _preflight(short_raw, path, origin.format(port=bridge.port))
    _assert_error(answer, 403, "forbidden_origin")
    _no_cors(answer)
    assert "Access-Control-Allow-Headers" not in answer.headers
    assert "Access-Control-Allow-Methods" not in answer.headers


@pytest.mark.parametrize("path", ["/v1/hello", "/v1/suggest", "/v1/feedback", "/v1/vocab", "/v1/unpair"])
def test_preflight_from_unpaired_extension_is_refused(short_raw: Raw, path: str) -> None:
    answer = _preflight(short_raw, path, _unpaired_extension())
    _assert_error(answer, 403, "forbidden_origin")
    _no_cors(answer)


def _assert_preflight_allowed(answer: Answer, origin: str) -> None:
    assert answer.status == 204, answer.raw[:300]
    assert answer.raw == b""
    assert answer.headers.get_all("Access-Control-Allow-Origin") == [origin]
    allowed_headers = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "x-tagrec-api", "content-type"} <= allowed_headers
    assert "*" not in allowed_headers
    methods = {m.strip().upper() for m in answer.headers["Access-Control-Allow-Methods"].split(",")}
    assert "POST" in methods
    assert "*" not in methods
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert "Origin" in answer.headers["Vary"]


@pytest.mark.parametrize("path", ["/v1/hello", "/v1/suggest", "/v1/feedback", "/v1/vocab", "/v1/unpair"])
def test_preflight_from_paired_extension_is_allowed(short_raw: Raw, bridge: Any, path: str) -> None:
    origin = _unpaired_extension()
    secret = bridge.tokens.create(origin, name="preflight")[1]
    _assert_preflight_allowed(_preflight(short_raw, path, origin), origin)
    bridge.tokens.revoke(_token_id(secret))  # the origin has no live token any more: refused again
    answer = _preflight(short_raw, path, origin)
    _assert_error(answer, 403, "forbidden_origin")
    _no_cors(answer)


@pytest.mark.parametrize("path", ["/v1/pair", "/v1/pair/abcdefabcdef"])
def test_preflight_to_pairing_is_allowed_for_any_extension(short_raw: Raw, path: str) -> None:
    origin = _unpaired_extension()
    _assert_preflight_allowed(_preflight(short_raw, path, origin), origin)


# --- pairing -----------------------------------------------------------------------------------------------------


def test_pairing_is_refused_while_the_window_is_closed(short_raw: Raw, bridge: Any) -> None:
    assert not bridge.pairing.is_open
    answer = short_raw.post("/v1/pair", {"name": "Chrome"}, headers={"Origin": EXTENSION})
    _assert_error(answer, 403, "pairing_closed")
    assert bridge.pairing.pending() == []


def test_pairing_needs_an_extension_origin(short_raw: Raw, bridge: Any) -> None:
    bridge.pairing.open_window()
    try:
        _assert_error(short_raw.post("/v1/pair", {"name": "script"}), 403, "forbidden_origin")
        assert bridge.pairing.pending() == []
    finally:
        bridge.pairing.close_window()


def test_pairing_token_is_delivered_once_to_its_origin_only(short_raw: Raw, bridge: Any) -> None:
    origin, other = _unpaired_extension(), _unpaired_extension()
    bridge.pairing.open_window()
    try:
        started = short_raw.post("/v1/pair", {"name": "Chrome"}, headers={"Origin": origin})
        assert started.status == 202, started.raw[:300]
        request_id = started.json["request"]
        assert started.headers["Access-Control-Allow-Origin"] == origin
        poll = f"/v1/pair/{request_id}"
        pending = short_raw.post(poll, None, headers={"Origin": origin})
        assert pending.status == 200, pending.raw[:300]
        assert pending.json["status"] == "pending"
        assert pending.json.get("token") is None
        _assert_error(short_raw.post(poll, None, headers={"Origin": other}), 404, "not_found")
        _assert_error(short_raw.post(poll, None), 403, "forbidden_origin")
        _assert_error(short_raw.post(poll, None, headers={"Origin": "https://evil.com"}), 403, "forbidden_origin")
        bridge.pairing.approve(request_id)
        _assert_error(short_raw.post(poll, None, headers={"Origin": other}), 404, "not_found")  # no theft
        approved = short_raw.post(poll, None, headers={"Origin": origin})
        assert approved.status == 200, approved.raw[:300]
        issued = approved.json["token"]
        assert approved.json["status"] == "approved"
        assert issued.startswith("tgr_")
        _assert_error(short_raw.post(poll, None, headers={"Origin": origin}), 404, "not_found")  # only once
    finally:
        bridge.pairing.close_window()
    assert short_raw.get("/v1/vocab", issued, headers={"Origin": origin}).status == 200
    _assert_error(short_raw.get("/v1/vocab", issued, headers={"Origin": other}), 403, "forbidden_origin")


# --- 7. the API header ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), [("GET", "/v1/hello", None), *PROTECTED])
def test_missing_api_header_is_refused(
    short_raw: Raw, bridge: Any, token: str, method: str, path: str, body: Any
) -> None:
    before = _events(bridge)
    answer = short_raw.request(method, path, body, {"Authorization": f"Bearer {token}"}, api=False)
    _assert_error(answer, 400, "missing_api_header")
    assert _events(bridge) == before


@pytest.mark.parametrize("version", ["2", "0", "1.0", "v1", "", "1, 2"])
def test_unsupported_api_version_is_refused(short_raw: Raw, token: str, version: str) -> None:
    for method, path, body in [("GET", "/v1/hello", None), ("POST", "/v1/suggest", SO_DRAFT)]:
        answer = short_raw.request(
            method, path, body, {"Authorization": f"Bearer {token}", "X-Tagrec-Api": version}, api=False
        )
        _assert_error(answer, 400, "unsupported_api_version")


# --- 8. malformed bodies, sizes and timing ---------------------------------------------------------------------------

SUGGEST_BAD = {
    "invalid-json": ('{"site": "stackoverflow", "title": ', "bad_json"),
    "trailing-garbage": ('{"site": "stackoverflow"} x', "bad_json"),
    "array": ("[1, 2, 3]", "bad_request"),
    "string": ('"stackoverflow"', "bad_request"),
    "null": ("null", "bad_request"),
    "number": ("42", "bad_request"),
    "limit-as-string": ({**SO_DRAFT, "limit": "5"}, "bad_request"),
    "limit-float": ({**SO_DRAFT, "limit": 5.0}, "bad_request"),
    "limit-infinite": ('{"site": "stackoverflow", "title": "x", "limit": 1e999}', "bad_request"),
    "limit-zero": ({**SO_DRAFT, "limit": 0}, "bad_request"),
    "limit-huge": ({**SO_DRAFT, "limit": 10**30}, "bad_request"),
    "min-score-as-string": ({**SO_DRAFT, "min_score": "0.1"}, "bad_request"),
    "min-score-negative": ({**SO_DRAFT, "min_score": -0.1}, "bad_request"),
    "min-score-over-one": ({**SO_DRAFT, "min_score": 1.5}, "bad_request"),
    "min-score-infinite": ('{"site": "stackoverflow", "title": "x", "min_score": 1e999}', "bad_request"),
    "min-score-nan": ('{"site": "stackoverflow", "title": "x", "min_score": NaN}', "bad_request"),
    "tags-as-string": ({**SO_DRAFT, "tags": "python"}, "bad_request"),
    "tags-of-numbers": ({**SO_DRAFT, "tags": [1, 2]}, "bad_request"),
    "title-as-list": ({**SO_DRAFT, "title": ["a"]}, "bad_request"),
    "unknown-field": ({**SO_DRAFT, "admin": True}, "bad_request"),
    "missing-site": ({"title": "x"}, "bad_request"),
    "bad-site": ({**SO_DRAFT, "site": "../../etc/passwd"}, "bad_request"),
    "bad-lang": ({**SO_DRAFT, "lang": "xx"}, "bad_request"),
    "lone-surrogate-title": ('{"site": "stackoverflow", "title": "a\\ud800b"}', "bad_request"),
    "lone-surrogate-body": ('{"site": "stackoverflow", "body": "\\udfff"}', "bad_request"),
    "lone-surrogate-tag": ('{"site": "stackoverflow", "title": "x", "tags": ["\\ud800"]}', "bad_request"),
    "nul-title": ({**SO_DRAFT, "title": "a\x00b"}, "bad_input"),
    "nul-body": ({**SO_DRAFT, "body": "\x00"}, "bad_input"),
    "title-too-long": ({**SO_DRAFT, "title": "x" * 2_001}, "bad_request"),
    "body-too-long": ({**SO_DRAFT, "body": "x" * 200_001}, "bad_request"),
    "url-too-long": ({**SO_DRAFT, "url": "x" * 2_001}, "bad_request"),
    "too-many-tags": ({**SO_DRAFT, "tags": [f"t{i}" for i in range(201)]}, "bad_request"),
    "tag-too-long": ({**SO_DRAFT, "tags": ["x" * 101]}, "bad_request"),
    "empty-tag": ({**SO_DRAFT, "tags": [""]}, "bad_request"),
    "site-too-long": ({**SO_DRAFT, "site": "s" * 65}, "bad_request"),
    "deeply-nested": ("[" * 200_000 + "]" * 200_000, "bad_json"),
    "huge-integer": ('{"site": "stackoverflow", "limit": ' + "9" * 5_000 + "}", "bad_json"),
}


def _encode(body: Any) -> bytes:
    return (json.dumps(body) if isinstance(body, dict) else body).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("kind", sorted(SUGGEST_BAD))
def test_malformed_suggest_is_a_client_error(short_raw: Raw, token: str, kind: str) -> None:
    body, code = SUGGEST_BAD[kind]
    answer = short_raw.post(
        "/v1/suggest", _encode(body), token, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    _assert_error(answer, 400, code)


@pytest.mark.parametrize(
    "raw_body",
    [b'{"site": "stackoverflow", "title": "\xff\xfe"}', b'{"site": "stackoverflow", "title": "\xed\xa0\x80"}'],
    ids=["invalid-utf8", "encoded-surrogate"],
)
def test_body_that_is_not_utf8_is_a_client_error(short_raw: Raw, token: str, raw_body: bytes) -> None:
    answer = short_raw.post("/v1/suggest", raw_body, token, headers={"Content-Type": "application/json"})
    _assert_error(answer, 400, "bad_json")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_utf16_or_utf32_body_under_a_utf8_label_is_refused(
    short_raw: Raw, bridge: Any, writer_token: str, encoding: str
) -> None:
    """JSON decoders detect UTF-16/32 by their NUL bytes and would accept them: the bridge speaks UTF-8 only."""
    before = _events(bridge)
    answer = short_raw.post(
        "/v1/feedback",
        json.dumps(FEEDBACK).encode(encoding),
        writer_token,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    _assert_error(answer, 400, "bad_json")
    assert _events(bridge) == before


def test_a_quoted_utf8_charset_is_accepted(short_raw: Raw, bridge: Any, writer_token: str) -> None:
    """``charset="utf-8"``: HTTP allows the parameter's value quoted."""
    before = _events(bridge)
    quoted = {"Content-Type": 'application/json; charset="utf-8"'}
    answer = short_raw.post("/v1/feedback", json.dumps(FEEDBACK), writer_token, headers=quoted)
    assert answer.status == 200, answer.body
    assert _events(bridge) == before + 1


@pytest.mark.parametrize("path", ["/v1/suggest/", "/v1/feedback/"])
def test_a_trailing_slash_is_a_typed_404_not_a_redirect(short_raw: Raw, token: str, path: str) -> None:
    answer = short_raw.post(path, SO_DRAFT, token)
    _assert_error(answer, 404, "not_found")


FEEDBACK_BAD = {
    "invalid-json": ('{"site": ', "bad_json"),
    "array": ("[]", "bad_request"),
    "unknown-field": ({**FEEDBACK, "weight": 100}, "bad_request"),
    "tags-as-string": ({**FEEDBACK, "accepted": "python"}, "bad_request"),
    "item-as-number": ({**FEEDBACK, "item": 1}, "bad_request"),
    "missing-item": ({"site": "stackoverflow", "accepted": ["python"]}, "bad_request"),
    "lone-surrogate-item": ('{"site": "stackoverflow", "item": "\\ud800", "accepted": ["python"]}', "bad_request"),
    "lone-surrogate-tag": ('{"site": "stackoverflow", "item": "q1", "accepted": ["\\udc00"]}', "bad_request"),
    "nul-item": ({**FEEDBACK, "item": "q\x001"}, "bad_feedback"),
    "nul-title": ({**FEEDBACK, "title": "\x00"}, "bad_feedback"),
    "title-too-long": ({**FEEDBACK, "title": "x" * 2_001}, "bad_request"),
    "body-too-long": ({**FEEDBACK, "body": "x" * 200_001}, "bad_request"),
    "too-many-tags": ({**FEEDBACK, "shown": [f"t{i}" for i in range(201)]}, "bad_request"),
    "accepted-and-rejected": ({**FEEDBACK, "rejected": ["python"]}, "bad_feedback"),
    "nothing-to-learn": ({"site": "stackoverflow", "item": "q1"}, "bad_feedback"),
    "bad-created": ({**FEEDBACK, "created": "yesterday"}, "bad_feedback"),
    "created-in-year-9999": ({**FEEDBACK, "created": "9999-12-31T23:59:59"}, "bad_feedback"),
    "created-in-year-1": ({**FEEDBACK, "created": "0001-01-01T00:00:00"}, "bad_feedback"),
    "invisible-tag": ({**FEEDBACK, "accepted": ["\u200b"]}, "bad_feedback"),
    "tag-too-long-once-normalised": ({**FEEDBACK, "accepted": ["\ufdfa" * 100]}, "bad_feedback"),
    "other-user": ({**FEEDBACK, "user": "someone-else"}, "forbidden_user"),
}


@pytest.mark.parametrize("kind", sorted(FEEDBACK_BAD))
def test_malformed_feedback_is_a_client_error_and_writes_nothing(
    short_raw: Raw, bridge: Any, token: str, kind: str
) -> None:
    body, code = FEEDBACK_BAD[kind]
    before = _events(bridge)
    answer = short_raw.post("/v1/feedback", _encode(body), token, headers={"Content-Type": "application/json"})
    _assert_error(answer, 403 if code == "forbidden_user" else 400, code)
    assert _events(bridge) == before


@pytest.mark.parametrize("query", ["prefix=" + "x" * 101, "limit=0", "limit=51", "limit=abc", "limit=1e3", "limit=-1"])
def test_malformed_vocab_query_is_a_client_error(short_raw: Raw, token: str, query: str) -> None:
    _assert_error(short_raw.get(f"/v1/vocab?{query}", token), 400, "bad_request")


def test_odd_vocab_prefixes_match_nothing(short_raw: Raw, bridge: Any) -> None:
    """Wildcards, quotes, NUL and broken UTF-8 in the prefix are plain text: they find none of the user's tags
    (no LIKE or SQL injection), while a real prefix does."""
    mine = bridge.tokens.create("cli", name="vocab", user=f"vocab-{uuid.uuid4().hex[:8]}")[1]
    assert short_raw.post("/v1/feedback", {**FEEDBACK, "accepted": ["python", "dictionary"]}, mine).status == 200
    found = short_raw.get("/v1/vocab?prefix=py", mine)
    assert found.status == 200, found.raw[:300]
    assert [t["tag"] for t in found.json["tags"]] == ["python"]
    for prefix in ("%25", "_", "%25python", "p_thon", "%00", "%ED%A0%80", "%FF", "%27%20OR%201%3D1--", "%5C"):
        answer = short_raw.get(f"/v1/vocab?prefix={prefix}", mine)
        assert answer.status == 200, (prefix, answer.status, answer.raw[:300])
        assert answer.json == {"tags": []}, prefix


def test_pair_body_is_validated(short_raw: Raw, bridge: Any) -> None:
    bridge.pairing.open_window()
    try:
        for body in ({"name": ""}, {"name": "x" * 101}, {"name": 1}, {"name": "x", "token": "mine"}, "[]"):
            answer = short_raw.post(
                "/v1/pair", _encode(body), headers={"Origin": EXTENSION, "Content-Type": "application/json"}
            )
            _assert_error(answer, 400, "bad_request")
        assert bridge.pairing.pending() == []
    finally:
        bridge.pairing.close_window()


TWENTY_MB = 20 * 1024 * 1024


def _megabytes(total: int, piece: int = 256 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        yield b"x" * size
        sent += size


def _chunked(total: int, piece: int = 256 * 1024) -> Iterator[bytes]:
    for chunk in _megabytes(total, piece):
        yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    yield b"0\r\n\r\n"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("path", ["/v1/suggest", "/v1/feedback"])
def test_huge_body_is_too_large(short_raw: Raw, bridge: Any, token: str, framing: str, path: str) -> None:
    before = _events(bridge)
    if framing == "content-length":
        head = [f"Content-Length: {TWENTY_MB}"]
        chunks = _megabytes(TWENTY_MB)
    else:
        head = ["Transfer-Encoding: chunked"]
        chunks = _chunked(TWENTY_MB)
    sock = _connect(bridge.port, timeout=5.0)
    started = time.perf_counter()
    try:
        sock.sendall(
            _head(
                bridge.port, "POST", path, [*head, "Content-Type: application/json", f"Authorization: Bearer {token}"]
            )
        )
        sender = _send_in_background(sock, chunks)
        answer = _read_answer(sock)
    finally:
        _close(sock)
    sender.join(10)
    assert not sender.is_alive()
    _assert_error(answer, 413, "too_large")
    assert time.perf_counter() - started < 8
    assert _events(bridge) == before
    _timed_hello(short_raw)


def test_declared_size_over_the_limit_is_refused_before_the_body(bridge: Any, token: str) -> None:
    """A Content-Length over the limit is answered without waiting for a single byte of the body."""
    sock = _connect(bridge.port, timeout=5.0)
    started = time.perf_counter()
    try:
        sock.sendall(
            _head(
                bridge.port,
                "POST",
                "/v1/suggest",
                [f"Content-Length: {TWENTY_MB}", "Content-Type: application/json", f"Authorization: Bearer {token}"],
            )
        )
        answer = _read_answer(sock)
    finally:
        _close(sock)
    _assert_error(answer, 413, "too_large")
    assert time.perf_counter() - started < 1.5


def test_body_just_under_the_limit_is_read(short_raw: Raw, bridge: Any, token: str) -> None:
    """The positive control of the size limit: a large (but allowed) body is read and validated, not refused."""
    limit = bridge.bridge.limits.max_body_bytes
    body = json.dumps({**SO_DRAFT, "body": "x" * (limit - 1_000)})
    assert len(body) <= limit
    answer = short_raw.post("/v1/suggest", body, token, headers={"Content-Type": "application/json"})
    _assert_error(answer, 400, "bad_request")  # over MAX_BODY_CHARS, but read: not 413


@pytest.mark.parametrize("path", ["/v1/suggest", "/v1/feedback"])
def test_lying_content_length_times_out_while_others_are_served(
    short_raw: Raw, bridge: Any, token: str, path: str
) -> None:
    before = _events(bridge)
    sock = _connect(bridge.port, timeout=8.0)
    try:
        started = time.perf_counter()
        sock.sendall(
            _head(
                bridge.port,
                "POST",
                path,
                ["Content-Length: 10", "Content-Type: application/json", f"Authorization: Bearer {token}"],
            )
            + b'{"sit'
        )
        for _ in range(3):  # the stalled request blocks nobody
            assert _timed_hello(short_raw) < 1.0
        answer = _read_answer(sock)
        elapsed = time.perf_counter() - started
    finally:
        _close(sock)
    _assert_error(answer, 408, "timeout")
    timeout = bridge.bridge.limits.body_timeout
    assert timeout - 0.2 <= elapsed < timeout + 3, elapsed
    assert _events(bridge) == before
    _timed_hello(short_raw)


# --- 9. slow clients ---------------------------------------------------------------------------------------------


def test_slow_clients_do_not_starve_others(short_raw: Raw, bridge: Any, token: str) -> None:
    """Slowloris: 20 connections trickle a byte now and then (15 in the request line and headers, 5 in a body
    whose headers were complete) while a normal client keeps being answered quickly."""
    head = f"GET /v1/hello HTTP/1.1\r\nHost: 127.0.0.1:{bridge.port}\r\nX-Tagrec-Api: 1\r\nX-Slow: ".encode()
    body_head = _head(
        bridge.port,
        "POST",
        "/v1/suggest",
        ["Content-Length: 100000", "Content-Type: application/json", f"Authorization: Bearer {token}"],
    )
    slow: list[tuple[socket.socket, bytes]] = []
    try:
        for i in range(20):
            sock = _connect(bridge.port, timeout=2.0)
            if i % 4 == 3:
                sock.sendall(body_head)
                slow.append((sock, b'{"site": "stackoverflow", "title": "' + b"a" * 64))
            else:
                slow.append((sock, head + b"a" * 64))
        times = []
        for position in range(12):
            for sock, trickle in slow:
                with contextlib.suppress(OSError):  # the server may drop a slow client: that is allowed
                    sock.send(trickle[position : position + 1])
            times.append(_timed_hello(short_raw))
            time.sleep(0.1)
        assert max(times) < 1.0, times
        assert short_raw.post("/v1/suggest", SO_DRAFT, token).status == 200
    finally:
        for sock, _ in slow:
            _close(sock)
    _timed_hello(short_raw)


def _answer_of(sock: socket.socket) -> tuple[int, Any]:
    """Read one whole answer the server then closes: its status and JSON body."""
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_a_request_head_over_the_limit_is_a_typed_431_and_costs_no_memory(bridge: Any) -> None:
    from extension_bridge.protocol import MAX_HEAD_BYTES

    with _connect(bridge.port) as sock:
        sock.sendall(f"GET /v1/hello HTTP/1.1\r\nHost: 127.0.0.1:{bridge.port}\r\nX-Big: ".encode())
        sock.sendall(b"a" * (MAX_HEAD_BYTES + 10_000))  # never ends: httptools would keep it all
        status, body = _answer_of(sock)
    assert status == 431 and body["error"]["code"] == "headers_too_large"
    with _connect(bridge.port) as sock:  # just under the limit: answered as usual
        head = f"GET /v1/hello HTTP/1.1\r\nHost: 127.0.0.1:{bridge.port}\r\nX-Tagrec-Api: 1\r\nConnection: close\r\n"
        sock.sendall(head.encode() + b"X-Big: " + b"a" * (MAX_HEAD_BYTES - 1_000) + b"\r\n\r\n")
        assert _answer_of(sock)[0] == 200


def test_a_request_head_that_never_ends_is_a_typed_408(bridge: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The slowest loris: a byte now and then, never the end of the headers. The connection is closed once the
    head is late, however the bytes trickle."""
    from extension_bridge import protocol

    monkeypatch.setattr(protocol, "HEAD_TIMEOUT", 1.0)
    with _connect(bridge.port, timeout=10.0) as sock:
        started = time.monotonic()
        sock.sendall(f"GET /v1/hello HTTP/1.1\r\nHost: 127.0.0.1:{bridge.port}\r\n".encode())
        for _ in range(4):
            with contextlib.suppress(OSError):
                sock.sendall(b"X")
            time.sleep(0.4)
        status, body = _answer_of(sock)
    assert status == 408 and body["error"]["code"] == "timeout"
    assert time.monotonic() - started < 5


# --- 10. rate limits ---------------------------------------------------------------------------------------------


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Any]:
    """A second bridge with low rate limits: 5 requests per second, bursts of 5, per token and anonymous."""
    from extension_bridge.guard import Limits
    from extension_bridge.server import BridgeServer

    with _serving(
        BridgeServer(tmp_path, port=0, limits=Limits(rate=5, burst=5, anonymous_rate=5, anonymous_burst=5))
    ) as server:
        yield server


@contextlib.contextmanager
def _serving(server: Any) -> Iterator[Any]:
    """``server`` started, then stopped once its models have loaded."""
    try:
        server.start()
        yield server
    finally:
        # Stopping while the models still load leaves a loading thread inside torch, and the process then
        # aborts at exit ("terminate called without an active exception", status 134): let them finish.
        server.service.wait(timeout=60)
        server.stop()


def _assert_limited(answers: list[Answer], elapsed: float) -> None:
    """The first 5 (the burst) pass, then 429 with Retry-After; at most the refill of ``elapsed`` s more pass."""
    statuses = [a.status for a in answers]
    assert statuses[:5] == [200] * 5, statuses
    refused = [a for a in answers if a.status != 200]
    assert refused, statuses
    for answer in refused:
        _assert_error(answer, 429, "rate_limited")
        assert int(answer.headers["Retry-After"]) >= 1
    assert statuses.count(200) <= 5 + math.ceil(elapsed * 5), (statuses, elapsed)


def test_rate_limit_per_token(limited: Any) -> None:
    raw = Raw(limited.port, timeout=5.0)
    first = limited.tokens.create("cli", name="first")[1]
    second = limited.tokens.create("cli", name="second")[1]
    started = time.perf_counter()
    answers = [raw.get("/v1/vocab", first) for _ in range(10)]
    _assert_limited(answers, time.perf_counter() - started)
    assert raw.get("/v1/vocab", second).status == 200  # another token has its own bucket
    assert raw.get("/v1/hello").status == 200  # and so do requests without a token
    _assert_error(raw.get("/v1/vocab", first), 429, "rate_limited")


def test_rate_limit_shared_by_requests_without_a_token(limited: Any) -> None:
    raw = Raw(limited.port, timeout=5.0)
    token = limited.tokens.create("cli", name="mine")[1]
    started = time.perf_counter()
    answers = [raw.get("/v1/hello") for _ in range(3)]
    answers += [raw.get("/v1/hello", "tgr_" + "0" * 12 + "_" + "x" * 43) for _ in range(3)]  # invalid: anonymous
    answers += [raw.get("/v1/hello", headers={"Origin": OTHER_EXTENSION}) for _ in range(4)]
    _assert_limited(answers, time.perf_counter() - started)
    assert raw.get("/v1/hello", token).status == 200  # a valid token is not in the anonymous bucket


def test_guessing_tokens_is_rate_limited(limited: Any) -> None:
    """Requests without a valid token share one bucket (guard docstring, step 7), so guessing tokens against a
    protected route must be throttled like any other anonymous request (CWE-307)."""
    raw = Raw(limited.port, timeout=5.0)
    guesses = [raw.get("/v1/vocab", f"tgr_{i:012x}_{'A' * 43}") for i in range(15)]
    statuses = [a.status for a in guesses]
    assert set(statuses[:5]) == {401}, statuses
    assert 429 in statuses, statuses


# --- 10b. too many at once --------------------------------------------------------------------------------------


@pytest.fixture
def crowded(tmp_path: Path) -> Iterator[Any]:
    """A third bridge that takes 4 connections at once (uvicorn's ``limit_concurrency``), with no rate limit to
    speak of and a long body timeout, so held requests stay under way. Its model is a broken file: it fails at
    once, and hello answers without one."""
    from extension_bridge.guard import Limits
    from extension_bridge.server import BridgeServer

    broken = tmp_path / "broken.tagrec"
    broken.write_bytes(b"not a model")
    limits = Limits(
        rate=10_000, burst=10_000, anonymous_rate=10_000, anonymous_burst=10_000, body_timeout=30.0, concurrency=4
    )
    with _serving(BridgeServer(tmp_path, port=0, limits=limits, models={"so": broken})) as server:
        yield server


def test_requests_beyond_the_concurrency_limit_get_the_typed_503_busy(crowded: Any) -> None:
    """uvicorn answered them ``text/plain`` "Service Unavailable": the extension took that for another program
    on the port. Three real connections hold requests under way (their bodies never finish); with them the next
    connection reaches the limit of 4 (uvicorn counts it too), and its requests are 503 ``busy`` in the bridge's
    error shape with ``Retry-After``. Once the held ones are gone, requests are served again."""
    token = crowded.tokens.create("cli", name="crowd")[1]
    probe = Raw(crowded.port, timeout=5.0)
    held: list[socket.socket] = []
    try:
        for n in range(crowded.bridge.limits.concurrency - 1):
            sock = _connect(crowded.port, timeout=0.5)
            extra = ["Content-Length: 100", "Content-Type: application/json", f"Authorization: Bearer {token}"]
            sock.sendall(
                _head(crowded.port, "POST", "/v1/feedback", extra) + b'{"site": "files", "item": "' + b"%d" % n
            )
            held.append(sock)
        time.sleep(0.5)  # the server reads them (the probe's connection must come after them)
        answers = [probe.get("/v1/hello"), probe.post("/v1/suggest", SO_DRAFT, token)]
        for answer in answers:
            _assert_error(answer, 503, "busy")
            assert answer.headers["Content-Type"] == "application/json"
            assert answer.headers["Retry-After"] == "1"
            assert answer.headers["Cache-Control"] == "no-store"
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert answer.headers["Connection"] == "close"
            _no_cors(answer)
        for sock in held:  # still under way: not answered (busy or otherwise)
            with pytest.raises(TimeoutError):
                sock.recv(1)
    finally:
        for sock in held:
            _close(sock)
    deadline = time.monotonic() + 5
    while (status := probe.get("/v1/hello").status) != 200 and time.monotonic() < deadline:
        time.sleep(0.05)  # the server notices the closed connections
    assert status == 200
    assert crowded.profile.stats()["feedback_events"] == 0  # the held requests never completed: nothing written


# --- 11. logs ----------------------------------------------------------------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_logs_name_routes_but_never_content_or_tokens(short_raw: Raw, bridge: Any, writer_token: str) -> None:
    token = writer_token
    marker = f"zq{uuid.uuid4().hex}"
    handler = _Records()
    loggers = [logging.getLogger(name) for name in ("tagrec.bridge", "uvicorn.error", "uvicorn.access")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
    loggers[0].setLevel(logging.INFO)
    try:
        draft = {**SO_DRAFT, "title": f"{marker} merge two dictionaries in Python", "body": marker}
        assert short_raw.post("/v1/suggest", draft, token).status == 200
        assert short_raw.post("/v1/feedback", {**FEEDBACK, "title": marker, "item": marker}, token).status == 200
        assert short_raw.get(f"/v1/vocab?prefix={marker}", token).status == 200
        assert short_raw.get(f"/v1/vocab?token={token}", token).status == 400
        assert short_raw.post(f"/v1/pair/{marker}", None, headers={"Origin": EXTENSION}).status == 404
        assert short_raw.get(f"/v1/{marker}", token).status == 404
        assert short_raw.post("/v1/suggest", {**draft, "limit": marker}, token).status == 400
        assert short_raw.post("/v1/suggest", {**draft, "title": f"\x00{marker}"}, token).status == 400
        assert short_raw.get("/v1/vocab", headers={"Authorization": f"Bearer tgr_{marker}"}).status == 401
        assert short_raw.get("/v1/hello", headers={"Origin": f"https://{marker}.example"}).status == 403
        deadline = time.monotonic() + 2.0  # the access log is written just after the answer is sent
        while len(handler.records) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    messages = [r.getMessage() for r in handler.records]
    assert len(messages) >= 10, messages
    for record, message in zip(handler.records, messages, strict=True):
        for secret in (marker, token, _token_secret(token), _token_id(token)):
            assert secret not in message, message
            assert secret not in (record.exc_text or "")
    assert any("/v1/suggest" in m and " 200 " in m for m in messages), messages
    assert any("/v1/feedback" in m for m in messages), messages
    assert any("/v1/vocab" in m for m in messages), messages
    assert any("/v1/pair/{request}" in m for m in messages), messages


# --- 12. still alive ---------------------------------------------------------------------------------------------


def test_server_is_still_alive_after_every_attack(short_raw: Raw, bridge: Any, token: str) -> None:
    hello = short_raw.get("/v1/hello", token)
    assert hello.status == 200
    assert hello.json["token"] == "valid"
    assert hello.json["models"]["stackoverflow"]["state"] == "ready"
    assert short_raw.post("/v1/suggest", SO_DRAFT, token).status == 200


# --- 11. a profile another program is writing to -----------------------------------------------------------------


@pytest.mark.timeout(180)  # a regression must fail, not hang: every wait below is bounded
def test_feedback_waiting_for_a_busy_profile_never_blocks_the_other_routes(tmp_path: Path) -> None:
    """Another process holds the profile's write lock (a long ``tagrec profile learn``). Feedback waits on
    threads of its own: /v1/hello and /v1/vocab answer at once, the writes that could not start in time are 503
    ``busy`` and were not written, the ones under way finish once the lock is free."""
    import sqlite3

    from extension_bridge.app import WRITERS
    from extension_bridge.guard import Limits
    from extension_bridge.server import BridgeServer

    limits = Limits(rate=10_000, burst=10_000, anonymous_rate=10_000, anonymous_burst=10_000, request_timeout=1.0)
    server = BridgeServer(tmp_path, port=0, limits=limits)
    try:
        server.start()
        raw = Raw(server.port, timeout=45.0)  # > the profile's busy timeout (30 s), which the two writers wait
        token = server.tokens.create("cli", name="busy test")[1]
        other = sqlite3.connect(server.profile.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the other program's write transaction
        answers: list[Answer] = []

        def send(n: int) -> None:
            answers.append(raw.post("/v1/feedback", {**FEEDBACK, "item": f"q{n}"}, token))

        senders = [threading.Thread(target=send, args=(n,), daemon=True) for n in range(45)]  # > the 40 shared
        try:
            for sender in senders:
                sender.start()
            time.sleep(0.3)
            probe = Raw(server.port, timeout=5.0)
            for path in ("/v1/hello", "/v1/vocab"):
                started = time.perf_counter()
                assert probe.get(path, token).status == 200
                assert time.perf_counter() - started < 3.0, path  # without writers of their own: > 20 s
            waited = time.monotonic() + 30
            while len(answers) < 45 - WRITERS and time.monotonic() < waited:  # the queued ones time out (1 s)
                time.sleep(0.05)
        finally:
            other.execute("ROLLBACK")
            other.close()
        deadline = time.monotonic() + 60
        for sender in senders:
            sender.join(max(0.0, deadline - time.monotonic()))
        assert len(answers) == 45, f"{len(answers)} of 45 answered"
        statuses = sorted(a.status for a in answers)
        assert statuses == [200] * WRITERS + [503] * (45 - WRITERS), statuses
        for answer in answers:
            if answer.status == 503:
                _assert_error(answer, 503, "busy")
                assert answer.headers["Retry-After"] == "1"
        assert server.profile.stats()["feedback_events"] == WRITERS  # a 503 wrote nothing
    finally:
        server.service.wait(timeout=60)
        server.stop()
