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
phase "release build"
# The Debian package, from that build (scripts/build-deb.sh reuses it): the
# package tests (tests/tests/package.rs) and the guest scenario
# package-record unpack it; their own call finds it fresh.
scripts/build-deb.sh > /dev/null
phase "package"
cargo test --workspace --no-run --quiet
phase "test builds"
cargo test --workspace --exclude nlscope-tests
phase "host tests"
# Every guest scenario on every installed guest kernel (make setup installs
# Debian's 6.1 and 6.12), or on KVER alone when it is set.
. scripts/kernels.sh
if [ -n "${KVER:-}" ]; then kernels=("$KVER"); else mapfile -t kernels < <(installed_kernels); fi
[ ${#kernels[@]} -gt 0 ] || { echo "test: no guest kernel installed (make setup installs them)"; exit 1; }
rm -f target/guest/timings.txt
for kernel in "${kernels[@]}"; do
    echo "== guest tests on $kernel =="
    NLSCOPE_GUEST_KVER=$kernel cargo test -p nlscope-tests
    phase "guest tests on $kernel"
done

echo "== timings =="
printf '  %s\n' "${timings[@]}"
[ -f target/guest/timings.txt ] && sed 's/^/  guest scenario /' target/guest/timings.txt
