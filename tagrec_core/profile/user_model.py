"""One user's profile in memory, refreshed incrementally from the database before each suggestion.

It holds what the personal ranking reads: the vocabulary with decayed weights, the user's items as
TF-IDF vectors (their own retrieval neighbours; a tag's items also act as its centroid), co-occurrence,
aliases and implied tags. ``refresh`` loads only rows whose ``version`` is newer than the last load, so a
feedback event written by any process is visible to the very next suggestion at the cost of one small query;
a new ``generation`` (something was deleted) reloads everything, computing all items' vectors in one pass of
array operations. The items live in an ``ItemIndex`` (an inverted index from term to item), so the neighbour
search reads only the items that share a term with the post, not the whole history; a new
or edited item is an amortised append, never a copy of every item. Likewise each vocabulary entry's numbers
sit in one row of an array, updated with the entry, so the decayed totals and the heaviest tags, which change
with the clock at every event, are array operations rather than a pass of Python over the whole vocabulary
(0.2-0.4 ms for a user of a few hundred tags, at the first suggestion after each event).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tagrec_core.profile.item_index import ItemIndex, tfidf
from tagrec_core.profile.learning import HALF_LIFE_LONG, HALF_LIFE_SHORT, decay
from tagrec_core.profile.store import UserRow

__all__ = ["UserModel", "VocabEntry"]

LOAD_CHUNK = 4096  # items whose vectors are worked out together when loading


@dataclass(slots=True)
class VocabEntry:
    items: int
    short: float  # decayed weight at ``clock``, half-life HALF_LIFE_SHORT items
    long: float
    clock: int
    rejected_weight: float
    last_clock: int


class UserModel:
    """The personal state of one user; not thread-safe (the caller locks)."""

    def __init__(self, user: str, idf: np.ndarray) -> None:
        self.user = user
        self.idf = idf
        self.uid = -1
        self.version = -1
        self.generation = -1
        self.clock = 0
        self.vocab: dict[str, VocabEntry] = {}
        self.cooc: dict[str, dict[str, int]] = {}
        self.aliases: dict[str, str] = {}
        self.implied: dict[str, list[str]] = {}
        self.item_index = ItemIndex()
        self._tag_names: dict[str, str] = {}  # one str object per tag name, shared by every item carrying it
        self._top: dict[int, list[str]] = {}  # per n: the n heaviest tags (long half-life), for ``version``
        # Per vocabulary entry (row ``_row[tag]``, tags in ``_row_tags``): short, long, clock, items.
        self._row: dict[str, int] = {}
        self._row_tags: list[str] = []
        self._numbers = np.zeros((0, 4), np.float64)
        self._short_total = 0.0
        self._long_total = 0.0

    # --- loading ---------------------------------------------------------------------------------------------

    def refresh(self, conn: sqlite3.Connection, row: UserRow | None) -> None:
        """Bring the model up to the database's state of this user (``row``: its current users row)."""
        if row is None:
            if self.version != -1:
                self.__init__(self.user, self.idf)  # type: ignore[misc]  # the user was reset
            return
        if row.generation != self.generation or row.id != self.uid:
            self.__init__(self.user, self.idf)  # type: ignore[misc]
            self.uid, self.generation = row.id, row.generation
            self._load_rules(conn)
        if row.version == self.version:
            return
        since = self.version
        self._load_vocab(conn, since)
        self._load_cooc(conn, since)
        self._load_items(conn, since)
        self.version, self.clock = row.version, row.clock
        self._totals()
        self._top = {}

    def _load_rules(self, conn: sqlite3.Connection) -> None:
        self.aliases = dict(conn.execute("SELECT alias, tag FROM aliases WHERE user_id = ?", (self.uid,)).fetchall())
        self.implied = {}
        for tag, implies in conn.execute(
            "SELECT tag, implies FROM implied WHERE user_id = ? ORDER BY rowid", (self.uid,)
        ):
            self.implied.setdefault(tag, []).append(implies)

    def _load_vocab(self, conn: sqlite3.Connection, since: int) -> None:
        for tag, items, short, long_, clock, rejected_weight, last_clock in conn.execute(
            "SELECT tag, items, weight_short, weight_long, clock, rejected_weight, last_clock FROM vocab"
            " WHERE user_id = ? AND version > ?",
            (self.uid, since),
        ):
            entry = VocabEntry(int(items), float(short), float(long_), int(clock), float(rejected_weight),
                               int(last_clock))  # fmt: skip
            self.vocab[tag] = entry
            self._set_numbers(tag, entry)

    def _set_numbers(self, tag: str, entry: VocabEntry) -> None:
        row = self._row.get(tag)
        if row is None:
            row = self._row[tag] = len(self._row_tags)
            self._row_tags.append(tag)
            if row == len(self._numbers):  # full: double (amortised O(1) per new tag)
                self._numbers = np.concatenate([self._numbers, np.zeros((max(16, row), 4))])
        self._numbers[row] = (entry.short, entry.long, entry.clock, entry.items)

    def _load_cooc(self, conn: sqlite3.Connection, since: int) -> None:
        for tag, other, items in conn.execute(
            "SELECT tag, other, items FROM cooc WHERE user_id = ? AND version > ?", (self.uid, since)
        ):
            self.cooc.setdefault(tag, {})[other] = int(items)

    def _load_items(self, conn: sqlite3.Connection, since: int) -> None:
        keys: list[tuple[str, str]] = []
        terms: list[bytes] = []
        tags: list[str] = []
        for site, item, item_terms, item_tags in conn.execute(
            "SELECT site, item, terms, tags FROM items WHERE user_id = ? AND version > ?", (self.uid, since)
        ):
            keys.append((site, item))
            terms.append(item_terms or b"")
            tags.append(item_tags)
        if not keys:
            return
        # Vectors a few thousand items at a time: the temporaries of a whole long history would be ~100 MB.
        vectors = [
            tfidf(
                np.frombuffer(b"".join(terms[at : at + LOAD_CHUNK]), dtype=np.int32),
                np.fromiter((len(t) // 4 for t in terms[at : at + LOAD_CHUNK]), np.int64),
                self.idf,
            )
            for at in range(0, len(terms), LOAD_CHUNK)
        ]
        ids, weights, counts = (np.concatenate(parts) for parts in zip(*vectors, strict=True))
        del vectors, terms  # a long history's raw rows are tens of MB: not kept through the index's merge
        # One JSON document for all the tag lists parses several times faster than one per item; one str object
        # per tag name, shared by its items, keeps a long history's tags small.
        names = self._tag_names
        parsed = [[names.setdefault(t, t) for t in item] for item in json.loads(f"[{','.join(tags)}]")]
        del tags
        self.item_index.put(keys, ids, weights, counts, parsed)

    def _totals(self) -> None:
        self._short_total = float(self._weights_now(HALF_LIFE_SHORT).sum())
        self._long_total = float(self._weights_now(HALF_LIFE_LONG).sum())

    def _weights_now(self, half_life: float) -> np.ndarray:
        """Every vocabulary entry's ``weight`` (in ``_row_tags`` order), float64."""
        numbers = self._numbers[: len(self._row_tags)]
        value = numbers[:, 0] if half_life == HALF_LIFE_SHORT else numbers[:, 1]
        return value * np.exp2(-np.maximum(0.0, self.clock - numbers[:, 2]) / half_life)

    # --- reading ---------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Items tagged so far (the user's clock)."""
        return self.clock

    def vector(self, terms: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Distinct term ids and L2-normalised TF-IDF weights (the base model's idf)."""
        array = np.asarray(terms, dtype=np.int64)
        ids, weights, _ = tfidf(array, np.array([len(array)]), self.idf)
        return ids, weights  # int32, as the index stores them: no copy in ``neighbours``

    def weight(self, entry: VocabEntry, half_life: float) -> float:
        """The tag's decayed weight at the user's current clock."""
        value = entry.short if half_life == HALF_LIFE_SHORT else entry.long
        return value * decay(self.clock - entry.clock, half_life)

    def total(self, half_life: float) -> float:
        """The user's decayed tag weight at the current clock, summed over the vocabulary."""
        return self._short_total if half_life == HALF_LIFE_SHORT else self._long_total

    def rejected(self, tag: str) -> float:
        """How strongly the user has been rejecting the tag lately (decayed count)."""
        entry = self.vocab.get(tag)
        return 0.0 if entry is None else entry.rejected_weight * decay(self.clock - entry.clock, HALF_LIFE_SHORT)

    def neighbours(self, query: tuple[np.ndarray, np.ndarray], k: int) -> list[tuple[float, list[str]]]:
        """The user's ``k`` items most similar to the query: (cosine, tags), most similar first; only items with
        tags and some similarity."""
        return self.item_index.neighbours(query, k)

    def top_tags(self, n: int) -> list[str]:
        """The user's ``n`` heaviest tags (long half-life) that they used, heaviest first, equal weights in tag
        order (worked out once per version)."""
        top = self._top.get(n)
        if top is None:
            weights = self._weights_now(HALF_LIFE_LONG)
            live = np.flatnonzero(self._numbers[: len(self._row_tags), 3] > 0)
            if len(live) > n > 0:  # only those at or above the n-th weight can be among the n (ties all kept)
                live = live[weights[live] >= np.partition(weights[live], len(live) - n)[len(live) - n]]
            ranked = sorted((-float(weights[i]), self._row_tags[i]) for i in live.tolist())
            top = self._top[n] = [tag for _, tag in ranked[: max(0, n)]]
        return list(top)  # a copy: the cached list serves the next call of this version
