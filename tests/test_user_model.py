"""The user model (``profile.user_model``): its vocabulary numbers (the decayed totals and the heaviest tags, kept
in arrays row by row) agree with the entries they come from as events arrive, tags change and the user is reset;
its items' neighbour search (``profile.item_index``) finds what a brute-force scan finds, by whatever path the
items arrived, without reading or copying the whole history at each suggestion."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from tagrec_core.profile import Profile, parse_feedback
from tagrec_core.profile.item_index import ItemIndex, tfidf
from tagrec_core.profile.learning import HALF_LIFE_LONG, HALF_LIFE_SHORT
from tagrec_core.profile.user_model import UserModel
from tagrec_core.retrieval import query_terms
from tagrec_core.text import normalize

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


# --- the items' neighbour search (``profile.item_index``) -------------------------------------------------------


def brute_force(
    items: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, list[str]]],
    query: tuple[np.ndarray, np.ndarray],
    k: int,
) -> list[tuple[float, list[str]]]:
    """The definition the index must meet: every item's cosine with the query (the float64 sum, in ascending term
    order, of float32 products), the ``k`` highest, equal ones in the order first put (``items``' order), then
    only those with tags and some similarity."""
    weight_of = dict(zip(query[0].tolist(), query[1].tolist(), strict=True))
    scored = []
    for order, (ids, weights, tags) in enumerate(items.values()):
        sim = 0.0
        for term, w in zip(ids.tolist(), weights, strict=True):
            if term in weight_of:
                sim += float(np.float32(w) * np.float32(weight_of[term]))
        scored.append((-sim, order, tags))
    return [(-neg, tags) for neg, _, tags in sorted(scored)[:k] if -neg > 0 and tags]


def test_neighbours_equal_a_brute_force_scan_through_appends_edits_merges_and_compaction() -> None:
    rng = np.random.default_rng(7)
    idf = rng.uniform(0.5, 4.0, 400).astype(np.float32)
    index = ItemIndex()
    truth: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, list[str]]] = {}

    def put(keys: list[tuple[str, str]]) -> None:
        # Few distinct terms so that items share many; some items repeat another's terms (equal similarities),
        # have no terms, or no tags.
        lengths = rng.integers(0, 12, len(keys))
        terms = rng.integers(0, 400, int(lengths.sum()))
        ids, weights, counts = tfidf(terms, lengths, idf)
        tags = [[] if rng.random() < 0.1 else [f"t{rng.integers(50)}"] for _ in keys]
        index.put(keys, ids, weights, counts, tags)
        ends = np.cumsum(counts)
        for key, end, n, item_tags in zip(keys, ends, counts, tags, strict=True):
            truth[key] = (ids[end - n : end], weights[end - n : end], item_tags)

    def check() -> None:
        for _ in range(15):
            n = int(rng.integers(1, 15))
            ids, weights, _ = tfidf(rng.integers(0, 400, n), np.array([n]), idf)
            query = (ids.astype(np.int64), weights)
            for k in (1, 20):
                assert index.neighbours(query, k) == brute_force(truth, query, k)

    put([("files", f"bulk-{i}") for i in range(3000)])  # one load of many (merged at once)
    check()
    for i in range(1500):  # one at a time, new items and edits of old ones, through several merges
        put([("files", f"one-{i}" if i % 3 else f"bulk-{rng.integers(3000)}")])
        if i % 300 == 0:
            check()
    for _ in range(2):  # every bulk item edited twice: its stale postings are dropped at the next merge
        put([("files", f"bulk-{i}") for i in range(3000)])
    put([("files", f"bulk-{i}") for i in range(10)] * 2)  # a key twice in one call: the last one counts
    check()
    assert len(index) == len(truth)


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Profile]:
    """A user with 10,000 items (about 190,000 stored terms) of random words."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(3000)]
    with Profile.open(tmp_path_factory.mktemp("long") / "profile.sqlite", recover=False) as opened:
        opened.record_many([
            parse_feedback({
                "user": USER, "site": "files", "item": f"item-{i}",
                "title": " ".join(rng.choice(words, 10)), "accepted": [f"tag-{rng.integers(300)}"],
            })
            for i in range(10_000)
        ])  # fmt: skip
        yield opened


def peak_bytes(action: Callable[[], object]) -> int:
    """The most memory ``action`` held at once beyond what was held before (Python and numpy allocations)."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_suggestion_reads_the_items_that_share_its_terms_not_the_whole_history(long_history: Profile) -> None:
    model = refreshed(UserModel(USER, np.ones(1 << 20, np.float32)), long_history)
    query = model.vector(query_terms(normalize("w1 w2 w3"), ""))
    assert model.neighbours(query, 5)
    # It was a scan of every stored term, in temporaries of 8 bytes per term (1.5 MB apiece; peak 3.9 MB).
    assert peak_bytes(lambda: model.neighbours(query, 5)) < 200_000


def test_feedback_between_suggestions_does_not_copy_the_history(long_history: Profile) -> None:
    model = refreshed(UserModel(USER, np.ones(1 << 20, np.float32)), long_history)
    query = model.vector(query_terms(normalize("w1 w2 w3"), ""))
    peaks = []
    for i in range(40):  # new items, and edits of old ones, each followed by a suggestion
        item = f"new-{i}" if i % 2 else f"item-{i * 97}"
        record(long_history, item, [f"tag-{i}"])
        peaks.append(peak_bytes(lambda: (refreshed(model, long_history), model.neighbours(query, 5))))
    # Each was a copy of every item's terms, or a rebuild after an edit (peak 7.7 MB); now growth is amortised:
    # an occasional doubling or merge, not one per event.
    assert sum(p > 500_000 for p in peaks) <= 2, peaks


def test_a_model_kept_fresh_event_by_event_finds_what_a_fresh_load_finds(profile: Profile) -> None:
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(60)]
    kept = UserModel(USER, np.ones(1 << 20, np.float32))
    for i in range(600):  # new items, and edits that change an old item's text and tags
        title = " ".join(rng.choice(words, 6))
        item = f"item-{i if i % 4 else rng.integers(max(1, i))}"
        event = {"user": USER, "site": "files", "item": item, "title": title, "accepted": [f"tag-{i % 25}"]}
        profile.record(parse_feedback(event))
        refreshed(kept, profile)
    loaded = refreshed(UserModel(USER, np.ones(1 << 20, np.float32)), profile)
    for n in range(20):
        query = kept.vector(query_terms(normalize(" ".join(rng.choice(words, 1 + n % 5))), ""))
        # Every item, so that no tie is cut: equal similarities keep the order in which this model first saw
        # the items, which differs between the two.
        found = kept.neighbours(query, 1000)
        assert found
        assert sorted(found) == sorted(loaded.neighbours(query, 1000))
