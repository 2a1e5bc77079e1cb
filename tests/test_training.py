"""Training on small synthetic data: quality, determinism, hold-out, errors, cancelling, progress, losses,
calibration, and every architecture through a save/load round trip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from tagrec_core import modelfile, presets
from tagrec_core.errors import Cancelled, TagrecError, TrainingError
from tagrec_core.recommender import Recommender
from tagrec_core.records import Record
from tagrec_core.training import EARLY_PEAK, Progress, TrainConfig, train


def top1_accuracy(model: Any, records: list[Record]) -> float:
    results = Recommender(model).suggest_many([(r.title, r.body) for r in records], k=1)
    hits = sum(bool(row) and row[0].tag in {t.lower() for t in r.tags} for row, r in zip(results, records, strict=True))
    return hits / len(records)


def probe_texts(records: list[Record]) -> list[str]:
    return [r.text for r in records[::7]] + ["pandas dataframe merge", "女排比赛", "", "completely unrelated words"]


# --- quality ---------------------------------------------------------------------------------------


def test_tiny_model_reaches_sensible_top1_on_heldout_posts(tiny_model: Any, heldout_records: list[Record]) -> None:
    assert top1_accuracy(tiny_model, heldout_records) >= 0.9


def test_tiny_model_separates_languages_and_topics(tiny_model: Any) -> None:
    rec = Recommender(tiny_model)
    assert {s.tag for s in rec.suggest("How do I merge two pandas dataframe on a column?", k=2)} == {"python", "pandas"}
    assert {s.tag for s in rec.suggest("react component state with hooks", k=2)} == {"javascript", "reactjs"}
    assert rec.suggest("今天女排比赛朱婷扣球", k=1)[0].tag == "中国女排"


# --- determinism -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_models(train_records: list[Record], tiny_config: Callable[..., TrainConfig]) -> dict[str, Any]:
    """Float (unquantized) models: two with seed 7, one with seed 8."""
    subset = train_records[::2]
    return {
        name: train(subset, None, tiny_config(epochs=3, seed=seed, quantize=False))
        for name, seed in (("a", 7), ("b", 7), ("other", 8))
    }


def test_same_seed_gives_identical_weights(seeded_models: dict[str, Any]) -> None:
    first, second = seeded_models["a"].network.state_dict(), seeded_models["b"].network.state_dict()
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key
    assert seeded_models["a"].tokenizer.to_bytes() == seeded_models["b"].tokenizer.to_bytes()
    assert seeded_models["a"].calibration == seeded_models["b"].calibration


def test_same_seed_gives_identical_predictions(seeded_models: dict[str, Any], heldout_records: list[Record]) -> None:
    texts = probe_texts(heldout_records)
    assert torch.equal(seeded_models["a"].probabilities(texts), seeded_models["b"].probabilities(texts))


def test_different_seed_gives_different_weights(seeded_models: dict[str, Any]) -> None:
    first, other = seeded_models["a"].network.state_dict(), seeded_models["other"].network.state_dict()
    assert any(first[k].shape != other[k].shape or not torch.equal(first[k], other[k]) for k in first)


# --- hold-out --------------------------------------------------------------------------------------


def test_valid_none_holds_out_part_of_the_records(tiny_model: Any, train_records: list[Record]) -> None:
    trained_on = tiny_model.meta["trained_on"]
    assert trained_on["records"] + trained_on["valid_records"] == len(train_records)
    assert 0 < trained_on["valid_records"] < 0.25 * len(train_records)


def test_explicit_valid_is_used_as_is(
    train_records: list[Record], heldout_records: list[Record], tiny_config: Callable[..., TrainConfig]
) -> None:
    model = train(train_records[:200], heldout_records, tiny_config(epochs=1))
    assert model.meta["trained_on"]["records"] == 200
    assert model.meta["trained_on"]["valid_records"] == len(heldout_records)


# --- errors ------------------------------------------------------------------------------------------


def test_records_without_tags_raise_training_error(tiny_config: Callable[..., TrainConfig]) -> None:
    records = [Record(id=str(i), title=f"a post about pandas {i}", body="", tags=()) for i in range(20)]
    with pytest.raises(TrainingError, match="no tags"):
        train(records, None, tiny_config(epochs=1))


def test_tags_that_never_reach_min_count_raise_training_error(
    train_records: list[Record], tiny_config: Callable[..., TrainConfig]
) -> None:
    with pytest.raises(TrainingError):
        train(train_records[:50], None, tiny_config(epochs=1, min_tag_count=10_000))


def test_unknown_preset_raises_training_error() -> None:
    with pytest.raises(TrainingError, match="unknown preset 'nope'") as info:
        presets.config_for("nope")
    assert "bag" in str(info.value)  # the message lists the choices


def test_unknown_loss_raises_training_error() -> None:
    with pytest.raises(TrainingError, match="unknown loss"):
        presets.config_for("bag", loss="hinge")


def test_unknown_architecture_raises_training_error() -> None:
    with pytest.raises(TrainingError, match="transformer"):
        TrainConfig(arch="transformer")


def test_training_errors_are_tagrec_errors() -> None:
    assert issubclass(TrainingError, TagrecError)
    assert issubclass(Cancelled, TagrecError)


# --- cancelling and progress -------------------------------------------------------------------------


def test_should_stop_true_raises_cancelled(
    train_records: list[Record], tiny_config: Callable[..., TrainConfig]
) -> None:
    with pytest.raises(Cancelled):
        train(train_records[:200], None, tiny_config(epochs=3), should_stop=lambda: True)


def test_should_stop_midway_raises_cancelled_after_some_steps(
    train_records: list[Record], tiny_config: Callable[..., TrainConfig]
) -> None:
    calls: list[int] = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(Cancelled):
        train(train_records, None, tiny_config(epochs=5, batch_size=16), should_stop=stop)
    assert len(calls) == 6  # asked before every step, and obeyed at once


def test_progress_reports_tokenizer_train_and_done(
    train_records: list[Record], tiny_config: Callable[..., TrainConfig]
) -> None:
    seen: list[Progress] = []
    train(train_records[:200], None, tiny_config(epochs=2), progress=seen.append)
    stages = [p.stage for p in seen]
    assert stages[0] == "tokenizer"
    assert stages[-1] == "done"
    assert "train" in stages
    assert stages.index("tokenizer") < stages.index("train")
    train_reports = [p for p in seen if p.stage == "train"]
    assert {p.epoch for p in train_reports} == {1, 2}
    assert all(p.epochs == 2 and 0 < p.step <= p.steps for p in train_reports)
    assert any(p.valid_f1 is not None for p in train_reports)


def test_a_run_that_peaks_early_is_run_again_with_its_decay_ending_where_it_stopped(
    train_records: list[Record], tiny_config: Callable[..., TrainConfig]
) -> None:
    # The synthetic posts are learned in a few epochs: with 25 planned, the run peaks within EARLY_PEAK of them.
    seen: list[Progress] = []
    model = train(train_records, None, tiny_config(epochs=25), progress=seen.append)
    stages = [p.stage for p in seen]
    assert stages.count("rerun") == 1
    rerun = seen[stages.index("rerun")]
    first = [p for p in seen[: stages.index("rerun")] if p.stage == "train"]
    second = [p for p in seen[stages.index("rerun") :] if p.stage == "train"]
    assert rerun.epoch <= EARLY_PEAK * 25
    assert rerun.epochs == max(p.epoch for p in first) < 25  # the first run stopped early ...
    assert {p.epochs for p in second} == {rerun.epochs}  # ... and the second is planned to end there
    first_best = max(p.valid_f1 for p in first if p.valid_f1 is not None)
    second_best = max(p.valid_f1 for p in second if p.valid_f1 is not None)
    assert rerun.best_f1 == first_best
    kept = 2 if second_best > first_best else 1
    assert model.meta["early_peak"] == {"peak_epoch": rerun.epoch, "epochs": rerun.epochs, "kept": kept}
    assert model.meta["valid_f1_at_3"] == round(max(first_best, second_best), 4)


def test_a_run_that_peaks_late_in_its_plan_is_not_run_again(
    train_records: list[Record], tiny_config: Callable[..., TrainConfig]
) -> None:
    seen: list[Progress] = []
    model = train(train_records, None, tiny_config(epochs=3), progress=seen.append)
    assert "rerun" not in [p.stage for p in seen]
    assert "early_peak" not in model.meta


# --- losses and calibration -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models_by_loss(train_records: list[Record], tiny_config: Callable[..., TrainConfig]) -> dict[str, Any]:
    return {loss: train(train_records, None, tiny_config(loss=loss)) for loss in ("softmax", "sigmoid")}


@pytest.mark.parametrize("loss", ["softmax", "sigmoid"])
def test_both_losses_train(models_by_loss: dict[str, Any], heldout_records: list[Record], loss: str) -> None:
    model = models_by_loss[loss]
    assert model.meta["loss"] == loss
    assert model.calibration.loss == loss
    assert top1_accuracy(model, heldout_records) >= 0.8


@pytest.mark.parametrize("loss", ["softmax", "sigmoid"])
def test_calibrated_scores_are_probabilities_ranked_like_raw_logits(
    models_by_loss: dict[str, Any], heldout_records: list[Record], loss: str
) -> None:
    model = models_by_loss[loss]
    assert model.calibration.a > 0
    texts = probe_texts(heldout_records)
    with torch.inference_mode():
        logits = model.network(*model.inputs([model.encode(t) for t in texts]))
    calibrated = model.probabilities(texts)
    assert calibrated.shape == logits.shape == (len(texts), len(model.vocab))
    assert bool(((calibrated >= 0) & (calibrated <= 1)).all())
    for raw_row, cal_row in zip(logits, calibrated, strict=True):
        order = torch.argsort(raw_row, descending=True, stable=True)
        ranked = cal_row[order]
        # Monotone: following the raw ranking, calibrated scores never go up (ties from saturation allowed).
        assert bool((ranked[:-1] >= ranked[1:]).all())
        # and wherever calibrated scores differ, their order is the raw order
        strict = torch.argsort(cal_row, descending=True, stable=True)
        assert bool((raw_row[strict][:-1] >= raw_row[strict][1:]).all())


# --- every architecture ----------------------------------------------------------------------------

TINY_ARCHS: dict[str, dict[str, Any]] = {
    "bag": {"dim": 8, "buckets": 200},
    "attention_cnn": {"embedding_dim": 8, "local_dim": 8, "global_filters": 4, "hidden": 8},
    "textcnn": {"embedding_dim": 8, "filters": 4},
    "bigru": {"embedding_dim": 8, "hidden": 8},
    "naive_bayes": {},
}


ARCH_CASES = [
    pytest.param(arch, quantized, id=f"{arch}-{'int8' if quantized else 'float'}")
    for arch in TINY_ARCHS
    for quantized in (False, True)
]


@pytest.mark.parametrize(("arch", "quantized"), ARCH_CASES)
def test_each_architecture_trains_and_survives_a_round_trip(
    arch: str, quantized: bool, train_records: list[Record], heldout_records: list[Record], tmp_path: Path
) -> None:
    config = TrainConfig(
        arch=arch, arch_config=TINY_ARCHS[arch], epochs=1, lr=0.01, vocab_size=400, max_len=32, quantize=quantized
    )
    model = train(train_records[::2], None, config)
    # Closed-form naive Bayes reads its table directly: it stays float even when int8 is asked for.
    expect_int8 = quantized and arch != "naive_bayes"
    assert model.quantized is expect_int8
    assert model.meta["arch"] == arch
    path = modelfile.save(model, tmp_path / f"{arch}.tagrec")
    loaded = modelfile.load(path)
    assert loaded.quantized is expect_int8
    assert loaded.vocab.tags == model.vocab.tags
    texts = probe_texts(heldout_records)
    assert torch.equal(loaded.probabilities(texts), model.probabilities(texts))
    posts = [(r.title, r.body) for r in heldout_records]
    assert Recommender(loaded).suggest_many(posts) == Recommender(model).suggest_many(posts)


def test_a_tokenizer_trains_on_posts_longer_than_sentencepieces_limit() -> None:
    """sentencepiece leaves sentences over 8,192 bytes out of training without a word: a corpus of long posts
    (10 kB each, ordinary text) trained the tokenizer on nothing and failed. They are cut into pieces now."""
    from tagrec_core.tokenizer import MAX_SENTENCE_BYTES, Tokenizer

    words = [
        "merge",
        "pandas",
        "dataframe",
        "column",
        "index",
        "join",
        "groupby",
        "aggregate",
        "pivot",
        "series",
        "numpy",
        "array",
    ]
    posts = [" ".join(words[(n + i) % len(words)] for i in range(1_500)) for n in range(30)]
    assert all(len(p.encode()) > MAX_SENTENCE_BYTES for p in posts)
    tokenizer = Tokenizer.train(posts, vocab_size=200)
    assert "".join(tokenizer.pieces("dataframe")).lstrip("\u2581") == "dataframe"
    assert len(tokenizer.pieces("dataframe")) <= 2  # learned as a word, not spelled out
    chinese = ["数据框合并列索引" * 1_200]  # no spaces to cut at: cut anywhere, under the limit
    Tokenizer.train(chinese + posts[:2], vocab_size=100)
