"""The user model's vocabulary numbers (``profile.user_model``): the decayed totals and the heaviest tags, kept
in arrays row by row, agree with the entries they come from as events arrive, tags change and the user is reset."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from tagrec_core.profile import Profile, parse_feedback
from tagrec_core.profile.learning import HALF_LIFE_LONG, HALF_LIFE_SHORT
from tagrec_core.profile.user_model import UserModel

USER = "ana"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with Profile.open(tmp_path / "profile.sqlite", recover=False) as opened:
        yield opened


def record(profile: Profile, item: str, accepted: list[str], rejected: Sequence[str] = ()) -> None:
    profile.record(
        parse_feedback({
            "user": USER, "site": "files", "item": item, "title": f"notes {item}", "body": "",
            "shown": [*accepted, *rejected], "accepted": accepted, "rejected": list(rejected),
        })
    )  # fmt: skip


def refreshed(model: UserModel, profile: Profile) -> UserModel:
    model.refresh(profile.reader(), profile.user(USER))
    return model


def entry_by_entry(model: UserModel) -> tuple[float, float, list[str]]:
    """The totals and the heaviest tags worked out from the entries one at a time, as the model defines them."""
    short = sum(model.weight(e, HALF_LIFE_SHORT) for e in model.vocab.values())
    long_ = sum(model.weight(e, HALF_LIFE_LONG) for e in model.vocab.values())
    live = [(model.weight(e, HALF_LIFE_LONG), t) for t, e in model.vocab.items() if e.items > 0]
    return short, long_, [t for _, t in sorted(live, key=lambda x: (-x[0], x[1]))]


def assert_agrees(model: UserModel) -> None:
    short, long_, heaviest = entry_by_entry(model)
    assert model.total(HALF_LIFE_SHORT) == pytest.approx(short, rel=1e-12)
    assert model.total(HALF_LIFE_LONG) == pytest.approx(long_, rel=1e-12)
    for n in (0, 1, 3, 10, len(heaviest) + 5):
        assert model.top_tags(n) == heaviest[:n]


def test_totals_and_heaviest_tags_follow_every_event(profile: Profile) -> None:
    model = UserModel(USER, np.ones(1 << 20, np.float32))
    # 40 tags (past the arrays' first capacity of 16), old ones decaying, some rejected without ever being used.
    for i in range(60):
        accepted = [f"topic-{i % 40}", "daily"] if i % 3 else [f"topic-{i % 40}"]
        record(profile, f"item-{i}", accepted, rejected=[f"never-{i % 5}"])
        assert_agrees(refreshed(model, profile))
    assert len(model.vocab) == 46
    assert model.top_tags(1) == ["daily"]
    assert not {"never-0", "never-1"} & set(model.top_tags(100))  # rejected only: not a tag of theirs


def test_equal_weights_come_in_tag_order(profile: Profile) -> None:
    model = UserModel(USER, np.ones(1 << 20, np.float32))
    record(profile, "one", ["zeta", "alpha", "mid"])
    refreshed(model, profile)
    assert model.top_tags(2) == ["alpha", "mid"]
    assert model.top_tags(3) == ["alpha", "mid", "zeta"]


def test_a_reset_user_starts_from_nothing(profile: Profile) -> None:
    model = UserModel(USER, np.ones(1 << 20, np.float32))
    for i in range(20):
        record(profile, f"item-{i}", [f"old-{i}"])
    refreshed(model, profile)
    profile.reset(USER)
    record(profile, "fresh", ["new"])
    refreshed(model, profile)
    assert model.top_tags(5) == ["new"]
    assert_agrees(model)
