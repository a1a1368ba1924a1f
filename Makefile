# SPDX-License-Identifier: GPL-2.0
# Builds dm-remap.ko out of tree, and dm-remap-tool (cargo); installs
# them (see "Installing" below). KDIR defaults to the cached test kernel
# that scripts/build-kernel.sh made; for a Rust-enabled distro kernel use
# `make KDIR=/lib/modules/$(uname -r)/build`.

KDIR ?= $(shell scripts/build-kernel.sh 2>/dev/null)
# Debian's rustc-web, not rustup's (which has no rust-src); see scripts/common.sh.
KFLAGS := LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
	BINDGEN=$(HOME)/.cargo/bin/bindgen CLIPPY_DRIVER=/usr/bin/clippy-driver
export LIBCLANG_PATH := /usr/lib/llvm-19/lib

all: modules tools

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

# Installing, as a distribution package does: `make install` builds and
# installs the module (against KDIR) and everything else; `make
# install-tools` installs everything but the module and needs no kernel
# tree. DESTDIR stages into another root (a package's tree: no depmod
# then); prefix places the files. The udev rule, the generator, the
# monitor's unit and the initramfs scripts are installed with the tool's
# path rewritten to $(sbindir)/dm-remap-tool.
prefix ?= /usr
sbindir ?= $(prefix)/sbin
mandir ?= $(prefix)/share/man
udevrulesdir ?= $(prefix)/lib/udev/rules.d
systemdgeneratordir ?= $(prefix)/lib/systemd/system-generators
systemdunitdir ?= $(prefix)/lib/systemd/system
bashcompletiondir ?= $(prefix)/share/bash-completion/completions
zshcompletiondir ?= $(prefix)/share/zsh/vendor-completions
fishcompletiondir ?= $(prefix)/share/fish/vendor_completions.d
# (initramfs-tools reads only /usr/share/initramfs-tools and
# /etc/initramfs-tools: with another prefix, set initramfsdir to the latter.)
initramfsdir ?= $(prefix)/share/initramfs-tools
# Under /lib/modules/<release>/ (the kernel's default for external modules).
INSTALL_MOD_DIR ?= updates
INSTALL ?= install
CARGO ?= cargo

TOOL := target/release/dm-remap-tool
# Made here for installation: the generated man page and completions, the
# dist files with the tool's path rewritten.
STAGE := target/install
TOOL_SOURCES := $(shell find tool/src core/src -name '*.rs' 2>/dev/null) \
	Cargo.toml Cargo.lock tool/Cargo.toml core/Cargo.toml

# The tool, built only when its sources changed (so that installing as
# root after `make` needs no cargo on root's PATH).
$(TOOL): $(TOOL_SOURCES)
	$(CARGO) build --release -p dm-remap-tool
	@touch $@

tools:
	$(CARGO) build --release -p dm-remap-tool

# dm-remap-tool(8) and the completions, from the tool's own command line.
docs: $(TOOL)
	@mkdir -p $(STAGE)
	$(TOOL) generate-docs manpage >$(STAGE)/dm-remap-tool.8
	$(TOOL) generate-docs completions bash >$(STAGE)/dm-remap-tool.bash
	$(TOOL) generate-docs completions zsh >$(STAGE)/_dm-remap-tool
	$(TOOL) generate-docs completions fish >$(STAGE)/dm-remap-tool.fish

# $(call install_dist,MODE,SOURCE,DESTINATION): a dist file, its tool path
# rewritten.
define install_dist
	@mkdir -p $(dir $(STAGE)/$(2))
	sed 's|/usr/sbin/dm-remap-tool|$(sbindir)/dm-remap-tool|g' $(2) >$(STAGE)/$(2)
	$(INSTALL) -D -m $(1) $(STAGE)/$(2) $(DESTDIR)$(3)
endef

install-tools: $(TOOL) docs
	$(INSTALL) -D -m 755 $(TOOL) $(DESTDIR)$(sbindir)/dm-remap-tool
	$(call install_dist,644,tool/dist/61-dm-remap.rules,$(udevrulesdir)/61-dm-remap.rules)
	$(call install_dist,755,tool/dist/dm-remap-generator,$(systemdgeneratordir)/dm-remap-generator)
	$(call install_dist,644,tool/dist/dm-remap-monitor.service,$(systemdunitdir)/dm-remap-monitor.service)
	$(call install_dist,755,tool/dist/initramfs-tools/hooks/dm-remap,$(initramfsdir)/hooks/dm-remap)
	$(call install_dist,755,tool/dist/initramfs-tools/scripts/local-top/dm-remap,$(initramfsdir)/scripts/local-top/dm-remap)
	$(call install_dist,755,tool/dist/initramfs-tools/scripts/local-block/dm-remap,$(initramfsdir)/scripts/local-block/dm-remap)
	$(INSTALL) -D -m 644 $(STAGE)/dm-remap-tool.8 $(DESTDIR)$(mandir)/man8/dm-remap-tool.8
	$(INSTALL) -D -m 644 docs/man/dm-remap-generator.8 $(DESTDIR)$(mandir)/man8/dm-remap-generator.8
	$(INSTALL) -D -m 644 docs/man/remaptab.5 $(DESTDIR)$(mandir)/man5/remaptab.5
	$(INSTALL) -D -m 644 $(STAGE)/dm-remap-tool.bash $(DESTDIR)$(bashcompletiondir)/dm-remap-tool
	$(INSTALL) -D -m 644 $(STAGE)/_dm-remap-tool $(DESTDIR)$(zshcompletiondir)/_dm-remap-tool
	$(INSTALL) -D -m 644 $(STAGE)/dm-remap-tool.fish $(DESTDIR)$(fishcompletiondir)/dm-remap-tool.fish

# The module, by the kernel's modules_install (which signs it if the kernel
# signs its modules). Its own depmod run is turned off (DEPMOD=true): into
# DESTDIR there must be none (the package's postinst runs it), and on this
# system it needs System.map, which distribution header trees lack.
install: modules install-tools
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KFLAGS) modules_install \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) DEPMOD=true
	$(if $(DESTDIR),,release=$$(cat $(KDIR)/include/config/kernel.release) && depmod -a "$$release")

.PHONY: all modules clippy clean test tools docs install install-tools
