"""The one exception root of tagrec_core.

Every error a user can cause (bad input, bad model file, bad options) is a ``TagrecError``; front-ends
(CLI, bridge, desktop) catch ``TagrecError`` and show ``str(error)`` - never a traceback. The ``code`` of each
subclass is stable: the bridge uses it as its JSON error code, and scripts may rely on it.
"""

from __future__ import annotations


class TagrecError(Exception):
    """Root of all expected tagrec errors; ``str(err)`` is a complete message for a person."""

    code = "error"


class InputError(TagrecError):
    """Input text or data that cannot be used (empty, binary, malformed, too large)."""

    code = "bad_input"


class DataError(InputError):
    """A data file that cannot be read, with the file and line it concerns."""

    code = "bad_data"

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line


class ModelFileError(TagrecError):
    """A model file that is missing, corrupted, truncated or incompatible."""

    code = "bad_model"


class TrainingError(TagrecError):
    """Training cannot proceed (e.g. no usable records, no tags)."""

    code = "training_failed"


class Cancelled(TagrecError):
    """Long work stopped because the caller asked (Ctrl-C, a cancel button); nothing was written."""

    code = "cancelled"


class FeedbackError(InputError):
    """A feedback event that cannot be stored (unknown fields, wrong types, empty tags, too large)."""

    code = "bad_feedback"


class KeyConflict(FeedbackError):
    """A feedback event whose ``key`` the user's profile already holds for a different event (keys must be
    unique per event, such as a UUID); nothing was written."""

    code = "key_conflict"


class ProfileError(TagrecError):
    """A profile database that cannot be used: corrupted, written by a newer tagrec, or not writable."""

    code = "bad_profile"
