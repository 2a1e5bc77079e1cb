"""Multinomial naive Bayes over pieces, one-vs-rest multi-label, as a closed-form (count-based) baseline.

Each tag is a class; a document counts for every tag it carries. With Lidstone smoothing ``alpha`` over the
``V = n_pieces - 1`` real pieces (id 0 is padding):

    log p(piece | tag) = log(count(piece, tag) + alpha) - log(total(tag) + alpha * V)
    log p(tag)         = log(docs(tag) + alpha) - log(N_labels + alpha * n_tags)

and ``forward`` returns ``log p(tag) + sum over real tokens of log p(piece | tag)``, a logit-like score for
ranking (not a calibrated probability). Not gradient-trained: call ``fit``.

Memory: the table is a dense float32 [n_pieces, n_tags] weight (8k pieces x 15k tags = 480 MB, x 50k tags =
1.6 GB) so that forward is a fast sum of rows; counts are accumulated sparsely, chunk by chunk, straight into
that weight, so fitting needs no second dense matrix. (If memory becomes the limit: every unseen pair has the
per-tag value ``log(alpha) - log(total + alpha * V)``, so a sparse table of seen pairs + one vector suffices.)
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tagrec_core.arch.common import resolve_config


def _label_pairs(targets: torch.Tensor) -> torch.Tensor:
    """(document, tag) index pairs [2, nnz] long, sorted by document, of the non-zero entries of ``targets``.

    ``targets`` is [N, n_tags], dense or sparse COO; non-zero means "the document carries the tag".
    """
    if targets.is_sparse:
        targets = targets.coalesce()  # sorts indices by row, sums duplicates
        return targets.indices()[:, targets.values() != 0].contiguous()
    return targets.nonzero().t().contiguous()  # contiguous: searchsorted on a strided row would copy and warn


def _cooccurrences(
    ids: torch.Tensor, mask: torch.Tensor, pairs: torch.Tensor, start: int, stop: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(piece, tag) index pairs, one per (real token, tag of its document), for documents ``start:stop``.

    ``ids``/``mask`` [N, T], ``pairs`` [2, nnz] (document, tag) sorted by document -> two long tensors of
    equal length; accumulating 1 at each pair gives count(piece, tag) (a piece occurring 3 times in a
    document with 2 tags adds 3 to each of the 2). Built with index arithmetic rather than torch.sparse.mm,
    whose CPU path goes through beta CSR support (and warns).
    """
    lo, hi = torch.searchsorted(pairs[0], torch.tensor([start, stop])).tolist()
    label_doc, label_tag = pairs[0, lo:hi] - start, pairs[1, lo:hi]
    token_doc, token_pos = mask[start:stop].nonzero(as_tuple=True)
    token_piece = ids[start:stop][token_doc, token_pos]
    labels_per_doc = torch.bincount(label_doc, minlength=stop - start)
    first_label = torch.cumsum(labels_per_doc, 0) - labels_per_doc
    repeats = labels_per_doc[token_doc]  # each token pairs with every tag of its document
    token = torch.repeat_interleave(torch.arange(token_doc.shape[0]), repeats)
    rank = torch.arange(token.shape[0]) - torch.repeat_interleave(torch.cumsum(repeats, 0) - repeats, repeats)
    return token_piece[token], label_tag[first_label[token_doc[token]] + rank]


class NaiveBayes(nn.Module):
    """Multinomial NB. ``fit(ids, mask, targets)`` then ``forward(ids [B, T], mask [B, T]) -> [B, n_tags]``.

    Parameters (in ``state_dict``): ``embedding.weight`` [n_pieces, n_tags] float32 = log p(piece | tag)
    (row 0, padding, is zero) and ``log_prior`` [n_tags] float32. Neither requires grad. Before ``fit``
    every score is 0.
    """

    name: ClassVar[str] = "naive_bayes"
    input_kind: ClassVar[str] = "sequence"
    closed_form: ClassVar[bool] = True
    sparse_embedding: ClassVar[bool] = False  # not gradient-trained at all (closed_form)
    defaults: ClassVar[dict[str, Any]] = {
        "alpha": 0.1,  # Lidstone smoothing (1.0 = Laplace)
        "chunk_size": 4096,  # documents per counting step; bounds fit's temporary memory
    }

    def __init__(self, n_pieces: int, n_tags: int, **config: Any) -> None:
        super().__init__()
        cfg = resolve_config(self.name, self.defaults, config)
        if cfg["alpha"] <= 0:
            raise ValueError(f"{self.name}: alpha must be > 0, got {cfg['alpha']}")
        self._config = cfg
        self.n_pieces = n_pieces
        self.n_tags = n_tags
        self.embedding = nn.Embedding(n_pieces, n_tags, padding_idx=0)
        self.embedding.weight.requires_grad_(False)
        with torch.no_grad():
            self.embedding.weight.zero_()
        self.log_prior = nn.Parameter(torch.zeros(n_tags), requires_grad=False)

    def config(self) -> dict[str, Any]:
        """The resolved hyper-parameters: ``type(self)(n_pieces, n_tags, **self.config())`` rebuilds it."""
        return dict(self._config)

    @torch.no_grad()
    def fit(self, ids: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor) -> None:
        """Set the parameters from counts over a whole training set (replaces any earlier fit).

        ``ids`` [N, T] long, ``mask`` [N, T] bool, ``targets`` [N, n_tags] float, dense or sparse COO;
        any non-zero target counts as the tag being present.
        """
        if ids.shape != mask.shape or ids.shape[0] != targets.shape[0] or targets.shape[1] != self.n_tags:
            raise ValueError(
                f"{self.name}.fit: shapes ids {tuple(ids.shape)}, mask {tuple(mask.shape)}, "
                f"targets {tuple(targets.shape)} do not fit n_tags={self.n_tags}"
            )
        alpha = float(self._config["alpha"])
        table = self.embedding.weight
        table.zero_()
        mask = mask & (ids != 0)  # padding never counts, whatever the mask says
        pairs = _label_pairs(targets)
        for start in range(0, ids.shape[0], self._config["chunk_size"]):
            stop = min(start + self._config["chunk_size"], ids.shape[0])
            piece, tag = _cooccurrences(ids, mask, pairs, start, stop)
            table.index_put_((piece, tag), torch.ones(piece.shape[0]), accumulate=True)
        docs_per_tag = torch.bincount(pairs[1], minlength=self.n_tags).double()
        vocab = self.n_pieces - 1
        totals = table.sum(dim=0, dtype=torch.float64)
        # In place: the table is the big object, and a second one would double fit's peak memory.
        table.add_(alpha).log_().sub_(torch.log(totals + alpha * vocab).float())
        table[0].zero_()
        n_labels = float(docs_per_tag.sum())
        self.log_prior.copy_((torch.log(docs_per_tag + alpha) - math.log(n_labels + alpha * self.n_tags)).float())

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``ids`` [B, T] long in [0, n_pieces), ``mask`` [B, T] bool -> scores [B, n_tags] float32."""
        # embedding_bag sums rows without materialising [B, T, n_tags] (B=256, T=40, 50k tags would be 2 GB).
        summed = F.embedding_bag(
            ids, self.embedding.weight, mode="sum", per_sample_weights=mask.to(self.embedding.weight.dtype)
        )
        return self.log_prior + summed
