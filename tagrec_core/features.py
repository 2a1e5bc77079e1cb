"""From normalised text to the tensors the networks read.

Two input kinds, named by each architecture's ``input_kind``:
- ``"sequence"``: piece ids padded to a matrix ``[B, T]`` with a mask (id 0 is padding);
- ``"bag"``: a flat list of piece ids plus hashed piece bigrams (fastText's word n-grams) and, when the
  network reads them, hashed character grams of the words (fastText's sub-word units), with offsets, for
  ``nn.EmbeddingBag``.

An encoded text is its piece ids (all below the tokenizer's size ``n_pieces``), followed, for a bag network
that reads character grams, by their ids (``gram_ids``: at or above ``n_pieces``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import torch

from tagrec_core.text import has_cjk

# A fixed odd multiplier for bigram hashing: any fixed value works, it only has to spread pairs over buckets.
_HASH_MULTIPLIER = 116_049_371
# Longer words get no character grams: URLs and hashes, whose grams would be many, never repeat, and are not
# sub-words. Nor do words with CJK characters: unspaced Chinese is not cut into words by spaces, its clauses'
# grams are noise beside the pieces, which already cut it (weibo-takg valid, the full ranker's F1@3: 0.249
# without grams, 0.243 with them on every word).
GRAM_WORD_CHARS = 40
# The polynomial hash of a gram's code points and the odd constant of its final mix (any fixed values do).
_GRAM_BASE = np.uint64(1_000_003)
_GRAM_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEPARATOR = 1  # a code point no normalised word holds: windows across it are not grams
_GRAM_CACHE = 20_000  # words whose gram ids are kept, per model (~100 ints a word: a few MB)
_GRAM_CACHES: dict[tuple[int, int, int, int], dict[str, tuple[int, ...]]] = {}


def gram_ids(text: str, lengths: Sequence[int], n_pieces: int, buckets: int, max_words: int) -> list[int]:
    """Hashed character grams of the first ``max_words`` words of normalised ``text``, in
    ``[n_pieces, n_pieces + buckets)``: the buckets the piece bigrams hash into, as fastText shares them.

    A word's grams are its substrings of ``lengths[0]`` to ``lengths[1]`` characters, lowercased and wrapped
    in ``<`` and ``>`` so that prefixes and suffixes differ from inner grams (fastText's ``minn``/``maxn``);
    the whole wrapped word is left out (its pieces stand for it), as are words longer than
    ``GRAM_WORD_CHARS`` and words with CJK characters. Empty when ``lengths`` is empty or there are no
    buckets. Deterministic across processes and platforms (a fixed polynomial hash, not Python's salted
    ``hash``). Each word's ids are kept (``_GRAM_CACHE`` words): as a post is typed, its words repeat from
    one suggestion to the next, and hashing a title's grams anew costs more than the network.
    """
    if not lengths or buckets <= 0:
        return []
    key = (int(lengths[0]), int(lengths[1]), n_pieces, buckets)
    cache = _gram_cache(key)
    words = text.lower().split()[:max_words]
    # A local table: another thread may clear the shared one at any moment.
    found = {w: cache.get(w) for w in words}
    missing = [w for w, ids in found.items() if ids is None]
    if missing:
        fresh = dict(zip(missing, _hash_words(missing, *key), strict=True))
        found.update(fresh)
        if len(cache) + len(fresh) > _GRAM_CACHE:
            cache.clear()  # simpler than LRU order, and a typing session refills it in one suggestion
        cache.update(fresh)
    out: list[int] = []
    for word in words:
        out.extend(found[word] or ())
    return out


def _gram_cache(key: tuple[int, int, int, int]) -> dict[str, tuple[int, ...]]:
    """The word -> gram ids table of one gram setting and bucket space (a model's)."""
    cache = _GRAM_CACHES.get(key)
    if cache is None:
        cache = _GRAM_CACHES.setdefault(key, {})
    return cache


def _hash_words(words: list[str], low: int, high: int, n_pieces: int, buckets: int) -> list[tuple[int, ...]]:
    """Each word's gram ids (``gram_ids``), for many words at once: vectorised over all their characters."""
    wanted = [len(w) <= GRAM_WORD_CHARS and not has_cjk(w) for w in words]
    hashed = [w for w, keep in zip(words, wanted, strict=True) if keep]
    if not hashed:
        return [() for _ in words]
    codes = np.frombuffer("\x01".join(f"<{w}>" for w in hashed).encode("utf-32-le"), dtype=np.uint32)
    codes = codes.astype(np.uint64)
    separators = np.concatenate(([0], np.cumsum(codes == _SEPARATOR)))
    sizes = np.array([len(w) + 2 for w in hashed])  # wrapped lengths
    starts = np.concatenate(([0], np.cumsum(sizes + 1)[:-1]))
    kept_hashes, kept_starts = [], []
    hashes = codes
    for n in range(1, high + 1):
        if n > 1:
            hashes = hashes[:-1] * _GRAM_BASE + codes[n - 1 :]  # windows of n code points, by start
        if n < low or not len(hashes):
            continue
        keep = separators[n:] == separators[: len(separators) - n]  # no separator inside
        keep[starts[sizes == n]] = False  # the whole wrapped word
        kept_hashes.append(hashes[keep])
        kept_starts.append(np.flatnonzero(keep))
    if not kept_hashes:
        return [() for _ in words]
    owner = np.searchsorted(starts, np.concatenate(kept_starts), side="right") - 1
    order = np.argsort(owner, kind="stable")
    ids = (np.concatenate(kept_hashes)[order] * _GRAM_MIX >> np.uint64(33)) % np.uint64(buckets) + np.uint64(n_pieces)
    per_word = np.split(ids.astype(np.int64), np.cumsum(np.bincount(owner, minlength=len(hashed)))[:-1])
    found = iter(tuple(part.tolist()) for part in per_word)
    return [next(found) if keep else () for keep in wanted]


def bag_ids(ids: Sequence[int], n_pieces: int, buckets: int) -> list[int]:
    """An encoded text's ids with one hashed id per adjacent pair of pieces, in ``[n_pieces, n_pieces +
    buckets)``, between its pieces and its gram ids (if any).

    With ``buckets == 0`` no pairs are added. Never empty: an empty text becomes ``[0]`` (the padding row,
    which the bag model keeps at zero).
    """
    if not ids:
        return [0]
    cut = len(ids)
    if ids[-1] >= n_pieces:  # gram ids follow the pieces
        cut = next(i for i, value in enumerate(ids) if value >= n_pieces)
    if buckets <= 0 or cut < 2:
        return list(ids)
    pieces = ids[:cut]
    pairs = [n_pieces + (a * _HASH_MULTIPLIER + b) % buckets for a, b in pairwise(pieces)]
    return [*pieces, *pairs, *ids[cut:]]


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
