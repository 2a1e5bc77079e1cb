"""The chips from the keyboard and for screen readers, in real Chromium with the real extension and bridge: a chip
is two buttons (the tag accepts, its × dismisses), each with its own name and keys, and the focus stays in the
bar when the chips are drawn again."""

from __future__ import annotations

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


@needs_chromium
def test_enter_on_a_chips_dismiss_button_dismisses_it_and_the_focus_moves_on(
    paired: tuple[Browser, str],  # noqa: F811
    bridge: Any,
) -> None:
    chromium, user = paired
    page = chromium.ask_page()
    _type_draft(page)
    page.wait_for_selector(CHIP, timeout=10_000)
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
    chromium, user = paired
    page = chromium.ask_page()
    _type_draft(page)
    page.wait_for_selector(CHIP, timeout=10_000)
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
