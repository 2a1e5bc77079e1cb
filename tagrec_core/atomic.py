"""Writing a file whole or not at all: the profile's exports, the settings, the tag sidecars of other tools."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from tagrec_core.errors import TagrecError


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all: a temporary file beside it, renamed over it.

    A crash or a full disk leaves the old file as it was. ``TagrecError`` names the path and the reason."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """``write_text_atomically`` for bytes written as they are (another tool's file: its encoding and line ends
    kept). ``TagrecError`` names the path and the reason."""
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(data)
        part.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):  # e.g. its folder is a file: there is no part to remove
            part.unlink(missing_ok=True)
        raise TagrecError(f"cannot write {path}: {error.strerror or error}") from None


@contextlib.contextmanager
def open_atomically(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text stream whose content replaces ``path`` whole once the block ends without an error, for a
    file too big to hold in memory first (``write_text_atomically``'s promise, streamed). An error in the block
    or in writing leaves the old file as it was and no part behind; a write error is a ``TagrecError`` naming
    the path and the reason."""
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with part.open("w", encoding="utf-8") as stream:
            yield stream
        part.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise TagrecError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise
