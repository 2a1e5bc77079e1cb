"""One user's items as TF-IDF vectors, searchable by cosine similarity at a cost that grows with the items that
share a term with the query, not with the whole history.

Layout (a small log-structured index). Putting an item appends its (term, weight) pairs, a *segment*, to the
*delta*: flat arrays that grow by doubling and that every query scans. Putting an item again (an edit) appends
its new segment; the old one, in the delta or in the inverted index, is stale from then on: an entry counts
only if it was put at or after its item's current segment's start (``_start``, a position in the sequence of
all entries ever put). When the delta outgrows a limit (a quarter of the index, at least ``MIN_DELTA``, at most
``MAX_DELTA`` entries) it is merged into the inverted index (term -> postings of item and weight, CSR arrays
as in ``scipy.sparse``), which a query slices by its terms; stale postings are dropped then. The cap keeps a
query's scan small; a merge costs O(history) every ``MAX_DELTA`` entries, a few microseconds per item
amortised, so its large temporaries come and go once per thousands of items rather than at every item.

Scores are those of a brute-force scan, bit for bit: an item's similarity is the float64 sum, in ascending term
order, of the float32 products of its weights with the query's (as the scan this index replaced summed them);
ties go to the item put first. ``tfidf`` sums a vector's squares in float64 where the scan's vectors used a
float32 dot product: weights may differ from those in the last bit, similarities by ~1e-7.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["ItemIndex", "tfidf"]

# Delta entries scanned by a query before a merge: at least MIN_DELTA (a merge of a small index costs little but
# is not worth doing every item), at most MAX_DELTA (~0.1 ms of scan), else a quarter of the merged entries.
MIN_DELTA = 2_048
MAX_DELTA = 16_384


def tfidf(terms: np.ndarray, lengths: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many items' TF-IDF vectors at once: ``terms`` (int) are the items' term ids end to end, ``lengths`` how
    many belong to each item. Returns (ids int32, weights float32, lengths int64): per item its distinct term
    ids ascending and L2-normalised weights ``(1 + ln tf) * idf``, end to end."""
    n = len(lengths)
    if not len(terms):
        return np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(n, np.int64)
    item = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keys, tf = np.unique(item * len(idf) + terms.astype(np.int64), return_counts=True)
    owner, ids = np.divmod(keys, len(idf))
    weights = (1.0 + np.log(tf.astype(np.float32))) * idf[ids]
    norm = np.sqrt(np.bincount(owner, weights=np.square(weights, dtype=np.float64), minlength=n))
    norm32 = np.where(norm > 0, norm, 1.0).astype(np.float32)
    return ids.astype(np.int32), (weights / norm32[owner]).astype(np.float32), np.bincount(owner, minlength=n)


def _room(array: np.ndarray, needed: int) -> np.ndarray:
    """``array`` with capacity for ``needed`` elements: itself, or a copy at least twice as large."""
    if needed <= len(array):
        return array
    bigger = np.zeros(max(needed, 2 * len(array), 64), array.dtype)
    bigger[: len(array)] = array
    return bigger


class ItemIndex:
    """The items of one user, keyed by (site, item); not thread-safe (the user model's caller locks)."""

    def __init__(self) -> None:
        self.tags: list[list[str]] = []  # per slot (the order in which items were first put)
        self._slots: dict[tuple[str, str], int] = {}
        # Each slot's current segment: the position of its first entry in the sequence of all entries ever put.
        self._start = np.zeros(0, np.int64)
        # The inverted index: term _keys[i]'s postings (item slot, weight) are [_indptr[i], _indptr[i + 1]).
        # It holds the entries put before position _base; a posting whose item was put again since is stale.
        self._keys = np.zeros(0, np.int32)
        self._indptr = np.zeros(1, np.int64)
        self._post_slots = np.zeros(0, np.int32)
        self._post_weights = np.zeros(0, np.float32)
        self._base = 0
        # The delta: entries put from position _base on (capacity >= _used), scanned by every query.
        self._terms = np.zeros(0, np.int32)
        self._weights = np.zeros(0, np.float32)
        self._slot_of = np.zeros(0, np.int32)
        self._used = 0

    def __len__(self) -> int:
        return len(self.tags)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (capacity included)."""
        arrays = (self._start, self._keys, self._indptr, self._post_slots, self._post_weights, self._terms,
                  self._weights, self._slot_of)  # fmt: skip
        return sum(a.nbytes for a in arrays)

    def put(
        self,
        keys: Sequence[tuple[str, str]],
        ids: np.ndarray,
        weights: np.ndarray,
        lengths: np.ndarray,
        tags: Sequence[list[str]],
    ) -> None:
        """Add or replace items: ``keys[i]`` gets the next ``lengths[i]`` of ``ids``/``weights`` (as ``tfidf``
        returns them) and ``tags[i]``. A key repeated within one call keeps its last vector and tags."""
        slots = np.empty(len(keys), np.int64)
        for i, key in enumerate(keys):
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = len(self.tags)
                self.tags.append(tags[i])
            else:
                self.tags[slot] = tags[i]
            slots[i] = slot
        start, end = self._used, self._used + len(ids)
        self._terms = _room(self._terms, end)
        self._weights = _room(self._weights, end)
        self._slot_of = _room(self._slot_of, end)
        self._terms[start:end] = ids
        self._weights[start:end] = weights
        self._slot_of[start:end] = np.repeat(slots, lengths)
        self._used = end
        self._start = _room(self._start, len(self.tags))
        starts = self._base + start + np.cumsum(lengths) - lengths
        # A key repeated in this call gets its last segment (fancy assignment does not promise an order).
        last, at = np.unique(slots[::-1], return_index=True)
        self._start[last] = starts[::-1][at]
        if self._used > max(MIN_DELTA, min(MAX_DELTA, len(self._post_slots) // 4)):
            self._merge()

    def neighbours(self, query: tuple[np.ndarray, np.ndarray], k: int) -> list[tuple[float, list[str]]]:
        """The ``k`` items most similar to ``query`` (ids ascending, weights float32): (cosine, tags), most
        similar first, equal ones in the order first put; an item without tags still takes its place among the
        ``k`` but is left out of the answer, as are items sharing no term with the query."""
        ids, weights = query
        if not len(ids) or not self.tags or k <= 0:
            return []
        # Term ids in the stored dtype: searching an int32 array for int64 values would copy the whole array.
        ids, weights = np.asarray(ids, np.int32), np.asarray(weights, np.float32)
        slots_m, contributions_m = self._from_merged(ids, weights)
        slots_d, contributions_d = self._from_delta(ids, weights)
        slots = np.concatenate([slots_m, slots_d])
        if not len(slots):
            return []
        # Every item's entries come from one side, in ascending term order, so the sums are the scan's. Summing
        # per item: over all items when the postings are many (no sort), else over the distinct ones (no
        # history-sized temporary).
        contributions = np.concatenate([contributions_m, contributions_d])
        if len(slots) * 16 > len(self.tags):
            sims = np.bincount(slots, weights=contributions, minlength=len(self.tags))
            candidates = np.arange(len(self.tags))
        else:
            candidates, inverse = np.unique(slots, return_inverse=True)
            sims = np.bincount(inverse, weights=contributions)
        keep = np.flatnonzero(sims > 0)
        if len(keep) > k:  # only those at or above the k-th similarity can be among the k (ties all kept)
            keep = keep[sims[keep] >= np.partition(sims[keep], len(keep) - k)[len(keep) - k]]
        order = keep[np.lexsort((candidates[keep], -sims[keep]))][:k]
        found = [(float(sims[i]), self.tags[int(candidates[i])]) for i in order.tolist()]
        return [(sim, tags) for sim, tags in found if tags]

    def _from_merged(self, ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Live postings of the query's terms in the inverted index: slots, contributions."""
        if not len(self._keys):
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        at = np.minimum(np.searchsorted(self._keys, ids), len(self._keys) - 1)
        hit = np.flatnonzero(self._keys[at] == ids)
        begin, end = self._indptr[at[hit]], self._indptr[at[hit] + 1]
        counts = end - begin
        total = int(counts.sum())
        # The postings of every hit term, end to end: [begin_0, end_0), [begin_1, end_1), ...
        positions = np.arange(total, dtype=np.int64) + np.repeat(begin - (np.cumsum(counts) - counts), counts)
        slots = self._post_slots[positions]
        contributions = self._post_weights[positions] * np.repeat(weights[hit], counts)
        live = self._start[slots] < self._base
        return slots[live], contributions[live]

    def _from_delta(self, ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The query's terms among the delta's live entries: slots, contributions."""
        terms, slots = self._terms[: self._used], self._slot_of[: self._used]
        position = np.minimum(np.searchsorted(ids, terms), len(ids) - 1)
        match = np.flatnonzero((ids[position] == terms) & self._live_in_delta())
        return slots[match], self._weights[match] * weights[position[match]]

    def _live_in_delta(self) -> np.ndarray:
        """Which delta entries belong to their item's current segment (a segment put later replaces it)."""
        return np.arange(self._base, self._base + self._used) >= self._start[self._slot_of[: self._used]]

    def _merge(self) -> None:
        """Rebuild the inverted index from its live postings and the delta's live entries; empty the delta."""
        old = self._start[self._post_slots] < self._base
        new = self._live_in_delta()
        terms = np.concatenate([np.repeat(self._keys, np.diff(self._indptr))[old], self._terms[: self._used][new]])
        # A long sorted run (the live postings) and a short tail: a stable sort (timsort) is close to linear.
        order = np.argsort(terms, kind="stable")
        terms = terms[order]
        first = (
            np.flatnonzero(np.concatenate([[True], terms[1:] != terms[:-1]])) if len(terms) else np.zeros(0, np.int64)
        )
        self._keys = terms[first]
        self._indptr = np.append(first, len(terms)).astype(np.int64)
        self._post_slots = np.concatenate([self._post_slots[old], self._slot_of[: self._used][new]])[order]
        self._post_weights = np.concatenate([self._post_weights[old], self._weights[: self._used][new]])[order]
        self._base += self._used
        self._used = 0
        if len(self._terms) > 2 * MAX_DELTA:  # after a bulk load: the delta's capacity is no longer needed
            self._terms, self._weights = np.zeros(0, np.int32), np.zeros(0, np.float32)
            self._slot_of = np.zeros(0, np.int32)
