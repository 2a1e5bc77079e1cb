"""int8 quantization: the one module that calls ``torch.ao.quantization`` (deprecated in torch 2.13, see
field-notes §1), so that the migration to its successor happens in one place.

What becomes int8, and why this way:
- ``nn.Linear``: int8 weights with one scale per output row. Large layers (the output layer over thousands
  of tags) also quantize their input on the fly (torch's dynamic quantization): at 10k-50k tags that is
  2-15x faster than float, because an int8 weight matrix stays in cache. torch quantizes a batch's
  activations with one scale for the whole batch, which would make a post's scores depend on the other
  posts in its batch (``predict`` would disagree with ``suggest``); ``RowwiseLinear`` therefore runs each
  post (dim 0) on its own. Small layers (``WeightInt8Linear``) compute in float from the int8 weights:
  below ~4k outputs the dynamic kernel's overhead makes it slower than float (measured: 17.7 vs 5.5 µs
  at 100 tags).
- ``nn.Embedding`` / ``nn.EmbeddingBag``: 8-bit rows with a float scale and offset per row, looked up
  without dequantizing the table.
- Convolutions and recurrent cells stay float: they are small next to the tables and the output layer.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

DYNAMIC_MIN_OUTPUTS = 4096


class WeightInt8Linear(nn.Module):
    """int8 weights with per-row scales, computed in float (the float copy is rebuilt on load, not stored)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("qweight", torch.zeros(out_features, in_features, dtype=torch.int8))
        self.register_buffer("scale", torch.ones(out_features))
        self.register_buffer("bias", torch.zeros(out_features) if bias else None)
        self.register_buffer("weight", torch.zeros(out_features, in_features), persistent=False)
        self.register_load_state_dict_post_hook(lambda module, _keys: module._dequantize())

    @classmethod
    def from_float(cls, linear: nn.Linear) -> WeightInt8Linear:
        module = cls(linear.in_features, linear.out_features, linear.bias is not None)
        with torch.no_grad():
            weight = linear.weight.detach().float()
            scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0
            module.qweight.copy_(torch.round(weight / scale.unsqueeze(1)).clamp(-127, 127).to(torch.int8))
            module.scale.copy_(scale)
            if linear.bias is not None:
                module.bias.copy_(linear.bias.detach())
        module._dequantize()
        return module

    def _dequantize(self) -> None:
        with torch.no_grad():
            self.weight = self.qweight.float() * self.scale.unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.linear(x, self.weight, self.bias)


class RowwiseLinear(nn.Module):
    """A dynamically quantized linear layer applied to each index of dim 0 separately (batch-independent)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x.shape[0] == 1:
            return self.inner(x)
        return torch.cat([self.inner(row.unsqueeze(0)) for row in x])


def quantize(network: nn.Module, *, inplace: bool = False) -> nn.Module:
    """An int8 version of ``network`` in eval mode, with the same forward contract: a copy, or ``network``
    itself converted when ``inplace`` (no second copy in memory, for loading).

    Its ``state_dict`` holds int8 weights; ``quantize(fresh_network).load_state_dict(state)`` restores a
    saved one.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notice of torch.ao.quantization, see module doc
        from torch.ao.quantization import (
            float_qparams_weight_only_qconfig,
            per_channel_dynamic_qconfig,
            quantize_dynamic,
        )

        spec: dict[Any, Any] = {
            nn.EmbeddingBag: float_qparams_weight_only_qconfig,
            nn.Embedding: float_qparams_weight_only_qconfig,
        }
        result = quantize_dynamic(network.eval(), spec, inplace=inplace)
        _convert_linear(result, per_channel_dynamic_qconfig)
    return result.eval()


def _convert_linear(module: nn.Module, qconfig: Any) -> None:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    for name, child in module.named_children():
        if type(child) is not nn.Linear:
            _convert_linear(child, qconfig)
        elif child.out_features >= DYNAMIC_MIN_OUTPUTS:
            child.qconfig = qconfig
            setattr(module, name, RowwiseLinear(DynamicLinear.from_float(child)))
        else:
            setattr(module, name, WeightInt8Linear.from_float(child))
