#!/usr/bin/env bash
# Measures the foundation's figures on this machine with a load generator (wrk), not a test:
#   - authenticated GET /v0/organizations/{id}: requests/s and p99 at 32 connections
#   - start-up time on an already migrated database (spawn → port accepting)
#   - idle memory (RSS) after start-up
# Usage: scripts/bench-foundation.sh [sqlite|postgres] [runs] [seconds]
# Needs: wrk (apt-get install wrk), a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
runs=${2:-5}
seconds=${3:-10}
port=18080
key=g-test-bench-RrUZ5fUG4pSKwYVVG1C3Ft1xrMRxy1T7KUIyTva5bTk
bin=target/release/hyperbank
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

case "$backend" in
    sqlite) url="sqlite://$work/bench.sqlite3" ;;
    postgres)
        base=${BENCH_POSTGRES_URL:-postgres://root@127.0.0.1:5432}
        db=hyperbank_bench_$$
        psql "$base/postgres" -qc "CREATE DATABASE $db"
        url="$base/$db"
        trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"; psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
        ;;
    *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac

start() {
    DATABASE_URL="$url" HYPERBANK_BIND="127.0.0.1:$port" HYPERBANK_BOOTSTRAP_API_KEY="$key" \
        RUST_LOG="${RUST_LOG:-info}" "$bin" serve >"$work/stdout" 2>"$work/stderr" &
    pid=$!
}

wait_ready() {
    until curl -sf -o /dev/null "http://127.0.0.1:$port/v0/ping"; do sleep 0.002; done
}

# First start migrates and bootstraps; stop it, then time start-ups on the migrated database.
start; wait_ready; kill -TERM "$pid"; wait "$pid" || true
startups=()
for _ in $(seq 1 "$runs"); do
    t0=$(date +%s%N); start; wait_ready; t1=$(date +%s%N)
    startups+=($(( (t1 - t0) / 1000000 )))
    kill -TERM "$pid"; wait "$pid" || true
done

start; wait_ready
sleep 1
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
org=$(curl -s -H "Authorization: GriffinAPIKey $key" "http://127.0.0.1:$port/v0/index" |
      sed -E 's/.*"organization-url":"([^"]+)".*/\1/')

rps=(); p99=()
for _ in $(seq 1 "$runs"); do
    out=$(wrk -t2 -c32 -d"${seconds}s" --latency -H "Authorization: GriffinAPIKey $key" \
          "http://127.0.0.1:$port$org")
    rps+=($(echo "$out" | awk '/Requests\/sec/ {print $2}'))
    p99+=($(echo "$out" | awk '$1 == "99%" {print $2}'))
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    [ -z "$non2xx" ] || { echo "non-2xx responses during the run: $non2xx" >&2; exit 1; }
done
rss_after_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

# Reference in the same sitting: GET /v0/ping, no key and no database, the HTTP stack alone.
ping=()
for _ in $(seq 1 "$runs"); do
    ping+=($(wrk -t2 -c32 -d"${seconds}s" "http://127.0.0.1:$port/v0/ping" | awk '/Requests\/sec/ {print $2}'))
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "backend:                 $backend ($runs runs of ${seconds}s, wrk -t2 -c32)"
echo "GET organization req/s:  ${rps[*]}  median $(median "${rps[@]}")"
echo "GET organization p99:    ${p99[*]}"
echo "reference GET /v0/ping:  ${ping[*]}  median $(median "${ping[@]}")"
echo "organization / ping:     $(awk -v a="$(median "${rps[@]}")" -v b="$(median "${ping[@]}")" 'BEGIN {printf "%.2f", a / b}')"
echo "start-up (ms):           ${startups[*]}  median $(median "${startups[@]}")"
echo "idle RSS:                $((rss_kib / 1024)) MiB (after the load: $((rss_after_kib / 1024)) MiB)"
