"""The personal profile: each user's feedback in SQLite and the personal ranking learned from it.

``Profile`` is the database (``store``); ``parse_feedback`` checks an event (``feedback``); ``learning``
applies it; ``Personalizer`` re-ranks the base model's suggestions per user (``personal``); ``transfer``
exports and imports profiles as JSON; ``timeline`` counts a user's feedback per day, week or month.
"""

from tagrec_core.profile.feedback import DEFAULT_USER, Feedback, parse_feedback
from tagrec_core.profile.personalizer import Personalizer
from tagrec_core.profile.store import Profile, VocabEntry
from tagrec_core.profile.timeline import PeriodCounts, Timeline

__all__ = [
    "DEFAULT_USER",
    "Feedback",
    "PeriodCounts",
    "Personalizer",
    "Profile",
    "Timeline",
    "VocabEntry",
    "parse_feedback",
]
