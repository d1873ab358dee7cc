#!/usr/bin/env bash
# Installs pnpm (pinned) and the workspace, then builds every package. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2 >/dev/null
fi
if ! command -v redis-server >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing redis-server from Debian"
    # A fresh machine's package lists may be empty.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "Redis is needed: install redis-server or set REDIS_URL" >&2
    exit 1
  fi
fi
# Test tools from Debian: promtool (package prometheus) checks /metrics, kubectl (kubernetes-client)
# builds the k8s/ overlays with its kustomize, chromium (driven by playwright-core) opens the runs
# page. Their tests fail, naming this script, without them.
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: ${missing[*]} missing (Debian packages); the metrics, k8s and runs-page tests need them" >&2
  fi
fi
export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --reporter=silent
pnpm build --output-logs=errors-only
echo "built; the CLI is: pnpm exec datashunt --help"
