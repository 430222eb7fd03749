#!/usr/bin/env bash
# The README's test command: set up, build, run every test (host and guest),
# and print how long each phase took.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

phase_start=$(date +%s)
timings=()
phase() {
    local now; now=$(date +%s)
    timings+=("$1: $(( now - phase_start ))s")
    phase_start=$now
}

scripts/setup.sh
phase "set-up"
cargo build --release -p nlscope
cargo test --workspace --no-run --quiet
phase "builds"
cargo test --workspace --exclude nlscope-tests
phase "host tests"
rm -f target/guest/timings.txt
cargo test -p nlscope-tests
phase "guest tests"

echo "== timings =="
printf '  %s\n' "${timings[@]}"
[ -f target/guest/timings.txt ] && sed 's/^/  guest scenario /' target/guest/timings.txt
