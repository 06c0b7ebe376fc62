# SPDX-License-Identifier: GPL-2.0
#
# dyncast: build, test, lint and install.
#
#   make                 the module (kmod/dyncast.ko) and the userspace tools
#   make check           install what is missing, build, run the unit tests
#                        and the selftests in a VM (T=NAME: one selftest;
#                        KERNEL=bzImage KMODULES=dir KDIR=tree: another kernel)
#   make demo            the demo of demo/demo.sh, in the VM
#   make lint            sparse + W=1, checkpatch, cppcheck, shellcheck
#   make install         module, depmod, tools, man pages, completion
#   make dkms-install    register, build and install the module with DKMS
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
DESTDIR	?=

# Directories of other parts of the tree; each is optional while it is young.
USERSPACE_DIRS := $(patsubst %/Makefile,%,$(wildcard userspace/Makefile userspace/tests/Makefile))
BINARIES := $(wildcard userspace/dyncast/dyncast userspace/dyncastd/dyncastd)

export KVER KERNEL KMODULES T TIMEOUT

all: module userspace

module:
ifneq ($(wildcard $(TOP)/Kbuild),)
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "no kernel build tree: install linux-headers-amd64 or set KDIR" >&2; exit 1; }
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
	@scripts/deps.sh build vm tools
	@$(MAKE) --no-print-directory check-run

check-run: all selftests
	@scripts/check.sh

demo:
	@scripts/deps.sh build vm tools
	@$(MAKE) --no-print-directory demo-run

demo-run: all
	@VM_OUT=$(TOP)/build/demo TIMEOUT=$${TIMEOUT:-900} selftests/vm/vm.sh demo

lint:
	@scripts/deps.sh build lint
	@$(MAKE) --no-print-directory lint-run

lint-run:
	@scripts/lint.sh "$(KDIR)"

install: all
ifneq ($(wildcard kmod/dyncast.ko),)
	install -D -m 0644 kmod/dyncast.ko $(DESTDIR)/lib/modules/$(KVER)/updates/dyncast.ko
	$(if $(DESTDIR),,depmod -a $(KVER))
endif
	@set -e; for b in $(BINARIES); do \
		echo "install $$b $(DESTDIR)$(SBINDIR)/"; \
		install -D -m 0755 $$b $(DESTDIR)$(SBINDIR)/$$(basename $$b); \
	done
	@set -e; for m in $(wildcard Documentation/man/*.[1-8] userspace/*/*.[1-8]); do \
		s=$${m##*.}; \
		echo "install $$m $(DESTDIR)$(MANDIR)/man$$s/"; \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); \
	done
	@set -e; for c in $(wildcard userspace/completion/* userspace/*/*.bash-completion); do \
		n=$$(basename $$c .bash-completion); \
		echo "install $$c $(DESTDIR)$(COMPLETIONDIR)/$$n"; \
		install -D -m 0644 $$c $(DESTDIR)$(COMPLETIONDIR)/$$n; \
	done
ifneq ($(wildcard userspace/dyncastd/dyncastd),)
	install -D -m 0644 userspace/dyncastd/dyncastd.conf.example \
		$(DESTDIR)$(DOCDIR)/dyncastd.conf.example
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/local/sbin|$(SBINDIR)|g' userspace/dyncastd/dyncastd.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/dyncastd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/dyncastd.service
endif

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/updates/dyncast.ko
	$(if $(DESTDIR),,depmod -a $(KVER))
	rm -f $(foreach b,$(BINARIES),$(DESTDIR)$(SBINDIR)/$(notdir $(b)))
	rm -f $(DESTDIR)$(DOCDIR)/dyncastd.conf.example \
		$(DESTDIR)$(SYSTEMDUNITDIR)/dyncastd.service

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

clean:
ifneq ($(wildcard $(TOP)/Kbuild),)
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
endif
	@for d in $(USERSPACE_DIRS); do $(MAKE) -C $$d clean; done
	rm -rf build

.PHONY: all module userspace selftests deps check check-run demo demo-run \
	lint lint-run install uninstall dkms-install dkms-uninstall clean
