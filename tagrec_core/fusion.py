"""Fusion: one learned score from the evidence of every source for a (post, candidate tag) pair.

A small network (standardised features -> ``hidden`` tanh units -> 1 logit) trained with binary cross-entropy
on held-out posts: the label says whether the candidate is one of the post's tags. Its output is therefore
the probability that the tag is right, comparable across posts, so a threshold can hide weak suggestions.
Trained with torch, evaluated with numpy (a few microseconds per post, no autograd machinery at suggest
time). A network fitted with a ranking loss no longer outputs probabilities; it then carries ``calibration``,
a strictly increasing map of its logits that makes them probabilities again without changing any order.
``FEATURES`` names the columns the ranker produces, in order; the personal ranking (``profile.personal``) uses
the same network over its own catalogue of features.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["FEATURES", "Fusion", "calibrate", "fit_calibration", "fit_fusion"]

# The networks of one fit (an ensemble's and its teacher) are fitted in this many worker processes (joblib's
# loky pool; this machine's cores, as ``linear.WORKERS``), when there are at least ``INLINE_BELOW`` rows: below
# that a fit takes a few seconds at most, about what starting a worker and importing torch there costs.
# so-titles' 277k rows: four networks in 168 s in one process, 93 s in two (the same weights).
WORKERS = 2
INLINE_BELOW = 20_000

FEATURES: tuple[str, ...] = (
    "classifier_p",  # calibrated classifier probability (0 for a tag the classifier does not know)
    "classifier_rank",  # 1 / (1 + rank) among the classifier's outputs (0 beyond its candidates)
    "neighbour_share",  # similarity-weighted share of the neighbours' vote
    "neighbour_count",  # neighbours carrying the tag / neighbours
    "neighbour_best",  # similarity of the closest neighbour carrying the tag
    "neighbour_top",  # similarity of the query's nearest neighbour (how familiar the post is)
    "in_title",  # the tag occurs in the title
    "in_body",  # the tag occurs in the body
    "text_precision",  # when the tag occurs in a post's text, how often it was that post's tag (training)
    "popularity",  # log tag count / log posts
    "site_popularity",  # log count in the site's tag list / log of its largest count
    "known",  # the classifier can output the tag
    "chosen_related",  # max P(tag | chosen tag) over the tags already chosen
    "has_chosen",  # the post already has tags
    "context_related",  # sum over the classifier's top tags s of p(s) * P(tag | s)
    "length",  # log of the post's length in terms
    "classifier_relative",  # classifier_p / the post's highest classifier probability
    "neighbour_rank",  # 1 / (1 + rank) of the tag in the neighbours' vote
    "neighbour_share_near",  # share of the vote of the closest NEAR neighbours only
    "linear_margin",  # the tag's linear SVM margin (``linear``; NO_MARGIN when it has none)
    "linear_rank",  # 1 / (1 + rank) among the SVMs' top candidates (0 beyond them)
    "stem_only",  # another form of the tag's words occurs in the post, the tag itself does not
    "overlap",  # share of the tag's units (words, Chinese character pairs) in the post (``TagMatcher.overlaps``)
)


@dataclass(frozen=True)
class Fusion:
    """``score(features)`` -> probabilities. ``mean``/``scale`` standardise, then one tanh layer, then the
    ``calibration`` map of the logit when there is one (``fit_calibration``; ``None``: the logit as it is).

    ``features`` rows always hold every column of ``catalogue`` (the caller's feature list, ``FEATURES`` for
    the ranker); ``names`` are the columns this fusion was trained on (all of them, unless it comes from a
    file written before later columns were added: such a file keeps working, reading only its own columns).
    """

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    names: tuple[str, ...] = FEATURES
    catalogue: tuple[str, ...] = FEATURES
    calibration: np.ndarray | None = None

    def __post_init__(self) -> None:
        columns = [self.catalogue.index(name) for name in self.names]
        # A slice, not a copy, when every column takes part (the usual case, on every suggestion).
        full = columns == list(range(len(self.catalogue)))
        object.__setattr__(self, "_columns", slice(None) if full else columns)

    def logits(self, features: np.ndarray) -> np.ndarray:
        """The logit of each row's ``score``: the network's output, through ``calibration`` if there is one."""
        logits = self.network_logits(features)
        return logits if self.calibration is None else calibrate(self.calibration, logits)

    def network_logits(self, features: np.ndarray) -> np.ndarray:
        """The network's output per row, before ``calibration``."""
        hidden = np.tanh(((features[:, self._columns] - self.mean) / self.scale) @ self.w1 + self.b1)  # type: ignore[attr-defined]
        return hidden @ self.w2 + self.b2

    def score(self, features: np.ndarray) -> np.ndarray:
        """Probability that each row's candidate is right, ``[n_rows]`` float64 (float32 would round strong
        candidates to exactly 1.0 and lose their order)."""
        if not len(features):
            return np.zeros(0, np.float64)
        return 1.0 / (1.0 + np.exp(-self.logits(features.astype(np.float64))))

    def state(self) -> dict[str, object]:
        """The weights as torch tensors (for model files, loaded with ``weights_only``)."""
        import torch

        return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in self._stored().items()}

    def plain_state(self) -> dict[str, object]:
        """The weights as nested lists of numbers (for JSON files)."""
        return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in self._stored().items()}

    def _stored(self) -> dict[str, object]:
        stored = {"features": list(self.names), "mean": self.mean, "scale": self.scale, "w1": self.w1,
                  "b1": self.b1, "w2": self.w2, "b2": float(self.b2)}  # fmt: skip
        if self.calibration is not None:  # absent rather than None: a fusion without it stores what it always did
            stored["calibration"] = self.calibration
        return stored

    @classmethod
    def from_state(cls, state: dict[str, object], catalogue: tuple[str, ...] = FEATURES) -> Fusion:
        """The fusion of ``state`` or ``plain_state``; ``ValueError`` unless the stored feature names are in
        ``catalogue``, distinct, in its order, and match the weights."""
        names = tuple(state["features"])  # type: ignore[call-overload]
        known = [catalogue.index(n) for n in names if n in catalogue]
        if not names or len(known) != len(names) or known != sorted(set(known)):
            raise ValueError("the fusion weights were trained on other features")
        arrays = {k: np.asarray(_numbers(state[k]), np.float32) for k in ("mean", "scale", "w1", "b1", "w2")}
        if arrays["mean"].shape != (len(names),) or arrays["w1"].shape[0] != len(names):
            raise ValueError("the fusion weights do not match their feature names")
        knots = state.get("calibration")
        calibration = None if knots is None else np.asarray(_numbers(knots), np.float64)
        if calibration is not None and (
            calibration.ndim != 2 or calibration.shape[0] != 2 or not calibration.shape[1]
            or not (np.diff(calibration, axis=1) > 0).all()
        ):  # fmt: skip
            raise ValueError("the fusion's calibration is not an increasing map")
        return cls(b2=float(state["b2"]), names=names, catalogue=catalogue, calibration=calibration, **arrays)  # type: ignore[arg-type]


def _numbers(value: object) -> object:
    """A stored array: a torch tensor (model files) or nested lists (JSON)."""
    return value.numpy() if hasattr(value, "numpy") else value  # type: ignore[union-attr]


def calibrate(knots: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """``logits`` through the map of ``knots`` (``fit_calibration``): linear between knots, and beyond the
    outer knots the network's own steps (slope 1), so no two different logits ever map to one value."""
    x, calibrated = knots
    return np.interp(logits, x, calibrated) + np.minimum(logits - x[0], 0.0) + np.maximum(logits - x[-1], 0.0)


def fit_calibration(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Knots ``[2, m]`` (logit, calibrated logit) of a strictly increasing map that makes ``logits`` the
    probability of ``targets`` (each row's chance of being right: a 0/1 label or a model's estimate): isotonic
    regression of the targets on the logits, one knot per pooled block at its mean logit and its mean target
    (within [1e-6, 1 - 1e-6]), nudged to strictly increase so that the map keeps every order the network made.

    Why not Platt's rescaling (a sigmoid of a linear map): a network trained with the ranking loss is
    overconfident low and underconfident high in a way no linear map of its logit undoes (so-titles: the
    calibration error of the 10 best per post 0.024 after the ranking loss, 0.015 rescaled).
    """
    from sklearn.isotonic import IsotonicRegression

    order = np.argsort(logits, kind="stable")
    z = np.asarray(logits, np.float64)[order]
    y = np.asarray(targets, np.float64)[order]
    pooled = IsotonicRegression().fit_transform(z, y)
    starts = np.flatnonzero(np.r_[True, np.diff(pooled) != 0])
    sizes = np.diff(np.r_[starts, len(z)])
    rate = np.clip(np.add.reduceat(y, starts) / sizes, 1e-6, 1.0 - 1e-6)
    calibrated = np.maximum.accumulate(np.log(rate) - np.log1p(-rate)) + np.arange(len(starts)) * 1e-6
    return np.stack([np.add.reduceat(z, starts) / sizes, calibrated])


def fit_fusion(
    features: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[int] | np.ndarray,
    *,
    hidden: int = 16,
    epochs: int = 1000,
    lr: float = 0.01,
    weight_decay: float = 1e-4,
    seed: int = 0,
    names: tuple[str, ...] = FEATURES,
    listwise: float = 0.0,
    ensemble: int = 1,
) -> Fusion:
    """Fit the fusion network on candidate rows (``features`` ``[n, len(names)]``, ``labels`` 0/1).

    ``groups`` gives each row's post; every post weighs the same in the loss whatever its number of
    candidates. ``listwise`` > 0 adds that weight of a ranking loss within each post (``_listwise_loss``) to
    the cross-entropy: better top ranks, but logits that are no longer those of probabilities. The network then
    also gets its ``calibration`` (``fit_calibration``), towards the probabilities of one more network fitted
    with cross-entropy alone on the same rows (the *teacher*).
    ``ensemble`` > 1 fits that many networks from seeds ``seed``, ``seed + 1``, ... and returns their average,
    itself one network with ``ensemble * hidden`` units: steadier top ranks, where single networks differ by a
    few thousandths of F1 from seed to seed. Full-batch Adam, each network on one thread (``_fit_networks``);
    deterministic for a given seed. Without scikit-learn, which the map needs, ``listwise`` and ``ensemble`` are
    ignored, with a warning: one network, cross-entropy alone.
    """
    if listwise and not _can_calibrate():
        # The trimmed desktop bundle leaves scikit-learn out (as it does the linear SVMs): fit what it always did.
        warnings.warn("scikit-learn is not installed: the fusion is fitted with cross-entropy alone", stacklevel=2)
        listwise, ensemble = 0.0, 1
    members = max(1, ensemble)
    jobs = [(seed + n, listwise) for n in range(members)] + ([(seed, 0.0)] if listwise else [])  # the teacher
    fitted = _fit_networks(features, labels, groups, jobs, (hidden, epochs, lr, weight_decay, names))
    fusion = fitted[0] if members == 1 else _average(fitted[:members])
    if not listwise:
        return fusion
    # Why a teacher and not the rows' labels: mapped onto the labels of the very rows it was fitted on, the
    # ranking network's strongest logits, its most overfitted, came out overconfident on valid posts
    # (weibo-hashtaggen: the top bin said 0.91 and was right half the time). The cross-entropy network's
    # probabilities hold on new posts. Calibration error of the 10 best per valid post, cross-entropy network
    # / ranking ensemble mapped on labels / on the teacher: weibo-hashtaggen 0.0047 / 0.0108 / 0.0042,
    # se-multi 0.0090 / 0.0159 / 0.0130, so-titles 0.0076 / 0.0060 / 0.0089.
    rows = np.asarray(features, np.float64)
    return replace(fusion, calibration=fit_calibration(fusion.network_logits(rows), fitted[-1].score(rows)))


def _can_calibrate() -> bool:
    """Whether ``fit_calibration``'s isotonic regression (scikit-learn's) can be imported."""
    try:
        import sklearn.isotonic  # noqa: F401
    except ImportError:
        return False
    return True


def _fit_networks(
    features: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[int] | np.ndarray,
    jobs: Sequence[tuple[int, float]],
    settings: tuple[int, int, float, float, tuple[str, ...]],
) -> list[Fusion]:
    """``_fit_one_thread`` of each ``(seed, listwise)`` of ``jobs``, in order, ``settings`` being its
    (hidden, epochs, lr, weight_decay, names): in ``WORKERS`` processes when there are several networks and
    ``INLINE_BELOW`` rows or more, else here. Each network is the same either way (same seed, one thread)."""
    hidden, epochs, lr, weight_decay, names = settings
    if WORKERS <= 1 or len(jobs) < 2 or len(features) < INLINE_BELOW:
        return [
            _fit_one_thread(features, labels, groups, hidden, epochs, lr, weight_decay, seed, names, weight)
            for seed, weight in jobs
        ]
    from joblib import Parallel, delayed  # scikit-learn's own dependency

    return Parallel(n_jobs=WORKERS)(  # type: ignore[no-any-return]
        delayed(_fit_one_thread)(features, labels, groups, hidden, epochs, lr, weight_decay, seed, names, weight)
        for seed, weight in jobs
    )


def _fit_one_thread(*args: object) -> Fusion:
    """``_fit(*args)`` on one torch thread: full-batch fits of these small matrices gain nothing from more, and
    a worker process must not take every core while its sibling runs beside it."""
    import torch

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit(*args)  # type: ignore[arg-type]
    finally:
        torch.set_num_threads(previous_threads)


def _average(networks: Sequence[Fusion]) -> Fusion:
    """One network whose logit is the mean of ``networks``' logits (they share ``mean``, ``scale`` and names):
    their hidden units side by side, each output weight divided by their number."""
    first = networks[0]
    return Fusion(
        first.mean,
        first.scale,
        np.concatenate([n.w1 for n in networks], axis=1),
        np.concatenate([n.b1 for n in networks]),
        (np.concatenate([n.w2 for n in networks]) / len(networks)).astype(np.float32),
        float(np.mean([n.b2 for n in networks])),
        first.names,
        first.catalogue,
    )


def _fit(
    features: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[int] | np.ndarray,
    hidden: int,
    epochs: int,
    lr: float,
    weight_decay: float,
    seed: int,
    names: tuple[str, ...],
    listwise: float,
) -> Fusion:
    import torch

    x = np.asarray(features, np.float32)
    y = np.asarray(labels, np.float32)
    if x.ndim != 2 or x.shape[1] != len(names) or len(x) != len(y):
        raise ValueError("features must be [n, len(names)] with one label per row")
    group_ids = np.asarray(groups)
    if group_ids.shape != (len(x),):
        raise ValueError("groups must give one post number per row")
    mean = x.mean(axis=0)
    spread = x.std(axis=0)
    # Dividing by a tiny spread makes any later deviation dominate every score: in the tests' corpus, whose
    # site list gives every training tag one count, a site-only tag's other count was 320 spreads away and
    # its text match sank out of the top 5 (the ranker's features live in about [0, 1]: 0.05 bounds that at ~20).
    # A column that never varied taught nothing at all: it is left out (unit scale, zero weights).
    constant = spread < 1e-6
    scale = np.where(constant, 1.0, np.maximum(spread, 0.05)).astype(np.float32)
    _, inverse, sizes = np.unique(group_ids, return_inverse=True, return_counts=True)
    row_weight = torch.from_numpy((1.0 / sizes[inverse]).astype(np.float32))
    row_weight = row_weight / row_weight.mean()
    generator = torch.Generator().manual_seed(seed)
    w1 = torch.nn.Parameter(torch.randn(x.shape[1], hidden, generator=generator) * 0.3)
    b1 = torch.nn.Parameter(torch.zeros(hidden))
    w2 = torch.nn.Parameter(torch.randn(hidden, generator=generator) * 0.3)
    b2 = torch.nn.Parameter(torch.zeros(()))
    xs = torch.from_numpy((x - mean) / scale)
    ys = torch.from_numpy(y.copy())  # in a worker, ``labels`` may be joblib's read-only memory map
    post = torch.from_numpy(inverse.astype(np.int64))
    optimizer = torch.optim.Adam([w1, b1, w2, b2], lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        optimizer.zero_grad()
        logits = torch.tanh(xs @ w1 + b1) @ w2 + b2
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, ys, reduction="none") * row_weight).mean()
        if listwise:
            loss = loss + listwise * _listwise_loss(logits, ys, post, len(sizes))
        loss.backward()
        optimizer.step()
    return Fusion(
        mean.astype(np.float32),
        scale,
        np.where(constant[:, None], 0.0, w1.detach().numpy()).astype(np.float32),
        b1.detach().numpy().astype(np.float32),
        w2.detach().numpy().astype(np.float32),
        float(b2.item()),
        names,
        names,
    )


def _listwise_loss(logits: torch.Tensor, labels: torch.Tensor, post: torch.Tensor, posts: int) -> torch.Tensor:
    """ListNet's cross-entropy: over the posts with a right candidate, the mean of minus the mean log-softmax
    (over that post's candidates) of its right candidates. ``post``: each row's post number in ``[0, posts)``."""
    import torch

    peak = torch.zeros(posts).scatter_reduce(0, post, logits.detach(), reduce="amax", include_self=False)
    shifted = logits - peak[post]
    log_p = shifted - torch.log(torch.zeros(posts).index_add(0, post, torch.exp(shifted)))[post]
    right = torch.zeros(posts).index_add(0, post, labels)
    hits = torch.zeros(posts).index_add(0, post, log_p * labels)
    some = right > 0
    return -(hits[some] / right[some]).mean()
