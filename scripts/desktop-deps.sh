#!/usr/bin/env bash
# The system libraries the desktop app needs on an X display, and a font for its Chinese texts: Qt's xcb plugin
# links libxcb-icccm, -keysyms and -cursor, which a minimal Debian lacks (Qt then aborts with a message that
# names only xcb-cursor0). Installed with apt-get when run as root (a fresh machine, README); otherwise the
# missing packages are named.
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=$(.venv/bin/python -c 'import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / "Qt/plugins/platforms/libqxcb.so")')
packages=()
if [ -f "$plugin" ] && ldd "$plugin" | grep -q "not found"; then
  packages+=(libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-xkb1 libxkbcommon-x11-0 libxcb-render-util0 libxcb-image0 libxcb-shape0)
fi
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  packages+=(fonts-wqy-zenhei)
fi
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing the desktop's system libraries: ${packages[*]}"
  apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null
else
  echo "tagrec-desktop needs these system packages: ${packages[*]} (install them, e.g. sudo apt-get install ...)" >&2
fi
