#!/bin/sh
# Continuous batching: aggregate tokens/s and time to first token with 1..16 concurrent streams
# through /worker_generate_stream, one worker with batching on and one with it off, same run.
# Usage (from anywhere): bench/batching/run.sh [MODEL_DIR] [TOKENS] [ROUNDS] [THREADS] [BATCH]
# THREADS is ONNX Runtime's intra-op threads for the batching worker; the worker without batching
# gets OFF_THREADS (default 1: it runs one session call per concurrent stream, so more threads per
# call would only oversubscribe the cores). STREAMS overrides the list of concurrencies; ENGINE=1
# also runs EngineBench (the same load on the engine in process, without HTTP). WARMUP is the
# number of 8-stream rounds each worker gets before measuring (default 100). WORKER_ARGS adds
# flags to both workers (say "--frame-interval 0" for a frame per token). OFF_CONCURRENCY is the
# batching-off worker's --limit-concurrency: 16 (default) runs each stream's steps on its own
# thread, on all cores at once; 1 generates sequence by sequence, as a single-slot FastChat worker.
set -e
cd "$(dirname "$0")/../.."
model="${1:-../shared/models/tiny-random-LlamaForCausalLM-fp16}"
tokens="${2:-64}"
rounds="${3:-5}"
threads="${4:-1}"
batch="${5:-16}"
if [ ! -f target/infer.jar ]; then
    mvn -q -B -o package -DskipTests
fi
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start() { # port batch-size log threads concurrency
    java -XX:+UseSerialGC -Xss512k -XX:MaxRAMPercentage=25 -Dai.djl.offline=true \
        -jar target/infer.jar worker --model-path "$model" --port "$1" --no-register \
        --threads "$4" --max-batch-size "$2" --limit-concurrency "$5" $WORKER_ARGS \
        >/dev/null 2>"$3" &
    echo $!
}
wait_up() { # port pid log
    i=0
    until curl -sf "http://127.0.0.1:$1/health" >/dev/null; do
        i=$((i + 1))
        if [ $i -gt 900 ] || ! kill -0 "$2" 2>/dev/null; then
            echo "worker did not start:" >&2
            cat "$3" >&2
            exit 1
        fi
        sleep 0.1
    done
}
on_port=$(free_port)
off_port=$(free_port)
on_log=$(mktemp)
off_log=$(mktemp)
on_pid=$(start "$on_port" "$batch" "$on_log" "$threads" 16)
off_pid=$(start "$off_port" 1 "$off_log" "${OFF_THREADS:-1}" "${OFF_CONCURRENCY:-16}")
trap 'kill $on_pid $off_pid 2>/dev/null; rm -f "$on_log" "$off_log"' EXIT
wait_up "$on_port" "$on_pid" "$on_log"
wait_up "$off_port" "$off_pid" "$off_log"
echo "model $model; batching on: --max-batch-size $batch --threads $threads;" \
    "off: --max-batch-size 1 --threads ${OFF_THREADS:-1} --limit-concurrency ${OFF_CONCURRENCY:-16}"
echo "cores: $(nproc), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
OPT_OUT_TRACKING=true java -Dai.djl.offline=true -cp target/infer.jar \
    bench/batching/BatchingBench.java "http://127.0.0.1:$on_port" "http://127.0.0.1:$off_port" \
    "$tokens" "$rounds" ${STREAMS:-1 2 4 8 16}
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$ENGINE" ]; then
    OPT_OUT_TRACKING=true java -Dai.djl.offline=true -cp target/infer.jar \
        bench/batching/EngineBench.java "$model" "$tokens" "$rounds" "$threads" "$batch" \
        ${STREAMS:-1 2 4 8 16} 2>/dev/null
    echo "load average after the engine run: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
