#!/usr/bin/env bash
# The whole test suite: set up, lint, check the import layers, run pytest.
# Slow tests (real data sets, torchrun) run when CI=true or with TAGREC_SLOW=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/browser-deps.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"
ruff check .
ruff format --check .
echo "== import layers"
lint-imports
echo "== pytest"
args=()
if [ "${CI:-}" = "true" ] || [ "${TAGREC_SLOW:-}" = "1" ]; then args+=(--slow); fi
python -m pytest "${args[@]}" "$@"
