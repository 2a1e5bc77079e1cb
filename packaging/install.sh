#!/bin/sh
# Install the tagrec bundle this script sits in, for the current user (no root, no Python needed):
#   the programs to $PREFIX/opt/tagrec with links in $PREFIX/bin, the menu entry and the icons to $PREFIX/share.
# PREFIX defaults to ~/.local.   ./install.sh            install (or update)
#                                ./install.sh --uninstall remove it all again (your profile stays)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
dest="$prefix/opt/tagrec"
apps="$prefix/share/applications"
icons="$prefix/share/icons/hicolor"

uninstall() {
  rm -rf "$dest"
  rm -f "$prefix/bin/tagrec" "$prefix/bin/tagrec-desktop" "$apps/tagrec.desktop"
  find "$icons" -name tagrec.png -o -name tagrec.svg 2>/dev/null | while read -r f; do rm -f "$f"; done
}

if [ "${1:-}" = "--uninstall" ]; then
  uninstall
  echo "tagrec removed from $prefix"
  exit 0
fi

if [ "$here" != "$dest" ]; then
  rm -rf "$dest"
  mkdir -p "$prefix/opt"
  cp -a "$here" "$dest"
fi
mkdir -p "$prefix/bin" "$apps"
ln -sf "$dest/tagrec" "$prefix/bin/tagrec"
ln -sf "$dest/tagrec-desktop" "$prefix/bin/tagrec-desktop"
sed -e "s|^Exec=tagrec-desktop|Exec=\"$dest/tagrec-desktop\"|" -e "s|^TryExec=tagrec-desktop|TryExec=$dest/tagrec-desktop|" \
  "$dest/share/applications/tagrec.desktop" > "$apps/tagrec.desktop"
(cd "$dest/share/icons/hicolor" && find . -type f) | while read -r f; do
  mkdir -p "$icons/$(dirname "$f")"
  cp "$dest/share/icons/hicolor/$f" "$icons/$f"
done
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
echo "tagrec $("$dest/tagrec" --version | cut -d' ' -f2) installed in $dest"
echo "  commands: $prefix/bin/tagrec, $prefix/bin/tagrec-desktop (is $prefix/bin on your PATH?)"
echo "  browser extension: $dest/extension/ (how to load it: docs/extension.md in tagrec's source)"
