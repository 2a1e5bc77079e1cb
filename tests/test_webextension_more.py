"""The chips from the keyboard and for screen readers, and pairing again, in real Chromium with the real extension
and bridge: a chip is two buttons (the tag accepts, its × dismisses), each with its own name and keys, and the
focus stays in the bar when the chips are drawn again; the options page pairs one request at a time."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.test_webextension import (  # noqa: F401  (``browser`` and ``paired`` are fixtures)
    CHIP,
    Browser,
    _events,
    _gone,
    _type_draft,
    browser,
    needs_chromium,
    paired,
)


def _focused(page: Any) -> str:
    """What has the focus inside the chips: ``accept:<tag>`` or ``dismiss:<tag>`` (or the page's element)."""
    return page.evaluate(
        """() => {
          const host = document.activeElement;
          const inner = host && host.shadowRoot && host.shadowRoot.activeElement;
          if (!inner) return "page:" + (host ? host.id || host.tagName : "");
          return inner.className + ":" + inner.closest(".chip").dataset.tag;
        }"""
    )


def _with_chips(paired: tuple[Browser, str]) -> tuple[Any, str]:  # noqa: F811
    """The Ask page with a draft typed and its chips shown; the page and the paired user."""
    chromium, user = paired
    page = chromium.ask_page()
    _type_draft(page)
    page.wait_for_selector(CHIP, timeout=10_000)
    return page, user


def _options(chromium: Browser, bridge: Any, token: str, status: str) -> Any:
    """The options page for ``bridge`` with ``token``, once it shows ``status``."""
    chromium.configure(bridgeUrl=bridge.url, token=token)
    page = chromium.context.new_page()
    page.goto(f"{chromium.origin}/options.html")
    page.wait_for_selector(f'#status[data-status="{status}"]')
    return page


@needs_chromium
def test_enter_on_a_chips_dismiss_button_dismisses_it_and_the_focus_moves_on(
    paired: tuple[Browser, str],  # noqa: F811
    bridge: Any,
) -> None:
    page, user = _with_chips(paired)
    tags = page.locator(CHIP).evaluate_all("chips => chips.map(c => c.dataset.tag)")
    first, second = tags[0], tags[1]
    page.locator(f'{CHIP}[data-tag="{first}"] [data-dismiss]').focus()
    page.keyboard.press("Enter")  # it used to accept the tag: the chip's own key handler took the ×'s Enter
    _gone(page, first)
    ((accepted, rejected),) = _events(bridge, page, user, 1, "accepted, rejected")
    assert f'"{first}"' in rejected and first not in accepted
    assert page.locator(".js-tag-editor .s-tag").count() == 0  # nothing was added to the question
    page.wait_for_function("() => document.activeElement && document.activeElement.shadowRoot")
    assert _focused(page) == f"accept:{second}"  # the chip now in its place, not the page's body


@needs_chromium
def test_space_on_a_chips_tag_accepts_it_and_each_button_has_its_own_name(
    paired: tuple[Browser, str],  # noqa: F811
    bridge: Any,
) -> None:
    page, user = _with_chips(paired)
    tag = page.locator(CHIP).first.get_attribute("data-tag")
    snapshot = page.locator("[data-tagrec-root]").aria_snapshot()
    assert f'button "{tag}"' in snapshot and f'button "Dismiss {tag}"' in snapshot, snapshot
    page.locator(f'{CHIP}[data-tag="{tag}"] .accept').focus()
    page.keyboard.press(" ")
    ((accepted,),) = _events(bridge, page, user, 1, "accepted")
    assert f'"{tag}"' in accepted
    page.wait_for_selector(f'.js-tag-editor .s-tag:has-text("{tag}")', timeout=10_000)


@needs_chromium
def test_a_title_over_the_bridges_limit_still_gets_chips(
    paired: tuple[Browser, str],  # noqa: F811
    bridge: Any,
) -> None:
    """A script of the page (or a page without ``maxlength``) can make the title any length; the bridge takes
    2,000 characters: the draft is cut to it, as the body is."""
    chromium, _user = paired
    page = chromium.ask_page()
    page.evaluate("""() => {
      const title = document.querySelector("#title");
      title.value = "How do I merge two dictionaries in Python? " + "x".repeat(3000);  // past its maxlength
      title.dispatchEvent(new Event("input", { bubbles: true }));
    }""")
    page.click("#wmd-input")
    page.keyboard.type("I have two dicts and want one dict with the keys of both.", delay=5)
    page.wait_for_selector(CHIP, timeout=10_000)


@needs_chromium
def test_pairing_again_asks_once_and_gives_the_old_token_back(browser: Browser, bridge: Any) -> None:  # noqa: F811
    """Pair is disabled while a request waits (two requests showed one code while the app asked about the
    other, and both could be approved); the token it replaces is revoked, not left valid and unused."""
    from playwright.sync_api import expect

    _, old = bridge.tokens.create(browser.origin, name="before", user="pairing-again")
    page = _options(browser, bridge, old, "ready")
    bridge.pairing.open_window()
    try:
        page.click("#pair")
        expect(page.locator("#code")).to_have_text(re.compile(r"^\d{6}$"))
        assert page.locator("#pair").is_disabled()
        page.locator("#pair").click(force=True)  # a second press does nothing
        (waiting,) = bridge.pairing.pending()
        assert waiting.code == page.text_content("#code")
        bridge.pairing.approve(waiting.id)
        expect(page.locator("#pairing")).to_have_text("Paired.", timeout=10_000)
    finally:
        bridge.pairing.close_window()
    new = browser.worker.evaluate("() => chrome.storage.local.get('token').then(s => s.token)")
    assert new != old and bridge.tokens.verify(new) is not None
    page.wait_for_function("() => !document.querySelector('#pair').disabled")
    deadline = time.monotonic() + 10
    while bridge.tokens.verify(old) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bridge.tokens.verify(old) is None  # given back


@needs_chromium
def test_a_pairing_request_the_app_dropped_says_so(browser: Browser, bridge: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = _options(browser, bridge, "", "unpaired")
    bridge.pairing.open_window()
    try:
        page.click("#pair")
        expect(page.locator("#code")).to_have_text(re.compile(r"^\d{6}$"))
    finally:
        bridge.pairing.close_window()  # the user closed the pairing dialog: the request is dropped
    expect(page.locator("#pairing")).to_have_text(re.compile("expired, or tagrec stopped"), timeout=10_000)
    assert page.text_content("#code") == "" and not page.locator("#pair").is_disabled()


@needs_chromium
def test_the_options_page_refuses_an_address_that_is_not_tagrecs(browser: Browser, bridge: Any) -> None:  # noqa: F811
    """It saved any text: "garbage" resolved against the extension's own origin and read as "not running"."""
    page = _options(browser, bridge, "", "unpaired")
    assert page.evaluate("() => document.documentElement.lang") == "en-US"
    for typed in ("garbage", "127.0.0.1:24612", "http://127.0.0.1:24612/v1"):
        page.fill("#url", typed)
        page.click("#save")
        assert "Not a tagrec address" in page.text_content("#urlError"), typed
    assert browser.worker.evaluate("() => chrome.storage.local.get('bridgeUrl').then(s => s.bridgeUrl)") == bridge.url
    page.fill("#url", f" {bridge.url}/ ")
    page.click("#save")
    page.wait_for_function("() => document.querySelector('#urlError').textContent === ''")
    assert page.input_value("#url") == bridge.url
