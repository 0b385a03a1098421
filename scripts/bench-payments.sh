#!/usr/bin/env bash
# Runs `hyperbank bench` against a fresh server: scripts/bench-payments.sh BACKEND SCENARIO RUNS
# [CONNECTIONS] [SECONDS]. BACKEND is sqlite (a new file under /tmp) or postgres (the
# database named by $BENCH_PG_URL, default postgres://root@127.0.0.1:5432/hb_bench, dropped
# and recreated). Prints one JSON line per run. Extra server settings pass through the
# environment (HYPERBANK_POOL_SIZE, RUST_LOG, ...); BENCH_BIN names another build to serve,
# BENCH_FLAGS adds flags to the bench (e.g. --webhook).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite} scenario=${2:-payments} runs=${3:-3} conns=${4:-16} secs=${5:-5}
bin=${BENCH_BIN:-target/release/hyperbank}
port=${BENCH_PORT:-8089}
key=g-test-bench-$(head -c 32 /dev/urandom | base64 | tr "+/" "-_" | head -c 43)
case $backend in
  sqlite)
    dir=$(mktemp -d /tmp/hb-bench.XXXXXX)
    url=sqlite://$dir/db.sqlite3 ;;
  postgres)
    url=${BENCH_PG_URL:-postgres://root@127.0.0.1:5432/hb_bench}
    db=${url##*/}
    psql -h 127.0.0.1 -U root -d postgres -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" ;;
  *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac
DATABASE_URL=$url HYPERBANK_BOOTSTRAP_API_KEY=$key HYPERBANK_BIND=127.0.0.1:$port \
  RUST_LOG=${RUST_LOG:-info} $bin serve >/tmp/hb-bench-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; [ -n "${dir:-}" ] && rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$port/v0/ping >/dev/null && break; sleep 0.1; done
# CPU seconds (user + system) used so far by the server, and by all PostgreSQL processes.
cpu() { awk '{ t += $14 + $15 } END { printf "%.2f", t / 100 }' "$@" 2>/dev/null || echo 0; }
pg_cpu() { cpu $(pgrep -f '^postgres' | sed 's|.*|/proc/&/stat|') ; }
for _ in $(seq 1 "$runs"); do
  s0=$(cpu /proc/$server/stat) p0=$(pg_cpu)
  /usr/bin/time -f "  bench client cpu %U s user, %S s system" $bin bench --url http://127.0.0.1:$port --key "$key" --scenario "$scenario" \
    --connections "$conns" --duration "$secs" --warmup 1 ${BENCH_FLAGS:-}
  echo "  server cpu $(echo "$(cpu /proc/$server/stat) - $s0" | bc) s, postgres cpu $(echo "$(pg_cpu) - $p0" | bc) s (warm-up included); server wrote $(awk '/^wchar/ {print int($2/1048576)}' /proc/$server/io) MiB in all"
done
