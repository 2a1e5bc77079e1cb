"""The linear SVMs of the ranker (``tagrec_core.linear``): what they learn, pruning, the query side, storage."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp

from tagrec_core import linear as linear_module
from tagrec_core.linear import INLINE_BELOW, NO_MARGIN, LinearTags, fit_linear
from tagrec_core.retrieval import TERM_BUCKETS, PostIndex, post_terms

# Tag ids: 0 python, 1 docker, 2 cooking (one post only: no SVM), 3 unused.
POSTS = [
    ("pandas dataframe merge columns", [0]),
    ("numpy array reshape python", [0]),
    ("python list comprehension dict", [0]),
    ("pandas groupby python dataframe", [0]),
    ("docker compose volume mount", [1]),
    ("docker image build cache layer", [1]),
    ("container volume compose network", [1]),
    ("docker container port network", [1]),
    ("bake bread oven flour", [2]),
]


@pytest.fixture(scope="module")
def index() -> PostIndex:
    return PostIndex.build([post_terms(text) for text, _ in POSTS], [tags for _, tags in POSTS], TERM_BUCKETS, 4)


@pytest.fixture(scope="module")
def linear(index: PostIndex) -> LinearTags:
    fitted = fit_linear(index.vectors(), index.post_tags)
    assert fitted is not None
    return fitted


def margins_of(linear: LinearTags, index: PostIndex, text: str) -> np.ndarray:
    return linear.margins(*index.vector(post_terms(text)))


def test_index_vectors_are_the_queries_vectors(index: PostIndex) -> None:
    # Training reads the posts' vectors from the index; a query of the same text gets the same vector.
    vectors = index.vectors()
    assert vectors.shape == (len(POSTS), TERM_BUCKETS)
    ids, weights = index.vector(post_terms(POSTS[4][0]))
    row = vectors.getrow(4)
    assert sorted(row.indices.tolist()) == ids.tolist()
    np.testing.assert_allclose(row.toarray()[0, ids], weights, rtol=1e-5)


def test_only_tags_of_two_posts_get_an_svm(linear: LinearTags) -> None:
    assert linear.tags.tolist() == [0, 1]
    assert linear.n_tags == 4


def test_margins_separate_the_tags(linear: LinearTags, index: PostIndex) -> None:
    docker = margins_of(linear, index, "docker compose network")
    python = margins_of(linear, index, "pandas dataframe python")
    assert docker[1] > 0 > docker[0]
    assert python[0] > 0 > python[1]
    # Tags without an SVM have the fixed margin, and never count among the top tags.
    assert docker[2] == docker[3] == NO_MARGIN
    assert linear.top(docker, 4).tolist() == [1, 0]


def test_a_query_of_unknown_terms_gets_the_biases(linear: LinearTags, index: PostIndex) -> None:
    empty = margins_of(linear, index, "")
    unknown = margins_of(linear, index, "zzzz qqqq")
    np.testing.assert_allclose(empty[linear.tags], linear.bias)
    np.testing.assert_allclose(unknown, empty)


def test_pruning_keeps_the_strongest_weights(index: PostIndex) -> None:
    full = fit_linear(index.vectors(), index.post_tags, keep=10_000)
    pruned = fit_linear(index.vectors(), index.post_tags, keep=3)
    assert full is not None and pruned is not None
    assert np.all(np.diff(pruned.starts) == 3)
    for tag in range(len(full.tags)):
        weights = full.weights[full.starts[tag] : full.starts[tag + 1]]
        kept = pruned.weights[pruned.starts[tag] : pruned.starts[tag + 1]]
        threshold = np.sort(np.abs(weights))[-3]
        assert np.all(np.abs(kept) >= threshold - 1e-6)


def test_the_default_share_grows_with_fewer_tags(index: PostIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each tag keeps KEEP weights or an even share of BUDGET, whichever is more: two tags share 8 -> 4 each.
    monkeypatch.setattr(linear_module, "KEEP", 2)
    monkeypatch.setattr(linear_module, "BUDGET", 8)
    shared = fit_linear(index.vectors(), index.post_tags)
    assert shared is not None and np.all(np.diff(shared.starts) == 4)
    monkeypatch.setattr(linear_module, "BUDGET", 2)  # a share below KEEP: KEEP
    floor = fit_linear(index.vectors(), index.post_tags)
    assert floor is not None and np.all(np.diff(floor.starts) == 2)


def test_state_round_trip_keeps_margins(linear: LinearTags, index: PostIndex) -> None:
    again = LinearTags.from_state(linear.state())
    for text in ["docker compose network", "pandas dataframe python", "bread"]:
        # float16 storage: margins agree to about three digits.
        np.testing.assert_allclose(margins_of(again, index, text), margins_of(linear, index, text), atol=5e-3)


@pytest.mark.parametrize(
    "damage",
    [
        {"n_tags": 1},
        {"starts": np.array([0, 1], np.int64)},
        {"weights": np.zeros(1, np.float32)},
        {"tags": np.array([0, 7], np.int64)},
    ],
    ids=["tag-range", "starts", "weights", "tag-ids"],
)
def test_arrays_that_do_not_fit_are_refused(linear: LinearTags, damage: dict[str, object]) -> None:
    fields = {
        "n_tags": linear.n_tags,
        "tags": linear.tags,
        "bias": linear.bias,
        "starts": linear.starts,
        "terms": linear.terms,
        "weights": linear.weights,
        **damage,
    }
    with pytest.raises(ValueError, match=r"do not fit|out of range"):
        LinearTags(**fields)  # type: ignore[arg-type]


def test_terms_must_ascend_within_a_tag(linear: LinearTags) -> None:
    # The model file stores each tag's terms as gaps; a descending run could not be stored.
    first = slice(int(linear.starts[0]), int(linear.starts[1]))
    terms = linear.terms.copy()
    terms[first] = terms[first][::-1]
    with pytest.raises(ValueError, match="must ascend"):
        LinearTags(linear.n_tags, linear.tags, linear.bias, linear.starts, terms, linear.weights)


def test_nothing_to_separate_gives_no_classifier() -> None:
    one_tag = sp.csr_matrix(np.ones((3, 1), np.float32))
    vectors = sp.csr_matrix(np.eye(3, dtype=np.float32))
    assert fit_linear(vectors, one_tag) is None  # every post carries the one tag
    assert fit_linear(vectors, sp.csr_matrix((3, 2), dtype=np.float32)) is None  # no tag at all
    two_tags = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]], np.float32))
    no_terms = sp.csr_matrix((4, 5), dtype=np.float32)  # posts of only punctuation: not one term
    assert fit_linear(no_terms, two_tags, min_posts=2) is None  # it was a ValueError from LinearSVC


def test_without_scikit_learn_training_warns_and_goes_on(index: PostIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.svm", None)  # as in the desktop bundle, which leaves it out
    with pytest.warns(UserWarning, match="without its linear SVMs"):
        assert fit_linear(index.vectors(), index.post_tags) is None


def test_a_stop_request_gives_no_classifier(index: PostIndex) -> None:
    assert fit_linear(index.vectors(), index.post_tags, should_stop=lambda: True) is None


def test_the_same_data_give_the_same_weights_in_workers_or_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # liblinear's random generator is one per process. Fitted on two threads, the tags drew from it in turn and
    # each run gave other weights (these data: every time); in worker processes each fit reseeds its own.
    rng = np.random.default_rng(0)
    vectors = sp.random(2000, 2000, density=0.01, format="csr", random_state=0, dtype=np.float32)
    post_tags = sp.csr_matrix((rng.random((2000, INLINE_BELOW + 40)) < 0.03).astype(np.float32))
    in_workers = [fit_linear(vectors, post_tags) for _ in range(2)]
    monkeypatch.setattr(linear_module, "WORKERS", 1)
    here = fit_linear(vectors, post_tags)
    assert here is not None and len(here.tags) > INLINE_BELOW  # big enough for the workers above
    for fitted in in_workers:
        assert fitted is not None
        for name in ("tags", "bias", "starts", "terms", "weights"):
            np.testing.assert_array_equal(getattr(fitted, name), getattr(here, name))


@pytest.mark.filterwarnings("error")  # and joblib's note about the cancelled chunks is not shown
def test_a_stop_request_ends_the_fit_between_chunks() -> None:
    rng = np.random.default_rng(1)
    vectors = sp.random(500, 500, density=0.02, format="csr", random_state=1, dtype=np.float32)
    post_tags = sp.csr_matrix((rng.random((500, INLINE_BELOW + 40)) < 0.05).astype(np.float32))
    progress: list[tuple[int, int]] = []
    fitted = fit_linear(vectors, post_tags, on_progress=lambda *p: progress.append(p), should_stop=lambda: True)
    assert fitted is None
    assert len(progress) == 1 and progress[0][0] < progress[0][1]  # one chunk of the tags, then it stopped
