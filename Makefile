# The two commands of the README, plus their parts.
#   make run     set up, build, and run nlscope: the lab (a QEMU guest with the
#                demo module, live traffic and nlscope's agent) with the host
#                dashboard attached; quitting the dashboard stops the guest
#   make test    set up, build, and run every test (host and guest)
#   make run ARGS="ports"   runs the nlscope binary itself with those arguments
#   make live    the dashboard on this machine's own kernel
#   make deb     the Debian package (target/debian/nlscope_*.deb), from the
#                release build: binary with its eBPF object, man pages,
#                completions, the demo module's source and spec
#   KVER=<version> picks the guest kernel for run, demo, bench and test
#                (default: run, demo and bench the newest installed; test all)
.PHONY: setup build deb run demo live test bench bench-programs fmt

ifneq ($(strip $(KVER)),)
export NLSCOPE_GUEST_KVER := $(KVER)
export KVER
endif

setup:
	@scripts/setup.sh

build: setup
	cargo build --release -p nlscope

deb: setup
	@scripts/build-deb.sh

run: build
ifeq ($(strip $(ARGS)),)
	cargo run --release -p nlscope-tests --example lab
else
	./target/release/nlscope $(ARGS)
endif

demo: build
	cargo run --release -p nlscope-tests --example lab

live: build
	./target/release/nlscope

test:
	@scripts/test.sh

bench:
	scripts/bench-capture.sh

bench-programs:
	scripts/bench-programs.sh

fmt:
	cargo fmt --all
	cd ebpf && cargo fmt
