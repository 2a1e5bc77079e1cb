"""desktop: the Qt app (not built yet, issue 7)."""
