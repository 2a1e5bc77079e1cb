"""Tests of tagrec_core.records on real files in tmp_path."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tagrec_core import records
from tagrec_core.errors import DataError, InputError, TagrecError
from tagrec_core.records import (
    MAX_TEXT_BYTES,
    Record,
    check_text,
    read_records,
    read_tag_list,
    read_text_input,
)

GOOD = {"id": "a1", "title": "How to sort a list?", "body": "", "tags": ["python", "sorting"]}


def write_lines(path: Path, *lines: str | dict) -> Path:
    """Write JSON Lines (dicts are dumped, strings written as they are) and return the path."""
    text = "\n".join(json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


# --- Record ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "text"),
    [("t", "b", "t\nb"), ("t", "", "t"), ("", "b", "b"), ("", "", "")],
)
def test_record_text(title: str, body: str, text: str) -> None:
    assert Record(id="1", title=title, body=body, tags=()).text == text


def test_record_is_frozen() -> None:
    record = Record(id="1", title="t", body="", tags=("x",))
    with pytest.raises(AttributeError):
        record.title = "u"  # type: ignore[misc]


# --- read_records: good input ------------------------------------------------------------------


def test_reads_all_fields_and_ignores_unknown_ones(tmp_path: Path) -> None:
    full = {**GOOD, "user": "1512", "created": "2009-01-01T02:26:00", "lang": "en", "source": "so", "x": [1]}
    path = write_lines(tmp_path / "train.jsonl", full, {"id": "a2", "title": "", "body": "正文", "tags": ["中文"]})
    got = read_records(path)
    assert got == [
        Record("a1", "How to sort a list?", "", ("python", "sorting"), "en", "1512", "2009-01-01T02:26:00", "so"),
        Record("a2", "", "正文", ("中文",)),
    ]


def test_the_user_can_come_from_another_field_whatever_the_ids(tmp_path: Path) -> None:
    """``predict --user-field author``: each record's own author, even where ids repeat or are missing."""
    path = write_lines(
        tmp_path / "d.jsonl",
        {**GOOD, "id": "same", "author": "ann", "user": "not this"},
        {**GOOD, "id": "same", "author": "bob"},
        {"title": "no id", "author": 12},
        {"title": "no author"},
    )
    got = read_records(path, require_tags=False, user_field="author")
    assert [r.user for r in got] == ["ann", "bob", "12", None]
    with pytest.raises(DataError, match="The author must be a string"):
        read_records(write_lines(tmp_path / "e.jsonl", {**GOOD, "author": ["x"]}), user_field="author")


def test_numeric_and_missing_ids(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "d.jsonl",
        {**GOOD, "id": 42},
        "",
        {"title": "no id here", "tags": ["x"]},
        {**GOOD, "id": None, "user": 7},
    )
    got = read_records(path)
    assert [r.id for r in got] == ["42", "d.jsonl:3", "d.jsonl:4"]
    assert got[1].body == ""
    assert got[2].user == "7"


def test_tags_are_stripped_deduplicated_in_order(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "d.jsonl", {**GOOD, "tags": [" b ", "a", "", "  ", "b", "a", "C", "c"]})
    assert read_records(path)[0].tags == ("b", "a", "C", "c")


def test_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\r\n\r\n   \r\n" + json.dumps(GOOD).encode())
    got = read_records(path)
    assert len(got) == 2
    assert got[0].tags == ("python", "sorting")


def test_json_detected_by_content_whatever_the_name(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "posts.txt", "", {**GOOD, "title": "from a .txt"})
    assert read_records(path)[0].title == "from a .txt"


def test_plain_text_file(tmp_path: Path) -> None:
    path = tmp_path / "drafts.txt"
    path.write_text("\ufeffFirst draft title\n\n  second one, with spaces  \n", encoding="utf-8")
    got = read_records(path, require_tags=False)
    assert got == [Record("1", "First draft title", "", ()), Record("3", "second one, with spaces", "", ())]


def test_plain_text_file_cannot_train(tmp_path: Path) -> None:
    path = tmp_path / "drafts.txt"
    path.write_text("a post\nanother\n", encoding="utf-8")
    with pytest.raises(DataError, match="plain-text file") as info:
        read_records(path, skip_bad=True)
    assert str(path) in str(info.value)


def test_records_without_tags_allowed_when_not_required(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "d.jsonl", {"id": 1, "title": "t"}, {"id": 2, "title": "u", "tags": []})
    assert [r.tags for r in read_records(path, require_tags=False)] == [(), ()]


# --- read_records: errors ------------------------------------------------------------------------

# (name, lines written to the file, 1-based line of the error, words the message must contain)
BAD_LINES = [
    ("malformed json", ['{"id": 1, "title": "x" "tags": []}'], 1, "not valid JSON"),
    ("truncated json", ['{"id": 1, "title": "x", "tags": ["a"'], 1, "not valid JSON"),
    ("not an object", ['["a", "b"]'], 1, "JSON array"),
    ("a number", ["12"], 1, "JSON number, not an object"),
    ("tags not a list", ['{"title": "t", "tags": "python"}'], 1, "tags must be a list of strings"),
    ("tag not a string", ['{"title": "t", "tags": ["a", 3]}'], 1, "tag 2 is a JSON number"),
    ("title not a string", ['{"title": ["t"], "tags": ["a"]}'], 1, "title must be a string"),
    ("body not a string", ['{"title": "t", "body": {}, "tags": ["a"]}'], 1, "body must be a string"),
    (
        "id of a wrong type",
        ['{"id": [1], "title": "t", "tags": ["a"]}'],
        1,
        "id must be a string or a number",
    ),
    ("no tags", ['{"title": "t", "tags": []}'], 1, "no tags"),
    ("only empty tags", ['{"title": "t", "tags": ["", " "]}'], 1, "no tags"),
    ("missing tags", ['{"title": "t"}'], 1, "no tags"),
    ("no text", ['{"title": " ", "body": "", "tags": ["a"]}'], 1, "neither title nor body"),
    ("user of a wrong type", ['{"title": "t", "tags": ["a"], "user": {"n": 1}}'], 1, "user must be a string"),
]


@pytest.mark.parametrize(("lines", "line", "words"), [c[1:] for c in BAD_LINES], ids=[c[0] for c in BAD_LINES])
def test_bad_line_raises_naming_file_and_line(tmp_path: Path, lines: list[str], line: int, words: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", *lines)
    with pytest.raises(DataError) as info:
        read_records(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    assert words in message
    assert info.value.path == str(path) and info.value.line == line
    assert "Traceback" not in message and "\n" not in message


@pytest.mark.parametrize(("lines", "line", "words"), [c[1:] for c in BAD_LINES], ids=[c[0] for c in BAD_LINES])
def test_skip_bad_skips_and_reports(tmp_path: Path, lines: list[str], line: int, words: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", GOOD, *lines, {**GOOD, "id": "last"})
    skipped: list[DataError] = []
    got = read_records(path, skip_bad=True, on_skip=skipped.append)
    assert [r.id for r in got] == ["a1", "last"]
    assert [e.line for e in skipped] == [line + 1]
    assert words in str(skipped[0])
    assert str(skipped[0]).startswith(f"{path}:{line + 1}: ")


def test_skip_bad_without_callback_still_skips(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "d.jsonl", "{oops", GOOD)
    assert [r.id for r in read_records(path, skip_bad=True)] == ["a1"]


@pytest.mark.parametrize("skip_bad", [False, True])
def test_nothing_usable_is_an_error_either_way(tmp_path: Path, skip_bad: bool) -> None:
    path = write_lines(tmp_path / "d.jsonl", "{oops", '{"title": "t"}')
    with pytest.raises(DataError) as info:
        read_records(path, skip_bad=skip_bad)
    if skip_bad:
        assert "no usable records in d.jsonl" in str(info.value)
        assert "2 non-blank lines were bad" in str(info.value)
    else:
        assert info.value.line == 1


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"no usable records in empty\.jsonl") as info:
        read_records(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(DataError, match="does not exist") as info:
        read_records(path)
    assert str(info.value).startswith(str(path))


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="folder, not a file") as info:
        read_records(tmp_path)
    assert str(tmp_path) in str(info.value)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "secret.jsonl", GOOD)
    path.chmod(0)
    try:
        with pytest.raises(DataError, match="permission denied") as info:
            read_records(path)
    finally:
        path.chmod(0o600)
    assert str(path) in str(info.value)


def test_permission_error_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs as root too (where chmod cannot make a file unreadable): the OS error is simulated.
    path = write_lines(tmp_path / "secret.jsonl", GOOD)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(DataError, match="cannot be read: permission denied") as info:
        read_records(path)
    assert str(info.value).startswith(str(path))


def test_binary_file_fails_even_with_skip_bad(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04\x00\x00\x00binary\n" * 50)
    skipped: list[DataError] = []
    with pytest.raises(DataError, match="NUL bytes") as info:
        read_records(path, require_tags=False, skip_bad=True, on_skip=skipped.append)
    assert info.value.line == 1
    assert skipped == []


def test_nul_byte_in_a_later_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"title": "a\x00b"}\n')
    with pytest.raises(DataError, match="NUL bytes") as info:
        read_records(path)
    assert info.value.line == 2
    skipped: list[DataError] = []
    assert len(read_records(path, skip_bad=True, on_skip=skipped.append)) == 1
    assert [e.line for e in skipped] == [2]


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + '{"title": "café", "tags": ["a"]}'.encode("latin-1"))
    with pytest.raises(DataError, match="not valid UTF-8") as info:
        read_records(path)
    assert str(info.value).startswith(f"{path}:2: ")
    assert "0xe9" in str(info.value)


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "u16.jsonl"
    path.write_bytes(json.dumps(GOOD).encode("utf-16"))
    with pytest.raises(DataError, match="UTF-16") as info:
        read_records(path)
    assert str(path) in str(info.value)


def test_overlong_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "MAX_LINE_BYTES", 100)
    path = write_lines(tmp_path / "d.jsonl", GOOD, {**GOOD, "body": "x" * 1000}, {**GOOD, "id": "after"})
    with pytest.raises(DataError, match="longer than") as info:
        read_records(path)
    assert info.value.line == 2
    skipped: list[DataError] = []
    got = read_records(path, skip_bad=True, on_skip=skipped.append)
    assert [r.id for r in got] == ["a1", "after"]
    assert [e.line for e in skipped] == [2]


def test_malformed_json_message_is_short(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "d.jsonl", '{"title": "' + "x" * 5000 + '" oops}')
    with pytest.raises(DataError, match="not valid JSON") as info:
        read_records(path)
    assert len(str(info.value)) < 300


def test_errors_share_the_root() -> None:
    assert issubclass(DataError, TagrecError) and issubclass(InputError, TagrecError)


# --- read_tag_list --------------------------------------------------------------------------------


def test_read_tag_list(tmp_path: Path) -> None:
    path = tmp_path / "tags.tsv"
    path.write_text("tag\tcount\nunited-states\t784\n\n 中文 \t3\nlonely\nunited-states\t1\n", encoding="utf-8")
    assert read_tag_list(path) == {"united-states": 785, "中文": 3, "lonely": 1}


def test_read_tag_list_without_header(tmp_path: Path) -> None:
    path = tmp_path / "tags.tsv"
    path.write_bytes(b"\xef\xbb\xbfpython\t10\r\njava\t2\r\n")
    assert list(read_tag_list(path).items()) == [("python", 10), ("java", 2)]
    path.write_text("python 3\nwindows-10\t7\n", encoding="utf-8")  # a tag may end in a number
    assert read_tag_list(path) == {"python 3": 1, "windows-10": 7}


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("tag\tcount\npython\tmany\n", 2, "not a whole number"),
        ("python\t-3\n", 1, "not a whole number"),
        ("a\t1\nb\t2\t3\n", 2, "3 tab-separated columns"),
        ("a\t1\n\t5\n", 2, "tag is empty"),
        ("baking,10\nsous-vide,3\n", 1, "looks like a tag and its count"),  # a comma-separated list
        ("a\t1\nbread; 4\n", 2, "'tag<TAB>count'"),
        ("a\t1\n" + "x" * 101 + "\t1\n", 2, "101 characters long"),
        ("a\x07b\t1\n", 1, "control characters"),
    ],
)
def test_read_tag_list_errors(tmp_path: Path, content: str, line: int, words: str) -> None:
    path = tmp_path / "tags.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_tag_list(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "no tags"), (b"tag\tcount\n", "no tags"), (b"a\t1\n\xff\xfe\n", "not valid UTF-8")],
)
def test_read_tag_list_file_errors(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "tags.tsv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=words) as info:
        read_tag_list(path)
    assert str(path) in str(info.value)


def test_read_tag_list_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_tag_list(tmp_path / "none.tsv")


# --- check_text and read_text_input -----------------------------------------------------------------

TEXT_CASES = [
    ("empty", "", "empty"),
    ("whitespace", " \n\t\u3000 ", "empty"),
    ("two megabytes", "x" * 2_000_000, "2.0 MB, over the limit of 1.0 MB"),
    ("two megabytes of chinese", "中" * 700_000, "2.1 MB, over the limit of 1.0 MB"),
    ("just over", "x" * (MAX_TEXT_BYTES + 1), "1,000,001 bytes, over the limit of 1,000,000 bytes"),
    ("nul", "abc\x00def", "binary"),
    ("control characters", "\x01\x02\x03\x04 ab" * 10, "binary"),
    ("replacement characters", "\ufffd" * 50 + "ok", "binary"),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in TEXT_CASES], ids=[c[0] for c in TEXT_CASES])
def test_check_text_refuses(text: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        check_text(text)
    assert words in str(info.value)
    assert not isinstance(info.value, DataError)


@pytest.mark.parametrize(
    "text",
    [
        "How to sort a list?",
        "今天天气真好 #话题#",
        "tab\tand\nnewlines\r\n",
        "x" * MAX_TEXT_BYTES,
        "é" * 500_000,
    ],
)
def test_check_text_accepts_unchanged(text: str) -> None:
    assert check_text(text) is text


def test_check_text_custom_limit() -> None:
    with pytest.raises(InputError, match="over the limit"):
        check_text("é" * 6, max_bytes=10)
    assert check_text("é" * 5, max_bytes=10) == "é" * 5


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("标题 and text\n".encode(), "标题 and text\n"),
        (b"\xef\xbb\xbfwith bom", "with bom"),
    ],
)
def test_read_text_input_decodes(data: bytes, expected: str) -> None:
    assert read_text_input(data, "stdin") == expected


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "draft.txt: The text is empty"),
        (b"  \n ", "draft.txt: The text is empty"),
        (b"%PDF-1.4\x00\x01\x02", "draft.txt contains NUL bytes"),
        ("text".encode("utf-16"), "draft.txt is UTF-16"),
        (b"caf\xe9 au lait", "draft.txt is not UTF-8 text (byte 0xe9 at offset 3)"),
        (b"x" * 2_000_000, "draft.txt: The text is 2.0 MB, over the limit of 1.0 MB"),
        (b"\x01\x02\x03\x04\x05" * 100, "draft.txt: The text is mostly control characters"),
    ],
)
def test_read_text_input_refuses(data: bytes, words: str) -> None:
    with pytest.raises(InputError) as info:
        read_text_input(data, "draft.txt")
    assert words in str(info.value)
