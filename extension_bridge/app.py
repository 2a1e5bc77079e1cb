"""The bridge's HTTP API (``/v1``), as a FastAPI app behind the ``Guard``.

Each route only parses, calls the service (or the token store, or pairing) and shapes the answer:
``POST /v1/suggest`` → ``Service.submit``, ``POST /v1/feedback`` → ``Service.feedback``, ``GET /v1/vocab`` →
``Service.vocabulary``. Every failure leaves as the one error shape (``errors``). docs/bridge.md describes the
protocol; docs/openapi.json is generated from this module (``python -m extension_bridge.openapi``) and a test
keeps the two in sync.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from extension_bridge import schemas
from extension_bridge.errors import ApiError, error_response
from extension_bridge.guard import API_VERSIONS, Guard, Limits
from extension_bridge.pairing import Pairing
from extension_bridge.tokens import Token, TokenStore, is_extension_origin
from tagrec_core.errors import TagrecError
from tagrec_core.service import MAX_LIMIT, Service, SuggestRequest
from tagrec_core.version import __version__

__all__ = ["Bridge", "create_app"]

log = logging.getLogger("tagrec.bridge")

# Routes that answer without a token: discovering the app and pairing with it.
PUBLIC = {"/v1/hello", "/v1/pair"}
PAIR_POLL = "/v1/pair/"
ROUTES = {"/v1/hello", "/v1/suggest", "/v1/feedback", "/v1/vocab", "/v1/pair", "/v1/unpair"}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of a route (every route may also answer the guard's errors)."""
    guard = (400, 401, 403, 429)
    return {s: {"model": schemas.ErrorAnswer, "description": "An error"} for s in sorted({*guard, *statuses})}


# Documents the header every request must carry (the guard checks it).
ApiHeader = Annotated[str, Header(alias="X-Tagrec-Api", description="The API version: 1.", examples=["1"])]
_bearer = HTTPBearer(auto_error=False, description="A token from pairing or `tagrec token create`.")
# Documents the bearer token in the OpenAPI document; the guard has checked it already.
Bearer = Annotated[Any, Depends(_bearer)]


# Feedback waits for the profile's write lock, up to its busy timeout (30 s) while another process (a long
# `tagrec profile learn`) holds it. On the thread pool every sync route shares, waiting writes would take all
# its threads, and /v1/hello and /v1/vocab would wait behind them: writes get threads of their own.
WRITERS = 2


class Bridge:
    """What the routes use: the service, the tokens, pairing, the limits, the server's identity and the threads
    that write feedback (``close`` ends them)."""

    def __init__(
        self,
        service: Service,
        tokens: TokenStore,
        pairing: Pairing,
        *,
        port: Callable[[], int],
        limits: Limits | None = None,
    ) -> None:
        self.service = service
        self.tokens = tokens
        self.pairing = pairing
        self.port = port
        self.limits = limits or Limits()
        self.server_id = tokens.setting("server_id", _new_id())
        self.writer = ThreadPoolExecutor(WRITERS, thread_name_prefix="tagrec-feedback")

    async def record(self, event: dict[str, Any], user: str) -> int:
        """Store a feedback event on a writer thread; its id once durable. ``ApiError`` 503 ``busy`` when no
        writer could start it within the request timeout: it was not written, and may be sent again."""
        future = self.writer.submit(self.service.feedback, event, user=user)
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self.limits.request_timeout)
        except TimeoutError:
            if future.cancel():  # still queued: nothing was written
                raise ApiError(
                    503,
                    "busy",
                    "the profile is busy (another program is writing to it); try again",
                    {"Retry-After": "1"},
                ) from None
        return await asyncio.wrap_future(future)  # already writing: its outcome is the answer

    def close(self) -> None:
        """Finish the writes under way; drop the queued ones (their requests are gone with the server)."""
        self.writer.shutdown(wait=True, cancel_futures=True)


def create_app(bridge: Bridge) -> Any:
    """The ASGI application for ``bridge``: the guard in front of the routes."""
    app = build_api()
    app.state.bridge = bridge
    return Guard(
        app,
        port=bridge.port,
        tokens=bridge.tokens,
        limits=bridge.limits,
        is_public=is_public,
        route_name=route_name,
    )


def is_public(path: str) -> bool:
    """Whether ``path`` answers without a token (any method: the route itself refuses the wrong ones, 405)."""
    return path in PUBLIC or path.startswith(PAIR_POLL)


def route_name(path: str) -> str:
    """The route a path belongs to, for the access log (never a pairing request id or a stray path)."""
    if path in ROUTES:
        return path
    return "/v1/pair/{request}" if path.startswith(PAIR_POLL) else "(unknown)"


def build_api() -> FastAPI:
    """The routes (without the guard and without a bridge: ``openapi`` documents them from this)."""
    app = FastAPI(
        title="tagrec bridge",
        version=__version__,
        description="The local API of tagrec for its browser extension and other local clients. See docs/bridge.md.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # the document is in the repository; the server publishes nothing it need not
        redirect_slashes=False,  # "/v1/suggest/" is not a route: a typed 404, not a redirect with no body
    )
    _handlers(app)

    @app.get("/v1/hello", response_model=schemas.HelloAnswer, responses=_errors(), tags=["discovery"])
    def hello(request: Request, x_tagrec_api: ApiHeader, _auth: Bearer) -> schemas.HelloAnswer:
        """Who is listening: app, version, API range, server id, token state, model states. No secrets."""
        bridge = _bridge(request)
        given = "authorization" in request.headers
        token = _token_or_none(request)
        return schemas.HelloAnswer(
            version=__version__,
            api=schemas.ApiRange(min=int(API_VERSIONS[0]), max=int(API_VERSIONS[-1])),
            server=bridge.server_id,
            token="valid" if token else "invalid" if given else "missing",
            models={d: schemas.ModelState(**s) for d, s in bridge.service.status().items()},
            pairing=bridge.pairing.is_open,
        )

    @app.post("/v1/suggest", response_model=schemas.SuggestAnswer, responses=_errors(408, 413, 415, 503), tags=["tags"])
    async def suggest(
        body: schemas.SuggestBody, request: Request, x_tagrec_api: ApiHeader, _auth: Bearer
    ) -> schemas.SuggestAnswer:
        """Suggestions for a draft, personal to the token's user."""
        bridge = _bridge(request)
        query = SuggestRequest(
            title=body.title,
            body=body.body,
            tags=tuple(body.tags),
            site=body.site,
            lang=body.lang,
            limit=body.limit,
            user=_token(request).user,
            min_score=body.min_score,
        )
        future = bridge.service.submit(query)
        try:
            found = await asyncio.wait_for(asyncio.wrap_future(future), bridge.limits.request_timeout)
        except TimeoutError:
            raise ApiError(
                503, "busy", "tagrec is too busy to answer in time; try again", {"Retry-After": "1"}
            ) from None
        return schemas.SuggestAnswer(suggestions=[schemas.Suggestion(**s.to_dict()) for s in found])

    @app.post(
        "/v1/feedback",
        response_model=schemas.FeedbackAnswer,
        responses=_errors(408, 409, 413, 415, 503),
        tags=["tags"],
    )
    async def feedback(
        body: schemas.FeedbackBody, request: Request, x_tagrec_api: ApiHeader, _auth: Bearer
    ) -> schemas.FeedbackAnswer:
        """Learn from what the user did with the suggestions; answered once the event is durable (503 ``busy``:
        not written, send it again). An event sent again with its ``key`` is answered with the stored event's id
        and not written twice (a client whose answer was lost cannot tell whether it was written); a different
        event under a key the user already has is 409 ``key_conflict``, not written."""
        bridge = _bridge(request)
        user = _token(request).user
        if body.user is not None and body.user != user:
            raise ApiError(403, "forbidden_user", "this token may only send feedback for its own user")
        return schemas.FeedbackAnswer(id=await bridge.record(body.model_dump(exclude_none=True), user=user))

    @app.get("/v1/vocab", response_model=schemas.VocabAnswer, responses=_errors(), tags=["tags"])
    def vocab(
        request: Request,
        x_tagrec_api: ApiHeader,
        _auth: Bearer,
        prefix: Annotated[str, Query(max_length=100, description="The start of the tag being typed.")] = "",
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    ) -> schemas.VocabAnswer:
        """Autocomplete from the user's own tags: most used recently first."""
        bridge = _bridge(request)
        found = bridge.service.vocabulary(_token(request).user, prefix, limit)
        return schemas.VocabAnswer(tags=[schemas.VocabEntry(**e._asdict()) for e in found])

    @app.post(
        "/v1/pair",
        response_model=schemas.PairStarted,
        status_code=202,
        responses=_errors(408, 413, 415),
        tags=["pairing"],
    )
    def pair(body: schemas.PairBody, request: Request, x_tagrec_api: ApiHeader) -> schemas.PairStarted:
        """Ask to pair (only while the app's pairing window is open). Show the code; poll for the token."""
        bridge = _bridge(request)
        started = bridge.pairing.request(_extension_origin(request), body.name)
        return schemas.PairStarted(request=started.id, code=started.code, expires_in=int(started.expires_in))

    @app.post("/v1/pair/{request_id}", response_model=schemas.PairStatus, responses=_errors(404), tags=["pairing"])
    def pair_status(request_id: str, request: Request, x_tagrec_api: ApiHeader) -> schemas.PairStatus:
        """A pairing request's state; once approved, the token, exactly once (so: POST, not GET; browsers
        also always send the Origin of a POST, which the request is bound to)."""
        bridge = _bridge(request)
        found = bridge.pairing.poll(request_id, _extension_origin(request))
        if found.status == "approved":
            return schemas.PairStatus(status="approved", token=found.token)
        return schemas.PairStatus(status=found.status)  # type: ignore[arg-type]

    @app.post("/v1/unpair", response_model=schemas.UnpairAnswer, responses=_errors(), tags=["pairing"])
    def unpair(request: Request, x_tagrec_api: ApiHeader, _auth: Bearer) -> schemas.UnpairAnswer:
        """Revoke this client's own token."""
        bridge = _bridge(request)
        bridge.tokens.revoke(_token(request).id)
        return schemas.UnpairAnswer()

    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Any:
        return error.response()

    @app.exception_handler(TagrecError)
    async def core_error(request: Request, error: TagrecError) -> Any:
        return ApiError.from_core(error).response()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Any:
        return error_response(400, *_describe(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Any:
        if error.status_code == 400:  # FastAPI's only 400: a body its JSON decoder gave up on (too deep, ...)
            return error_response(400, "bad_json", "the body could not be read as JSON", error.headers)
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "bad_request")
        return error_response(error.status_code, code, str(error.detail), error.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Any:
        log.error("internal error in %s: %s", route_name(request.url.path), type(error).__name__)
        return error_response(500, "internal", "tagrec failed to answer; see its log")


def _describe(error: RequestValidationError) -> tuple[str, str]:
    """The code and message of a request that does not fit its schema (field names only, never values)."""
    first = error.errors()[0] if error.errors() else {}
    if first.get("type") == "json_invalid":
        return "bad_json", "the body is not valid JSON"
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "the body"
    return "bad_request", f"{where}: {first.get('msg', 'invalid')}"


def _bridge(request: Request) -> Bridge:
    return request.app.state.bridge  # type: ignore[no-any-return]


def _token(request: Request) -> Token:
    token = _token_or_none(request)
    if token is None:  # the guard lets no protected route through without one
        raise ApiError(401, "unauthorized", "this client is not paired with tagrec")
    return token


def _token_or_none(request: Request) -> Token | None:
    return request.scope.get("state", {}).get("token")


def _extension_origin(request: Request) -> str:
    origin = request.headers.get("origin", "")
    if not is_extension_origin(origin):
        raise ApiError(403, "forbidden_origin", "pairing is for browser extensions; scripts use `tagrec token create`")
    return origin


def _new_id() -> str:
    return secrets.token_hex(8)
