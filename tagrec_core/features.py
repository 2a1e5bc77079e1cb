"""From normalised text to the tensors the networks read.

Two input kinds, named by each architecture's ``input_kind``:
- ``"sequence"``: piece ids padded to a matrix ``[B, T]`` with a mask (id 0 is padding);
- ``"bag"``: a flat list of piece ids plus hashed piece bigrams (fastText's word n-grams) and offsets, for
  ``nn.EmbeddingBag``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch

# A fixed odd multiplier for bigram hashing: any fixed value works, it only has to spread pairs over buckets.
_HASH_MULTIPLIER = 116_049_371


def bag_ids(ids: Sequence[int], n_pieces: int, buckets: int) -> list[int]:
    """``ids`` followed by one hashed id per adjacent pair, in ``[n_pieces, n_pieces + buckets)``.

    With ``buckets == 0`` only the unigram ids are returned. Never empty: an empty text becomes ``[0]``
    (the padding row, which the bag model keeps at zero).
    """
    if not ids:
        return [0]
    if buckets <= 0 or len(ids) < 2:
        return list(ids)
    pairs = [n_pieces + (a * _HASH_MULTIPLIER + b) % buckets for a, b in pairwise(ids)]
    return [*ids, *pairs]


def bag_batch(bags: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat ids, offsets and per-bag lengths (float) for ``nn.EmbeddingBag(mode="sum")``."""
    if len(bags) == 1:  # the typing-latency path: one post, fewest tensor operations
        return (
            torch.tensor(bags[0], dtype=torch.long),
            torch.zeros(1, dtype=torch.long),
            torch.tensor([float(len(bags[0]))]),
        )
    lengths = [len(b) for b in bags]
    flat = torch.tensor([i for b in bags for i in b], dtype=torch.long)
    offsets = torch.zeros(len(bags), dtype=torch.long)
    offsets[1:] = torch.tensor(lengths[:-1], dtype=torch.long).cumsum(0)
    return flat, offsets, torch.tensor(lengths, dtype=torch.float32)


def sequence_batch(seqs: Sequence[Sequence[int]], max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids ``[B, T]`` right-padded with 0 (T = longest, capped at ``max_len``, at least 1) and the mask."""
    width = max(1, min(max_len, max((len(s) for s in seqs), default=1)))
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    for row, seq in enumerate(seqs):
        cut = list(seq[:width])
        if cut:
            ids[row, : len(cut)] = torch.tensor(cut, dtype=torch.long)
    return ids, ids != 0
