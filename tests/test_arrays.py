"""The numpy helpers of ``tagrec_core.arrays``."""

from __future__ import annotations

import numpy as np
import pytest

from tagrec_core.arrays import from_gaps, from_planes, gaps, spans, to_planes, top_indices


@pytest.mark.parametrize(
    ("values", "planes"),
    [
        ([], 1),
        ([0, 1, 255], 1),
        ([256, 0], 2),
        ([65_535], 2),
        ([65_536, 3], 3),
        ([2**32 - 1, 0, 17], 4),
    ],
)
def test_planes_round_trip_with_as_few_planes_as_needed(values: list[int], planes: int) -> None:
    stored = to_planes(np.array(values, dtype=np.int64))
    assert stored.dtype == np.uint8
    assert stored.shape == (planes, len(values))
    np.testing.assert_array_equal(from_planes(stored), values)
    assert from_planes(stored).dtype == np.int64


@pytest.mark.parametrize("values", [[-1], [2**32]])
def test_planes_reject_values_out_of_range(values: list[int]) -> None:
    with pytest.raises(ValueError, match="0 to 2"):
        to_planes(np.array(values, dtype=np.int64))


@pytest.mark.parametrize("shape", [(0, 3), (5, 3), (3,)])
def test_from_planes_rejects_bad_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="byte planes"):
        from_planes(np.zeros(shape, np.uint8))


def test_gaps_restart_at_each_run_and_cumsum_reverses_them() -> None:
    values = np.array([3, 7, 8, 2, 5, 100])
    starts = np.array([0, 3, 5])
    out = gaps(values, starts)
    np.testing.assert_array_equal(out, [3, 4, 1, 2, 3, 100])
    back = np.concatenate([np.cumsum(out[a:b]) for a, b in zip(starts, [*starts[1:], len(values)], strict=True)])
    np.testing.assert_array_equal(back, values)


def test_from_gaps_reverses_gaps_also_around_empty_runs() -> None:
    values = np.array([3, 7, 8, 2, 5, 100])
    lengths = np.array([0, 3, 2, 0, 1, 0])  # runs [3 7 8] [2 5] [100], and empty ones between
    np.testing.assert_array_equal(from_gaps(gaps(values, np.array([0, 3, 5])), lengths), values)
    assert len(from_gaps(np.zeros(0, np.int64), np.zeros(2, np.int64))) == 0


def test_spans_flatten_each_start_and_length() -> None:
    np.testing.assert_array_equal(spans(np.array([5, 0, 9]), np.array([2, 0, 3])), [5, 6, 9, 10, 11])


def test_top_indices_largest_first() -> None:
    np.testing.assert_array_equal(top_indices(np.array([0.1, 0.9, 0.5, 0.7]), 2), [1, 3])
    assert len(top_indices(np.array([1.0]), 0)) == 0


def test_top_indices_of_long_arrays_match_a_full_sort() -> None:
    """Long arrays take the sampled-threshold path; its winners are exactly a full sort's."""
    rng = np.random.default_rng(7)
    for size, n in ((1024, 1), (1280, 20), (5488, 20), (5488, 60), (8192, 1), (60_000, 30), (100_003, 5)):
        values = (rng.random(size) ** 8).astype(np.float32)
        np.testing.assert_array_equal(top_indices(values, n), np.argsort(-values, kind="stable")[:n])


def test_top_indices_of_long_arrays_with_ties_and_nans() -> None:
    tied = np.zeros(20_000, np.float32)
    tied[[5, 17_000]] = 1.0
    assert set(top_indices(tied, 2).tolist()) == {5, 17_000}
    assert len(top_indices(tied, 10)) == 10  # the rest tie at 0: any ten, none twice
    assert len(set(top_indices(tied, 10).tolist())) == 10
    with_nans = np.full(20_000, np.nan, np.float32)
    with_nans[123] = 2.0
    assert 123 in top_indices(with_nans, 3).tolist()
