"""Autostart: real XDG entries in a temporary ``$XDG_CONFIG_HOME``, read back the way a desktop reads them, and the
command they hold really starts the app minimized. The macOS and Windows entries are checked as content."""

from __future__ import annotations

import json
import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import autostart

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG entry is Linux's")

AWKWARD = ["/opt/my apps/tagrec-desktop", "--minimized", 'say "hi"', "$HOME", "back\\slash", "100%"]


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def entry_values(path: Path) -> dict[str, str]:
    """The ``[Desktop Entry]`` keys of a .desktop file, values unescaped as the spec's string type says."""
    values: dict[str, str] = {}
    group = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            group = line
        elif "=" in line and group == "[Desktop Entry]":
            key, value = line.split("=", 1)
            escapes = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
            out, i = [], 0
            while i < len(value):
                if value[i] == "\\" and i + 1 < len(value) and value[i + 1] in escapes:
                    out.append(escapes[value[i + 1]])
                    i += 2
                else:
                    out.append(value[i])
                    i += 1
            values[key] = "".join(out)
    return values


def exec_argv(exec_value: str) -> list[str]:
    """The argument vector of an Exec value, split by a real POSIX shell (the spec's quoting is the shell's
    double-quote rule); ``%%`` is the one field code left, a literal ``%``."""
    done = subprocess.run(
        ["sh", "-c", f"for a in {exec_value}; do printf '%s\\0' \"$a\"; done"],
        capture_output=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent-home"},
    )
    return [arg.replace("%%", "%") for arg in done.stdout.decode().split("\0")[:-1]]


def test_enable_writes_an_xdg_entry_whose_exec_gives_back_the_command(config_home: Path) -> None:
    assert not autostart.is_enabled()
    autostart.enable(AWKWARD)
    path = config_home / "autostart" / "tagrec.desktop"
    assert autostart.entry_path() == path
    assert path.is_file()
    values = entry_values(path)
    assert values["Type"] == "Application"
    assert values["Name"] == "tagrec"
    assert exec_argv(values["Exec"]) == AWKWARD
    assert autostart.is_enabled()
    assert not list(path.parent.glob(".*tmp"))  # written atomically, nothing left beside it


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="needs desktop-file-utils")
def test_the_entry_is_a_valid_desktop_entry(config_home: Path) -> None:
    autostart.enable(AWKWARD)
    done = subprocess.run(["desktop-file-validate", str(autostart.entry_path())], capture_output=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout.decode()


def test_disable_removes_the_entry_and_is_idempotent(config_home: Path) -> None:
    autostart.enable(["/bin/true"])
    autostart.disable()
    assert not (config_home / "autostart" / "tagrec.desktop").exists()
    assert not autostart.is_enabled()
    autostart.disable()  # nothing there: no error
    assert not autostart.is_enabled()


def test_enable_again_replaces_the_command(config_home: Path) -> None:
    autostart.enable(["/old/place/tagrec-desktop", "--minimized"])
    autostart.enable(["/new/place/tagrec-desktop", "--minimized"])
    values = entry_values(config_home / "autostart" / "tagrec.desktop")
    assert exec_argv(values["Exec"]) == ["/new/place/tagrec-desktop", "--minimized"]


@pytest.mark.parametrize("switch", ["X-GNOME-Autostart-enabled=false", "Hidden=true"])
def test_an_entry_the_desktop_switched_off_is_not_enabled(config_home: Path, switch: str) -> None:
    autostart.enable(["/bin/true"])
    path = config_home / "autostart" / "tagrec.desktop"
    text = path.read_text(encoding="utf-8").replace("X-GNOME-Autostart-enabled=true\n", "")
    path.write_text(text + switch + "\n", encoding="utf-8")
    assert not autostart.is_enabled()


def test_a_blocked_config_folder_raises_a_message_for_a_person(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    with pytest.raises(autostart.AutostartError, match="cannot write the autostart entry"):
        autostart.enable(["/bin/true"])


def test_the_default_command_from_a_venv_is_its_tagrec_desktop_minimized() -> None:
    script = Path(sys.executable).with_name("tagrec-desktop")
    if not script.is_file():
        pytest.skip("tagrec is not installed in this interpreter's environment")
    assert autostart.default_command() == [str(script), "--minimized"]
    assert autostart.default_command(minimized=False) == [str(script)]


def test_the_default_command_in_the_bundle_is_the_bundles_tagrec_desktop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("tagrec", "tagrec-desktop"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "tagrec"))  # asked from the bundle's command line
    assert autostart.default_command() == [str(tmp_path / "tagrec-desktop"), "--minimized"]


def test_the_autostart_entry_starts_the_app_minimized(config_home: Path, tmp_path: Path) -> None:
    """What the desktop would run at login, run: the window must not come up in front of the user."""
    if not Path(sys.executable).with_name("tagrec-desktop").is_file():
        pytest.skip("tagrec is not installed in this interpreter's environment")
    autostart.enable()
    argv = exec_argv(entry_values(config_home / "autostart" / "tagrec.desktop")["Exec"])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TAGREC_HOME": str(tmp_path / "home"), "TAGREC_PORT": "0"}
    done = subprocess.run([*argv, "--smoke-test"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["window"] in {"tray", "minimized"}  # offscreen Qt has no tray: minimized
    if report["window"] == "minimized":
        assert report["minimized"] is True


def test_exec_line_quotes_reserved_characters_and_doubles_percent() -> None:
    assert autostart.exec_line(["/usr/bin/tagrec-desktop", "--minimized"]) == "/usr/bin/tagrec-desktop --minimized"
    assert autostart.exec_line(["/opt/a b/x", "100%"]) == '"/opt/a b/x" 100%%'
    assert autostart.exec_line(["a$b"]) == '"a\\\\$b"'  # \$ inside quotes, then the string escape of \


def test_the_launch_agent_runs_the_command_at_login() -> None:
    agent = plistlib.loads(autostart.launch_agent(AWKWARD))
    assert agent["Label"] == autostart.AGENT_LABEL
    assert agent["ProgramArguments"] == AWKWARD
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] is False


def test_the_run_key_value_is_one_quoted_command_line() -> None:
    command = [r"C:\Program Files\tagrec\tagrec-desktop.exe", "--minimized"]
    assert autostart.windows_command(command) == r'"C:\Program Files\tagrec\tagrec-desktop.exe" --minimized'
