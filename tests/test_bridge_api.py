"""The bridge's API as a client uses it, against a real server on a real socket with the shipped models."""

from __future__ import annotations

from typing import Any

from tests.bridge_client import EXTENSION, SO_DRAFT


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
    assert {"tag", "score", "source", "reason", "why"} == set(suggestions[0])
    scores = [s["score"] for s in suggestions]
    assert scores == sorted(scores, reverse=True)


def test_each_suggestion_says_why_as_a_code_beside_the_english_reason(raw: Any, bridge: Any) -> None:
    from tagrec_core.suggestion import Why

    _, tok = bridge.tokens.create(EXTENSION, user="why-user")
    headers = {"Origin": EXTENSION}
    draft = {"site": "stackoverflow", "title": "How do I merge two dictionaries in Python?", "limit": 10}
    for s in raw.post("/v1/suggest", draft, tok, headers=headers).json["suggestions"]:
        assert set(s["why"]) == {"code", "count", "tag"}, s  # every argument, null where the code takes none
        assert Why.from_dict(s["why"]).text() == s["reason"] != "", s
    # the profile's reasons too: a tag the user gave to similar posts, and the tags it implies
    mine = {"site": "stackoverflow", "title": "Filing my tax-2025 receipts with pandas", "body": "tax receipts"}
    for n in range(3):
        event = {**mine, "item": f"w{n}", "accepted": ["tax-2025", "pandas"]}
        assert raw.post("/v1/feedback", event, tok, headers=headers).status == 200
    bridge.profile.set_implied("tax-2025", "finance", "why-user")
    found = {s["tag"]: s for s in raw.post("/v1/suggest", mine, tok, headers=headers).json["suggestions"]}
    assert found["tax-2025"]["why"] == {"code": "used_on_similar", "count": 3, "tag": None}
    assert found["tax-2025"]["reason"] == "you used it on 3 similar items"
    assert found["finance"]["why"] == {"code": "implied_by", "count": None, "tag": "tax-2025"}


def test_suggest_never_repeats_chosen_tags_and_honours_limit(raw: Any, token: str) -> None:
    answer = raw.post("/v1/suggest", {**SO_DRAFT, "tags": ["Python"], "limit": 2}, token)
    tags = [s["tag"] for s in answer.json["suggestions"]]
    assert answer.status == 200 and len(tags) == 2 and "python" not in tags


def test_suggest_leaves_out_suggestions_below_min_score(raw: Any, token: str) -> None:
    every = raw.post("/v1/suggest", {**SO_DRAFT, "limit": 10}, token).json["suggestions"]
    cut = (every[0]["score"] + every[-1]["score"]) / 2
    answer = raw.post("/v1/suggest", {**SO_DRAFT, "limit": 10, "min_score": cut}, token)
    assert answer.status == 200, answer.raw
    assert answer.json["suggestions"] == [s for s in every if s["score"] >= cut]
    assert 0 < len(answer.json["suggestions"]) < len(every)
    # An integer is a number too (0 and 1 are the ends of the range).
    assert raw.post("/v1/suggest", {**SO_DRAFT, "min_score": 0}, token).json["suggestions"]


def test_suggest_picks_the_model_by_site_and_language(raw: Any, token: str) -> None:
    weibo = {"site": "weibo", "title": "", "body": "今天的足球比赛太精彩了，梅西又进球了！", "limit": 3}
    by_site = raw.post("/v1/suggest", weibo, token).json["suggestions"]
    by_lang = raw.post("/v1/suggest", {**weibo, "site": "files", "lang": "zh"}, token).json["suggestions"]
    assert by_site and by_site == by_lang
    # Chinese tags: the Weibo model answered (which Weibo tags rank first for a football post is its business)
    assert any("\u4e00" <= ch <= "\u9fff" for s in by_site for ch in s["tag"])


def test_suggest_for_an_empty_draft_is_empty_not_an_error(raw: Any, token: str) -> None:
    answer = raw.post("/v1/suggest", {"site": "stackoverflow", "title": "  ", "body": ""}, token)
    assert answer.status == 200 and answer.json == {"suggestions": []}


def test_feedback_is_learned_by_the_next_suggestion(raw: Any, bridge: Any) -> None:
    _, tok = bridge.tokens.create(EXTENSION, user="feedback-user")
    draft = {"site": "stackoverflow", "title": "Filing my tax-2025 receipts with pandas", "body": "tax receipts"}
    before = [s["tag"] for s in raw.post("/v1/suggest", draft, tok, headers={"Origin": EXTENSION}).json["suggestions"]]
    assert "tax-2025" not in before
    for n in range(3):
        event = {**draft, "item": f"q{n}", "shown": before, "accepted": ["tax-2025", "pandas"]}
        answer = raw.post("/v1/feedback", event, tok, headers={"Origin": EXTENSION})
        assert answer.status == 200 and answer.json["ok"] is True and answer.json["id"] > 0
    after = [s["tag"] for s in raw.post("/v1/suggest", draft, tok, headers={"Origin": EXTENSION}).json["suggestions"]]
    assert "tax-2025" in after
    assert bridge.profile.user("feedback-user").clock == 3


def test_feedback_sent_again_with_its_key_is_stored_once(raw: Any, bridge: Any) -> None:
    """The extension sends an event again when its answer did not come in time, though the bridge may have
    written it: with its key, copies sent one after another or at the same moment (the late original and the
    resend, on the bridge's two writer threads) are one event, and every answer names it."""
    import threading
    import uuid

    _, tok = bridge.tokens.create(EXTENSION, user="resending-user")
    event = {"site": "stackoverflow", "item": "q1", "shown": ["python"], "accepted": ["python"]}

    def send(body: dict[str, Any]) -> Any:
        return raw.post("/v1/feedback", body, tok, headers={"Origin": EXTENSION})

    def count() -> int:
        return bridge.profile.stats("resending-user")["feedback_events"]

    key = str(uuid.uuid4())
    first, again = send({**event, "key": key}), send({**event, "key": key})
    assert first.status == again.status == 200 and first.json == again.json and count() == 1
    key = str(uuid.uuid4())
    answers: list[Any] = []
    senders = [threading.Thread(target=lambda: answers.append(send({**event, "key": key}))) for _ in range(6)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(30)
    assert [a.status for a in answers] == [200] * 6 and len({a.json["id"] for a in answers}) == 1
    assert count() == 2
    assert bridge.profile.stats("resending-user")["accepted"] == 2  # learned once per key
    assert send(event).status == 200 and count() == 3  # no key: stored as sent
    bad = send({**event, "key": "not a key"})
    assert (bad.status, bad.code) == (400, "bad_request") and count() == 3


def test_feedback_of_another_event_under_a_used_key_is_refused_409(raw: Any, bridge: Any) -> None:
    """A client that reused a key ("cli:1" in every run) for another event got ``{"ok": true}`` with the first
    event's id, and the event was lost: now 409 ``key_conflict``, nothing written, and the client can tell."""
    _, tok = bridge.tokens.create("cli", user="reusing-user")
    first = {"site": "files", "item": "/a.txt", "title": "taxes 2024", "accepted": ["taxes"], "key": "cli:1"}
    stored = raw.post("/v1/feedback", first, tok)
    assert stored.status == 200
    answer = raw.post("/v1/feedback", {**first, "item": "/b.txt", "accepted": ["holiday"]}, tok)
    assert (answer.status, answer.code) == (409, "key_conflict"), answer.raw
    assert "already used by a different event (it differs in item, accepted)" in answer.json["error"]["message"]
    assert bridge.profile.stats("reusing-user")["feedback_events"] == 1
    assert bridge.profile.item_tags("reusing-user", "files", ["/b.txt"]) == {}
    assert raw.post("/v1/feedback", first, tok).json == stored.json  # the same event again is still fine


def test_feedback_for_another_user_is_refused(raw: Any, token: str) -> None:
    event = {"site": "stackoverflow", "item": "q1", "user": "someone-else", "accepted": ["python"]}
    answer = raw.post("/v1/feedback", event, token)
    assert (answer.status, answer.code) == (403, "forbidden_user")


def test_invalid_feedback_is_refused_with_the_reason_and_nothing_written(raw: Any, token: str, bridge: Any) -> None:
    events = bridge.profile.stats()["feedback_events"]
    answer = raw.post(
        "/v1/feedback", {"site": "stackoverflow", "item": "q1", "accepted": ["a"], "rejected": ["a"]}, token
    )
    assert (answer.status, answer.code) == (400, "bad_feedback")
    assert "both accepted and rejected" in answer.json["error"]["message"]
    assert bridge.profile.stats()["feedback_events"] == events


def test_vocab_autocompletes_from_the_users_own_tags(raw: Any, bridge: Any) -> None:
    _, tok = bridge.tokens.create("cli", user="vocab-user")
    for n, tags in enumerate([["python", "pandas"], ["python"], ["pytest"], ["java"]]):
        assert raw.post("/v1/feedback", {"site": "files", "item": f"f{n}", "final": tags}, tok).status == 200
    found = raw.get("/v1/vocab?prefix=Py&limit=5", tok).json["tags"]
    assert [t["tag"] for t in found] == ["python", "pytest"]
    assert found[0]["items"] == 2 and found[0]["last_used"]
    assert [t["tag"] for t in raw.get("/v1/vocab?prefix=%25", tok).json["tags"]] == []  # LIKE wildcards are literal
    assert len(raw.get("/v1/vocab", tok).json["tags"]) == 4


def test_pairing_delivers_a_token_once_after_approval(raw: Any, bridge: Any) -> None:
    headers = {"Origin": EXTENSION}
    assert raw.post("/v1/pair", {"name": "Chrome"}, headers=headers).code == "pairing_closed"
    bridge.pairing.open_window()
    try:
        started = raw.post("/v1/pair", {"name": "Chrome"}, headers=headers)
        assert started.status == 202 and len(started.json["code"]) == 6
        request = started.json["request"]
        assert raw.post(f"/v1/pair/{request}", None, headers=headers).json == {"status": "pending", "token": None}
        assert raw.post(f"/v1/pair/{request}", None, headers={"Origin": "chrome-extension://someoneelse"}).status == 404
        (waiting,) = bridge.pairing.pending()
        assert waiting.code == started.json["code"] and waiting.name == "Chrome"
        bridge.pairing.approve(waiting.id)
        approved = raw.post(f"/v1/pair/{request}", None, headers=headers).json
        assert approved["status"] == "approved" and approved["token"].startswith("tgr_")
        assert raw.post(f"/v1/pair/{request}", None, headers=headers).status == 404  # delivered once
        token = approved["token"]
        assert raw.post("/v1/suggest", SO_DRAFT, token, headers=headers).status == 200
        assert raw.post("/v1/unpair", None, token, headers=headers).json == {"unpaired": True}
        assert raw.post("/v1/suggest", SO_DRAFT, token, headers=headers).code == "invalid_token"
    finally:
        bridge.pairing.close_window()


def test_a_denied_pairing_request_gets_no_token(raw: Any, bridge: Any) -> None:
    headers = {"Origin": EXTENSION}
    bridge.pairing.open_window()
    try:
        request = raw.post("/v1/pair", {"name": "Firefox"}, headers=headers).json["request"]
        bridge.pairing.deny(bridge.pairing.pending()[0].id)
        assert raw.post(f"/v1/pair/{request}", None, headers=headers).json["status"] == "denied"
    finally:
        bridge.pairing.close_window()


def test_pairing_requests_are_capped_while_the_user_decides(raw: Any, bridge: Any) -> None:
    from extension_bridge.pairing import MAX_PENDING

    headers = {"Origin": EXTENSION}
    bridge.pairing.open_window()
    try:
        codes = [raw.post("/v1/pair", {"name": f"x{n}"}, headers=headers).status for n in range(MAX_PENDING + 1)]
        assert codes == [202] * MAX_PENDING + [429]
    finally:
        bridge.pairing.close_window()
    assert bridge.pairing.pending() == []


def test_a_pairing_name_that_could_hide_or_reverse_text_is_refused(raw: Any, bridge: Any) -> None:
    headers = {"Origin": EXTENSION}
    bridge.pairing.open_window()
    try:
        for name in ("Chrome\u202eevil", "Chrome\x1b[2J", "   ", "tab\there"):
            answer = raw.post("/v1/pair", {"name": name}, headers=headers)
            assert (answer.status, answer.code) == (400, "bad_request"), name
        assert bridge.pairing.pending() == []
        assert raw.post("/v1/pair", {"name": "火狐 on 笔记本"}, headers=headers).status == 202
    finally:
        bridge.pairing.close_window()


def test_scripts_cannot_pair_they_use_token_create(raw: Any, bridge: Any) -> None:
    bridge.pairing.open_window()
    try:
        answer = raw.post("/v1/pair", {"name": "script"})
        assert (answer.status, answer.code) == (403, "forbidden_origin")
        assert "tagrec token create" in answer.json["error"]["message"]
    finally:
        bridge.pairing.close_window()


def test_unknown_routes_and_methods_get_the_error_shape(raw: Any, token: str) -> None:
    assert (raw.get("/v1/nothing", token).status, raw.get("/v1/nothing", token).code) == (404, "not_found")
    answer = raw.request("DELETE", "/v1/suggest", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status, answer.code) == (405, "method_not_allowed") and "POST" in answer.headers["Allow"]
