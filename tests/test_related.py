"""Tests of tagrec_core.related: tag co-occurrence and P(companion | tag)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from tagrec_core.related import Related

POSTS = [[0, 1], [0, 1, 2], [0, 2], [0], [1, 2], [3]]
N_TAGS = 5


def _given(related: Related, tag: int) -> dict[int, float]:
    companions, p = related.given(tag)
    assert companions.dtype == np.int64
    assert len(companions) == len(p)
    return dict(zip(companions.tolist(), p.tolist(), strict=True))


def test_counts_on_diagonal() -> None:
    related = Related.build(POSTS, N_TAGS)
    assert related.counts.tolist() == [4, 3, 3, 1, 0]
    assert related.pairs.shape == (N_TAGS, N_TAGS)
    np.testing.assert_array_equal(related.pairs.diagonal(), related.counts)
    pairs = related.pairs.toarray()
    np.testing.assert_array_equal(pairs, pairs.T)
    assert pairs[0, 1] == 2
    assert pairs[0, 2] == 2
    assert pairs[1, 2] == 2
    assert pairs[0, 3] == 0


def test_given_is_conditional_frequency_without_the_tag_itself() -> None:
    related = Related.build(POSTS, N_TAGS)
    # tag 0 is on 4 posts: with 1 on 2 of them, with 2 on 2 of them.
    assert _given(related, 0) == pytest.approx({1: 2 / 4, 2: 2 / 4})
    # tag 1 is on 3 posts: with 0 on 2, with 2 on 2.
    assert _given(related, 1) == pytest.approx({0: 2 / 3, 2: 2 / 3})
    assert _given(related, 2) == pytest.approx({0: 2 / 3, 1: 2 / 3})


def test_tag_without_companions() -> None:
    related = Related.build(POSTS, N_TAGS)
    assert _given(related, 3) == {}
    assert _given(related, 4) == {}
    companions, p = related.strongest(3, 5)
    assert len(companions) == len(p) == 0


def test_duplicates_inside_a_post_counted_once() -> None:
    once = Related.build([[0, 1], [0]], 2)
    twice = Related.build([[0, 1, 0, 1, 1], [0, 0]], 2)
    np.testing.assert_array_equal(twice.pairs.toarray(), once.pairs.toarray())
    assert twice.counts.tolist() == [2, 1]
    assert _given(twice, 0) == pytest.approx({1: 0.5})
    assert _given(twice, 1) == pytest.approx({0: 1.0})


def test_strongest_order_and_length() -> None:
    posts = [[0, 1], [0, 1], [0, 1], [0, 2], [0, 2], [0, 3], [0]]
    related = Related.build(posts, 4)
    companions, p = related.strongest(0, 2)
    assert companions.tolist() == [1, 2]
    np.testing.assert_allclose(p, [3 / 7, 2 / 7], rtol=1e-6)
    companions, p = related.strongest(0, 10)
    assert companions.tolist() == [1, 2, 3]
    assert np.all(np.diff(p) <= 0)
    assert related.strongest(0, 1)[0].tolist() == [1]
    assert len(related.strongest(0, 0)[0]) == 0


def test_extend_equals_build_of_all() -> None:
    head, tail = POSTS[:3], [*POSTS[3:], [4, 0], [4]]
    old = Related.build(head, N_TAGS)
    old_pairs = old.pairs.toarray()
    grown = old.extend(tail)
    assert grown is not old
    np.testing.assert_array_equal(old.pairs.toarray(), old_pairs)
    everything = Related.build([*head, *tail], N_TAGS)
    np.testing.assert_array_equal(grown.pairs.toarray(), everything.pairs.toarray())
    np.testing.assert_array_equal(grown.counts, everything.counts)
    assert _given(grown, 4) == pytest.approx({0: 0.5})


def test_empty_build() -> None:
    related = Related.build([], 3)
    assert related.counts.tolist() == [0, 0, 0]
    assert _given(related, 1) == {}
    assert related.extend([[1, 2]]).counts.tolist() == [0, 1, 1]


def test_state_round_trip() -> None:
    related = Related.build(POSTS, N_TAGS)
    buffer = io.BytesIO()
    torch.save(related.state(), buffer)
    buffer.seek(0)
    for copy in (Related.from_state(related.state()), Related.from_state(torch.load(buffer, weights_only=True))):
        assert copy.pairs.shape == related.pairs.shape
        np.testing.assert_array_equal(copy.pairs.toarray(), related.pairs.toarray())
        np.testing.assert_array_equal(copy.counts, related.counts)
        for tag in range(N_TAGS):
            assert _given(copy, tag) == _given(related, tag)
