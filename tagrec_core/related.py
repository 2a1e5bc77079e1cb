"""Tag relevance: which tags go together (co-occurrence on the same post).

``Related.given(s)`` is the conditional frequency P(t | s) = posts with both s and t / posts with s, for
every companion t of s. The ranker uses it twice: tags already chosen pull their companions up, and the
strongest candidates of the other sources lend weight to theirs. Stored as a sparse tags x tags matrix of
pair counts (diagonal = a tag's own count). Immutable and safe for concurrent readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from tagrec_core.arrays import top_indices

__all__ = ["Related"]


class Related:
    """Co-occurrence counts of tags on posts."""

    def __init__(self, pairs: sp.csr_matrix) -> None:
        """``pairs[s, t]``: posts carrying both ``s`` and ``t``; ``pairs[s, s]``: posts carrying ``s``."""
        self.pairs = pairs.tocsr().astype(np.float32)
        self.pairs.sum_duplicates()  # also sorts each row's companions by tag id, which ``given`` promises
        self.counts = self.pairs.diagonal().astype(np.float32)

    @classmethod
    def build(cls, tags: Iterable[Sequence[int]], n_tags: int) -> Related:
        rows: list[int] = []
        cols: list[int] = []
        for post in tags:
            distinct = sorted(set(post))
            for s in distinct:
                rows.extend([s] * len(distinct))
                cols.extend(distinct)
        data = np.ones(len(rows), np.float32)
        return cls(sp.csr_matrix((data, (rows, cols)), shape=(n_tags, n_tags)))

    def extend(self, tags: Iterable[Sequence[int]]) -> Related:
        """A new ``Related`` with these posts' tags added."""
        return Related(self.pairs + Related.build(tags, self.pairs.shape[0]).pairs)

    def given(self, tag: int) -> tuple[np.ndarray, np.ndarray]:
        """Companions of ``tag`` (sorted by id) and P(companion | tag), the tag itself left out."""
        start, end = self.pairs.indptr[tag], self.pairs.indptr[tag + 1]
        companions = self.pairs.indices[start:end].astype(np.int64)
        together = self.pairs.data[start:end]
        keep = companions != tag
        count = self.counts[tag]
        return companions[keep], (together[keep] / count if count > 0 else together[keep])

    def strongest(self, tag: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` companions of ``tag`` with the highest P(companion | tag), strongest first."""
        companions, p = self.given(tag)
        best = top_indices(p, n)
        return companions[best], p[best]

    def state(self) -> dict[str, object]:
        import torch

        coo = self.pairs.tocoo()
        return {
            "n_tags": int(self.pairs.shape[0]),
            "rows": torch.from_numpy(coo.row.astype(np.int32)),
            "cols": torch.from_numpy(coo.col.astype(np.int32)),
            "counts": torch.from_numpy(coo.data.astype(np.int32)),
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> Related:
        n = int(state["n_tags"])  # type: ignore[arg-type]
        pairs = sp.csr_matrix(
            (
                state["counts"].numpy().astype(np.float32),  # type: ignore[union-attr]
                (state["rows"].numpy(), state["cols"].numpy()),  # type: ignore[union-attr]
            ),
            shape=(n, n),
        )
        return cls(pairs)
