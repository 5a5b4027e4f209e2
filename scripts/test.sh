#!/usr/bin/env bash
# Set up (if needed), then lint and run the whole test suite, live audio tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/ivr flows check
exec .venv/bin/python -m pytest "$@"
