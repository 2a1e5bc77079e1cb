"""Tests of tagrec_core.retrieval: the TF-IDF index of tagged posts and its neighbours' tag vote."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch

from tagrec_core.retrieval import NEAR, TERM_BUCKETS, NeighbourVotes, PostIndex, post_terms, query_terms
from tagrec_core.text import normalize
from tests.conftest import format_two_index_state

POSTS = [
    # (text, tag ids)
    ("how to merge two pandas dataframes", [0, 1]),
    ("pandas groupby and merge on a column", [0, 1]),
    ("read a csv file with pandas", [1]),
    ("react hooks useeffect runs twice", [2, 3]),
    ("react component state not updating", [3]),
    ("postgres join on a foreign key", [4]),
    ("今天中国女排比赛朱婷扣球", [5]),
    ("中国女排世界杯冠军", [5]),
    ("火锅好吃麻辣味道", [6]),
]
N_TAGS = 8


def _terms(texts: list[str]) -> list[list[int]]:
    return [post_terms(t) for t in texts]


def _index(posts: list[tuple[str, list[int]]] = POSTS, **kwargs: float) -> PostIndex:
    return PostIndex.build(_terms([p[0] for p in posts]), [p[1] for p in posts], TERM_BUCKETS, N_TAGS, **kwargs)  # type: ignore[arg-type]


EXACT = {"query_mass": 1.0, "query_postings": 0}  # queries read every term: similarities are whole cosines


def _brute_force_similarities(terms: list[list[int]], query: list[int]) -> np.ndarray:
    """Cosine similarities of the query to every post, by the documented TF-IDF, densely over the used terms."""
    vocab = sorted({t for post in terms for t in post} | set(query))
    column = {t: i for i, t in enumerate(vocab)}

    def tf(post: list[int]) -> np.ndarray:
        row = np.zeros(len(vocab))
        for t in post:
            row[column[t]] += 1
        return row

    counts = np.stack([tf(p) for p in terms])
    df = (counts > 0).sum(axis=0)
    idf = np.log((1 + len(terms)) / (1 + df)) + 1

    def weigh(row: np.ndarray) -> np.ndarray:
        w = np.where(row > 0, 1 + np.log(np.maximum(row, 1)), 0) * idf
        return w / np.linalg.norm(w)

    return np.stack([weigh(r) for r in counts]) @ weigh(tf(query))


# --- post_terms --------------------------------------------------------------------------------------------


def test_post_terms_words_and_bigrams() -> None:
    def h(gram: str) -> int:
        return zlib.crc32(gram.encode("utf-8")) % TERM_BUCKETS

    assert post_terms("Merge Pandas DataFrames") == [
        h("merge"),
        h("panda"),
        h("dataframe"),
        h("merge panda"),
        h("panda dataframe"),
    ]
    assert post_terms("中国女排") == [
        *(h(c) for c in "中国女排"),
        h("中 国"),
        h("国 女"),
        h("女 排"),
        h("中国女"),
        h("国女排"),
    ]


def test_post_terms_trigrams_only_for_chinese() -> None:
    assert len(post_terms("a b c d")) == 4 + 3
    assert len(post_terms("1 2 3")) == 3 + 2
    assert len(post_terms("今天好")) == 3 + 2 + 1
    assert post_terms("") == []
    assert post_terms("!!! ...") == []
    terms = post_terms("hello world")
    assert all(0 <= t < TERM_BUCKETS for t in terms)


def test_post_terms_same_in_another_process() -> None:
    texts = ["How to merge two pandas DataFrames?", "今天中国女排比赛朱婷扣球", "C# vs C++ on .NET", ""]
    script = (
        "import json, sys\n"
        "from tagrec_core.retrieval import post_terms\n"
        "print(json.dumps([post_terms(t) for t in json.loads(sys.argv[1])]))\n"
    )
    # Python's own hash() differs between processes; a fixed, different seed makes that certain.
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(texts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert json.loads(done.stdout) == [post_terms(t) for t in texts]


# --- neighbours --------------------------------------------------------------------------------------------


def test_identical_post_is_nearest_with_similarity_one() -> None:
    index = _index(**EXACT)
    for post_id, (text, _tags) in enumerate(POSTS):
        posts, sims = index.neighbours(post_terms(text), 3)
        assert posts[0] == post_id
        assert sims[0] == pytest.approx(1.0, abs=1e-5)


def test_similarities_match_brute_force_and_are_sorted() -> None:
    index = _index(**EXACT)
    terms = _terms([p[0] for p in POSTS])
    query = post_terms("merge a pandas column from a csv")
    posts, sims = index.neighbours(query, len(POSTS))
    assert posts.dtype == np.int64
    assert sims.dtype == np.float32
    assert np.all(np.diff(sims) <= 0)
    assert np.all(sims > 0)
    assert np.all(sims <= 1 + 1e-5)
    expected = _brute_force_similarities(terms, query)
    assert set(posts.tolist()) == set(np.flatnonzero(expected > 0).tolist())
    np.testing.assert_allclose(sims, expected[posts], rtol=1e-5, atol=1e-6)


def test_posts_sharing_no_term_never_returned() -> None:
    index = _index()
    posts, _sims = index.neighbours(post_terms("react hooks"), 100)
    assert set(posts.tolist()) == {3, 4}
    posts, _sims = index.neighbours(post_terms("女排"), 100)
    assert set(posts.tolist()) == {6, 7}
    posts, sims = index.neighbours(post_terms("kubernetes helm chart"), 100)
    assert len(posts) == len(sims) == 0


def test_k_limits_and_k_larger_than_index() -> None:
    index = _index()
    query = post_terms("pandas merge react postgres on a 中国")
    posts_all, sims_all = index.neighbours(query, 1000)
    assert len(posts_all) == len(set(posts_all.tolist())) <= len(index)
    posts_two, sims_two = index.neighbours(query, 2)
    assert len(posts_two) == 2
    np.testing.assert_array_equal(sims_two, sims_all[:2])
    assert len(index.neighbours(query, 0)[0]) == 0


def test_empty_query() -> None:
    index = _index()
    for query in ([], post_terms(""), post_terms("!!!")):
        posts, sims = index.neighbours(query, 5)
        assert posts.shape == sims.shape == (0,)
        votes = index.votes(query, 5)
        assert len(votes.tags) == len(votes.share) == len(votes.count) == len(votes.best) == 0
        assert votes.top_similarity == 0.0
        assert votes.neighbours == 0


def test_unknown_term_ids_are_ignored() -> None:
    index = PostIndex.build([[1, 2], [2, 3]], [[0], [1]], 10, 2)
    posts, sims = index.neighbours([3, 50, 10_000], 5)
    assert posts.tolist() == [1]
    assert sims[0] == pytest.approx(_brute_force_similarities([[1, 2], [2, 3]], [3])[1], abs=1e-6)


def test_max_postings_reads_only_the_best_posting_of_each_term() -> None:
    # term 7 is in every post; the shorter the post, the heavier its weight for term 7.
    terms = [[7, 1, 2, 3], [7], [7, 4], [8, 9], [8]]
    tags = [[0], [1], [2], [3], [4]]
    full = PostIndex.build(terms, tags, 16, 5)
    capped = PostIndex.build(terms, tags, 16, 5, max_postings=1)
    assert sorted(full.neighbours([7], 10)[0].tolist()) == [0, 1, 2]
    posts, sims = capped.neighbours([7], 10)
    assert posts.tolist() == [1]
    assert sims[0] == pytest.approx(1.0, abs=1e-5)
    assert sorted(capped.neighbours([7, 8], 10)[0].tolist()) == [1, 4]


def test_query_budget_reads_the_heaviest_terms_first() -> None:
    # Term 7 is in every post (low idf), term 5 in one post (high idf), term 6 in two.
    terms = [[7, 5], [7, 6], [7, 6], [7], [7], [7]]
    tags = [[0], [1], [2], [3], [4], [5]]
    budgeted = PostIndex.build(terms, tags, 16, 6, query_mass=1.0, query_postings=2)
    unbudgeted = PostIndex.build(terms, tags, 16, 6, query_mass=1.0, query_postings=0)
    assert sorted(unbudgeted.neighbours([5, 6, 7], 10)[0].tolist()) == [0, 1, 2, 3, 4, 5]
    # 5 (1 posting) fits, 6 (2 postings) crosses the budget and is read whole, 7 is left out.
    assert sorted(budgeted.neighbours([5, 6, 7], 10)[0].tolist()) == [0, 1, 2]
    assert int(budgeted.lists(budgeted.vector([5, 6, 7]))[1].sum()) == 3
    assert int(unbudgeted.lists(unbudgeted.vector([5, 6, 7]))[1].sum()) == 9
    # Within the budget nothing changes.
    for query in ([5], [5, 6], [7]):
        a, b = budgeted.neighbours(query, 10), unbudgeted.neighbours(query, 10)
        assert a[0].tolist() == b[0].tolist()
        np.testing.assert_array_equal(a[1], b[1])


def test_query_reads_the_terms_that_hold_its_mass() -> None:
    terms = [[7, 5], [7, 6], [7, 6], [7], [7], [7]]
    tags = [[0], [1], [2], [3], [4], [5]]
    index = PostIndex.build(terms, tags, 16, 6, query_mass=0.85, query_postings=0)
    ids, weights = index.vector([5, 6, 7])
    squares = dict(zip(ids.tolist(), (weights**2).tolist(), strict=True))
    assert squares[5] + squares[6] >= 0.85 > squares[5]  # so 5 and 6 are read, 7 is not
    assert sorted(index.neighbours([5, 6, 7], 10)[0].tolist()) == [0, 1, 2]
    whole = PostIndex.build(terms, tags, 16, 6, query_mass=1.0, query_postings=0)
    assert sorted(whole.neighbours([5, 6, 7], 10)[0].tolist()) == [0, 1, 2, 3, 4, 5]
    assert index.neighbours([7], 10)[0].tolist() == whole.neighbours([7], 10)[0].tolist()  # one term: all of it


def test_query_reading_survives_extend_and_state_and_old_files_read_everything() -> None:
    index = PostIndex.build([[1, 2], [2, 3]], [[0], [1]], 10, 2, query_mass=0.8, query_postings=7)
    for copy in [index.extend([[3]], [[0]]), *_round_trips(index)]:
        assert (copy.query_mass, copy.query_postings) == (pytest.approx(0.8), 7)
    old_state = index.state()
    del old_state["query_postings"], old_state["query_mass"]  # a file written before 2026-11-24
    old = PostIndex.from_state(old_state)
    assert (old.query_mass, old.query_postings) == (1.0, 0)


# --- votes -------------------------------------------------------------------------------------------------


def test_votes_computed_by_hand() -> None:
    terms = [[1, 2], [1, 3], [1, 2, 3], [9]]
    tags = [[0, 1], [1], [2], [3]]
    index = PostIndex.build(terms, tags, 10, 4)
    query = [1, 2]
    posts, sims = index.neighbours(query, 3)
    sim = dict(zip(posts.tolist(), sims.tolist(), strict=True))
    assert set(sim) == {0, 1, 2}
    total = sim[0] + sim[1] + sim[2]
    votes = index.votes(query, 3)
    assert isinstance(votes, NeighbourVotes)
    assert votes.tags.tolist() == [0, 1, 2]
    np.testing.assert_allclose(votes.share, [sim[0] / total, (sim[0] + sim[1]) / total, sim[2] / total], rtol=1e-5)
    assert votes.count.tolist() == [1, 2, 1]
    np.testing.assert_allclose(votes.best, [sim[0], max(sim[0], sim[1]), sim[2]], rtol=1e-6)
    assert votes.top_similarity == pytest.approx(sims[0])
    assert votes.neighbours == 3
    assert votes.share.dtype == votes.best.dtype == np.float32
    assert votes.count.dtype == np.int32
    assert votes.tags.dtype == np.int64
    np.testing.assert_allclose(votes.share_near, votes.share, rtol=1e-6)  # 3 neighbours: all are near


def test_near_share_counts_only_the_closest_neighbours() -> None:
    # Post i shares term 0 with the query and i extra terms of its own, so post 0 is the closest, post 1
    # the next, and so on; post i carries tag i % 2.
    n = NEAR + 5
    terms = [[0, *range(100 + 10 * i, 100 + 10 * i + i)] for i in range(n)]
    index = PostIndex.build(terms, [[i % 2] for i in range(n)], 1000, 2)
    posts, sims = index.neighbours([0], n)
    assert posts.tolist() == list(range(n))
    votes = index.votes([0], n)
    near = sims[:NEAR]
    expected = [near[0::2].sum() / near.sum(), near[1::2].sum() / near.sum()]
    np.testing.assert_allclose(votes.share_near, expected, rtol=1e-5)
    assert not np.allclose(votes.share_near, votes.share)


def test_votes_shares_within_unit_interval() -> None:
    index = _index()
    votes = index.votes(post_terms("pandas merge react hooks 中国女排"), 5)
    assert len(votes.tags) == len(set(votes.tags.tolist()))
    assert np.all((votes.share > 0) & (votes.share <= 1 + 1e-6))
    assert np.all(votes.count >= 1)
    assert np.all(votes.count <= votes.neighbours)
    assert np.all(votes.best <= votes.top_similarity + 1e-6)


def test_votes_share_sums_to_one_when_every_post_has_one_tag() -> None:
    one_tag = [(text, tags[:1]) for text, tags in POSTS]
    votes = _index(one_tag).votes(post_terms("pandas merge react hooks 中国女排"), 4)
    assert float(votes.share.sum()) == pytest.approx(1.0, abs=1e-5)
    # Untagged neighbours count in the total, so the shares then sum to less than 1.
    untagged = [(text, tags[:1] if i % 2 else []) for i, (text, tags) in enumerate(POSTS)]
    votes = _index(untagged).votes(post_terms("pandas merge react hooks 中国女排"), 4)
    assert 0 < float(votes.share.sum()) < 1


def test_votes_exclude_post() -> None:
    index = _index()
    query = post_terms(POSTS[0][0])
    with_self = index.votes(query, 2)
    without = index.votes(query, 2, exclude_post=0)
    assert with_self.top_similarity == pytest.approx(1.0, abs=1e-5)
    assert without.neighbours == 2
    assert without.top_similarity < 0.99
    expected_posts, _sims = index.neighbours(query, 3)
    assert expected_posts[0] == 0
    kept = expected_posts[1:].tolist()
    assert without.tags.tolist() == sorted({t for p in kept for t in POSTS[p][1]})
    # Excluding a post that is not among the neighbours changes nothing.
    np.testing.assert_array_equal(index.votes(query, 2, exclude_post=8).share, with_self.share)


# --- growth and storage ------------------------------------------------------------------------------------


def _same_results(a: PostIndex, b: PostIndex, queries: list[str]) -> None:
    for text in queries:
        posts_a, sims_a = a.neighbours(post_terms(text), 100)
        posts_b, sims_b = b.neighbours(post_terms(text), 100)
        np.testing.assert_array_equal(posts_a, posts_b)
        np.testing.assert_allclose(sims_a, sims_b, rtol=1e-6, atol=1e-7)


QUERIES = ["merge pandas", "react state", "中国女排", "postgres foreign key join", "火锅"]


def test_extend_returns_new_index_equal_to_building_at_once() -> None:
    head, tail = POSTS[:5], POSTS[5:]
    old = _index(head)
    before = [old.neighbours(post_terms(q), 100) for q in QUERIES]
    grown = old.extend(_terms([p[0] for p in tail]), [p[1] for p in tail])
    assert grown is not old
    assert len(old) == 5
    assert len(grown) == len(POSTS)
    assert grown.n_tags == old.n_tags == N_TAGS
    for q, (posts, sims) in zip(QUERIES, before, strict=True):
        again = old.neighbours(post_terms(q), 100)
        np.testing.assert_array_equal(again[0], posts)
        np.testing.assert_array_equal(again[1], sims)
    _same_results(grown, _index(), QUERIES)
    assert 6 in grown.neighbours(post_terms("中国女排"), 5)[0].tolist()
    assert len(old.neighbours(post_terms("中国女排"), 5)[0]) == 0


def _round_trips(index: PostIndex) -> list[PostIndex]:
    direct = PostIndex.from_state(index.state())
    buffer = io.BytesIO()
    torch.save(index.state(), buffer)
    buffer.seek(0)
    loaded = PostIndex.from_state(torch.load(buffer, weights_only=True))
    return [direct, loaded]


def test_state_round_trip() -> None:
    index = _index(max_postings=3)
    for copy in _round_trips(index):
        assert len(copy) == len(index)
        assert copy.n_tags == index.n_tags
        assert copy.max_postings == 3
        _same_results(copy, index, QUERIES)
        query = post_terms("pandas merge react hooks 中国女排")
        a, b = index.votes(query, 4), copy.votes(query, 4)
        np.testing.assert_array_equal(a.tags, b.tags)
        np.testing.assert_array_equal(a.share, b.share)
        np.testing.assert_array_equal(a.count, b.count)


def test_state_round_trip_keeps_large_counts() -> None:
    # Counts above 2^15 pass through the int16 tensor of the state; above 2^16 they are clipped.
    terms = [[1] * 40_000 + [2], [1] * 70_000 + [3], [2, 3]]
    index = PostIndex.build(terms, [[0], [1], [0, 1]], 4, 2)
    assert index.counts[0, 1] == 40_000
    assert index.counts[1, 1] == np.iinfo(np.uint16).max
    for copy in _round_trips(index):
        np.testing.assert_array_equal(copy.counts.toarray(), index.counts.toarray())
        np.testing.assert_array_equal(copy.post_tags.toarray(), index.post_tags.toarray())
        for query in ([1], [2], [1, 3]):
            np.testing.assert_array_equal(copy.neighbours(query, 3)[0], index.neighbours(query, 3)[0])


def test_format_two_state_still_loads() -> None:
    index = _index()
    copy = PostIndex.from_state(format_two_index_state(index))
    np.testing.assert_array_equal(copy.counts.toarray(), index.counts.toarray())
    _same_results(copy, index, QUERIES)


def test_state_stores_posting_lists_as_gaps_in_byte_planes() -> None:
    # 2,000 posts sharing a few common terms and one rare term each: gaps within a common term's list are 1.
    terms = [[1, 2, 3, 1000 + p] for p in range(2000)]
    index = PostIndex.build(terms, [[p % 3] for p in range(2000)], TERM_BUCKETS, 3)
    state = index.state()
    assert state["posting_posts"].dtype == torch.uint8
    assert state["posting_posts"].shape == (2, 4 * 2000)  # post ids up to 1999 need two planes
    assert int(state["posting_posts"][1].count_nonzero()) <= 2003  # the high plane: only first posts of lists
    stored = sum(len(zlib.compress(v.numpy().tobytes())) for k, v in state.items() if k.startswith("posting_"))
    raw_ids = len(zlib.compress(index.counts.indices.astype(np.int32).tobytes()))
    assert stored < raw_ids
    copy = PostIndex.from_state(state)
    assert (copy.counts != index.counts).nnz == 0


def _with(state: dict[str, object], key: str, values: np.ndarray) -> dict[str, object]:
    from tagrec_core.arrays import to_planes

    return {**state, key: torch.from_numpy(to_planes(values))}


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: _with(s, "posting_lengths", np.array([1, 1])),  # fewer lists than terms
        lambda s: _with(s, "posting_terms", np.array([TERM_BUCKETS + 5] * len(s["posting_lengths"][0]))),
        lambda s: _with(s, "posting_posts", np.full(len(s["posting_counts"]), 40)),  # post 40 of 9
        lambda s: {**s, "tag_indices": torch.full((len(s["tag_indices"]),), 99, dtype=torch.int32)},
    ],
    ids=["lengths", "term-ids", "post-ids", "tag-ids"],
)
def test_damaged_state_is_a_value_error(damage: object) -> None:
    with pytest.raises(ValueError, match=r"index|indices"):
        PostIndex.from_state(damage(_index().state()))  # type: ignore[operator]


def test_state_round_trip_of_posts_without_terms() -> None:
    index = PostIndex.build([[], []], [[0], [1]], TERM_BUCKETS, 2)
    copy = PostIndex.from_state(index.state())
    assert len(copy) == 2
    assert copy.counts.nnz == 0
    assert len(copy.neighbours(post_terms("anything"), 5)[0]) == 0


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("How to use C#", ".NET core and c++ in node.js"),
        ("pandas-", "-merge two data_frames"),
        ("今天李敏镐", "来了 中国女排"),
        ("ΟΔΟΣ", "\u0301combining mark first"),
        ("Ｆｕｌｌ－ｗｉｄｔｈ", "ｃ＃ and DIGIT URL MENTION 🙂"),
        ("", "only a body"),
        ("only a title", ""),
        ("", ""),
        ("a.", ".b"),
        ("c+", "+d #e"),
    ],
)
def test_query_terms_are_the_terms_of_title_and_body_joined(title: str, body: str) -> None:
    clean_title, clean_body = normalize(title), normalize(body)
    assert query_terms(clean_title, clean_body) == post_terms(f"{clean_title}\n{clean_body}")
