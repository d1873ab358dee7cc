#!/usr/bin/env bash
# Quick start, command 2: every test (unit, then integration against real Redis, the embedded S3
# server and the reference LLM over HTTP). Ends with the line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec node scripts/run-tests.mjs "$@"
