"""Personal suggestions for many users of one profile: a cached ``UserModel`` per user, kept fresh.

Thread-safe: one lock per user model, so suggestions for different users run in parallel, and the profile's
own connections are per thread. The base model provides the idf (so the user's items are weighted like the
base index's posts) and each tag's share of the base training posts (for the ``lift`` feature).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from tagrec_core.profile.personal import Scored, personalize
from tagrec_core.profile.store import Profile
from tagrec_core.profile.user_model import UserModel

__all__ = ["Personalizer"]


class Personalizer:
    """Re-ranks base suggestions with each user's profile."""

    def __init__(self, profile: Profile, idf: np.ndarray, frequency: Callable[[str], float]) -> None:
        self.profile = profile
        self._idf = idf
        self.frequency = frequency
        self._models: dict[str, tuple[threading.Lock, UserModel]] = {}
        self._lock = threading.Lock()

    def rank(
        self, user: str, base: Sequence[Scored], title: str, body: str, chosen: Sequence[str], k: int
    ) -> list[Scored] | None:
        """The user's ``k`` best tags, or ``None`` when the profile knows nothing of the user (use ``base``)."""
        row = self.profile.user(user)
        if row is None:
            return None
        lock, model = self._model(user)
        with lock:
            model.refresh(self.profile.reader(), row)
            if model.clock == 0 and not model.aliases and not model.implied and not model.vocab:
                return None
            return personalize(model, base, title, body, chosen, self.frequency, k)

    def user_model(self, user: str) -> UserModel:
        """The user's model, refreshed (for views of the profile and for tests)."""
        lock, model = self._model(user)
        with lock:
            model.refresh(self.profile.reader(), self.profile.user(user))
        return model

    def _model(self, user: str) -> tuple[threading.Lock, UserModel]:
        with self._lock:
            entry = self._models.get(user)
            if entry is None:
                entry = self._models[user] = (threading.Lock(), UserModel(user, self._idf))
            return entry
