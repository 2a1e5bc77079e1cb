"""What the browser extension tests share, whatever the browser: pairing it with the running bridge, and
waiting for the feedback events it sends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class ExtensionBrowser(Protocol):
    """A browser with the extension loaded (``test_webextension``'s Chromium, ``test_webextension_firefox``'s
    Firefox): its extension origin, and a way to set the extension's options."""

    origin: str

    def configure(self, **options: Any) -> None: ...


def pair(browser: ExtensionBrowser, bridge: Any, name: str) -> str:
    """Pair the extension with ``bridge`` for a fresh user of the profile (``name`` plus a clock); the user."""
    user = f"{name}-{time.monotonic_ns()}"
    _, token = bridge.tokens.create(browser.origin, name=name, user=user)
    browser.configure(bridgeUrl=bridge.url, token=token)
    return user


def feedback_events(
    bridge: Any, user: str, count: int, columns: str, wait: Callable[[], None]
) -> list[tuple[Any, ...]]:
    """The user's first ``count`` feedback events (``columns`` of ``events``) once they have arrived, calling
    ``wait`` (about 50 ms) between looks; ``AssertionError`` after 200 looks."""
    query = f"SELECT {columns} FROM events WHERE user_id = (SELECT id FROM users WHERE name = ?) ORDER BY id"
    rows: list[tuple[Any, ...]] = []
    for _ in range(200):
        rows = bridge.profile.reader().execute(query, (user,)).fetchall()
        if len(rows) >= count:
            return rows[:count]
        wait()
    raise AssertionError(f"{user} has {len(rows)} feedback events, not {count}")
