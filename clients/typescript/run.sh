#!/usr/bin/env bash
# CI's check of the TypeScript client (SPEC §15), from anywhere (CI: clients/typescript/run.sh):
# install the pinned packages, fail on a stale schema, type-check strictly, build, and run
# the example flow against a live server (scripts/live).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"

echo "== clients/typescript: npm ci"
npm ci --no-audit --no-fund --loglevel=error >/dev/null

echo "== clients/typescript: stale check"
./check-stale.sh

echo "== clients/typescript: tsc --strict (check and build)"
rm -rf dist
npm run --silent check
npm run --silent build

echo "== clients/typescript: example flow against a live server"
"$root/scripts/live" node "$here/dist/flow.js"
