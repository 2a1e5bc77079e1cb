"""The Settings dialog and what applying it does, on the real app: a real profile, a real bridge restarted on
another port, real tags written into real files' attributes and sidecars, a real autostart entry."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt

from desktop.app import Desktop
from desktop.settings_dialog import SettingsDialog
from tagrec_core.file_tags import read_sidecar, read_xattr, sidecar_path
from tagrec_core.service import SuggestRequest
from tagrec_core.settings import Settings, load_settings, save_settings
from tests.bridge_client import Raw


@pytest.fixture
def desktop(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # autostart entries go here, not to ~
    monkeypatch.delenv("TAGREC_PORT", raising=False)
    app = Desktop(tmp_path / "home", port=0)
    qtbot.addWidget(app.window)
    app.window.show()
    assert app.service.wait(timeout=120)
    yield app
    app.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_dialog_shows_the_settings_and_refuses_a_bad_user_name(qtbot: Any) -> None:
    dialog = SettingsDialog(Settings(user="anna", port=24600, write_xattr=True), ["local", "anna"], 24519, True)
    qtbot.addWidget(dialog)
    assert dialog.user.currentText() == "anna" and dialog.port.value() == 24600
    assert dialog.write_xattr.isChecked() and not dialog.write_sidecar.isChecked() and dialog.autostart.isChecked()
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    dialog.port.setValue(24519)  # the default port is saved as "default", so a new default would apply
    assert dialog.chosen() == Settings(user="anna", port=None, language="zh_CN", write_xattr=True)
    dialog.user.setCurrentText("   ")
    dialog.show()
    dialog.accept()
    assert dialog.isVisible() and "user name" in dialog.problem.text()


def test_the_dialog_offers_the_lowest_score_shown(qtbot: Any) -> None:
    dialog = SettingsDialog(Settings(), ["local"], 24519, False)
    qtbot.addWidget(dialog)
    labels = [dialog.min_score.itemText(i) for i in range(dialog.min_score.count())]
    assert labels == ["Show all", "2%", "5%", "10%", "20%", "50%"] and dialog.min_score.currentText() == "2%"
    dialog.min_score.setCurrentIndex(dialog.min_score.findText("10%"))
    assert dialog.chosen().min_score == 0.1
    custom = SettingsDialog(Settings(min_score=0.025), ["local"], 24519, False)  # set by hand in the file
    qtbot.addWidget(custom)
    assert custom.min_score.currentText() == "2.5%" and custom.chosen().min_score == 0.025


def test_the_lowest_score_applies_to_drafts_and_files_at_once(desktop: Desktop, qtbot: Any, tmp_path: Path) -> None:
    drafting, view = desktop.drafting, desktop.folders
    drafting.title.setText("How do I merge two dictionaries in Python?")
    qtbot.waitUntil(lambda: len(drafting.chips.tags()) > 1, timeout=20_000)
    docs = tmp_path / "notes"
    docs.mkdir()
    note = docs / "merge.md"
    note.write_text("How do I merge two pandas dataframes in Python on a column?", encoding="utf-8")
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.add_folder(docs)
    suggested = view.index.entry(str(note)).suggested
    view.select(str(note))
    qtbot.waitUntil(lambda: len(view.chips.tags()) > 1, timeout=5_000)

    high = suggested[0]["score"] - 1e-4  # only the best suggestion of the file is that high
    assert suggested[1]["score"] < high
    desktop.apply_settings(desktop.settings.with_changes(min_score=high))
    assert view.chips.tags() == [suggested[0]["tag"]]
    model = view.model
    assert model.data(model.index(0, 1)) == suggested[0]["tag"]  # the table's column too
    every = desktop.service.suggest(SuggestRequest(drafting.title.text(), site=drafting.current_site(), limit=8))
    qtbot.waitUntil(lambda: drafting.chips.tags() == [s.tag for s in every if s.score >= high][:5], timeout=20_000)
    assert load_settings(tmp_path / "home")[0].min_score == high

    desktop.apply_settings(desktop.settings.with_changes(min_score=1.0))  # above every suggestion of the file
    assert view.chips.tags() == []
    view.table.selectAll()
    view.apply_button.click()  # nothing shown, nothing applied
    assert not view.undo_button.isEnabled() and desktop.profile.item_tags("local", "files", [str(note)]) == {}


def test_user_and_port_apply_at_once_and_are_saved(desktop: Desktop, qtbot: Any, tmp_path: Path) -> None:
    port = _free_port()
    notes = desktop.apply_settings(desktop.settings.with_changes(user="小明", port=port, language="zh_CN"))
    assert notes == ["The language changes when tagrec starts again."]
    assert desktop.drafting.user == desktop.folders.user == desktop.profile_view.user == "小明"
    assert desktop.server is not None and desktop.server.port == port
    assert Raw(port).get("/v1/hello").status == 200
    assert desktop.bridge_panel.server is desktop.server and str(port) in desktop.bridge_panel.status.text()
    assert load_settings(tmp_path / "home") == (Settings(user="小明", port=port, language="zh_CN"), None)

    desktop.drafting.title.setText("How do I merge two dictionaries in Python?")
    qtbot.waitUntil(lambda: bool(desktop.drafting.chips.tags()), timeout=20_000)
    qtbot.mouseClick(desktop.drafting.chips.chips[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "小明" in desktop.profile.users(), timeout=10_000)  # the feedback is the new user's


def test_a_taken_port_leaves_the_bridge_off_and_says_why(desktop: Desktop) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        notes = desktop.apply_settings(desktop.settings.with_changes(port=other.getsockname()[1]))
    assert desktop.server is None and any("another program" in note for note in notes)
    assert "off" in desktop.bridge_panel.status.text() and not desktop.bridge_panel.pair_button.isEnabled()


def test_file_tags_are_copied_for_other_tools_once_chosen(desktop: Desktop, qtbot: Any, tmp_path: Path) -> None:
    view = desktop.folders
    docs = tmp_path / "notes"
    docs.mkdir()
    note, other = docs / "merge.md", docs / "sort.md"
    note.write_text("How do I merge two pandas dataframes in Python on a column?", encoding="utf-8")
    other.write_text("Sorting a list of dictionaries by a key in Python", encoding="utf-8")
    with qtbot.waitSignal(view.indexed, timeout=30_000):
        view.add_folder(docs)
    desktop.service.feedback({"site": "files", "item": str(note), "final": ["homework"]})
    view.refresh()
    os.setxattr(note, "user.xdg.tags", b"from-dolphin")

    with qtbot.waitSignal(view.copies_written, timeout=10_000):  # turning it on copies what is there
        desktop.apply_settings(desktop.settings.with_changes(write_xattr=True, write_sidecar=True))
    assert read_xattr(note) == ["from-dolphin", "homework"]
    assert [t["title"] for t in read_sidecar(note)["tags"]] == ["homework"]
    assert read_xattr(other) == [] and not sidecar_path(other).exists()

    view.select(str(other))
    qtbot.waitUntil(lambda: bool(view.chips.tags()), timeout=5_000)
    tag = view.chips.tags()[0]
    with qtbot.waitSignal(view.copies_written, timeout=10_000):  # accepting a suggestion copies it too
        qtbot.mouseClick(view.chips.chips[0], Qt.MouseButton.LeftButton)
    assert read_xattr(other) == [tag] and [t["title"] for t in read_sidecar(other)["tags"]] == [tag]

    qtbot.wait(1_500)  # the watcher settles for 700 ms: the sidecars in .ts/ must not become indexed files
    assert all(".ts" not in Path(s.path).parts for s in view.index.summaries())

    desktop.apply_settings(desktop.settings.with_changes(write_xattr=False, write_sidecar=False))
    view.select(str(note))
    qtbot.waitUntil(lambda: bool(view.chips.tags()), timeout=5_000)
    qtbot.mouseClick(view.chips.chips[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(desktop.profile.item_tags("local", "files", [str(note)])[str(note)]) == 2)
    assert read_xattr(note) == ["from-dolphin", "homework"]  # off again: the copies are left as they were


def test_autostart_writes_and_removes_the_login_entry(desktop: Desktop, tmp_path: Path) -> None:
    entry = tmp_path / "config" / "autostart" / "tagrec.desktop"
    assert desktop.apply_settings(desktop.settings, autostart=True) == []
    text = entry.read_text(encoding="utf-8")
    assert "--minimized" in text and "Exec=" in text
    desktop.apply_settings(desktop.settings, autostart=False)
    assert not entry.exists()


def test_settings_that_cannot_be_saved_are_said_in_the_apps_words(desktop: Desktop, tmp_path: Path) -> None:
    """The core's English error was shown as it is; it goes through the app's error texts (translated)."""
    (tmp_path / "home" / "settings.json").mkdir()  # where the file is written: it cannot be
    notes = desktop.apply_settings(desktop.settings.with_changes(min_score=0.2))
    assert len(notes) == 1 and notes[0].startswith("tagrec could not do this: cannot write "), notes
    assert desktop.settings.min_score == 0.2  # applied all the same, for this run


def test_a_broken_settings_file_starts_with_defaults_and_says_so(qtbot: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.json").write_text("{broken", encoding="utf-8")
    app = Desktop(home, port=0)
    qtbot.addWidget(app.window)
    try:
        assert app.settings == Settings() and "settings" in app.drafting.status.text()
        assert app.drafting.status.text().startswith("A problem at start, worked around: ")  # a translated text
        assert (home / "settings.json").read_text(encoding="utf-8") == "{broken"
    finally:
        app.close()


def test_saved_settings_choose_the_user_at_the_next_start(qtbot: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    save_settings(Settings(user="anna", write_sidecar=True), home)
    app = Desktop(home, port=0)
    qtbot.addWidget(app.window)
    try:
        assert app.drafting.user == "anna" and app.folders.write_sidecar and not app.folders.write_xattr
    finally:
        app.close()
