"""Personal ranking with a real (tiny) trained model and a real profile file: new personal tags, rejections,
aliases, implied tags, chosen tags, and feedback written through another connection seen at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tagrec_core.profile import Profile, parse_feedback
from tagrec_core.profile import personal as personal_ranking
from tagrec_core.profile.personal import SOURCE
from tagrec_core.recommender import Recommender, Suggestion
from tagrec_core.suggestion import Why

TAX_TEXTS = [
    ("Income tax return deduction form", "which receipts count for the deduction"),
    ("Tax deduction receipts for my income return", "home office and travel"),
    ("Filing the income tax return online", "the deduction form asks for receipts"),
]
TAX_QUERY = ("How do I claim an income tax deduction on my return?", "receipts from the home office")
PANDAS_POST = ("How do I merge two pandas dataframe?", "merge on a column with groupby")
DOCKER_POST = ("Why does my docker container lose its volume?", "docker compose volume image")


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with Profile.open(tmp_path / "profile.sqlite", recover=False) as opened:
        yield opened


@pytest.fixture
def personal(tiny_ranker: Any, profile: Profile) -> Recommender:
    return Recommender(tiny_ranker, profile)


@pytest.fixture(scope="module")
def base(tiny_ranker: Any) -> Recommender:
    return Recommender(tiny_ranker)


def tags(suggestions: list[Suggestion]) -> list[str]:
    return [s.tag for s in suggestions]


def accept(
    profile: Profile, recommender: Recommender, user: str, item: str, post: tuple[str, str], *chosen: str
) -> None:
    """What a front-end sends: the suggestions it showed for the post, and the tags the user took."""
    shown = tags(recommender.suggest(*post, user=user))
    profile.record(
        parse_feedback({
            "user": user, "site": "files", "item": item, "title": post[0], "body": post[1], "shown": shown,
            "accepted": list(chosen), "rejected": [t for t in shown if t not in chosen][:2],
        })
    )  # fmt: skip


def rank(suggestions: list[Suggestion], tag: str) -> int:
    """The tag's position (len when absent)."""
    return tags(suggestions).index(tag) if tag in tags(suggestions) else len(suggestions)


def score(suggestions: list[Suggestion], tag: str) -> float:
    return next((s.score for s in suggestions if s.tag == tag), 0.0)


def test_a_new_personal_tag_reaches_the_top_for_its_user_only(
    personal: Recommender, base: Recommender, profile: Profile
) -> None:
    assert personal.suggest(*TAX_QUERY, user="alice") == base.suggest(*TAX_QUERY)  # unknown user: the base's
    profile.record(parse_feedback({"user": "carol", "site": "files", "item": "c1", "title": PANDAS_POST[0],
                                   "accepted": ["python", "pandas"]}))  # fmt: skip
    for n, post in enumerate(TAX_TEXTS):
        accept(profile, personal, "alice", f"tax-{n}", post, "tax-2025")
    mine = personal.suggest(*TAX_QUERY, user="alice")
    assert "tax-2025" in tags(mine), mine
    found = mine[rank(mine, "tax-2025")]
    assert found.source == SOURCE and found.reason.startswith("you used it on ")
    assert found.why is not None and found.why.code == "used_on_similar" and found.reason == found.why.text()
    assert found.reason == f"you used it on {found.why.count} similar items" and found.why.count > 1
    assert 0.0 <= found.score <= 1.0
    assert "tax-2025" not in tags(personal.suggest(*TAX_QUERY, user="carol"))  # known, but never used it
    assert personal.suggest(*TAX_QUERY, user="bob") == base.suggest(*TAX_QUERY)  # unknown: untouched
    assert "tax-2025" not in tags(personal.suggest(*TAX_QUERY))  # the local user is someone else too
    # The tag belongs to tax posts: a pandas question of alice's does not get it first.
    assert tags(personal.suggest(*PANDAS_POST, user="alice"))[0] != "tax-2025"


def test_the_suggestions_stay_well_formed(personal: Recommender, profile: Profile) -> None:
    for n, post in enumerate(TAX_TEXTS):
        accept(profile, personal, "alice", f"tax-{n}", post, "tax-2025", "finance")
    for k in (1, 3, 5, 12):
        result = personal.suggest(*TAX_QUERY, user="alice", k=k)
        assert len(result) == k
        assert len(set(tags(result))) == k
        scores = [s.score for s in result]
        assert all(0.0 <= s <= 1.0 for s in scores) and all(s.reason for s in result)
        assert scores == sorted(scores, reverse=True)
    assert personal.suggest(*TAX_QUERY, user="alice", k=0) == []


def test_a_rejected_suggestion_ranks_lower_afterwards(personal: Recommender, profile: Profile) -> None:
    profile.record(parse_feedback({"user": "dave", "site": "files", "item": "g", "title": "roses in spring",
                                   "accepted": ["gardening"]}))  # fmt: skip
    before = personal.suggest(*TAX_QUERY, user="dave", k=10)
    kept, *rejected_tags = tags(before)[:3]  # dave rejects the second and third suggestions
    for n in range(3):
        profile.record(parse_feedback({
            "user": "dave", "site": "files", "item": f"d{n}", "title": f"a note {n}",
            "shown": rejected_tags, "rejected": rejected_tags,
        }))  # fmt: skip
        after = personal.suggest(*TAX_QUERY, user="dave", k=10)
        for rejected in rejected_tags:
            assert score(after, rejected) < score(before, rejected), (n, rejected, after)
    for rejected in rejected_tags:
        assert rank(after, rejected) > rank(before, rejected), (before, after)
    assert score(after, kept) == score(before, kept)  # the others keep their place
    assert personal.suggest(*TAX_QUERY, user="someone-else", k=10) == personal.suggest(*TAX_QUERY, k=10)


def test_an_alias_replaces_the_suggested_tag(personal: Recommender, profile: Profile, base: Recommender) -> None:
    assert "python" in tags(base.suggest(*PANDAS_POST))
    profile.set_alias("python", "python3", "erin")  # erin calls it python3
    mine = tags(personal.suggest(*PANDAS_POST, user="erin", k=8))
    assert "python3" in mine[:3] and "python" not in mine
    assert "python" in tags(personal.suggest(*PANDAS_POST, user="someone-else", k=8))
    # Chosen under either name, neither comes back.
    for chosen in (["python"], ["Python3"]):
        again = tags(personal.suggest(*PANDAS_POST, tags=chosen, user="erin", k=8))
        assert "python" not in again and "python3" not in again


def test_implied_tags_follow_the_tag_that_implies_them(personal: Recommender, profile: Profile) -> None:
    profile.set_implied("pandas", "data-analysis", "frank")
    mine = personal.suggest(*PANDAS_POST, user="frank", k=6)
    assert "pandas" in tags(mine)
    at = rank(mine, "pandas")
    assert mine[at + 1].tag == "data-analysis" and mine[at + 1].reason == "implied by pandas"
    assert mine[at + 1].why == Why("implied_by", tag="pandas")
    assert mine[at + 1].score == mine[at].score
    chosen = personal.suggest(*PANDAS_POST, tags=["Pandas"], user="frank", k=6)
    assert chosen[0].tag == "data-analysis" and chosen[0].reason == "implied by pandas"
    assert "pandas" not in tags(chosen) and len(chosen) == 6
    # Already chosen itself: not suggested again.
    assert "data-analysis" not in tags(personal.suggest(*PANDAS_POST, tags=["pandas", "data-analysis"], user="frank"))


def test_chosen_tags_are_never_suggested(personal: Recommender, profile: Profile) -> None:
    for n, post in enumerate(TAX_TEXTS):
        accept(profile, personal, "alice", f"tax-{n}", post, "tax-2025")
    profile.set_alias("py", "python", "alice")
    everything = tags(personal.suggest(*TAX_QUERY, user="alice", k=40))
    assert "tax-2025" in everything and "python" in everything
    chosen = ["TAX-2025", "py", everything[2]]
    result = tags(personal.suggest(*TAX_QUERY, tags=chosen, user="alice", k=40))
    assert not {"tax-2025", "python", "py", everything[2]} & set(result)
    many = personal.suggest_many([TAX_QUERY, PANDAS_POST], [["tax-2025"], ["pandas"]], k=20, users=["alice", "x"])
    assert "tax-2025" not in tags(many[0]) and "pandas" not in tags(many[1])


def test_suggest_many_is_per_user(personal: Recommender, profile: Profile) -> None:
    for n, post in enumerate(TAX_TEXTS):
        accept(profile, personal, "alice", f"tax-{n}", post, "tax-2025")
    users = ["alice", "bob", "alice", None]
    posts = [TAX_QUERY, TAX_QUERY, PANDAS_POST, TAX_QUERY]
    many = personal.suggest_many(posts, k=5, users=users, batch_size=3)
    assert many == [personal.suggest(*post, user=user) for post, user in zip(posts, users, strict=True)]
    assert "tax-2025" in tags(many[0]) and "tax-2025" not in tags(many[1])


def test_feedback_through_another_connection_is_seen_by_the_next_suggestion(
    tiny_ranker: Any, profile: Profile, base: Recommender
) -> None:
    personal = Recommender(tiny_ranker, profile)
    assert personal.suggest(*TAX_QUERY, user="gina") == base.suggest(*TAX_QUERY)
    with Profile.open(profile.path, recover=False) as other:  # e.g. the CLI or the bridge, elsewhere
        other.record(parse_feedback({"user": "gina", "site": "files", "item": "g1", "title": TAX_TEXTS[0][0],
                                     "body": TAX_TEXTS[0][1], "accepted": ["tax-2025"]}))  # fmt: skip
        assert "tax-2025" in tags(personal.suggest(*TAX_QUERY, user="gina"))
        other.set_alias("tax-2025", "taxes", "gina")  # a rule: everything is reloaded
        assert "taxes" in tags(personal.suggest(*TAX_QUERY, user="gina"))
        other.remove_alias("tax-2025", "gina")
        other.forget_tag("tax-2025", "gina")  # a deletion: the cached model rebuilds
        after_forget = tags(personal.suggest(*TAX_QUERY, user="gina", k=20))
        assert "tax-2025" not in after_forget and "taxes" not in after_forget
        other.record(parse_feedback({"user": "gina", "site": "files", "item": "g2", "title": TAX_TEXTS[1][0],
                                     "accepted": ["tax-2026"]}))  # fmt: skip
        assert "tax-2026" in tags(personal.suggest(*TAX_QUERY, user="gina"))
        other.reset("gina")  # gone: the base model's suggestions again
        assert personal.suggest(*TAX_QUERY, user="gina") == base.suggest(*TAX_QUERY)
        other.record(parse_feedback({"user": "gina", "site": "files", "item": "g3", "title": TAX_TEXTS[2][0],
                                     "accepted": ["tax-2027"]}))  # fmt: skip
        mine = tags(personal.suggest(*TAX_QUERY, user="gina", k=20))
        assert "tax-2027" in mine and "tax-2026" not in mine


def test_a_classifier_only_model_is_personal_too(tiny_model: Any, profile: Profile) -> None:
    personal = Recommender(tiny_model, profile)
    assert tiny_model.ranking is None
    for n, post in enumerate(TAX_TEXTS):
        accept(profile, personal, "alice", f"tax-{n}", post, "tax-2025")
    assert "tax-2025" in tags(personal.suggest(*TAX_QUERY, user="alice"))
    assert "tax-2025" not in tags(personal.suggest(*TAX_QUERY, user="bob"))


def test_suggesting_while_feedback_is_written_is_safe(personal: Recommender, profile: Profile) -> None:
    errors: list[str] = []
    done = threading.Event()

    def write() -> None:
        try:
            for n in range(40):
                user = ("alice", "bob")[n % 2]
                post = TAX_TEXTS[n % 3]
                profile.record(parse_feedback({"user": user, "site": "files", "item": f"w{n}", "title": post[0],
                                               "accepted": [f"tag-{n % 5}", "tax-2025"]}))  # fmt: skip
        except Exception as error:
            errors.append(repr(error))
        finally:
            done.set()

    def suggest(user: str) -> None:
        try:
            while not done.is_set():
                result = personal.suggest(*TAX_QUERY, user=user)
                assert len(result) == 5
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=write)] + [threading.Thread(target=suggest, args=(u,)) for u in ("alice", "bob")]
    threads += [threading.Thread(target=suggest, args=("alice",))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert "tax-2025" in tags(personal.suggest(*TAX_QUERY, user="alice"))


def test_habits_only_come_to_posts_like_the_users_own(personal: Recommender, profile: Profile) -> None:
    profile.record(parse_feedback({"user": "erin", "site": "stackoverflow", "item": "q", "title": PANDAS_POST[0],
                                   "body": PANDAS_POST[1], "accepted": ["erins-dataframes"]}))  # fmt: skip
    assert "erins-dataframes" in tags(personal.suggest(*PANDAS_POST, user="erin", k=5))
    unlike = personal.suggest("今天的足球比赛太精彩了，梅西又进球了", "", user="erin", k=10)
    assert "erins-dataframes" not in tags(unlike)
    assert tags(unlike) == tags(personal.suggest("今天的足球比赛太精彩了，梅西又进球了", "", user="nobody", k=10))


def test_the_shipped_personal_network_reads_every_feature() -> None:
    """``resources/personal.json`` was fitted (``python -m bench.profile fit``) on the current feature list: a
    feature added without refitting would be ignored silently."""
    network = personal_ranking.network()
    assert network.names == personal_ranking.FEATURES
    assert network.w1.shape == (len(personal_ranking.FEATURES), len(network.b1))


def test_a_reset_user_loses_their_tags_even_after_new_feedback(personal: Recommender, profile: Profile) -> None:
    # The running app keeps each user's model in memory. After a reset, the user's next event creates them
    # again, often under the same id: the next suggestion must come from the new profile, not the cached one.
    for n, post in enumerate(TAX_TEXTS):
        accept(profile, personal, "alice", f"tax-{n}", post, "tax-2025")
    assert "tax-2025" in tags(personal.suggest(*TAX_QUERY, user="alice"))
    profile.reset("alice")
    accept(profile, personal, "alice", "docker-1", DOCKER_POST, "docker")
    assert "tax-2025" not in tags(personal.suggest(*TAX_QUERY, user="alice"))
