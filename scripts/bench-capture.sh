#!/usr/bin/env bash
# Capture overhead benchmark in the QEMU guest (TCG, 2 vCPUs): see
# tests/scenarios/bench-capture/run.sh. Prints the table the guest computed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo run --quiet --release -p nlscope-tests --example boot -- bench-capture
cat target/guest/runs/bench-capture/results/bench.txt
