"""Attention-based CNN for hashtag recommendation (Gong & Zhang, IJCAI 2016), the project's seed paper.

What follows the paper (as recalled from its method section, without the text at hand):

* Two channels over the word-embedding sequence ``x_1..x_T``.
* **Local attention channel**: each position ``i`` gets an attention score from the window of ``h`` words
  centred on it, ``s_i = sigmoid(W · x_{i-(h-1)/2 .. i+(h-1)/2} + b)``; only *trigger words* with
  ``s_i >= η`` are kept (weighted by their score), the rest are zeroed; a layer over the kept words is
  followed by max-pooling over positions.
* **Global channel**: a convolution with window ``l`` (several filters, tanh) over the whole sequence,
  max-pooled over time.
* The two channel vectors are concatenated and fed to a hidden layer and then to the output layer over tags.

What is our choice:

* The paper's folding layer (a fixed sum of adjacent embedding dimensions) + max-pooling in the local
  channel is replaced by a learned position-wise projection ``local_proj`` (tanh) + max over the kept
  positions; a learned linear map subsumes folding.
* At least the top-scoring real token of every row is always kept, so no text is ever all-zero in the local
  channel and the score layer always receives a gradient (with a hard threshold, gradient flows only through
  kept positions, via their weights ``s_i``).
* The global channel uses several widths (default 1, 2, 3) instead of one ``l``; convolutions are padded
  ("same" length) so any ``T >= 1`` works, and pooling ignores padding positions.
* Embeddings are learned from scratch over sentencepiece pieces (the paper used word embeddings), drawn
  from N(0, ``embedding_std``) (``common.sequence_embedding``; 0.1 by default, but "attention only" keeps
  learning best from N(0, 1): its channel multiplies the kept embeddings by their scores, so small ones give
  it little to work with);
  output is raw multi-label logits (the paper used a softmax over hashtags; the training loop chooses).
* The hidden layer uses tanh, with dropout before it and before ``out``.
* ``channels`` selects ``"both"`` (paper's "CNN + attention"), ``"local"`` ("attention only") or
  ``"global"`` ("CNN"), to reproduce the paper's ablation table.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tagrec_core.arch.common import masked_max, resolve_config, sequence_embedding

_CHANNELS = ("both", "local", "global")


def same_conv(conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """Apply an unpadded stride-1 ``conv`` to ``x`` [B, D, T] with zero "same" padding -> [B, C, T].

    Output ``t`` is aligned with input token ``t`` (for even widths the extra context is on the right), so the
    input mask is also the output mask, and any ``T >= 1`` works.
    """
    width = conv.kernel_size[0]
    left = (width - 1) // 2
    return conv(F.pad(x, (left, width - 1 - left)))


class AttentionCNN(nn.Module):
    """Gong & Zhang (2016) attention-based CNN; see the module docstring for paper vs. our choices.

    ``forward(ids [B, T] long, mask [B, T] bool) -> [B, n_tags] float32`` raw logits. Padding (id 0, mask
    False) does not change the output.
    """

    name: ClassVar[str] = "attention_cnn"
    input_kind: ClassVar[str] = "sequence"
    closed_form: ClassVar[bool] = False
    sparse_embedding: ClassVar[bool] = False  # dense gradients: use a dense optimizer
    defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 128,
        "embedding_std": 0.1,  # of the initial embeddings
        "channels": "both",
        "window": 5,  # h: the local attention window, odd
        "threshold": 0.5,  # η: positions with a score below it are dropped from the local channel
        "local_dim": 128,  # size of the local channel's projection of the kept words
        "global_filters": 128,  # filters per width in the global channel
        "global_widths": [1, 2, 3],
        "hidden": 256,
        "dropout": 0.3,
    }

    def __init__(self, n_pieces: int, n_tags: int, **config: Any) -> None:
        super().__init__()
        cfg = resolve_config(self.name, self.defaults, config)
        if cfg["channels"] not in _CHANNELS:
            raise ValueError(f"{self.name}: channels must be one of {_CHANNELS}, got {cfg['channels']!r}")
        if cfg["window"] < 1 or cfg["window"] % 2 == 0:
            raise ValueError(f"{self.name}: window must be a positive odd number, got {cfg['window']}")
        self._config = cfg
        self.n_pieces = n_pieces
        self.n_tags = n_tags
        d = cfg["embedding_dim"]
        self.embedding = sequence_embedding(n_pieces, d, cfg["embedding_std"])
        feature_dim = 0
        self.use_local = cfg["channels"] in ("both", "local")
        self.use_global = cfg["channels"] in ("both", "global")
        if self.use_local:
            self.score = nn.Conv1d(d, 1, cfg["window"], padding=cfg["window"] // 2)
            self.local_proj = nn.Linear(d, cfg["local_dim"])
            feature_dim += cfg["local_dim"]
        if self.use_global:
            self.global_convs = nn.ModuleList(nn.Conv1d(d, cfg["global_filters"], w) for w in cfg["global_widths"])
            feature_dim += cfg["global_filters"] * len(cfg["global_widths"])
        self.dropout = nn.Dropout(cfg["dropout"])
        self.hidden = nn.Linear(feature_dim, cfg["hidden"])
        self.out = nn.Linear(cfg["hidden"], n_tags)

    def config(self) -> dict[str, Any]:
        """The resolved hyper-parameters: ``type(self)(n_pieces, n_tags, **self.config())`` rebuilds it."""
        return {k: list(v) if isinstance(v, list) else v for k, v in self._config.items()}

    def attention(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Local attention scores and trigger-word selection.

        ``x`` [B, D, T] float (zero at padding), ``mask`` [B, T] bool -> (scores [B, T] in (0, 1),
        keep [B, T] bool). ``keep`` is ``scores >= η`` on real tokens, plus the best real token of each row.
        """
        scores = torch.sigmoid(self.score(x).squeeze(1))
        keep = (scores >= self._config["threshold"]) & mask
        best = scores.masked_fill(~mask, -1.0).argmax(dim=1, keepdim=True)
        # `& mask` again: an all-padding row would otherwise "keep" padding position 0.
        keep = keep.scatter(1, best, True) & mask
        return scores, keep

    def local_channel(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """[B, D, T] embeddings -> [B, local_dim]: max over trigger words of tanh(proj(s_i * x_i))."""
        scores, keep = self.attention(x, mask)
        weighted = x.transpose(1, 2) * (scores * keep).unsqueeze(-1)
        return masked_max(torch.tanh(self.local_proj(weighted)), keep)

    def global_channel(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """[B, D, T] embeddings -> [B, global_filters * len(global_widths)]: tanh convs, max over time."""
        pooled = [masked_max(torch.tanh(same_conv(conv, x)).transpose(1, 2), mask) for conv in self.global_convs]
        return torch.cat(pooled, dim=1)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``ids`` [B, T] long in [0, n_pieces), ``mask`` [B, T] bool -> logits [B, n_tags] float32."""
        # Zero padded positions explicitly so that convolution windows reaching into padding see exactly what
        # the zero conv padding of a shorter batch would: the output is independent of the padded length.
        x = (self.embedding(ids) * mask.unsqueeze(-1)).transpose(1, 2)
        features = []
        if self.use_local:
            features.append(self.local_channel(x, mask))
        if self.use_global:
            features.append(self.global_channel(x, mask))
        h = torch.tanh(self.hidden(self.dropout(torch.cat(features, dim=1))))
        return self.out(self.dropout(h))
