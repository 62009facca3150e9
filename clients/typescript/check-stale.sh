#!/usr/bin/env bash
# Fails if src/schema.d.ts is not what openapi-typescript makes of openapi/openapi.json now
# (a stale client). Needs node_modules (npm ci).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
doc=../../openapi/openapi.json
fresh=$(mktemp --suffix=.d.ts)
trap 'rm -f "$fresh"' EXIT
if ! out=$(npx --no-install openapi-typescript "$doc" -o "$fresh" 2>&1); then
  echo "$out" >&2
  echo "clients/typescript: openapi-typescript failed on openapi/openapi.json" >&2
  exit 1
fi
if ! diff -u src/schema.d.ts "$fresh" >"$fresh.diff"; then
  head -n 60 "$fresh.diff" >&2
  rm -f "$fresh.diff"
  echo >&2
  echo "clients/typescript/src/schema.d.ts is stale: it does not match openapi/openapi.json." >&2
  echo "Regenerate it with: (cd clients/typescript && npm run generate), then commit it." >&2
  exit 1
fi
rm -f "$fresh.diff"
echo "clients/typescript: src/schema.d.ts matches openapi/openapi.json"
