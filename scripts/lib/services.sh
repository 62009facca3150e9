# shellcheck shell=bash
# Shared by scripts/dev, scripts/test and scripts/bench: make PostgreSQL and Redis available
# and export DATABASE_URL / REDIS_URL. Reuses whatever DATABASE_URL / REDIS_URL already
# point to; otherwise installs Debian's postgresql and redis-server when missing, starts
# them when not running, and creates the non-superuser application role and database.
# Idempotent: run it as often as you like.

GH_DB_USER=${GH_DB_USER:-gatehouse}
GH_DB_PASSWORD=${GH_DB_PASSWORD:-gatehouse}
GH_DB_NAME=${GH_DB_NAME:-gatehouse}
GH_PG_PORT=${GH_PG_PORT:-5432}
GH_REDIS_PORT=${GH_REDIS_PORT:-6379}
GH_REDIS_DIR=${GH_REDIS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/gatehouse/redis-$GH_REDIS_PORT}

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root or sudo to run: $*"
  fi
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"
  fi
}

apt_install() {
  log "installing $* (Debian packages)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    log "using the PostgreSQL at \$DATABASE_URL"
    return
  fi
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local version
  version=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1}')
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    log "creating PostgreSQL $version cluster"
    as_root pg_createcluster "$version" main --port "$GH_PG_PORT" >/dev/null
  fi
  if ! pg_lsclusters --no-header | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster "$version" main start
  fi
  local port
  port=$(pg_lsclusters --no-header | awk -v v="$version" '$1==v && $2=="main" {print $3}')
  for _ in $(seq 1 30); do
    as_postgres psql -p "$port" -tAc 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  # The application role: no superuser, no BYPASSRLS (row-level security must apply);
  # CREATEDB so the test harness can clone per-test databases from a template.
  as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -q <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$GH_DB_USER') THEN
    CREATE ROLE $GH_DB_USER LOGIN PASSWORD '$GH_DB_PASSWORD' NOSUPERUSER NOBYPASSRLS CREATEDB;
  END IF;
END \$\$;
SQL
  if ! as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = '$GH_DB_NAME'" | grep -q 1; then
    as_postgres createdb -p "$port" -O "$GH_DB_USER" "$GH_DB_NAME"
  fi
  export DATABASE_URL="postgres://$GH_DB_USER:$GH_DB_PASSWORD@127.0.0.1:$port/$GH_DB_NAME"
}

ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    log "using the Redis at \$REDIS_URL"
    return
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
  fi
  if ! redis-cli -p "$GH_REDIS_PORT" ping >/dev/null 2>&1; then
    log "starting Redis on port $GH_REDIS_PORT"
    # Append-only file: Redis holds the revocations, and one that restarts empty makes
    # every instance reset its sessions (README, "What Redis must keep").
    mkdir -p "$GH_REDIS_DIR"
    redis-server --port "$GH_REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly yes --dir "$GH_REDIS_DIR" >/dev/null
    for _ in $(seq 1 30); do
      redis-cli -p "$GH_REDIS_PORT" ping >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  export REDIS_URL="redis://127.0.0.1:$GH_REDIS_PORT"
}

ensure_services() {
  ensure_postgres
  ensure_redis
}
