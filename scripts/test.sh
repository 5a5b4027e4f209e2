#!/usr/bin/env bash
# Set up (if needed), then lint and run the whole test suite, live audio tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ivr doctor
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/ivr flows check
mkdir -p build
.venv/bin/python -m pytest --junitxml=build/test-results.xml "$@"
# every rule of the service code carried out and proven by a test that passed just now
exec .venv/bin/ivr spec --strict
