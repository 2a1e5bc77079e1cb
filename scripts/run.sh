#!/usr/bin/env bash
# The main job: set up, then start the desktop app with the shipped default models. Where there is no display,
# suggest tags for a sample Stack Overflow question and a sample Weibo post on the command line instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A display that answers (a stale DISPLAY over ssh has none): then the app, with the libraries Qt needs there.
if .venv/bin/python -c 'import sys; from desktop.app import has_display; sys.exit(not has_display())'; then
  bash scripts/desktop-deps.sh
  exec .venv/bin/tagrec-desktop
fi
echo "(no display: the desktop app needs one; showing the command line instead)"
for sample in examples/stackoverflow-question.txt examples/weibo-post.txt; do
  echo "== $sample"
  cat "$sample"
  echo "-- suggested tags (tag, score, source, reason):"
  .venv/bin/tagrec suggest < "$sample"
  echo
done
