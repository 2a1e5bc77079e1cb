"""Contract tests shared by every architecture in tagrec_core/arch (see each module for its own docs)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
import torch
from torch import nn

from tagrec_core.arch.attention_cnn import AttentionCNN
from tagrec_core.arch.bigru import BiGRU
from tagrec_core.arch.naive_bayes import NaiveBayes
from tagrec_core.arch.textcnn import TextCNN

N_PIECES = 50
N_TAGS = 10

# (class, config overrides); the attention-CNN ablations of the paper's table are variants of one class.
VARIANTS: list[tuple[type[nn.Module], dict[str, Any]]] = [
    (AttentionCNN, {}),
    (AttentionCNN, {"channels": "local"}),
    (AttentionCNN, {"channels": "global"}),
    (TextCNN, {}),
    (BiGRU, {}),
    (NaiveBayes, {}),
]
IDS = [f"{cls.name}-{cfg.get('channels', 'default')}" for cls, cfg in VARIANTS]


pytestmark = pytest.mark.usefixtures("single_thread")  # (conftest)


def pad_batch(texts: list[list[int]], length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad piece-id lists to [B, length] ids (0 = padding) and the matching bool mask."""
    ids = torch.zeros(len(texts), length, dtype=torch.long)
    for row, text in enumerate(texts):
        ids[row, : len(text)] = torch.tensor(text)
    return ids, ids != 0


def synthetic(n: int = 200, max_len: int = 20, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random texts over pieces 1..N_PIECES-1; tag k is present iff piece k+1 occurs; (ids, mask, targets)."""
    gen = torch.Generator().manual_seed(seed)
    texts = []
    for _ in range(n):
        length = int(torch.randint(1, max_len + 1, (1,), generator=gen))
        texts.append(torch.randint(1, N_PIECES, (length,), generator=gen).tolist())
    ids, mask = pad_batch(texts, max_len)
    targets = torch.zeros(n, N_TAGS)
    for k in range(N_TAGS):
        targets[:, k] = (ids == k + 1).any(dim=1).float()
    return ids, mask, targets


def precision_at_1(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Share of rows (with at least one tag) whose top-scored tag is a true tag."""
    rows = targets.sum(dim=1) > 0
    top = logits[rows].argmax(dim=1)
    return float(targets[rows].gather(1, top.unsqueeze(1)).mean())


def build(cls: type[nn.Module], cfg: dict[str, Any], seed: int = 0) -> nn.Module:
    """Seeded model in eval mode; closed-form ones are fitted on synthetic data (non-flat output)."""
    torch.manual_seed(seed)
    model = cls(N_PIECES, N_TAGS, **cfg)
    if cls.closed_form:
        model.fit(*synthetic())
    return model.eval()


def sample_texts() -> list[list[int]]:
    """Three texts of lengths 1, 4 and 7 (the length-1 text exercises convolutions wider than the text)."""
    return [[5], [3, 1, 4, 1], [2, 7, 1, 8, 2, 8, 1]]


@pytest.mark.parametrize(("cls", "cfg"), VARIANTS, ids=IDS)
@pytest.mark.parametrize("length", [1, 7, 40])
def test_logits_shape(cls: type[nn.Module], cfg: dict[str, Any], length: int) -> None:
    model = build(cls, cfg)
    ids, mask = pad_batch([t[:length] for t in sample_texts()], length)
    with torch.no_grad():
        logits = model(ids, mask)
    assert logits.shape == (3, N_TAGS)
    assert logits.dtype == torch.float32
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize(("cls", "cfg"), VARIANTS, ids=IDS)
def test_padding_does_not_change_output(cls: type[nn.Module], cfg: dict[str, Any]) -> None:
    model = build(cls, cfg)
    with torch.no_grad():
        short = model(*pad_batch(sample_texts(), 7))
        long = model(*pad_batch(sample_texts(), 40))
        alone = model(*pad_batch(sample_texts()[:1], 1))
    torch.testing.assert_close(short, long, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(short[:1], alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("cls", "cfg"), VARIANTS, ids=IDS)
def test_rebuild_from_config(cls: type[nn.Module], cfg: dict[str, Any]) -> None:
    model = build(cls, cfg)
    config = model.config()
    assert set(config) == set(cls.defaults)
    assert json.loads(json.dumps(config)) == config  # stored as JSON in the model file
    torch.manual_seed(123)  # a different init: equality below must come from load_state_dict
    rebuilt = cls(N_PIECES, N_TAGS, **config).eval()
    assert str(rebuilt) == str(model)
    assert rebuilt.config() == config
    rebuilt.load_state_dict(model.state_dict())
    batch = pad_batch(sample_texts(), 7)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(*batch), model(*batch), atol=0, rtol=0)


@pytest.mark.parametrize("cls", [AttentionCNN, TextCNN, BiGRU, NaiveBayes])
def test_unknown_config_key(cls: type[nn.Module]) -> None:
    with pytest.raises(TypeError, match="no_such_key"):
        cls(N_PIECES, N_TAGS, no_such_key=1)


@pytest.mark.parametrize("cls", [AttentionCNN, TextCNN, BiGRU, NaiveBayes])
def test_interface_attributes(cls: type[nn.Module]) -> None:
    assert cls.input_kind == "sequence"
    assert cls.closed_form is (cls is NaiveBayes)
    assert json.loads(json.dumps(cls.defaults)) == cls.defaults
    model = cls(N_PIECES, N_TAGS)
    assert isinstance(model.embedding, nn.Embedding)
    if not cls.closed_form:
        assert isinstance(model.out, nn.Linear) and model.out.out_features == N_TAGS


@pytest.mark.parametrize(("cls", "cfg"), VARIANTS, ids=IDS)
def test_deterministic_init(cls: type[nn.Module], cfg: dict[str, Any]) -> None:
    first, second = build(cls, cfg, seed=7), build(cls, cfg, seed=7)
    for (key, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items(), strict=True):
        assert torch.equal(a, b), key
    if not cls.closed_form:  # a fitted model does not depend on the seed at all
        assert not torch.equal(first.embedding.weight, build(cls, cfg, seed=8).embedding.weight)


def train(model: nn.Module, ids: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor) -> None:
    """150 full-batch Adam steps of BCE-with-logits, as a smoke test that gradients reach what matters."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(150):
        optimizer.zero_grad()
        loss_fn(model(ids, mask), targets).backward()
        optimizer.step()
    model.eval()


# Smaller than the defaults to keep the suite fast; the default sizes learn this too (checked by hand).
# "attention only" keeps its default size and, as its preset does, N(0, 1) embeddings: its hard threshold makes
# it the slowest learner (P@1 ~0.95).
LEARN_SIZES: dict[str, dict[str, Any]] = {
    "attention_cnn-local": {"embedding_std": 1.0},
    "attention_cnn-default": {"embedding_dim": 48, "local_dim": 48, "global_filters": 32, "hidden": 64},
    "attention_cnn-global": {"embedding_dim": 48, "global_filters": 32, "hidden": 64},
    "textcnn-default": {"embedding_dim": 48, "filters": 32},
    "bigru-default": {"embedding_dim": 32, "hidden": 32},
}


@pytest.mark.parametrize(("cls", "cfg"), VARIANTS, ids=IDS)
def test_learns_synthetic_multilabel(request: pytest.FixtureRequest, cls: type[nn.Module], cfg: dict[str, Any]) -> None:
    torch.manual_seed(0)
    ids, mask, targets = synthetic()
    model = cls(N_PIECES, N_TAGS, **cfg, **LEARN_SIZES.get(request.node.callspec.id, {}))
    if cls.closed_form:
        model.fit(ids, mask, targets)
        model.eval()
    else:
        train(model, ids, mask, targets)
    with torch.no_grad():
        assert precision_at_1(model(ids, mask), targets) >= 0.9


@pytest.mark.parametrize(("cls", "cfg"), VARIANTS, ids=IDS)
def test_dynamic_quantization_runs(cls: type[nn.Module], cfg: dict[str, Any]) -> None:
    model = build(cls, cfg)
    batch = pad_batch(sample_texts(), 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization announces its deprecation
        quantized = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
        with torch.no_grad():
            logits = quantized(*batch)
    assert logits.shape == (3, N_TAGS)
    assert torch.isfinite(logits).all()


def test_attention_keeps_a_trigger_word_and_gets_gradient() -> None:
    torch.manual_seed(0)
    model = AttentionCNN(N_PIECES, N_TAGS, channels="local", threshold=1.0)  # nothing passes the threshold
    ids, mask = pad_batch(sample_texts(), 7)
    _, keep = model.attention(model.embedding(ids).transpose(1, 2), mask)
    assert keep.sum(dim=1).tolist() == [1, 1, 1]  # only the forced top-1 word per row
    assert not (keep & ~mask).any()
    model(ids, mask).sum().backward()
    assert model.score.weight.grad is not None and model.score.weight.grad.abs().sum() > 0


def test_attention_rejects_bad_config() -> None:
    with pytest.raises(ValueError, match="channels"):
        AttentionCNN(N_PIECES, N_TAGS, channels="neither")
    with pytest.raises(ValueError, match="window"):
        AttentionCNN(N_PIECES, N_TAGS, window=4)


def test_naive_bayes_sparse_targets_match_dense_and_chunking() -> None:
    ids, mask, targets = synthetic()
    dense = NaiveBayes(N_PIECES, N_TAGS)
    dense.fit(ids, mask, targets)
    chunked = NaiveBayes(N_PIECES, N_TAGS, chunk_size=7)
    chunked.fit(ids, mask, targets.to_sparse())
    torch.testing.assert_close(chunked.state_dict(), dense.state_dict())
    # Rows of the table are log-probabilities over the real pieces: each tag's column sums to 1 in p-space.
    probs = dense.embedding.weight[1:].double().exp().sum(dim=0)
    torch.testing.assert_close(probs, torch.ones(N_TAGS, dtype=torch.float64), atol=1e-5, rtol=0)
