# The README's two commands: `make demo` (the main job) and `make test` (every test).
# Everything else here is a step of those two, or a figure-printing extra (bench, soak, fuzz).

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
# Cargo's output, wherever cargo puts it (CARGO_TARGET_DIR is honoured everywhere).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)

# The binding faces, each folder with `test`, `build-release` and `demo` targets of its own.
FACES := python node c

.PHONY: demo test lint test-rust conformance testees fleet redis-server build-release bench soak fuzz $(FACES:%=test-%)

## make demo: release-build the mock and every face, then log in and call through each one.
demo: build-release
	tests/with-mock.sh --release tests/demo.sh

build-release:
	@# One cargo run for the three: dependencies shared by them are compiled once.
	$(CARGO) build --release -p xpay-mock -p xpay-auth -p xpay-auth-cli --bins --example demo
	for face in $(FACES); do $(MAKE) -C bindings-$$face build-release || exit 1; done

## make test: formatting, lints, docs, every face's own tests, then the shared conformance
## scenarios through every face's testee (debug builds), the fleet, then the release artifacts
## built and checked as users install them (dist-test: make dist, then make dist-check).
test: lint redis-server test-rust $(FACES:%=test-%) conformance fleet dist-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps
	python3 tests/check-readme.py

test-rust:
	$(CARGO) test --workspace

$(FACES:%=test-%): test-%:
	$(MAKE) -C bindings-$* test

## The one runner (tests/runner) and each face's testee; see tests/conformance/README.md.
CONFORMANCE_FACES := \
  --face 'rust-async=$(TARGET_DIR)/debug/examples/testee' \
  --face 'rust-blocking=$(TARGET_DIR)/debug/examples/testee --blocking' \
  --face 'python-sync=bindings-python/.venv/bin/python bindings-python/tests/testee.py' \
  --face 'python-async=bindings-python/.venv/bin/python bindings-python/tests/testee.py --async' \
  --face 'node=node bindings-node/test/testee.js' \
  --face 'c=$(TARGET_DIR)/bindings-c/testee' \
  --face 'c+valgrind=valgrind -q --suppressions=bindings-c/tests/valgrind.supp --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 --max-threads=1100 --child-silent-after-fork=yes $(TARGET_DIR)/bindings-c/testee' \
  --face 'c+asan=env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 $(TARGET_DIR)/bindings-c/testee-asan'

conformance: testees
	$(TARGET_DIR)/debug/xpay-conformance $(CONFORMANCE_FACES)

testees:
	$(CARGO) build -p xpay-conformance -p xpay-auth --bins --example testee
	$(MAKE) -C bindings-python wheel
	$(MAKE) -C bindings-node build
	$(MAKE) -C bindings-c testees

## make fleet: the Redis token store's fleet tests (tests/fleet/README.md): 16 Python and Node
## processes share one login through one redis-server started on loopback (installed with
## apt-get when missing), Redis stopped and frozen mid-run, 4 network namespaces.
fleet:
	$(CARGO) build -p xpay-mock --bin xpay-mock
	$(MAKE) -C bindings-python wheel
	$(MAKE) -C bindings-node build
	tests/fleet/run.sh

## Debian's redis-server for the Redis store's tests (core unit tests and the fleet), installed
## when missing and this is root with apt-get; else the tests that need it say they skip.
redis-server:
	tests/fleet/run.sh --install-only

## make soak: 100,000 logins per face with resident memory after 1,000 and 100,000, and 10,000
## calls at 64 in flight (release builds). Prints figures; not part of `make test`.
soak:
	$(CARGO) build --release -p xpay-conformance -p xpay-auth --bins --example testee
	$(MAKE) -C bindings-python build-release
	$(MAKE) -C bindings-node build-release
	$(MAKE) -C bindings-c testees PROFILE=release
	@# The conformance faces on release builds: Rust's testee under release/, Python's on the
	@# venv build-release installs the release wheel into (the C and Node builds replace theirs).
	$(TARGET_DIR)/release/xpay-soak $(subst bindings-python/.venv/bin/,bindings-python/.venv/release/bin/,$(subst /debug/,/release/,$(CONFORMANCE_FACES)))

## make fuzz: each cargo-fuzz target for FUZZ_SECONDS (60 by default); see tests/fuzz/README.md.
fuzz:
	$(MAKE) -C tests/fuzz

## make bench: release builds, then tests/bench/run.py: every face against what its users would
## hand-roll (reqwest; requests/httpx; fetch/http.request; libcurl) in alternating rounds against
## one release mock (mock and clients pinned to CPU 0), the cached token, 1,000 cold callers, and
## xpay-soak's resident memory after 1,000 and 100,000 logins. Prints one table and writes
## BENCHMARKS.md; asserts nothing about speed. Not part of `make test`. (run.py builds the Rust
## bench itself, `cargo bench --no-run`, right before it starts measuring.)
bench: BENCH_STARTED := $(shell date +%s)
bench:
	$(CARGO) build --release -p xpay-mock --bin xpay-mock
	$(CARGO) build --release -p xpay-conformance -p xpay-auth --bins --example testee
	for face in $(FACES); do $(MAKE) -C bindings-$$face bench-build || exit 1; done
	$(MAKE) -C bindings-c testees PROFILE=release
	python3 tests/bench/run.py --started $(BENCH_STARTED) -- $(TARGET_DIR)/release/xpay-soak \
	  $(subst bindings-python/.venv/bin/,bindings-python/.venv/release/bin/,$(subst /debug/,/release/,$(CONFORMANCE_FACES)))

## make dist: every release artifact into dist/ (RELEASING.md), all for x86_64 Linux with glibc
## 2.17 or newer (zig from PyPI, tests/dist/tools.mk): the manylinux2014 abi3 wheel and the
## sdist, the npm main and linux-x64-gnu packages, the C tarball, the xpay-auth crate, and
## SHA256SUMS. make dist-check: the checks on dist/ as built (glibc, MSRV, each face's
## installed-artifact tests). Both honour CARGO_TARGET_DIR and DIST_DIR.
ROOT := $(CURDIR)
include tests/dist/tools.mk
.PHONY: dist dist-check dist-test

dist:
	rm -rf $(DIST_DIR)
	mkdir -p $(DIST_DIR)
	for face in $(FACES); do $(MAKE) -C bindings-$$face dist DIST_DIR=$(DIST_DIR) || exit 1; done
	@# The crate as crates.io would get it, built from the packaged sources alone (verify).
	$(CARGO) package -p xpay-auth $(CARGO_LOCKED) --allow-dirty
	cp $(TARGET_DIR)/package/xpay-auth-$(DIST_VERSION).crate $(DIST_DIR)/
	cd $(DIST_DIR) && sha256sum $$(ls | grep -vx SHA256SUMS) > SHA256SUMS
	@echo "== dist/ =="; cd $(DIST_DIR) && ls -l --time-style=+ $$(ls) | sed 's/^[^ ]* *[^ ]* *[^ ]* *[^ ]* *//'

dist-check:
	@test -f $(DIST_DIR)/SHA256SUMS || { echo "dist-check: no $(DIST_DIR)/SHA256SUMS: run make dist first"; exit 1; }
	cd $(DIST_DIR) && sha256sum --check --strict SHA256SUMS
	tests/dist/glibc-check.sh $(DIST_DIR)/xpay_auth-*.whl $(DIST_DIR)/xpay-auth-linux-x64-gnu-*.tgz \
	  $(DIST_DIR)/xpay_auth-*-linux-gnu.tar.gz
	@# The check can fail: the same binaries against a ceiling just below what they need.
	@! GLIBC_CEILING=2.16 tests/dist/glibc-check.sh $(DIST_DIR)/xpay_auth-*-linux-gnu.tar.gz >/dev/null 2>&1 \
	  || { echo "dist-check: glibc-check.sh passed a 2.16 ceiling: it checks nothing"; exit 1; }
	python3 tests/dist/msrv.py
	for face in $(FACES); do $(MAKE) -C bindings-$$face test-dist DIST_DIR=$(DIST_DIR) || exit 1; done
	@echo "dist-check: every artifact in $(DIST_DIR) passed"

dist-test:
	@started=$$(date +%s); $(MAKE) --no-print-directory dist && $(MAKE) --no-print-directory dist-check \
	  && echo "dist-test: make dist + make dist-check in $$(( $$(date +%s) - started )) s"
