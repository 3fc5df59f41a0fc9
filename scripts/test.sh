#!/usr/bin/env bash
# Sets everything up (first run) and runs the whole test suite: unit, end-to-end with the real model,
# and integration tests against real servers. Extra arguments go to pytest (e.g. -m conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The browser tests drive Debian's Chromium (never a downloaded browser); install it when missing (as root, as in CI).
if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
    else
        echo "chromium is not installed: the browser tests will be skipped (sudo apt-get install chromium)" >&2
    fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
if [ $# -eq 0 ]; then  # the whole run also checks lint and types
    .venv/bin/ruff check .
    .venv/bin/mypy graph ingest recommend service
fi
.venv/bin/python -m pytest "$@"
