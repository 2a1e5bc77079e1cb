#!/usr/bin/env bash
# What the browser extension's tests need beyond Python: Debian's Chromium (driven by Playwright, never a
# downloaded browser) and node (the unit tests of the extension's modules). Installed when missing and when
# this runs as root on a Debian-like system; otherwise those tests are skipped with a reason.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== installing ${missing[*]} for the extension's tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "note: ${missing[*]} missing and not installable here; the extension's browser tests will be skipped" >&2
fi
