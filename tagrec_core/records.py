"""Reading posts and tag lists from files, and checking text typed by a user.

Every problem a person can cause (missing file, binary file, malformed line, text too large) becomes a
``DataError`` (for files: with the file and the 1-based line) or an ``InputError`` (for typed text), whose
``str()`` is a complete message for a person. Nothing here prints or exits.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tagrec_core.errors import DataError, InputError

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_TEXT_BYTES",
    "Record",
    "check_text",
    "read_numbered_records",
    "read_records",
    "read_tag_list",
    "read_text_input",
    "read_text_stream",
    "skip_rest_of_line",
]

# A line longer than this is corrupt (or not a JSON Lines file at all); reading it whole could exhaust
# memory, so it is refused with its line number instead.
MAX_LINE_BYTES = 16 * 1024 * 1024
# Text typed or piped into `suggest` (and the HTTP API); posts are a few kB, a book is a mistake.
MAX_TEXT_BYTES = 1_000_000

_JSON_SUFFIXES = (".jsonl", ".json")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_EXCERPT_CHARS = 60
# Control characters other than tab, newline and carriage return; "\ufffd" is what binary data decoded
# with errors="replace" turns into, so it counts as a sign of binary data too.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
# Share of control characters above which typed text is treated as binary rather than as text.
_BINARY_CONTROL_SHARE = 0.3
_BINARY_SAMPLE_CHARS = 8192
# Half of a UTF-16 surrogate pair on its own: JSON's "\ud800" decodes to one, and Python turns each byte of an
# argument that is not UTF-8 into one (surrogateescape). No UTF-8 text holds them; the tokenizer and SQLite
# cannot encode them.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
MAX_LISTED_TAG_CHARS = 100  # as the profile's tags (tagrec_core.profile.feedback.MAX_TAG_CHARS)
_COUNT_AFTER_SEPARATOR = re.compile(r"[,;]\s*\d+$")


@dataclass(frozen=True, slots=True)
class Record:
    """One post: what a person wrote and the tags they chose (in their order, unique, non-empty)."""

    id: str
    title: str
    body: str
    tags: tuple[str, ...]
    lang: str | None = None
    user: str | None = None
    created: str | None = None
    source: str | None = None

    @property
    def text(self) -> str:
        """Title and body joined by a newline; either may be empty (then no newline is added)."""
        return post_text(self.title, self.body)


def post_text(title: str, body: str) -> str:
    """The one way a post's title and body become its text, for training and suggestion alike."""
    if not title:
        return body
    if not body:
        return title
    return f"{title}\n{body}"


# --- reading files --------------------------------------------------------------------------------


def read_records(
    path: str | Path,
    *,
    require_tags: bool = True,
    skip_bad: bool = False,
    on_skip: Callable[[DataError], None] | None = None,
    user_field: str = "user",
) -> list[Record]:
    """The records of ``read_numbered_records``, without their line numbers."""
    numbered = read_numbered_records(
        path, require_tags=require_tags, skip_bad=skip_bad, on_skip=on_skip, user_field=user_field
    )
    return [record for _, record in numbered]


def read_numbered_records(
    path: str | Path,
    *,
    require_tags: bool = True,
    skip_bad: bool = False,
    on_skip: Callable[[DataError], None] | None = None,
    user_field: str = "user",
) -> list[tuple[int, Record]]:
    """Read posts from a JSON Lines file, or from a plain-text file with one post per line; each comes with
    the 1-based number of its line (for messages about a record found bad later).

    The file is JSON Lines if its name ends in ``.jsonl``/``.json`` or its first non-blank line starts
    with ``{``; otherwise it is plain text: each non-blank line is one record (``id`` = line number,
    ``title`` = the line stripped, no tags). JSON records have ``id``, ``title``, ``body``, ``tags`` and
    optionally ``user`` (read from the field ``user_field``), ``created``, ``lang``, ``source``; other fields
    are ignored. A numeric ``id``
    becomes a string; a missing one becomes ``"<file name>:<line>"``; a missing (or null) title/body is
    ``""``; tags are stripped, empty ones dropped and duplicates removed keeping the first (case is kept).

    Raises ``DataError`` (naming the file and, where there is one, the 1-based line) for: a missing,
    unreadable or directory path; binary content (NUL bytes, UTF-16, invalid UTF-8); a line longer than
    ``MAX_LINE_BYTES``; malformed JSON; a record that is not an object or has fields of the wrong type;
    a record with neither title nor body text; a record without tags when ``require_tags``; and a file
    with no usable record. A plain-text file with ``require_tags`` is an error at once (it has no tags).

    With ``skip_bad``, a bad *line* is passed to ``on_skip`` (if given) and skipped instead of raising;
    problems with the whole file (missing, unreadable, binary from the first line, no usable records)
    still raise. Blank lines and a UTF-8 byte order mark are ignored. The file is read line by line.
    """
    path = Path(path)
    records: list[tuple[int, Record]] = []
    skipped = 0
    # JSON Lines or plain text: known from the name, or else from the first non-blank line.
    plain: bool | None = False if path.name.lower().endswith(_JSON_SUFFIXES) else None
    for number, line in _iter_lines(path):
        try:
            if isinstance(line, DataError):
                raise line
            if not line.strip():
                continue
            if plain is None:
                plain = not line.lstrip().startswith("{")
                if plain and require_tags:
                    raise DataError(
                        "This looks like a plain-text file (one post per line), which has no tags; "
                        "training needs a JSON Lines file with a list of tags on every line.",
                        str(path),
                    )
            if plain:
                records.append((number, Record(id=str(number), title=line.strip(), body="", tags=())))
            else:
                record = _parse_json_record(line, path, number, require_tags=require_tags, user_field=user_field)
                records.append((number, record))
        except DataError as error:
            if not skip_bad or error.line is None:
                raise
            skipped += 1
            if on_skip is not None:
                on_skip(error)
    if not records:
        why = f"all {skipped} non-blank lines were bad and skipped" if skipped else "the file is empty"
        raise DataError(f"There are no usable records in {path.name} ({why}).", str(path))
    return records


def read_tag_list(path: str | Path) -> dict[str, int]:
    """Read a ``tag<TAB>count`` list (e.g. a site's public tag list) into ``{tag: count}``, in file order.

    A first line ``tag<TAB>count`` is a header and is skipped; a line with only a tag counts 1; blank
    lines are ignored; tags are stripped; a tag listed twice gets the sum of its counts. Raises
    ``DataError`` naming the file and line for the same file problems as ``read_records``, for a line
    with more than two columns, an empty tag or a count that is not a whole number >= 0, and for a file
    with no tags.
    """
    path = Path(path)
    tags: dict[str, int] = {}
    for number, line in _iter_lines(path):
        if isinstance(line, DataError):
            raise line
        if not line.strip():
            continue
        columns = line.split("\t")
        if number == 1 and [c.strip().lower() for c in columns] == ["tag", "count"]:
            continue
        if len(columns) > 2:
            raise DataError(
                f"Expected 'tag<TAB>count' but found {len(columns)} tab-separated columns.", str(path), number
            )
        tag = columns[0].strip()
        if not tag:
            raise DataError("The tag is empty.", str(path), number)
        _check_listed_tag(tag, len(columns), path, number)
        count = _parse_count(columns[1] if len(columns) == 2 else "1", path, number)
        tags[tag] = tags.get(tag, 0) + count
    if not tags:
        raise DataError(f"There are no tags in {path.name} (the file is empty).", str(path))
    return tags


def _check_listed_tag(tag: str, columns: int, path: Path, number: int) -> None:
    """Refuse a tag no tag list holds: one of more than ``MAX_LISTED_TAG_CHARS`` characters or with control
    characters, or, alone on its line, one that ends in a count after a comma or semicolon (a
    comma-separated list read as tab-separated would make every line one tag, ``baking,10``)."""
    if len(tag) > MAX_LISTED_TAG_CHARS:
        raise DataError(
            f"The tag is {len(tag):,} characters long; a tag has at most {MAX_LISTED_TAG_CHARS}.", str(path), number
        )
    if _CONTROL_RE.search(tag) or "\x00" in tag:
        raise DataError("The tag contains control characters.", str(path), number)
    if columns == 1 and _COUNT_AFTER_SEPARATOR.search(tag):
        raise DataError(
            f"{tag[:60]!r} looks like a tag and its count; the list is tab-separated: 'tag<TAB>count'.",
            str(path),
            number,
        )


def _parse_count(text: str, path: Path, number: int) -> int:
    """Parse a tag count: a whole number >= 0 (an empty count column counts 1, like a missing one)."""
    text = text.strip()
    if not text:
        return 1
    if not text.isdigit() or not text.isascii():
        raise DataError(f"The count {_excerpt(text)!r} is not a whole number >= 0.", str(path), number)
    return int(text)


def _iter_lines(path: Path) -> Iterator[tuple[int, str | DataError]]:
    """Yield ``(1-based line number, line without its end-of-line)`` for each line of ``path``.

    A line that cannot be text (NUL bytes, invalid UTF-8, longer than ``MAX_LINE_BYTES``) is yielded as
    a ``DataError`` instead, so the caller decides whether to skip it. Problems with the whole file are
    raised: missing, a directory, unreadable, UTF-16, or binary (NUL bytes) from its first line.
    """
    with _open_binary(path) as handle:
        number = 0
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
            except OSError as error:
                raise DataError(f"The file could not be read: {_reason(error)}.", str(path), number + 1) from None
            if not raw:
                return
            number += 1
            if number == 1 and raw.startswith(_UTF16_BOMS):
                raise DataError(
                    "The file is UTF-16 encoded; tagrec reads UTF-8. Save it as UTF-8 and try again.",
                    str(path),
                )
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                skip_rest_of_line(handle)
                yield (
                    number,
                    DataError(
                        f"The line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB; "
                        "the file is corrupt or not one record per line.",
                        str(path),
                        number,
                    ),
                )
                continue
            yield number, _decode_line(raw, path, number)


def _open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, turning OS errors into a ``DataError`` for a person."""
    if path.is_dir():
        raise DataError("This is a folder, not a file; give the path of a data file.", str(path))
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise DataError("The file does not exist.", str(path)) from None
    except PermissionError:
        raise DataError("The file cannot be read: permission denied.", str(path)) from None
    except OSError as error:
        raise DataError(f"The file cannot be opened: {_reason(error)}.", str(path)) from None


def skip_rest_of_line(handle: IO[bytes]) -> None:
    """Consume the remainder of an over-long line in bounded chunks (never holding it in memory)."""
    while True:
        chunk = handle.readline(1024 * 1024)
        if not chunk or chunk.endswith(b"\n"):
            return


def _decode_line(raw: bytes, path: Path, number: int) -> str | DataError:
    """Decode one line as UTF-8 (BOM on line 1 allowed), or describe why it is not text."""
    if b"\x00" in raw:
        error = DataError("The line contains NUL bytes: this is binary data, not a text file.", str(path), number)
        if number == 1:
            raise error  # a binary file: one message, not one skipped line per chunk of it
        return error
    try:
        line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        return DataError(
            f"The line is not valid UTF-8 text (byte 0x{raw[error.start]:02x} at byte {error.start + 1} "
            "of the line); save the file as UTF-8.",
            str(path),
            number,
        )
    return line.rstrip("\r\n")


def _reason(error: OSError) -> str:
    """The operating system's reason, in words (``strerror``), lower-cased like the rest of a sentence."""
    reason = error.strerror or type(error).__name__
    return reason[:1].lower() + reason[1:]


# --- JSON records ---------------------------------------------------------------------------------


def _parse_json_record(line: str, path: Path, number: int, *, require_tags: bool, user_field: str = "user") -> Record:
    """Turn one JSON Lines line into a ``Record`` or raise a ``DataError`` saying what is wrong."""
    where = (str(path), number)
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        near = _excerpt(line[max(0, error.pos - 20) : error.pos + 20])
        raise DataError(
            f"The line is not valid JSON: {error.msg} at column {error.colno} (near {near!r}).", *where
        ) from None
    except RecursionError:
        raise DataError("The line is not usable JSON: it is nested too deeply.", *where) from None
    if not isinstance(data, dict):
        hint = " (a JSON array: tagrec reads JSON Lines, one object per line)" if isinstance(data, list) else ""
        raise DataError(f"The record is a JSON {_json_type(data)}{hint}, not an object.", *where)
    title = _text_field(data, "title", where)
    body = _text_field(data, "body", where)
    if not title.strip() and not body.strip():
        raise DataError("The record has neither title nor body text.", *where)
    tags = _tags_field(data.get("tags"), where)
    if require_tags and not tags:
        raise DataError("The record has no tags; every training record needs at least one.", *where)
    return Record(
        id=_id_field(data.get("id"), path, number),
        title=title,
        body=body,
        tags=tags,
        lang=_optional_field(data, "lang", where),
        user=_optional_field(data, user_field, where),
        created=_optional_field(data, "created", where),
        source=_optional_field(data, "source", where),
    )


def _id_field(value: Any, path: Path, number: int) -> str:
    """A string or number id as a string; missing/null/empty ids become ``"<file name>:<line>"``."""
    if value is None or value == "":
        return f"{path.name}:{number}"
    if isinstance(value, str):
        return _unicode(value, "The id", (str(path), number))
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    raise DataError(f"The id must be a string or a number, not a JSON {_json_type(value)}.", str(path), number)


def _text_field(data: dict[str, Any], name: str, where: tuple[str, int]) -> str:
    """A string field that may be missing or null (then ``""``)."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataError(f"The {name} must be a string, not a JSON {_json_type(value)}.", *where)
    return _unicode(value, f"The {name}", where)


def _unicode(value: str, what: str, where: tuple[str, int]) -> str:
    """``value`` if it is valid Unicode text; a lone surrogate (JSON ``"\\ud800"``) is a ``DataError``."""
    if _SURROGATE_RE.search(value):
        raise DataError(f"{what} holds a lone UTF-16 surrogate (such as \\ud800), which is not text.", *where)
    return value


def _optional_field(data: dict[str, Any], name: str, where: tuple[str, int]) -> str | None:
    """An optional string field; numbers (e.g. numeric user ids) become strings, missing/null is None."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return _unicode(value, f"The {name}", where)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise DataError(f"The {name} must be a string, not a JSON {_json_type(value)}.", *where)


def _tags_field(value: Any, where: tuple[str, int]) -> tuple[str, ...]:
    """Tags as a tuple: a list of strings, stripped, empty ones dropped, duplicates removed (first kept)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise DataError(f"The tags must be a list of strings, not a JSON {_json_type(value)}.", *where)
    tags: dict[str, None] = {}  # a dict keeps insertion order: ordered de-duplication
    for index, tag in enumerate(value, start=1):
        if not isinstance(tag, str):
            raise DataError(f"The tags must be a list of strings, but tag {index} is a JSON {_json_type(tag)}.", *where)
        tag = _unicode(tag, f"Tag {index}", where).strip()
        if tag:
            tags[tag] = None
    return tuple(tags)


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages ("list" means nothing to a JSON author)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _excerpt(text: str) -> str:
    """``text`` shortened to a readable excerpt for a message."""
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 1] + "…"


# --- text typed by a user ---------------------------------------------------------------------------


def check_text(text: str, *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Return ``text`` unchanged if it can be tagged; otherwise raise ``InputError`` saying why.

    Refused: empty or whitespace-only text; text with a lone surrogate (not Unicode; how a non-UTF-8 command-line
    argument arrives); text whose UTF-8 encoding is over ``max_bytes`` (the message
    gives its size and the limit in MB); text that looks binary (a NUL character, or more than 30% control
    characters in its first 8192 characters). Nothing is stripped or normalised here.
    """
    if not text.strip():
        raise InputError("The text is empty; give the title or the post to suggest tags for.")
    if found := _SURROGATE_RE.search(text):
        raise InputError(f"The text is not valid Unicode: {_describe_surrogate(found.group())}.")
    # Each character is 1-4 bytes in UTF-8: encode only when the length alone does not decide.
    if len(text) > max_bytes or (len(text) * 4 > max_bytes and len(text.encode("utf-8")) > max_bytes):
        size = len(text.encode("utf-8"))
        raise InputError(
            f"The text is {_megabytes(size, max_bytes)}, over the limit of {_megabytes(max_bytes, size)}; "
            "give the title and the first paragraphs instead."
        )
    if "\x00" in text:
        raise InputError("The text contains NUL characters; it looks like binary data, not text.")
    sample = text[:_BINARY_SAMPLE_CHARS]
    if len(_CONTROL_RE.findall(sample)) > _BINARY_CONTROL_SHARE * len(sample):
        raise InputError("The text is mostly control characters; it looks like binary data, not text.")
    return text


def _describe_surrogate(char: str) -> str:
    """What a lone surrogate in text came from, for a message."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: an argument byte that is not UTF-8
        return f"it holds the byte 0x{code - 0xDC00:02x}, which is not UTF-8 (set the terminal to UTF-8)"
    return f"it holds a lone UTF-16 surrogate (\\u{code:04x})"


def read_text_stream(stream: IO[bytes], source: str) -> str:
    """Read a text for ``suggest`` from ``stream`` (stdin), never more than the limit and a few bytes, and
    ``read_text_input`` it: ``cat huge.iso | tagrec suggest`` is refused without reading the whole of it."""
    data = stream.read(MAX_TEXT_BYTES + 4)
    if len(data) > MAX_TEXT_BYTES + 3:
        raise InputError(
            f"{source}: The text is over the limit of {_megabytes(MAX_TEXT_BYTES, 0)}; give the title and the"
            " first paragraphs instead."
        )
    return read_text_input(data, source)


def read_text_input(data: bytes, source: str) -> str:
    """Decode bytes read for ``suggest`` (from stdin or a file named ``source``) and ``check_text`` them.

    UTF-8 with or without a byte order mark. Raises ``InputError`` naming ``source`` for binary data
    (NUL bytes, UTF-16, invalid UTF-8) and for everything ``check_text`` refuses. Over-large input is
    refused before it is decoded.
    """
    if len(data) > MAX_TEXT_BYTES + 3:  # + 3: a byte order mark does not count
        raise InputError(
            f"{source}: The text is {_megabytes(len(data), MAX_TEXT_BYTES)}, over the limit of "
            f"{_megabytes(MAX_TEXT_BYTES, len(data))}; give the title and the first paragraphs instead."
        )
    if data.startswith(_UTF16_BOMS):
        raise InputError(f"{source} is UTF-16 encoded; tagrec reads UTF-8. Save it as UTF-8 and try again.")
    if b"\x00" in data:
        raise InputError(f"{source} contains NUL bytes; it is binary data (not text) and cannot be tagged.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{source} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "if it is a document such as a PDF, export it as plain text first."
        ) from None
    try:
        return check_text(text)
    except InputError as error:
        raise InputError(f"{source}: {error}") from None


def _megabytes(size: int, other: int) -> str:
    """``size`` in MB (10^6 bytes) with one decimal, or in bytes when that would look equal to ``other``."""
    shown, other_shown = f"{size / 1e6:.1f} MB", f"{other / 1e6:.1f} MB"
    return shown if shown != other_shown else f"{size:,} bytes"
