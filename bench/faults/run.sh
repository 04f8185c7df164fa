#!/usr/bin/env bash
# Fault tests too slow for the default suite (real worker processes killed with SIGKILL, and the
# SIGTERM drain): they start their own servers on 127.0.0.1, are bounded in time, and kill every
# process they start. Needs the shared test models in ../shared/models. CI does not run this.
#
#   bench/faults/run.sh            # WorkerKillTest and WorkerSignalTest
#   bench/faults/run.sh 'WorkerKill*'
set -euo pipefail
cd "$(dirname "$0")/../.."
tests="${1:-WorkerKillTest,WorkerSignalTest}"
exec timeout 900 mvn -B -o -q test -Dtest="$tests" -DexcludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false
