"""The user's settings, in ``<home>/settings.json``: the profile user, the bridge's port, the app's language,
the lowest score of a suggestion shown, and whether a file's tags are also written where other tools see them.

The desktop app edits them (its Settings dialog); ``tagrec serve`` reads the port. A missing file means the
defaults. A file that cannot be read gives the defaults and says why (``load_settings``), and is not
overwritten until the user saves new settings. Unknown keys (from a newer tagrec) are kept on save.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from tagrec_core.atomic import write_text_atomically
from tagrec_core.errors import InputError
from tagrec_core.home import resolve_home
from tagrec_core.profile.feedback import DEFAULT_USER
from tagrec_core.suggestion import DEFAULT_MIN_SCORE

__all__ = ["LANGUAGES", "SETTINGS_FILE", "InvalidSetting", "Settings", "load_settings", "save_settings"]

SETTINGS_FILE = "settings.json"
LANGUAGES = ("", "en", "zh_CN")  # "": the system's language
MAX_USER_CHARS = 64


class InvalidSetting(InputError):
    """A setting's value that cannot be used; ``name`` is the setting (a field of ``Settings``), so that a
    front-end can say it in its own language."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True, slots=True)
class Settings:
    """What the user chose. ``port`` ``None``: the bridge's default port."""

    user: str = DEFAULT_USER
    port: int | None = None
    language: str = ""
    write_xattr: bool = False  # the ``user.xdg.tags`` attribute (KDE Dolphin, GNOME tracker)
    write_sidecar: bool = False  # TagSpaces' ``.ts/<name>.json``
    min_score: float = DEFAULT_MIN_SCORE  # suggestions scored below it are not shown
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # keys of a newer tagrec, kept as they were

    def __post_init__(self) -> None:
        user = self.user.strip()
        # Shown in the title bar and the Settings: no control or format characters (U+202E reverses the text
        # after it), and valid Unicode (a lone surrogate could be loaded, then not saved).
        if not user or len(user) > MAX_USER_CHARS or any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in user):
            raise InvalidSetting(
                "user", f"the user name must be 1 to {MAX_USER_CHARS} printable characters, not {self.user!r}"
            )
        if self.port is not None and (isinstance(self.port, bool) or not 1 <= self.port <= 65535):
            raise InvalidSetting("port", f"the port must be between 1 and 65535, not {self.port!r}")
        if isinstance(self.min_score, bool) or not 0.0 <= self.min_score <= 1.0:  # NaN fails too
            raise InvalidSetting("min_score", f"the lowest score shown must be between 0 and 1, not {self.min_score!r}")
        if self.language not in LANGUAGES:
            raise InvalidSetting(
                "language", f"the language must be one of {', '.join(map(repr, LANGUAGES))}, not {self.language!r}"
            )
        object.__setattr__(self, "user", user)

    def to_dict(self) -> dict[str, Any]:
        known = {k: v for k, v in asdict(self).items() if k != "extra"}
        return {**self.extra, **known}

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (validated like any settings)."""
        return replace(self, **changes)


def settings_path(home: str | Path | None = None) -> Path:
    return resolve_home(home) / SETTINGS_FILE


def load_settings(home: str | Path | None = None) -> tuple[Settings, str | None]:
    """The home's settings, and ``None``; or the defaults and why the file could not be used."""
    path = settings_path(home)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))  # -sig: a byte order mark (Notepad) is harmless
    except FileNotFoundError:
        return Settings(), None
    except (OSError, ValueError, RecursionError) as error:  # ValueError: bad UTF-8 or JSON, a 5,000-digit number
        return Settings(), f"the settings file {path} could not be read ({error}); using the defaults"
    try:
        return _from_dict(data), None
    except (InputError, TypeError) as error:
        return Settings(), f"the settings file {path} is not valid ({error}); using the defaults"


def save_settings(settings: Settings, home: str | Path | None = None) -> Path:
    """Write ``settings`` (whole or not at all); returns the file."""
    path = settings_path(home)
    write_text_atomically(path, json.dumps(settings.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return path


def _from_dict(data: Any) -> Settings:
    if not isinstance(data, dict):
        raise InputError("it must hold a JSON object")
    names = {f.name for f in fields(Settings)} - {"extra"}
    known = {k: v for k, v in data.items() if k in names}
    for name, kind in (("user", str), ("language", str), ("write_xattr", bool), ("write_sidecar", bool)):
        if name in known and not isinstance(known[name], kind):
            raise InputError(f"{name} must be a {kind.__name__}")
    if known.get("port") is not None and not isinstance(known["port"], int):
        raise InputError("port must be a number or null")
    if "min_score" in known and not isinstance(known["min_score"], int | float):
        raise InputError("min_score must be a number")
    return Settings(**known, extra={k: v for k, v in data.items() if k not in names})
