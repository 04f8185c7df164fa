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

rss_lines=()
declare -A rps_of

# measure ENDPOINT CONCURRENCY WORKERS WRK-ARGS...: one wrk run, one table row.
measure() {
    local endpoint="$1" c="$2" n="$3"
    shift 3
    local threads=$(( c < 2 ? 1 : 2 ))
    local log="$out/wrk-$endpoint-$n-c$c.txt"
    wrk -t"$threads" -c"$c" -d"$duration" --latency "$@" >"$log"
    local rps p99 errors
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$log")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$log")")
    errors=$(awk '/Non-2xx/ {print $NF} /Socket errors/ {print "socket"}' "$log" | paste -sd, -)
    rps_of["$endpoint/$c/$n"]=$rps
    echo "| $n | /$endpoint | $c | $rps | $p99 | ${errors:-0} |"
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
    # Warm the JIT up before measuring (the launcher runs the controller without tiered
    # compilation, so code stays interpreted for the first ten thousand calls); not recorded.
    wrk -t2 -c16 -d8s -s bench/controller/get_worker_address.lua "$url" >/dev/null
    wrk -t2 -c16 -d4s -s bench/controller/receive_heart_beat.lua "$url" -- "$n" >/dev/null
    wrk -t2 -c16 -d2s "$url/health" >/dev/null
    for endpoint in get_worker_address receive_heart_beat; do
        for c in $concurrency_list; do
            measure "$endpoint" "$c" "$n" -s "bench/controller/$endpoint.lua" "$url" -- "$n"
        done
    done
    # The framework's floor on this machine right now: GET /health does no controller work.
    measure health 64 "$n" "$url/health"
    # Resident memory once the load has stopped and the JVM had a few seconds to hand freed
    # native memory back (the launcher trims every 5 s), and the peak during the runs.
    sleep 6
    loaded_rss=$(rss_mb "$pid")
    peak_rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
    rss_lines+=("| $n | $idle_rss | $loaded_rss | $peak_rss |")
    stop_controller
done
first="${workers_list%% *}"
last="${workers_list##* }"
echo
echo "Throughput with $last workers relative to $first workers (same run):"
for endpoint in get_worker_address receive_heart_beat; do
    for c in $concurrency_list; do
        a="${rps_of[$endpoint/$c/$first]:-0}"
        b="${rps_of[$endpoint/$c/$last]:-0}"
        if [[ "$a" -gt 0 ]]; then
            awk -v e="$endpoint" -v c="$c" -v a="$a" -v b="$b" \
                'BEGIN { printf "  /%s c=%s: %.2f\n", e, c, b / a }'
        fi
    done
done
echo
echo "| workers | RSS after registering, MB | RSS after the load, MB | peak RSS, MB |"
echo "|---:|---:|---:|---:|"
printf '%s\n' "${rss_lines[@]}"
