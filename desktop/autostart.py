"""Start ``tagrec-desktop --minimized`` when the user logs in, so the browser bridge is there when the browser is.

Where the entry lives:

* Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/tagrec.desktop`` (``~/.config`` by default);
* Windows: the value ``tagrec`` under ``HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``;
* macOS: the LaunchAgent ``~/Library/LaunchAgents/local.tagrec.desktop.plist`` (``RunAtLoad``; read at login).

``enable()`` writes the entry for the program that is running now (``default_command``: the bundle's own
``tagrec-desktop``, or the venv's), ``disable()`` removes it, ``is_enabled()`` says whether it is there and not
switched off by the desktop (GNOME's ``X-GNOME-Autostart-enabled=false``, ``Hidden=true``; a plist's
``Disabled``). Each is quick, touches only the current user's settings, and may run on the GUI thread; a
refusal of the system (a read-only folder, a registry error) raises ``AutostartError`` with a message for a
person. The pure functions (``exec_line``, ``desktop_entry``, ``launch_agent``, ``windows_command``) build
what is written, so it can be checked on any system.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tagrec_core.errors import TagrecError

__all__ = [
    "AGENT_LABEL",
    "RUN_KEY",
    "RUN_VALUE",
    "AutostartError",
    "default_command",
    "desktop_entry",
    "disable",
    "enable",
    "entry_path",
    "exec_line",
    "is_enabled",
    "launch_agent",
    "windows_command",
]

AGENT_LABEL = "local.tagrec.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "tagrec"
ENTRY_NAME = "tagrec.desktop"
MINIMIZED = "--minimized"
# Characters that make an argument of a desktop entry's Exec key need quotes (Desktop Entry Specification).
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


class AutostartError(TagrecError):
    """The system refused to add or remove the autostart entry."""

    code = "autostart"


def default_command(*, minimized: bool = True) -> list[str]:
    """The command line that starts this installation's desktop app.

    In the bundle (``sys.frozen``): the ``tagrec-desktop`` executable beside the running one (whichever of the
    bundle's programs asks). From a virtual environment: its ``tagrec-desktop`` script, found beside
    ``sys.executable`` (never resolved: a venv's python is a symlink to the system's), else the interpreter
    running ``desktop.app:main``. ``minimized`` adds ``--minimized`` (start in the tray).
    """
    suffix = ".exe" if sys.platform == "win32" else ""
    here = Path(sys.executable)
    if getattr(sys, "frozen", False):
        sibling = here.with_name(f"tagrec-desktop{suffix}")
        program = [str(sibling if sibling.is_file() else here)]
    else:
        script = here.with_name(f"tagrec-desktop{suffix}")
        program = [str(script)] if script.is_file() else [str(here), "-c", "from desktop.app import main; main()"]
    return [*program, MINIMIZED] if minimized else program


def entry_path() -> Path:
    """Where the entry is written: the .desktop file (Linux) or the plist (macOS); on Windows, a description of
    the registry value (nothing on disk)."""
    if sys.platform == "win32":
        return Path(f"HKEY_CURRENT_USER\\{RUN_KEY}\\{RUN_VALUE}")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
    return _xdg_config_home() / "autostart" / ENTRY_NAME


def enable(command: Sequence[str] | None = None) -> None:
    """Start ``command`` (default: ``default_command()``) at every login of this user. Replaces an earlier
    entry, so calling it again after the app moved repairs the entry."""
    argv = list(command) if command is not None else default_command()
    if not argv:
        raise ValueError("the autostart command is empty")
    if sys.platform == "win32":
        _windows_set(windows_command(argv))
    elif sys.platform == "darwin":
        _write(entry_path(), launch_agent(argv))
    else:
        _write(entry_path(), desktop_entry(argv).encode("utf-8"))


def disable() -> None:
    """Remove the entry; nothing happens when there is none."""
    if sys.platform == "win32":
        _windows_delete()
        return
    try:
        entry_path().unlink(missing_ok=True)
    except OSError as error:
        raise AutostartError(f"cannot remove the autostart entry {entry_path()}: {error.strerror}") from error


def is_enabled() -> bool:
    """Whether the entry is there and the desktop has not switched it off."""
    if sys.platform == "win32":
        return _windows_get() is not None
    path = entry_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise AutostartError(f"cannot read the autostart entry {path}: {error.strerror}") from error
    if sys.platform == "darwin":
        try:
            return not plistlib.loads(data).get("Disabled", False)
        except (plistlib.InvalidFileException, ValueError):
            return False
    return _entry_is_on(data.decode("utf-8", "replace"))


# --- what is written (pure) ------------------------------------------------------------------------------------


def exec_line(command: Sequence[str]) -> str:
    """``command`` as the value of a desktop entry's ``Exec`` key: arguments with reserved characters in double
    quotes (escaping ``"``, `````, ``$`` and ``\\``), ``%`` doubled, and the key's own string escapes applied."""
    quoted = []
    for arg in command:
        arg = arg.replace("%", "%%")
        if arg and not _RESERVED.intersection(arg):
            quoted.append(arg)
            continue
        inner = "".join("\\" + c if c in '"`$\\' else c for c in arg)
        quoted.append(f'"{inner}"')
    line = " ".join(quoted)
    return line.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def desktop_entry(command: Sequence[str]) -> str:
    """The XDG autostart entry that runs ``command``."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=tagrec\n"
        "Comment=Tag suggestions and the browser bridge, in the tray\n"
        f"Exec={exec_line(command)}\n"
        "Icon=tagrec\n"
        "Terminal=false\n"
        "Categories=Utility;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def launch_agent(command: Sequence[str]) -> bytes:
    """The macOS LaunchAgent (an XML plist) that runs ``command`` once at login."""
    agent = {
        "Label": AGENT_LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": False,  # Quit in the tray menu means quit until the next login
        "ProcessType": "Interactive",
    }
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML, sort_keys=True)


def windows_command(command: Sequence[str]) -> str:
    """``command`` as one Windows command line (the Run key's value), quoted the way the C runtime parses it."""
    return subprocess.list2cmdline(list(command))


# --- the systems -------------------------------------------------------------------------------------------------


def _xdg_config_home() -> Path:
    """``$XDG_CONFIG_HOME``, else ``~/.config`` (platformdirs' rule on every system but Windows and macOS)."""
    import platformdirs

    return platformdirs.user_config_path()


def _entry_is_on(text: str) -> bool:
    """Whether a desktop entry is switched on: its ``[Desktop Entry]`` group has neither ``Hidden=true`` nor
    ``X-GNOME-Autostart-enabled=false`` (what desktops write when the user turns an entry off)."""
    group = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            group = line
            continue
        key, _, value = line.partition("=")
        if group != "[Desktop Entry]":
            continue
        if key.strip() == "Hidden" and value.strip().lower() == "true":
            return False
        if key.strip() == "X-GNOME-Autostart-enabled" and value.strip().lower() == "false":
            return False
    return True


def _write(path: Path, data: bytes) -> None:
    """Write ``path`` atomically (a temporary file beside it, then a rename)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise AutostartError(f"cannot write the autostart entry {path}: {error.strerror}") from error


def _windows_set(value: str) -> None:  # pragma: no cover - Windows only
    import winreg

    try:
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, value)
    except OSError as error:
        raise AutostartError(f"cannot add tagrec to the Run key: {error}") from error


def _windows_get() -> str | None:  # pragma: no cover - Windows only
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            value, _kind = winreg.QueryValueEx(key, RUN_VALUE)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise AutostartError(f"cannot read the Run key: {error}") from error
    return str(value)


def _windows_delete() -> None:  # pragma: no cover - Windows only
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.DeleteValue(key, RUN_VALUE)
    except FileNotFoundError:
        return
    except OSError as error:
        raise AutostartError(f"cannot remove tagrec from the Run key: {error}") from error
