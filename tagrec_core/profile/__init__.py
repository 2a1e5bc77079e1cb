"""The personal profile: each user's feedback in SQLite and the personal ranking learned from it.

``Profile`` is the database (``store``); ``parse_feedback`` checks an event (``feedback``); ``learning``
applies it; ``Personalizer`` re-ranks the base model's suggestions per user (``personal``); ``transfer``
exports and imports profiles as JSON.
"""

from tagrec_core.profile.feedback import DEFAULT_USER, Feedback, parse_feedback
from tagrec_core.profile.personalizer import Personalizer
from tagrec_core.profile.store import Profile, VocabEntry

__all__ = ["DEFAULT_USER", "Feedback", "Personalizer", "Profile", "VocabEntry", "parse_feedback"]
