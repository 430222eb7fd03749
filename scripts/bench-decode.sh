#!/usr/bin/env bash
# Decoding throughput, two measures:
# 1. in process (cargo bench --bench decode): decode + summary (the whole
#    field tree) and summary alone (what the store does per message), on the
#    guest fixture capture (340 real messages) and on the synthetic corpus;
# 2. end to end: `nlscope decode` against `tshark -V -r` on the same file, the
#    guest fixture repeated 100 times (a pcapng of 100 sections, which both
#    read), then the real-clients recording repeated 10 times, output to
#    /dev/null; each run 7 times after a warm-up, the median counts (the
#    fastest is shown too).
# Compare figures from one run only: the ratio is what travels between machines.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh > /dev/null
cargo build --quiet --release -p nlscope
now() { date +%s%N; }
times_ns() {  # command...; prints the wall time of 7 runs (after a warm-up) in ns, sorted
    "$@" > /dev/null 2>&1
    for _ in 1 2 3 4 5 6 7; do
        local start
        start=$(now)
        "$@" > /dev/null 2>&1
        echo $(( $(now) - start ))
    done | sort -n
}
ms() { echo $(( $1 / 1000000 )); }
compare() {  # label fixture copies
    local big=target/bench-decode-$1.pcapng
    for _ in $(seq 1 "$3"); do cat "tests/fixtures/$2"; done > "$big"
    sync  # a file still being written back slows the first readers
    local messages frames nlscope_times tshark_times nlscope_ns tshark_ns
    messages=$(./target/release/nlscope decode "$big" | grep -c '^Message ')
    frames=$(tshark -r "$big" 2>/dev/null | wc -l)
    nlscope_times=$(times_ns ./target/release/nlscope decode "$big")
    tshark_times=$(times_ns tshark -V -r "$big")
    nlscope_ns=$(echo "$nlscope_times" | sed -n 4p)
    tshark_ns=$(echo "$tshark_times" | sed -n 4p)
    echo "== $1: tests/fixtures/$2 x $3"
    echo "nlscope decode: $messages messages in $(ms "$nlscope_ns") ms = $(( messages * 1000000000 / nlscope_ns )) msgs/s (median of 7; fastest $(ms "$(echo "$nlscope_times" | head -1)") ms)"
    echo "tshark -V:      $frames frames in $(ms "$tshark_ns") ms = $(( frames * 1000000000 / tshark_ns )) frames/s (median of 7; fastest $(ms "$(echo "$tshark_times" | head -1)") ms)"
    echo "ratio (tshark time / nlscope time): $(awk -v a="$tshark_ns" -v b="$nlscope_ns" 'BEGIN { printf "%.1f", a / b }')x"
}
compare fixture guest-capture-paths.pcapng 100
compare real-clients real-clients.pcapng 10
cargo bench --quiet -p nlscope --bench decode 2>/dev/null | grep -E 'messages/s|netlink messages'
