"""TextCNN (Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP 2014) as a tag baseline.

Follows Kim: parallel convolutions of several widths (2, 3, 4 × 100 filters), ReLU, max-over-time pooling,
dropout, a linear output layer. Our choices: embeddings learned from scratch (no word2vec, one channel),
"same"-padded convolutions so that texts shorter than a filter (down to 1 token) work, pooling that ignores
padding, raw multi-label logits.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tagrec_core.arch.common import masked_max, resolve_config, sequence_embedding


class TextCNN(nn.Module):
    """Kim (2014) TextCNN. ``forward(ids [B, T] long, mask [B, T] bool) -> [B, n_tags] float32`` logits."""

    name: ClassVar[str] = "textcnn"
    input_kind: ClassVar[str] = "sequence"
    closed_form: ClassVar[bool] = False
    sparse_embedding: ClassVar[bool] = False  # dense gradients: use a dense optimizer
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 128,
        "filter_widths": [2, 3, 4],
        "filters": 100,  # per width
        "dropout": 0.5,
    }

    def __init__(self, n_pieces: int, n_tags: int, **config: Any) -> None:
        super().__init__()
        cfg = resolve_config(self.name, self.defaults, config)
        self._config = cfg
        self.n_pieces = n_pieces
        self.n_tags = n_tags
        d = cfg["embedding_dim"]
        self.embedding = sequence_embedding(n_pieces, d)
        self.convs = nn.ModuleList(nn.Conv1d(d, cfg["filters"], w) for w in cfg["filter_widths"])
        self.dropout = nn.Dropout(cfg["dropout"])
        self.out = nn.Linear(cfg["filters"] * len(cfg["filter_widths"]), n_tags)

    def config(self) -> dict[str, Any]:
        """The resolved hyper-parameters: ``type(self)(n_pieces, n_tags, **self.config())`` rebuilds it."""
        return {k: list(v) if isinstance(v, list) else v for k, v in self._config.items()}

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``ids`` [B, T] long in [0, n_pieces), ``mask`` [B, T] bool -> logits [B, n_tags] float32."""
        # Zeroing padding makes windows that reach past the text see the same zeros as conv padding would,
        # so the result does not depend on how far the batch is padded.
        x = (self.embedding(ids) * mask.unsqueeze(-1)).transpose(1, 2)
        pooled = []
        for conv in self.convs:
            width = conv.kernel_size[0]
            left = (width - 1) // 2
            # "Same" padding: output t is aligned with token t, so `mask` is also the output mask.
            feature = F.relu(conv(F.pad(x, (left, width - 1 - left))))
            pooled.append(masked_max(feature.transpose(1, 2), mask))
        return self.out(self.dropout(torch.cat(pooled, dim=1)))
