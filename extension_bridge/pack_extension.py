"""Package the browser extension as zip files for Chrome (and other Chromium browsers) and Firefox:
``python -m extension_bridge.pack_extension [--out DIR]`` writes ``tagrec-chrome-<version>.zip`` and
``tagrec-firefox-<version>.zip`` (default: ``dist/``).

One source folder serves both: its manifest names the background script both ways. Each package keeps the
key its browser uses (Chrome: ``background.service_worker``; Firefox: ``background.scripts`` and
``browser_specific_settings``), and leaves out what the browser does not need (``package.json`` is for node's
tests only).

The version is stamped at pack time from tagrec's own (``tagrec_core.version``, i.e. pyproject.toml's): the
source manifest holds ``0.0.0``, which marks an unpacked development copy, and no release ever carries it.
Browsers want one to four dot-separated numbers, so a pre-release such as ``0.2.0rc1`` is packed as
``0.2.0`` with Chrome's ``version_name`` set to the full string (Firefox has no such key).
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from tagrec_core.version import __version__

SOURCE = Path(__file__).resolve().parent / "webextension"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "dist"
LEFT_OUT = {"package.json"}
# A fixed time for every entry, so the same sources always give the same bytes.
EPOCH = (2026, 1, 1, 0, 0, 0)


def browser_version(version: str) -> str:
    """The part of a Python version (PEP 440) a browser accepts as an extension's version: its release
    numbers, at most four (``0.2.0rc1`` -> ``0.2.0``, ``1!2.0`` -> ``2.0``)."""
    found = re.match(r"^(?:\d+!)?(\d+(?:\.\d+){0,3})", version)
    if found is None:
        raise ValueError(f"not a release version: {version!r}")
    return ".".join(str(int(part)) for part in found.group(1).split("."))


def manifest_for(browser: str, manifest: dict[str, Any], version: str = __version__) -> dict[str, Any]:
    """The manifest as ``browser`` (``chrome`` or ``firefox``) wants it, stamped with ``version``."""
    out = copy.deepcopy(manifest)
    out["version"] = browser_version(version)
    if browser == "chrome" and out["version"] != version:
        out["version_name"] = version
    background = out["background"]
    if browser == "chrome":
        background.pop("scripts", None)
        out.pop("browser_specific_settings", None)
    elif browser == "firefox":
        background.pop("service_worker", None)
    else:
        raise ValueError(f"unknown browser {browser!r}")
    return out


def pack(browser: str, out_dir: Path, source: Path = SOURCE, version: str = __version__) -> Path:
    """Write the zip for ``browser`` into ``out_dir``, stamped with ``version``; returns its path."""
    if browser_version(version) == "0.0.0":  # the source manifest's marker, or tagrec_core.version's "unknown"
        raise ValueError(f"no release version to stamp ({version!r}): install tagrec (pip install -e .) first")
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    target = out_dir / f"tagrec-{browser}-{version}.zip"
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.name not in LEFT_OUT)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            name = path.relative_to(source).as_posix()
            data = (
                json.dumps(manifest_for(browser, manifest, version), indent=2, ensure_ascii=False).encode()
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
