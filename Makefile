# The README's two commands: `make demo` (the main job) and `make test` (every test).
# Everything else here is a step of those two.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: demo test test-rust lint build-release bench

## make demo: release-build the mock and every face, then log in and call through each one.
demo: build-release
	tests/with-mock.sh tests/demo.sh

build-release:
	$(CARGO) build --release -p xpay-mock -p xpay-auth --example demo

## make test: formatting, lints, docs and every test of every face (debug builds).
test: lint test-rust

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

test-rust:
	$(CARGO) test --workspace

## make bench: release-build figures (SDK vs hand-rolled clients); prints, asserts nothing.
bench:
	$(CARGO) bench -p xpay-auth --bench calls
