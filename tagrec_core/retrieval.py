"""Retrieval: an inverted index of tagged posts, and the vote of a query's nearest neighbours.

Posts are TF-IDF vectors over *terms* (``post_terms``: words and word bigrams, and character trigrams in
Chinese, hashed): sublinear tf, smoothed idf, L2-normalised, so a dot product is a cosine similarity. The index is a
``scipy.sparse`` CSR matrix of terms x posts (one posting list per term, highest weight first); a query
touches only the posting lists of its own terms, so its cost grows with how many posts share its terms,
not with the size of the index. ``max_postings`` caps how much of one list a query reads (static index
pruning): on a large index, the lists of very common terms are cut to their best-weighted posts. And a
query reads only its heaviest terms: those that hold ``query_mass`` of its squared weight, and at most about
``query_postings`` postings in all (a long post's common words add more noise than evidence).

What is stored is the raw term counts and tags of every post (``PostIndex.state``); weights and posting
lists are derived at load, so an index can grow (``extend``: the user's own posts, later) and be rebuilt
exactly. Immutable after construction and safe for concurrent readers.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tagrec_core.arrays import from_gaps, from_planes, gaps, spans, to_planes, top_indices
from tagrec_core.tagmatch import post_words, words

__all__ = ["MAX_POSTINGS", "TERM_BUCKETS", "NeighbourVotes", "PostIndex", "post_terms"]

NEAR = 10  # the closest neighbours, whose vote ``share_near`` reports

# Terms are hashed into this many ids: no vocabulary to store, and collisions are rare enough at 2^20.
TERM_BUCKETS = 1 << 20
# How much of one term's posting list a query reads, best-weighted posts first. 2,000 (was 20,000 until
# 2026-11-23): the neighbour vote's F1@3 on valid stayed within ±0.002 on six sets (so-titles, so-users,
# cooking, se-multi, weibo-takg, weibo-polls) while a long post reads a third of the postings it did.
MAX_POSTINGS = 2_000
# A query reads its heaviest terms until they hold QUERY_MASS of its squared (L2-normalised) weight, and stops
# early when QUERY_POSTINGS postings are read (the term that crosses either line is read whole). Measured
# 2026-11-24, the neighbour vote alone, F1@3 on valid, all terms -> 0.95 of the mass: on each set's own index
# se-multi 0.1852 -> 0.1956, so-users 0.3034 -> 0.3125, weibo-takg 0.1790 -> 0.1860, weibo-polls 0.1401 ->
# 0.1403, in 40-60% of the time; on one index of all English train posts (75k, as the shipped model) so-titles
# 0.4878 -> 0.4873, so-users 0.2635 -> 0.2675, se-multi 0.0807 -> 0.0786, long posts 455 -> 256 us. A flat
# budget of 5,000 postings alone did as well on the small indexes but lost 6% on se-multi in the large one.
QUERY_MASS = 0.95
QUERY_POSTINGS = 20_000
_COUNT_DTYPE = np.uint16  # term counts per post; a post of 65k equal terms is clipped, harmlessly


@dataclass(frozen=True, slots=True)
class NeighbourVotes:
    """The tags of a query's ``k`` nearest posts, one entry per distinct tag (arrays of equal length).

    ``share`` is the tag's similarity-weighted vote over the neighbours' total similarity (0..1); ``count``
    how many neighbours carry it; ``best`` the similarity of the closest neighbour that carries it.
    ``top_similarity`` is the similarity of the query's nearest post (0 when nothing is similar).
    """

    tags: np.ndarray  # int64 tag ids
    share: np.ndarray  # float32
    count: np.ndarray  # int32
    best: np.ndarray  # float32
    top_similarity: float
    neighbours: int
    share_near: np.ndarray  # float32: the vote of the closest NEAR neighbours only

    @classmethod
    def empty(cls) -> NeighbourVotes:
        """No neighbour, no vote."""
        no_share = np.zeros(0, np.float32)
        return cls(np.zeros(0, np.int64), no_share, np.zeros(0, np.int32), no_share, 0.0, 0, no_share)


class PostIndex:
    """Tagged posts, searchable by cosine similarity of TF-IDF term vectors."""

    def __init__(
        self,
        counts: sp.csr_matrix,
        post_tags: sp.csr_matrix,
        *,
        max_postings: int = MAX_POSTINGS,
        query_mass: float = QUERY_MASS,
        query_postings: int = QUERY_POSTINGS,
    ) -> None:
        """``counts``: posts x terms raw term counts; ``post_tags``: posts x tags, 1 where a post has a tag;
        ``query_mass``, ``query_postings``: what a query reads of its terms (1.0 and 0: all of them)."""
        if counts.shape[0] != post_tags.shape[0]:
            raise ValueError("counts and post_tags differ in their number of posts")
        self.counts = counts.tocsr().astype(_COUNT_DTYPE)
        self.post_tags = post_tags.tocsr().astype(np.float32)
        self._tag_indptr = self.post_tags.indptr.astype(np.int64)
        self._tag_indices = self.post_tags.indices.astype(np.int64)
        self.max_postings = max_postings
        self.query_mass = query_mass
        self.query_postings = query_postings
        n_posts, n_terms = self.counts.shape
        df = np.bincount(self.counts.indices, minlength=n_terms)
        self.idf = (np.log((1.0 + n_posts) / (1.0 + df)) + 1.0).astype(np.float32)
        weights = sp.csr_matrix(
            ((1.0 + np.log(self.counts.data.astype(np.float32))), self.counts.indices, self.counts.indptr),
            shape=self.counts.shape,
        )
        weights = weights.multiply(self.idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
        weights = sp.diags((1.0 / np.maximum(norms, 1e-12)).astype(np.float32)) @ weights
        self._postings_from(weights.T.tocsr().astype(np.float32))

    def _postings_from(self, postings: sp.csr_matrix) -> None:
        """Sort every posting list by weight, best first, so a capped read keeps the strongest posts."""
        indptr, indices, data = postings.indptr, postings.indices, postings.data
        row = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        order = np.lexsort((-data, row))
        self._indptr = indptr.astype(np.int64)
        self._indices = indices[order].astype(np.int32)
        self._weights = data[order].astype(np.float32)

    @classmethod
    def build(
        cls,
        terms: Sequence[Sequence[int]],
        tags: Sequence[Sequence[int]],
        n_terms: int,
        n_tags: int,
        *,
        max_postings: int = MAX_POSTINGS,
        query_mass: float = QUERY_MASS,
        query_postings: int = QUERY_POSTINGS,
    ) -> PostIndex:
        """An index of posts given as term-id lists (``features.bag_ids``) and tag-id lists."""
        counts, post_tags = _count_matrix(terms, n_terms), _tag_matrix(tags, n_tags)
        return cls(counts, post_tags, max_postings=max_postings, query_mass=query_mass, query_postings=query_postings)

    def extend(self, terms: Sequence[Sequence[int]], tags: Sequence[Sequence[int]]) -> PostIndex:
        """A new index with these posts added (idf recomputed over all posts); ``self`` is unchanged."""
        n_terms, n_tags = self.counts.shape[1], self.post_tags.shape[1]
        counts = sp.vstack([self.counts, _count_matrix(terms, n_terms)]).tocsr()
        post_tags = sp.vstack([self.post_tags, _tag_matrix(tags, n_tags)]).tocsr()
        return PostIndex(counts, post_tags, **self._reading())

    def _reading(self) -> dict[str, int | float]:
        """How queries read this index (``extend`` keeps it)."""
        return {"max_postings": self.max_postings, "query_mass": self.query_mass, "query_postings": self.query_postings}

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    @property
    def n_tags(self) -> int:
        return int(self.post_tags.shape[1])

    def vectors(self) -> sp.csr_matrix:
        """posts x terms: every indexed post's L2-normalised TF-IDF vector, the one ``vector`` gives a query."""
        n_posts, n_terms = self.counts.shape
        postings = sp.csr_matrix((self._weights, self._indices, self._indptr), shape=(n_terms, n_posts))
        return postings.T.tocsr()

    # --- querying ------------------------------------------------------------------------------------------

    def vector(self, terms: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """A query's distinct known term ids and their L2-normalised TF-IDF weights."""
        if not len(terms):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ids, tf = np.unique(np.asarray(terms, dtype=np.int64), return_counts=True)
        keep = (ids >= 0) & (ids < len(self.idf))
        ids, tf = ids[keep], tf[keep]
        weights = (1.0 + np.log(tf.astype(np.float32))) * self.idf[ids]
        norm = float(np.sqrt(np.dot(weights, weights)))
        return ids, (weights / norm if norm > 0 else weights).astype(np.float32)

    def neighbours(self, terms: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most similar posts to a query: (post ids, cosine similarities), most similar first.

        Posts sharing no term with the query are never returned, so fewer than ``k`` may come back. The
        similarities are over the terms the query reads (``query_mass``, ``query_postings``, ``max_postings``):
        whole cosines only when it reads them all.
        """
        return self.nearest(self.vector(terms), k)

    def nearest(self, query: tuple[np.ndarray, np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
        """``neighbours`` of a query already turned into its ``vector``."""
        if not len(query[0]) or k < 1:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        starts, lengths, weights = self.lists(query)
        if not lengths.sum():
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        positions = spans(starts, lengths)  # all postings of the query's terms at once
        posts = self._indices[positions]
        contributions = self._weights[positions] * np.repeat(weights, lengths)
        if len(posts) * 32 < len(self):
            unique_posts, inverse = np.unique(posts, return_inverse=True)
            sims = np.bincount(inverse, weights=contributions).astype(np.float32)
        else:  # many postings: a dense accumulator over all posts is cheaper than sorting them
            dense = np.bincount(posts, weights=contributions, minlength=len(self))
            # Only the posts that can be among the k best are ranked. A bool mask first: numpy's nonzero on
            # float64 is ~10x slower than on bool (0.4 ms of a 2 ms suggestion at 83k posts, 2026-11-23).
            unique_posts = np.flatnonzero(dense >= _floor(dense, self._lead(weights, starts, lengths, k), k))
            sims = dense[unique_posts].astype(np.float32)
        best = top_indices(sims, k)
        return unique_posts[best].astype(np.int64), sims[best]

    def lists(self, query: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The posting lists a query (``vector``) reads: their starts, the lengths read and the query's weight
        of each list's term, in the query's order."""
        ids, weights = query
        starts = self._indptr[ids]
        lengths = np.minimum(self._indptr[ids + 1], starts + self.max_postings) - starts
        if self.query_mass < 1.0 or 0 < self.query_postings < int(lengths.sum()):
            return self._heaviest(starts, lengths, weights)
        return starts, lengths, weights

    def _heaviest(
        self, starts: np.ndarray, lengths: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The query's heaviest terms (their list starts, lengths and weights, in the query's order): until
        they hold ``query_mass`` of its squared weight, and no further than ``query_postings`` postings (0: no
        such limit); the term that crosses either line is read whole."""
        order = np.argsort(-weights, kind="stable")
        squares = weights[order] ** 2
        keep = np.cumsum(squares) - squares < self.query_mass
        if self.query_postings > 0:
            keep &= np.cumsum(lengths[order]) - lengths[order] < self.query_postings
        kept = np.sort(order[keep])
        return starts[kept], lengths[kept], weights[kept]

    def _lead(self, weights: np.ndarray, starts: np.ndarray, lengths: np.ndarray, k: int) -> np.ndarray:
        """The first ``k`` posts of one of the query's posting lists: distinct posts (a list names a post once),
        so the ``k``-th best similarity among them bounds the winners' from below. The list is the one whose
        ``k``-th post contributes most, which makes that bound high (empty when no list has ``k`` posts).

        Why: a title's query finds ~5-10k of 40k posts, and ranking them all took half of the neighbour vote
        (2026-11-24); the posts at or above the bound are a few hundred.
        """
        at_k = self._weights[np.minimum(starts + (k - 1), len(self._weights) - 1)] * weights
        at_k[lengths < k] = 0.0  # (their k-th weight is another list's)
        best = int(np.argmax(at_k))
        if lengths[best] < k:
            return self._indices[:0]
        return self._indices[starts[best] : starts[best] + k]

    def votes(self, terms: Sequence[int], k: int, *, exclude_post: int | None = None) -> NeighbourVotes:
        """The tag vote of the query's ``k`` nearest posts (``exclude_post``: leave one post out)."""
        return self.votes_of(self.vector(terms), k, exclude_post=exclude_post)

    def votes_of(
        self, query: tuple[np.ndarray, np.ndarray], k: int, *, exclude_post: int | None = None
    ) -> NeighbourVotes:
        """``votes`` of a query already turned into its ``vector`` (the ranker's other sources read it too)."""
        posts, sims = self.nearest(query, k + (exclude_post is not None))
        if exclude_post is not None:
            keep = posts != exclude_post
            posts, sims = posts[keep][:k], sims[keep][:k]
        if not len(posts):
            return NeighbourVotes.empty()
        # The neighbours' tags straight from the CSR arrays (scipy's row indexing costs ~10x more here).
        starts = self._tag_indptr[posts]
        lengths = self._tag_indptr[posts + 1] - starts
        tag_ids = self._tag_indices[spans(starts, lengths)]
        post_of = np.repeat(np.arange(len(posts)), lengths)
        tag_sims = sims[post_of]
        unique_tags, first, inverse = np.unique(tag_ids, return_index=True, return_inverse=True)
        total = float(sims.sum())
        share = np.bincount(inverse, weights=tag_sims) / (total if total > 0 else 1.0)
        count = np.bincount(inverse)
        best = tag_sims[first]  # a tag's first post is its closest: the neighbours come most similar first
        near = post_of < NEAR
        near_total = float(sims[:NEAR].sum())
        share_near = np.bincount(inverse[near], weights=tag_sims[near], minlength=len(unique_tags))
        return NeighbourVotes(
            unique_tags,
            share.astype(np.float32),
            count.astype(np.int32),
            best,
            float(sims[0]),
            len(posts),
            (share_near / (near_total if near_total > 0 else 1.0)).astype(np.float32),
        )

    # --- storage -------------------------------------------------------------------------------------------

    def state(self) -> dict[str, object]:
        """Plain tensors-and-numbers form for the model file (``from_state`` reverses it).

        The counts are stored term by term (posting lists), each list's post ids as gaps from the previous
        one, in byte planes (``arrays.to_planes``): the shipped weibo index takes 4.8 MB deflated this way,
        8.2 MB as the posts x terms arrays of format 2 (hashed term ids are ~20 random bits; gaps between
        the posts of a common term are small).
        """
        import torch

        postings = self.counts.T.tocsr()  # terms x posts
        postings.sort_indices()
        lengths = np.diff(postings.indptr)
        terms = np.flatnonzero(lengths)
        starts = postings.indptr[terms]
        return {
            "shape": [int(self.counts.shape[0]), int(self.counts.shape[1]), int(self.post_tags.shape[1])],
            "posting_terms": torch.from_numpy(to_planes(gaps(terms, starts=np.arange(min(1, len(terms)))))),
            "posting_lengths": torch.from_numpy(to_planes(lengths[terms])),
            "posting_posts": torch.from_numpy(to_planes(gaps(postings.indices, starts))),
            "posting_counts": torch.from_numpy(postings.data.astype(np.uint16).view(np.int16)),
            "tag_indptr": torch.from_numpy(self.post_tags.indptr.astype(np.int64)),
            "tag_indices": torch.from_numpy(self.post_tags.indices.astype(np.int32)),
            "max_postings": int(self.max_postings),
            "query_mass": float(self.query_mass),
            "query_postings": int(self.query_postings),
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> PostIndex:
        """The index of a ``state()`` (or of format 2's posts x terms arrays). Raises ``ValueError`` when
        the arrays do not fit together."""
        n_posts, n_terms, n_tags = (int(v) for v in state["shape"])  # type: ignore[union-attr]
        if "posting_terms" in state:
            counts = _counts_from_postings(state, n_posts, n_terms)  # range-checked while decoding
        else:  # model format 2
            counts = sp.csr_matrix(
                (
                    state["count_data"].numpy().view(np.uint16),  # type: ignore[union-attr]
                    state["count_indices"].numpy(),  # type: ignore[union-attr]
                    state["count_indptr"].numpy(),  # type: ignore[union-attr]
                ),
                shape=(n_posts, n_terms),
            )
            counts.check_format(full_check=True)  # ids out of range would fail later, inside a query
        tag_indices = state["tag_indices"].numpy()  # type: ignore[union-attr]
        post_tags = sp.csr_matrix(
            (np.ones(len(tag_indices), np.float32), tag_indices, state["tag_indptr"].numpy()),  # type: ignore[union-attr]
            shape=(n_posts, n_tags),
        )
        post_tags.check_format(full_check=True)
        # Files written before queries read only their heaviest terms (2026-11-24) read every term: their
        # fusion learned that vote.
        return cls(
            counts,
            post_tags,
            max_postings=int(state["max_postings"]),  # type: ignore[call-overload]
            query_mass=float(state.get("query_mass", 1.0)),  # type: ignore[arg-type]
            query_postings=int(state.get("query_postings", 0)),  # type: ignore[call-overload]
        )


def _floor(dense: np.ndarray, lead: np.ndarray, k: int) -> float:
    """A similarity that at least ``k`` posts reach: the ``k``-th best of the ``lead`` posts (distinct posts the
    query found), or the smallest positive one when there are fewer than ``k`` of them."""
    if len(lead) < k:
        return float(np.nextafter(0.0, 1.0))  # every post found
    return float(np.partition(dense[lead], len(lead) - k)[len(lead) - k])


def _counts_from_postings(state: dict[str, object], n_posts: int, n_terms: int) -> sp.csr_matrix:
    """posts x terms counts from ``PostIndex.state``'s posting lists."""
    terms = np.cumsum(from_planes(state["posting_terms"].numpy()))  # type: ignore[union-attr]
    lengths = from_planes(state["posting_lengths"].numpy())  # type: ignore[union-attr]
    post_gaps = from_planes(state["posting_posts"].numpy())  # type: ignore[union-attr]
    data = state["posting_counts"].numpy().view(np.uint16)  # type: ignore[union-attr]
    if len(terms) != len(lengths) or len(post_gaps) != len(data) or int(lengths.sum()) != len(data):
        raise ValueError("the index's posting lists do not fit together")
    if len(terms) and (int(terms[-1]) >= n_terms or np.any(np.diff(terms) <= 0)):
        raise ValueError("the index's term ids are out of range")
    indptr = np.zeros(n_terms + 1, np.int64)
    indptr[terms + 1] = lengths
    np.cumsum(indptr, out=indptr)
    posts = from_gaps(post_gaps, lengths)
    if len(posts) and (int(posts.min()) < 0 or int(posts.max()) >= n_posts):
        raise ValueError("the index's post ids are out of range")
    return sp.csr_matrix((data, posts, indptr), shape=(n_terms, n_posts)).T.tocsr()


def post_terms(text: str) -> list[int]:
    """The retrieval terms of a (normalised) text: hashed words, adjacent word pairs and, in Chinese (where
    every character is a word, ``tagmatch.words``), character triples. Stable across processes (CRC-32)."""
    return _hashed(words(text))


def query_terms(clean_title: str, clean_body: str) -> list[int]:
    """The retrieval terms of a post from its normalised title and body: the one form used to index posts
    and to query the index.

    They are ``post_terms(f"{clean_title}\\n{clean_body}")`` (no word spans the line break, so the words of the
    whole are the title's then the body's), made from the words the text matcher reads too (``post_words``,
    cached): a long post's words are worked out once, not three times.
    """
    return _hashed([*post_words(clean_title), *post_words(clean_body)])


def _hashed(tokens: Sequence[str]) -> list[int]:
    grams = list(tokens)
    grams.extend(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    grams.extend(
        f"{a}{b}{c}"
        for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)
        if len(a) == len(b) == len(c) == 1 and not (a.isascii() or b.isascii() or c.isascii())
    )
    return [zlib.crc32(g.encode("utf-8")) % TERM_BUCKETS for g in grams]


def _count_matrix(terms: Sequence[Sequence[int]], n_terms: int) -> sp.csr_matrix:
    """posts x terms raw counts (duplicates within a post summed)."""
    indptr = np.zeros(len(terms) + 1, np.int64)
    indptr[1:] = np.cumsum([len(t) for t in terms])
    indices = np.fromiter((i for t in terms for i in t), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(indices), np.int32)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(terms), n_terms))
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, np.iinfo(_COUNT_DTYPE).max)
    return matrix


def _tag_matrix(tags: Sequence[Sequence[int]], n_tags: int) -> sp.csr_matrix:
    """posts x tags, 1 where a post carries a tag."""
    indptr = np.zeros(len(tags) + 1, np.int64)
    indptr[1:] = np.cumsum([len(set(t)) for t in tags])
    indices = np.fromiter((i for t in tags for i in sorted(set(t))), dtype=np.int64, count=int(indptr[-1]))
    return sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(len(tags), n_tags))
