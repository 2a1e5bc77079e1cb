"""``python -m tagrec_core`` is the ``tagrec`` command."""

from tagrec_core.cli import main

main()
