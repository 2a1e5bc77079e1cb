"""The user's settings file, and tags written where other tools see them (real files, real attributes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tagrec_core.documents import in_hidden_folder
from tagrec_core.errors import InputError, TagrecError
from tagrec_core.file_tags import FileTagsError, read_sidecar, read_xattr, sidecar_path, sync
from tagrec_core.settings import Settings, load_settings, save_settings

# --- settings -------------------------------------------------------------------------------------------------


def test_settings_default_round_trip_and_keep_unknown_keys(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == (Settings(), None)
    chosen = Settings(user="小明", port=24600, language="zh_CN", write_sidecar=True, min_score=0.1)
    save_settings(chosen, tmp_path)
    assert load_settings(tmp_path) == (chosen, None)

    data = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    data["from_a_newer_tagrec"] = {"x": 1}
    (tmp_path / "settings.json").write_text(json.dumps(data), encoding="utf-8")
    loaded, problem = load_settings(tmp_path)
    assert problem is None and loaded == chosen
    save_settings(loaded.with_changes(port=None), tmp_path)
    again = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert again["from_a_newer_tagrec"] == {"x": 1} and again["port"] is None


@pytest.mark.parametrize(
    "text",
    ["{not json", "[1, 2]", '{"port": "24519"}', '{"port": 70000}', '{"user": ""}', '{"language": "fr"}',
     '{"write_xattr": "yes"}', '{"port": true}', '{"min_score": "0.1"}', '{"min_score": 2}',
     '{"min_score": true}', '{"min_score": NaN}', "\xff\xfe", "[" * 100_000 + "]" * 100_000,
     '{"user": "a\\ud800b"}', '{"user": "evil\\u202eexe"}', '{"user": "a\\u0085b"}',
     '{"port": ' + "9" * 5_000 + "}"],
)  # fmt: skip
def test_a_bad_settings_file_gives_the_defaults_says_why_and_stays(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff\xfe" else b"\xff\xfe\x00")
    before = path.read_bytes()
    settings, problem = load_settings(tmp_path)
    assert settings == Settings() and problem and str(path) in problem
    assert path.read_bytes() == before  # loading never rewrites the user's file


def test_a_settings_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("\ufeff" + '{"port": 25013}', encoding="utf-8")  # as Notepad saves
    assert load_settings(tmp_path) == (Settings(port=25013), None)


def test_saving_settings_into_a_home_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "a-file"
    home.write_text("", encoding="utf-8")
    with pytest.raises(TagrecError, match=r"cannot write .*settings\.json"):
        save_settings(Settings(), home)


def test_a_blank_home_is_no_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tagrec_core.home import HOME_ENV, resolve_home

    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    assert resolve_home("  ") == tmp_path  # not a folder named two spaces
    monkeypatch.setenv(HOME_ENV, "   ")
    assert resolve_home() != Path("   ") and resolve_home().is_absolute()


def test_a_port_variable_of_other_digits_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from extension_bridge.server import PORT_ENV, resolve_port

    for raw in ("²", "٢٥٠٠٣"):
        monkeypatch.setenv(PORT_ENV, raw)
        with pytest.raises(TagrecError, match="must be a port number"):
            resolve_port()


def test_the_bridge_says_when_it_cannot_use_the_settings_port(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extension_bridge.server import DEFAULT_PORT, PORT_ENV, resolve_port

    (tmp_path / "settings.json").write_text('{"port": "25012"}', encoding="utf-8")  # a string: not valid
    monkeypatch.delenv(PORT_ENV, raising=False)
    with caplog.at_level("WARNING", logger="tagrec.bridge"):
        assert resolve_port(None, tmp_path) == DEFAULT_PORT
    assert "settings.json" in caplog.text and "using the defaults" in caplog.text


def test_invalid_settings_are_refused_with_a_clear_message() -> None:
    with pytest.raises(InputError, match="port"):
        Settings(port=0)
    with pytest.raises(InputError, match="user name"):
        Settings(user="a\x00b")
    for bad in (-0.01, 1.01, float("nan"), True):
        with pytest.raises(InputError, match="lowest score"):
            Settings(min_score=bad)
    assert Settings(user="  anna ").user == "anna"


# --- tags where other tools see them ----------------------------------------------------------------------------


def test_xattr_gets_the_tags_and_keeps_what_other_tools_put_there(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("pandas merge", encoding="utf-8")
    os.setxattr(note, "user.xdg.tags", b"from-dolphin")
    sync(note, ["python", "数据"], xattr=True, sidecar=False)
    assert read_xattr(note) == ["from-dolphin", "python", "数据"]
    sync(note, ["pandas"], removed=["python", "数据"], xattr=True, sidecar=False)
    assert read_xattr(note) == ["from-dolphin", "pandas"]
    assert note.read_text(encoding="utf-8") == "pandas merge"  # the content is never touched
    assert not sidecar_path(note).exists()


def test_sidecar_is_tagspaces_format_and_keeps_other_fields(tmp_path: Path) -> None:
    note = tmp_path / "paper.pdf"
    note.write_bytes(b"%PDF-1.4")
    sidecar = sidecar_path(note)
    assert sidecar == tmp_path / ".ts" / "paper.pdf.json"
    sidecar.parent.mkdir()
    sidecar.write_text(json.dumps({"description": "# 读书笔记", "appName": "TagSpaces",
                                   "tags": [{"title": "todo", "type": "sidecar", "style": "color: red"}]}),
                       encoding="utf-8")  # fmt: skip
    sync(note, ["machine-learning", "todo"], xattr=False, sidecar=True)
    data = read_sidecar(note)
    assert data["description"] == "# 读书笔记" and data["appName"] == "TagSpaces"
    assert data["tags"] == [
        {"title": "todo", "type": "sidecar", "style": "color: red"},
        {"title": "machine-learning", "type": "sidecar"},
    ]
    assert data["lastUpdated"].endswith("Z")
    sync(note, [], removed=["machine-learning", "todo"], xattr=False, sidecar=True)
    assert read_sidecar(note)["tags"] == [] and read_sidecar(note)["description"] == "# 读书笔记"


def test_a_sidecar_only_tagrec_wrote_goes_away_with_its_last_tag(tmp_path: Path) -> None:
    note = tmp_path / "a.txt"
    note.write_text("x", encoding="utf-8")
    sync(note, ["python"], xattr=False, sidecar=True)
    assert read_sidecar(note)["tags"] == [{"title": "python", "type": "sidecar"}]
    sync(note, [], removed=["python"], xattr=False, sidecar=True)
    assert not sidecar_path(note).exists()


def test_a_broken_sidecar_is_left_alone_and_the_attribute_still_written(tmp_path: Path) -> None:
    note = tmp_path / "a.txt"
    note.write_text("x", encoding="utf-8")
    sidecar_path(note).parent.mkdir()
    sidecar_path(note).write_text("{broken", encoding="utf-8")
    with pytest.raises(FileTagsError, match="left as it is"):
        sync(note, ["python"], xattr=True, sidecar=True)
    assert sidecar_path(note).read_text(encoding="utf-8") == "{broken"
    assert read_xattr(note) == ["python"]


def test_a_vanished_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileTagsError, match="not a file"):
        sync(tmp_path / "gone.md", ["python"], xattr=True, sidecar=True)
    assert not (tmp_path / ".ts").exists()


def test_hidden_folders_below_a_watched_folder(tmp_path: Path) -> None:
    assert in_hidden_folder(tmp_path / ".ts" / "a.md.json", tmp_path)
    assert in_hidden_folder(tmp_path / "sub" / ".git" / "objects" / "ab", tmp_path)
    assert not in_hidden_folder(tmp_path / "sub" / "a.md", tmp_path)
    assert not in_hidden_folder(tmp_path / ".hidden-file", tmp_path)  # a hidden *file*: is_document's business
    assert not in_hidden_folder(Path("/elsewhere/.x/a"), tmp_path)
