"""Files as documents to tag: the text worth suggesting from, read by file type.

Plain text, Markdown, reStructuredText, HTML and source code are read as text; PDF through pypdf; .docx from
its XML (no extra library); anything else by its name and folder. Reading is bounded (``MAX_BYTES`` read,
``MAX_CHARS`` kept) and never raises for a file's content: an unreadable file becomes a name-only document,
with ``problem`` saying why. Only regular files are opened: a named pipe would block the reader forever and
opening a device can have effects, so they (and sockets) become name-only documents too (``not_regular``).
Temporary and partial files (editor swap files, downloads in progress, Office lock files) are not documents
at all (``is_document``).
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["MAX_BYTES", "MAX_CHARS", "Document", "NotRegularFile", "is_document", "not_regular", "read_document"]

MAX_BYTES = 4_000_000  # read at most this much of a file
MAX_CHARS = 20_000  # keep at most this much text
TEXT_SUFFIXES = {
    ".txt", ".md", ".markdown", ".rst", ".org", ".tex", ".csv", ".tsv", ".json", ".yaml", ".yml", ".toml", ".ini",
    ".py", ".js", ".ts", ".java", ".c", ".h", ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".sh", ".sql",
    ".r", ".kt", ".swift", ".scala", ".m", ".lua", ".pl",
}  # fmt: skip
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_TEMPORARY = re.compile(
    r"(^~\$|^\.~lock\.|^#.*#$|~$|\.(swp|swo|tmp|temp|part|partial|crdownload|download|lock)$)", re.IGNORECASE
)
_TAGS = re.compile(r"<[^>]{0,2000}>")
_DOCX_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
_DOCX_PARAGRAPH = re.compile(r"</w:p>")


class NotRegularFile(OSError):
    """A path that is a named pipe, socket, device or folder where a file's content was to be read."""


@dataclass(frozen=True, slots=True)
class Document:
    """What a file says: ``title`` (its name, readable) and ``body`` (its text, possibly empty)."""

    path: Path
    title: str
    body: str
    kind: str  # "text", "html", "pdf", "docx" or "name"
    problem: str = ""


def is_document(path: Path) -> bool:
    """False for hidden, temporary and partial files, which are never indexed."""
    name = path.name
    return bool(name) and not name.startswith(".") and not _TEMPORARY.search(name)


def in_hidden_folder(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in a hidden folder below ``folder`` (``.git``, TagSpaces' ``.ts``), which a scan
    never enters; a path outside ``folder`` is not."""
    try:
        parts = path.relative_to(folder).parts[:-1]
    except ValueError:
        return False
    return any(part.startswith(".") for part in parts)


def not_regular(mode: int) -> str:
    """Why a file of ``mode`` (``st_mode``) must not be read, e.g. ``"not a regular file (a named pipe)"``;
    ``""`` for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    kinds = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder"))  # fmt: skip
    kind = next((name for test, name in kinds if test(mode)), "of an unknown kind")
    return f"not a regular file ({kind})"


def read_document(path: Path) -> Document:
    """The document of ``path``; name-only (with ``problem``) when its content cannot be read, or when ``path``
    is not a regular file (it is then never opened, so a named pipe cannot block the caller)."""
    title = _title(path)
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            return Document(path, title, _text(_head(path)), "text")
        if suffix in HTML_SUFFIXES:
            return Document(path, title, _TAGS.sub(" ", _text(_head(path)))[:MAX_CHARS], "html")
        if suffix == ".pdf":
            return Document(path, title, _pdf(path), "pdf")
        if suffix == ".docx":
            return Document(path, title, _docx(path), "docx")
    except NotRegularFile as error:
        return Document(path, title, "", "name", str(error))
    except (OSError, ValueError, zipfile.BadZipFile, KeyError) as error:
        return Document(path, title, "", "name", f"{type(error).__name__}: {error}"[:200])
    except Exception as error:  # a broken PDF can fail anywhere in its parser; the file is still a document
        return Document(path, title, "", "name", f"{type(error).__name__}: {error}"[:200])
    return Document(path, title, _folders(path), "name")


def _title(path: Path) -> str:
    """The file name as words: ``tax_return-2025.final.pdf`` → ``tax return 2025 final``."""
    return re.sub(r"[_\-.]+", " ", path.stem).strip()


def _folders(path: Path) -> str:
    """For a file whose content is not read: its two parent folders, as words."""
    return " ".join(re.sub(r"[_\-.]+", " ", part) for part in path.parts[-3:-1])


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading, or ``NotRegularFile`` (an ``OSError``) when it is not a regular file.

    Checked twice: ``stat`` before opening, so a device is never opened (opening one can have effects) and a
    named pipe never blocks the open; then ``fstat`` on what was opened (non-blocking), in case the path was
    replaced in between. Symbolic links are followed, like every other read of a document."""
    problem = not_regular(os.stat(path).st_mode)
    if problem:
        raise NotRegularFile(problem)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        problem = not_regular(os.fstat(fd).st_mode)
        if problem:
            raise NotRegularFile(problem)
        return os.fdopen(fd, "rb")  # O_NONBLOCK changes nothing for a regular file's reads
    except BaseException:
        os.close(fd)
        raise


def _head(path: Path) -> bytes:
    with _open_regular(path) as handle:
        return handle.read(MAX_BYTES)


def _text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ValueError("binary content")
    return data.decode("utf-8", errors="replace")[:MAX_CHARS]


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    parts: list[str] = []
    size = 0
    with _open_regular(path) as handle:  # pypdf reads pages lazily: extract while the file is open
        for page in PdfReader(handle).pages[:50]:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size >= MAX_CHARS:
                break
    return "\n".join(parts)[:MAX_CHARS]


def _docx(path: Path) -> str:
    with _open_regular(path) as handle, zipfile.ZipFile(handle) as archive:
        xml = archive.read("word/document.xml")[:MAX_BYTES].decode("utf-8", errors="replace")
    paragraphs = _DOCX_PARAGRAPH.split(xml)
    text = "\n".join("".join(_DOCX_TEXT.findall(p)) for p in paragraphs)
    return text.strip()[:MAX_CHARS]
