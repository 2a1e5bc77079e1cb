"""``python -m desktop``: the desktop app, as ``tagrec-desktop``."""

from desktop.app import main

main()
