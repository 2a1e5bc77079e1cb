"""Named training recipes (``tagrec train --preset NAME``), tuned on validation splits only."""

from __future__ import annotations

from typing import Any

from tagrec_core.errors import TrainingError
from tagrec_core.training import TrainConfig

PRESETS: dict[str, dict[str, Any]] = {
    # The latency workhorse: fastText's architecture on sentencepiece pieces and hashed piece bigrams.
    # One-vs-all (sigmoid) output and dropout 0.3 on the mean embedding, chosen on valid / the cooking fold
    # (F1@3, trained with valid=None): sigmoid beat softmax on cooking and so-titles (0.402 vs 0.395, 0.549
    # vs 0.544); dropout 0.3 then raised cooking 0.393 -> 0.414, so-titles 0.547 -> 0.551, so-users 0.307
    # -> 0.334. Sigmoid scores are also calibrated per tag.
    "bag": {"arch": "bag", "arch_config": {"dim": 100, "dropout": 0.3}, "loss": "sigmoid", "lr": 0.02, "epochs": 25},
    # The bag with character grams of 2-5 (fastText's sub-word units, in the bigrams' buckets): the best
    # classifier alone (F1@3 on valid: so-titles 0.551 -> 0.566, cooking 0.418 -> 0.454, so-users 0.331 ->
    # 0.361; 3-6 and 4-6 did less on so-titles), but inside the full ranker it adds little (so-titles 0.5786
    # -> 0.5851, the other sets within noise) and makes a suggestion of new text 0.2-0.3 ms slower, so it is
    # not the default (README, "Character grams").
    "bag-grams": {
        "arch": "bag",
        "arch_config": {"dim": 100, "dropout": 0.3, "grams": [2, 5]},
        "loss": "sigmoid",
        "lr": 0.02,
        "epochs": 25,
    },
    "bag-softmax": {"arch": "bag", "arch_config": {"dim": 100}, "loss": "softmax", "lr": 0.02, "epochs": 25},
    # The seed paper (Gong & Zhang 2016) and its ablations, for the comparison table. lr 0.01, chosen on
    # weibo-takg valid with the N(0, 0.1) embeddings (F1@3 of attention-cnn: 0.002 -> 0.077, 0.005 -> 0.097,
    # 0.01 -> 0.100; ReLU instead of tanh 0.053-0.061; sigmoid loss 0.100). "attention only" gained nothing
    # from them (0.041-0.056 against 0.045 before) and learns synthetic tags more slowly: it keeps N(0, 1), lr 0.002.
    # Two intra-op threads: unlike the bag model's lookups, their convolutions keep both cores busy. On
    # weibo-polls (16k posts, 13.9k tags; quiet machine) attention-cnn trained in 210 s on one thread and
    # 129 s on two, cnn in 180 s and 115 s (F1@3 0.062 -> 0.068 and 0.062 -> 0.056: the thread count
    # changes the order of float sums).
    "attention-cnn": {
        "arch": "attention_cnn",
        "arch_config": {"channels": "both"},
        "lr": 0.01,
        "epochs": 12,
        "threads": 2,
    },
    "attention-only": {
        "arch": "attention_cnn",
        "arch_config": {"channels": "local", "embedding_std": 1.0},
        "lr": 0.002,
        "epochs": 12,
        "threads": 2,
    },
    "cnn": {"arch": "attention_cnn", "arch_config": {"channels": "global"}, "lr": 0.01, "epochs": 12, "threads": 2},
    "textcnn": {"arch": "textcnn", "lr": 0.002, "epochs": 12},
    "bigru": {"arch": "bigru", "lr": 0.003, "epochs": 10},
    "naive-bayes": {"arch": "naive_bayes", "quantize": False},
}
DEFAULT_PRESET = "bag"


def config_for(preset: str, **overrides: Any) -> TrainConfig:
    """The ``TrainConfig`` of a preset with ``overrides`` (None values ignored); ``TrainingError`` if unknown."""
    if preset not in PRESETS:
        raise TrainingError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    settings = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    return TrainConfig(**settings)
