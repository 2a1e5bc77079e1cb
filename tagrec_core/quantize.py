"""int8 quantization: the one module that calls ``torch.ao.quantization`` (deprecated in torch 2.13, see
field-notes §1), so that the migration to its successor happens in one place.

What becomes int8, and why this way:
- ``nn.Linear``: int8 weights (one scale per output row) and dynamically quantized int8 activations - the
  fast path: at 10k-50k tags the output layer is 2-15x faster than float, because an int8 weight matrix
  stays in cache. torch quantizes a batch's activations with one scale for the whole batch, which would
  make a post's scores depend on the other posts in its batch (``predict`` would disagree with
  ``suggest``); ``RowwiseLinear`` therefore runs each post (dim 0) on its own.
- ``nn.Embedding`` / ``nn.EmbeddingBag``: 8-bit rows with a float scale and offset per row, looked up
  without dequantizing the table.
- Convolutions and recurrent cells stay float: they are small next to the tables and the output layer.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn


class RowwiseLinear(nn.Module):
    """A dynamically quantized linear layer applied to each index of dim 0 separately (batch-independent)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x.shape[0] == 1:
            return self.inner(x)
        return torch.cat([self.inner(row.unsqueeze(0)) for row in x])


def quantize(network: nn.Module) -> nn.Module:
    """An int8 copy of ``network`` (which is left untouched), in eval mode, with the same forward contract.

    The copy's ``state_dict`` holds int8 weights; ``quantize(fresh_network).load_state_dict(state)``
    restores a saved copy.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notice of torch.ao.quantization, see module doc
        from torch.ao.quantization import (
            float_qparams_weight_only_qconfig,
            per_channel_dynamic_qconfig,
            quantize_dynamic,
        )

        spec: dict[Any, Any] = {
            nn.Linear: per_channel_dynamic_qconfig,
            nn.EmbeddingBag: float_qparams_weight_only_qconfig,
            nn.Embedding: float_qparams_weight_only_qconfig,
        }
        copy = quantize_dynamic(network.eval(), spec, inplace=False)
    _wrap_linear(copy)
    return copy.eval()


def _wrap_linear(module: nn.Module) -> None:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    for name, child in module.named_children():
        if isinstance(child, DynamicLinear):
            setattr(module, name, RowwiseLinear(child))
        else:
            _wrap_linear(child)
