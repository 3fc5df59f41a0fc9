#!/usr/bin/env bash
# Sets everything up (first run) and starts KomInn on http://127.0.0.1:8000 with the embedded store.
# An empty store is filled with the illustrative demo data first. Extra arguments go to `kominn serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/kominn serve "$@"
