"""The bag network's forward pass for one post, in numpy.

Why: a suggestion scores one post, and for a bag network torch's per-call machinery (tensor creation,
module calls, the inference-mode context) cost about as much as the arithmetic: ~35 of the ~85 µs that
turning a title into logits took (so-titles, 2026-11-24). The same weights read through numpy views give the
same logits (float rounding aside: sums run in another order) for a fraction of that. Batches keep torch's
path, which is faster per post there.

What it reads from a ``BagModel`` (float or ``quantize``d): the embedding table (float, or 8-bit rows with a
float scale and offset each, ``(q - zero_point) * scale``), the optional hidden layer and the output layer.
A large dynamically quantized layer (``quantize.RowwiseLinear``) stays a torch call: its int8 kernel is what
makes it fast, and numpy has none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from tagrec_core.arch.bag import BagModel
from tagrec_core.features import bag_ids
from tagrec_core.quantize import RowwiseLinear, WeightInt8Linear

__all__ = ["NumpyBag"]

Layer = Callable[[np.ndarray], np.ndarray]


class NumpyBag:
    """``logits(encoded)``: what the network returns for one encoded text (``model.encode_text``), as a
    float32 ``[n_tags]`` array: the same bag of ids (``features.bag_ids``) and the same arithmetic.

    Holds views of the network's weights (and an 8-bit copy of a quantized table's rows), so it must be built
    after training is over."""

    def __init__(self, network: BagModel) -> None:
        self._pieces, self._buckets = network.n_pieces, network.buckets
        table = network.embedding
        if isinstance(table, nn.EmbeddingBag):  # float
            self._rows = table.weight.detach().numpy()
            self._scale: np.ndarray | None = None
            self._offset = np.zeros(0, np.float32)
        else:  # torch.ao's quantized EmbeddingBag
            weight = table.weight()  # unpacked: a copy of the table's 8-bit rows, which this keeps
            scale = weight.q_per_channel_scales().numpy().astype(np.float32)
            self._rows = _bytes_of(weight)
            self._scale = scale
            self._offset = (-weight.q_per_channel_zero_points().numpy() * scale).astype(np.float32)
        self._hidden = None if network.hidden is None else _layer(network.hidden)
        self._out = _layer(network.out)

    @classmethod
    def of(cls, network: nn.Module) -> NumpyBag | None:
        """The numpy forward pass of ``network``, or None when it is not a bag network."""
        return cls(network) if isinstance(network, BagModel) else None

    def logits(self, encoded: Sequence[int]) -> np.ndarray:
        index = np.asarray(bag_ids(encoded, self._pieces, self._buckets), dtype=np.intp)
        if self._scale is None:
            summed = self._rows[index].sum(axis=0, dtype=np.float32)
        else:  # sum of (q * scale + offset) over the rows, without dequantizing each row
            summed = self._scale[index] @ self._rows[index].astype(np.float32) + self._offset[index].sum()
        x = summed / np.float32(max(1, len(index)))
        if self._hidden is not None:
            x = np.maximum(self._hidden(x), np.float32(0.0))
        return self._out(x)


def _bytes_of(quantized: torch.Tensor) -> np.ndarray:
    """The 8-bit values of a contiguous quantized tensor as a uint8 array over its own memory (``int_repr``
    would copy them: another 10 MB for a 100k-row table)."""
    if not quantized.is_contiguous():
        return quantized.int_repr().numpy()
    raw = torch.empty(0, dtype=torch.uint8).set_(quantized.untyped_storage())
    return (
        raw[quantized.storage_offset() : quantized.storage_offset() + quantized.numel()].view(quantized.shape).numpy()
    )


def _layer(module: nn.Module) -> Layer:
    """A linear layer as a function of one float32 vector."""
    if isinstance(module, (nn.Linear, WeightInt8Linear)):
        weight = module.weight.detach().numpy()
        bias = np.zeros(weight.shape[0], np.float32) if module.bias is None else module.bias.detach().numpy()
        return lambda x: weight @ x + bias
    if isinstance(module, RowwiseLinear):

        def through_torch(x: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return module(torch.from_numpy(x).unsqueeze(0))[0].numpy()

        return through_torch
    raise TypeError(f"no numpy form of {type(module).__name__}")
