"""Cross-fitted fusion: extra folds each train a classifier without their posts and add those posts' feature
rows, so fusion is fitted on more posts than one hold-out gives; and the per-post relative features."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tagrec_core.fusion import FEATURES
from tagrec_core.progress import TrainingBar
from tagrec_core.ranker_training import (
    CLASSIFIER_MIN_TAG_COUNT,
    FUSION_POSTS,
    MAX_FOLDS,
    extra_folds,
    fold_count,
    train_classifier,
    train_ranker,
)
from tagrec_core.recommender import Recommender
from tagrec_core.records import Record
from tagrec_core.training import Progress, _split


def test_fold_count_aims_at_the_fusion_posts() -> None:
    assert fold_count(FUSION_POSTS) == 1
    assert fold_count(FUSION_POSTS * 2) == 1
    assert fold_count(FUSION_POSTS // 2) == 2
    assert fold_count(FUSION_POSTS // 2 - 1) == 3
    assert fold_count(10) == MAX_FOLDS
    assert fold_count(0) == MAX_FOLDS
    assert fold_count(10, folds=2) == 2
    assert fold_count(10, folds=0) == 1


def _ids(records: list[Any]) -> set[str]:
    return {r.id for r in records}


def test_extra_folds_hold_out_other_disjoint_slices(train_records: list[Any]) -> None:
    _, first_held = _split(train_records, 0.1)
    parts = extra_folds(train_records, False, 0.1, 4)
    assert len(parts) == 3
    held_sets = [_ids(first_held)] + [_ids(held) for _, held in parts]
    assert all(held_sets)
    for i, a in enumerate(held_sets):
        for b in held_sets[i + 1 :]:
            assert not a & b
    for fit, held in parts:
        assert _ids(fit) | _ids(held) == _ids(train_records)
        assert not _ids(fit) & _ids(held)


def test_with_a_valid_set_the_first_slice_of_the_records_is_an_extra_fold(train_records: list[Any]) -> None:
    parts = extra_folds(train_records, True, 0.1, 2)
    assert len(parts) == 1
    assert _ids(parts[0][1]) == _ids(_split(train_records, 0.1)[1])


def test_extra_folds_stop_when_the_slices_run_out(train_records: list[Any]) -> None:
    assert len(extra_folds(train_records, False, 0.25, 10)) == 3  # four slices: the first one's own + 3
    assert extra_folds(train_records, False, 0.1, 1) == []


def test_the_ranker_fits_fusion_on_every_fold(train_records: list[Any], tiny_config: Any) -> None:
    model = train_ranker(train_records, None, tiny_config(epochs=2), folds=None)
    meta = model.meta["ranking"]
    first_held = len(_split(train_records, 0.1)[1])
    assert meta["fusion_folds"] == MAX_FOLDS  # 600 posts: a tenth is far from FUSION_POSTS
    assert meta["fusion_posts"] > 3 * first_held
    # The model keeps the first fold's classifier and indexes every post once.
    assert len(model.ranking.index) == len(train_records)


def test_cross_fitting_by_default(tiny_ranker: Any) -> None:
    """The session's ranker is trained with the defaults; its site-only tags are still suggested from the text
    (``test_ranker``), which more folds once broke."""
    assert tiny_ranker.meta["ranking"]["fusion_folds"] == MAX_FOLDS


def test_fold_progress_is_reported(train_records: list[Any], tiny_config: Any) -> None:
    stages: list[Progress] = []
    model = train_ranker(train_records, None, tiny_config(epochs=2), folds=2, progress=stages.append)
    folds = [p for p in stages if p.stage == "fold"]
    assert [(p.epoch, p.epochs) for p in folds] == [(2, 2)]
    assert [p.stage for p in stages].index("fold") < [p.stage for p in stages].index("ranker")
    assert model.meta["ranking"]["fusion_folds"] == 2
    # Then the linear SVMs of each of the two rankers, counted in tags, each part ending complete.
    linear = [p for p in stages if p.stage == "linear"]
    assert [p.stage for p in stages].index("ranker") < [p.stage for p in stages].index("linear")
    assert {p.epoch for p in linear} == {1, 2} and {p.epochs for p in linear} == {2}
    for part in (1, 2):
        reports = [p for p in linear if p.epoch == part]
        assert [p.step for p in reports] == sorted(p.step for p in reports)
        assert reports[-1].step == reports[-1].steps > 0


def test_training_bar_draws_the_linear_svms(capsys: pytest.CaptureFixture[str]) -> None:
    with TrainingBar() as bar:
        for part in (1, 2):
            for done in (10, 20, 30):
                bar.update(Progress("linear", epoch=part, epochs=2, step=done, steps=30))
    err = capsys.readouterr().err
    assert "linear SVMs 1/2" in err and "linear SVMs 2/2" in err
    assert "30/30" in err


def test_training_bar_draws_a_fresh_bar_for_the_rerun(capsys: pytest.CaptureFixture[str]) -> None:
    with TrainingBar() as bar:
        for epoch in (1, 2, 3):
            bar.update(Progress("train", epoch, 25, 4, 4, None, 0.5, 0.5))
        bar.update(Progress("rerun", epoch=1, epochs=3, best_f1=0.5))
        for epoch in (1, 2, 3):
            bar.update(Progress("train", epoch, 3, 4, 4, None, 0.6, 0.6))
    captured = capsys.readouterr()
    assert "peaked at epoch 1: training it again over 3 epochs" in captured.out  # tqdm.write's stream
    err = captured.err
    assert "12/100" in err  # the first run's bar stopped where the run did ...
    assert "12/12" in err  # ... and the rerun's bar is planned for its 3 epochs


def test_relative_features_are_filled_and_bounded(tiny_ranker: Any) -> None:
    ranking = tiny_ranker.ranking
    title, body = "How do I merge two pandas dataframe?", "groupby and concat"
    probabilities = tiny_ranker.probabilities([f"{title}\n{body}"]).numpy()[0]
    candidates = ranking.candidates(tiny_ranker, probabilities, title, body, [])
    for name in ("classifier_relative", "neighbour_rank", "neighbour_share_near"):
        column = candidates.features[:, FEATURES.index(name)]
        assert np.all((column >= 0.0) & (column <= 1.0 + 1e-6)), name
        assert column.max() > 0.0, name
    relative = candidates.features[:, FEATURES.index("classifier_relative")]
    assert relative.max() == pytest.approx(1.0)  # the classifier's best tag is always a candidate
    ranks = candidates.features[:, FEATURES.index("neighbour_rank")]
    assert ranks.max() == pytest.approx(1.0)  # ... and so is the neighbours' favourite


def _with_one_off_tags(records: list[Any]) -> list[Any]:
    """``records`` plus two posts whose tags no other post carries, each with a distinctive text."""
    return [
        *records,
        Record("once-1", "quarterly tax-2025 receipts scanned", "tax-2025 receipts", ("tax-2025",)),
        Record("once-2", "论文 初稿 导师 修改意见", "", ("论文",)),
    ]


def test_the_ranker_classifier_leaves_tags_of_one_post_to_the_other_sources(
    train_records: list[Any], tiny_config: Any
) -> None:
    assert CLASSIFIER_MIN_TAG_COUNT == 2
    records = _with_one_off_tags(train_records)
    model = train_ranker(records, None, tiny_config(epochs=2), folds=1)
    assert model.meta["train_config"]["min_tag_count"] == CLASSIFIER_MIN_TAG_COUNT
    assert "tax-2025" not in model.vocab.index and "论文" not in model.vocab.index
    assert {"tax-2025", "论文"} <= set(model.ranking.tags.tags)  # still known to the ranker ...
    # ... and suggested for their own text: every post ends up in the index, which knows their tags.
    assert len(model.ranking.index) == len(records)
    recommender = Recommender(model)
    for record in records[-2:]:
        assert record.tags[0] in [s.tag for s in recommender.suggest(title=record.title, body=record.body, k=5)]


def test_with_no_tag_on_two_posts_the_classifier_keeps_every_tag(tiny_config: Any) -> None:
    records = [Record(f"r{i}", f"note number {i} about topic{i}", "", (f"topic{i}",)) for i in range(12)]
    model = train_classifier(records[:10], records[10:], tiny_config(epochs=1))
    assert len(model.vocab) == 10
    assert model.meta["train_config"]["min_tag_count"] == 1
