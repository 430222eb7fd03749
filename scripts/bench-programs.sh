#!/usr/bin/env bash
# Time spent in each eBPF program per run, by the kernel's BPF statistics, in
# the QEMU guest: see tests/scenarios/bench-programs/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo run --quiet --release -p nlscope-tests --example boot -- bench-programs
cat target/guest/runs/bench-programs/results/programs-table.txt
