# Included by each face's Makefile and the top-level one (each sets ROOT first): the release
# build venv (tests/dist/.venv, from tools.txt: maturin, ziglang, cargo-zigbuild, auditwheel)
# and the names every `dist` target shares.
#
#   $(DIST_TOOLS)       the venv, made once and remade when tools.txt changes
#   $(WITH_DIST_TOOLS)  prefix for a command that needs zig / cargo-zigbuild / maturin on PATH
#   $(DIST_DIR)         where artifacts go (the top-level dist/ unless DIST_DIR is given)
#   $(ZIG_TARGET)       cargo-zigbuild's target: x86_64 Linux, glibc 2.17 (manylinux2014)
#   $(CARGO_LOCKED)     --locked: release artifacts come from Cargo.lock exactly

DIST_ROOT := $(abspath $(ROOT))
DIST_VENV := $(DIST_ROOT)/tests/dist/.venv
DIST_TOOLS := $(DIST_VENV)/.tools
DIST_DIR ?= $(DIST_ROOT)/dist
ZIG_TARGET := x86_64-unknown-linux-gnu.2.17
# Cargo's own triple for that target: where its output lands under the target directory.
ZIG_TRIPLE := x86_64-unknown-linux-gnu
CARGO_LOCKED ?= --locked
DIST_PYTHON ?= python3
WITH_DIST_TOOLS := env PATH="$(DIST_VENV)/bin:$$PATH"
# The workspace version (every crate and package shares it).
DIST_VERSION := $(shell sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' $(DIST_ROOT)/Cargo.toml)

# The venv's python3 imports ziglang, which is how maturin and cargo-zigbuild find zig; the
# `zig` link is for napi-rs, which looks for zig on PATH.
$(DIST_TOOLS): $(DIST_ROOT)/tests/dist/tools.txt
	rm -rf $(DIST_VENV)
	$(DIST_PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	ln -sf "$$($(DIST_VENV)/bin/python -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')" \
	  $(DIST_VENV)/bin/zig
	$(DIST_VENV)/bin/zig version >/dev/null
	touch $@
