"""A suggested tag, as every front-end shows it (no model needed to hold one)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

__all__ = ["DEFAULT_MIN_SCORE", "MIN_SCORES", "SOURCES", "Suggestion", "at_least"]

# The ranker's sources, the ``source`` word of its suggestions (the profile adds "user"). Here, not in
# ``ranker``, so that the profile can name them without importing torch.
SOURCES: tuple[str, ...] = ("classifier", "neighbours", "text", "related")
# What the apps hide unless the user chooses otherwise (the API and the CLI hide nothing by default). On held-out
# posts, suggestions below 0.02 were right 0.8% (weibo-polls) and 1.4% (so-titles) of the time; hiding them, the
# apps' five chips became 2.5 on weibo-polls (recall 0.277 -> 0.253, and 13% of posts with none) and 4.7 on
# so-titles (recall 0.861 -> 0.859) (``bench.calibration``, 2026-11-23). The browser extension keeps the same
# values (``lib/bridge.js``).
DEFAULT_MIN_SCORE = 0.02
MIN_SCORES: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5)  # the choices the apps offer


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested tag. ``score`` is a calibrated probability in [0, 1]; ``source`` names the method."""

    tag: str
    score: float
    source: str
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def at_least(suggestions: Iterable[Suggestion], min_score: float) -> list[Suggestion]:
    """The suggestions whose score is ``min_score`` or more, in their order.

    Scores are calibrated (a suggestion of score 0.05 is right about one time in twenty, measured on held-out
    posts), so a minimum hides weak suggestions with a meaning a person can choose by.
    """
    return [s for s in suggestions if s.score >= min_score]
