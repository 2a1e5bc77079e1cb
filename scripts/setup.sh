#!/usr/bin/env bash
# Sets up tagrec in ./.venv (idempotent): Python 3.11+, the CPU build of torch 2.13.0, tagrec with its dev extra.
# Environment: PYTHON (interpreter, default python3.11 or python3), TORCH_INDEX_URL (an extra package index
# for the CPU-only torch wheel on machines whose default index would pull the CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  if command -v python3.11 >/dev/null 2>&1; then python_bin=python3.11; else python_bin=python3; fi
fi
"$python_bin" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tagrec needs Python 3.11 or newer")'

if ! "$python_bin" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  # Debian ships venv separately; we run as root on a fresh machine (README).
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
pip_args=(-q --disable-pip-version-check)
if [ -n "${TORCH_INDEX_URL:-}" ]; then pip_args+=(--extra-index-url "$TORCH_INDEX_URL"); fi
# torch first and pinned exactly: an unpinned torch pulls gigabytes of CUDA packages (field-notes §1).
.venv/bin/python -m pip install "${pip_args[@]}" "torch==2.13.0"
.venv/bin/python -m pip install "${pip_args[@]}" -e ".[dev]"
