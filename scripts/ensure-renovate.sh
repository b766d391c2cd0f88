#!/usr/bin/env bash
# Installs the pinned Renovate (npm) into a cache folder once and prints the directory holding its executables
# (`renovate`, `renovate-config-validator`). Renovate 44 needs Node ^24.11: putting Node 24 first on PATH is the
# caller's job (.ci/run does it). Usage: PATH="$(bash scripts/ensure-renovate.sh):$PATH"
# Progress goes to stderr; stdout is only the directory.
set -euo pipefail

RENOVATE_VERSION=44.121.2
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${MYOCI_TOOLS_DIR:-$root/.cache/tools}/renovate-$RENOVATE_VERSION"
bin="$cache/node_modules/.bin"

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 24 ]; then
  echo "ensure-renovate: Renovate $RENOVATE_VERSION needs Node 24 on PATH (found: $(node -v 2>/dev/null || echo none))" >&2
  exit 2
fi

installed="$(node -p "require('$cache/node_modules/renovate/package.json').version" 2>/dev/null || true)"
if [ "$installed" != "$RENOVATE_VERSION" ] || [ ! -x "$bin/renovate" ] || [ ! -x "$bin/renovate-config-validator" ]; then
  echo "ensure-renovate: installing renovate@$RENOVATE_VERSION into $cache" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  printf '{ "name": "myoci-renovate-tool", "private": true }\n' >"$cache/package.json"
  # --ignore-scripts: optional native modules (re2) fall back to JavaScript; nothing is built or downloaded.
  npm install --prefix "$cache" --no-audit --no-fund --loglevel=error --ignore-scripts --save-exact \
    "renovate@$RENOVATE_VERSION" >&2
fi

echo "$bin"
