# SPDX-License-Identifier: GPL-2.0
#
# dyncast: build, test, lint and install.
#
#   make                 the module (kmod/dyncast.ko) and the userspace tools
#   make check           install what is missing, build, run the unit tests,
#                        then the selftests in a VM (T=NAME: one;
#                        KERNEL=bzImage KMODULES=dir KDIR=tree: another kernel)
#   make check-deb       the host test of the Debian packages: built,
#                        installed on this machine, used, removed
#   make check-debug     the same on a debug kernel (KASAN, UBSAN, lockdep,
#                        kmemleak), built once from linux-source-6.1
#   make demo            the demo of demo/demo.sh, in the VM
#   make bench           the benchmarks in the VM (PARTS=...: some of them),
#                        then bench/results.md and bench/plots
#   make bench-steer     the steering simulation (host only), then the same
#   make fuzz            the libFuzzer targets, FUZZ_TIME seconds each (300)
#   make lint            sparse + W=1, checkpatch, cppcheck, shellcheck
#   make install         module, depmod, tools, man pages, completion
#   make dkms-install    register, build and install the module with DKMS
#   make deb             the Debian packages dyncast and dyncast-dkms, in
#                        build/deb (dpkg-buildpackage, then lintian)
#
# The module is built against KDIR: the running kernel's build tree when it
# has one, else the newest Debian linux-headers-*-amd64.

TOP	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VERSION	:= 0.1.0

KDIR	?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		$(lastword $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V)))
# (Debian's headers have a wrong include/config/kernel.release).  "make
# check" exports KVER before it installs the headers, so an empty KVER from
# the environment is worked out again too.
ifeq ($(strip $(KVER)),)
KVER	= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
endif

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR	?= $(PREFIX)/share/doc/dyncast
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DESTDIR	?=

# Directories of other parts of the tree; each is optional while it is young.
USERSPACE_DIRS := $(patsubst %/Makefile,%,$(wildcard userspace/Makefile userspace/tests/Makefile))

export KVER KERNEL KMODULES T TIMEOUT TIMEOUT_FACTOR VM_MEM VM_APPEND CHECK_RESUME

all: module userspace

# Objects built against another tree are not reused (check-debug, KDIR=).
module:
ifneq ($(wildcard $(TOP)/Kbuild),)
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "no kernel build tree: install linux-headers-amd64 or set KDIR" >&2; exit 1; }
	@mkdir -p build
	@if [ "$$(cat build/.kdir 2>/dev/null)" != "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(TOP) clean >/dev/null; \
		echo "$(KDIR)" > build/.kdir; \
	fi
	$(MAKE) -C $(KDIR) M=$(TOP) modules
else
	@echo "module: no Kbuild yet, nothing to build"
endif

userspace:
	@set -e; for d in $(USERSPACE_DIRS); do $(MAKE) -C $$d; done

selftests:
	$(MAKE) -C selftests

deps:
	@scripts/deps.sh build vm tools

# Packages first, then a new make so that KDIR sees freshly installed headers.
check:
	@scripts/deps.sh build vm tools ynl
	@$(MAKE) --no-print-directory check-run

# Not in "make check": it changes the host, and takes 3 minutes of the
# check's 40.
check-deb:
	@scripts/deps.sh build deb
	@$(MAKE) --no-print-directory check-deb-run

check-deb-run: all
	@T=deb scripts/check.sh

# The development targets stop on a warning (userspace/Makefile)
check-run check-deb-run demo-run bench-run lint-run fuzz: export DEVELOPER = 1

check-run: all selftests ynl
	@scripts/check.sh

# The YNL CLI and the netlink schemas of Linux 6.12, for test_ynl_spec.py
# and selftests/ynl_cli.sh (extracted once)
ynl:
	@scripts/ynl.sh $(TOP)/build/ynl

# The debug kernel is built once (about 12 minutes on 2 idle CPUs) and
# cached.  KASAN, lockdep and kmemleak make the emulated VM several times
# slower: longer timeouts, a bigger VM, and lockup and stall detectors
# that allow for emulation (a soft lockup after 120 s, an RCU stall after
# 120 s, and from the runner a hung task after 600 s) rather than report
# it.  Any warning panics the VM (panic_on_warn), which fails the run.
# acpi=noirq: the kernel has no PCI MSI, and the ACPI interrupt routing of
# the virtio devices, slow to interpret under KASAN, timed out on a busy
# host and left them without an interrupt (the VM then waited forever on
# its first 9p mount); the PIIX routing table gives them theirs at once,
# and the boot takes 20 s instead of 110.
check-debug:
	@scripts/deps.sh build vm tools debug ynl
	@mkdir -p build
	@scripts/debug-kernel.sh > build/debug-kernel.env
	@$(MAKE) --no-print-directory check-run $$(cat build/debug-kernel.env) \
		CHECK_RESUME=$${CHECK_RESUME:-$(TOP)/build/debug-results} \
		VM_MEM=2048 TIMEOUT_FACTOR=$${TIMEOUT_FACTOR:-4} VM_TIMEOUT=$${VM_TIMEOUT:-14400} \
		BOOT_TIMEOUT=$${BOOT_TIMEOUT:-1200} \
		VM_APPEND="panic_on_warn=1 watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120 acpi=noirq $${VM_APPEND:-}"

demo:
	@scripts/deps.sh build vm tools
	@$(MAKE) --no-print-directory demo-run

demo-run: all
	@VM_OUT=$(TOP)/build/demo TIMEOUT=$${TIMEOUT:-900} selftests/vm/vm.sh demo

# Benchmarks report figures; nothing here asserts a speed.
bench:
	@scripts/deps.sh build vm tools bench
	@$(MAKE) --no-print-directory bench-run

bench-run: all selftests bench-tools
	@bench/run.sh $(PARTS)

bench-steer:
	@scripts/deps.sh build bench
	@$(MAKE) --no-print-directory bench-steer-run

bench-steer-run: bench-tools
	@bench/steer.sh
	@python3 bench/report.py

bench-tools:
	$(MAKE) -C bench

fuzz:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory -C userspace/fuzz run FUZZ_TIME=$${FUZZ_TIME:-300}

lint:
	@scripts/deps.sh build lint
	@$(MAKE) --no-print-directory lint-run

lint-run:
	@scripts/lint.sh "$(KDIR)"

# What install puts where (every path under DESTDIR); decided when the
# recipe runs, so that "make install" on a fresh tree builds, then installs
# everything.  "all" builds the module, and needs a kernel build tree
# (KDIR) for it.
INCLUDEDIR ?= $(PREFIX)/include
DATADIR	?= $(PREFIX)/share/dyncast
SUB_INSTALL = PREFIX=$(PREFIX) SBINDIR=$(SBINDIR) MANDIR=$(MANDIR) \
	BASHCOMPDIR=$(COMPLETIONDIR) DESTDIR=$(DESTDIR)

install: all
	@set -e; if [ -f kmod/dyncast.ko ]; then \
		echo "install kmod/dyncast.ko $(DESTDIR)/lib/modules/$(KVER)/updates/"; \
		install -D -m 0644 kmod/dyncast.ko $(DESTDIR)/lib/modules/$(KVER)/updates/dyncast.ko; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi; \
	fi
	@$(MAKE) --no-print-directory install-tools

# Everything but the module (debian/rules: the module goes through DKMS);
# userspace/Makefile's install builds the two programs, not the tests.
install-tools:
	$(MAKE) -C userspace install $(SUB_INSTALL)
	install -D -m 0644 uapi/linux/dyncast.h $(DESTDIR)$(INCLUDEDIR)/linux/dyncast.h
	install -D -m 0644 Documentation/netlink/specs/dyncast.yaml \
		$(DESTDIR)$(DATADIR)/dyncast.yaml
	install -D -m 0644 userspace/dyncastd/dyncastd.conf.example \
		$(DESTDIR)$(DOCDIR)/dyncastd.conf.example
	install -D -m 0644 userspace/dyncastd/exabgp.conf.example \
		$(DESTDIR)$(DOCDIR)/exabgp.conf.example
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/local/sbin|$(SBINDIR)|g' userspace/dyncastd/dyncastd.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/dyncastd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/dyncastd.service
	install -D -m 0644 userspace/dyncastd/dyncastd.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/dyncast.conf
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		echo "systemd-sysusers $(SYSUSERSDIR)/dyncast.conf"; \
		systemd-sysusers $(SYSUSERSDIR)/dyncast.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/updates/dyncast.ko
	if [ -z "$(DESTDIR)" ] && [ -d /lib/modules/$(KVER) ]; then depmod -a $(KVER); fi
	$(MAKE) -C userspace uninstall $(SUB_INSTALL)
	rm -f $(DESTDIR)$(INCLUDEDIR)/linux/dyncast.h \
		$(DESTDIR)$(DATADIR)/dyncast.yaml \
		$(DESTDIR)$(DOCDIR)/dyncastd.conf.example \
		$(DESTDIR)$(DOCDIR)/exabgp.conf.example \
		$(DESTDIR)$(SYSTEMDUNITDIR)/dyncastd.service \
		$(DESTDIR)$(SYSUSERSDIR)/dyncast.conf
	-rmdir $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

DKMS_SRC := /usr/src/dyncast-$(VERSION)

dkms-install:
	@scripts/deps.sh dkms
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -r dkms.conf Kbuild kmod uapi $(DKMS_SRC)/
	sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' $(DKMS_SRC)/dkms.conf
	dkms install dyncast/$(VERSION)

dkms-uninstall:
	-dkms remove dyncast/$(VERSION) --all
	rm -rf $(DKMS_SRC)

# Built from a copy of the tree as git sees it, so that nothing of a build
# here (objects, the module) gets into the packages.
deb:
	@scripts/deps.sh build deb
	@scripts/deb.sh $(TOP)/build/deb

clean:
ifneq ($(wildcard $(TOP)/Kbuild),)
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
endif
	@for d in $(USERSPACE_DIRS); do $(MAKE) -C $$d clean; done
	$(MAKE) -C bench clean
	rm -rf build

.PHONY: all module userspace selftests deps check check-run check-deb check-deb-run check-debug fuzz \
	demo demo-run bench bench-run bench-steer bench-steer-run bench-tools \
	lint lint-run ynl install install-tools uninstall deb dkms-install dkms-uninstall clean
