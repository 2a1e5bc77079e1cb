"""The JSON bodies of the bridge API (pydantic models): they validate requests and write the OpenAPI document.

Limits come from the core (``profile.feedback``, ``service``), so the document, the bridge and the CLI agree.
Requests are strict (no type coercion) and refuse unknown fields.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from tagrec_core.profile.feedback import (
    KEY_PATTERN,
    MAX_BODY_CHARS,
    MAX_NAME_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    SITE_PATTERN,
)
from tagrec_core.service import MAX_LIMIT
from tagrec_core.suggestion import WHY_CODES

Tag = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG_CHARS)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
Site = Annotated[str, StringConstraints(pattern=SITE_PATTERN), Field(examples=["stackoverflow", "weibo", "files"])]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]
Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS)]
Body = Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS)]


def _printable(name: str) -> str:
    """A name shown to the user (the pairing dialog, ``tagrec token list``): no control or format characters,
    which could hide text, reverse it (U+202E) or drive a terminal."""
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ValueError("the name contains control or formatting characters")
    if not name.strip():
        raise ValueError("the name is blank")
    return name


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SuggestBody(_Request):
    """A draft to suggest tags for."""

    site: Site
    url: Name = ""
    title: Title = ""
    body: Body = ""
    tags: Tags = Field(default_factory=list, description="Tags already chosen: never suggested again.")
    lang: Literal["en", "zh"] | None = Field(None, description="The draft's language (default: detected).")
    limit: int = Field(5, ge=1, le=MAX_LIMIT, description="How many suggestions at most.")
    min_score: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="Leave out suggestions scored below this. Scores are calibrated probabilities: 0.05 is right "
        "about one time in twenty.",
    )


class FeedbackBody(_Request):
    """What the user did with the suggestions for one item (the profile's feedback event)."""

    site: Site
    item: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS)] = Field(
        description="The item's id, URL or path within the site."
    )
    user: Name | None = Field(None, description="Must be the token's user when given.")
    url: Name = ""
    title: Title = ""
    body: Body = ""
    shown: Tags = Field(default_factory=list)
    accepted: Tags = Field(default_factory=list)
    rejected: Tags = Field(default_factory=list)
    final: Tags | None = Field(None, description="The item's tags as saved; default: earlier + accepted - rejected.")
    created: Annotated[str, StringConstraints(max_length=64)] | None = Field(None, description="ISO 8601 time.")
    key: Annotated[str, StringConstraints(pattern=KEY_PATTERN)] | None = Field(
        None,
        description="The event's unique key, chosen once by the client (a UUID): an event sent again with a key "
        "the user's profile already holds is answered with the stored event's id and not stored again; a "
        "different event under that key is 409 key_conflict.",
        examples=["0b7c5f1e-5a43-4e0b-9d3c-2f1a8e6b4c70"],
    )


class PairBody(_Request):
    """Who asks to pair: a name the user will recognise in the app."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_printable)] = Field(
        examples=["Chrome on laptop"]
    )


class Why(BaseModel):
    """Why a tag is suggested, as a code and its arguments, for a client to say in its own language."""

    code: str = Field(
        description="Stable: " + ", ".join(WHY_CODES) + ". A client shows `reason` for a code it does not know "
        "(a newer tagrec may add codes).",
        examples=["similar_posts"],
    )
    count: int | None = Field(
        None, description="similar_posts, learned, used_on_similar, used: how many posts, items or uses."
    )
    tag: str | None = Field(None, description="used_with, implied_by: the other tag.")


class Suggestion(BaseModel):
    tag: str
    score: float = Field(description="Calibrated probability in [0, 1].")
    source: str = Field(description="The method that found it: classifier, neighbours, text, related, user.")
    reason: str = Field(description="Why, in a few words of English, for a tooltip (the same as `why` says).")
    why: Why | None = Field(None, description="The reason as a code and its arguments, for clients to translate.")


class SuggestAnswer(BaseModel):
    suggestions: list[Suggestion]


class FeedbackAnswer(BaseModel):
    ok: Literal[True] = True
    id: int = Field(description="The stored event's id (it is durable when this answer is sent).")


class VocabEntry(BaseModel):
    tag: str
    items: int = Field(description="How many of the user's items carry it.")
    last_used: str = Field(description="ISO 8601 time of its last use.")


class VocabAnswer(BaseModel):
    tags: list[VocabEntry]


class ApiRange(BaseModel):
    min: int
    max: int


class ModelState(BaseModel):
    state: Literal["idle", "loading", "ready", "failed"]
    error: str | None = None


class HelloAnswer(BaseModel):
    app: Literal["tagrec"] = "tagrec"
    version: str
    api: ApiRange
    server: str = Field(description="This installation's id: stable across restarts, not a secret.")
    token: Literal["missing", "valid", "invalid"] = Field(description="What the bridge makes of this request's token.")
    models: dict[str, ModelState]
    pairing: bool = Field(description="Whether the app's pairing window is open.")


class PairStarted(BaseModel):
    request: str = Field(description="Poll POST /v1/pair/{request} with it.")
    code: str = Field(description="Six digits the extension shows; the user compares them with the app's.")
    expires_in: int = Field(description="Seconds left to approve.")


class PairStatus(BaseModel):
    status: Literal["pending", "approved", "denied"]
    token: str | None = Field(None, description="Only once, when approved: keep it; it is never shown again.")


class UnpairAnswer(BaseModel):
    unpaired: Literal[True] = True


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable: clients branch on it (docs/bridge.md lists them).")
    message: str = Field(description="For a person.")


class ErrorAnswer(BaseModel):
    error: ErrorDetail
