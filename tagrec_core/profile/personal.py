"""The personal ranking: the base ranker's suggestions re-scored with what the user's profile knows.

Candidates are the base ranker's best tags, the tags of the user's most similar items, and the user's
heaviest tags. Each gets ``FEATURES`` (the base score, votes of the user's own similar items, the tag's
recency-weighted share of the user's tagging at two half-lives, how often and how recently they used it,
how it goes with the base's likely tags in the user's items, and how much more the user uses it than
everyone does); a logistic model turns them into a probability. Its ``WEIGHTS`` are learned by
``python -m bench.profile fit``, which replays the older part of ``so-users`` train against a model trained
on the oldest part, so the replay on ``valid`` that measures the gain never saw them.

Then the user's rules: tags the user has rejected lately are pushed down, aliases are replaced by their
tag, and implied tags join the tag that implies them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tagrec_core.profile.learning import HALF_LIFE_LONG, HALF_LIFE_SHORT
from tagrec_core.profile.user_model import UserModel, VocabEntry
from tagrec_core.retrieval import query_terms
from tagrec_core.text import normalize

__all__ = ["FEATURES", "Candidates", "Scored", "candidates", "personalize"]

SOURCE = "user"  # the source word of suggestions the profile brought (ranker.SOURCES has the base ones)

FEATURES: tuple[str, ...] = (
    "base_logit",  # logit of the base ranker's score (a floor for tags it did not suggest)
    "in_base",  # the base ranker suggested the tag
    "neighbour_share",  # similarity-weighted share of the vote of the user's most similar items
    "neighbour_best",  # similarity of the user's closest item carrying the tag
    "recent_share",  # sqrt of the tag's share of the user's tagging, half-life HALF_LIFE_SHORT items
    "lasting_share",  # the same with half-life HALF_LIFE_LONG
    "items",  # log(1 + the user's items carrying the tag)
    "neighbour_familiar",  # neighbour_share x similarity of the user's closest item (is the post familiar)
    "recency",  # log(1 + items tagged since the user last used the tag); 10 when never used
    "with_likely",  # sum over the base's top 3 tags s of score(s) x P_user(tag | s)
    "lift",  # log of how much more often the user uses the tag than the base's training posts do
)
WEIGHTS = np.array([0.835, -3.165, 0.701, 3.091, 10.913, -7.855, 0.278, 2.249, 0.046, 0.291, 0.116])
BIAS = 1.900
REJECT_PENALTY = 1.5  # logit units per (decayed) recent rejection
BASE_CANDIDATES = 30
NEIGHBOURS = 10
HEAVIEST = 10
MIN_FAMILIAR = 0.01  # cosine of the closest of the user's items below which the post is not like theirs
_FLOOR = 1e-4


@dataclass(frozen=True, slots=True)
class Scored:
    """A ranked tag: probability, source word and reason (what ``Suggestion`` is made from)."""

    tag: str
    score: float
    source: str
    reason: str


@dataclass(frozen=True)
class Candidates:
    """One post's personal candidates: tags, their ``FEATURES`` rows, and what explanations need."""

    tags: list[str]
    features: np.ndarray  # [len(tags), len(FEATURES)] float64
    base: dict[str, Scored]  # the base suggestions by tag (after aliases)
    carriers: dict[str, int]  # per tag: how many of the user's similar items carry it
    chosen: set[str]  # the chosen tags (after aliases)


def candidates(
    user: UserModel,
    base: Sequence[Scored],
    title: str,
    body: str,
    chosen: Sequence[str],
    frequency: Callable[[str], float],
) -> Candidates:
    """Candidate tags for the post and this user with their features; none is ``chosen`` (after aliases).

    ``base``: the base ranker's suggestions, best first (at least ``BASE_CANDIDATES`` when it has them);
    ``frequency(tag)``: the share of the base model's training posts that carry the tag (0 if unknown).
    """
    chosen_set = {user.aliases.get(t, t) for t in chosen}
    merged: dict[str, Scored] = {}
    for s in base:  # an alias and its tag merge into the tag, keeping the stronger evidence
        tag = user.aliases.get(s.tag, s.tag)
        if tag not in merged or s.score > merged[tag].score:
            merged[tag] = Scored(tag, s.score, s.source, s.reason)
    neighbours = user.neighbours(user.vector(query_terms(normalize(title), normalize(body))), NEIGHBOURS)
    top_similarity = neighbours[0][0] if neighbours else 0.0
    # The user's habits bring new candidates only for a post like the user's items: a Chinese post must not
    # get the tags of someone's English questions just because they are their heaviest.
    if top_similarity < MIN_FAMILIAR:
        neighbours = []
    votes, best, carriers = _votes(neighbours, user.aliases)
    own = [*votes, *(user.aliases.get(t, t) for t in user.top_tags(HEAVIEST))] if neighbours else []
    tags = [t for t in dict.fromkeys([*merged, *own]) if t not in chosen_set]
    likely = [(s.tag, s.score) for s in base[:3]]
    entries = _entries(user, tags)
    rows = [
        _features(user, t, entries.get(t), merged.get(t), votes, best, top_similarity, likely, frequency) for t in tags
    ]
    features = np.array(rows, dtype=np.float64).reshape(len(tags), len(FEATURES))
    return Candidates(tags, features, merged, carriers, chosen_set)


def personalize(
    user: UserModel,
    base: Sequence[Scored],
    title: str,
    body: str,
    chosen: Sequence[str],
    frequency: Callable[[str], float],
    k: int,
) -> list[Scored]:
    """The ``k`` best tags for the post and this user, best first, none of them ``chosen`` (after aliases);
    arguments as for ``candidates``."""
    found = candidates(user, base, title, body, chosen, frequency)
    fitted = found.features @ WEIGHTS + BIAS
    # What the profile adds on top of the base score: the credit test of ``_explained``.
    personal = fitted - WEIGHTS[0] * found.features[:, 0]
    logits = fitted - REJECT_PENALTY * np.array([min(3.0, user.rejected(t)) for t in found.tags])
    scores = 1.0 / (1.0 + np.exp(-logits))
    ranked = []
    for row in np.argsort(-scores, kind="stable").tolist()[:k]:
        tag = found.tags[row]
        ranked.append(
            _explained(
                user, tag, float(scores[row]), found.base.get(tag), float(personal[row]), found.carriers.get(tag, 0)
            )
        )
    return _with_implied(ranked, user, found.chosen, k)


def _votes(
    neighbours: list[tuple[float, list[str]]], aliases: dict[str, str]
) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    total = sum(sim for sim, _ in neighbours) or 1.0
    share: dict[str, float] = {}
    best: dict[str, float] = {}
    carriers: dict[str, int] = {}
    for sim, item_tags in neighbours:
        for raw in item_tags:
            tag = aliases.get(raw, raw)
            share[tag] = share.get(tag, 0.0) + sim / total
            best[tag] = max(best.get(tag, 0.0), sim)
            carriers[tag] = carriers.get(tag, 0) + 1
    return share, best, carriers


def _entries(user: UserModel, tags: Sequence[str]) -> dict[str, VocabEntry]:
    """The user's vocabulary entry of each tag; for a tag the user's items carry under an alias (``js`` for
    ``javascript``), the alias's entry with the most items, so that an alias keeps the tag's history."""
    sources: dict[str, list[str]] = {}
    for alias, tag in user.aliases.items():
        sources.setdefault(tag, []).append(alias)
    out: dict[str, VocabEntry] = {}
    for tag in tags:
        entry = user.vocab.get(tag)
        if entry is None:
            aliased = [e for e in map(user.vocab.get, sources.get(tag, ())) if e is not None]
            entry = max(aliased, key=lambda e: e.items, default=None)
        if entry is not None:
            out[tag] = entry
    return out


def _features(
    user: UserModel,
    tag: str,
    entry: VocabEntry | None,
    base: Scored | None,
    votes: dict[str, float],
    best: dict[str, float],
    top_similarity: float,
    likely: list[tuple[str, float]],
    frequency: Callable[[str], float],
) -> list[float]:
    p = min(max(base.score if base else _FLOOR, _FLOOR), 1.0 - _FLOOR)
    items = entry.items if entry else 0
    recency = math.log1p(max(0, user.clock - entry.last_clock)) if entry and entry.last_clock >= 0 else 10.0
    with_likely = 0.0
    for source, score in likely:
        source_entry = user.vocab.get(source)
        if source_entry and source_entry.items:
            with_likely += score * user.cooc.get(source, {}).get(tag, 0) / source_entry.items
    lift = 0.0
    if items:
        lift = math.log((items + 0.1) / (user.clock + 1)) - math.log(max(frequency(tag), 1.0 / 36_000))
        lift = min(10.0, max(-5.0, lift))
    share = votes.get(tag, 0.0)
    return [
        math.log(p / (1.0 - p)),
        float(base is not None),
        share,
        best.get(tag, 0.0),
        math.sqrt(user.share(entry, HALF_LIFE_SHORT)),
        math.sqrt(user.share(entry, HALF_LIFE_LONG)),
        math.log1p(items),
        share * top_similarity,
        recency,
        with_likely,
        lift,
    ]


def _explained(user: UserModel, tag: str, score: float, base: Scored | None, personal: float, carriers: int) -> Scored:
    """Credit the profile when it brought the tag or moved it up (``personal``: its logit beyond the base
    score) by at least 1."""
    if base is not None and personal < 1.0:
        return Scored(tag, round(score, 4), base.source, base.reason)
    if carriers:
        reason = f"you used it on {carriers} similar item{'' if carriers == 1 else 's'}"
    else:
        entry = user.vocab.get(tag)
        count = entry.items if entry else 0
        reason = f"you used it {count} time{'' if count == 1 else 's'}" if count else "your profile"
    return Scored(tag, round(score, 4), SOURCE, reason)


def _with_implied(ranked: list[Scored], user: UserModel, chosen: set[str], k: int) -> list[Scored]:
    """Implied tags right after the tag that implies them (chosen tags imply first), never twice."""
    out: list[Scored] = []
    seen = set(chosen)
    for tag in sorted(chosen):
        for implied in user.implied.get(tag, []):
            if implied not in seen:
                seen.add(implied)
                out.append(Scored(implied, 1.0, SOURCE, f"implied by {tag}"))
    for s in ranked:
        if s.tag in seen:
            continue
        seen.add(s.tag)
        out.append(s)
        for implied in user.implied.get(s.tag, []):
            if implied not in seen:
                seen.add(implied)
                out.append(Scored(implied, s.score, SOURCE, f"implied by {s.tag}"))
    return out[:k]
