"""Bidirectional GRU encoder with masked mean + max pooling over time, as a recurrent tag baseline.

One GRU layer, ``hidden`` units per direction; the sequence is packed by length so the backward direction
starts at the last real token (padding never enters the recurrence); the per-step outputs [B, T, 2H] are
pooled by a mean and a max over real tokens only, concatenated to [B, 4H], dropout, ``out``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tagrec_core.arch.common import resolve_config, sequence_embedding


class BiGRU(nn.Module):
    """Bi-GRU + masked mean/max pooling. ``forward(ids [B, T] long, mask [B, T] bool) -> [B, n_tags]``.

    Contract: rows are right-padded (``mask`` is a prefix of True values), as the batcher produces them;
    the length of a row is ``mask.sum()``. An all-padding row is treated as length 1 (its output is
    meaningless but finite).
    """

    name: ClassVar[str] = "bigru"
    input_kind: ClassVar[str] = "sequence"
    closed_form: ClassVar[bool] = False
    sparse_embedding: ClassVar[bool] = False  # dense gradients: use a dense optimizer
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 128,
        "hidden": 128,  # per direction
        "dropout": 0.3,
    }

    def __init__(self, n_pieces: int, n_tags: int, **config: Any) -> None:
        super().__init__()
        cfg = resolve_config(self.name, self.defaults, config)
        self._config = cfg
        self.n_pieces = n_pieces
        self.n_tags = n_tags
        self.embedding = sequence_embedding(n_pieces, cfg["embedding_dim"])
        self.gru = nn.GRU(cfg["embedding_dim"], cfg["hidden"], num_layers=1, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(cfg["dropout"])
        self.out = nn.Linear(4 * cfg["hidden"], n_tags)

    def config(self) -> dict[str, Any]:
        """The resolved hyper-parameters: ``type(self)(n_pieces, n_tags, **self.config())`` rebuilds it."""
        return dict(self._config)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """GRU over real tokens only -> (outputs [B, T', 2H] float, valid [B, T'] bool); T' = longest row."""
        lengths = mask.sum(dim=1).clamp(min=1)
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.gru(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True)
        steps = torch.arange(outputs.shape[1], device=ids.device)
        return outputs, steps.unsqueeze(0) < lengths.unsqueeze(1)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``ids`` [B, T] long in [0, n_pieces), ``mask`` [B, T] bool -> logits [B, n_tags] float32."""
        outputs, valid = self.encode(ids, mask)
        weights = valid.unsqueeze(-1).to(outputs.dtype)
        # pad_packed_sequence fills padding with 0, which would win the max over all-negative features.
        mean = (outputs * weights).sum(dim=1) / weights.sum(dim=1)
        top = outputs.masked_fill(~valid.unsqueeze(-1), float("-inf")).max(dim=1).values
        return self.out(self.dropout(torch.cat([mean, top], dim=1)))
