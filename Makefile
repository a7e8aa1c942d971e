# The README's two commands: `make demo` (the main job) and `make test` (every test).
# Everything else here is a step of those two.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

# The faces built so far, each with `test`, `build-release` and `demo` targets of its own.
FACES := python node c

.PHONY: demo test test-rust lint build-release bench $(FACES:%=test-%)

## make demo: release-build the mock and every face, then log in and call through each one.
demo: build-release
	tests/with-mock.sh tests/demo.sh

build-release:
	$(CARGO) build --release -p xpay-mock -p xpay-auth --example demo
	for face in $(FACES); do $(MAKE) -C bindings-$$face build-release || exit 1; done

## make test: formatting, lints, docs and every test of every face (debug builds).
test: lint test-rust $(FACES:%=test-%)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps
	python3 tests/check-readme.py

test-rust:
	$(CARGO) test --workspace

$(FACES:%=test-%): test-%:
	$(MAKE) -C bindings-$* test

## make bench: release-build figures, the SDK vs what a user would hand-roll in each language
## (reqwest; requests/httpx; fetch/http; libcurl). Prints figures, asserts nothing.
bench:
	$(CARGO) bench -p xpay-auth --bench calls
	for face in $(FACES); do $(MAKE) -C bindings-$$face bench || exit 1; done
