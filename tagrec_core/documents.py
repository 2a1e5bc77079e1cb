"""Files as documents to tag: the text worth suggesting from, read by file type.

Plain text, Markdown, reStructuredText, HTML and source code are read as text; PDF through pypdf; .docx from
its XML (no extra library); anything else by its name and folder. Reading is bounded (``MAX_BYTES`` read,
``MAX_CHARS`` kept) and never raises for a file's content: an unreadable file becomes a name-only document,
with ``problem`` saying why. Temporary and partial files (editor swap files, downloads in progress, Office
lock files) are not documents at all (``is_document``).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_BYTES", "MAX_CHARS", "Document", "is_document", "read_document"]

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


def read_document(path: Path) -> Document:
    """The document of ``path``; name-only (with ``problem``) when its content cannot be read."""
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


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES)


def _text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ValueError("binary content")
    return data.decode("utf-8", errors="replace")[:MAX_CHARS]


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    parts: list[str] = []
    size = 0
    for page in reader.pages[:50]:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size >= MAX_CHARS:
            break
    return "\n".join(parts)[:MAX_CHARS]


def _docx(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("word/document.xml")[:MAX_BYTES].decode("utf-8", errors="replace")
    paragraphs = _DOCX_PARAGRAPH.split(xml)
    text = "\n".join("".join(_DOCX_TEXT.findall(p)) for p in paragraphs)
    return text.strip()[:MAX_CHARS]
