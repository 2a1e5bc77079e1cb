"""Packaging: one version everywhere, and a smoke test of the built artifacts.

The first tests are quick: pyproject.toml's version is the one the CLI, the bridge's ``/v1/hello``, the desktop
app and the packed extension report. The rest (marked ``slow`` and ``packaging``) build the bundle with
``packaging/build.py`` (minutes; a build of the same sources in ``dist/`` is reused, see ``tagrec-build.json``),
unpack the tarball somewhere else and run its programs with an empty environment, as on a machine without
Python: ``--version``, ``suggest``, ``train``, ``serve`` answering ``/v1/hello``, the desktop window,
``install.sh``.

    .venv/bin/python -m pytest tests/test_packaging.py --slow           # everything (CI runs --slow)
    .venv/bin/python -m pytest tests/test_packaging.py -m "not packaging"   # the quick ones
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bench.bundle import Served, free_port, serve_until_hello
from tests.cli_support import TAGREC

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "packaging" / "build.py"
DIST = ROOT / "dist"
QUESTION = ROOT / "examples" / "stackoverflow-question.txt"
_DESKTOP_SCRIPT = Path(sys.executable).with_name("tagrec-desktop")
DESKTOP = (
    [str(_DESKTOP_SCRIPT)] if _DESKTOP_SCRIPT.exists() else [sys.executable, "-c", "import desktop.app as a; a.main()"]
)
BUNDLE_MAX_MIB = 800  # the trimmed bundle is about 640 MiB; far more means something unneeded came in


def pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def load_build_script() -> ModuleType:
    """``packaging/build.py`` as a module named ``tagrec_build`` (``packaging`` is pip's package name)."""
    spec = importlib.util.spec_from_file_location("tagrec_build", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve_and_hello(argv: list[str], env: dict[str, str]) -> Served:
    """``tagrec serve`` (``argv`` the ``tagrec`` command) until ``/v1/hello`` answers; Ctrl-C must then end it
    cleanly."""
    served = serve_until_hello(argv, env)
    assert served.exit_code == 0, served.stderr
    return served


# --- one version everywhere (quick) ------------------------------------------------------------------------------


def test_the_installed_version_is_pyprojects() -> None:
    from tagrec_core import __version__

    assert __version__ == pyproject_version(), "reinstall tagrec (pip install -e .) after changing the version"


def test_cli_desktop_and_bridge_report_pyprojects_version(tmp_path: Path) -> None:
    version = pyproject_version()
    env = {**os.environ, "TAGREC_HOME": str(tmp_path / "home")}
    cli = subprocess.run([*TAGREC, "--version"], capture_output=True, text=True, env=env, check=True)
    assert cli.stdout.strip() == f"tagrec {version}"
    desktop = subprocess.run([*DESKTOP, "--version"], capture_output=True, text=True, env=env, check=True)
    assert desktop.stdout.strip() == f"tagrec-desktop {version}"
    hello = serve_and_hello(TAGREC, env).answer
    assert hello["app"] == "tagrec"
    assert hello["version"] == version


def test_a_packed_manifest_carries_pyprojects_version(tmp_path: Path) -> None:
    from extension_bridge.pack_extension import SOURCE, pack

    version = pyproject_version()
    for browser in ("chrome", "firefox"):
        path = pack(browser, tmp_path)
        assert path.name == f"tagrec-{browser}-{version}.zip"
        with zipfile.ZipFile(path) as archive:
            assert json.loads(archive.read("manifest.json"))["version"] == version
    # The source holds the development marker, never a release's number (it would go stale).
    assert json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))["version"] == "0.0.0"


def test_a_pre_release_is_packed_with_its_release_numbers_and_chromes_version_name(tmp_path: Path) -> None:
    from extension_bridge.pack_extension import browser_version, pack

    assert browser_version("0.2.0rc1") == "0.2.0"
    assert browser_version("1.2.3.4.5") == "1.2.3.4"
    assert browser_version("1!2.0.post1") == "2.0"
    with zipfile.ZipFile(pack("chrome", tmp_path, version="0.2.0rc1")) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["version"], manifest["version_name"]) == ("0.2.0", "0.2.0rc1")
    with zipfile.ZipFile(pack("firefox", tmp_path, version="0.2.0rc1")) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["version"] == "0.2.0"
    assert "version_name" not in manifest


def test_packing_refuses_the_unknown_version(tmp_path: Path) -> None:
    from extension_bridge.pack_extension import pack

    with pytest.raises(ValueError, match="no release version"):
        pack("chrome", tmp_path, version="0.0.0+unknown")


def test_the_packaging_folder_never_hides_pips_packaging_library() -> None:
    assert not (ROOT / "packaging" / "__init__.py").exists()
    done = subprocess.run(
        [sys.executable, "-c", "import packaging, packaging.version; print(packaging.__file__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages" in done.stdout, done.stdout


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="needs desktop-file-utils")
def test_the_menu_entry_is_a_valid_desktop_entry() -> None:
    done = subprocess.run(["desktop-file-validate", str(ROOT / "packaging" / "tagrec.desktop")], capture_output=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout.decode()


def test_the_build_hash_follows_the_sources_and_nothing_else(tmp_path: Path) -> None:
    """A build in dist/ is reused when the hash of its sources is unchanged: it must change with any source."""
    build = load_build_script()
    for top in build.SOURCES:
        path = tmp_path / top if top.endswith(".toml") else tmp_path / top / "module.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {top}\n", encoding="utf-8")
    before = build.source_hash(tmp_path)
    assert build.source_hash(tmp_path) == before
    (tmp_path / "desktop" / "__pycache__").mkdir()
    (tmp_path / "desktop" / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"compiled")
    assert build.source_hash(tmp_path) == before  # caches do not count
    (tmp_path / "tagrec_core" / "resources.tagrec").write_bytes(b"a new model")
    assert build.source_hash(tmp_path) != before
    assert build.tarball_name("1.2.3").startswith("tagrec-1.2.3-linux-")


# --- the built artifacts (slow: the build takes minutes) ----------------------------------------------------------


def artifact_test(test: Callable[..., None]) -> Callable[..., None]:
    """A test of the built artifacts: slow, marked ``packaging``, and allowed the time of a build (the first one
    to run builds, about 2.5 minutes on 2 quiet cores)."""
    return pytest.mark.slow(pytest.mark.packaging(pytest.mark.timeout(1800)(test)))


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """A build of the current sources in dist/: reused when its stamp's source hash matches, else made now."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux bundle is built on Linux")
    build = load_build_script()
    stamp_path = DIST / build.STAMP
    if stamp_path.is_file():
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        if stamp.get("source_hash") == build.source_hash() and (DIST / stamp["tarball"]).is_file():
            return stamp
    done = subprocess.run([sys.executable, str(BUILD_SCRIPT)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    return json.loads(stamp_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def unpacked(built: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball unpacked in a fresh folder (not where it was built: the bundle must be relocatable)."""
    target = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(DIST / built["tarball"]) as archive:
        archive.extractall(target, filter="tar")
    (folder,) = target.iterdir()
    return folder


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """An environment as on a machine without Python: nothing but a PATH without any venv, and a new HOME."""
    home = tmp_path / "user"
    home.mkdir()
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def bare_run(
    argv: list[str], env: dict[str, str], *, stdin: bytes = b"", timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(argv, input=stdin, capture_output=True, env=env, timeout=timeout)


@artifact_test
def test_the_tarball_holds_the_bundle_menu_entry_icons_extension_and_installer(unpacked: Path) -> None:
    version = pyproject_version()
    assert unpacked.name == f"tagrec-{version}"
    for name in ("tagrec", "tagrec-desktop", "install.sh"):
        assert os.access(unpacked / name, os.X_OK), name
    assert (unpacked / "share/applications/tagrec.desktop").is_file()
    assert (unpacked / "share/icons/hicolor/scalable/apps/tagrec.svg").is_file()
    assert (unpacked / "share/icons/hicolor/256x256/apps/tagrec.png").is_file()
    for browser in ("chrome", "firefox"):
        with zipfile.ZipFile(unpacked / "extension" / f"tagrec-{browser}-{version}.zip") as archive:
            assert json.loads(archive.read("manifest.json"))["version"] == version
    internal = unpacked / "_internal"
    for model in ("stackoverflow.tagrec", "weibo.tagrec"):
        assert (internal / "tagrec_core" / "resources" / model).stat().st_size > 1_000_000
    assert (internal / "desktop" / "i18n" / "tagrec_zh_CN.qm").is_file()
    unpacked_extension = internal / "extension_bridge" / "webextension"
    assert json.loads((unpacked_extension / "manifest.json").read_text(encoding="utf-8"))["version"] == version
    assert (unpacked_extension / "background.js").is_file() and not (unpacked_extension / "package.json").exists()
    # tagrec's own metadata (a .dist-info or, found first from the source tree, the .egg-info): the version and
    # the entry points that add `serve` and `token` to the command line.
    (metadata,) = [p for p in internal.glob("tagrec*-info") if p.name.startswith(("tagrec-", "tagrec."))]
    info = next(p for p in (metadata / "METADATA", metadata / "PKG-INFO") if p.is_file()).read_text(encoding="utf-8")
    assert f"\nVersion: {version}\n" in info
    assert "[tagrec.commands]" in (metadata / "entry_points.txt").read_text(encoding="utf-8")


@artifact_test
def test_the_bundle_is_cpu_only_and_trimmed(built: dict[str, Any], unpacked: Path) -> None:
    assert built["trimmed"]
    assert built["bundle_bytes"] < BUNDLE_MAX_MIB * 1024 * 1024, built["bundle_bytes"]
    names = {path.name for path in (unpacked / "_internal").rglob("*")}
    gpu = re.compile(r"^lib(cuda|cudart|cublas|cudnn|cufft|curand|cusparse|cusolver|nvrtc|nccl|nvToolsExt|torch_cuda)")
    assert not {name for name in names if gpu.match(name)}
    assert "nvidia" not in names
    assert "libqgtk3.so" not in names and "libgtk-3.so.0" not in names
    assert [p.name for p in (unpacked / "_internal" / "torch" / "bin").iterdir()] == ["torch_shm_manager"]
    assert not (unpacked / "_internal" / "tkinter").exists()


@artifact_test
def test_the_programs_report_pyprojects_version(unpacked: Path, bare_env: dict[str, str]) -> None:
    version = pyproject_version()
    cli = bare_run([str(unpacked / "tagrec"), "--version"], bare_env)
    assert (cli.returncode, cli.stdout.decode().strip()) == (0, f"tagrec {version}"), cli.stderr
    desktop = bare_run([str(unpacked / "tagrec-desktop"), "--version"], bare_env)
    assert (desktop.returncode, desktop.stdout.decode().strip()) == (0, f"tagrec-desktop {version}"), desktop.stderr


@artifact_test
def test_the_bundle_suggests_tags_with_its_shipped_models(unpacked: Path, bare_env: dict[str, str]) -> None:
    done = bare_run([str(unpacked / "tagrec"), "suggest", "--json"], bare_env, stdin=QUESTION.read_bytes())
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr.strip(), done.stderr.decode()  # no warnings: torch keeps the sources it reads
    tags = [s["tag"] for s in json.loads(done.stdout)["suggestions"]]
    assert "python" in tags and "dictionary" in tags, tags
    chinese = bare_run(
        [str(unpacked / "tagrec"), "suggest"], bare_env, stdin=(ROOT / "examples/weibo-post.txt").read_bytes()
    )
    assert chinese.returncode == 0 and chinese.stdout.strip(), chinese.stderr.decode()


@artifact_test
def test_the_bundle_trains_and_uses_a_model(
    unpacked: Path,
    bare_env: dict[str, str],
    tmp_path: Path,
    make_posts: Callable[..., list[dict[str, Any]]],
    jsonl_writer: Callable[[Path, list[dict[str, Any]]], Path],
) -> None:
    """Training goes through torch's optimizers (and so sympy and torch._dynamo): the trimmed bundle keeps them."""
    data = jsonl_writer(tmp_path / "train.jsonl", make_posts(120, 120, seed=3))
    model = tmp_path / "mine.tagrec"
    trained = bare_run(
        [str(unpacked / "tagrec"), "train", "--data", str(data), "--out", str(model), "--epochs", "2", "-q"], bare_env
    )
    assert trained.returncode == 0, trained.stderr.decode()
    done = bare_run(
        [str(unpacked / "tagrec"), "suggest", "--model", str(model), "pandas dataframe merge csv"], bare_env
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "pandas" in done.stdout.decode()


@artifact_test
def test_the_bundles_bridge_answers_hello_without_any_python(unpacked: Path, bare_env: dict[str, str]) -> None:
    served = serve_and_hello([str(unpacked / "tagrec")], bare_env)
    hello = served.answer
    assert hello["app"] == "tagrec"
    assert hello["version"] == pyproject_version()
    assert hello["api"] == {"min": 1, "max": 1}
    # Every file the running server had mapped came from the bundle or the system's libraries: no venv, no
    # system Python (the machine has both; a bundle that used them would not run where they are missing).
    mapped = {line.split()[-1] for line in served.maps.splitlines() if line.split()[-1].startswith("/")}
    assert mapped, "the server's memory map was not read"
    outside = {p for p in mapped if not p.startswith(str(unpacked))}
    foreign = {p for p in outside if "/.venv/" in p or "python3" in p or "site-packages" in p}
    assert not foreign, sorted(foreign)[:10]
    assert any(p.startswith(str(unpacked)) and "libpython3" in p for p in mapped)


@artifact_test
def test_the_bundles_desktop_app_shows_its_window(unpacked: Path, bare_env: dict[str, str]) -> None:
    env = {**bare_env, "QT_QPA_PLATFORM": "offscreen", "TAGREC_PORT": str(free_port())}
    done = bare_run([str(unpacked / "tagrec-desktop"), "--smoke-test"], env, timeout=180)
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert report["version"] == pyproject_version()
    assert (report["window"], report["visible"]) == ("shown", True)
    assert report["painted"][0] > 100 and report["painted"][1] > 100
    assert report["tabs"] == ["Draft", "Folders", "Profile", "Browser bridge"]
    chinese = bare_run([str(unpacked / "tagrec-desktop"), "--smoke-test"], {**env, "TAGREC_LANG": "zh_CN"}, timeout=180)
    assert chinese.returncode == 0, chinese.stderr.decode()
    assert json.loads(chinese.stdout.decode().strip().splitlines()[-1])["tabs"][0] != "Draft"  # the .qm is bundled


@artifact_test
def test_install_sh_installs_links_menu_entry_and_icons_then_uninstalls(
    unpacked: Path, bare_env: dict[str, str], tmp_path: Path
) -> None:
    prefix = tmp_path / "prefix"
    env = {**bare_env, "PREFIX": str(prefix)}
    done = bare_run(["sh", str(unpacked / "install.sh")], env)
    assert done.returncode == 0, done.stderr.decode()
    version = bare_run([str(prefix / "bin" / "tagrec-desktop"), "--version"], env)  # through the link
    assert version.stdout.decode().strip() == f"tagrec-desktop {pyproject_version()}", version.stderr.decode()
    entry = (prefix / "share/applications/tagrec.desktop").read_text(encoding="utf-8")
    assert f'Exec="{prefix}/opt/tagrec/tagrec-desktop"' in entry
    assert (prefix / "share/icons/hicolor/48x48/apps/tagrec.png").is_file()
    removed = bare_run(["sh", str(prefix / "opt/tagrec/install.sh"), "--uninstall"], env)
    assert removed.returncode == 0, removed.stderr.decode()
    assert not (prefix / "opt/tagrec").exists()
    assert not (prefix / "bin/tagrec").exists() and not (prefix / "share/applications/tagrec.desktop").exists()
    assert not list((prefix / "share/icons").rglob("tagrec.*"))


@artifact_test
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (Debian's xvfb)")
def test_the_bundles_desktop_app_shows_its_window_on_an_x_server(unpacked: Path, bare_env: dict[str, str]) -> None:
    """On a real X server (Xvfb) through Qt's xcb plugin: what trimming the GTK theme and its libraries could break."""
    inner = (
        f"env -i PATH={bare_env['PATH']} HOME={bare_env['HOME']} LANG=C.UTF-8 DISPLAY=$DISPLAY XAUTHORITY=$XAUTHORITY "
        f"TAGREC_PORT={free_port()} QT_QPA_PLATFORM=xcb {unpacked / 'tagrec-desktop'} --smoke-test"
    )
    done = bare_run(["xvfb-run", "-a", "sh", "-c", inner], {**bare_env}, timeout=180)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    report = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert (report["window"], report["visible"]) == ("shown", True)
