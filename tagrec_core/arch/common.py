"""Helpers shared by the architecture modules."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

# The spread of learned-from-scratch piece embeddings in the sequence models. torch's default N(0, 1) puts a
# window's pre-activations deep into tanh's flat tails, so the attention CNN barely learned on the Weibo sets
# (F1@3 0.046 on weibo-takg valid; with std 0.1, 0.100). Kim (2014) draws them from U(-0.25, 0.25), a
# similar spread.
EMBEDDING_STD = 0.1


def sequence_embedding(n_pieces: int, dim: int, std: float = EMBEDDING_STD) -> nn.Embedding:
    """A piece embedding table for the sequence models: N(0, ``std``), row 0 (padding) zero."""
    embedding = nn.Embedding(n_pieces, dim, padding_idx=0)
    nn.init.normal_(embedding.weight, 0.0, std)
    with torch.no_grad():
        embedding.weight[0].zero_()
    return embedding


def resolve_config(name: str, defaults: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Return ``defaults`` overridden by ``config``; unknown keys raise ``TypeError`` (like a bad kwarg)."""
    unknown = sorted(set(config) - set(defaults))
    if unknown:
        raise TypeError(f"{name}: unknown config key(s) {unknown}; known: {sorted(defaults)}")
    resolved = {**defaults, **config}
    # Tuples and lists both accepted; lists are stored so that config() round-trips through JSON unchanged.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in resolved.items()}


def masked_max(values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Max over time of ``values`` [B, T, D] (float) at positions where ``keep`` [B, T] (bool) is True.

    Returns [B, D]; a row with no kept position gives zeros (rather than -inf, which would poison the loss).
    """
    filled = values.masked_fill(~keep.unsqueeze(-1), float("-inf"))
    pooled = filled.max(dim=1).values
    return torch.where(keep.any(dim=1, keepdim=True), pooled, torch.zeros_like(pooled))
