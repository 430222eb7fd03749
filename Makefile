# The two commands of the README, plus their parts.
#   make run [ARGS="record -o out.jsonl"]   set up, build, and run nlscope
#   make test                               set up, build, and run every test
.PHONY: setup build run test fmt

setup:
	@scripts/setup.sh

build: setup
	cargo build --release -p nlscope

run: build
	./target/release/nlscope $(ARGS)

test:
	@scripts/test.sh

fmt:
	cargo fmt --all
	cd ebpf && cargo fmt
