"""int8 quantization: the one module that calls ``torch.ao.quantization`` (deprecated in torch 2.13, see
field-notes §1), so that the migration to its successor happens in one place.

Linear layers become dynamically quantized int8 (per output channel); ``Embedding`` and ``EmbeddingBag``
tables become 8-bit rows with float scale and offset. Convolutions and recurrent cells stay float: dynamic
quantization does not cover ``Conv1d``, and GRUs are small next to the tables.
"""

from __future__ import annotations

import warnings

from torch import nn


def quantize(network: nn.Module) -> nn.Module:
    """An int8 copy of ``network`` (which is left untouched), in eval mode, with the same forward contract."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notice of torch.ao.quantization, see module doc
        from torch.ao.quantization import (
            float_qparams_weight_only_qconfig,
            per_channel_dynamic_qconfig,
            quantize_dynamic,
        )

        spec = {
            nn.Linear: per_channel_dynamic_qconfig,
            nn.EmbeddingBag: float_qparams_weight_only_qconfig,
            nn.Embedding: float_qparams_weight_only_qconfig,
        }
        return quantize_dynamic(network.eval(), spec, inplace=False)
