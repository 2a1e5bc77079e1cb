"""Render the desktop app's main views to PNG for review, with Chinese and English text:
``xvfb-run -a .venv/bin/python scripts/render_views.py [--out renders/] [--lang zh_CN]``.

It runs the real app (shipped models, a temporary home with a little history and a small folder) on whatever
display it is given (Xvfb, or the offscreen platform), fills a Weibo draft, indexes the folder and grabs each
tab. Chinese shows as boxes until a CJK font is installed (Debian: fonts-wqy-zenhei).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


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
    desktop.close()


if __name__ == "__main__":
    main()
