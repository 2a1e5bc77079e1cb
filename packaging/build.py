"""Build everything tagrec ships, into ``dist/``:

* ``tagrec-chrome-<version>.zip`` and ``tagrec-firefox-<version>.zip``: the browser extension, its manifest
  stamped with the version (``extension_bridge.pack_extension``);
* ``tagrec/``: the desktop bundle (PyInstaller, ``packaging/tagrec.spec``): ``tagrec`` and ``tagrec-desktop``
  with Python, torch (CPU), Qt and the default models inside; it runs on a machine without Python;
* ``tagrec-<version>-linux-x86_64.tar.gz``: the bundle with its menu entry, icons, the extension zips and
  ``install.sh``, in one folder ``tagrec-<version>/``;
* ``tagrec-build.json``: what was built from what (version, a hash of the sources, sizes, seconds).

    .venv/bin/python packaging/build.py [--out dist] [--clean] [--no-trim]

The version is pyproject.toml's. An editable install keeps the version it had when it was installed, so a
changed pyproject version is installed again first (``pip install --no-deps -e .``: the metadata only).
This file is run as a script; ``packaging/`` is not a Python package (it would hide pip's ``packaging``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "tagrec.spec"
# Everything a build is made of: the stamp's hash covers these (plus the versions in ``_toolchain``).
SOURCES = ("tagrec_core", "extension_bridge", "desktop", "packaging", "pyproject.toml")
SKIPPED = {"__pycache__", "node_modules", ".pytest_cache"}
STAMP = "tagrec-build.json"


def pyproject_version() -> str:
    """The one source of the version: ``[project] version`` in pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def tarball_name(version: str) -> str:
    machine = platform.machine().lower() or "unknown"
    return f"tagrec-{version}-{sys.platform}-{machine}.tar.gz"


def source_hash(root: Path = ROOT) -> str:
    """A hash of every file the build reads from the tree at ``root``, and of the tools and libraries it
    bundles: equal hashes mean a build can be reused."""
    digest = hashlib.sha256()
    for top in SOURCES:
        base = root / top
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if SKIPPED.intersection(path.relative_to(root).parts) or path.suffix == ".pyc":
                continue
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            with path.open("rb") as stream:
                for block in iter(lambda stream=stream: stream.read(1 << 20), b""):
                    digest.update(block)
    digest.update(json.dumps(_toolchain(), sort_keys=True).encode())
    return digest.hexdigest()


def _toolchain() -> dict[str, str]:
    names = ("pyinstaller", "pyinstaller-hooks-contrib", "torch", "pyside6-essentials", "numpy", "scipy")
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "-"
    return found


def installed_version() -> str:
    """tagrec's version as a fresh interpreter of this venv reports it (what the bundle will copy)."""
    code = "from importlib.metadata import version; print(version('tagrec'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def ensure_metadata(version: str) -> None:
    """Make the installed metadata carry pyproject's version (and entry points) before they are bundled."""
    if installed_version() == version:
        return
    print(f"== the installed tagrec metadata is not {version}: reinstalling it (pip install --no-deps -e .)")
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps"]
    subprocess.run([*pip, "--no-build-isolation", "-e", str(ROOT)], check=True)
    if installed_version() != version:
        raise SystemExit(f"tagrec's installed version is still {installed_version()!r}, not {version!r}")


def pack_extension(out: Path) -> list[Path]:
    print("== browser extension")
    done = subprocess.run(
        [sys.executable, "-m", "extension_bridge.pack_extension", "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    zips = [Path(line) for line in done.stdout.splitlines() if line.strip()]  # a path may hold spaces
    for path in zips:
        print(f"   {path.relative_to(out.parent) if out.parent in path.parents else path}")
    return zips


def build_bundle(out: Path, work: Path, *, trim: bool, clean: bool) -> Path:
    print(f"== bundle (PyInstaller{', trimmed' if trim else ', untrimmed'}); this takes minutes")
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(out), "--workpath", str(work), *(["--clean"] if clean else []), str(SPEC)]
    env = {**os.environ, "TAGREC_BUNDLE_TRIM": "1" if trim else "0"}
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    return out / "tagrec"


def make_tarball(out: Path, bundle: Path, zips: list[Path], version: str) -> Path:
    """``tagrec-<version>/``: the bundle, ``share/`` (menu entry, icons), ``extension/``, ``install.sh``."""
    print("== tarball")
    target = out / tarball_name(version)
    top = f"tagrec-{version}"
    partial = target.with_name(target.name + ".part")
    icons = HERE / "icon"
    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        archive.add(bundle, arcname=top)
        archive.add(HERE / "tagrec.desktop", arcname=f"{top}/share/applications/tagrec.desktop")
        for png in sorted(icons.glob("tagrec-*.png")):
            size = png.stem.split("-")[1]
            archive.add(png, arcname=f"{top}/share/icons/hicolor/{size}x{size}/apps/tagrec.png")
        archive.add(icons / "tagrec.svg", arcname=f"{top}/share/icons/hicolor/scalable/apps/tagrec.svg")
        for path in zips:
            archive.add(path, arcname=f"{top}/extension/{path.name}")
        archive.add(HERE / "install.sh", arcname=f"{top}/install.sh")
    os.replace(partial, target)
    return target


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the artifacts go (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's cache")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first (a full analysis)")
    parser.add_argument("--no-trim", action="store_true", help="bundle everything the hooks collect (to compare)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    started = time.perf_counter()
    version = pyproject_version()
    ensure_metadata(version)
    stamp_hash = source_hash()
    zips = pack_extension(out)
    bundle = build_bundle(out, args.work.resolve(), trim=not args.no_trim, clean=args.clean)
    bundle_seconds = time.perf_counter() - started
    tarball = make_tarball(out, bundle, zips, version)
    stamp = {
        "version": version,
        "source_hash": stamp_hash,
        "trimmed": not args.no_trim,
        "bundle": bundle.name,
        "bundle_bytes": folder_size(bundle),
        "tarball": tarball.name,
        "tarball_bytes": tarball.stat().st_size,
        "extension": [path.name for path in zips],
        "seconds": round(time.perf_counter() - started, 1),
        "bundle_seconds": round(bundle_seconds, 1),
        "toolchain": _toolchain(),
    }
    (out / STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    mib = 1024 * 1024
    print(
        f"== done in {stamp['seconds']} s: {bundle} ({stamp['bundle_bytes'] / mib:.0f} MiB), "
        f"{tarball.name} ({stamp['tarball_bytes'] / mib:.0f} MiB)"
    )
    return stamp


if __name__ == "__main__":
    main()
