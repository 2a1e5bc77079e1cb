"""tagrec_core: the headless engine of tagrec - text, tokenizer, models, training, suggestion.

Entry point for programs::

    import tagrec_core
    recommender = tagrec_core.load("stackoverflow")        # or "weibo", or a path to a .tagrec file
    for s in recommender.suggest(title="How do I merge two dicts?", k=5):
        print(s.tag, s.score, s.source)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from tagrec_core.errors import TagrecError
from tagrec_core.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from tagrec_core.profile import Profile
    from tagrec_core.recommender import Recommender, Suggestion


def __getattr__(name: str) -> object:
    """``Recommender`` and ``Suggestion`` on first use: importing tagrec_core must not import torch (about 1 s
    and 220 MB), so front-ends show a window or answer ``--version`` before any model is needed."""
    if name in {"Recommender", "Suggestion"}:
        from tagrec_core import recommender

        return getattr(recommender, name)
    raise AttributeError(f"module 'tagrec_core' has no attribute {name!r}")


__all__ = ["Recommender", "Suggestion", "TagrecError", "__version__", "load"]


def load(model_or_domain: str | Path, profile: Profile | None = None) -> Recommender:
    """A ``Recommender`` for a model file path or a shipped domain (``"stackoverflow"``, ``"weibo"``), personal
    to the users of ``profile`` when one is given.

    Raises ``ModelFileError`` (a ``TagrecError``) with a clear message when the model cannot be used.
    A shipped domain is loaded once; without a profile the same (thread-safe) instance is returned.
    """
    from tagrec_core import defaults, modelfile

    if isinstance(model_or_domain, str) and model_or_domain in defaults.DOMAINS:
        shared = _load_default(model_or_domain)
        return shared if profile is None else _recommender()(shared.model, profile)
    return _recommender()(modelfile.load(model_or_domain), profile)


@cache
def _load_default(domain: str) -> Recommender:
    from tagrec_core import defaults, modelfile

    return _recommender()(modelfile.load(defaults.model_path(domain)))


def _recommender() -> type[Recommender]:
    from tagrec_core.recommender import Recommender

    return Recommender
