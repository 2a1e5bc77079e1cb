"""Tags read out of the text: every known tag that occurs in a post's title or body.

A tag and a text match when their *match keys* share a run of words. The key folds the variants people
write for one tag: case and full-width forms (NFKC), hyphens, underscores and spaces (``ruby-on-rails`` =
``Ruby on Rails``), a plural ``s`` (``arrays`` = ``array``), and keeps the tokens that are tags in their own
right (``c#``, ``c++``, ``.net``, ``node.js``). Chinese has no word boundaries, so every CJK character is a
word of its own and a Chinese tag matches as a substring (``李敏镐`` in ``今天李敏镐来了``).

A looser *stem key* also folds English word forms with the Snowball (Porter 2) stemmer (``baking`` =
``baked`` = ``bake``, ``frying`` = ``fried``): a tag found only that way is reported apart (``Match.stem_only``),
since it is right less often. On the cooking fold, stems find 5% more of the true tags than the match keys
(304 of 5,773), at a precision of 31% against the keys' 56%.

A tag may also be *partly* in the post: ``overlaps`` gives the share of a candidate tag's units (its English
words, its pairs of adjacent Chinese characters) that occur in the post. Weibo hashtags are phrases that the
post paraphrases (``世界表情包日`` for a post about ``表情包``), and they were cut out of the weibo-polls texts:
no whole tag matches there, yet the share ranks the right one of the candidates up.

All keys are searched at once with an Aho-Corasick automaton (``pyahocorasick``), so matching costs the
length of the text, not the number of tags. The automaton is rebuilt from the tag list when a model loads;
nothing but the tags is stored.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ahocorasick
import Stemmer

from tagrec_core.text import PLACEHOLDERS

__all__ = ["Match", "TagMatcher", "match_key", "post_words", "units", "words"]

# CJK ideographs (with extension A and compatibility forms), kana and hangul: one word per character.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_CJK_RE = re.compile(f"([{_CJK}])")
# A word: letters/digits with inner dots (node.js, asp.net), an optional leading dot (.net) and trailing
# + or # (c++, c#, f#). Everything else separates words.
_WORD_RE = re.compile(r"\.?[^\W_](?:[\w.]*[^\W_])?[+#]*")
_SEPARATORS_RE = re.compile(r"[-_/]+")
# Tags longer than this many words are not looked for in text (they are sentences, not tags). Every
# Chinese character is a word, and Weibo hashtags can be long phrases.
MAX_KEY_WORDS = 32


def _singular(word: str) -> str:
    """A crude English singular, the same for both forms of a word: ``arrays``/``array`` -> ``array``,
    ``queries``/``query`` -> ``query``, ``cookies``/``cookie`` -> ``cooky``, ``classes`` -> ``class``,
    ``boxes`` -> ``box``; ``css``, ``ios``, ``status`` kept. Keys are only compared, never shown."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ie"):
        return word[:-2] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The words of ``text`` as tags and texts are compared: folded, singular, one per CJK character."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _CJK_RE.sub(r" \1 ", _SEPARATORS_RE.sub(" ", folded))
    return [_singular(w) for w in _WORD_RE.findall(folded)]


_PLACEHOLDER_WORDS = frozenset(p.lower() for p in PLACEHOLDERS)  # as ``words`` reads them


def units(tokens: Sequence[str]) -> frozenset[str]:
    """The units of a tag's words ``tokens`` for partial matches: each word that is not a single CJK character
    (nor a placeholder), and each pair of adjacent CJK characters, as ``"a b"`` (a lone one counts by itself).
    """
    out: set[str] = set()
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and _CJK_RE.fullmatch(token):
            run.append(token)
            continue
        if len(run) == 1:
            out.add(run[0])
        out.update(f"{a} {b}" for a, b in itertools.pairwise(run))
        run = []
        if token and token not in _PLACEHOLDER_WORDS:
            out.add(token)
    return frozenset(out)


def _post_units(tokens: Sequence[str]) -> set[str]:
    """What a tag's ``units`` are looked up in: every word of the post and every pair of adjacent words (a
    superset of the post's own units, built without looking at the words one by one in Python)."""
    return {*tokens, *map(" ".join, itertools.pairwise(tokens))}


@functools.lru_cache(maxsize=16)
def post_words(text: str) -> tuple[str, ...]:
    """``words(text)``, kept for the few latest texts: the ranker reads one post's title and body three times
    (``retrieval.query_terms``, ``find``, ``overlaps``), and a long body's words take ~0.1 ms."""
    return tuple(words(text))


def match_key(text: str) -> str:
    """The words of ``text`` as they are compared, joined by single spaces (``""`` when it has none)."""
    return " ".join(words(text))


_stemmers = threading.local()  # a PyStemmer object is not safe to share between threads


def _stems(tokens: Sequence[str]) -> list[str]:
    """``tokens`` with every word of ASCII letters stemmed (English); other words as they are."""
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return [stemmer.stemWord(w) if w.isascii() and w.isalpha() else w for w in tokens]


@dataclass(frozen=True, slots=True)
class Match:
    """A tag found in a post: its id, and how often it occurs in the title and in the body (by its match key).
    ``stem_only``: it occurs only as another form of its words (by its stem key; then both counts are 0)."""

    tag: int
    in_title: int
    in_body: int
    stem_only: bool = False


class TagMatcher:
    """Finds known tags in text. ``tags[i]`` is the tag with id ``i``; ids are returned, not strings.

    Several tags may share a key (``array`` and ``arrays``): a match reports all of them. Tags whose key
    is empty (punctuation only) or longer than ``MAX_KEY_WORDS`` words are never matched. ``other_forms``:
    whether ``find`` also reports tags found only by their stem key (without it, no stem key is built or
    searched). Safe for concurrent readers: its one mutable part, the cache of the candidate tags' units that
    ``overlaps`` fills, only ever gains entries, and two threads filling the same one write equal values.
    """

    def __init__(self, tags: Sequence[str], *, other_forms: bool = True) -> None:
        by_key: dict[str, list[int]] = {}
        by_stem: dict[str, list[int]] = {}
        for tag_id, tag in enumerate(tags):
            tokens = words(tag)
            if not tokens or len(tokens) > MAX_KEY_WORDS:
                continue
            key = " ".join(tokens)
            by_key.setdefault(key, []).append(tag_id)
            if other_forms and any(w.isascii() and w.isalpha() for w in tokens):  # Chinese-only: no other forms
                by_stem.setdefault(" ".join(_stems(tokens)), []).append(tag_id)
        self._keys = _automaton(by_key)
        self._stem_keys = _automaton(by_stem)
        self._tags = tuple(tags)
        self._units: dict[int, frozenset[str]] = {}  # filled on demand: most tags are never a candidate

    def overlaps(self, tag_ids: Sequence[int], title: str, body: str = "") -> list[float]:
        """Per tag, the share of its units (English words; pairs of adjacent Chinese characters) that occur
        in the post: how much of a tag the post mentions when not all of it (0 for a tag without units)."""
        post = _post_units([*post_words(title), "\n", *post_words(body)])
        out = []
        for tag_id in tag_ids:
            own = self._units.get(tag_id)
            if own is None:
                own = self._units[tag_id] = units(words(self._tags[tag_id]))
            out.append(len(own & post) / len(own) if own else 0.0)
        return out

    def counts(self, text: str) -> dict[int, int]:
        """How often each known tag occurs in ``text`` by its match key: ``{tag_id: occurrences}``."""
        return _count(self._keys, words(text))

    def find(self, title: str, body: str = "") -> list[Match]:
        """Every known tag in the post, in tag-id order, with its occurrences in the title and the body, then
        the tags found only by their stem key (``stem_only``)."""
        title_words, body_words = post_words(title), post_words(body)
        in_title = _count(self._keys, title_words)
        in_body = _count(self._keys, body_words)
        ids = sorted(in_title.keys() | in_body.keys())
        out = [Match(i, in_title.get(i, 0), in_body.get(i, 0)) for i in ids]
        if self._stem_keys is not None:
            stemmed = _count(self._stem_keys, [*_stems(title_words), "\n", *_stems(body_words)])
            out += [Match(i, 0, 0, stem_only=True) for i in sorted(stemmed.keys() - set(ids))]
        return out

    def find_many(self, posts: Iterable[tuple[str, str]]) -> list[list[Match]]:
        return [self.find(title, body) for title, body in posts]


def _automaton(by_key: dict[str, list[int]]) -> ahocorasick.Automaton | None:
    """An automaton over ``" key "`` (spaces make a match start and end on word boundaries); None when empty."""
    if not by_key:
        return None
    automaton = ahocorasick.Automaton()
    for key, ids in by_key.items():
        automaton.add_word(f" {key} ", tuple(ids))
    automaton.make_automaton()
    return automaton


def _count(automaton: ahocorasick.Automaton | None, tokens: Sequence[str]) -> dict[int, int]:
    """How often each tag of ``automaton`` occurs in the words ``tokens``: ``{tag_id: occurrences}``."""
    found: dict[int, int] = {}
    if automaton is None or not tokens:
        return found
    for _end, ids in automaton.iter(f" {' '.join(tokens)} "):
        for tag_id in ids:
            found[tag_id] = found.get(tag_id, 0) + 1
    return found
