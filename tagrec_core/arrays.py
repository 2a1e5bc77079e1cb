"""Small numpy helpers shared by the ranker's sources."""

from __future__ import annotations

import numpy as np

__all__ = ["from_gaps", "from_planes", "gaps", "spans", "to_planes", "top_indices"]


# ``argpartition`` costs ~11 ns a value: 0.6 ms for 60k floats (the neighbours' similarities of a long post,
# 2026-11-23), 62 µs for the 5,488 classifier tags of the shipped Stack Overflow model. A threshold from a
# strided sample first leaves it a 32nd of them: top 20 of 5,488 in 12 µs, of 2,000 in 11 µs against 19 µs
# (float32, 2026-11-24). Below ~1,000 values partitioning them all is as fast.
_SAMPLED_FROM = 1024
_SAMPLE_PER_WINNER = 32


def top_indices(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest ``values``, largest first (ties in ``argpartition``'s order); int64.

    ``argpartition`` then a sort of the ``n`` winners only: linear in ``len(values)``, which matters for
    tens of thousands of tags or posts; on long arrays a sampled threshold first shrinks what is partitioned.
    """
    if n <= 0 or not len(values):
        return np.zeros(0, np.int64)
    if len(values) >= max(_SAMPLED_FROM, 2 * _SAMPLE_PER_WINNER * n):
        return _top_of_sampled(values, n)
    return _top_by_partition(values, n)


def _top_by_partition(values: np.ndarray, n: int) -> np.ndarray:
    part = np.argpartition(-values, n - 1)[:n] if len(values) > n else np.arange(len(values))
    return part[np.argsort(-values[part], kind="stable")].astype(np.int64)


def _top_of_sampled(values: np.ndarray, n: int) -> np.ndarray:
    """``top_indices`` of a long array: the ``n``-th largest of a strided sample bounds the ``n``-th
    largest of all from below (a subset's order statistic never exceeds the whole's), so the values at or above
    it hold every winner; only those are ranked (all of them when most values tie)."""
    sample = values[:: len(values) // (_SAMPLE_PER_WINNER * n)]
    floor = np.partition(sample, len(sample) - n)[len(sample) - n]
    (kept,) = np.nonzero(values >= floor)
    if len(kept) < n:  # only when NaNs hide the floor: no shortcut then
        return _top_by_partition(values, n)
    return kept[_top_by_partition(values[kept], n)]  # both int64 already


def to_planes(values: np.ndarray) -> np.ndarray:
    """Non-negative integers below 2^32 as byte planes: a ``[planes, n]`` uint8 array, least significant
    byte first, with as many planes as the largest value needs (at least one).

    Why: deflate finds little to share in an int32 array of small numbers, whose bytes interleave; with
    each byte position in a plane of its own, the mostly-zero high planes shrink to almost nothing.
    """
    values = np.asarray(values)
    if len(values) and (int(values.min()) < 0 or int(values.max()) >= 1 << 32):
        raise ValueError("byte planes hold integers from 0 to 2^32 - 1")
    as_bytes = values.astype("<u4").view(np.uint8).reshape(-1, 4)
    top = int(values.max()) if len(values) else 0
    n_planes = max(1, (top.bit_length() + 7) // 8)
    return np.ascontiguousarray(as_bytes[:, :n_planes].T)


def from_planes(planes: np.ndarray) -> np.ndarray:
    """The integers of ``to_planes`` back, as int64."""
    planes = np.asarray(planes, dtype=np.uint8)
    if planes.ndim != 2 or not 1 <= planes.shape[0] <= 4:
        raise ValueError("byte planes must be a [1..4, n] array")
    values = np.zeros(planes.shape[1], np.int64)
    for shift, plane in enumerate(planes):
        values |= plane.astype(np.int64) << (8 * shift)
    return values


def gaps(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each value minus the one before it, except at ``starts`` (the first position of each run), which
    keep their value: ascending runs become small numbers. ``np.cumsum`` per run reverses it."""
    values = np.asarray(values, dtype=np.int64)
    out = np.diff(values, prepend=0)
    out[starts] = values[starts]
    return out


def from_gaps(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The values ``gaps`` was given back, for runs of these ``lengths`` (zero-length runs allowed) that
    cover ``values`` in order; int64."""
    values = np.asarray(values, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    lengths = lengths[lengths > 0]
    starts = np.cumsum(lengths) - lengths
    running = np.cumsum(values)
    return running - np.repeat(running[starts] - values[starts], lengths)


def spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``start .. start + length - 1`` of every span, flattened in order."""
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
