#!/usr/bin/env bash
# Capture overhead benchmark in the QEMU guest (TCG, 2 vCPUs): see
# tests/scenarios/lib/bench-capture.sh.
#   scripts/bench-capture.sh          timed (bench-capture): prints the table the guest computed
#   scripts/bench-capture.sh insns    counted in guest instructions (bench-capture-insns,
#                                     QEMU's insn_count plugin): scripts/bench-capture-insns.py
#   scripts/bench-capture.sh all      both, one after the other
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-time}
case "$mode" in
    time | insns | all) ;;
    *) echo "usage: $0 [time|insns|all]" >&2; exit 2 ;;
esac
scripts/setup.sh
. scripts/kernels.sh
# The guest kernel: KVER=<version> (make bench KVER=...), else the newest.
export NLSCOPE_GUEST_KVER; NLSCOPE_GUEST_KVER=$(guest_kernel)
runs="target/guest/$NLSCOPE_GUEST_KVER/runs"
echo "bench-capture: guest kernel $NLSCOPE_GUEST_KVER"
if [ "$mode" != insns ]; then
    cargo run --quiet --release -p nlscope-tests --example boot -- bench-capture
    cat "$runs/bench-capture/results/bench.txt"
fi
if [ "$mode" != time ]; then
    cargo run --quiet --release -p nlscope-tests --example boot -- bench-capture-insns
    python3 scripts/bench-capture-insns.py "$runs/bench-capture-insns"
fi
