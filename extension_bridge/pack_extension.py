"""Package the browser extension as zip files for Chrome (and other Chromium browsers) and Firefox:
``python -m extension_bridge.pack_extension [--out DIR]`` writes ``tagrec-chrome-<version>.zip`` and
``tagrec-firefox-<version>.zip`` (default: ``dist/``).

One source folder serves both: its manifest names the background script both ways. Each package keeps the
key its browser uses (Chrome: ``background.service_worker``; Firefox: ``background.scripts`` and
``browser_specific_settings``), and leaves out what the browser does not need (``package.json`` is for node's
tests only).
"""

from __future__ import annotations

import argparse
import copy
import json
import zipfile
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).resolve().parent / "webextension"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "dist"
LEFT_OUT = {"package.json"}
# A fixed time for every entry, so the same sources always give the same bytes.
EPOCH = (2026, 1, 1, 0, 0, 0)


def manifest_for(browser: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as ``browser`` (``chrome`` or ``firefox``) wants it."""
    out = copy.deepcopy(manifest)
    background = out["background"]
    if browser == "chrome":
        background.pop("scripts", None)
        out.pop("browser_specific_settings", None)
    elif browser == "firefox":
        background.pop("service_worker", None)
    else:
        raise ValueError(f"unknown browser {browser!r}")
    return out


def pack(browser: str, out_dir: Path, source: Path = SOURCE) -> Path:
    """Write the zip for ``browser`` into ``out_dir``; returns its path."""
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    target = out_dir / f"tagrec-{browser}-{manifest['version']}.zip"
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.name not in LEFT_OUT)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            name = path.relative_to(source).as_posix()
            data = (
                json.dumps(manifest_for(browser, manifest), indent=2, ensure_ascii=False).encode()
                if name == "manifest.json"
                else path.read_bytes()
            )
            archive.writestr(zipfile.ZipInfo(name, EPOCH), data, zipfile.ZIP_DEFLATED)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for browser in ("chrome", "firefox"):
        print(pack(browser, args.out))


if __name__ == "__main__":
    main()
