"""Where tagrec keeps the user's own data (the profile; later the bridge's tokens and settings).

One folder, the *home*: ``--home DIR`` on every command wins, then the ``TAGREC_HOME`` variable, then the
platform's user data folder (platformdirs: ``~/.local/share/tagrec`` on Linux, ``%LOCALAPPDATA%\\tagrec`` on
Windows, ``~/Library/Application Support/tagrec`` on macOS). Tests and tools use temporary homes.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "TAGREC_HOME"
PROFILE_FILE = "profile.sqlite"


def resolve_home(home: str | Path | None = None) -> Path:
    """The home folder to use (not created here): ``home`` if given, else ``$TAGREC_HOME``, else the
    platform's user data folder."""
    if home is not None and str(home).strip():  # blank is unset: a folder named "  " is never meant
        return Path(home).expanduser()
    from_env = os.environ.get(HOME_ENV, "")
    if from_env.strip():
        return Path(from_env).expanduser()
    return Path(platformdirs.user_data_dir("tagrec", appauthor=False))


def profile_path(home: str | Path | None = None) -> Path:
    """The profile database of a home."""
    return resolve_home(home) / PROFILE_FILE
