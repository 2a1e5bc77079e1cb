"""The public API: ``tagrec_core.load(path).suggest(...)``, ``suggest_many``, and concurrent use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tagrec_core
from tagrec_core import Recommender, Suggestion
from tagrec_core.records import Record
from tagrec_core.training import train


@pytest.fixture(scope="module")
def recommender(tiny_model_path: Path) -> Recommender:
    return tagrec_core.load(tiny_model_path)


def test_load_accepts_str_and_path(tiny_model_path: Path) -> None:
    assert isinstance(tagrec_core.load(str(tiny_model_path)), Recommender)
    assert isinstance(tagrec_core.load(tiny_model_path), Recommender)


def test_suggest_returns_sorted_suggestions_with_fields(recommender: Recommender) -> None:
    result = recommender.suggest(title="How do I merge two pandas dataframe?", body="", tags=(), user=None, k=5)
    assert len(result) == 5
    assert all(isinstance(s, Suggestion) for s in result)
    for s in result:
        assert isinstance(s.tag, str) and s.tag
        assert isinstance(s.score, float) and 0.0 <= s.score <= 1.0
        assert s.source == "classifier"
        assert isinstance(s.reason, str) and "tagged posts" in s.reason
    scores = [s.score for s in result]
    assert scores == sorted(scores, reverse=True)
    assert {s.tag for s in result[:2]} == {"python", "pandas"}
    assert len({s.tag for s in result}) == 5
    first = result[0]
    assert first.to_dict() == {"tag": first.tag, "score": first.score, "source": "classifier", "reason": first.reason,
                               "why": {"code": "learned", "count": first.why.count}}  # fmt: skip
    assert Suggestion.from_dict(result[0].to_dict()) == result[0]


@pytest.mark.parametrize("k", [1, 3, 7])
def test_k_is_respected(recommender: Recommender, k: int) -> None:
    assert len(recommender.suggest("react component state", k=k)) == k


def test_k_larger_than_vocabulary_gives_every_tag_once(recommender: Recommender) -> None:
    n_tags = len(recommender.model.vocab)
    result = recommender.suggest("react component state", k=n_tags + 10)
    assert sorted(s.tag for s in result) == sorted(recommender.model.vocab.tags)


def test_k_zero_gives_nothing(recommender: Recommender) -> None:
    assert recommender.suggest("react component state", k=0) == []


def test_chosen_tags_are_excluded_case_insensitively(recommender: Recommender) -> None:
    plain = recommender.suggest("How do I merge two pandas dataframe?", k=5)
    assert plain[0].tag in {"python", "pandas"}
    result = recommender.suggest("How do I merge two pandas dataframe?", tags=["Python", " PANDAS "], k=5)
    assert {"python", "pandas"}.isdisjoint(s.tag for s in result)
    assert len(result) == 5
    # the rest keeps its order
    longer = recommender.suggest("How do I merge two pandas dataframe?", k=7)
    assert [s.tag for s in result] == [s.tag for s in longer if s.tag not in {"python", "pandas"}][:5]


def test_user_is_accepted(recommender: Recommender) -> None:
    assert recommender.suggest("react state", user="alice") == recommender.suggest("react state")


def test_chinese_post(recommender: Recommender) -> None:
    assert recommender.suggest(title="女排比赛", body="朱婷扣球", k=1)[0].tag == "中国女排"


@pytest.fixture(scope="module")
def float_recommender(train_records: list[Record], tiny_config: Callable[..., Any]) -> Recommender:
    return Recommender(train(train_records, None, tiny_config(quantize=False)))


@pytest.mark.parametrize("kind", ["float", "int8"])
def test_suggest_many_equals_suggest_per_post(
    request: pytest.FixtureRequest, kind: str, heldout_records: list[Record]
) -> None:
    recommender = request.getfixturevalue("float_recommender" if kind == "float" else "recommender")
    posts = [(r.title, r.body) for r in heldout_records] + [("", "docker compose volume"), ("女排", "")]
    chosen = [r.tags[:1] for r in heldout_records] + [(), ("中国女排",)]
    many = recommender.suggest_many(posts, chosen, k=4, batch_size=7)
    assert many == [recommender.suggest(t, b, tags=c, k=4) for (t, b), c in zip(posts, chosen, strict=True)]


def test_concurrent_calls_give_the_sequential_results(recommender: Recommender, heldout_records: list[Record]) -> None:
    posts = [(r.title, r.body) for r in heldout_records[::2]][:50]
    expected = [recommender.suggest(t, b, k=5) for t, b in posts]
    results: dict[int, list[Any]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            start.wait()
            order = posts if n % 2 == 0 else posts[::-1]
            got = [recommender.suggest(t, b, k=5) for t, b in order]
            results[n] = got if n % 2 == 0 else got[::-1]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sorted(results) == list(range(8))
    for n in range(8):
        assert results[n] == expected, n


def test_why_writes_the_english_reason_with_its_plural() -> None:
    from tagrec_core.suggestion import WHY_CODES, Why

    table = [
        (Why("similar_posts", count=1), "1 similar post"),
        (Why("similar_posts", count=3), "3 similar posts"),
        (Why("learned", count=12), "learned from 12 tagged posts"),
        (Why("used_on_similar", count=1), "you used it on 1 similar item"),
        (Why("used", count=2), "you used it 2 times"),
        (Why("used_with", tag="pandas"), "often used with pandas"),
        (Why("implied_by", tag="pandas"), "implied by pandas"),
        (Why("in_title"), "appears in the title"),
        (Why("a_code_of_a_newer_tagrec", count=2), ""),  # unknown: no text (the UIs show the given reason)
    ]
    for why, text in table:
        assert why.text() == text, why
        assert Why.from_dict(why.to_dict()) == why
    assert Why("in_title").to_dict() == {"code": "in_title"}  # no null arguments in the stored form
    assert all(Why(code, count=2, tag="x").text() for code in WHY_CODES)


def test_suggestions_stored_before_why_existed_still_load() -> None:
    old = {"tag": "pandas", "score": 0.5, "source": "text", "reason": "appears in the title"}
    assert Suggestion.from_dict(old) == Suggestion("pandas", 0.5, "text", "appears in the title", None)
