"""A linear classifier over the retrieval's TF-IDF vectors: one linear SVM per tag, pruned to its strongest terms.

Why beside the network: the network (``arch.bag``) squeezes every post through a 100-dimensional embedding,
so it shares strength between tags but blurs the exact words that decide one tag. A one-vs-rest linear SVM
over the sparse TF-IDF terms (words, word pairs, Chinese character triples: ``retrieval.post_terms``) keeps
them: alone it scored F1@3 0.566 on so-titles valid against the network's 0.551 and fastText's 0.544, 0.497
on the cooking fold against 0.418 (measured 2026-11-23). The ranker uses its margins as one more source.

Pruned: each tag keeps its weights of largest magnitude, ``KEEP`` of them or an even share of ``BUDGET``
weights in all, whichever is more, so the model file stays small. On so-users (3,282 tags) 100 a tag scored
0.3963 against 0.3960 with all 32M. With few tags a hundred is far too few: on so-titles (100 tags) the SVMs
alone scored 0.529 with 100 a tag, 0.561 with 3,000, 0.564 with 10,000 and 0.566 with all; on the cooking fold
(700 tags) 0.492 with 100, 0.493 with 300 to 1,000, 0.497 with all (measured 2026-11-23). One share for every
tag, not the largest weights of all tags: that kept 0.566 on so-titles with 300k weights, but on so-users the
rare tags lost their weights to the frequent ones (0.389 at 300k, and 0.390 with a floor of 100 a tag). A query
reads only the weights of its own terms (``LinearTags`` keeps them by term, sorted).

Training uses scikit-learn's liblinear (``LinearSVC``) in worker processes (joblib's loky pool), chunks of tags
each. Not threads: liblinear's random generator (its dual solver shuffles) is one per process, so two fits on two
threads drew from it in turn and gave a different model on each run. In a process, each fit reseeds it at its
start, so a model no longer depends on which worker fitted which tag: the same data give the same weights, equal
to a fit in this process (``WORKERS = 1``). Two processes fitted so-users' 3,282 tags in 30.5 s against 55 s in one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from tagrec_core.arrays import from_gaps, from_planes, gaps, spans, to_planes, top_indices

__all__ = ["BUDGET", "KEEP", "MIN_POSTS", "NO_MARGIN", "C", "LinearTags", "fit_linear"]

C = 0.3  # liblinear's regularisation; chosen on so-titles valid and the cooking fold (0.1 / 0.3 / 1.0: so-titles
# 0.554 / 0.566 / 0.562, cooking 0.476 / 0.497 / 0.498)
KEEP = 100  # weights kept per tag, at least
BUDGET = 400_000  # weights kept in all, shared evenly among the tags: 100 each from 4,000 tags up
MIN_POSTS = 2  # a tag needs this many training posts to get a classifier (as the network: CLASSIFIER_MIN_TAG_COUNT)
NO_MARGIN = -1.0  # the margin of a tag without a classifier: liblinear's target for "not this tag"
WORKERS = 2  # processes fitting tags; this machine's cores
INLINE_BELOW = 200  # fewer modelled tags are fitted in this process: starting workers would cost more (~1-2 s)
CHUNKS = 50  # chunks of tags (at most): the steps of progress and how often a stop request is heard


@dataclass(frozen=True)
class LinearTags:
    """Per modelled tag, a bias and up to ``KEEP`` (term, weight) pairs; ``margins`` scores a query.

    ``tags``: the modelled tag ids (of the ranker's tag space, ``n_tags`` of them in all); ``starts``: where each
    modelled tag's pairs begin in ``terms``/``weights`` (length ``len(tags) + 1``); each tag's terms ascend.
    """

    n_tags: int
    tags: np.ndarray  # int64
    bias: np.ndarray  # float32, per modelled tag
    starts: np.ndarray  # int64
    terms: np.ndarray  # int64 term ids
    weights: np.ndarray  # float32
    _term_ids: np.ndarray = field(init=False, repr=False, compare=False)
    _term_starts: np.ndarray = field(init=False, repr=False, compare=False)
    _term_tags: np.ndarray = field(init=False, repr=False, compare=False)
    _term_weights: np.ndarray = field(init=False, repr=False, compare=False)
    _base: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.starts) != len(self.tags) + 1 or len(self.bias) != len(self.tags):
            raise ValueError("the linear classifier's arrays do not fit together")
        if len(self.terms) != len(self.weights) or int(self.starts[-1]) != len(self.terms):
            raise ValueError("the linear classifier's weights do not fit together")
        if len(self.tags) and (int(self.tags.min()) < 0 or int(self.tags.max()) >= self.n_tags):
            raise ValueError("the linear classifier's tag ids are out of range")
        within = ~np.isin(np.arange(1, len(self.terms)), self.starts)  # pairs of neighbours inside one tag's run
        if len(self.terms) and (int(self.terms.min()) < 0 or np.any(np.diff(self.terms)[within] <= 0)):
            raise ValueError("the linear classifier's terms do not fit together: each tag's must ascend")
        # The query side: every term's (tag, weight) pairs, terms sorted, so a query reads only its own terms.
        owner = np.repeat(self.tags, np.diff(self.starts))
        order = np.argsort(self.terms, kind="stable")
        term_ids, term_counts = np.unique(self.terms[order], return_counts=True)
        object.__setattr__(self, "_term_ids", term_ids)
        object.__setattr__(self, "_term_starts", np.concatenate([[0], np.cumsum(term_counts)]).astype(np.int64))
        object.__setattr__(self, "_term_tags", owner[order])
        object.__setattr__(self, "_term_weights", self.weights[order].astype(np.float64))
        base = np.full(self.n_tags, NO_MARGIN, np.float64)
        base[self.tags] = self.bias
        object.__setattr__(self, "_base", base)

    def margins(self, term_ids: np.ndarray, term_weights: np.ndarray) -> np.ndarray:
        """The SVM margin of every tag (``[n_tags]`` float64; ``NO_MARGIN`` for tags without a classifier) for a
        query given as distinct term ids and their TF-IDF weights (``PostIndex.vector``)."""
        out = self._base.copy()
        if not len(term_ids) or not len(self._term_ids):
            return out
        position = np.minimum(np.searchsorted(self._term_ids, term_ids), len(self._term_ids) - 1)
        hit = self._term_ids[position] == term_ids
        if not hit.any():
            return out
        starts = self._term_starts[position[hit]]
        lengths = self._term_starts[position[hit] + 1] - starts
        pairs = spans(starts, lengths)
        contributions = self._term_weights[pairs] * np.repeat(term_weights[hit], lengths)
        out += np.bincount(self._term_tags[pairs], weights=contributions, minlength=self.n_tags)
        return out

    def top(self, margins: np.ndarray, n: int) -> np.ndarray:
        """The ids of the ``n`` modelled tags of highest margin, highest first (tags without a classifier never
        count, however low the others' margins)."""
        return self.tags[top_indices(margins[self.tags], n)]

    def state(self) -> dict[str, object]:
        """Tensors and numbers for the model file (``from_state`` reverses it); weights in float16.

        Each tag's term ids ascend, so they are stored as gaps from the previous one in byte planes
        (``arrays.to_planes``), as the index's posting lists: 1.0 MB deflated instead of 1.5 MB for the 549k
        weights of the shipped Stack Overflow model.
        """
        import torch

        runs = self.starts[:-1][np.diff(self.starts) > 0]
        return {
            "n_tags": int(self.n_tags),
            "tags": torch.from_numpy(self.tags.astype(np.int32)),
            "bias": torch.from_numpy(self.bias.astype(np.float32)),
            "starts": torch.from_numpy(self.starts.astype(np.int64)),
            "term_gaps": torch.from_numpy(to_planes(gaps(self.terms, runs))),
            "weights": torch.from_numpy(self.weights.astype(np.float16)),
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> LinearTags:
        """The classifier of a ``state()``; ``ValueError`` when its arrays do not fit together."""
        starts = state["starts"].numpy().astype(np.int64)  # type: ignore[attr-defined]
        term_gaps = from_planes(state["term_gaps"].numpy())  # type: ignore[attr-defined]
        if len(starts) < 1 or int(starts[-1]) != len(term_gaps) or np.any(np.diff(starts) < 0):
            raise ValueError("the linear classifier's weights do not fit together")
        return cls(
            int(state["n_tags"]),  # type: ignore[call-overload]
            state["tags"].numpy().astype(np.int64),  # type: ignore[attr-defined]
            state["bias"].numpy().astype(np.float32),  # type: ignore[attr-defined]
            starts,
            from_gaps(term_gaps, np.diff(starts)),
            state["weights"].numpy().astype(np.float32),  # type: ignore[attr-defined]
        )


def fit_linear(
    vectors: sp.csr_matrix,
    post_tags: sp.csr_matrix,
    *,
    c: float = C,
    keep: int | None = None,
    min_posts: int = MIN_POSTS,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> LinearTags | None:
    """One pruned linear SVM per tag of at least ``min_posts`` posts, each keeping its ``keep`` weights of
    largest magnitude (by default ``KEEP`` or an even share of ``BUDGET``, whichever is more).

    ``vectors``: posts x terms TF-IDF rows (``PostIndex.vectors``); ``post_tags``: posts x tags, 1 where a
    post carries a tag. ``None`` when no tag has enough posts, every post carries every such tag, or no post
    has a term (nothing to separate). ``on_progress(done, total)`` reports fitted tags after each chunk (from
    the calling thread);
    ``should_stop`` is polled between chunks; when it says stop, ``None`` is returned. Without scikit-learn
    (the desktop bundle leaves it out: suggesting never needs it) ``None`` too, with a warning.
    """
    try:
        import sklearn.svm  # noqa: F401  (the workers' LinearSVC; checked here, before any work)
    except ImportError:
        warnings.warn("scikit-learn is not installed: the ranker is trained without its linear SVMs", stacklevel=2)
        return None

    post_tags = post_tags.tocsc()
    counts = np.diff(post_tags.indptr)
    n_posts = vectors.shape[0]
    modelled = np.flatnonzero((counts >= min_posts) & (counts < n_posts))
    if not len(modelled):
        return None
    keep = keep if keep is not None else max(KEEP, BUDGET // len(modelled))
    by_term = vectors.tocsc()
    used = np.flatnonzero(np.diff(by_term.indptr))  # terms of at least one post: liblinear's columns
    if not len(used):
        return None  # no post has a term (all punctuation, say): there is nothing to fit on
    x = by_term[:, used].tocsr().astype(np.float64)
    chunks = [
        [post_tags.indices[post_tags.indptr[tag] : post_tags.indptr[tag + 1]] for tag in chunk.tolist()]
        for chunk in np.array_split(modelled, min(CHUNKS, len(modelled)))
    ]
    fitted: list[tuple[float, np.ndarray, np.ndarray]] = []
    results = _fitted_chunks(x, chunks, c, keep)
    try:
        for result in results:
            fitted.extend((bias, used[columns].astype(np.int64), weights) for bias, columns, weights in result)
            if on_progress is not None:
                on_progress(len(fitted), len(modelled))
            if should_stop is not None and should_stop():
                return None
    finally:
        with warnings.catch_warnings():  # joblib warns that it cancelled the chunks not yet fitted: that is the aim
            warnings.simplefilter("ignore", UserWarning)
            results.close()
    lengths = np.array([len(terms) for _, terms, _ in fitted], np.int64)
    return LinearTags(
        int(post_tags.shape[1]),
        modelled.astype(np.int64),
        np.array([bias for bias, _, _ in fitted], np.float32),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        np.concatenate([terms for _, terms, _ in fitted]) if fitted else np.zeros(0, np.int64),
        np.concatenate([weights for _, _, weights in fitted]) if fitted else np.zeros(0, np.float32),
    )


def _fitted_chunks(
    x: sp.csr_matrix, chunks: list[list[np.ndarray]], c: float, keep: int
) -> Generator[list[tuple[float, np.ndarray, np.ndarray]], None, None]:
    """``_fit_chunk`` of each chunk, in order: in ``WORKERS`` processes, or here when the job is small."""
    if WORKERS <= 1 or sum(map(len, chunks)) < INLINE_BELOW:
        return (_fit_chunk(x, positives, c, keep) for positives in chunks)
    from joblib import Parallel, delayed  # scikit-learn's own dependency

    jobs: Iterable[object] = (delayed(_fit_chunk)(x, positives, c, keep) for positives in chunks)
    return Parallel(n_jobs=WORKERS, return_as="generator")(jobs)  # type: ignore[no-any-return]


def _fit_chunk(
    x: sp.csr_matrix, positives: list[np.ndarray], c: float, keep: int
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """One pruned SVM per tag, given by the rows of its posts: (bias, columns of ``x`` kept, their weights)."""
    from sklearn.svm import LinearSVC

    out = []
    for rows in positives:
        y = np.zeros(x.shape[0], np.int8)
        y[rows] = 1
        svm = LinearSVC(C=c, dual=True, random_state=0, max_iter=2000).fit(x, y)
        weights = svm.coef_.ravel()
        strongest = np.flatnonzero(weights)
        if len(strongest) > keep:
            strongest = np.argpartition(-np.abs(weights), keep - 1)[:keep]
        strongest = np.sort(strongest)
        out.append((float(svm.intercept_[0]), strongest, weights[strongest].astype(np.float32)))
    return out
