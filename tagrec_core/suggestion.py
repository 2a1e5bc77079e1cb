"""A suggested tag, as every front-end shows it (no model needed to hold one)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Suggestion"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested tag. ``score`` is a calibrated probability in [0, 1]; ``source`` names the method."""

    tag: str
    score: float
    source: str
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
