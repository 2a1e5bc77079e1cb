"""Tags learned with the data's number placeholder, filled with the number the post itself holds.

The Weibo and Stack Exchange data sets replaced every number with ``DIGIT``, in the tags too, so models learn
tags such as ``创造营digit`` or ``starcraft-digit`` (about 2,630 of the shipped Weibo model's 20,267 tags, 190 of the
Stack Overflow model's). A person writes numbers: when the post holds the tag with a number where the
placeholder stands ("创造营2019", "StarCraft 2", "Left 4 Dead 2"), the suggestion carries that number
(``创造营2019``, ``starcraft-2``, ``left-4-dead-2``). A tag of one placeholder also takes the number that
follows the word before it or precedes the word after it: ``硬糖少女digit超话`` is ``硬糖少女303超话`` for a post
about 硬糖少女303 (a Chinese word: its last or first four characters). Otherwise the tag stays as learned: a
post of the data sets, whose text has ``DIGIT`` too, keeps the tag its truth is written in.
"""

from __future__ import annotations

import functools
import re

from tagrec_core.text import has_cjk

__all__ = ["NUMBER", "fill_numbers", "has_number"]

NUMBER = "digit"  # ``normalize_tag``'s form of the upstream placeholder ``DIGIT``
_SEPARATOR = "[ _-]?"  # between a tag's words: "starcraft-2", "starcraft 2", "starcraft2"
_EDGE = re.compile(r"[0-9a-z]")  # a tag end that must not continue a word of the text ("mario" in "supermario")


def has_number(tag: str) -> bool:
    """Whether ``tag`` (normalised) holds the placeholder and something else, so that a number can fill it."""
    return NUMBER in tag and bool(tag.replace(NUMBER, "").strip("-"))


def fill_numbers(tag: str, text: str) -> str:
    """``tag`` with each placeholder replaced by the number standing in its place in ``text``; ``tag`` itself
    when the text holds no such number, or when the tag is nothing but placeholders.

    ``tag``: normalised (``text.normalize_tag``); ``text``: normalised post text (``text.normalize``, lower
    case), whose parts the caller may join with ``"\\n"`` so that no match spans them. The first match wins.
    """
    if not has_number(tag):
        return tag
    for pattern in _patterns(tag):
        found = pattern.search(text)
        if found is not None:
            first, *rest = tag.split(NUMBER)
            return first + "".join(number + piece for number, piece in zip(found.groups(), rest, strict=True))
    return tag


@functools.lru_cache(maxsize=4096)
def _patterns(tag: str) -> tuple[re.Pattern[str], ...]:
    """The regular expressions that find ``tag``'s numbers in text, best first, a group per placeholder: the
    whole tag, then for a tag of one placeholder the word before it and the word after it (cached: a tag
    comes back often)."""
    words = [" ?(\\d+) ?".join(re.escape(piece) for piece in word.split(NUMBER)) for word in tag.split("-")]
    patterns = [_bounded(tag[0], _SEPARATOR.join(words), tag[-1])]
    before, _, after = tag.partition(NUMBER)
    if NUMBER not in after:
        word = _anchor(before.rstrip("-").rsplit("-", 1)[-1], last=True)
        if word:
            joint = _SEPARATOR if before.endswith("-") else ""
            # The number ends a word of the text where the tag goes on with another word (or not at all).
            end = "(?![0-9a-z])" if not after or after.startswith("-") else "(?![0-9])"
            patterns.append(_bounded(word[0], re.escape(word) + joint + " ?(\\d+)" + end, ""))
        word = _anchor(after.lstrip("-").split("-", 1)[0], last=False)
        if word:
            joint = _SEPARATOR if after.startswith("-") else ""
            start = "(?<![0-9a-z])" if not before or before.endswith("-") else "(?<![0-9])"
            patterns.append(_bounded("", start + "(\\d+) ?" + joint + re.escape(word), word[-1]))
    return tuple(patterns)


def _anchor(word: str, *, last: bool) -> str:
    """The part of a neighbouring word that must stand beside the number: a Chinese word's last (or first)
    four characters, another word whole; nothing when too short to mean anything (one character)."""
    if has_cjk(word):
        word = word[-4:] if last else word[:4]
    return word if len(word) >= 2 else ""


def _bounded(first: str, body: str, last: str) -> re.Pattern[str]:
    """``body`` that does not begin or end inside a word of the text when its ends are letters or digits."""
    start = "(?<![0-9a-z])" if _EDGE.match(first) else ""
    end = "(?![0-9a-z])" if _EDGE.match(last) else ""
    return re.compile(start + body + end)
