"""The personal ranking: the base ranker's suggestions re-scored with what the user's profile knows.

Candidates are the base ranker's best tags, the tags of the user's most similar items, and the user's
heaviest tags. Each gets ``FEATURES`` (the base score, rank and source, votes of the user's own similar
items, the tag's recency-weighted share of the user's tagging at two half-lives, how often and how recently
they used it, how it goes with the base's likely tags in the user's items, and how much more the user uses
it than everyone does); the ranker's kind of small network (``fusion.Fusion``, here over these features)
turns them into a probability. Its weights (``resources/personal.json``) are learned by
``python -m bench.profile fit``, which replays the older part of ``so-users`` train against a model trained
on the oldest part, so the replay on ``valid`` that measures the gain never saw them; a ranking loss beside
the cross-entropy (``LISTWISE``), and ``ENSEMBLE`` networks averaged into one. A network, not a logistic
model, because the features interact: in a five-fold cross-validation by user on the fit's rows, F1@3 of the
top 3 candidates was 0.495 with a logistic model over these features and 0.506 with the network
(gradient-boosted trees: 0.506 too); the base rank, relative score and sources added 0.005 to each.

Then the user's rules: tags the user has rejected lately are pushed down, aliases are replaced by their
tag, and implied tags join the tag that implies them.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tagrec_core.defaults import RESOURCES
from tagrec_core.fusion import Fusion
from tagrec_core.profile.learning import HALF_LIFE_LONG, HALF_LIFE_SHORT
from tagrec_core.profile.user_model import UserModel, VocabEntry
from tagrec_core.retrieval import query_terms
from tagrec_core.suggestion import SOURCES, Why
from tagrec_core.text import normalize

__all__ = [
    "ENSEMBLE",
    "FEATURES",
    "LISTWISE",
    "NETWORK_FILE",
    "Candidates",
    "Scored",
    "candidates",
    "network",
    "personalize",
]

SOURCE = "user"  # the source word of suggestions the profile brought (SOURCES has the base ones)

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
    "base_rank",  # log(1 + the tag's rank among the base suggestions); log(1 + BASE_CANDIDATES) if not there
    "base_relative",  # the base score / the base's best score (0 if not there)
    "user_items",  # log(1 + the user's items so far)
    "from_classifier",  # the base suggestion's source is the classifier ...
    "from_neighbours",  # ... similar posts ...
    "from_text",  # ... the post's text (all three 0: another source, or not a base suggestion)
)
NETWORK_FILE = RESOURCES / "personal.json"
# The fit's ranking loss weight and number of averaged networks (``fusion.fit_fusion``). Users with >= 5 earlier
# posts, F1@3 of the replay on valid: one network of seed 0 / 1 / 2, 0.483 / 0.484 / 0.482 without the ranking
# loss, 0.486 / 0.488 / 0.489 with it at 0.3 (0.486 / 0.485 at 0.5); the three averaged 0.490.
LISTWISE = 0.3
ENSEMBLE = 3
_BASE_LOGIT = FEATURES.index("base_logit")
_EVIDENCE = [FEATURES.index("items"), FEATURES.index("neighbour_share")]  # the user's own use of a tag
REJECT_PENALTY = 2.5  # logit units per (decayed) recent rejection, up to three: enough that a tag of base score 0.99
# (logit 4.6) rejected three times in a row falls to about 0.05, below the tags the user did not reject
BASE_CANDIDATES = 30
NEIGHBOURS = 10
HEAVIEST = 10
MIN_FAMILIAR = 0.01  # cosine of the closest of the user's items below which the post is not like theirs
_FLOOR = 1e-4


@dataclass(frozen=True, slots=True)
class Scored:
    """A ranked tag: probability, source word and why (what ``Suggestion`` is made from)."""

    tag: str
    score: float
    source: str
    why: Why


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
            merged[tag] = Scored(tag, s.score, s.source, s.why)
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
    features = _features(user, tags, merged, votes, best, top_similarity, likely, frequency)
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
    # When nothing the user did bears on these tags (a post unlike theirs), the network, fitted on Stack Overflow
    # users, would only reorder the base model's ranking by the base's own features: the base's ranking stands.
    evidence = found.features[:, _EVIDENCE].any()
    fitted = network().logits(found.features) if evidence else found.features[:, _BASE_LOGIT]
    # What the profile adds to the base ranker's own logit: the credit test of ``_explained``.
    personal = fitted - found.features[:, _BASE_LOGIT]
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


@functools.cache
def network(path: Path = NETWORK_FILE) -> Fusion:
    """The personal ranking network stored at ``path`` (read once)."""
    return Fusion.from_state(json.loads(path.read_text(encoding="utf-8")), catalogue=FEATURES)


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
    tags: list[str],
    merged: dict[str, Scored],
    votes: dict[str, float],
    best: dict[str, float],
    top_similarity: float,
    likely: list[tuple[str, float]],
    frequency: Callable[[str], float],
) -> np.ndarray:
    """The ``FEATURES`` rows of ``tags`` (``[len(tags), len(FEATURES)]`` float64).

    Each tag's numbers are gathered in one pass, the arithmetic then runs on whole columns: this runs at every
    personal suggestion, over some 40 tags.
    """
    entries = _entries(user, tags)
    ranks = {tag: rank for rank, tag in enumerate(merged)}
    top = max((s.score for s in merged.values()), default=1.0)
    gathered = []
    for t in tags:
        e, b = entries.get(t), merged.get(t)
        gathered.append((
            b.score if b else _FLOOR, b is not None, votes.get(t, 0.0), best.get(t, 0.0),
            e.items if e else 0, e.short if e else 0.0, e.long if e else 0.0, e.clock if e else 0,
            e.last_clock if e else -1, ranks.get(t, BASE_CANDIDATES),
            b.score / top if b is not None and top > 0 else 0.0,
            *(b is not None and b.source == name for name in _SOURCES),
        ))  # fmt: skip
    (p, in_base, share, closest, items, short, long_, clock, last, rank, relative, *sources) = (
        np.array(gathered, np.float64).reshape(len(tags), 11 + len(_SOURCES)).T
    )
    p = np.clip(p, _FLOOR, 1.0 - _FLOOR)
    age = np.maximum(0.0, user.clock - clock)
    with_likely = np.zeros(len(tags))
    for source, score in likely:
        source_entry = user.vocab.get(source)
        if source_entry and source_entry.items:
            together = user.cooc.get(source, {})
            with_likely += score * np.array([together.get(t, 0) for t in tags]) / source_entry.items
    lift = np.zeros(len(tags))
    used = np.flatnonzero(items)
    if len(used):
        shares = np.array([max(frequency(tags[i]), 1.0 / 36_000) for i in used.tolist()])
        lift[used] = np.clip(np.log((items[used] + 0.1) / (user.clock + 1)) - np.log(shares), -5.0, 10.0)
    columns = [
        np.log(p / (1.0 - p)),
        in_base,
        share,
        closest,
        np.sqrt(_share(short * np.exp2(-age / HALF_LIFE_SHORT), user.total(HALF_LIFE_SHORT))),
        np.sqrt(_share(long_ * np.exp2(-age / HALF_LIFE_LONG), user.total(HALF_LIFE_LONG))),
        np.log1p(items),
        share * top_similarity,
        np.where(last >= 0, np.log1p(np.maximum(0.0, user.clock - last)), 10.0),
        with_likely,
        lift,
        np.log1p(rank),
        relative,
        np.full(len(tags), math.log1p(user.clock)),
        *sources,
    ]
    return np.array(columns, dtype=np.float64).reshape(len(FEATURES), len(tags)).T.copy()


def _share(weights: np.ndarray, total: float) -> np.ndarray:
    """``weights`` as shares of the user's ``total`` decayed weight (0 when the user has none)."""
    return weights / total if total > 0 else np.zeros(len(weights))


# The base sources of the from_* features. Not "related": the fit's replay has no chosen tags, so that source
# never occurs there, and the network would ignore its column (``fusion.fit_fusion``).
_SOURCES = SOURCES[:3]


def _explained(user: UserModel, tag: str, score: float, base: Scored | None, personal: float, carriers: int) -> Scored:
    """Credit the profile when it brought the tag or moved it up (``personal``: its logit beyond the base
    score) by at least 1."""
    if base is not None and personal < 1.0:
        return Scored(tag, round(score, 4), base.source, base.why)
    if carriers:
        why = Why("used_on_similar", count=carriers)
    else:
        entry = user.vocab.get(tag)
        count = int(entry.items) if entry else 0
        why = Why("used", count=count) if count else Why("profile")
    return Scored(tag, round(score, 4), SOURCE, why)


def _with_implied(ranked: list[Scored], user: UserModel, chosen: set[str], k: int) -> list[Scored]:
    """Implied tags right after the tag that implies them (chosen tags imply first), never twice."""
    out: list[Scored] = []
    seen = set(chosen)
    for tag in sorted(chosen):
        for implied in user.implied.get(tag, []):
            if implied not in seen:
                seen.add(implied)
                out.append(Scored(implied, 1.0, SOURCE, Why("implied_by", tag=tag)))
    for s in ranked:
        if s.tag in seen:
            continue
        seen.add(s.tag)
        out.append(s)
        for implied in user.implied.get(s.tag, []):
            if implied not in seen:
                seen.add(implied)
                out.append(Scored(implied, s.score, SOURCE, Why("implied_by", tag=s.tag)))
    return out[:k]
