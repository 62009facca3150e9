#!/usr/bin/env bash
# The end-to-end test of SPEC §11 in a real browser: Debian's headless Chromium, driven by
# Playwright for Python (pinned in requirements.txt, in a cached venv; Playwright's own
# browser download is never used), signs in to the demo SPA (examples/spa) through the
# hosted login page of a live Gatehouse (scripts/live). Screenshots go to $E2E_SHOTS
# (default target/e2e). CI: tests/e2e/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. scripts/lib/services.sh

command -v chromium >/dev/null || apt_install chromium fonts-dejavu-core
version=$(sha256sum "$here/requirements.txt" | cut -c1-12)
venv=${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse/e2e-$version
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
  log "installing Playwright (Python) into $venv"
  python3 -m venv "$venv" || { apt_install python3-venv && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
export E2E_PYTHON=$venv/bin/python E2E_SHOTS=${E2E_SHOTS:-$root/target/e2e}
mkdir -p "$E2E_SHOTS" && rm -f "$E2E_SHOTS"/*.png
# The ID token's RSA key (access tokens stay HS256); a CI runner cannot fail a login rate.
export GATEHOUSE_JWT_KEY_DIR=$root/tests/fixtures/keys/rs256
# The SPA's port, and its client registered before the server starts (it loads the
# clients' origins for CORS at start).
export SPA_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
spa=http://127.0.0.1:$SPA_PORT
bin=${CARGO_TARGET_DIR:-$root/target}/debug/gatehouse
export LIVE_SETUP="'$bin' create-client --client-id demo-spa --name 'Demo SPA' \
  --redirect-uri $spa/callback --origin $spa --refresh-delivery cookie --first-party \
  --post-logout-redirect-uri $spa/"
scripts/live bash "$here/with_spa.sh"
