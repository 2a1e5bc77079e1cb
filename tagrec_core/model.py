"""A trained model: tokenizer, tag vocabulary, network and calibration, ready to score texts.

``Model`` is immutable after construction and safe for concurrent readers: scoring runs under
``torch.no_grad`` in eval mode and keeps no per-call state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from tagrec_core import features
from tagrec_core.arch.bag_numpy import NumpyBag
from tagrec_core.arrays import top_indices
from tagrec_core.text import normalize
from tagrec_core.tokenizer import Tokenizer

if TYPE_CHECKING:
    from tagrec_core.ranker import Ranking


@dataclass(frozen=True)
class TagVocab:
    """The tags a model can output, in output order, with their training counts."""

    tags: tuple[str, ...]
    counts: tuple[int, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.tags) != len(self.counts):
            raise ValueError("tags and counts differ in length")
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.tags)})

    def __len__(self) -> int:
        return len(self.tags)


@dataclass(frozen=True)
class Calibration:
    """Turns network logits into the probability that a tag is right: ``sigmoid(a * s + b)``.

    ``s`` is the logit itself for the one-vs-all (``sigmoid``) loss and the log-softmax for the ``softmax``
    loss. ``a > 0`` and ``b`` are fitted on validation data (Platt scaling), so scores of different posts and
    different models are comparable and a threshold can hide weak suggestions; the ranking is unchanged.
    """

    loss: str = "sigmoid"
    a: float = 1.0
    b: float = 0.0

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        return self._squash(self.raw(logits))

    def top(self, logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``k`` best tags of each row as (probabilities, indices), best first.

        Equals ``apply(logits).topk(k)`` but calibrates only the ``k`` winners (the map is monotonic),
        which matters with tens of thousands of tags.
        """
        values, indices = logits.topk(min(k, logits.shape[-1]), dim=-1)
        if self.loss == "softmax":
            values = values - logits.logsumexp(dim=-1, keepdim=True)
        return self._squash(values), indices

    def apply_array(self, logits: np.ndarray) -> np.ndarray:
        """``apply`` for a numpy array of one post's logits (float32)."""
        raw = logits - _logsumexp(logits) if self.loss == "softmax" else logits
        return self._squash_array(raw)

    def top_array(self, logits: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``top`` for a numpy array of one post's logits: (probabilities, indices), best first."""
        indices = top_indices(logits, k)
        values = logits[indices]
        if self.loss == "softmax":
            values = values - _logsumexp(logits)
        return self._squash_array(values), indices

    def _squash_array(self, raw: np.ndarray) -> np.ndarray:
        out = np.multiply(raw, np.float32(-self.a), dtype=np.float32)
        out -= np.float32(self.b)
        np.minimum(out, np.float32(88.0), out=out)  # exp(88) is near float32's largest: no overflow warning
        np.exp(out, out=out)
        out += np.float32(1.0)
        return np.reciprocal(out, out=out)

    def _squash(self, raw: torch.Tensor) -> torch.Tensor:
        # In place on a fresh tensor: one allocation instead of three (a suggestion's top tags: ~8 µs of ~160).
        return torch.mul(raw, self.a).add_(self.b).sigmoid_()

    def raw(self, logits: torch.Tensor) -> torch.Tensor:
        """The uncalibrated score that ``a`` and ``b`` act on."""
        return torch.log_softmax(logits, dim=-1) if self.loss == "softmax" else logits


def _logsumexp(values: np.ndarray) -> np.float32:
    top = values.max()
    return top + np.log(np.exp(values - top).sum(dtype=np.float32))


@dataclass(frozen=True)
class Model:
    """Everything needed to turn text into ranked tags.

    ``meta`` holds the JSON-able facts stored with the model (architecture, hyper-parameters, training
    data summary, versions); ``max_len`` caps the pieces a sequence network reads. ``ranking`` is the full
    ranker (retrieval, text matches, co-occurrence, fusion) when the model was trained with it; without it,
    suggestions come from the classifier alone.
    """

    tokenizer: Tokenizer
    vocab: TagVocab
    network: nn.Module
    calibration: Calibration
    meta: dict[str, Any]
    quantized: bool = False
    ranking: Ranking | None = None

    @property
    def arch(self) -> str:
        return str(self.meta["arch"])

    @property
    def max_len(self) -> int:
        return int(self.meta.get("max_len", 256))

    def encode(self, text: str) -> list[int]:
        """The encoded form of raw ``text`` (normalised here; ``encode_text``)."""
        return encode_text(self.tokenizer, normalize(text), self.max_len, self.network.config())

    def inputs(self, encoded: Sequence[Sequence[int]]) -> tuple[torch.Tensor, ...]:
        """The network's input tensors for a batch of encoded texts."""
        return network_inputs(self.network, encoded, self.tokenizer.size, self.max_len)

    def logits(self, texts: Sequence[str]) -> torch.Tensor:
        """Raw network outputs ``[len(texts), n_tags]``; ``calibration`` turns them into probabilities."""
        with torch.inference_mode():
            return self.network(*self.inputs([self.encode(t) for t in texts]))

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """Calibrated scores in [0, 1], ``[len(texts), n_tags]``."""
        return self.calibration.apply(self.logits(texts))

    def post_logits(self, text: str) -> np.ndarray:
        """``logits([text])[0]`` as a numpy array: the path of one suggestion. A bag network runs in numpy
        there (``NumpyBag``), the same arithmetic without torch's per-call costs."""
        if self._numpy_bag is None:
            return self.logits([text])[0].numpy()
        return self._numpy_bag.logits(self.encode(text))

    def post_probabilities(self, text: str) -> np.ndarray:
        """``probabilities([text])[0]`` as a numpy array, by ``post_logits``."""
        return self.calibration.apply_array(self.post_logits(text))

    @cached_property
    def _numpy_bag(self) -> NumpyBag | None:
        # Built on first use: training makes models that never score one post at a time.
        return NumpyBag.of(self.network)


def encode_text(tokenizer: Tokenizer, clean: str, max_len: int, network_config: Mapping[str, Any]) -> list[int]:
    """What a network reads of normalised ``clean`` text: its first ``max_len`` pieces, then, for a bag network
    whose config names character gram lengths (``grams``), the gram ids of its first ``max_len`` words
    (``features.gram_ids``). Training and suggestion both encode through here."""
    pieces = tokenizer.encode(clean)[:max_len]
    lengths = network_config.get("grams") or ()
    if not lengths:
        return pieces
    buckets = int(network_config.get("buckets", 0))
    return pieces + features.gram_ids(clean, lengths, tokenizer.size, buckets, max_len)


def network_inputs(
    network: nn.Module, encoded: Sequence[Sequence[int]], n_pieces: int, max_len: int
) -> tuple[torch.Tensor, ...]:
    """Batch ``encoded`` texts the way ``network`` reads them (its ``input_kind``)."""
    if network.input_kind == "bag":
        buckets = int(network.config().get("buckets", 0))
        return features.bag_batch([features.bag_ids(e, n_pieces, buckets) for e in encoded])
    return features.sequence_batch(encoded, max_len)
