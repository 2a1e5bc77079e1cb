"""Entry point of ``tagrec-desktop``."""

from __future__ import annotations

import sys


def main() -> None:
    """Say plainly that the desktop app does not exist yet, and point to the CLI."""
    print("tagrec-desktop is not built yet; use the `tagrec` command (tagrec --help).", file=sys.stderr)
    sys.exit(2)
