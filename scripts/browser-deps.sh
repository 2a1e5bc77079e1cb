#!/usr/bin/env bash
# What the browser extension's tests need beyond Python: Debian's Chromium (driven by Playwright) and Firefox ESR
# (driven by puppeteer-core over WebDriver BiDi), never a downloaded browser; node and npm (the unit tests of the
# extension's modules, and puppeteer-core from tests/webextension/package-lock.json). Installed when missing and
# when this runs as root on a Debian-like system; otherwise those tests are skipped with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || missing+=(firefox-esr)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing ${missing[*]} for the extension's tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: ${missing[*]} missing and not installable here; the extension's browser tests will be skipped" >&2
  fi
fi
# The Firefox test's node packages, again whenever the lock file changes (puppeteer-core downloads no browser).
lock=tests/webextension/package-lock.json
stamp=tests/webextension/node_modules/.installed-lock.json
if command -v npm >/dev/null 2>&1 && ! cmp -s "$lock" "$stamp"; then
  echo "== installing tests/webextension's node packages"
  npm ci --prefix tests/webextension --no-audit --no-fund --loglevel=error
  cp "$lock" "$stamp"
fi
