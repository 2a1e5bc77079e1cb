"""Helpers shared by the architecture modules."""

from __future__ import annotations

from typing import Any

import torch


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
