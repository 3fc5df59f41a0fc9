#!/usr/bin/env bash
# Sets everything up (first run) and runs the whole test suite: unit, end-to-end with the real model,
# and integration tests against real servers. Extra arguments go to pytest (e.g. -m conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/python -m pytest "$@"
