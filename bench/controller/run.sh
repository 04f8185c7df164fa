#!/usr/bin/env bash
# Controller benchmark: /get_worker_address and /receive_heart_beat throughput and p99 latency with
# 10, 100 and 1000 registered workers at concurrency 1, 16 and 64 (wrk on loopback), and the
# controller's resident memory with 1000 workers. Build first: mvn -q -B -o package -DskipTests
#
# Usage: bench/controller/run.sh [DURATION]   (default 5s per run)
# Env:   WORKERS="10 100 1000"  CONCURRENCY="1 16 64"  PORT=21901  JAVA_OPTS (passed to dist/infer)
# Prints a markdown table on stdout; logs go to bench/out/controller/.
set -euo pipefail
cd "$(dirname "$0")/../.."

duration="${1:-5s}"
workers_list="${WORKERS:-10 100 1000}"
concurrency_list="${CONCURRENCY:-1 16 64}"
port="${PORT:-21901}"
url="http://127.0.0.1:$port"
out="bench/out/controller"
mkdir -p "$out"

command -v wrk >/dev/null || { echo "run.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[[ -f target/infer.jar ]] || { echo "run.sh: no target/infer.jar; run mvn -q -B -o package -DskipTests" >&2; exit 1; }

pid=""
stop_controller() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        wait "$pid" 2>/dev/null || true
    fi
    pid=""
}
trap stop_controller EXIT

rss_mb() {
    awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"
}

# "1.23ms" / "850.00us" / "1.01s" -> milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}

echo "| workers | endpoint | concurrency | req/s | p99 ms | errors |"
echo "|---:|---|---:|---:|---:|---:|"
for n in $workers_list; do
    stop_controller
    dist/infer controller --port "$port" --heartbeat-expiration 3600 2>"$out/controller-$n.log" &
    pid=$!
    for _ in $(seq 1 200); do
        curl -sf "$url/health" >/dev/null 2>&1 && break
        sleep 0.05
    done
    curl -sf "$url/health" >/dev/null || { echo "run.sh: controller did not start; see $out/controller-$n.log" >&2; exit 1; }
    java bench/controller/RegisterWorkers.java "$url" "$n"
    idle_rss=$(rss_mb "$pid")
    # Warm the JIT up before measuring; not recorded.
    wrk -t2 -c16 -d3s -s bench/controller/get_worker_address.lua "$url" >/dev/null
    wrk -t2 -c16 -d2s -s bench/controller/receive_heart_beat.lua "$url" -- "$n" >/dev/null
    for endpoint in get_worker_address receive_heart_beat; do
        for c in $concurrency_list; do
            threads=$(( c < 2 ? 1 : 2 ))
            log="$out/wrk-$endpoint-$n-c$c.txt"
            wrk -t"$threads" -c"$c" -d"$duration" --latency -s "bench/controller/$endpoint.lua" "$url" -- "$n" >"$log"
            rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$log")
            p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$log")")
            errors=$(awk '/Non-2xx/ {print $NF} /Socket errors/ {print "socket"}' "$log" | paste -sd, -)
            echo "| $n | /$endpoint | $c | $rps | $p99 | ${errors:-0} |"
        done
    done
    if [[ "$n" == "1000" ]] || [[ "$workers_list" != *1000* && "$n" == "${workers_list##* }" ]]; then
        echo "" >&2
        echo "resident memory with $n workers: ${idle_rss} MB after registration, $(rss_mb "$pid") MB after the load runs" >&2
        echo "RSS_${n}_IDLE_MB=$idle_rss RSS_${n}_LOADED_MB=$(rss_mb "$pid")" >"$out/rss-$n.txt"
    fi
    stop_controller
done
