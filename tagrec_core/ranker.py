"""The ranker: candidates from every source, their evidence as features, one fused score, a reason each.

Sources (the words the UIs show): ``classifier`` (the network, and the linear SVMs of ``linear``: both learned
from tagged posts; ``RankingConfig.sources`` names the SVMs ``linear`` so that ablations can leave them out),
``neighbours`` (similar posts vote their
tags, ``retrieval``), ``text`` (the tag occurs in the post, ``tagmatch``), ``related`` (tags that go with the
chosen or likely tags, ``related``). ``user`` (the personal profile) re-ranks the fused result per user
(``profile.personal``).

Tag ids: ``Ranking.tags`` is the ranker's tag space. Its first ``len(classifier.vocab)`` tags are the
classifier's outputs in the same order; after them come tags that only the retrieval index, the site's tag
list (``--tags``) or the held-out posts know. Everything below speaks tag ids of this space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tagrec_core.arrays import top_indices
from tagrec_core.fusion import FEATURES, Fusion
from tagrec_core.linear import NO_MARGIN, LinearTags
from tagrec_core.model import Model, TagVocab
from tagrec_core.related import Related
from tagrec_core.retrieval import NeighbourVotes, PostIndex, query_terms
from tagrec_core.suggestion import SOURCES, Why
from tagrec_core.tagmatch import Match, TagMatcher
from tagrec_core.text import normalize

__all__ = ["COMPONENTS", "SOURCES", "Candidates", "Ranking", "RankingConfig"]

COMPONENTS: tuple[str, ...] = (*SOURCES, "linear")  # what ``RankingConfig.sources`` may switch on

_COLUMN = {name: i for i, name in enumerate(FEATURES)}
_NO_VOTES = NeighbourVotes.empty()


@dataclass(frozen=True)
class RankingConfig:
    """Which sources take part (ablations switch some off), how many candidates each proposes, and how many
    neighbours vote."""

    sources: tuple[str, ...] = COMPONENTS
    neighbours: int = 30
    classifier_candidates: int = 20
    linear_candidates: int = 20
    neighbour_candidates: int = 20
    text_candidates: int = 30
    companions: int = 10  # per chosen tag
    context_tags: int = 3  # the classifier's top tags whose companions join in

    def __post_init__(self) -> None:
        unknown = set(self.sources) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown sources: {', '.join(sorted(unknown))}")
        object.__setattr__(self, "sources", tuple(self.sources))

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "sources": list(self.sources)}


@dataclass(frozen=True)
class Candidates:
    """One post's candidate tags (ids), their feature rows, and what the explanation needs."""

    tags: np.ndarray
    features: np.ndarray
    votes: NeighbourVotes
    related_to: np.ndarray  # per candidate: the tag id that relates it most (-1: none)


@dataclass(frozen=True)
class Ranking:
    """Everything besides the classifier that the ranker needs; stored in the model file's ``ranking``."""

    tags: TagVocab
    site_counts: np.ndarray  # per tag: count in the site's tag list (0 when absent or no list)
    text_seen: np.ndarray  # per tag: training posts whose text contains it
    text_tagged: np.ndarray  # ... and that carry it
    index: PostIndex
    related: Related
    fusion: Fusion | None
    config: RankingConfig = RankingConfig()
    linear: LinearTags | None = None
    matcher: TagMatcher = field(init=False, repr=False, compare=False)
    _text_precision: np.ndarray = field(init=False, repr=False, compare=False)
    _counts: np.ndarray = field(init=False, repr=False, compare=False)
    _site_scale: float = field(init=False, repr=False, compare=False)
    _overlap: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Other forms of a tag's words and partial matches (both 2026-11-23) only for a fusion that learned what
        # they are worth: files written before them neither compute them nor rank differently.
        other_forms = self._fusion_reads("stem_only")
        object.__setattr__(self, "matcher", TagMatcher(self.tags.tags, other_forms=other_forms))
        object.__setattr__(self, "_overlap", self._fusion_reads("overlap"))
        # Smoothed towards the average precision of a text match, so one lucky post proves little.
        seen, tagged = self.text_seen.astype(np.float32), self.text_tagged.astype(np.float32)
        overall = float(tagged.sum() / max(1.0, seen.sum()))
        object.__setattr__(self, "_text_precision", (tagged + 2.0 * overall) / (seen + 2.0))
        # As an array once: converting the counts tuple per call costs more than the rest of a feature row.
        object.__setattr__(self, "_counts", np.asarray(self.tags.counts, np.float32))
        site_max = float(self.site_counts.max()) if len(self.site_counts) else 0.0
        object.__setattr__(self, "_site_scale", float(np.log1p(site_max)))

    def _fusion_reads(self, column: str) -> bool:
        """Whether the fusion reads feature ``column`` (training's rows, made before any fusion, have them all)."""
        return self.fusion is None or column in self.fusion.names

    # --- candidates and features ------------------------------------------------------------------------

    def candidates(
        self,
        model: Model,
        probabilities: np.ndarray,
        title: str,
        body: str,
        chosen: Sequence[int],
        *,
        exclude_post: int | None = None,
    ) -> Candidates:
        """Candidates of one post with their features (rows in ``FEATURES`` order).

        ``probabilities``: the classifier's calibrated scores of this post (``[len(model.vocab)]``);
        ``title``/``body``: raw text; ``chosen``: ids of tags already on the post (never candidates);
        ``exclude_post``: an indexed post to leave out of the neighbours (itself, when scoring training posts).
        """
        config = self.config
        n_classifier = len(probabilities)
        clean_title, clean_body = normalize(title), normalize(body)
        terms = query_terms(clean_title, clean_body)
        query = self.index.vector(terms)  # read by the neighbours and the linear SVMs
        if "classifier" not in config.sources:
            probabilities = np.zeros_like(probabilities)
        if "neighbours" in config.sources:
            votes = self.index.votes_of(query, config.neighbours, exclude_post=exclude_post)
        else:
            votes = _NO_VOTES
        matches = self.matcher.find(clean_title, clean_body) if "text" in config.sources else []
        margins, top_linear = self._linear(query)
        if "related" not in config.sources:
            chosen_for_related: Sequence[int] = ()
        else:
            chosen_for_related = chosen

        top_classifier = top_indices(
            probabilities, config.classifier_candidates if "classifier" in config.sources else 0
        )
        pool: dict[int, None] = dict.fromkeys(top_classifier.tolist())
        pool.update(dict.fromkeys(top_linear.tolist()))
        pool.update(dict.fromkeys(votes.tags[top_indices(votes.share, config.neighbour_candidates)].tolist()))
        pool.update(dict.fromkeys(self._strongest_matches(matches)))
        related_to: dict[int, tuple[int, float]] = {}
        for source in chosen_for_related:
            companions, p = self.related.strongest(source, config.companions)
            for tag, value in zip(companions.tolist(), p.tolist(), strict=True):
                pool.setdefault(tag, None)
                if value > related_to.get(tag, (-1, 0.0))[1]:
                    related_to[tag] = (source, value)
        chosen_set = set(chosen)
        tags = np.fromiter((t for t in pool if t not in chosen_set), dtype=np.int64)

        rows = np.zeros((len(tags), len(FEATURES)), np.float32)
        known = tags < n_classifier
        rows[known, _COLUMN["classifier_p"]] = probabilities[tags[known]]
        rows[:, _COLUMN["classifier_rank"]] = _reciprocal_ranks(tags, top_classifier)
        rows[:, _COLUMN["known"]] = known
        rows[:, _COLUMN["linear_margin"]] = margins[tags] if margins is not None else NO_MARGIN
        rows[:, _COLUMN["linear_rank"]] = _reciprocal_ranks(tags, top_linear)
        self._neighbour_columns(rows, tags, votes)
        self._text_columns(rows, tags, matches)
        if self._overlap and "text" in config.sources:
            rows[:, _COLUMN["overlap"]] = self.matcher.overlaps(tags.tolist(), clean_title, clean_body)
        rows[:, _COLUMN["popularity"]] = np.log1p(self._counts[tags]) / np.log1p(max(1.0, len(self.index)))
        if self._site_scale > 0:
            rows[:, _COLUMN["site_popularity"]] = np.log1p(self.site_counts[tags]) / self._site_scale
        rows[:, _COLUMN["has_chosen"]] = float(bool(chosen))
        related = np.full(len(tags), -1, np.int64)  # per candidate: the chosen tag that relates it most
        if related_to:  # (most posts have no chosen tag)
            strongest = [related_to.get(t, (-1, 0.0)) for t in tags.tolist()]
            related[:] = [source for source, _ in strongest]
            rows[:, _COLUMN["chosen_related"]] = [value for _, value in strongest]
        context_tags = top_classifier[: config.context_tags] if "related" in config.sources else top_classifier[:0]
        context = self._context(tags, context_tags, probabilities)
        rows[:, _COLUMN["context_related"]] = context
        rows[:, _COLUMN["length"]] = np.log1p(len(terms)) / np.log(1024.0)
        top_p = float(probabilities.max()) if len(probabilities) else 0.0
        if top_p > 0:
            rows[:, _COLUMN["classifier_relative"]] = rows[:, _COLUMN["classifier_p"]] / top_p
        return Candidates(tags, rows, votes, related)

    def _linear(self, query: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray | None, np.ndarray]:
        """The linear SVMs' margin of every tag for the query's vector (None when they are off or absent) and
        their top tag ids."""
        if self.linear is None or "linear" not in self.config.sources:
            return None, np.zeros(0, np.int64)
        margins = self.linear.margins(*query)
        return margins, self.linear.top(margins, self.config.linear_candidates)

    def _strongest_matches(self, matches: list[Match]) -> list[int]:
        """The text matches most likely to be right: the tags themselves before other forms of them, each by
        their training precision, best first."""
        if len(matches) <= self.config.text_candidates:
            return [m.tag for m in matches]
        ids = np.array([m.tag for m in matches], dtype=np.int64)
        stem_only = np.array([m.stem_only for m in matches], dtype=bool)
        order = np.lexsort((-self._text_precision[ids], stem_only))[: self.config.text_candidates]
        return ids[order].tolist()

    def _neighbour_columns(self, rows: np.ndarray, tags: np.ndarray, votes: NeighbourVotes) -> None:
        rows[:, _COLUMN["neighbour_top"]] = votes.top_similarity
        if not len(votes.tags):
            return
        position = np.searchsorted(votes.tags, tags)  # votes.tags is sorted (np.unique)
        position = np.minimum(position, len(votes.tags) - 1)
        hit = votes.tags[position] == tags
        rows[hit, _COLUMN["neighbour_share"]] = votes.share[position[hit]]
        rows[hit, _COLUMN["neighbour_count"]] = votes.count[position[hit]] / max(1, votes.neighbours)
        rows[hit, _COLUMN["neighbour_best"]] = votes.best[position[hit]]
        vote_rank = np.empty(len(votes.tags), np.float32)
        vote_rank[np.argsort(-votes.share, kind="stable")] = np.arange(len(votes.tags), dtype=np.float32)
        rows[hit, _COLUMN["neighbour_rank"]] = 1.0 / (1.0 + vote_rank[position[hit]])
        rows[hit, _COLUMN["neighbour_share_near"]] = votes.share_near[position[hit]]

    def _text_columns(self, rows: np.ndarray, tags: np.ndarray, matches: list[Match]) -> None:
        if not matches:
            return
        found = {m.tag: m for m in matches}
        for row, tag in enumerate(tags.tolist()):
            match = found.get(tag)
            if match is not None:
                rows[row, _COLUMN["in_title"]] = float(match.in_title > 0)
                rows[row, _COLUMN["in_body"]] = float(match.in_body > 0)
                rows[row, _COLUMN["stem_only"]] = float(match.stem_only)
                rows[row, _COLUMN["text_precision"]] = self._text_precision[tag]

    def _context(self, tags: np.ndarray, context: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """Sum over the classifier's top tags s of p(s) * P(tag | s), s itself left out."""
        out = np.zeros(len(tags), np.float32)
        for source in context.tolist():
            companions, p = self.related.given(source)  # sorted by tag id
            if not len(companions):
                continue
            position = np.minimum(np.searchsorted(companions, tags), len(companions) - 1)
            hit = companions[position] == tags
            out[hit] += probabilities[source] * p[position[hit]]
        return out

    def score(self, candidates: Candidates) -> np.ndarray:
        """The fused probability of every candidate (without fusion weights: the mean of the two main votes)."""
        if self.fusion is None:
            f = candidates.features
            return (f[:, _COLUMN["classifier_p"]] + f[:, _COLUMN["neighbour_share"]]) / 2.0
        return self.fusion.score(candidates.features)

    # --- explanations ---------------------------------------------------------------------------------------

    def explain(self, candidates: Candidates, row: int) -> tuple[str, Why]:
        """The main source of candidate ``row`` and why, as a ``Why`` (its ``text()`` is the English reason)."""
        f = candidates.features[row]
        tag = int(candidates.tags[row])
        whole = bool(f[_COLUMN["in_title"]] or f[_COLUMN["in_body"]] or f[_COLUMN["stem_only"]])
        evidence = {
            "classifier": float(f[_COLUMN["classifier_p"]]),
            "neighbours": float(f[_COLUMN["neighbour_share"]]),
            # A partial match weighs as a whole one of its tag, scaled by the share of the tag it covers.
            "text": float(f[_COLUMN["text_precision"]])
            if whole
            else float(f[_COLUMN["overlap"]] * self._text_precision[tag]),
            "related": float(f[_COLUMN["chosen_related"]]),
        }
        source = max(evidence, key=lambda s: evidence[s])
        if source == "text":
            if not whole:
                return source, Why("part_in_text")
            if f[_COLUMN["stem_only"]]:
                return source, Why("form_in_text")
            return source, Why("in_title" if f[_COLUMN["in_title"]] else "in_text")
        if source == "neighbours":
            count = round(float(f[_COLUMN["neighbour_count"]]) * candidates.votes.neighbours)
            return source, Why("similar_posts", count=count)
        if source == "related" and candidates.related_to[row] >= 0:
            return source, Why("used_with", tag=self.tags.tags[int(candidates.related_to[row])])
        return "classifier", Why("learned", count=int(self.tags.counts[tag]))


def _reciprocal_ranks(tags: np.ndarray, ranked: np.ndarray) -> list[float]:
    """Per tag, 1 / (1 + its position in ``ranked``), 0 when it is not there."""
    rank = {tag: r for r, tag in enumerate(ranked.tolist())}
    return [1.0 / (1.0 + rank[t]) if t in rank else 0.0 for t in tags.tolist()]
