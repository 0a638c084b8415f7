#!/usr/bin/env bash
# End-to-end cancellation latency over the HTTP API against `cancelflow serve
# --demo` on a fresh SQLite file (demo-instant provider), loopback only, bounded:
# POST /v1/cancellations paced at RATE per second, completion read from the
# user's SSE stream (bench/api_latency). Prints completed/s and p50/p99/max, and
# the server's CPU per request by thread name (the HTTP handler pool shows as
# `cancelflow`). The driver runs on the same cores as the server.
#   bash bench/api_latency.sh [count=4000] [rate=1000] [connections=8]
# CANCELFLOW_BIN picks another server binary (A/B runs); PERF_OUT records a profile.
# Results go to docs/BENCHMARKS.md by hand, with this command.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-4000}"
rate="${2:-1000}"
connections="${3:-8}"
bin="${CANCELFLOW_BIN:-./build/release/cancelflow}"
driver=./build/release/bench/api_latency
work=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT

export DATABASE_URL="sqlite://$work/cf.db" CANCELFLOW_ENV=production RATE_LIMIT_RPS=0
"$bin" migrate >/dev/null
python3 bench/seed_subscriptions.py "$work/cf.db" "$count"
token=$("$bin" tokens create --user loader | tail -1)
"$bin" serve --demo --addr 127.0.0.1:3902 >>"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:3902/healthz >/dev/null && break; sleep 0.1; done
# PERF_OUT=file: a perf profile of the server during the run (it ends with the server).
[[ -n "${PERF_OUT:-}" ]] && { perf record -F 999 -g -o "$PERF_OUT" -p $pid >/dev/null 2>&1 & sleep 0.2; }
"$driver" --port 3902 --token "$token" --count "$count" --rate "$rate" --connections "$connections"
# The server's CPU time by thread name over its life (setup included), per request.
tck=$(getconf CLK_TCK)
for t in /proc/$pid/task/*; do echo "$(cat "$t/comm") $(cut -d')' -f2 "$t/stat" | awk '{print $12 + $13}')"; done |
  awk -v tck="$tck" -v n="$count" '{a[$1] += $2} END {printf "server cpu_us_per_request"; for (k in a) if (a[k] > 0) printf " %s=%.0f", k, a[k] / tck * 1e6 / n; print ""}'
