"""The bridge's API as a client uses it, against a real server on a real socket with the shipped models."""

from __future__ import annotations

from typing import Any

from tests.bridge_client import EXTENSION

SO_DRAFT = {
    "site": "stackoverflow",
    "title": "How do I merge two dictionaries in Python?",
    "body": "I have two dicts and want a single dict with the keys of both.",
    "tags": [],
    "limit": 5,
}


def test_hello_names_the_app_without_secrets(raw: Any, bridge: Any) -> None:
    answer = raw.get("/v1/hello")
    assert answer.status == 200
    hello = answer.json
    assert hello["app"] == "tagrec"
    assert hello["api"] == {"min": 1, "max": 1}
    assert hello["server"] == bridge.bridge.server_id
    assert hello["token"] == "missing"
    assert hello["models"]["stackoverflow"]["state"] == "ready"
    assert answer.headers["Cache-Control"] == "no-store"


def test_hello_tells_valid_from_invalid_tokens(raw: Any, token: str) -> None:
    assert raw.get("/v1/hello", token).json["token"] == "valid"
    assert raw.get("/v1/hello", token[:-2] + "xx").json["token"] == "invalid"


def test_suggest_returns_ranked_tags_with_sources(raw: Any, token: str) -> None:
    answer = raw.post("/v1/suggest", SO_DRAFT, token)
    assert answer.status == 200, answer.raw
    suggestions = answer.json["suggestions"]
    assert 1 <= len(suggestions) <= 5
    assert suggestions[0]["tag"] == "python"
    assert {"tag", "score", "source", "reason"} == set(suggestions[0])
    scores = [s["score"] for s in suggestions]
    assert scores == sorted(scores, reverse=True)
