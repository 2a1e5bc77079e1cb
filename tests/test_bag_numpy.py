"""The bag network's numpy forward pass (``arch.bag_numpy``) against torch's, and the one-post paths of
``Model`` and ``Recommender`` built on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from tagrec_core.arch.bag import BagModel
from tagrec_core.arch.bag_numpy import NumpyBag
from tagrec_core.arch.textcnn import TextCNN
from tagrec_core.features import bag_batch, bag_ids
from tagrec_core.model import Calibration
from tagrec_core.quantize import DYNAMIC_MIN_OUTPUTS, RowwiseLinear, WeightInt8Linear, quantize
from tagrec_core.recommender import Recommender
from tagrec_core.records import Record, post_text
from tagrec_core.training import train

N_PIECES = 60
TEXTS: list[list[int]] = [[], [7], [3, 1, 4, 1, 5], [2, 7, 1, 8, 2, 8, 1, 8, 2, 8], [59, 12, 33, 59]]


pytestmark = pytest.mark.usefixtures("single_thread")  # (conftest)


def bag_network(n_tags: int, hidden: int, seed: int) -> BagModel:
    """A bag network with random (not zero) output weights, in eval mode."""
    torch.manual_seed(seed)
    network = BagModel(N_PIECES, n_tags, dim=16, buckets=97, hidden=hidden)
    with torch.no_grad():
        network.embedding.weight.normal_(0.0, 0.5)
        network.embedding.weight[0].zero_()
        network.out.weight.normal_(0.0, 0.5)
        network.out.bias.normal_(0.0, 0.5)
    return network.eval()


def torch_logits(network: torch.nn.Module, encoded: list[int]) -> np.ndarray:
    with torch.inference_mode():
        return network(*bag_batch([bag_ids(encoded, N_PIECES, 97)]))[0].numpy()


@pytest.mark.parametrize("quantized", [False, True], ids=["float", "int8"])
@pytest.mark.parametrize("hidden", [0, 8])
@pytest.mark.parametrize("n_tags", [12, DYNAMIC_MIN_OUTPUTS], ids=["small", "large"])
def test_numpy_logits_equal_torchs(quantized: bool, hidden: int, n_tags: int) -> None:
    network = bag_network(n_tags, hidden, seed=n_tags + hidden)
    if quantized:
        network = quantize(network)
        expected_out = RowwiseLinear if n_tags >= DYNAMIC_MIN_OUTPUTS else WeightInt8Linear
        assert isinstance(network.out, expected_out)  # both kinds of output layer are exercised
    numpy_bag = NumpyBag.of(network)
    assert numpy_bag is not None
    for encoded in TEXTS:
        mine, theirs = numpy_bag.logits(encoded), torch_logits(network, encoded)
        assert mine.dtype == np.float32 and mine.shape == (n_tags,)
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)
        assert np.abs(theirs).max() > 0.1  # not a trivially zero network


def test_other_networks_have_no_numpy_path() -> None:
    assert NumpyBag.of(TextCNN(N_PIECES, 5).eval()) is None


@pytest.mark.parametrize("loss", ["sigmoid", "softmax"])
def test_array_calibration_equals_torchs(loss: str) -> None:
    calibration = Calibration(loss=loss, a=1.7, b=-0.4)
    logits = np.random.default_rng(0).normal(0.0, 8.0, 300).astype(np.float32)
    logits[:3] = [-500.0, 500.0, 0.0]  # saturating values: no overflow, no NaN
    expected = calibration.apply(torch.from_numpy(logits)[None])[0].numpy()
    np.testing.assert_allclose(calibration.apply_array(logits), expected, rtol=1e-5, atol=1e-7)
    probs, indices = calibration.top_array(logits, 7)
    top_probs, top_indices = calibration.top(torch.from_numpy(logits)[None], 7)
    assert indices.tolist() == top_indices[0].tolist()
    np.testing.assert_allclose(probs, top_probs[0].numpy(), rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def models(train_records: list[Record], tiny_config: Callable[..., Any]) -> dict[str, Any]:
    """Really trained models: int8 bags of both losses, a float bag and a sequence network (no numpy path)."""
    return {
        "int8-sigmoid": train(train_records, None, tiny_config(loss="sigmoid")),
        "int8-softmax": train(train_records, None, tiny_config(loss="softmax")),
        "float": train(train_records, None, tiny_config(quantize=False)),
        "textcnn": train(
            train_records[::2],
            None,
            tiny_config(arch="textcnn", arch_config={"embedding_dim": 8, "filters": 4}, epochs=1),
        ),
    }


@pytest.mark.parametrize("name", ["int8-sigmoid", "int8-softmax", "float", "textcnn"])
def test_one_post_path_equals_the_batch_path(models: dict[str, Any], heldout_records: list[Record], name: str) -> None:
    model = models[name]
    texts = [post_text(r.title, r.body) for r in heldout_records[:40]] + ["", "\x00 ☃ 🙂"]
    batch = model.probabilities(texts).numpy()
    for text, row in zip(texts, batch, strict=True):
        np.testing.assert_allclose(model.post_probabilities(text), row, rtol=1e-4, atol=1e-6)
    posts = [(r.title, r.body) for r in heldout_records[:40]]
    recommender = Recommender(model)
    one_by_one = [recommender.suggest(title, body) for title, body in posts]
    together = recommender.suggest_many(posts)
    for mine, theirs in zip(one_by_one, together, strict=True):
        assert [s.score for s in mine] == pytest.approx([s.score for s in theirs], abs=2e-4)
        # Tags at a shown score of 0.0000 tie in dozens on this tiny softmax model; which of them fills the
        # list may differ (float rounding of the two paths), the ones that carry any weight may not.
        assert [s.tag for s in mine if s.score >= 1e-3] == [s.tag for s in theirs if s.score >= 1e-3]
    assert sum(s.score >= 1e-3 for row in one_by_one for s in row) >= 2 * len(posts)
