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

from tagrec_core.errors import TagrecError
from tagrec_core.recommender import Recommender, Suggestion
from tagrec_core.version import __version__

__all__ = ["Recommender", "Suggestion", "TagrecError", "__version__", "load"]


def load(model_or_domain: str | Path) -> Recommender:
    """A ``Recommender`` for a model file path or a shipped domain (``"stackoverflow"``, ``"weibo"``).

    Raises ``ModelFileError`` (a ``TagrecError``) with a clear message when the model cannot be used.
    Loading the same shipped domain twice returns the same (thread-safe) instance.
    """
    from tagrec_core import defaults, modelfile

    if isinstance(model_or_domain, str) and model_or_domain in defaults.DOMAINS:
        return _load_default(model_or_domain)
    return Recommender(modelfile.load(model_or_domain))


@cache
def _load_default(domain: str) -> Recommender:
    from tagrec_core import defaults, modelfile

    return Recommender(modelfile.load(defaults.model_path(domain)))
