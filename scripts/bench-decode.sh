#!/usr/bin/env bash
# Decoding throughput, two measures:
# 1. in process (cargo bench --bench decode): decode + summary (the whole
#    field tree) and summary alone (what the store does per message), on the
#    guest fixture capture (340 real messages) and on the synthetic corpus;
# 2. end to end: `nlscope decode` against `tshark -V -r` on the same file, the
#    guest fixture repeated 100 times (a pcapng of 100 sections, which both
#    read), output to /dev/null; each run 3 times, the median counts.
# Compare figures from one run only: the ratio is what travels between machines.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh > /dev/null
cargo build --quiet --release -p nlscope
big=target/bench-decode.pcapng
for i in $(seq 1 100); do cat tests/fixtures/guest-capture-paths.pcapng; done > "$big"
messages=$(./target/release/nlscope decode "$big" | grep -c '^Message ')
frames=$(tshark -r "$big" 2>/dev/null | wc -l)

now() { date +%s%N; }
median_ns() {  # command...; prints the median wall time of 3 runs in ns
    local runs=()
    for _ in 1 2 3; do
        local start
        start=$(now)
        "$@" > /dev/null 2>&1
        runs+=($(( $(now) - start )))
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}
nlscope_ns=$(median_ns ./target/release/nlscope decode "$big")
tshark_ns=$(median_ns tshark -V -r "$big")
echo "nlscope decode: $messages messages in $((nlscope_ns / 1000000)) ms = $(( messages * 1000000000 / nlscope_ns )) msgs/s (median of 3)"
echo "tshark -V:      $frames frames in $((tshark_ns / 1000000)) ms = $(( frames * 1000000000 / tshark_ns )) frames/s (median of 3)"
echo "ratio (tshark time / nlscope time): $(awk -v a="$tshark_ns" -v b="$nlscope_ns" 'BEGIN { printf "%.1f", a / b }')x"
cargo bench --quiet -p nlscope --bench decode 2>/dev/null | grep -E 'messages/s|netlink messages'
