#!/usr/bin/env bash
# HTTP load against `cancelflow serve --demo` on a fresh SQLite file, loopback only,
# bounded in time: wrk on GET /v1/system/status (keep-alive) and on
# POST /v1/cancellations (each for its own pre-created subscription), then the
# SSE load driver (bench/sse_load) with N idle connections and one fan-out.
#   bash bench/http_load.sh [duration_s=10] [sse_connections=10000]
# Results go to docs/BENCHMARKS.md by hand, with this command.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
sse="${2:-10000}"
bin=./build/release/cancelflow
driver=./build/release/bench/sse_load
work=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

export DATABASE_URL="sqlite://$work/cf.db" CANCELFLOW_ENV=production RATE_LIMIT_RPS=0
export CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN=bench-admin-token-0123456789 SSE_MAX_CONNECTIONS_PER_USER=$((sse + 10))
threads=2
per_thread=$((duration * 20000))
"$bin" migrate >/dev/null
# The subscriptions the POST run cancels, inserted directly: one transaction.
python3 bench/seed_subscriptions.py "$work/cf.db" "$((threads * per_thread))"
start() {
  "$bin" serve --demo --addr 127.0.0.1:3901 >>"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:3901/healthz >/dev/null && break; sleep 0.1; done
}
start
admin="$CANCELFLOW_BOOTSTRAP_ADMIN_TOKEN"
token=$("$bin" tokens create --user loader | tail -1)

echo "== GET /v1/system/status (wrk -t2 -c64 -d${duration}s)"
wrk -t2 -c64 -d"${duration}s" -H "Authorization: Bearer $admin" http://127.0.0.1:3901/v1/system/status | grep -E "Latency|Requests/sec"
echo "== POST /v1/cancellations (wrk -t$threads -c64 -d${duration}s, one subscription each)"
TOKEN=$token SUBS_PER_THREAD=$per_thread wrk -t$threads -c64 -d"${duration}s" --latency -s bench/wrk/post_cancellations.lua \
  http://127.0.0.1:3901 | grep -E "Latency|99%|Requests/sec|Non-2xx"
# Accepting is not completing: how far the workers got meanwhile, and how long the rest takes.
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM cancellation_requests WHERE status $1\").fetchone()[0])" "$work/cf.db"; }
echo "accepted $(count "IS NOT NULL"), completed by the end of the run $(count "= 'completed'")"
drain_start=$(date +%s.%N)
while [[ $(count "IN ('pending', 'processing')") -gt 0 ]]; do sleep 0.5; done
echo "the rest completed $(python3 -c "print(round($(date +%s.%N) - $drain_start, 1))") s later"
# The test-notification endpoint exists in development mode only.
kill "$pid"; wait "$pid" || true
CANCELFLOW_ENV=development start
echo "== SSE: $sse idle connections, one notification to all"
"$driver" --port 3901 --token "$admin" --connections "$sse" --server-pid "$pid"
