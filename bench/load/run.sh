#!/usr/bin/env bash
# Bounded load test on loopback: CLIENTS concurrent streaming chat clients for DURATION seconds
# against an `infer serve` cluster (controller, worker and API in one process) plus one extra
# `infer worker` for the same model, both from target/infer.jar. Reports requests served, errors,
# p50/p99 time to first token, and the resident memory (VmRSS) of each process at the start, every
# minute and at the end. Stops by itself and kills everything it started.
#
#   bench/load/run.sh [DURATION_S=300] [CLIENTS=64] [MODEL_DIR] [MAX_TOKENS=32]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
duration="${1:-300}"
clients="${2:-64}"
model_dir="${3:-$root/../shared/models/tiny-random-LlamaForCausalLM-fp16}"
max_tokens="${4:-32}"
jar="$root/target/infer.jar"
[[ -f "$jar" ]] || { echo "bench/load: build first: mvn -q package -DskipTests" >&2; exit 1; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cport=$(port); w1=$(port); w2=$(port); aport=$(port)
logs="$(mktemp -d)"
declare -A pids
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

java ${JAVA_OPTS:-} -jar "$jar" serve --model-path "$model_dir" --model-name load --controller-port "$cport" \
    --worker-port "$w1" --api-port "$aport" >"$logs/serve.log" 2>&1 & pids[serve]=$!
java ${JAVA_OPTS:-} -jar "$jar" worker --model-path "$model_dir" --model-name load --port "$w2" \
    --controller "http://127.0.0.1:$cport" --heartbeat-interval 5 >"$logs/worker.log" 2>&1 &
pids[worker]=$!

for _ in $(seq 1 240); do
    n=$(curl -sf -X POST "http://127.0.0.1:$cport/list_workers" | grep -o worker_name | wc -l || true)
    [[ "$n" == 2 ]] && curl -sf "http://127.0.0.1:$aport/v1/models" | grep -q '"load"' && break
    sleep 0.5
done
[[ "${n:-0}" == 2 ]] || { echo "bench/load: the cluster did not come up; logs in $logs" >&2; exit 1; }

rss() {
    for name in serve worker; do
        printf '  %-14s %s\n' "$name" "$(grep VmRSS "/proc/${pids[$name]}/status" | awk '{print $2/1024 " MB"}')"
    done
}
# Warm up (JIT, ONNX Runtime sessions) so the start figure is not the cold JVM.
python3 "$root/bench/load/load.py" --api "http://127.0.0.1:$aport" --model load --clients 8 \
    --duration 10 --max-tokens "$max_tokens" >/dev/null
echo "resident memory at the start:"; rss
# Every minute too, to tell a heap settling at its working size from a steady climb.
( while sleep 60; do echo "resident memory after another minute:"; rss; done ) & sampler=$!
python3 "$root/bench/load/load.py" --api "http://127.0.0.1:$aport" --model load \
    --clients "$clients" --duration "$duration" --max-tokens "$max_tokens"
kill "$sampler" 2>/dev/null || true
echo "resident memory at the end:"; rss
echo "worker queue/requests:"
for w in "$w1" "$w2"; do
    curl -sf "http://127.0.0.1:$w/metrics" | grep -E '^infer_worker_requests_total' | sed "s/^/  $w /" || true
done
echo "logs: $logs"
