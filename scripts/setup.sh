#!/usr/bin/env bash
# Installs what building and testing nlscope needs on Debian 12, idempotently:
# what is present is skipped, so a second run takes a second or two.
#   - Debian's rustc-web/cargo-web + prebuilt core for bpfel-unknown-none (the
#     eBPF compiler), LLVM 22 for bpf-linker;
#   - QEMU, Debian's two kernels (6.1 and 6.12) with their headers, busybox-static,
#     cpio, xz and zstd (the guest tests; 6.12's modules are compressed);
#   - real netlink clients for the guest scenarios: iproute2, ethtool, iw;
#   - tshark, tmux, iproute2 (tests that compare against real peers);
#   - bpf-linker 0.13.0 from crates.io, built against Debian's LLVM 22;
#   - cargo-deb 3.8.0 from crates.io (`make deb`, the package tests), and
#     dpkg-dev and dkms, which they use (dpkg-shlibdeps; the module's DKMS
#     configuration is built by the package tests).
# See ../shared notes "toolchain-and-kernels" for why each piece is needed.
set -euo pipefail

export PATH="$HOME/.cargo/bin:$PATH"
started=$(date +%s)
say() { echo "setup: $*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root to install packages: $*"; exit 1; fi
}

packages=(
    rustc-web cargo-web libstd-rust-web-dev-bpf
    llvm-22-dev libpolly-22-dev libzstd-dev zlib1g-dev
    qemu-system-x86 busybox-static cpio xz-utils zstd
    linux-image-amd64 linux-headers-amd64 linux-image-6.12-amd64 linux-headers-6.12-amd64
    make gcc libc6-dev binutils util-linux kmod dpkg-dev dkms
    tshark tmux iproute2 tcpdump strace ethtool iw
    wireguard-tools nftables conntrack auditd
)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # tshark asks whether non-root users may capture; the default (no) is fine.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "Debian packages: all ${#packages[@]} present"
fi

bpf_linker_version="0.13.0"
if bpf-linker --version 2>/dev/null | grep -q "$bpf_linker_version"; then
    say "bpf-linker $bpf_linker_version: present"
else
    say "building bpf-linker $bpf_linker_version against LLVM 22 (about 2 minutes)"
    PATH=/usr/lib/llvm-22/bin:$PATH LLVM_PREFIX=/usr/lib/llvm-22 LLVM_SYS_221_PREFIX=/usr/lib/llvm-22 \
        cargo install --quiet --locked bpf-linker --version "$bpf_linker_version" \
        --no-default-features --features llvm-22
fi

cargo_deb_version="3.8.0"
if cargo-deb --version 2>/dev/null | grep -q "$cargo_deb_version"; then
    say "cargo-deb $cargo_deb_version: present"
else
    say "building cargo-deb $cargo_deb_version (about 3 minutes)"
    cargo install --quiet --locked cargo-deb --version "$cargo_deb_version"
fi

. "$(dirname "$0")/kernels.sh"
kernels=$(installed_kernels | tr '\n' ' ')
[ -n "$kernels" ] || { say "no guest kernel with headers after installing linux-image-amd64"; exit 1; }
say "guest kernels: $kernels"
say "done in $(( $(date +%s) - started ))s"
