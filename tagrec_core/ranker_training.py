"""Training the full ranker: the classifier, then the index, co-occurrence and text statistics, then fusion.

The fusion weights must be learned on posts that no component has seen, or they would learn to trust the
memorised training posts. So the records are split (``valid`` when given, else a hashed fold of the records,
as ``training.train`` does): the classifier, index, co-occurrence and text statistics are built on the fit
part, every candidate of the held-out posts becomes a labelled feature row, and the fusion network is fitted
on those rows. Finally the held-out posts join the index and the statistics: they are data too.

One hold-out alone leaves few posts to fit fusion on small sets (a tenth of 3,000 posts), and a noisy fusion
can lose what its sources know. So further *folds* (other hashed tenths of the records) each get a classifier
and ranker trained without them and add their feature rows (cross-fitting), until about ``FUSION_POSTS``
posts give rows. Those extra classifiers only produce rows: the model keeps the first one.

Some held-out posts get one of their own tags revealed as "already chosen" (``reveal``), so that fusion learns
what chosen tags say about the others (as when the user has typed a tag or the page already has some).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from tagrec_core.fusion import Fusion, fit_fusion
from tagrec_core.linear import fit_linear
from tagrec_core.model import Model, TagVocab
from tagrec_core.ranker import Ranking, RankingConfig
from tagrec_core.related import Related
from tagrec_core.retrieval import TERM_BUCKETS, PostIndex, query_terms
from tagrec_core.tagmatch import TagMatcher
from tagrec_core.text import normalize, normalize_tag
from tagrec_core.training import Progress, ProgressFn, TrainConfig, _split, _spread, tag_counts, train

if TYPE_CHECKING:
    from tagrec_core.records import Record

__all__ = ["Fold", "fit_ranking", "fold_count", "hold_out", "train_classifier", "train_folds", "train_ranker"]

# Held-out posts used to fit fusion, per fold and the number the extra folds aim for: beyond it more rows
# change little and cost candidate generation time; below it fusion gets noisy (measured: on weibo-hashtaggen,
# fusion fitted on 283 posts scored F1@3 0.154, on 1,562 posts from five folds 0.175).
FUSION_POSTS = 5000
MAX_FOLDS = 5  # classifiers trained to collect fusion rows, the model's own included
# The fusion fit's ranking loss weight and number of averaged networks (``fusion.fit_fusion``; its calibration
# map keeps the scores probabilities). Measured 2026-11-24 on the same fusion rows of each set's ranker, F1@3
# on valid (cooking: its fold) without -> with: cooking 0.5116 -> 0.5154, so-titles 0.5784 -> 0.5793, so-users
# 0.4476 -> 0.4504, se-multi 0.2800 -> 0.2813, weibo-takg 0.2243 -> 0.2273, weibo-hashtaggen 0.1684 -> 0.1701,
# weibo-polls 0.1565 -> 0.1580 (seed noise about 0.0015); 0.5 lost on se-multi and weibo-hashtaggen.
FUSION_LISTWISE = 0.3
FUSION_ENSEMBLE = 3

# The ranker's classifier learns the tags of at least two posts. A tag of one post is left to the sources
# that know it from that post (its neighbours' vote, text matches, co-occurrence): an output row trained on
# one example mostly adds noise to the classifier's candidates. Measured 2026-11-23 (full ranker, F1@3 on
# valid): the weibo domain model (three sets, train only) polls / takg / hashtaggen 0.1367 / 0.2374 / 0.1845
# -> 0.1397 / 0.2421 / 0.1920 at 100 dimensions, and 0.1405 / 0.2401 / 0.1907 at 64 / 30k buckets (which
# makes the shipped weibo model small); single sets moved by about 1% either way (weibo-polls 0.1467 ->
# 0.1476, cooking 0.4956 -> 0.4965, so-users 0.4318 -> 0.4370, se-multi 0.3168 -> 0.3137), and long-tail sets
# train faster (weibo-polls 489 -> 130 s: 12.8k -> 3.1k classifier tags). A minimum of three posts lost on
# weibo-polls (0.1443) and cooking (0.4934).
CLASSIFIER_MIN_TAG_COUNT = 2


@dataclass(frozen=True)
class Fold:
    """One extra fold: a classifier trained on ``fit_part`` and the ``held_out`` posts it has never seen."""

    classifier: Model
    fit_part: Sequence[Record]
    held_out: Sequence[Record]


def train_ranker(
    records: Sequence[Record],
    valid: Sequence[Record] | None = None,
    config: TrainConfig | None = None,
    *,
    site_tags: dict[str, int] | None = None,
    ranking_config: RankingConfig | None = None,
    reveal: float = 0.3,
    folds: int | None = None,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Model:
    """A model with the classifier and the full ranker (``Model.ranking``), trained on ``records``.

    ``site_tags``: a site's tag list (tag -> count); its tags become suggestible when they occur in a post.
    ``folds``: how many folds yield fusion rows; ``None`` (default): as many as ``FUSION_POSTS`` needs
    (``fold_count``). ``reveal``: the share of the module docstring.
    Raises what ``training.train`` raises.
    """
    config = config or TrainConfig()
    fit_part, held_out, index_held_out = hold_out(records, valid, config.valid_fraction)
    classifier = train_classifier(fit_part, held_out, config, progress=progress, should_stop=should_stop)
    extra = train_folds(records, valid, config, len(held_out), folds, progress=progress, should_stop=should_stop)
    if progress is not None:
        progress(Progress("ranker"))
    return fit_ranking(
        classifier,
        fit_part,
        held_out,
        site_tags=site_tags,
        ranking_config=ranking_config,
        reveal=reveal,
        seed=config.seed,
        index_held_out=index_held_out,
        folds=extra,
        progress=progress,
        should_stop=should_stop,
    )


def train_folds(
    records: Sequence[Record],
    valid: Sequence[Record] | None,
    config: TrainConfig,
    held_out: int,
    folds: int | None,
    *,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[Fold]:
    """The extra folds of ``train_ranker`` (``held_out``: how many posts the first fold held out; ``folds``
    as there), each with its classifier trained; reports a "fold" stage before each."""
    parts = extra_folds(records, bool(valid), config.valid_fraction, fold_count(held_out, folds))
    out = []
    for number, (fit_part, held_part) in enumerate(parts, start=2):
        if progress is not None:
            progress(Progress("fold", epoch=number, epochs=len(parts) + 1))
        classifier = train_classifier(fit_part, held_part, config, progress=progress, should_stop=should_stop)
        out.append(Fold(classifier, fit_part, held_part))
    return out


def train_classifier(
    fit_part: Sequence[Record],
    held_out: Sequence[Record],
    config: TrainConfig,
    *,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Model:
    """A ranker's classifier: ``training.train`` with ``min_tag_count`` raised to ``CLASSIFIER_MIN_TAG_COUNT``,
    unless no tag of ``fit_part`` is that common (a handful of posts): then with ``config`` as it is."""
    minimum = max(config.min_tag_count, CLASSIFIER_MIN_TAG_COUNT)
    if any(count >= minimum for count in tag_counts(fit_part).values()):
        config = replace(config, min_tag_count=minimum)
    return train(fit_part, held_out, config, progress=progress, should_stop=should_stop)


def fold_count(held_out: int, folds: int | None = None) -> int:
    """How many folds yield fusion rows: ``folds`` when given, else enough for ``FUSION_POSTS`` held-out
    posts (``held_out`` per fold), at most ``MAX_FOLDS``."""
    if folds is not None:
        return max(1, folds)
    return max(1, min(MAX_FOLDS, math.ceil(FUSION_POSTS / max(1, held_out))))


def extra_folds(
    records: Sequence[Record], valid_given: bool, fraction: float, folds: int
) -> list[tuple[list[Record], list[Record]]]:
    """The (fit part, held-out part) of every fold after the first: further hashed ``fraction`` slices of
    ``records`` (the first slice is the first fold's own unless ``valid`` was given). Stops early when the
    records run out of slices or are too few to hold any out."""
    first = 0 if valid_given else 1
    slices = max(1, round(1.0 / fraction))
    out = []
    for number in range(first, min(slices, first + folds - 1)):
        fit_part, held_out = _split(records, fraction, fold=number)
        if len(fit_part) == len(records):
            break
        out.append((fit_part, held_out))
    return out


def hold_out(
    records: Sequence[Record], valid: Sequence[Record] | None, fraction: float
) -> tuple[list[Record], list[Record], bool]:
    """The fit part, the held-out posts, and whether the held-out posts should join the index afterwards.

    ``valid`` when given (every record is fitted on), else a hashed ``fraction`` of ``records``. With too few
    records to hold any out, ``training._split`` returns all of them twice: they are then indexed only once.
    """
    if valid:
        return list(records), list(valid), True
    fit_part, held_out = _split(records, fraction)
    return fit_part, held_out, len(fit_part) != len(records)


def fit_ranking(
    classifier: Model,
    fit_part: Sequence[Record],
    held_out: Sequence[Record],
    *,
    site_tags: dict[str, int] | None = None,
    ranking_config: RankingConfig | None = None,
    reveal: float = 0.3,
    seed: int = 0,
    index_held_out: bool = True,
    folds: Sequence[Fold] = (),
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Model:
    """``classifier`` with a ranker built on ``fit_part`` and fusion fitted on ``held_out`` (which the
    classifier must not have trained on) and on the held-out posts of ``folds``; ``held_out`` then joins the
    index unless ``index_held_out`` is False. Used by ``train_ranker``, and by the benchmark's ablations (one
    set of classifiers, several rankers). ``progress`` gets a "linear" snapshot as each part's SVMs are fitted;
    when ``should_stop`` says stop, the parts still to come get no SVMs."""
    site = site_tags or {}
    config = ranking_config or RankingConfig()
    all_records = [*fit_part, *held_out]
    tags = _tag_space(classifier.vocab, all_records, site)

    def linear_progress(number: int) -> Callable[[int, int], None] | None:
        """Reports of the linear SVMs of ranker ``number`` (the model's own, then the folds')."""
        if progress is None:
            return None
        parts = len(folds) + 1
        return lambda done, total: progress(Progress("linear", epoch=number, epochs=parts, step=done, steps=total))

    ranking = _build(classifier, tags, fit_part, site, config, linear_progress(1), should_stop)
    parts = [(classifier, ranking, held_out)]
    for number, fold in enumerate(folds, start=2):
        fold_tags = _tag_space(fold.classifier.vocab, all_records, site)
        built = _build(fold.classifier, fold_tags, fold.fit_part, site, config, linear_progress(number), should_stop)
        parts.append((fold.classifier, built, fold.held_out))
    rows, labels, groups = _all_fusion_rows(parts, reveal, seed)
    fusion = (
        fit_fusion(rows, labels, groups, seed=seed, listwise=FUSION_LISTWISE, ensemble=FUSION_ENSEMBLE)
        if labels.any() and not labels.all()
        else None
    )
    ranking = _extend(ranking, held_out if index_held_out else [], fusion)
    meta = dict(classifier.meta)
    meta["ranking"] = {
        "config": ranking.config.to_dict(),
        "indexed_posts": len(ranking.index),
        "tags": len(ranking.tags),
        "site_tags": len(site_tags or {}),
        "fusion_posts": len(set(groups.tolist())),
        "fusion_rows": len(labels),
        "fusion_folds": len(parts),
    }
    return Model(
        classifier.tokenizer,
        classifier.vocab,
        classifier.network,
        classifier.calibration,
        meta,
        quantized=classifier.quantized,
        ranking=ranking,
    )


def _tag_space(vocab: TagVocab, records: Sequence[Record], site_tags: dict[str, int]) -> list[str]:
    """The classifier's tags in their order, then every other tag of the records and the site's list."""
    tags = list(vocab.tags)
    known = set(tags)
    extra = {normalize_tag(t) for r in records for t in r.tags} | {normalize_tag(t) for t in site_tags}
    tags.extend(sorted(t for t in extra - known if t))
    return tags


def _post_tag_ids(record: Record, index: dict[str, int]) -> list[int]:
    return sorted({index[t] for t in map(normalize_tag, record.tags) if t in index})


def _terms(record: Record) -> list[int]:
    return query_terms(normalize(record.title), normalize(record.body))


def _text_stats(
    matcher: TagMatcher, records: Sequence[Record], index: dict[str, int], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per tag: posts whose text contains it (by its match key, not another form), and how many of those
    carry it."""
    seen = np.zeros(n, np.int64)
    tagged = np.zeros(n, np.int64)
    for record in records:
        found = matcher.counts(normalize(record.title)).keys() | matcher.counts(normalize(record.body)).keys()
        if not found:
            continue
        own = set(_post_tag_ids(record, index))
        ids = np.fromiter(found, dtype=np.int64)
        seen[ids] += 1
        hits = np.fromiter(found & own, dtype=np.int64)
        tagged[hits] += 1
    return seen, tagged


def _build(
    classifier: Model,
    tags: list[str],
    records: Sequence[Record],
    site_tags: dict[str, int],
    config: RankingConfig,
    linear_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Ranking:
    index = {t: i for i, t in enumerate(tags)}
    tag_ids = [_post_tag_ids(r, index) for r in records]
    counts = _tag_counts(tag_ids, len(tags))
    post_index = PostIndex.build([_terms(r) for r in records], tag_ids, TERM_BUCKETS, len(tags))
    site = np.zeros(len(tags), np.float32)
    for tag, count in site_tags.items():
        key = normalize_tag(tag)
        if key in index:
            site[index[key]] = max(site[index[key]], float(count))
    seen, tagged = _text_stats(TagMatcher(tags, other_forms=False), records, index, len(tags))
    linear = None
    if "linear" in config.sources:
        linear = fit_linear(
            post_index.vectors(), post_index.post_tags, on_progress=linear_progress, should_stop=should_stop
        )
    return Ranking(
        TagVocab(tuple(tags), tuple(int(c) for c in counts)),
        site,
        seen,
        tagged,
        post_index,
        Related.build(tag_ids, len(tags)),
        None,
        config,
        linear,
    )


def _all_fusion_rows(
    parts: Sequence[tuple[Model, Ranking, Sequence[Record]]], reveal: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of every (classifier, ranking, held-out posts) part, post numbers kept distinct."""
    rows, labels, groups = [], [], []
    offset = 0
    for number, (classifier, ranking, posts) in enumerate(parts):
        sample = _spread(posts, FUSION_POSTS)
        part_rows, part_labels, part_groups = _fusion_rows(classifier, ranking, sample, reveal, seed + number)
        if len(part_labels):
            rows.append(part_rows)
            labels.append(part_labels)
            groups.append(part_groups + offset)
            offset += int(part_groups.max()) + 1
    if not rows:
        return np.zeros((0, 0), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(labels), np.concatenate(groups)


def _fusion_rows(
    classifier: Model, ranking: Ranking, posts: Sequence[Record], reveal: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows, labels and post numbers of every candidate of ``posts``."""
    rng = random.Random(seed)
    index = ranking.tags.index
    all_rows, all_labels, all_groups = [], [], []
    for start in range(0, len(posts), 256):
        part = posts[start : start + 256]
        probabilities = _probabilities(classifier, part)
        for offset, (record, p) in enumerate(zip(part, probabilities, strict=True)):
            truth = _post_tag_ids(record, index)
            if not truth:
                continue
            chosen = [rng.choice(truth)] if len(truth) > 1 and rng.random() < reveal else []
            candidates = ranking.candidates(classifier, p, record.title, record.body, chosen)
            wanted = set(truth) - set(chosen)
            all_rows.append(candidates.features)
            all_labels.append(np.fromiter((t in wanted for t in candidates.tags.tolist()), np.float32))
            all_groups.append(np.full(len(candidates.tags), start + offset, np.int64))
    if not all_rows:
        return np.zeros((0, 0), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    return np.concatenate(all_rows), np.concatenate(all_labels), np.concatenate(all_groups)


def _probabilities(classifier: Model, records: Sequence[Record]) -> np.ndarray:
    return classifier.probabilities([r.text for r in records]).numpy()


def _tag_counts(tag_ids: Sequence[Sequence[int]], n_tags: int) -> np.ndarray:
    """Posts per tag."""
    counts = np.zeros(n_tags, np.int64)
    for ids in tag_ids:
        counts[ids] += 1
    return counts


def _extend(ranking: Ranking, posts: Sequence[Record], fusion: Fusion | None) -> Ranking:
    """``ranking`` with ``posts`` added to its index, co-occurrence, counts and text statistics."""
    index = ranking.tags.index
    tag_ids = [_post_tag_ids(r, index) for r in posts]
    counts = np.asarray(ranking.tags.counts, np.int64) + _tag_counts(tag_ids, len(ranking.tags))
    seen, tagged = _text_stats(ranking.matcher, posts, index, len(ranking.tags))
    post_index = ranking.index.extend([_terms(r) for r in posts], tag_ids) if posts else ranking.index
    return Ranking(
        TagVocab(ranking.tags.tags, tuple(int(c) for c in counts)),
        ranking.site_counts,
        ranking.text_seen + seen,
        ranking.text_tagged + tagged,
        post_index,
        ranking.related.extend(tag_ids) if posts else ranking.related,
        fusion,
        ranking.config,
        ranking.linear,
    )
