"""The chips' reasons in the browser's language: the real extension in real Chromium, once in English and once
started in Chinese (``--lang=zh-CN``), renders the bridge's ``why`` with the browser's own ``chrome.i18n``;
and every reason the core can give has its messages in both languages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tagrec_core.suggestion import WHY_ARGUMENTS, Why
from tests.test_webextension import CHROMIUM, EXTENSION, FLAGS, Browser, needs_chromium

RENDER = """async (suggestions) => {
    const { createChipBar } = await import("./lib/chips.js");
    const anchor = document.body.appendChild(document.createElement("div"));
    const bar = createChipBar(document, anchor, { label: "l", dismissLabel: "d", onAccept() {}, onDismiss() {} });
    bar.render(suggestions);
    return [...bar.host.shadowRoot.querySelectorAll(".accept")].map((button) => button.title);
}"""


def _suggestions() -> list[dict[str, Any]]:
    """As the bridge sends them (``why`` with every argument, null where the code takes none)."""
    whys = [Why("similar_posts", count=1), Why("similar_posts", count=3), Why("used_with", tag="docker"),
            Why("in_title"), Why("starred")]  # fmt: skip  # the last: a code of a newer tagrec
    return [
        {"tag": f"t{n}", "score": 0.5, "source": "text", "reason": why.text() or "you starred it",
         "why": {"code": why.code, "count": why.count, "tag": why.tag}}
        for n, why in enumerate(whys)
    ]  # fmt: skip


def _titles(context: Any, origin: str) -> list[str]:
    page = context.new_page()
    try:
        page.goto(f"{origin}/options.html")
        return page.evaluate(RENDER, _suggestions())
    finally:
        page.close()


@pytest.fixture(scope="module")
def browsers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Browser]]:
    """Chromium started in English and in Chinese, each with the extension loaded (one Playwright: it allows no
    second one in a process, so this module does not share ``test_webextension``'s browser)."""
    pytest.importorskip("playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        started = {}
        for lang in ("en-US", "zh-CN"):
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp(f"chromium-{lang}")),
                executable_path=CHROMIUM,
                headless=True,
                locale=lang,
                args=[
                    *FLAGS,
                    f"--lang={lang}",
                    f"--disable-extensions-except={EXTENSION}",
                    f"--load-extension={EXTENSION}",
                ],
                ignore_default_args=["--disable-extensions"],
            )
            context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
            workers = context.service_workers
            started[lang] = Browser(context, workers[0] if workers else context.wait_for_event("serviceworker"))
        yield started
        for started_browser in started.values():
            started_browser.context.close()


@needs_chromium
def test_chip_reasons_are_in_the_browsers_language(browsers: dict[str, Browser]) -> None:
    english, chinese = browsers["en-US"], browsers["zh-CN"]
    assert _titles(english.context, english.origin) == [
        "1 similar post", "3 similar posts", "often used with docker", "appears in the title", "you starred it",
    ]  # fmt: skip
    assert _titles(chinese.context, chinese.origin) == [
        "1 篇相似帖子", "3 篇相似帖子", "常与 docker 一起使用", "出现在标题中", "you starred it",
    ]  # fmt: skip


def test_every_reason_the_core_gives_has_its_english_and_chinese_message() -> None:
    """The chips render ``why.code`` as the message ``why_<code>`` (``_one``/``_other`` when it counts)."""
    for name in ("en", "zh_CN"):
        messages = json.loads((EXTENSION / "_locales" / name / "messages.json").read_text(encoding="utf-8"))
        for code, arguments in WHY_ARGUMENTS.items():
            wanted = {f"why_{code}_one", f"why_{code}_other"} if "count" in arguments else {f"why_{code}"}
            assert wanted <= set(messages), (name, code)
            for key in wanted:  # the argument goes where the message says
                assert bool(messages[key].get("placeholders")) == bool(arguments), (name, key)
