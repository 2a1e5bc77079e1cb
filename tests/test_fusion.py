"""Tests of tagrec_core.fusion: the learned score of a (post, candidate tag) pair from every source's evidence."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from tagrec_core.fusion import FEATURES, Fusion, calibrate, fit_calibration, fit_fusion


def _problem(n_posts: int, per_post: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate rows whose label is ``feature 0 > 0.5``; every other column is noise."""
    rng = np.random.default_rng(seed)
    features = rng.random((n_posts * per_post, len(FEATURES))).astype(np.float32)
    labels = (features[:, 0] > 0.5).astype(np.float32)
    groups = np.repeat(np.arange(n_posts), per_post)
    return features, labels, groups


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    above = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(above / (len(pos) * len(neg)))


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Full-batch fits of a few hundred rows are all per-op overhead: one intra-op thread is much faster,
    and does not slow to a crawl when the machine's cores are busy."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def fitted() -> Fusion:
    features, labels, groups = _problem(100, 5, seed=0)
    return fit_fusion(features, labels, groups, seed=0)


def test_separable_problem_ranks_positives_first(fitted: Fusion) -> None:
    features, labels, _groups = _problem(60, 5, seed=1)
    scores = fitted.score(features)
    assert scores.shape == (len(features),)
    assert scores.dtype == np.float64
    assert _auc(scores, labels) > 0.95
    assert float(scores[labels == 1].mean()) > 0.5 > float(scores[labels == 0].mean())


def test_scores_are_probabilities(fitted: Fusion) -> None:
    features, _labels, _groups = _problem(50, 4, seed=2)
    scores = fitted.score(features)
    logits = fitted.logits(features)
    assert np.all((scores >= 0) & (scores <= 1))
    # float32 rounds the sigmoid of a large logit to exactly 0 or 1; a moderate one is strictly inside.
    moderate = np.abs(logits) < 15
    assert moderate.any()
    assert np.all((scores[moderate] > 0) & (scores[moderate] < 1))
    np.testing.assert_allclose(scores, 1 / (1 + np.exp(-logits)), rtol=1e-5)


def test_parameter_shapes() -> None:
    features, labels, groups = _problem(20, 3, seed=3)
    fusion = fit_fusion(features, labels, groups, hidden=4, epochs=5)
    n = len(FEATURES)
    assert fusion.mean.shape == fusion.scale.shape == (n,)
    assert fusion.w1.shape == (n, 4)
    assert fusion.b1.shape == fusion.w2.shape == (4,)
    assert isinstance(fusion.b2, float)
    assert np.all(fusion.scale > 0)


def test_deterministic_for_a_seed() -> None:
    features, labels, groups = _problem(30, 4, seed=4)
    test_rows, _labels, _groups = _problem(10, 4, seed=5)
    first = fit_fusion(features, labels, groups, epochs=50, seed=7).score(test_rows)
    second = fit_fusion(features, labels, groups, epochs=50, seed=7).score(test_rows)
    np.testing.assert_array_equal(first, second)
    other = fit_fusion(features, labels, groups, epochs=50, seed=8).score(test_rows)
    assert not np.array_equal(first, other)


def test_constant_feature_columns_are_harmless() -> None:
    features, labels, groups = _problem(30, 4, seed=6)
    features[:, 1:] = 0.0
    scores = fit_fusion(features, labels, groups, epochs=100).score(features)
    assert np.all(np.isfinite(scores))
    assert _auc(scores, labels) > 0.95


@pytest.mark.parametrize(
    ("shape", "n_labels"),
    [
        ((10, len(FEATURES) - 1), 10),
        ((10, len(FEATURES) + 1), 10),
        ((10,), 10),
        ((10, len(FEATURES), 1), 10),
        ((10, len(FEATURES)), 9),
    ],
    ids=["too-few-columns", "too-many-columns", "one-dimensional", "three-dimensional", "label-count"],
)
def test_shape_errors(shape: tuple[int, ...], n_labels: int) -> None:
    with pytest.raises(ValueError):
        fit_fusion(np.zeros(shape, np.float32), np.zeros(n_labels, np.float32), np.arange(n_labels), epochs=1)


def test_score_of_wrong_width_raises(fitted: Fusion) -> None:
    with pytest.raises(ValueError):
        fitted.score(np.zeros((3, len(FEATURES) - 1), np.float32))


def test_empty_features_give_empty_scores(fitted: Fusion) -> None:
    scores = fitted.score(np.zeros((0, len(FEATURES)), np.float32))
    assert scores.shape == (0,)
    assert scores.dtype == np.float64


def test_state_round_trip(fitted: Fusion) -> None:
    features, _labels, _groups = _problem(20, 5, seed=9)
    expected = fitted.score(features)
    buffer = io.BytesIO()
    torch.save(fitted.state(), buffer)
    buffer.seek(0)
    for state in (fitted.state(), torch.load(buffer, weights_only=True)):
        copy = Fusion.from_state(state)
        np.testing.assert_array_equal(copy.score(features), expected)
        assert copy.b2 == fitted.b2


def test_a_column_that_never_varied_changes_no_score() -> None:
    features, labels, groups = _problem(100, 5, seed=6)
    features[:, 3] = 0.25
    fitted = fit_fusion(features, labels, groups, epochs=100)
    changed = features.copy()
    changed[:, 3] = 100.0
    np.testing.assert_array_equal(fitted.score(changed), fitted.score(features))


def test_a_column_that_barely_varied_cannot_dominate() -> None:
    """A site list that gives every training tag the same count but one: a tag with another count must not
    swing to certainty because its deviation is hundreds of tiny spreads."""
    features, labels, groups = _problem(100, 5, seed=7)
    features[:, 3] = 0.5
    features[0, 3] = 0.501
    fitted = fit_fusion(features, labels, groups, epochs=100)
    changed = features.copy()
    changed[:, 3] = 1.0
    assert _auc(fitted.score(changed), labels) > 0.9  # the real signal still ranks


def test_plain_state_round_trips_through_json(fitted: Fusion) -> None:
    features, _labels, _groups = _problem(20, 5, seed=9)
    copy = Fusion.from_state(json.loads(json.dumps(fitted.plain_state())))
    np.testing.assert_array_equal(copy.score(features), fitted.score(features))


def test_another_catalogue_of_features() -> None:
    """The personal ranking's use: a fusion over the caller's own feature list, stored and read back with it."""
    catalogue = ("signal", "noise_a", "noise_b")
    rng = np.random.default_rng(5)
    features = rng.random((400, 3)).astype(np.float32)
    labels = (features[:, 0] > 0.5).astype(np.float32)
    fitted = fit_fusion(features, labels, np.repeat(np.arange(100), 4), epochs=200, names=catalogue)
    assert fitted.names == fitted.catalogue == catalogue
    assert _auc(fitted.score(features), labels) > 0.95
    loaded = Fusion.from_state(fitted.plain_state(), catalogue=catalogue)
    np.testing.assert_array_equal(loaded.score(features), fitted.score(features))
    with pytest.raises(ValueError):
        Fusion.from_state(fitted.plain_state())  # not the ranker's features
    with pytest.raises(ValueError):
        fit_fusion(features, labels, np.arange(400), names=catalogue[:2])  # three columns, two names


@pytest.mark.parametrize(
    "features",
    [list(FEATURES)[:-1], [*FEATURES, "extra"], list(reversed(FEATURES)), [*FEATURES[:2], FEATURES[0]], []],
    ids=["fewer-than-the-weights", "extra", "reordered", "repeated", "none"],
)
def test_from_state_with_other_features_raises(fitted: Fusion, features: list[str]) -> None:
    state = fitted.state()
    state["features"] = features
    with pytest.raises(ValueError):
        Fusion.from_state(state)


def test_fusion_of_an_older_model_reads_only_its_own_columns() -> None:
    """A model file written before the last columns existed: its fusion scores full rows by its columns."""
    older = FEATURES[:-3]
    features, labels, groups = _problem(200, 8, seed=4)
    fitted = fit_fusion(features, labels, groups, epochs=50)
    keep = [FEATURES.index(n) for n in older]
    state = {
        **fitted.state(),
        "features": list(older),
        "mean": torch.from_numpy(fitted.mean[keep]),
        "scale": torch.from_numpy(fitted.scale[keep]),
        "w1": torch.from_numpy(fitted.w1[keep]),
    }
    loaded = Fusion.from_state(state)
    assert loaded.names == older
    changed = features.copy()
    changed[:, len(older) :] = 123.0  # the columns it never saw change nothing
    np.testing.assert_array_equal(loaded.score(changed), loaded.score(features))
    x = (features[:, keep].astype(np.float64) - fitted.mean[keep]) / fitted.scale[keep]
    logits = np.tanh(x @ fitted.w1[keep] + fitted.b1) @ fitted.w2 + fitted.b2
    np.testing.assert_allclose(loaded.score(features), 1.0 / (1.0 + np.exp(-logits)), rtol=1e-5)


def test_the_ranking_loss_is_minus_the_mean_log_softmax_of_each_posts_right_candidates() -> None:
    from tagrec_core.fusion import _listwise_loss

    logits = torch.tensor([2.0, 0.0, 1.0, 5.0, 5.0, 0.0, 3.0])
    labels = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    post = torch.tensor([0, 0, 0, 1, 1, 2, 2])  # post 1 has no right candidate: it does not count
    first = -torch.log_softmax(logits[:3], 0)[0]
    third = -torch.log_softmax(logits[5:], 0).mean()
    torch.testing.assert_close(_listwise_loss(logits, labels, post, 3), (first + third) / 2)


def test_a_fit_with_the_ranking_loss_still_ranks_right_candidates_first() -> None:
    features, labels, groups = _problem(100, 5, seed=0)
    test_rows, test_labels, _groups = _problem(60, 5, seed=1)
    fusion = fit_fusion(features, labels, groups, epochs=300, listwise=0.3)
    assert _auc(fusion.score(test_rows), test_labels) > 0.95
    plain = fit_fusion(features, labels, groups, epochs=300)
    assert not np.allclose(fusion.logits(test_rows), plain.logits(test_rows))  # the loss took part


def test_an_ensemble_is_one_network_scoring_the_mean_logit_of_its_members() -> None:
    features, labels, groups = _problem(30, 4, seed=4)
    test_rows, _labels, _groups = _problem(10, 4, seed=5)
    ensemble = fit_fusion(features, labels, groups, hidden=4, epochs=50, seed=7, ensemble=3)
    members = [fit_fusion(features, labels, groups, hidden=4, epochs=50, seed=s) for s in (7, 8, 9)]
    assert ensemble.w1.shape == (len(FEATURES), 12) and ensemble.b1.shape == ensemble.w2.shape == (12,)
    expected = np.mean([m.logits(test_rows) for m in members], axis=0)
    np.testing.assert_allclose(ensemble.logits(test_rows), expected, rtol=1e-5, atol=1e-5)
    restored = Fusion.from_state(json.loads(json.dumps(ensemble.plain_state())))
    np.testing.assert_allclose(restored.logits(test_rows), ensemble.logits(test_rows), rtol=1e-6)


def _noisy_problem(n_posts: int, per_post: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate rows right with probability ``sigmoid(8 * (feature 0 - 0.5))``: no score can separate them, a
    good one can only say how likely each is."""
    rng = np.random.default_rng(seed)
    features = rng.random((n_posts * per_post, len(FEATURES))).astype(np.float32)
    chance = 1 / (1 + np.exp(-8 * (features[:, 0] - 0.5)))
    labels = (rng.random(len(features)) < chance).astype(np.float32)
    return features, labels, np.repeat(np.arange(n_posts), per_post)


def _calibration_error(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean gap between the mean score and the share of right rows, over ten bins of equal rows."""
    order = np.argsort(scores)
    return float(np.mean([abs(scores[b].mean() - labels[b].mean()) for b in np.array_split(order, 10)]))


def test_a_ranking_loss_fit_is_calibrated_back_into_probabilities() -> None:
    features, labels, groups = _noisy_problem(300, 8, seed=10)
    test_rows, test_labels, _groups = _noisy_problem(300, 8, seed=11)
    fusion = fit_fusion(features, labels, groups, hidden=4, epochs=200, listwise=1.0)
    assert fusion.calibration is not None
    assert fit_fusion(features, labels, groups, hidden=4, epochs=5).calibration is None  # cross-entropy alone
    raw = 1 / (1 + np.exp(-fusion.network_logits(test_rows.astype(np.float64))))
    calibrated = fusion.score(test_rows)
    assert _calibration_error(calibrated, test_labels) < 0.04 < _calibration_error(raw, test_labels)
    np.testing.assert_array_equal(np.argsort(calibrated, kind="stable"), np.argsort(raw, kind="stable"))


def test_the_calibration_map_strictly_increases_everywhere() -> None:
    rng = np.random.default_rng(12)
    logits = rng.normal(0, 2, 500)
    knots = fit_calibration(logits, (rng.random(500) < 0.3).astype(np.float32))  # flat: few pooled blocks
    assert knots.shape[0] == 2 and (np.diff(knots, axis=1) > 0).all()
    inputs = np.linspace(-50, 50, 20_001)  # far beyond the outer knots on both sides
    assert (np.diff(calibrate(knots, inputs)) > 0).all()
    np.testing.assert_allclose(calibrate(knots, knots[0]), knots[1])
    single = fit_calibration(np.array([0.0, 1.0, 2.0]), np.zeros(3))  # one block: one knot, slope 1 around it
    assert single.shape == (2, 1)
    np.testing.assert_allclose(np.diff(calibrate(single, np.array([-1.0, 1.0, 3.0]))), [2.0, 2.0])


def test_a_calibrated_fusion_round_trips_and_an_uncalibrated_state_stays_so() -> None:
    features, labels, groups = _noisy_problem(40, 5, seed=13)
    test_rows, _labels, _groups = _noisy_problem(20, 5, seed=14)
    fusion = fit_fusion(features, labels, groups, hidden=4, epochs=30, listwise=0.3)
    buffer = io.BytesIO()
    torch.save(fusion.state(), buffer)
    buffer.seek(0)
    for state in (torch.load(buffer, weights_only=True), json.loads(json.dumps(fusion.plain_state()))):
        restored = Fusion.from_state(state)
        np.testing.assert_array_equal(restored.calibration, fusion.calibration)
        np.testing.assert_allclose(restored.score(test_rows), fusion.score(test_rows), rtol=1e-6)
    plain = fusion.plain_state()
    del plain["calibration"]  # a file written before the calibration existed
    assert Fusion.from_state(plain).calibration is None
    plain["calibration"] = [[0.0, 1.0, 1.0], [0.0, 1.0, 2.0]]
    with pytest.raises(ValueError, match="calibration"):
        Fusion.from_state(plain)


def test_networks_fitted_in_worker_processes_equal_those_fitted_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from tagrec_core import fusion as fusion_module

    features, labels, groups = _noisy_problem(30, 5, seed=15)
    monkeypatch.setattr(fusion_module, "INLINE_BELOW", 0)
    workers = fit_fusion(features, labels, groups, hidden=4, epochs=20, ensemble=3, listwise=0.3)
    monkeypatch.setattr(fusion_module, "WORKERS", 1)
    here = fit_fusion(features, labels, groups, hidden=4, epochs=20, ensemble=3, listwise=0.3)
    for name in ("w1", "b1", "w2", "calibration"):
        np.testing.assert_array_equal(getattr(workers, name), getattr(here, name))
    assert workers.b2 == here.b2


def test_without_scikit_learn_a_ranking_loss_fit_falls_back_to_cross_entropy(monkeypatch: pytest.MonkeyPatch) -> None:
    features, labels, groups = _noisy_problem(30, 5, seed=16)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as in the trimmed bundle: importing it fails
    with pytest.warns(UserWarning, match="scikit-learn is not installed"):
        fallback = fit_fusion(features, labels, groups, hidden=4, epochs=20, ensemble=3, listwise=0.3)
    plain = fit_fusion(features, labels, groups, hidden=4, epochs=20)
    assert fallback.calibration is None and fallback.w1.shape == plain.w1.shape
    np.testing.assert_array_equal(fallback.w1, plain.w1)
