"""The bundle's one launcher (PyInstaller runs it as ``__main__``): called ``tagrec-desktop`` (the file's name,
or a link of that name) it starts the desktop app, by any other name the ``tagrec`` command line. One program
with two names keeps one copy of the Python modules in the bundle instead of two."""

import os
import sys

if os.path.basename(sys.argv[0]).lower().startswith("tagrec-desktop"):
    from desktop.app import main
else:
    from tagrec_core.cli import main

main()
