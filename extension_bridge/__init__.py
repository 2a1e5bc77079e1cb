"""extension_bridge: the secure localhost HTTP API and the browser extension (not built yet, issue 5)."""
