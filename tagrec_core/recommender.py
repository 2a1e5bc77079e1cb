"""The suggestion API: text in, ranked tags out, each with a score, a source and a short reason.

``Recommender`` wraps a loaded ``Model``; it is safe for concurrent readers (no per-call state). A model
trained with the full ranker (``Model.ranking``) ranks the candidates of every source by their fused score;
a classifier-only model ranks the classifier's calibrated scores. Given a ``Profile``, each user's
preferences re-rank those suggestions (``profile.personal``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from tagrec_core.model import Model
from tagrec_core.placeholders import fill_numbers, has_number
from tagrec_core.profile.feedback import DEFAULT_USER
from tagrec_core.profile.personal import BASE_CANDIDATES, Scored
from tagrec_core.profile.personalizer import Personalizer
from tagrec_core.profile.store import Profile
from tagrec_core.ranker import Ranking
from tagrec_core.records import post_text
from tagrec_core.retrieval import TERM_BUCKETS
from tagrec_core.suggestion import Suggestion, Why, at_least
from tagrec_core.text import has_words, normalize, normalize_tag

# Source words (one per method, the same in every UI): see ``suggestion.SOURCES``.
SOURCE_CLASSIFIER = "classifier"
_DIGIT_RE = re.compile(r"\d")
_TIE_MARGIN = 8  # classifier candidates beyond the k asked for (``base_suggestions``)


class Recommender:
    """Suggests tags for posts with one model and, when given, the users' profile."""

    def __init__(self, model: Model, profile: Profile | None = None) -> None:
        self.model = model
        self.personalizer = None if profile is None else Personalizer(profile, *_base_statistics(model))

    def suggest(
        self,
        title: str,
        body: str = "",
        tags: Iterable[str] = (),
        user: str | None = None,
        k: int = 5,
        min_score: float = 0.0,
    ) -> list[Suggestion]:
        """The ``k`` best tags for a post, best first, never one of the ``tags`` already chosen, none scored
        below ``min_score`` (so there may be fewer); none for a post without a letter or a digit (``has_words``).

        With a profile, ``user`` (default: the local user) selects whose preferences re-rank the base model's
        suggestions; a user the profile does not know gets the base model's.
        """
        return at_least(self.suggest_many([(title, body)], [tuple(tags)], k=k, users=[user])[0], min_score)

    def suggest_many(
        self,
        posts: Sequence[tuple[str, str]],
        chosen: Sequence[Iterable[str]] | None = None,
        k: int = 5,
        batch_size: int = 256,
        users: Sequence[str | None] | None = None,
    ) -> list[list[Suggestion]]:
        """``suggest`` for many ``(title, body)`` posts at once (batched: much faster for files); ``users`` is
        parallel to ``posts``."""
        if k < 1:
            return [[] for _ in posts]
        chosen_lists = [[normalize_tag(t) for t in c] for c in chosen] if chosen else [[] for _ in posts]
        owners = list(users) if users is not None else [None] * len(posts)
        # One more than k: a tag whose number fill repeats a better one is left out, and the next takes its place.
        depth = max(k + 1, BASE_CANDIDATES) if self.personalizer is not None else k + 1
        results: list[list[Suggestion]] = []
        for start in range(0, len(posts), batch_size):
            part = posts[start : start + batch_size]
            picked = chosen_lists[start : start + batch_size]
            for (title, body), base, already, user in zip(
                part,
                self.base_suggestions(part, picked, depth),
                picked,
                owners[start : start + batch_size],
                strict=True,
            ):
                if not (has_words(title) or has_words(body)):
                    results.append([])  # nothing to read: the ranking would be the models' prior
                    continue
                ranked = self._personal(user, base, title, body, already, k + 1)
                filled = _with_numbers(ranked, title, body, already)[:k]
                results.append([Suggestion.explained(s.tag, s.score, s.source, s.why) for s in filled])
        return results

    def _personal(
        self, user: str | None, base: list[Scored], title: str, body: str, chosen: list[str], k: int
    ) -> list[Scored]:
        if self.personalizer is None:
            return base[:k]
        ranked = self.personalizer.rank(user or DEFAULT_USER, base, title, body, chosen, k)
        return base[:k] if ranked is None else ranked

    def base_suggestions(
        self, posts: Sequence[tuple[str, str]], chosen: Sequence[Sequence[str]], n: int
    ) -> list[list[Scored]]:
        """The base model's ``n`` best tags per post, best first, without the chosen (normalised) tags."""
        texts = [post_text(title, body) for title, body in posts]
        excludes = [set(c) for c in chosen]
        ranking = self.model.ranking
        if ranking is not None:
            probabilities = self._probabilities(texts)
            return [
                self._rank_all(ranking, p_row, title, body, exclude, n)
                for (title, body), p_row, exclude in zip(posts, probabilities, excludes, strict=True)
            ]
        # Enough candidates that n remain after dropping the tags already chosen, and a few more: tags tied
        # at the n-th place must all be there for ``_rank``'s tie order to decide between them.
        wanted = n + max(map(len, excludes)) + _TIE_MARGIN
        probs, indices = self._top(texts, min(len(self.model.vocab), wanted))
        return [
            self._rank(p_row, i_row, exclude, n) for p_row, i_row, exclude in zip(probs, indices, excludes, strict=True)
        ]

    def _probabilities(self, texts: list[str]) -> np.ndarray | list[np.ndarray]:
        """Every tag's calibrated score per text (one text: the model's faster one-post path)."""
        if len(texts) == 1:
            return [self.model.post_probabilities(texts[0])]
        return self.model.probabilities(texts).numpy()

    def _top(self, texts: list[str], k: int) -> tuple[list[list[float]], list[list[int]]]:
        """The ``k`` best tags' calibrated scores and ids per text, best first."""
        calibration = self.model.calibration
        if len(texts) == 1:
            probs, indices = calibration.top_array(self.model.post_logits(texts[0]), k)
            return [probs.tolist()], [indices.tolist()]
        probs, indices = calibration.top(self.model.logits(texts), k)
        return probs.tolist(), indices.tolist()

    def _rank(self, probs: list[float], indices: list[int], exclude: set[str], k: int) -> list[Scored]:
        """The ``k`` best of the classifier's top tags, not in ``exclude``; equal shown scores in tag order.

        Why the tie order: tags that always go together get the same score up to the last bit, and which bit
        differs depends on the batch the post was scored in (the matrix product's blocking), so ``suggest``
        and ``suggest_many`` would otherwise disagree on their order.
        """
        tags = self.model.vocab.tags
        kept = [(round(v, 4), i) for v, i in zip(probs, indices, strict=True) if tags[i] not in exclude][:k]
        kept.sort(key=lambda pair: (-pair[0], tags[pair[1]]))
        return [Scored(tags[i], value, SOURCE_CLASSIFIER, _learned(self.model, i)) for value, i in kept]

    def _rank_all(
        self, ranking: Ranking, probabilities: np.ndarray, title: str, body: str, exclude: set[str], k: int
    ) -> list[Scored]:
        chosen = [ranking.tags.index[t] for t in exclude if t in ranking.tags.index]
        candidates = ranking.candidates(self.model, probabilities, title, body, chosen)
        scores = ranking.score(candidates)
        out = []
        for row in np.argsort(-scores, kind="stable").tolist():
            tag = ranking.tags.tags[int(candidates.tags[row])]
            if tag in exclude:
                continue
            source, why = ranking.explain(candidates, row)
            out.append(Scored(tag, round(float(scores[row]), 4), source, why))
            if len(out) == k:
                break
        return out


def _base_statistics(model: Model) -> tuple[np.ndarray, Callable[[str], float]]:
    """The idf that weights the user's items like the base index's posts (uniform without an index), and each
    tag's share of the base model's training posts."""
    ranking = model.ranking
    if ranking is not None:
        idf, vocab, posts = ranking.index.idf, ranking.tags, max(1, len(ranking.index))
    else:
        idf, vocab, posts = np.ones(TERM_BUCKETS, np.float32), model.vocab, max(1, sum(model.vocab.counts))
    counts = dict(zip(vocab.tags, vocab.counts, strict=True))
    return idf, lambda tag: counts.get(tag, 0) / posts


def _learned(model: Model, index: int) -> Why:
    """Why the classifier of a classifier-only model suggests tag ``index``: its training posts."""
    return Why("learned", count=int(model.vocab.counts[index]))


def _with_numbers(ranked: list[Scored], title: str, body: str, chosen: list[str]) -> list[Scored]:
    """Tags learned with the number placeholder carry the post's own number (``placeholders``); a tag that then
    repeats a chosen or a better-ranked one is left out."""
    if not any(has_number(s.tag) for s in ranked) or not (_DIGIT_RE.search(title) or _DIGIT_RE.search(body)):
        return ranked
    text = normalize(title) + "\n" + normalize(body)
    out: list[Scored] = []
    seen = set(chosen)
    for s in ranked:
        tag = fill_numbers(s.tag, text)
        if tag not in seen:
            seen.add(tag)
            out.append(s if tag == s.tag else Scored(tag, s.score, s.source, s.why))
    return out
