"""Render the tagrec icon from ``tagrec.svg`` (the one hand-written source) into every file a platform wants:
``tagrec-<size>.png`` (freedesktop hicolor sizes), ``tagrec.ico`` (Windows) and ``tagrec.icns`` (macOS), and
the app's own window and tray icons (``desktop/icons/tagrec-<size>.png``, shipped inside the ``desktop`` package).

    python packaging/icon/make_icon.py

The .ico and .icns hold PNG images (both formats allow it since Windows Vista and macOS 10.7), so nothing but
Qt's SVG renderer is needed. The outputs are committed; run this again after changing the SVG.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "tagrec.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
APP_SIZES = (16, 32, 64, 256)  # enough for a window, a tray and a task switcher; Qt scales between them
APP_ICONS = HERE.parent.parent / "desktop" / "icons"
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}


def render(size: int) -> bytes:
    """The icon as PNG bytes, ``size`` pixels square."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are PNG images (a width or height of 0 means 256)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    directory, images = b"", b""
    for size in sizes:
        png = pngs[size]
        side = 0 if size >= 256 else size
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(images))
        images += png
    return header + directory + images


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns of PNG entries (``ICNS_TYPES`` names the slot of each size)."""
    body = b"".join(ICNS_TYPES[size] + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for size in sorted(pngs))
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])  # noqa: F841 (Qt wants one while it paints)
    pngs = {size: render(size) for size in PNG_SIZES}
    for size, png in pngs.items():
        (HERE / f"tagrec-{size}.png").write_bytes(png)
    (HERE / "tagrec.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (HERE / "tagrec.icns").write_bytes(icns({s: pngs[s] for s in ICNS_TYPES}))
    APP_ICONS.mkdir(exist_ok=True)
    for size in APP_SIZES:
        (APP_ICONS / f"tagrec-{size}.png").write_bytes(pngs[size])
    print(f"wrote {len(pngs)} PNGs, tagrec.ico and tagrec.icns into {HERE}")


if __name__ == "__main__":
    main()
