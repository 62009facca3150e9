#!/usr/bin/env bash
# Inside scripts/live (the demo SPA's client registered by LIVE_SETUP): serves the SPA on
# $SPA_PORT and runs the browser test against both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
spa=http://127.0.0.1:$SPA_PORT
python3 "$root/examples/spa/serve.py" "$SPA_PORT" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "$spa/" >/dev/null 2>&1 && break
  sleep 0.1
done
SPA_URL=$spa "$E2E_PYTHON" "$here/spa_sign_in.py"
