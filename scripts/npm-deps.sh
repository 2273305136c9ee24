#!/usr/bin/env bash
# npm-deps.sh: JavaScript packages from the npm registry, for the tests
# (onnxruntime-node runs the exported models; playwright-core drives Debian's
# Chromium through the report and the sampler) and the browser sampler
# (onnxruntime-web's files are copied into build/web by `make web`).
# Installed into build/npm with --ignore-scripts (the packages' CPU runtimes
# ship inside them; their install scripts only fetch GPU extras). Test-only:
# fakeit itself never fetches anything.
#
# usage: scripts/npm-deps.sh   exits 0 when installed (or already there),
#        3 when node or npm is missing, 1 when the install failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_VERSION=1.30.0
PLAYWRIGHT_VERSION=1.64.1
dir=build/npm
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
    echo "npm-deps: node or npm is not installed" >&2
    exit 3
fi
have() { [ -f "$dir/node_modules/$1/package.json" ] &&
    grep -q "\"version\": \"$2\"" "$dir/node_modules/$1/package.json"; }
if have onnxruntime-node $ORT_VERSION && have onnxruntime-web $ORT_VERSION &&
    have playwright-core $PLAYWRIGHT_VERSION; then exit 0; fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"private": true}' > "$dir/package.json"
echo "npm-deps: installing onnxruntime-node and -web $ORT_VERSION, playwright-core $PLAYWRIGHT_VERSION into $dir"
npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error \
    "onnxruntime-node@$ORT_VERSION" "onnxruntime-web@$ORT_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"
