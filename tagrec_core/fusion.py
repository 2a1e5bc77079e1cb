"""Fusion: one learned score from the evidence of every source for a (post, candidate tag) pair.

A small network (standardised features -> ``hidden`` tanh units -> 1 logit) trained with binary cross-entropy
on held-out posts: the label says whether the candidate is one of the post's tags. Its output is therefore
the probability that the tag is right, comparable across posts, so a threshold can hide weak suggestions.
Trained with torch, evaluated with numpy (a few microseconds per post, no autograd machinery at suggest
time). ``FEATURES`` names the columns the ranker produces, in order; the personal ranking
(``profile.personal``) uses the same network over its own catalogue of features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["FEATURES", "Fusion", "fit_fusion"]

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
    """``score(features)`` -> probabilities. ``mean``/``scale`` standardise, then one tanh layer.

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

    def __post_init__(self) -> None:
        columns = [self.catalogue.index(name) for name in self.names]
        # A slice, not a copy, when every column takes part (the usual case, on every suggestion).
        full = columns == list(range(len(self.catalogue)))
        object.__setattr__(self, "_columns", slice(None) if full else columns)

    def logits(self, features: np.ndarray) -> np.ndarray:
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
        return {"features": list(self.names), "mean": self.mean, "scale": self.scale, "w1": self.w1,
                "b1": self.b1, "w2": self.w2, "b2": float(self.b2)}  # fmt: skip

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
        return cls(b2=float(state["b2"]), names=names, catalogue=catalogue, **arrays)  # type: ignore[arg-type]


def _numbers(value: object) -> object:
    """A stored array: a torch tensor (model files) or nested lists (JSON)."""
    return value.numpy() if hasattr(value, "numpy") else value  # type: ignore[union-attr]


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
    the cross-entropy: better top ranks, at the cost of scores a little less calibrated as probabilities.
    ``ensemble`` > 1 fits that many networks from seeds ``seed``, ``seed + 1``, ... and returns their average,
    itself one network with ``ensemble * hidden`` units: steadier top ranks, where single networks differ by a
    few thousandths of F1 from seed to seed. Full-batch Adam on one thread (small matrices: more threads only
    add overhead); deterministic for a given seed.
    """
    import torch

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        fitted = [
            _fit(features, labels, groups, hidden, epochs, lr, weight_decay, seed + n, names, listwise)
            for n in range(max(1, ensemble))
        ]
    finally:
        torch.set_num_threads(previous_threads)
    return fitted[0] if len(fitted) == 1 else _average(fitted)


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
    ys = torch.from_numpy(y)
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
