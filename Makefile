# SPDX-License-Identifier: GPL-2.0
# Builds dm-remap.ko out of tree. KDIR defaults to the cached test kernel
# that scripts/build-kernel.sh made; for a Rust-enabled distro kernel use
# `make KDIR=/lib/modules/$(uname -r)/build`.

KDIR ?= $(shell scripts/build-kernel.sh 2>/dev/null)
# Debian's rustc-web, not rustup's (which has no rust-src); see scripts/common.sh.
KFLAGS := LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
	BINDGEN=$(HOME)/.cargo/bin/bindgen CLIPPY_DRIVER=/usr/bin/clippy-driver
export LIBCLANG_PATH := /usr/lib/llvm-19/lib

all: modules

modules:
	@test -n "$(KDIR)" || { echo "KDIR is not set and the test kernel is not built (run scripts/build-kernel.sh)"; exit 1; }
	@mkdir -p bindings/generated
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KFLAGS) modules

clippy:
	@mkdir -p bindings/generated
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KFLAGS) CLIPPY=1 modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KFLAGS) clean
	rm -rf bindings/generated

test:
	scripts/test-all.sh

.PHONY: all modules clippy clean test
