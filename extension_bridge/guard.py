"""The bridge's guard: every check a request passes before any route sees it (field-notes §3), as one ASGI
middleware, in this order:

1. ``Host`` is a loopback name with the server's port (defeats DNS rebinding).
2. ``Origin``, when present, is a browser extension's; web pages (``http:``, ``https:``, ``null``, ...) are
   refused with no CORS headers, so they cannot read even the refusal.
3. CORS preflights are answered only for the origins of live tokens (and, for pairing, extension origins).
4. ``X-Tagrec-Api`` names a supported API version (a custom header also forces browsers to preflight).
5. No token in the query string (URLs end up in histories and logs).
6. ``Authorization: Bearer <token>`` for every route but hello and pairing; the token's recorded origin must
   equal the request's ``Origin``.
7. Rate limits per token (one shared bucket for requests without a valid token).
8. Bodies only as ``application/json`` (UTF-8), at most ``max_body_bytes``, read within ``body_timeout``.

Nothing here logs a body, a query string or a header value: the access log names method, route, status, time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extension_bridge.errors import ApiError
from extension_bridge.ratelimit import RateLimiter
from extension_bridge.tokens import Token, TokenStore, is_extension_origin

__all__ = ["API_HEADER", "API_VERSIONS", "Guard", "Limits"]

API_HEADER = "x-tagrec-api"
API_VERSIONS = ("1",)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_QUERY_SECRETS = {"token", "access_token", "auth", "authorization", "api_key", "apikey", "key", "bearer"}
_BODY_METHODS = {"POST", "PUT", "PATCH"}

log = logging.getLogger("tagrec.bridge")


@dataclass(frozen=True, slots=True)
class Limits:
    """Size, time and rate limits of the bridge."""

    max_body_bytes: int = 2_000_000
    body_timeout: float = 10.0  # seconds to receive a whole body (slow clients)
    request_timeout: float = 15.0  # seconds a suggestion may take before the answer is 503
    rate: float = 100.0  # requests per second per token, on average
    burst: int = 200
    anonymous_rate: float = 20.0  # the shared bucket of requests without a valid token
    anonymous_burst: int = 40
    # Open connections or requests under way beyond which a request is answered 503 ``busy`` (uvicorn's
    # ``limit_concurrency``), so a flood costs an answer, not memory.
    concurrency: int = 1000


class Guard:
    """ASGI middleware in front of the routes. ``port()`` is the port the server listens on (known after
    binding); ``is_public(path)`` tells the routes that need no token."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        port: Callable[[], int],
        tokens: TokenStore,
        limits: Limits,
        is_public: Callable[[str], bool],
        route_name: Callable[[str], str],
    ) -> None:
        self.app = app
        self._port = port
        self._tokens = tokens
        self._limits = limits
        self._is_public = is_public
        self._route_name = route_name
        self._per_token = RateLimiter(limits.rate, limits.burst)
        self._anonymous = RateLimiter(limits.anonymous_rate, limits.anonymous_burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets
            await send({"type": "websocket.close", "code": 1008})
            return
        started = time.perf_counter()
        status = [0]
        cors: list[str] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = MutableHeaders(scope=message)
                headers.setdefault("Cache-Control", "no-store")
                headers["X-Content-Type-Options"] = "nosniff"
                if cors:
                    headers["Access-Control-Allow-Origin"] = cors[0]
                    headers["Vary"] = "Origin"
            await send(message)

        try:
            body = await self._admit(scope, receive, cors)
        except ApiError as error:
            await error.response()(scope, receive, send_with_headers)
        except _Preflight as preflight:
            await Response(status_code=204, headers=preflight.headers)(scope, receive, send_with_headers)
        else:
            await self.app(scope, _replay(body, receive), send_with_headers)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", scope["method"], self._route_name(scope["path"]), status[0], elapsed)

    async def _admit(self, scope: Scope, receive: Receive, cors: list[str]) -> bytes:
        """Run the checks; the request's body when they pass (``ApiError`` otherwise). Sets
        ``scope["state"]["token"]`` (a ``Token`` or ``None``) and fills ``cors`` when CORS may answer."""
        headers = Headers(scope=scope)
        method, path = scope["method"], scope["path"]
        self._check_host(headers)
        origin = _check_origin(headers)
        public = self._is_public(path)
        if method == "OPTIONS" and origin is not None and "access-control-request-method" in headers:
            self._preflight(origin, path)
        _check_api_version(headers)
        _check_query(scope)
        try:
            token = self._authenticate(headers, origin, public)
        except ApiError:
            self._rate_limit(None)  # failed attempts share the anonymous bucket: guessing tokens stays slow
            raise
        if origin is not None and (token is not None or public):
            cors.append(origin)
        self._rate_limit(token)
        scope.setdefault("state", {})["token"] = token
        return await self._read_body(method, headers, receive) if method in _BODY_METHODS else b""

    def _check_host(self, headers: Headers) -> None:
        hosts = headers.getlist("host")
        port = self._port()
        allowed = {f"{name}:{port}" for name in LOOPBACK_NAMES}
        if len(hosts) != 1 or hosts[0].lower() not in allowed:
            raise ApiError(403, "forbidden_host", f"this server answers only http://127.0.0.1:{port}")

    def _preflight(self, origin: str, path: str) -> None:
        """Answer a CORS preflight, always by raising: ``_Preflight`` (204) for allowed origins, else 403."""
        if origin not in self._tokens.origins() and not path.startswith("/v1/pair"):
            raise ApiError(403, "forbidden_origin", "this origin is not paired with tagrec")
        raise _Preflight(
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Tagrec-Api",
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            }
        )

    def _authenticate(self, headers: Headers, origin: str | None, public: bool) -> Token | None:
        value = headers.get("authorization")
        if value is None:
            if public:
                return None
            raise ApiError(
                401,
                "unauthorized",
                "this client is not paired with tagrec: pair it from the extension, or create a token with"
                " `tagrec token create`",
                {"WWW-Authenticate": "Bearer"},
            )
        scheme, _, secret = value.partition(" ")
        token = self._tokens.verify(secret.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            if public:
                return None
            raise ApiError(
                401,
                "invalid_token",
                "the token is unknown or was revoked: pair this client again",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if origin is not None and origin != token.origin:
            raise ApiError(403, "forbidden_origin", "this token belongs to another client")
        return token

    def _rate_limit(self, token: Token | None) -> None:
        wait = self._anonymous.take("-") if token is None else self._per_token.take(token.id)
        if wait > 0:
            raise ApiError(
                429, "rate_limited", "too many requests; slow down", {"Retry-After": str(max(1, math.ceil(wait)))}
            )

    async def _read_body(self, method: str, headers: Headers, receive: Receive) -> bytes:
        if (
            "content-type" not in headers
            and headers.get("content-length", "0") == "0"
            and ("transfer-encoding" not in headers)
        ):
            return b""  # no body at all (e.g. POST /v1/unpair)
        media_type, _, params = headers.get("content-type", "").partition(";")
        charset = dict(parse_qsl(params.replace(";", "&").replace(" ", ""))).get("charset", "utf-8").strip('"')
        if media_type.strip().lower() != "application/json" or charset.lower() not in {"utf-8", "utf8"}:
            raise ApiError(415, "unsupported_media_type", f"{method} bodies must be application/json (UTF-8)")
        limit = self._limits.max_body_bytes
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise ApiError(413, "too_large", f"the body is larger than {limit:,} bytes")
        try:
            body = await asyncio.wait_for(_receive_body(receive, limit), self._limits.body_timeout)
        except TimeoutError:
            raise ApiError(408, "timeout", "the body did not arrive in time") from None
        # JSON text never holds a raw NUL, and a UTF-16 or UTF-32 body (which the JSON decoder would otherwise
        # detect and accept under a UTF-8 label) is full of them.
        if b"\x00" in body or not _is_utf8(body):
            raise ApiError(400, "bad_json", "the body is not UTF-8 JSON text")
        return body


def _check_origin(headers: Headers) -> str | None:
    """The request's extension origin, ``None`` without one (a local program); web origins are refused."""
    origins = headers.getlist("origin")
    if not origins:
        return None
    if len(origins) > 1 or not is_extension_origin(origins[0]):
        raise ApiError(403, "forbidden_origin", "web pages may not use tagrec")
    return origins[0]


def _check_api_version(headers: Headers) -> None:
    version = headers.get(API_HEADER)
    if version is None:
        raise ApiError(
            400, "missing_api_header", f"every request must carry the header X-Tagrec-Api: {API_VERSIONS[-1]}"
        )
    if version.strip() not in API_VERSIONS:
        raise ApiError(
            400,
            "unsupported_api_version",
            f"this tagrec speaks API version {', '.join(API_VERSIONS)}, not {version[:20]!r}: update the extension"
            " or the app",
        )


def _check_query(scope: Scope) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = parse_qsl(query, keep_blank_values=True)  # decoded: %5F is "_"
    if {name.lower() for name, _ in pairs} & _QUERY_SECRETS or any("tgr_" in f"{n}={v}" for n, v in pairs):
        raise ApiError(
            400,
            "token_in_query",
            "tokens travel only in the Authorization header; a token sent in a URL may have leaked: revoke it",
        )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _receive_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "disconnected", "the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the body is larger than {limit:,} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the connection's own messages (a
    disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class _Preflight(Exception):
    """An allowed CORS preflight: answer 204 with these headers."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("preflight")
        self.headers = headers
