#!/bin/sh
# Greedy tokens/s: the infer engine against a plain ONNX Runtime loop, same model, same run.
# Usage: bench/generation/run.sh [MODEL_DIR] [TOKENS] [ROUNDS]   (from the repository root)
set -e
cd "$(dirname "$0")/../.."
if [ ! -f target/infer.jar ]; then
    mvn -q -B -o package -DskipTests
fi
exec java -Dai.djl.offline=true -cp target/infer.jar bench/generation/PlainLoopBench.java "$@"
