"""The bag-of-pieces model: the latency workhorse (fastText's architecture, with sentencepiece pieces).

The mean of the embeddings of a text's pieces, hashed piece bigrams and (with ``grams``, e.g. ``[2, 5]``)
hashed character grams of its words (``features.gram_ids``; the grams share the bigrams' buckets, as in
fastText), an optional hidden layer, and a linear layer over tags. ``nn.EmbeddingBag`` runs in ``sum`` mode
and the division by the bag length happens here, because quantized ``EmbeddingBag`` in torch 2.13 ignores
``mode="mean"`` (field-notes §1).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tagrec_core.arch.common import resolve_config


class BagModel(nn.Module):
    """Inputs: flat piece ids, offsets and bag lengths (``features.bag_batch``); output: logits ``[B, n_tags]``."""

    name: ClassVar[str] = "bag"
    input_kind: ClassVar[str] = "bag"
    closed_form: ClassVar[bool] = False
    defaults: ClassVar[dict[str, Any]] = {"dim": 64, "buckets": 100_000, "hidden": 0, "dropout": 0.0, "grams": []}
    # Sparse gradients: a step touches only the rows of the pieces in the batch, not the whole table.
    sparse_embedding: ClassVar[bool] = True

    def __init__(self, n_pieces: int, n_tags: int, **config: Any) -> None:
        super().__init__()
        self._config = resolve_config(self.name, self.defaults, config)
        dim, hidden = int(self._config["dim"]), int(self._config["hidden"])
        self.n_pieces = n_pieces
        self.embedding = nn.EmbeddingBag(
            n_pieces + int(self._config["buckets"]), dim, mode="sum", sparse=self.sparse_embedding
        )
        nn.init.uniform_(self.embedding.weight, -1.0 / dim, 1.0 / dim)
        with torch.no_grad():
            self.embedding.weight[0].zero_()  # the padding row: an empty text is the zero vector
        self.dropout = nn.Dropout(float(self._config["dropout"]))
        self.hidden = nn.Linear(dim, hidden) if hidden else None
        self.out = nn.Linear(hidden or dim, n_tags)
        nn.init.zeros_(self.out.weight)  # fastText starts the output at zero; it trains faster from there

    def config(self) -> dict[str, Any]:
        """The resolved hyper-parameters: ``BagModel(n_pieces, n_tags, **m.config())`` rebuilds it."""
        return dict(self._config)

    @property
    def buckets(self) -> int:
        return int(self._config["buckets"])

    def forward(self, flat: torch.Tensor, offsets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embedding(flat, offsets) / lengths.clamp(min=1.0).unsqueeze(1)
        if self.training:  # identity otherwise; the module call alone costs a suggestion ~5 µs
            x = self.dropout(x)
        if self.hidden is not None:
            x = torch.relu(self.hidden(x))
        return self.out(x)
