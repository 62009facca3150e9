# shellcheck shell=bash
# Shared by scripts/dev, scripts/test and scripts/bench: make PostgreSQL and Redis available
# and export DATABASE_URL / GATEHOUSE_MIGRATION_DATABASE_URL / REDIS_URL. Reuses whatever
# DATABASE_URL / REDIS_URL already point to; otherwise installs Debian's postgresql and
# redis-server when missing, starts them when not running, and creates the database roles
# (README, "Database roles") and the database.
# Idempotent: run it as often as you like; it converges the older one-role set-up (where
# the application role owned the database) to the two-role one.

# The application role: LOGIN, owns nothing, its privileges come from the group role.
GH_DB_USER=${GH_DB_USER:-gatehouse}
GH_DB_PASSWORD=${GH_DB_PASSWORD:-gatehouse}
# The owner role: owns the database and its tables, runs the migrations.
GH_DB_OWNER=${GH_DB_OWNER:-gatehouse_owner}
GH_DB_OWNER_PASSWORD=${GH_DB_OWNER_PASSWORD:-gatehouse_owner}
# The NOLOGIN group role the migration 2026-12-03-000001_database_roles grants to (fixed:
# the migration names it).
GH_DB_GROUP=gatehouse_app
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
    # Up to ten minutes, not pg_ctl's one: after an unclean stop, recovery first fsyncs the
    # whole data directory, which on a large one outlasts a minute.
    as_root pg_ctlcluster "$version" main start -- -t 600
  fi
  local port
  port=$(pg_lsclusters --no-header | awk -v v="$version" '$1==v && $2=="main" {print $3}')
  for _ in $(seq 1 30); do
    as_postgres psql -p "$port" -tAc 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  # Roles: no superuser, no BYPASSRLS anywhere (row-level security must apply). The owner
  # has CREATEDB: the test harness creates its template and per-test databases as it.
  # The application role is granted the group role and nothing else; it is never a member
  # of the owner. (An older set-up gave it CREATEDB; that is left alone here so that
  # branches whose test harness still clones databases as it keep working.)
  as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -q <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$GH_DB_OWNER') THEN
    CREATE ROLE $GH_DB_OWNER LOGIN PASSWORD '$GH_DB_OWNER_PASSWORD' NOSUPERUSER NOBYPASSRLS CREATEDB;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$GH_DB_GROUP') THEN
    CREATE ROLE $GH_DB_GROUP NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$GH_DB_USER') THEN
    CREATE ROLE $GH_DB_USER LOGIN PASSWORD '$GH_DB_PASSWORD' NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF pg_has_role('$GH_DB_USER', '$GH_DB_OWNER', 'MEMBER') THEN
    REVOKE $GH_DB_OWNER FROM $GH_DB_USER;
  END IF;
  IF NOT pg_has_role('$GH_DB_USER', '$GH_DB_GROUP', 'MEMBER') THEN
    GRANT $GH_DB_GROUP TO $GH_DB_USER;
  END IF;
END \$\$;
ALTER ROLE $GH_DB_OWNER LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB;
ALTER ROLE $GH_DB_GROUP NOLOGIN NOSUPERUSER NOBYPASSRLS;
ALTER ROLE $GH_DB_USER LOGIN NOSUPERUSER NOBYPASSRLS;
SQL
  if ! as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = '$GH_DB_NAME'" | grep -q 1; then
    as_postgres createdb -p "$port" -O "$GH_DB_OWNER" "$GH_DB_NAME"
  fi
  # Converge an older set-up: the database and whatever the application role created in it
  # (tables, their sequences, functions, types, the schema) move to the owner. Not REASSIGN
  # OWNED: that would also move every other database the role owns.
  as_postgres psql -p "$port" -d "$GH_DB_NAME" -v ON_ERROR_STOP=1 -q <<SQL >/dev/null
ALTER DATABASE $GH_DB_NAME OWNER TO $GH_DB_OWNER;
DO \$\$
DECLARE
  app oid := '$GH_DB_USER'::regrole;
  obj record;
BEGIN
  FOR obj IN
    SELECT 'TABLE' AS kind, c.oid::regclass::text AS name FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relowner = app AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      -- sequences of serial/identity columns follow their table
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
    UNION ALL
    SELECT 'ROUTINE', p.oid::regprocedure::text FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.proowner = app
    UNION ALL
    SELECT 'TYPE', t.oid::regtype::text FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typowner = app AND t.typtype IN ('e', 'd')
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO $GH_DB_OWNER', obj.kind, obj.name);
  END LOOP;
  IF (SELECT nspowner FROM pg_namespace WHERE nspname = 'public') = app THEN
    ALTER SCHEMA public OWNER TO $GH_DB_OWNER;
  END IF;
END
\$\$;
SQL
  if [ "${GH_TEST_ROLES:-0}" = 1 ]; then
    # scripts/test only: a role with BYPASSRLS (and no privilege on anything), which the
    # server must refuse to serve as. Only a superuser can create one.
    as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -q <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse_probe_bypassrls') THEN
    CREATE ROLE gatehouse_probe_bypassrls LOGIN PASSWORD 'gatehouse_probe' NOSUPERUSER BYPASSRLS;
  END IF;
  -- The harness drops each test's database when the test ends, WITH (FORCE): the app's
  -- pool is still connected then, as the application role, whose backends the owner may
  -- not terminate. This role may (pg_signal_backend) and owns what the owner owns.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse_test_reaper') THEN
    CREATE ROLE gatehouse_test_reaper LOGIN PASSWORD 'gatehouse_test_reaper' NOSUPERUSER NOBYPASSRLS;
  END IF;
END \$\$;
GRANT $GH_DB_OWNER, pg_signal_backend TO gatehouse_test_reaper;
SQL
    export GATEHOUSE_TEST_BYPASSRLS_DATABASE_URL="postgres://gatehouse_probe_bypassrls:gatehouse_probe@127.0.0.1:$port/$GH_DB_NAME"
    export GATEHOUSE_TEST_REAPER_DATABASE_URL="postgres://gatehouse_test_reaper:gatehouse_test_reaper@127.0.0.1:$port/$GH_DB_NAME"
  fi
  GH_PG_PORT_IN_USE=$port
  export DATABASE_URL="postgres://$GH_DB_USER:$GH_DB_PASSWORD@127.0.0.1:$port/$GH_DB_NAME"
  export GATEHOUSE_MIGRATION_DATABASE_URL="postgres://$GH_DB_OWNER:$GH_DB_OWNER_PASSWORD@127.0.0.1:$port/$GH_DB_NAME"
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

# Drops the databases that killed test runs left behind (a test drops its own when it ends)
# and the templates of earlier migration sets (the harness rebuilds the current one in
# seconds). Only when no other scripts/test runs on this machine: the caller holds the lock
# on fd 9 shared for its whole run, and reaps only if it could take it exclusively first.
reap_test_databases() {
  [ -z "${GH_PG_PORT_IN_USE:-}" ] && return
  exec 9>"${TMPDIR:-/tmp}/gatehouse-test-$GH_PG_PORT_IN_USE.lock"
  if flock -xn 9; then
    local stale
    stale=$(as_postgres psql -p "$GH_PG_PORT_IN_USE" -tAc \
      "SELECT datname FROM pg_database WHERE datname ~ '^gatehouse_(test|tpl)_'")
    if [ -n "$stale" ]; then
      log "dropping $(wc -l <<<"$stale") test databases left behind"
      sed 's/.*/DROP DATABASE IF EXISTS & WITH (FORCE);/' <<<"$stale" |
        as_postgres psql -p "$GH_PG_PORT_IN_USE" -q >/dev/null
    fi
  fi
  flock -s 9
}

ensure_services() {
  ensure_postgres
  ensure_redis
}
