"""The core's words in the desktop's languages (``desktop.core_texts``), on real widgets (Qt offscreen) with the
real translation file: why a chip is suggested, the models' states, the settings' problems, the errors and the
files skipped; what the app does not know keeps its English, inside a translated sentence where it is an error."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QApplication

from desktop.chips import ChipBar
from desktop.core_texts import error_text, file_problem_text, model_states_text, skip_text, why_text
from desktop.settings_dialog import SettingsDialog
from desktop.translations import LANG_ENV, install, uninstall
from tagrec_core.documents import not_regular
from tagrec_core.errors import ModelFileError, TagrecError
from tagrec_core.folders import NAME_NOT_UTF8, IndexingStopped
from tagrec_core.settings import InvalidSetting, Settings
from tagrec_core.suggestion import WHY_ARGUMENTS, Suggestion, Why


def _explained(why: Why, source: str = "neighbours") -> Suggestion:
    return Suggestion.explained("pandas", 0.42, source, why)


@pytest.fixture
def chinese(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app's Chinese translation installed (as with ``TAGREC_LANG=zh_CN``), removed afterwards."""
    monkeypatch.delenv(LANG_ENV, raising=False)
    translator = install(QApplication.instance(), "zh_CN")
    assert translator is not None
    yield
    uninstall(QApplication.instance(), translator)


def _tooltips(qtbot: Any, suggestions: list[Suggestion]) -> list[str]:
    bar = ChipBar()
    qtbot.addWidget(bar)
    bar.show_suggestions(suggestions)
    return [chip.toolTip() for chip in bar.chips]


def test_chip_reasons_read_right_in_english_with_their_plurals(qtbot: Any) -> None:
    table = [
        (Why("similar_posts", count=1), "1 similar post"),
        (Why("similar_posts", count=3), "3 similar posts"),
        (Why("learned", count=1), "learned from 1 tagged post"),
        (Why("learned", count=12), "learned from 12 tagged posts"),
        (Why("used_on_similar", count=2), "you used it on 2 similar items"),
        (Why("used", count=1), "you used it 1 time"),
        (Why("used_with", tag="pandas"), "often used with pandas"),
        (Why("implied_by", tag="python"), "implied by python"),
        (Why("in_title"), "appears in the title"),
        (Why("form_in_text"), "a form of it appears in the text"),
        (Why("profile"), "your profile"),
    ]
    for why, english in table:
        assert why_text(_explained(why)) == english == why.text()  # the desktop and the CLI say the same
    (tooltip,) = _tooltips(qtbot, [_explained(Why("similar_posts", count=3))])
    assert tooltip == "similar posts · 42% — 3 similar posts"


def test_chip_reasons_are_chinese_in_the_chinese_app(qtbot: Any, chinese: None) -> None:
    table = [
        (Why("similar_posts", count=1), "1 篇相似帖子"),
        (Why("similar_posts", count=3), "3 篇相似帖子"),
        (Why("learned", count=12), "从 12 篇带此标签的帖子中学到"),
        (Why("used_on_similar", count=2), "你在 2 个相似条目上用过它"),
        (Why("used", count=5), "你用过它 5 次"),
        (Why("used_with", tag="pandas"), "常与 pandas 一起使用"),
        (Why("implied_by", tag="python"), "由 python 隐含"),
        (Why("in_title"), "出现在标题中"),
        (Why("in_text"), "出现在正文中"),
        (Why("form_in_text"), "文中出现了它的另一种形式"),
        (Why("part_in_text"), "文中出现了它的一部分"),
        (Why("profile"), "你的个人档案"),
    ]
    for why, chinese_text in table:
        assert why_text(_explained(why)) == chinese_text
    for code, arguments in WHY_ARGUMENTS.items():  # none of the core's reasons is left in English
        why = Why(code, count=2 if "count" in arguments else None, tag="x" if "tag" in arguments else None)
        assert why_text(_explained(why)) not in ("", why.text()), code
    tooltips = _tooltips(qtbot, [_explained(Why("similar_posts", count=3)), _explained(Why("in_title"), "text")])
    assert tooltips == ["相似帖子 · 42% — 3 篇相似帖子", "正文 · 42% — 出现在标题中"]


def test_a_reason_the_app_does_not_know_shows_the_cores_english(qtbot: Any, chinese: None) -> None:
    newer = Suggestion("pandas", 0.42, "user", "you starred it", Why("starred"))  # a code of a newer core
    stored = Suggestion("pandas", 0.42, "text", "appears in the title")  # stored before ``why`` existed
    odd = Suggestion("pandas", 0.42, "neighbours", "3 similar posts", Why("similar_posts"))  # its count missing
    assert [why_text(s) for s in (newer, stored, odd)] == ["you starred it", "appears in the title", "3 similar posts"]
    assert _tooltips(qtbot, [newer]) == ["你的个人档案 · 42% — you starred it"]
    # the tooltip of a file's chips is built from what the folder index stored: the same shape comes back
    assert why_text(Suggestion.from_dict(_explained(Why("used", count=5)).to_dict())) == "你用过它 5 次"


def test_model_states_settings_problems_and_skipped_files_are_chinese(qtbot: Any, chinese: None) -> None:
    status = {"stackoverflow": {"state": "ready"}, "weibo": {"state": "loading"}}
    assert model_states_text(status) == "Stack Overflow（英文）: 就绪, 微博（中文）: 正在加载……"
    failed = model_states_text({"stackoverflow": {"state": "failed", "error": "the file is truncated"}})
    assert failed == "Stack Overflow（英文）: 无法加载（the file is truncated）"
    with pytest.raises(InvalidSetting) as refused:
        Settings(user="   ")
    assert refused.value.name == "user" and error_text(refused.value) == "用户名必须由 1 到 64 个可打印字符组成。"
    assert error_text(IndexingStopped(3, 10)) == "索引已停止：共 10 个文件，已处理 3 个"
    assert skip_text(NAME_NOT_UTF8) == "文件名不是有效的 UTF-8：请重命名该文件后再索引"
    assert skip_text(not_regular(stat.S_IFIFO)) == "不是普通文件（命名管道）"
    assert file_problem_text(not_regular(stat.S_IFDIR)) == "不是普通文件（文件夹）"
    # the long tail keeps its English detail, inside a Chinese sentence
    assert error_text(ModelFileError("the file is truncated")) == "无法加载建议模型：the file is truncated"
    assert error_text(TagrecError("a rare problem")) == "tagrec 无法完成此操作：a rare problem"
    assert skip_text("a reason of a newer core") == "无法索引：a reason of a newer core"
    assert file_problem_text("PermissionError: denied") == "只读取了文件名：PermissionError: denied"


def test_the_settings_dialog_says_its_problem_in_chinese(qtbot: Any, chinese: None) -> None:
    dialog = SettingsDialog(Settings(user="anna"), ["anna"], 24519, False)
    qtbot.addWidget(dialog)
    dialog.user.setCurrentText("   ")
    dialog.show()
    dialog.accept()
    assert dialog.isVisible() and dialog.problem.text() == "用户名必须由 1 到 64 个可打印字符组成。"


def test_the_english_app_says_the_same_problems_in_english(qtbot: Any) -> None:
    assert error_text(IndexingStopped(0, 2)) == "indexing stopped after 0 of 2 files" == str(IndexingStopped(0, 2))
    assert skip_text(NAME_NOT_UTF8) == NAME_NOT_UTF8
    assert skip_text(not_regular(stat.S_IFIFO)) == "not a regular file (a named pipe)"
    assert model_states_text({"weibo": {"state": "idle"}}) == "Weibo (Chinese): not loaded yet"
    assert error_text(ModelFileError("gone")) == "The suggestion model could not be loaded: gone"


def test_the_chinese_texts_end_with_one_kind_of_ellipsis() -> None:
    """The profile view's texts said 正在导出… where the core's and the extension's say 正在加载……: one "…" is
    half of the Chinese ellipsis."""
    import re
    import xml.etree.ElementTree as ET
    from pathlib import Path

    ts = Path(__file__).resolve().parents[1] / "desktop" / "i18n" / "tagrec_zh_CN.ts"
    texts = [m.findtext("translation") or "" for m in ET.parse(ts).iter("message")]
    assert [t for t in texts if "……" in t]  # the check below has something to compare with
    assert [t for t in texts if re.search("(?<!…)…(?!…)", t)] == []
