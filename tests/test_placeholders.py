"""Tags learned with the data's number placeholder carry the post's own number (``tagrec_core.placeholders``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tagrec_core.placeholders import fill_numbers, has_number
from tagrec_core.recommender import Recommender
from tagrec_core.records import Record
from tagrec_core.text import normalize, normalize_tag
from tagrec_core.training import train


def filled(tag: str, text: str) -> str:
    return fill_numbers(normalize_tag(tag), normalize(text))


@pytest.mark.parametrize(
    ("tag", "text", "expected"),
    [
        ("starcraft-DIGIT", "Is StarCraft 2 worth it?", "starcraft-2"),
        ("starcraft-DIGIT", "starcraft2 on a laptop", "starcraft-2"),
        ("left-DIGIT-dead-DIGIT", "Left 4 Dead 2 co-op", "left-4-dead-2"),
        ("python-DIGIT.x", "Moving to Python 3.x", "python-3.x"),
        ("创造营DIGIT", "创造营2019 今晚总决赛", "创造营2019"),
        ("mwcDIGIT", "MWC 2019 news", "mwc2019"),
        ("DIGIT篮球世界杯", "2019篮球世界杯开幕", "2019篮球世界杯"),
        # One placeholder: the word before it (a Chinese word's last four characters) or after it is enough.
        ("创造营DIGIT超话", "创造营 2020 决赛", "创造营2020超话"),
        ("创造营团名硬糖少女DIGIT", "硬糖少女303出道", "创造营团名硬糖少女303"),
        ("iphone-DIGIT-plus", "my iphone 6 broke", "iphone-6-plus"),
    ],
)
def test_the_posts_number_fills_the_placeholder(tag: str, text: str, expected: str) -> None:
    assert filled(tag, text) == expected


@pytest.mark.parametrize(
    ("tag", "text"),
    [
        ("starcraft-DIGIT", "starcraft DIGIT campaign"),  # the data sets' own text: the tag its truth is in
        ("starcraft-DIGIT", "StarCraft is fun"),  # no number
        ("starcraft-DIGIT", "superstarcraft 2"),  # inside another word
        ("starcraft-DIGIT", "starcraft 2x"),
        ("DIGIT", "2019"),  # nothing but the placeholder: any number would do, so none is taken
        ("体育迷失恋DIGIT天", "失恋33天"),  # neither neighbour stands beside the number
        ("digital-signature", "a digital signature from 2019"),  # a real word, not a placeholder
    ],
)
def test_without_its_number_in_the_post_a_tag_stays_as_learned(tag: str, text: str) -> None:
    assert filled(tag, text) == normalize_tag(tag)


def test_a_tag_needs_more_than_placeholders_to_be_filled() -> None:
    assert has_number("starcraft-digit") and has_number("创造营digit")
    assert not has_number("digit") and not has_number("digit-digit") and not has_number("python")


def test_a_match_never_spans_the_title_and_the_body() -> None:
    # The recommender joins the normalised title and body with a newline, which no separator matches.
    assert fill_numbers("starcraft-digit", "why starcraft\n2 players quit") == "starcraft-digit"


@pytest.fixture(scope="module")
def model(make_posts: Callable[..., list[dict[str, Any]]], tiny_config: Callable[..., Any]) -> Any:
    """A real (tiny) model of the synthetic posts and of posts tagged ``starcraft-DIGIT``, as the data have them."""
    posts = make_posts(120, 0, seed=7)
    records = [Record(p["id"], p["title"], p["body"], tuple(p["tags"])) for p in posts]
    games = ["zerg rush build order", "protoss campaign mission", "terran ladder replay", "zerg protoss matchup"]
    for i in range(40):
        records.append(Record(f"sc-{i}", f"starcraft DIGIT {games[i % 4]}", "", ("starcraft-DIGIT",)))
    return train(records, None, tiny_config())


def test_suggestions_carry_the_number_the_post_holds(model: Any) -> None:
    recommender = Recommender(model)
    tags = [s.tag for s in recommender.suggest("StarCraft 2: zerg rush build order?")]
    assert tags[0] == "starcraft-2"
    assert "starcraft-digit" not in tags
    # A post written as the data sets are keeps the learned tag; so does one without a number.
    assert recommender.suggest("starcraft DIGIT zerg rush build order")[0].tag == "starcraft-digit"
    assert recommender.suggest("starcraft zerg rush build order")[0].tag == "starcraft-digit"


def test_a_filled_tag_already_chosen_is_not_suggested_again(model: Any) -> None:
    recommender = Recommender(model)
    tags = [s.tag for s in recommender.suggest("StarCraft 2: zerg rush build order?", tags=["StarCraft-2"])]
    assert "starcraft-2" not in tags and "starcraft-digit" not in tags
    # The next tag takes the left-out one's place: still k suggestions.
    for k in (1, 3):
        assert len(recommender.suggest("StarCraft 2: zerg rush build order?", tags=["StarCraft-2"], k=k)) == k
