#!/usr/bin/env bash
# Decoding throughput: nlscope's decode + summary (cargo bench, in process), and
# `nlscope decode` against `tshark -V` end to end on the same file: the guest
# fixture repeated 100 times (a pcapng of 100 sections, which both read).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh > /dev/null
cargo build --quiet --release -p nlscope
big=target/bench-decode.pcapng
for i in $(seq 1 100); do cat tests/fixtures/guest-capture-paths.pcapng; done > "$big"
now() { date +%s%N; }
start=$(now); messages=$(./target/release/nlscope decode "$big" | grep -c '^Message '); nlscope_ns=$(( $(now) - start ))
start=$(now); frames=$(tshark -V -r "$big" 2>/dev/null | grep -c '^Frame '); tshark_ns=$(( $(now) - start ))
echo "nlscope decode: $messages messages in $((nlscope_ns / 1000000)) ms = $(( messages * 1000000000 / nlscope_ns )) msgs/s"
echo "tshark -V:      $frames frames in $((tshark_ns / 1000000)) ms = $(( frames * 1000000000 / tshark_ns )) frames/s"
echo "ratio (nlscope / tshark): $(awk -v a="$tshark_ns" -v b="$nlscope_ns" 'BEGIN { printf "%.2f", a / b }')x"
cargo bench --quiet -p nlscope --bench decode 2>/dev/null | grep -iE 'msgs/s|messages/s|buffers/s' || true
