"""Render the desktop app's main views to PNG for review, with Chinese and English text:
``xvfb-run -a .venv/bin/python scripts/render_views.py [--out renders/] [--lang zh_CN]``.

It runs the real app (shipped models, a temporary home with a little history and a small folder) on whatever
display it is given (Xvfb, or the offscreen platform), fills a Weibo draft, indexes the folder and grabs each
tab, then the profile's plots (four months of feedback, Chinese and English tags). Chinese shows as boxes
until a CJK font is installed (Debian: fonts-wqy-zenhei).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The sample history's tags and how often each is accepted when shown.
HISTORY_TAGS = {"中国女排": 0.8, "python": 0.7, "排球": 0.6, "pandas": 0.5, "装修日记": 0.4, "docker": 0.2}


def sample_history(days: int = 120, seed: int = 7) -> list[dict[str, Any]]:
    """Feedback events spread over the last ``days`` days: a few tags shown per item, some accepted and some
    rejected, tags drifting from English to Chinese over time, so the plots have something to show."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    tags = list(HISTORY_TAGS)
    events = []
    for n in range(days * 2):
        age = rng.uniform(0, days)
        chinese_share = 1 - age / days  # the older the event, the more English
        weights = [(1 - chinese_share if t.isascii() else chinese_share) + 0.2 for t in tags]
        shown = list(dict.fromkeys(rng.choices(tags, weights, k=3)))
        accepted = [t for t in shown if rng.random() < HISTORY_TAGS[t]]
        rejected = [t for t in shown if t not in accepted and rng.random() < 0.5]
        events.append({
            "site": "files", "item": f"history{n}", "shown": shown, "accepted": accepted, "rejected": rejected,
            "created": (now - timedelta(days=age)).isoformat(timespec="seconds"),
        })  # fmt: skip
    return sorted(events, key=lambda e: e["created"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("renders"))
    parser.add_argument("--lang", default="zh_CN", help="zh_CN or en")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from desktop.app import Desktop
    from desktop.translations import install

    app = QApplication(sys.argv)
    install(app, args.lang)
    home = Path(tempfile.mkdtemp())
    desktop = Desktop(home, port=0)
    desktop.window.show()
    desktop.service.wait(timeout=120)

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    for n, tags in enumerate([["中国女排", "排球"], ["python", "pandas"], ["python"]]):
        desktop.service.feedback({"site": "files", "item": f"note{n}", "final": tags})
    for event in sample_history():
        desktop.service.feedback(event)
    desktop.profile.set_alias("js", "javascript", "local")
    docs = home / "笔记"
    docs.mkdir()
    (docs / "女排比赛.md").write_text("今天中国女排三比零获胜，朱婷拿下二十五分", encoding="utf-8")
    (docs / "pandas-merge.md").write_text("How do I merge two pandas dataframes on a column?", encoding="utf-8")
    desktop.folders.add_folder(docs)
    drafting = desktop.drafting
    drafting.site.setCurrentIndex(drafting.site.findData("weibo"))
    drafting.body.setPlainText("今天中国女排三比零获胜，朱婷拿下二十五分，太精彩了！")
    settle(3)
    args.out.mkdir(parents=True, exist_ok=True)
    for index in range(desktop.window.tabs.count()):
        desktop.window.tabs.setCurrentIndex(index)
        settle(0.5)
        target = args.out / f"{index}-{desktop.window.tabs.widget(index).__class__.__name__}-{args.lang}.png"
        desktop.window.grab().save(str(target))
        print(target)
    profile = desktop.profile_view
    desktop.window.tabs.setCurrentWidget(profile)
    profile.sections.setCurrentWidget(profile.plots)
    settle(1.5)  # the history is read in the background
    target = args.out / f"{desktop.window.tabs.indexOf(profile)}-ProfileView-plots-{args.lang}.png"
    desktop.window.grab().save(str(target))
    print(target)

    from desktop.settings_dialog import SettingsDialog
    from extension_bridge.server import DEFAULT_PORT

    dialog = SettingsDialog(desktop.settings, desktop.profile.users(), DEFAULT_PORT, False, desktop.window)
    dialog.show()
    settle(0.5)
    target = args.out / f"{desktop.window.tabs.count()}-SettingsDialog-{args.lang}.png"
    dialog.grab().save(str(target))
    print(target)
    dialog.close()
    desktop.close()


if __name__ == "__main__":
    main()
