#!/usr/bin/env bash
# The main job: set up, then suggest tags for a sample Stack Overflow question and a sample Weibo post
# with the shipped default models. (The desktop app takes over this role once it exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for sample in examples/stackoverflow-question.txt examples/weibo-post.txt; do
  echo "== $sample"
  cat "$sample"
  echo "-- suggested tags (tag, score, source):"
  .venv/bin/tagrec suggest < "$sample"
  echo
done
