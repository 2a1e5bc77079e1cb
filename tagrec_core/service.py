"""The service: the one facade the front-ends call (the bridge's routes, the desktop app) — ``suggest``,
``feedback``, ``vocabulary`` — over one model per domain and the home's profile.

Thread-safe. Models load on background threads (``start``); until a domain's model is ready, ``submit`` raises
``ModelLoading`` so a front-end can say "ready in a moment" (the bridge answers 503) instead of blocking.
Suggestions for one domain run on one worker thread that batches concurrent requests (``batching``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagrec_core import defaults
from tagrec_core.batching import Batcher
from tagrec_core.errors import InputError, ModelFileError, TagrecError
from tagrec_core.memory import freeze_long_lived
from tagrec_core.profile.feedback import DEFAULT_USER, MAX_BODY_CHARS, MAX_TAGS, MAX_TITLE_CHARS, parse_feedback
from tagrec_core.profile.store import Profile, VocabEntry
from tagrec_core.suggestion import Suggestion, at_least
from tagrec_core.text import detect_lang, is_unicode

if TYPE_CHECKING:  # pragma: no cover
    from tagrec_core.recommender import Recommender

__all__ = ["MAX_LIMIT", "ModelLoading", "Service", "SuggestRequest", "check_request"]

MAX_LIMIT = 50  # suggestions per request
SITE_DOMAIN: dict[str, str] = {"stackoverflow": "stackoverflow", "weibo": "weibo"}

IDLE, LOADING, READY, FAILED = "idle", "loading", "ready", "failed"


class ModelLoading(TagrecError):
    """The model for this request is still loading; ask again in a moment."""

    code = "model_loading"


@dataclass(frozen=True, slots=True)
class SuggestRequest:
    """What to suggest tags for. ``site`` and ``lang`` (``en``/``zh``) choose the model; ``tags`` are already
    chosen and never suggested; ``limit`` suggestions at most, none scored below ``min_score``; ``user``
    whose profile personalises them."""

    title: str
    body: str = ""
    tags: tuple[str, ...] = ()
    site: str = ""
    lang: str | None = None
    limit: int = 5
    user: str = DEFAULT_USER
    min_score: float = 0.0

    @property
    def empty(self) -> bool:
        return not (self.title.strip() or self.body.strip())


@dataclass
class _Slot:
    """One domain's model: its source, loading state and, once ready, the worker that runs it."""

    source: str | Path
    state: str = IDLE
    error: str = ""
    batcher: Batcher[SuggestRequest, list[Suggestion]] | None = None
    ready: threading.Event = field(default_factory=threading.Event)


class Service:
    """Suggestions, feedback and the user's vocabulary for front-ends, over ``models`` and ``profile``.

    ``models`` maps a domain to a model file or a shipped domain name (default: every shipped model). With a
    single model, every request uses it.
    """

    def __init__(self, profile: Profile, models: Mapping[str, str | Path] | None = None) -> None:
        self.profile = profile
        sources = dict(models) if models else {domain: domain for domain in defaults.DOMAINS}
        self._slots = {domain: _Slot(source) for domain, source in sources.items()}
        self._lock = threading.Lock()
        self._closed = False
        self._loaders: list[threading.Thread] = []

    # --- models ----------------------------------------------------------------------------------------------

    @property
    def domains(self) -> list[str]:
        return list(self._slots)

    def start(self, domains: Iterable[str] | None = None) -> None:
        """Begin loading the models of ``domains`` (default: all) in the background; returns at once."""
        for domain in self.domains if domains is None else domains:
            self._load(self._slot(domain))

    def wait(self, timeout: float | None = None, domains: Iterable[str] | None = None) -> bool:
        """Load the models of ``domains`` (default: all) if nobody asked yet, and wait until each is loaded or
        failed; False on timeout."""
        domains = list(self.domains if domains is None else domains)
        self.start(domains)
        return all(self._slot(d).ready.wait(timeout) for d in domains)

    def status(self) -> dict[str, dict[str, str]]:
        """Each domain's model state: ``idle``, ``loading``, ``ready`` or ``failed`` (with ``error``)."""
        with self._lock:
            return {
                domain: {"state": slot.state, **({"error": slot.error} if slot.error else {})}
                for domain, slot in self._slots.items()
            }

    def domain_for(self, request: SuggestRequest) -> str:
        """The domain whose model serves ``request``: by site, else by language (given or detected)."""
        if len(self._slots) == 1:
            return self.domains[0]
        by_site = SITE_DOMAIN.get(request.site)
        if by_site in self._slots:
            return by_site
        lang = request.lang or detect_lang(f"{request.title}\n{request.body}")
        by_lang = defaults.LANG_DOMAIN.get(lang, "")
        return by_lang if by_lang in self._slots else self.domains[0]

    # --- suggest ---------------------------------------------------------------------------------------------

    def submit(self, request: SuggestRequest) -> Future[list[Suggestion]]:
        """Queue ``request`` on its model's worker; the future gives the suggestions.

        Raises ``ModelLoading`` while that model loads (and starts loading it if nobody asked yet), and
        ``ModelFileError`` when it could not be loaded, ``InputError`` when ``request`` is over the limits. An
        empty text gets no suggestions, at once.
        """
        check_request(request)
        if request.empty:
            done: Future[list[Suggestion]] = Future()
            done.set_result([])
            return done
        slot = self._slot(self.domain_for(request))
        self._load(slot)
        with self._lock:
            state, error, batcher = slot.state, slot.error, slot.batcher
        if state == FAILED:
            raise ModelFileError(error)
        if batcher is None:
            raise ModelLoading("the suggestion model is still loading; try again in a moment")
        return batcher.submit(request)

    def suggest(self, request: SuggestRequest, timeout: float | None = 30.0) -> list[Suggestion]:
        """``submit`` and wait for the result (for threads that may block)."""
        return self.submit(request).result(timeout)

    # --- profile ---------------------------------------------------------------------------------------------

    def feedback(self, event: Mapping[str, Any], user: str = DEFAULT_USER) -> int:
        """Check and store one feedback event (``profile.feedback`` shape; ``user`` when it names none);
        returns its id once durable. ``FeedbackError`` says what is wrong; nothing is written then."""
        return self.profile.record(parse_feedback(event, default_user=user))

    def vocabulary(self, user: str, prefix: str = "", limit: int = 20) -> list[VocabEntry]:
        """The user's own tags starting with ``prefix``, most used recently first (autocomplete)."""
        return self.profile.vocabulary(user, prefix, min(limit, MAX_LIMIT))

    def close(self, timeout: float = 60.0) -> None:
        """Stop the workers (queued requests finish first). A model still loading is waited for (up to
        ``timeout``): a process must not exit while torch is reading a model on another thread. The profile
        stays open: its owner closes it."""
        with self._lock:
            self._closed = True
            loaders = list(self._loaders)
        for loader in loaders:
            loader.join(timeout)
        with self._lock:
            batchers = [slot.batcher for slot in self._slots.values() if slot.batcher is not None]
        for batcher in batchers:
            batcher.close()

    # --- internals -------------------------------------------------------------------------------------------

    def _slot(self, domain: str) -> _Slot:
        try:
            return self._slots[domain]
        except KeyError:
            raise ModelFileError(f"no model for {domain!r}; this service has: {', '.join(self._slots)}") from None

    def _load(self, slot: _Slot) -> None:
        with self._lock:
            if slot.state != IDLE or self._closed:
                return
            slot.state = LOADING
        loader = threading.Thread(target=self._load_now, args=(slot,), name="tagrec-model-load", daemon=True)
        self._loaders.append(loader)
        loader.start()

    def _load_now(self, slot: _Slot) -> None:
        import tagrec_core

        try:
            recommender = tagrec_core.load(slot.source, profile=self.profile)
            recommender.base_suggestions([("tagrec", "warm up")], [[]], 1)  # the first real request is not slower
            batcher = Batcher(lambda batch: _suggest_batch(recommender, batch), name="tagrec-suggest")
        except TagrecError as error:
            with self._lock:
                slot.state, slot.error = FAILED, str(error)
        except Exception as error:  # a broken model file may fail anywhere in torch; keep the service alive
            with self._lock:
                slot.state, slot.error = FAILED, f"the model could not be loaded: {error}"
        else:
            with self._lock:
                if self._closed:
                    batcher.close()
                else:
                    slot.batcher, slot.state = batcher, READY
        finally:
            self._settle()
            slot.ready.set()

    def _settle(self) -> None:
        """After a load ends, once no other is in progress: freeze what is alive, or full garbage collections
        stall every request for ~100 ms (``memory.freeze_long_lived``). Not while another model loads: that
        load's temporary objects would be frozen with the rest, and any reference cycle among them never freed
        (not measurable with the shipped models: 399 MB either way over six runs each). Two loads ending
        together may both freeze: the second collection finds little left to walk."""
        with self._lock:
            idle = all(slot.state != LOADING for slot in self._slots.values())
        if idle:
            freeze_long_lived()


def _suggest_batch(recommender: Recommender, batch: Sequence[SuggestRequest]) -> list[list[Suggestion]]:
    """One batched model call for many requests; each gets its own ``limit``."""
    depth = max(r.limit for r in batch)
    results = recommender.suggest_many(
        [(r.title, r.body) for r in batch], [r.tags for r in batch], k=depth, users=[r.user for r in batch]
    )
    return [at_least(suggestions, r.min_score)[: r.limit] for r, suggestions in zip(batch, results, strict=True)]


def check_request(request: SuggestRequest) -> SuggestRequest:
    """``request`` if within the limits (the same as feedback's), else ``InputError`` naming the field."""
    if len(request.title) > MAX_TITLE_CHARS:
        raise InputError(f"title is too long ({len(request.title):,} characters; the limit is {MAX_TITLE_CHARS:,})")
    if len(request.body) > MAX_BODY_CHARS:
        raise InputError(f"body is too long ({len(request.body):,} characters; the limit is {MAX_BODY_CHARS:,})")
    if len(request.tags) > MAX_TAGS:
        raise InputError(f"tags has {len(request.tags)} entries; the limit is {MAX_TAGS}")
    if not 1 <= request.limit <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0.0 <= request.min_score <= 1.0:  # NaN fails too
        raise InputError("min_score must be between 0 and 1")
    for name, value in (("title", request.title), ("body", request.body), ("site", request.site)):
        if not is_unicode(value) or "\x00" in value:
            raise InputError(f"{name} is not text (a NUL character or a lone surrogate)")
    if not all(is_unicode(tag) for tag in request.tags):
        raise InputError("tags must be valid Unicode text")
    return request
