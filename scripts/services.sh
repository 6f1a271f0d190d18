#!/usr/bin/env bash
# Throwaway PostgreSQL, Redis and a local S3 server (moto) on loopback ports, for local
# use and for CI. Data lives under .services/ and is thrown away on stop.
#   eval "$(scripts/services.sh start)"   # exports DATABASE_URL, REDIS_URL, S3 vars
#   scripts/services.sh stop
#   scripts/services.sh restart-postgres   # what the chaos test does mid-run
# Ports: PG_PORT (54329), REDIS_PORT (63799), S3_PORT (53999).
# WITH_REPLICA=1 also starts a streaming replica of the PostgreSQL server (pg_basebackup
# from the primary) on PG_REPLICA_PORT (54328) and exports REPLICA_TEST_URL, which the
# end-to-end tests hand to the stack as DATABASE_REPLICA_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD/.services"
PG_PORT="${PG_PORT:-54329}"
PG_DATA="$ROOT/pg"
REDIS_PORT="${REDIS_PORT:-63799}"
S3_PORT="${S3_PORT:-53999}"
PG_REPLICA_PORT="${PG_REPLICA_PORT:-54328}"
# Whole statements in pg_stat_activity (the default keeps 1 kB): the replica smoke test
# reads there on which server a long list query ran.
PG_QUERY_TEXT="-c track_activity_query_size=32768"
PG_REPLICA_DATA="$ROOT/pg-replica"

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

# PostgreSQL refuses to run as root: run it as the postgres user in a folder it owns.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin; bin=$(pg_bin)
  mkdir -p "$ROOT"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_DATA"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DATA" && chmod 700 "$PG_DATA"
    as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
      -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off $PG_QUERY_TEXT" \
      start >/dev/null
  fi
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='gridlink'" | grep -q 1 \
    || as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres gridlink
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/gridlink"
  # The chaos test (tests/e2e/test_chaos.py) restarts the server under a running stack.
  echo "export POSTGRES_RESTART_COMMAND='$PWD/scripts/services.sh restart-postgres'"
}

restart_postgres() {  # fast: open sessions are cut, as in a failover
  local bin; bin=$(pg_bin)
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -m fast -w restart >/dev/null
}

start_replica() {
  local bin; bin=$(pg_bin)
  if [ ! -f "$PG_REPLICA_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_REPLICA_DATA"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_REPLICA_DATA" && chmod 700 "$PG_REPLICA_DATA"
    # -R writes standby.signal and the connection back to the primary.
    as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$PG_REPLICA_DATA" \
      -R -X stream -c fast >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$PG_REPLICA_DATA" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$PG_REPLICA_DATA" -l "$PG_REPLICA_DATA/server.log" -w \
      -o "-p $PG_REPLICA_PORT -k /tmp -c listen_addresses=127.0.0.1 -c hot_standby=on $PG_QUERY_TEXT" \
      start >/dev/null
  fi
  echo "export REPLICA_TEST_URL=postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/gridlink"
}

stop_replica() {
  local bin; bin=$(pg_bin)
  [ -f "$PG_REPLICA_DATA/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$PG_REPLICA_DATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_REPLICA_DATA"
}

stop_postgres() {
  local bin; bin=$(pg_bin)
  [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DATA"
}

start_redis() {
  command -v redis-server >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  }
  mkdir -p "$ROOT/redis"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
      --dir "$ROOT/redis" --daemonize yes --pidfile "$ROOT/redis/redis.pid" \
      --logfile "$ROOT/redis/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

stop_redis() {
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$ROOT/redis"
}

start_s3() {
  mkdir -p "$ROOT/s3"
  if ! curl -s "http://127.0.0.1:$S3_PORT/moto-api/" >/dev/null 2>&1; then
    nohup .venv/bin/moto_server -H 127.0.0.1 -p "$S3_PORT" >"$ROOT/s3/moto.log" 2>&1 &
    echo $! >"$ROOT/s3/moto.pid"
    for _ in $(seq 100); do curl -s "http://127.0.0.1:$S3_PORT/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export S3_TEST_ENDPOINT_URL=http://127.0.0.1:$S3_PORT"
}

stop_s3() {
  [ -f "$ROOT/s3/moto.pid" ] && kill "$(cat "$ROOT/s3/moto.pid")" 2>/dev/null || true
  rm -rf "$ROOT/s3"
}

case "${1:-}" in
  start) start_postgres; if [ "${WITH_REPLICA:-0}" = 1 ]; then start_replica; fi; start_redis; start_s3 ;;
  stop) stop_s3; stop_redis; stop_replica; stop_postgres ;;
  restart-postgres) restart_postgres ;;
  *) echo "usage: $0 start|stop|restart-postgres" >&2; exit 2 ;;
esac
