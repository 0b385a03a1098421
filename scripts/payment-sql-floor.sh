#!/usr/bin/env bash
# How fast PostgreSQL runs a payment's own SQL, with no server in front of it:
#   scripts/payment-sql-floor.sh [ROUNDS] [SECONDS] [CLIENTS]
# 1. serves a fresh database (hb_floor) with the release build and lets `hyperbank bench`
#    prepare CLIENTS pairs of funded accounts;
# 2. logs every statement of a second server while one bench connection makes payments, and
#    turns what one backend ran for two book transfers and an fps payment (create and submit
#    each, in the bench's mix) into pgbench scripts (scripts/payment_sql_floor.py says which);
# 3. alternates, ROUNDS times, pgbench's TPC-B-like script (database pgb, scale 16, created
#    if missing) with the three payment scripts, CLIENTS clients and SECONDS each, and prints
#    payments/s (three per script run) and their ratio to TPC-B's transactions/s.
# The server reaching its SQL's `pipelined` rate means it adds little of its own; the
# `functions` rate bounds what moving the write path into PostgreSQL could give.
# Needs psql, pgbench, python3, a release build, and the PostgreSQL log readable at $PG_LOG.
# Leaves PostgreSQL's settings as it found them; KEEP=1 keeps hb_floor and the scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} secs=${2:-6} clients=${3:-16}
bin=${BENCH_BIN:-target/release/hyperbank}
log=${PG_LOG:-$(ls -t /var/log/postgresql/postgresql-*-main.log | head -1)}
port=${BENCH_PORT:-8089}
db=hb_floor url=postgres://root@127.0.0.1:5432/hb_floor
psql_() { PGOPTIONS=--client-min-messages=warning psql -h 127.0.0.1 -U root -v ON_ERROR_STOP=1 -qAt "$@"; }
out=$(mktemp -d /tmp/hb-floor.XXXXXX)
key=g-test-bench-$(head -c 32 /dev/urandom | base64 | tr "+/" "-_" | head -c 43)
server=
serve() {
  DATABASE_URL=$url HYPERBANK_BOOTSTRAP_API_KEY=$key HYPERBANK_BIND=127.0.0.1:$port \
    RUST_LOG=warn $bin serve >>"$out/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$port/v0/ping >/dev/null && return; sleep 0.1; done
  echo "server did not start: $out/server.log" >&2; exit 1
}
stop() { [ -n "$server" ] && kill $server 2>/dev/null && wait $server 2>/dev/null || true; server=; }
cleanup() {
  stop
  psql_ -d postgres -c "ALTER DATABASE $db RESET log_statement" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept: database $db, scripts in $out" >&2
  else
    psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
    rm -rf "$out"
  fi
}
trap cleanup EXIT
bench() { $bin bench --url http://127.0.0.1:$port --key "$key" --scenario payments --warmup 0 "$@" >/dev/null; }

psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
serve
bench --connections "$clients" --duration 1
stop
# Log only the second server's connections, and only while one bench connection pays.
psql_ -d postgres -c "ALTER DATABASE $db SET log_statement = 'all'"
from=$(($(wc -l <"$log") + 1))
serve
bench --connections 1 --duration 1
stop
psql_ -d postgres -c "ALTER DATABASE $db RESET log_statement"
tail -n +"$from" "$log" >"$out/statements.log"
python3 scripts/payment_sql_floor.py "$out/statements.log" "$db" "$out"

# Client N pays between the accounts the first bench connection N opened (opened in pairs).
psql_ -d "$db" -f "$out/functions-ddl.sql" -c "
  CREATE TABLE floor_accounts (n int PRIMARY KEY, a text NOT NULL, b text NOT NULL);
  INSERT INTO floor_accounts
  SELECT (k - 1) / 2, min(id) FILTER (WHERE k % 2 = 1), min(id) FILTER (WHERE k % 2 = 0)
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS k FROM bank_accounts
        WHERE display_name LIKE 'Bench %') opened
  WHERE k <= 2 * $clients GROUP BY (k - 1) / 2;"
[ "$(psql_ -d "$db" -c 'SELECT count(*) FROM floor_accounts')" -ge "$clients" ] ||
  { echo "fewer than $clients account pairs" >&2; exit 1; }
if ! psql_ -d pgb -c 'SELECT 1' >/dev/null 2>&1; then
  psql_ -d postgres -c "CREATE DATABASE pgb"
  pgbench -h 127.0.0.1 -U root -i -s 16 -q pgb >/dev/null 2>&1
fi

tps() { pgbench -h 127.0.0.1 -U root -c "$clients" -j 2 -T "$secs" "$@" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
for round in $(seq 1 "$rounds"); do
  tpcb=$(tps pgb)
  line="round $round: TPC-B $tpcb tps"
  for script in sequential pipelined functions; do
    runs=$(tps -n -M prepared -f "$out/$script.sql" "$db")
    [ -n "$runs" ] || { echo "pgbench failed on $script.sql" >&2; exit 1; }
    line+=$(awk -v r="$runs" -v t="$tpcb" -v s=$script \
      'BEGIN { printf "; %s %.0f payments/s (%.2f of TPC-B)", s, 3 * r, 3 * r / t }')
  done
  echo "$line"
done
