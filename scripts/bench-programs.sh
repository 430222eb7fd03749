#!/usr/bin/env bash
# Time spent in each eBPF program per run, by the kernel's BPF statistics, in
# the QEMU guest: see tests/scenarios/bench-programs/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/kernels.sh
export NLSCOPE_GUEST_KVER; NLSCOPE_GUEST_KVER=$(guest_kernel)
cargo run --quiet --release -p nlscope-tests --example boot -- bench-programs
cat "target/guest/$NLSCOPE_GUEST_KVER/runs/bench-programs/results/programs-table.txt"
