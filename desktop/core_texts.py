"""The core's words in the app's language: why a tag is suggested, the models' states, errors, files skipped.

The core (``tagrec_core``) imports no Qt and speaks English; it gives the desktop stable codes beside its
English texts (``Suggestion.why``, ``TagrecError.code``, ``InvalidSetting.name``, ``IndexingStopped``'s
numbers, the English texts of ``not_regular`` and ``NAME_NOT_UTF8``), and this module turns them into
translated texts (context ``CoreTexts`` of ``i18n/tagrec_zh_CN.ts``). What it does not know (a code of a newer
core, one of the many rare errors) keeps its English, inside a translated sentence where it is an error.

Texts with a number have a singular and a plural source text, chosen here, so that English reads right
without a translation file of its own (Chinese has one form: both translate alike).
"""

from __future__ import annotations

import stat

from PySide6.QtCore import QCoreApplication

from tagrec_core.documents import not_regular
from tagrec_core.errors import Cancelled, FeedbackError, InputError, ModelFileError, ProfileError, TagrecError
from tagrec_core.folders import NAME_NOT_UTF8, IndexingStopped
from tagrec_core.service import ModelLoading
from tagrec_core.settings import MAX_USER_CHARS, InvalidSetting
from tagrec_core.suggestion import Suggestion

__all__ = [
    "error_text", "file_problem_text", "model_states_text", "skip_text", "source_text", "startup_problem_text",
    "why_text",
]  # fmt: skip

translate = QCoreApplication.translate  # lupdate reads translate("CoreTexts", "...") calls


def why_text(suggestion: Suggestion) -> str:
    """Why ``suggestion`` is suggested, in the app's language; its English ``reason`` when it has no ``why``
    or one whose code (or arguments) this app does not know."""
    why = suggestion.why
    if why is None:
        return suggestion.reason
    count, tag = why.count, why.tag
    if why.code in _COUNTED:
        if not isinstance(count, int):
            return suggestion.reason
        return _COUNTED[why.code](count == 1).format(count=count)
    if why.code in _NAMING:
        return suggestion.reason if tag is None else _NAMING[why.code]().format(tag=tag)
    plain = _PLAIN.get(why.code)
    return plain() if plain is not None else suggestion.reason


_PLAIN = {
    "in_title": lambda: translate("CoreTexts", "appears in the title"),
    "in_text": lambda: translate("CoreTexts", "appears in the text"),
    "form_in_text": lambda: translate("CoreTexts", "a form of it appears in the text"),
    "part_in_text": lambda: translate("CoreTexts", "part of it appears in the text"),
    "profile": lambda: translate("CoreTexts", "your profile"),
}
_NAMING = {
    "used_with": lambda: translate("CoreTexts", "often used with {tag}"),
    "implied_by": lambda: translate("CoreTexts", "implied by {tag}"),
}
_COUNTED = {  # one: whether the count is 1
    "similar_posts": lambda one: (
        translate("CoreTexts", "{count} similar post") if one else translate("CoreTexts", "{count} similar posts")
    ),
    "learned": lambda one: (
        translate("CoreTexts", "learned from {count} tagged post")
        if one
        else translate("CoreTexts", "learned from {count} tagged posts")
    ),
    "used_on_similar": lambda one: (
        translate("CoreTexts", "you used it on {count} similar item")
        if one
        else translate("CoreTexts", "you used it on {count} similar items")
    ),
    "used": lambda one: (
        translate("CoreTexts", "you used it {count} time")
        if one
        else translate("CoreTexts", "you used it {count} times")
    ),
}


def source_text(source: str) -> str:
    """The method that found a tag (``Suggestion.source``), in the app's language; an unknown one as it is."""
    texts = {
        "classifier": lambda: translate("CoreTexts", "classifier"),
        "neighbours": lambda: translate("CoreTexts", "similar posts"),
        "text": lambda: translate("CoreTexts", "the text"),
        "related": lambda: translate("CoreTexts", "related tags"),
        "user": lambda: translate("CoreTexts", "your profile"),
    }
    text = texts.get(source)
    return text() if text is not None else source


def model_states_text(status: dict[str, dict[str, str]]) -> str:
    """``Service.status()`` for a person, e.g. "Stack Overflow (English): ready, Weibo (Chinese): loading…"."""
    return ", ".join(f"{_domain(domain)}: {_state(entry)}" for domain, entry in status.items())


def _domain(domain: str) -> str:
    names = {
        "stackoverflow": lambda: translate("CoreTexts", "Stack Overflow (English)"),
        "weibo": lambda: translate("CoreTexts", "Weibo (Chinese)"),
    }
    name = names.get(domain)
    return name() if name is not None else domain


def _state(entry: dict[str, str]) -> str:
    state = entry.get("state", "")
    if state == "idle":
        return translate("CoreTexts", "not loaded yet")
    if state == "loading":
        return translate("CoreTexts", "loading…")
    if state == "ready":
        return translate("CoreTexts", "ready")
    if state == "failed":
        return translate("CoreTexts", "could not be loaded ({error})").format(error=entry.get("error", ""))
    return state


def error_text(error: BaseException) -> str:
    """A core error as a sentence in the app's language. The errors a user meets in ordinary use have their own
    text; any other keeps its English detail inside a translated sentence that says what kind of problem it is."""
    if isinstance(error, ModelLoading):
        return translate("CoreTexts", "Loading the model…")
    if isinstance(error, InvalidSetting):
        return _setting_text(error)
    if isinstance(error, IndexingStopped):
        return translate("CoreTexts", "indexing stopped after {done} of {total} files").format(
            done=error.done, total=error.total
        )
    detail = str(error)
    if isinstance(error, ModelFileError):
        return translate("CoreTexts", "The suggestion model could not be loaded: {detail}").format(detail=detail)
    if isinstance(error, ProfileError):
        return translate("CoreTexts", "The profile cannot be used: {detail}").format(detail=detail)
    if isinstance(error, FeedbackError):
        return translate("CoreTexts", "This cannot be saved: {detail}").format(detail=detail)
    if isinstance(error, InputError):
        return translate("CoreTexts", "This cannot be used: {detail}").format(detail=detail)
    if isinstance(error, Cancelled):
        return translate("CoreTexts", "Stopped: {detail}").format(detail=detail)
    if isinstance(error, TagrecError):
        return translate("CoreTexts", "tagrec could not do this: {detail}").format(detail=detail)
    if isinstance(error, OSError):
        return translate("CoreTexts", "A file or folder could not be used: {detail}").format(detail=detail)
    return translate("CoreTexts", "Something went wrong: {detail}").format(detail=detail)


def startup_problem_text(detail: str) -> str:
    """What went wrong at the start but was got round (``load_settings``' problem, ``Profile.recovered``): rare,
    so its English ``detail`` stays, inside a translated sentence."""
    return translate("CoreTexts", "A problem at start, worked around: {detail}").format(detail=detail)


def _setting_text(error: InvalidSetting) -> str:
    if error.name == "user":
        return translate("CoreTexts", "The user name must be 1 to {max} printable characters.").format(
            max=MAX_USER_CHARS
        )
    if error.name == "port":
        return translate("CoreTexts", "The port must be between 1 and 65535.")
    if error.name == "min_score":
        return translate("CoreTexts", "The lowest score shown must be between 0% and 100%.")
    if error.name == "language":
        return translate("CoreTexts", "The language must be the system's, English or Chinese.")
    return translate("CoreTexts", "This setting cannot be used: {detail}").format(detail=str(error))


def skip_text(problem: str) -> str:
    """Why the indexing passed over a file (the text ``index_files`` gives its ``skipped`` callback), in the
    app's language."""
    if problem == NAME_NOT_UTF8:
        return translate("CoreTexts", "its name is not valid UTF-8: rename the file to index it")
    kind = _not_regular_texts().get(problem)
    if kind is not None:
        return kind
    return translate("CoreTexts", "cannot be indexed: {detail}").format(detail=problem)


def file_problem_text(problem: str) -> str:
    """Why only a file's name was read (``Document.problem``, stored with the file), in the app's language."""
    kind = _not_regular_texts().get(problem)
    if kind is not None:
        return kind
    return translate("CoreTexts", "only its name was read: {detail}").format(detail=problem)


def _not_regular_texts() -> dict[str, str]:
    """The core's English ``not_regular`` texts, each with its translation. Built from ``not_regular`` itself, so
    that the core stays the one place its texts are written (a file's problem is stored as that text)."""
    return {
        not_regular(stat.S_IFIFO): translate("CoreTexts", "not a regular file (a named pipe)"),
        not_regular(stat.S_IFSOCK): translate("CoreTexts", "not a regular file (a socket)"),
        not_regular(stat.S_IFCHR): translate("CoreTexts", "not a regular file (a device)"),
        not_regular(stat.S_IFDIR): translate("CoreTexts", "not a regular file (a folder)"),
    }
