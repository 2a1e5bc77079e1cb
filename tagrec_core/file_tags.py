"""A file's tags written where other tools see them, when the user chose so (settings): the ``user.xdg.tags``
extended attribute (read by KDE's Dolphin and Baloo, GNOME's tracker; Linux only) and TagSpaces' sidecar file
``<folder>/.ts/<name>.json``.

The profile stays the source of tagrec's tags; these are copies. A copy may hold tags other tools put there:
``sync`` only adds the file's tags and takes away the ones tagrec itself removed (``removed``), so nothing the
user gave a file elsewhere is lost. A sidecar's other fields (description, colours, …) are kept, and a sidecar
that is not valid JSON is left alone (``FileTagsError``), never overwritten.

``save_copies`` keeps a file's copies as they are, raw, and ``restore_copies`` puts them back byte for byte:
an undo must give back what other tools had written, not what the profile would write now.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tagrec_core.atomic import write_bytes_atomically, write_text_atomically
from tagrec_core.errors import TagrecError
from tagrec_core.version import __version__

__all__ = [
    "XATTR", "FileTagsError", "SavedCopies", "move_sidecar", "read_sidecar", "read_xattr", "restore_copies",
    "save_copies", "sidecar_path", "sync",
]  # fmt: skip

XATTR = "user.xdg.tags"
SIDECAR_FOLDER = ".ts"
_UNSET = {errno.ENODATA, getattr(errno, "ENOATTR", errno.ENODATA)}  # "no such attribute" (Linux, BSD/macOS)


class FileTagsError(TagrecError):
    """A file's tags could not be written where another tool reads them; the file itself is untouched."""


def merged(current: Sequence[str], tags: Sequence[str], removed: Iterable[str]) -> list[str]:
    """``current`` without ``removed``, then ``tags`` not yet there (order kept, no duplicates)."""
    gone = set(removed) - set(tags)
    out = [t for t in current if t not in gone]
    out += [t for t in tags if t not in out]
    return list(dict.fromkeys(out))


# --- the extended attribute ---------------------------------------------------------------------------------


def read_xattr(path: Path) -> list[str]:
    """The tags in ``path``'s ``user.xdg.tags`` (comma-separated, as KDE writes them); none if unset."""
    try:
        raw = os.getxattr(path, XATTR)
    except OSError as error:
        if error.errno in _UNSET:
            return []
        raise _failure(path, "read the tags attribute of", error) from None
    except AttributeError:  # not Linux: os has no xattr functions
        return []
    return [t.strip() for t in raw.decode("utf-8", "replace").split(",") if t.strip()]


def write_xattr(path: Path, tags: Sequence[str]) -> None:
    """Set ``user.xdg.tags`` to ``tags`` (removed when empty). Commas cannot be written: KDE splits on them."""
    if not hasattr(os, "setxattr"):
        raise FileTagsError("extended attributes can be written on Linux only")
    try:
        if tags:
            os.setxattr(path, XATTR, ",".join(t.replace(",", " ") for t in tags).encode("utf-8"))
        else:
            try:
                os.removexattr(path, XATTR)
            except OSError as error:
                if error.errno not in _UNSET:
                    raise
    except OSError as error:
        raise _failure(path, "write the tags attribute of", error) from None


# --- TagSpaces' sidecar ------------------------------------------------------------------------------------


def sidecar_path(path: Path) -> Path:
    """Where TagSpaces keeps ``path``'s tags: ``<folder>/.ts/<name>.json``."""
    return path.parent / SIDECAR_FOLDER / (path.name + ".json")


def read_sidecar(path: Path) -> dict[str, Any]:
    """The sidecar of ``path`` as a JSON object (``{}`` when there is none)."""
    sidecar = sidecar_path(path)
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileTagsError(f"{sidecar} is not a TagSpaces sidecar tagrec can read ({error}); left as it is") from None
    if not isinstance(data, dict) or not isinstance(data.get("tags", []), list):
        raise FileTagsError(f"{sidecar} is not a TagSpaces sidecar tagrec can read; left as it is")
    return data


def write_sidecar(path: Path, tags: Sequence[str], data: dict[str, Any]) -> None:
    """Write ``tags`` into the sidecar ``data`` (read before), keeping every other field and each kept tag's
    own entry (its colour); a sidecar left with nothing but tagrec's bookkeeping is removed."""
    entries = {e.get("title"): e for e in data.get("tags", []) if isinstance(e, dict)}
    out = {**data, "tags": [entries.get(t) or {"title": t, "type": "sidecar"} for t in tags]}
    sidecar = sidecar_path(path)
    if not tags and not set(out) - {"tags", "appName", "appVersionCreated", "appVersionUpdated", "lastUpdated"}:
        sidecar.unlink(missing_ok=True)
        return
    out.setdefault("appName", "tagrec")
    out.setdefault("appVersionCreated", __version__)
    out["appVersionUpdated"] = __version__
    out["lastUpdated"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    write_text_atomically(sidecar, json.dumps(out, ensure_ascii=False, indent=2) + "\n")


def move_sidecar(old: Path, new: Path) -> bool:
    """Move the sidecar of the file ``old`` to where it belongs now that the file is ``new`` (renamed or moved;
    an attribute moves with its file, a sidecar does not); True when there was one. A sidecar already there
    is replaced, as the file it described was. None at ``old``: nothing to do (a folder moved whole takes its
    ``.ts`` along). ``FileTagsError`` when it cannot be moved; both files are then left as they are."""
    source, target = sidecar_path(old), sidecar_path(new)
    if source == target or not source.is_file():
        return False
    try:
        target.parent.mkdir(exist_ok=True)
        source.replace(target)
    except OSError as error:
        raise FileTagsError(f"cannot move {source} to {target}: {error.strerror or error}") from None
    return True


# --- both -------------------------------------------------------------------------------------------------


def sync(path: Path, tags: Sequence[str], removed: Iterable[str] = (), *, xattr: bool, sidecar: bool) -> None:
    """Make ``path``'s copies hold ``tags`` (and not ``removed``), as chosen. ``FileTagsError`` when a copy
    could not be written (the other is still tried first)."""
    removed = list(removed)
    problems: list[str] = []
    if not path.is_file():
        raise FileTagsError(f"{path} is not a file (any more)")
    if xattr:
        try:
            write_xattr(path, merged(read_xattr(path), tags, removed))
        except FileTagsError as error:
            problems.append(str(error))
    if sidecar:
        try:
            data = read_sidecar(path)
            current = [e.get("title") for e in data.get("tags", []) if isinstance(e, dict) and e.get("title")]
            write_sidecar(path, merged(current, tags, removed), data)
        except TagrecError as error:
            problems.append(str(error))
    if problems:
        raise FileTagsError("; ".join(problems))


# --- saving and restoring the copies as they are (undo) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedCopies:
    """One file's copies as ``save_copies`` found them, raw. ``None``: there was none. A copy that was not
    saved (not asked for, or unreadable) is not restored."""

    path: Path
    xattr_saved: bool = False
    xattr: bytes | None = None  # the attribute's value
    sidecar_saved: bool = False
    sidecar: bytes | None = None  # the sidecar file's content
    sidecar_folder: bool = True  # whether ``.ts`` was there (a restore takes away an empty one tagrec made)


def save_copies(path: Path, *, xattr: bool, sidecar: bool) -> SavedCopies:
    """``path``'s ``user.xdg.tags`` (if ``xattr``) and sidecar (if ``sidecar``) as they are now, for
    ``restore_copies``. Never raises: a copy that cannot be read is not saved (``sync`` cannot write it
    either, and says why)."""
    value: bytes | None = None
    xattr_saved = False
    if xattr and hasattr(os, "getxattr"):
        try:
            value, xattr_saved = os.getxattr(path, XATTR), True
        except OSError as error:
            xattr_saved = error.errno in _UNSET  # unset: restoring removes what a later write put there
    content: bytes | None = None
    sidecar_saved = False
    file = sidecar_path(path)
    if sidecar:
        try:
            content, sidecar_saved = file.read_bytes(), True
        except FileNotFoundError:
            sidecar_saved = True  # none: restoring removes the one a later write makes
        except OSError:  # unreadable (permissions, ``.ts`` not a folder): ``sync`` cannot change it either
            pass
    return SavedCopies(path, xattr_saved, value, sidecar_saved, content, file.parent.is_dir())


def restore_copies(saved: SavedCopies) -> None:
    """Put ``saved``'s copies back exactly as they were: the attribute's bytes (or none), the sidecar's bytes
    (or none, and no ``.ts`` folder if there was none and it is empty now). ``FileTagsError`` when a copy could
    not be put back (the other is still tried first)."""
    problems: list[str] = []
    if saved.xattr_saved:
        try:
            _put_xattr(saved.path, saved.xattr)
        except OSError as error:
            problems.append(str(_failure(saved.path, "restore the tags attribute of", error)))
    if saved.sidecar_saved:
        file = sidecar_path(saved.path)
        try:
            if saved.sidecar is None:
                file.unlink(missing_ok=True)
                if not saved.sidecar_folder:
                    with contextlib.suppress(OSError):  # not empty: other sidecars, another tool's files
                        file.parent.rmdir()
            else:
                write_bytes_atomically(file, saved.sidecar)
        except OSError as error:
            problems.append(f"cannot restore {file}: {error.strerror or error}")
        except TagrecError as error:  # from the atomic write: it names the file
            problems.append(str(error))
    if problems:
        raise FileTagsError("; ".join(problems))


def _put_xattr(path: Path, value: bytes | None) -> None:
    """Set ``user.xdg.tags`` to the raw ``value``, or remove it (``None``); an attribute already unset is fine."""
    if value is not None:
        os.setxattr(path, XATTR, value)
        return
    try:
        os.removexattr(path, XATTR)
    except OSError as error:
        if error.errno not in _UNSET:
            raise


def _failure(path: Path, doing: str, error: OSError) -> FileTagsError:
    if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
        return FileTagsError(f"cannot {doing} {path}: its file system keeps no extended attributes")
    return FileTagsError(f"cannot {doing} {path}: {error.strerror or error}")
