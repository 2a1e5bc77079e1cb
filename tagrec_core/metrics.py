"""Ranking metrics for tag suggestion (definitions: field-notes §2).

For a post with true tags T and ranked suggestions S: P@k = |S[:k] ∩ T| / k, R@k = |S[:k] ∩ T| / |T|,
F1@k = 2·P·R / (P + R) (0 when both are 0), each averaged over posts; tags compared lowercased.
Recall divides by |T| (not min(k, |T|)). Posts without true tags are skipped, since they have no recall.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KS: tuple[int, ...] = (1, 3, 5)


@dataclass(frozen=True)
class Scores:
    """Averaged metrics; ``values["f1@3"]`` etc. for every k in ``ks``, and the number of posts."""

    values: dict[str, float]
    posts: int

    def __getitem__(self, key: str) -> float:
        return self.values[key]


def _at_k(predicted: Sequence[str], truth: set[str], k: int) -> tuple[float, float, float]:
    hits = len({t.lower() for t in predicted[:k]} & truth)
    p = hits / k
    r = hits / len(truth)
    f = 0.0 if hits == 0 else 2 * p * r / (p + r)
    return p, r, f


def evaluate(predictions: Iterable[Sequence[str]], truths: Iterable[Sequence[str]], ks: Sequence[int] = KS) -> Scores:
    """Average P@k, R@k and F1@k over posts; ``predictions`` and ``truths`` are parallel sequences."""
    sums = {f"{m}@{k}": 0.0 for k in ks for m in ("p", "r", "f1")}
    posts = 0
    for predicted, true_tags in zip(predictions, truths, strict=True):
        truth = {t.lower() for t in true_tags}
        if not truth:
            continue
        posts += 1
        for k in ks:
            p, r, f = _at_k(predicted, truth, k)
            sums[f"p@{k}"] += p
            sums[f"r@{k}"] += r
            sums[f"f1@{k}"] += f
    return Scores({key: (value / posts if posts else 0.0) for key, value in sums.items()}, posts)
