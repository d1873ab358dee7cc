#!/usr/bin/env bash
# Quick start, command 1: installs what is needed, builds, and runs the demo end to end on the
# embedded default (local Redis, local S3 server, reference LLM, SpamAssassin), printing the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
node scripts/ensure-redis.mjs
node packages/cli/dist/main.js demo "$@"
