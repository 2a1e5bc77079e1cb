"""A suggested tag, as every front-end shows it (no model needed to hold one)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["SOURCES", "Suggestion"]

# The ranker's sources, the ``source`` word of its suggestions (the profile adds "user"). Here, not in
# ``ranker``, so that the profile can name them without importing torch.
SOURCES: tuple[str, ...] = ("classifier", "neighbours", "text", "related")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested tag. ``score`` is a calibrated probability in [0, 1]; ``source`` names the method."""

    tag: str
    score: float
    source: str
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
