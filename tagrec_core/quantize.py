"""int8 quantization: the one module that calls ``torch.ao.quantization`` (deprecated in torch 2.13, see
field-notes §1), so that the migration to its successor happens in one place.

What becomes int8, and why this way:
- ``nn.Linear`` -> ``Int8Linear``: weights stored as int8 with one float scale per output row (symmetric),
  computed in float. Weight-only on purpose: torch's *dynamic* quantization also quantizes each batch's
  activations with a scale taken from the whole batch, so a post's scores would depend on which other
  posts share its batch (``predict`` would disagree with ``suggest``). Weight-only int8 is batch-independent.
- ``nn.Embedding`` / ``nn.EmbeddingBag`` -> torch's quantized tables: 8-bit rows with a float scale and
  offset per row, looked up without dequantizing the table (a row's result never depends on the batch).
- Convolutions and recurrent cells stay float: they are small next to the tables and the output layer.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class Int8Linear(nn.Module):
    """A linear layer whose weights are stored as int8 rows with per-row scales (see module doc).

    The float weight used for computing is rebuilt from ``qweight`` and ``scale`` after every
    ``load_state_dict``; it is not part of the state (the file holds int8 only).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("qweight", torch.zeros(out_features, in_features, dtype=torch.int8))
        self.register_buffer("scale", torch.ones(out_features))
        self.register_buffer("bias", torch.zeros(out_features) if bias else None)
        self.register_buffer("weight", torch.zeros(out_features, in_features), persistent=False)
        self.register_load_state_dict_post_hook(lambda module, _keys: module._dequantize())

    @classmethod
    def from_float(cls, linear: nn.Linear) -> Int8Linear:
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
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 weights"


def quantize(network: nn.Module) -> nn.Module:
    """An int8 copy of ``network`` (which is left untouched), in eval mode, with the same forward contract.

    The copy's ``state_dict`` holds int8 weights; ``quantize(fresh_network).load_state_dict(state)``
    restores a saved copy.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notice of torch.ao.quantization, see module doc
        from torch.ao.quantization import float_qparams_weight_only_qconfig, quantize_dynamic

        spec: dict[Any, Any] = {
            nn.EmbeddingBag: float_qparams_weight_only_qconfig,
            nn.Embedding: float_qparams_weight_only_qconfig,
        }
        copy = quantize_dynamic(network.eval(), spec, inplace=False)
    _replace_linear(copy)
    return copy.eval()


def _replace_linear(module: nn.Module) -> None:
    for name, child in module.named_children():
        if type(child) is nn.Linear:
            setattr(module, name, Int8Linear.from_float(child))
        else:
            _replace_linear(child)
