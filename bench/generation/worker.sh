#!/bin/sh
# Greedy tokens/s through a worker's /worker_generate against a plain ONNX Runtime loop over the
# same model in the same run; also time to first token and the worker's resident memory.
# Usage (from anywhere): bench/generation/worker.sh [MODEL_DIR] [TOKENS] [ROUNDS]
set -e
cd "$(dirname "$0")/../.."
model="${1:-../shared/models/tiny-random-LlamaForCausalLM-fp16}"
tokens="${2:-64}"
rounds="${3:-15}"
if [ ! -f target/infer.jar ]; then
    mvn -q -B -o package -DskipTests
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
java -XX:+UseSerialGC -Xss512k -XX:MaxRAMPercentage=25 -Dai.djl.offline=true -jar target/infer.jar \
    worker --model-path "$model" --port "$port" --no-register 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
i=0
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    i=$((i + 1))
    if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
        echo "worker did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done
OPT_OUT_TRACKING=true java -Dai.djl.offline=true -cp target/infer.jar bench/generation/WorkerBench.java \
    "http://127.0.0.1:$port" "$model" "$tokens" "$rounds"
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "worker resident memory  : $((rss / 1024)) MiB now, $((hwm / 1024)) MiB peak"
