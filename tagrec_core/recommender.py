"""The suggestion API: text in, ranked tags out, each with a score, a source and a short reason.

``Recommender`` wraps a loaded ``Model``; it is safe for concurrent readers (no per-call state). A model
trained with the full ranker (``Model.ranking``) ranks the candidates of every source by their fused score;
a classifier-only model ranks the classifier's calibrated scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from tagrec_core.model import Model, normalize_tag
from tagrec_core.ranker import Ranking
from tagrec_core.records import post_text

# Source words (one per method, the same in every UI): see ``ranker.SOURCES``.
SOURCE_CLASSIFIER = "classifier"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested tag. ``score`` is a calibrated probability in [0, 1]; ``source`` names the method."""

    tag: str
    score: float
    source: str
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Recommender:
    """Suggests tags for posts with one model."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def suggest(
        self,
        title: str,
        body: str = "",
        tags: Iterable[str] = (),
        user: str | None = None,
        k: int = 5,
    ) -> list[Suggestion]:
        """The ``k`` best tags for a post, best first, never one of the ``tags`` already chosen.

        ``user`` selects a personal profile once profiles exist; it is accepted and ignored for now.
        """
        return self.suggest_many([(title, body)], [tuple(tags)], k=k)[0]

    def suggest_many(
        self,
        posts: Sequence[tuple[str, str]],
        chosen: Sequence[Iterable[str]] | None = None,
        k: int = 5,
        batch_size: int = 256,
    ) -> list[list[Suggestion]]:
        """``suggest`` for many ``(title, body)`` posts at once (batched: much faster for files)."""
        if k < 1:
            return [[] for _ in posts]
        chosen_sets = [{normalize_tag(t) for t in c} for c in chosen] if chosen else [set() for _ in posts]
        results: list[list[Suggestion]] = []
        for start in range(0, len(posts), batch_size):
            part = posts[start : start + batch_size]
            excludes = chosen_sets[start : start + batch_size]
            texts = [post_text(title, body) for title, body in part]
            ranking = self.model.ranking
            if ranking is not None:
                probabilities = self.model.probabilities(texts).numpy()
                for (title, body), p_row, exclude in zip(part, probabilities, excludes, strict=True):
                    results.append(self._rank_all(ranking, p_row, title, body, exclude, k))
                continue
            # Enough candidates that k remain after dropping the tags already chosen.
            probs, indices = self.model.calibration.top(self.model.logits(texts), k + max(map(len, excludes)))
            for p_row, i_row, exclude in zip(probs.tolist(), indices.tolist(), excludes, strict=True):
                results.append(self._rank(p_row, i_row, exclude, k))
        return results

    def _rank(self, probs: list[float], indices: list[int], exclude: set[str], k: int) -> list[Suggestion]:
        tags = self.model.vocab.tags
        out = []
        for value, index in zip(probs, indices, strict=True):
            tag = tags[index]
            if tag in exclude:
                continue
            out.append(Suggestion(tag, round(value, 4), SOURCE_CLASSIFIER, _reason(self.model, index)))
            if len(out) == k:
                break
        return out

    def _rank_all(
        self, ranking: Ranking, probabilities: np.ndarray, title: str, body: str, exclude: set[str], k: int
    ) -> list[Suggestion]:
        chosen = [ranking.tags.index[t] for t in exclude if t in ranking.tags.index]
        candidates = ranking.candidates(self.model, probabilities, title, body, chosen)
        scores = ranking.score(candidates)
        out = []
        for row in np.argsort(-scores, kind="stable").tolist():
            tag = ranking.tags.tags[int(candidates.tags[row])]
            if tag in exclude:
                continue
            source, reason = ranking.explain(candidates, row)
            out.append(Suggestion(tag, round(float(scores[row]), 4), source, reason))
            if len(out) == k:
                break
        return out


def _reason(model: Model, index: int) -> str:
    count = model.vocab.counts[index]
    return f"learned from {count} tagged post{'' if count == 1 else 's'}"
