#!/usr/bin/env bash
# Benchmark: `infer api` overhead against the worker it fronts, in one run on loopback.
# Starts a controller, one worker on a model folder and the API server from target/infer.jar,
# runs bench.py against the worker and the API alternately, and stops everything it started.
#
#   [WARMUP=1000] [WORKER_ARGS=...] bench/api/run.sh [MODEL_DIR] [RUNS] [MAX_TOKENS]
#
# MODEL_DIR defaults to the shared tiny Llama (random weights: its tokens are nearly free, so
# the figures show the per-token cost of the HTTP path at its most visible).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model_dir="${1:-$root/../shared/models/tiny-random-LlamaForCausalLM-fp16}"
runs="${2:-200}"
max_tokens="${3:-64}"
jar="$root/target/infer.jar"
[[ -f "$jar" ]] || { echo "bench/api: build first: mvn -q package -DskipTests" >&2; exit 1; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cport=$(port); wport=$(port); aport=$(port)
logs="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

java -jar "$jar" controller --port "$cport" >"$logs/controller.log" 2>&1 & pids+=($!)
java -jar "$jar" worker --model-path "$model_dir" --model-name bench --port "$wport" \
    --controller "http://127.0.0.1:$cport" --heartbeat-interval 5 ${WORKER_ARGS:-} >"$logs/worker.log" 2>&1 & pids+=($!)
java -jar "$jar" api --port "$aport" --controller "http://127.0.0.1:$cport" ${API_OPTS:-} >"$logs/api.log" 2>&1 & pids+=($!)

for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$aport/v1/models" | grep -q '"bench"'; then break; fi
    sleep 0.5
done
curl -sf "http://127.0.0.1:$aport/v1/models" | grep -q '"bench"' \
    || { echo "bench/api: the cluster did not come up; logs in $logs" >&2; exit 1; }

python3 "$root/bench/api/bench.py" --worker "http://127.0.0.1:$wport" --api "http://127.0.0.1:$aport" \
    --model bench --runs "$runs" --max-tokens "$max_tokens" --warmup "${WARMUP:-1000}"

# Where the API's time goes: its own view of time to first token (request in -> first worker chunk).
curl -sf "http://127.0.0.1:$aport/metrics" | grep -E '^infer_api_time_to_first_token_seconds_(sum|count)' || true
curl -sf "http://127.0.0.1:$wport/metrics" | grep -E 'first_token_seconds_(sum|count)' || true
