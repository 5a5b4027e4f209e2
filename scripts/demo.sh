#!/usr/bin/env bash
# Set up (if needed), then replay the built-in silent caller through the hotline flow.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/ivr demo "$@"
