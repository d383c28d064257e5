# SPDX-License-Identifier: GPL-2.0
#
# procterm: kernel module (procterm.ko) and CLI (ctl/procterm).
#
#   make                 module for KERNELRELEASE (default: the running kernel) + CLI
#   make module|ctl|tests
#   make example         tests/example/procterm_example.ko, a user of the in-kernel API
#   make install         module (modules_install + depmod) and CLI, man page, completion
#   make dkms-source     build/dkms/procterm-VERSION/: the DKMS source tree, with dkms.conf
#   make dkms-install    that tree in /usr/src, then dkms add + install for KERNELRELEASE (root)
#   make dkms-remove     dkms remove --all, and the tree out of /usr/src (root)
#   make deb             build/deb/procterm-dkms_*.deb and procterm_*.deb, lintian-checked
#   make check           build and run every test in QEMU on each of KERNELS
#   make check-debug     the same on the debug kernels (DEBUG_KERNELS), built once
#   make check-debug-ci  CI's subset on the debug kernels (CI_DEBUG_TESTS)
#   make debug-kernels   only build the debug kernels (cached afterwards)
#   make check-build     compile-only, W=1 + sparse, every x86-64 header flavour
#   make meta            print kmod/META (version, supported kernel range)
#   make demo | vm       the demo, or a shell, in QEMU on DEMO_KERNEL
#   make bench-reap      CI's figure for --reap: benchmark 6 alone on DEMO_KERNEL
#   make style | sparse  checkpatch.pl --strict / sparse over the module
#   make deps            install what the build and tests need (Debian, root)
#
# Variables: KERNELRELEASE, KDIR, W=1, C=1, PREFIX (/usr), DESTDIR,
# KERNELS (6.1 6.12 6.12-rt sid), DEBUG_KERNELS (debug debug-rt), DEMO_KERNEL
# (6.12), TESTS (subset of test programs for "make check" and "make
# check-debug", e.g. TESTS="kill_test tree_test"), CI_DEBUG_TESTS, and for
# the QEMU runs QEMU_JOBS, QEMU_TIMEOUT, QEMU_DEBUG_TIMEOUT, QEMU_MEM,
# QEMU_SMP (tests/qemu/README.md).

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
PREFIX ?= /usr
DESTDIR ?=
KERNELS ?= 6.1 6.12 6.12-rt sid
DEBUG_KERNELS ?= debug debug-rt
# What CI runs on the debug kernels when the whole suite does not fit its
# time budget (.ci/run): the stress tests that only make sense under
# KASAN/lockdep/kmemleak — the fuzzer, the races, the stress and unload
# cycles — plus the kill and deferred basics, the module counters and the
# in-kernel API (kapi_test.sh, the example module) and the events group
# (events_test: records taken in the kill paths, sent from a work) and grace
# kills (grace_test: the fork probe, the deadline work, their events; the
# unload with grace kills armed is grace_unload_test.sh, among *unload*).
# Kill selectors (select_test: the PID-namespace walk, the credential
# prefilter, task_lock() under RCU) on debug only: 160-175 s on either
# debug kernel (make check-debug runs it on both).
# Exec rules (rule_test: the exec probe, its task works, 42 s) on debug.
# The kmemleak scan and the log checks come with every run.
CI_DEBUG_TESTS ?= *fuzz* *race* *stress* *unload* kill_test deferred_test counters_test module_test kapi_test.sh events_test grace_test select_test rule_test
# On debug-rt (lockdep and sleep-in-atomic checks on PREEMPT_RT), CI runs the
# paths where RT differs: the exit-status probe and its publication under
# tasklist_lock, deferred works firing, the tree walk (with its event
# records, allocated under tasklist_lock), the limits, and grace kills (the
# fork probe with preemption off, raw spinlocks only).
CI_DEBUG_RT_TESTS ?= race_deferred_test race_status_test race_tree_test limits_test events_test grace_test
DEMO_KERNEL ?= 6.12
TESTS ?=
# ONCE_TESTS (test programs, patterns as in TESTS) run only on ONCE_KERNELS;
# empty: every test on every kernel. .ci/run sets both (tests/qemu/README.md,
# "CI (.ci/run) and its time budget").
ONCE_TESTS ?=
ONCE_KERNELS ?= 6.12 sid

# One source tree, several kernels: each release gets build/RELEASE/, with a
# copy of the module sources in src/ (kbuild writes its objects next to them)
# and the finished procterm.ko. Named after the release KDIR is for, as
# uname -r shows it (Debian 6.1's include/config/kernel.release says only
# "6.1.N"; UTS_RELEASE has the ABI name).
KVER := $(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null),$(KERNELRELEASE))
BUILD_DIR := $(CURDIR)/build/$(KVER)
MOD_SRC := $(BUILD_DIR)/src

# A few files from Debian's linux-source-6.12: kselftest headers, checkpatch,
# YNL.
LINUX_SRC := $(CURDIR)/build/linux-source
LINUX_SRC_TARBALL := /usr/src/linux-source-6.12.tar.xz
KSFT_INC := $(LINUX_SRC)/tools/testing/selftests
CHECKPATCH := $(LINUX_SRC)/scripts/checkpatch.pl

# modules_install signs with the kernel's key when the config says
# MODULE_SIG_ALL; distribution headers do not ship that key, and sign-file
# would only print SSL errors. Without the key, install unsigned.
SIG_KEY := $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"/\1/p' $(KDIR)/.config 2>/dev/null)
NO_SIGN := $(if $(filter pkcs11:%,$(SIG_KEY)),,$(if $(wildcard $(SIG_KEY) $(KDIR)/$(SIG_KEY)),,CONFIG_MODULE_SIG_ALL=))

# kmod/META: the version and the supported range, declared once.
meta = $(shell sed -n 's/^$(1):[[:space:]]*//p' $(CURDIR)/kmod/META)
VERSION := $(call meta,Version)
LINUX_MIN := $(call meta,Linux-Minimum)
LINUX_MAX := $(call meta,Linux-Maximum)
DKMS_CONF := $(CURDIR)/build/dkms.conf
DKMS_TREE := $(CURDIR)/build/dkms/procterm-$(VERSION)
DEB_DIR := $(CURDIR)/build/deb
DEB_SRC := $(DEB_DIR)/procterm-$(VERSION)

QEMU_RUN := MAKE="$(MAKE)" PROCTERM_TESTS="$(TESTS)" PROCTERM_ONCE_TESTS="$(ONCE_TESTS)" \
	PROCTERM_ONCE_KERNELS="$(ONCE_KERNELS)" $(CURDIR)/tests/qemu/run.sh

all: module ctl

module:
	@test -d "$(KDIR)" || { \
		echo "error: no kernel build tree at $(KDIR)" >&2; \
		echo "       install linux-headers-$(KVER), or set KERNELRELEASE= or KDIR=" >&2; \
		exit 1; }
	@$(CURDIR)/tests/qemu/sync-src.sh $(CURDIR) $(MOD_SRC) Kbuild kmod include
	$(MAKE) -C $(KDIR) M=$(MOD_SRC) modules
	@cmp -s $(MOD_SRC)/procterm.ko $(BUILD_DIR)/procterm.ko || \
		cp $(MOD_SRC)/procterm.ko $(BUILD_DIR)/procterm.ko
	@echo "  MODULE  build/$(KVER)/procterm.ko"

# The in-kernel API's example module (tests/example/), against this
# build's Module.symvers, for the guest's kapi test.
EXAMPLE_SRC := $(BUILD_DIR)/example

example: module
	@$(CURDIR)/tests/qemu/sync-src.sh $(CURDIR)/tests/example $(EXAMPLE_SRC) .
	$(MAKE) -C $(KDIR) M=$(EXAMPLE_SRC) PROCTERM_INC=$(CURDIR)/include \
		KBUILD_EXTRA_SYMBOLS=$(MOD_SRC)/Module.symvers modules
	@cmp -s $(EXAMPLE_SRC)/procterm_example.ko $(BUILD_DIR)/procterm_example.ko || \
		cp $(EXAMPLE_SRC)/procterm_example.ko $(BUILD_DIR)/procterm_example.ko
	@echo "  MODULE  build/$(KVER)/procterm_example.ko"

ctl:
	$(MAKE) -C ctl

$(LINUX_SRC)/.extracted: $(wildcard $(LINUX_SRC_TARBALL)) tests/qemu/linux-source.sh
	@$(CURDIR)/tests/qemu/linux-source.sh $(LINUX_SRC)

linux-source: $(LINUX_SRC)/.extracted

tests: $(LINUX_SRC)/.extracted
	$(MAKE) -C tests KSFT_INC=$(KSFT_INC)

install: module ctl
	$(MAKE) -C $(KDIR) M=$(MOD_SRC) KERNELRELEASE=$(KVER) $(NO_SIGN) \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)
	install -D -m 0755 ctl/procterm $(DESTDIR)$(PREFIX)/sbin/procterm
	@if [ -f ctl/man/procterm.8 ]; then \
		echo install -D -m 0644 ctl/man/procterm.8 $(DESTDIR)$(PREFIX)/share/man/man8/procterm.8; \
		install -D -m 0644 ctl/man/procterm.8 $(DESTDIR)$(PREFIX)/share/man/man8/procterm.8; \
	fi
	@if [ -f ctl/completion/procterm.bash-completion ]; then \
		echo install -D -m 0644 ctl/completion/procterm.bash-completion \
			$(DESTDIR)$(PREFIX)/share/bash-completion/completions/procterm; \
		install -D -m 0644 ctl/completion/procterm.bash-completion \
			$(DESTDIR)$(PREFIX)/share/bash-completion/completions/procterm; \
	fi

# ---- DKMS and Debian packages. The packaging sources sit by what they
# package: kmod/dkms.conf.in and kmod/debian/ (the module's package and the
# source package's files), ctl/debian/ (the CLI's package).
$(DKMS_CONF): kmod/dkms.conf.in kmod/META kmod/dkms-regex.sh
	@mkdir -p $(@D)
	R="$$(kmod/dkms-regex.sh $(LINUX_MIN) $(LINUX_MAX))" V='$(VERSION)' \
	MIN='$(LINUX_MIN)' MAX='$(LINUX_MAX)' perl -pe \
		's/\@VERSION\@/$$ENV{V}/g; s/\@REGEX\@/$$ENV{R}/g; s/\@MIN\@/$$ENV{MIN}/g; s/\@MAX\@/$$ENV{MAX}/g' \
		kmod/dkms.conf.in > $@.tmp
	@mv $@.tmp $@

dkms-source: $(DKMS_CONF)
	@$(CURDIR)/tests/qemu/sync-src.sh $(CURDIR) $(DKMS_TREE) Kbuild kmod include
	@cp $(DKMS_CONF) $(DKMS_TREE)/dkms.conf
	@echo "  DKMS    build/dkms/procterm-$(VERSION)"

dkms-install: dkms-source
	-dkms remove procterm/$(VERSION) --all 2>/dev/null
	rm -rf /usr/src/procterm-$(VERSION)
	cp -r $(DKMS_TREE) /usr/src/procterm-$(VERSION)
	rm -f /usr/src/procterm-$(VERSION)/.synced-files
	dkms add procterm/$(VERSION)
	dkms install procterm/$(VERSION) -k $(KVER)

dkms-remove:
	dkms remove procterm/$(VERSION) --all
	rm -rf /usr/src/procterm-$(VERSION)

# One source package, two binary packages, built with dpkg-buildpackage in
# build/deb/procterm-VERSION/ (the sources, and debian/ put together from
# kmod/debian/ and ctl/debian/), then checked with lintian.
deb: $(DKMS_CONF)
	@if [ "$$(id -u)" = 0 ]; then $(CURDIR)/tests/qemu/deps.sh deb; fi
	rm -rf $(DEB_DIR)
	@$(CURDIR)/tests/qemu/sync-src.sh $(CURDIR) $(DEB_SRC) Kbuild kmod include ctl
	@rm -f $(DEB_SRC)/.synced-files
	mkdir -p $(DEB_SRC)/debian $(DEB_SRC)/ctl/man $(DEB_SRC)/ctl/completion $(DEB_SRC)/ctl/systemd
	cp README.md $(DEB_SRC)/
	cp ctl/man/procterm.8 $(DEB_SRC)/ctl/man/
	cp ctl/completion/procterm.bash-completion $(DEB_SRC)/ctl/completion/
	cp ctl/systemd/procterm-rules.service $(DEB_SRC)/ctl/systemd/
	cp -r kmod/debian/. $(DEB_SRC)/debian/
	cp ctl/debian/procterm.* $(DEB_SRC)/debian/
	{ cat kmod/debian/control; echo; cat ctl/debian/control; } > $(DEB_SRC)/debian/control
	cp $(DKMS_CONF) $(DEB_SRC)/debian/procterm-dkms.dkms
	@{ echo "procterm ($(VERSION)) unstable; urgency=medium"; echo; \
	   echo "  * procterm $(VERSION) (kmod/META), packaged by \"make deb\"."; echo; \
	   echo " -- $$(sed -n 's/^Maintainer: //p' kmod/debian/control)  $$(date -R -u -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))"; \
	 } > $(DEB_SRC)/debian/changelog
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
	lintian --fail-on error,warning --suppress-tags initial-upload-closes-no-bugs \
		$(DEB_DIR)/procterm_$(VERSION)_*.changes
	@ls $(DEB_DIR)/*.deb

style: $(LINUX_SRC)/.extracted
	$(CHECKPATCH) --strict --no-tree --show-types -f $(wildcard kmod/*.[ch]) $(wildcard include/uapi/linux/*.h) \
		$(wildcard include/linux/*.h) $(wildcard tests/example/*.c)

# C=2: check every file, not only those kbuild recompiles.
sparse:
	$(MAKE) module C=2

deps:
	$(CURDIR)/tests/qemu/deps.sh $(KERNELS)

check:
	$(QEMU_RUN) --check $(KERNELS)

# The debug kernels are built on first use (tests/qemu/debug-kernel.sh,
# 10-25 min each on two cores) and cached.
check-debug:
	$(QEMU_RUN) --check $(DEBUG_KERNELS)

# Both debug kernels, built unless cached; nothing else. debug-kernel-deps
# installs only the packages their build needs.
debug-kernels:
	@for k in $(DEBUG_KERNELS); do \
		$(CURDIR)/tests/qemu/debug-kernel.sh $$k >/dev/null || exit 1; \
	done

debug-kernel-deps:
	$(CURDIR)/tests/qemu/debug-kernel.sh --deps

check-debug-ci:
	rc=0; \
	MAKE="$(MAKE)" PROCTERM_TESTS="$(CI_DEBUG_TESTS)" $(CURDIR)/tests/qemu/run.sh --check debug || rc=1; \
	MAKE="$(MAKE)" PROCTERM_TESTS="$(CI_DEBUG_RT_TESTS)" $(CURDIR)/tests/qemu/run.sh --check debug-rt || rc=1; \
	exit $$rc

check-build:
	MAKE="$(MAKE)" $(CURDIR)/tests/qemu/check-build.sh

meta:
	@cat kmod/META

demo:
	$(QEMU_RUN) --demo $(DEMO_KERNEL)

vm:
	$(QEMU_RUN) --shell $(DEMO_KERNEL)

# The default kernel, or those named with KERNELS= on the command line.
bench:
	$(QEMU_RUN) --bench $(if $(filter command line,$(origin KERNELS)),$(KERNELS),$(DEMO_KERNEL))

# Benchmark 6 alone (docs/benchmarks.md): memory freed per second after a
# kill, --reap against SIGKILL, side by side; what .ci/run reports.
bench-reap:
	BENCH_ONLY=reap $(QEMU_RUN) --bench $(DEMO_KERNEL)

# Also removes what an in-tree "make -C KDIR M=$PWD" leaves behind.
clean:
	rm -rf build
	rm -f *.o .*.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order \
		kmod/*.o kmod/.*.cmd kmod/*.mod kmod/*.mod.c
	@if [ -f ctl/Makefile ]; then $(MAKE) -C ctl clean; fi
	@if [ -f tests/Makefile ]; then $(MAKE) -C tests clean; fi

.PHONY: all module example ctl linux-source tests install style sparse deps check check-debug \
	check-debug-ci debug-kernels debug-kernel-deps check-build meta demo vm bench bench-reap clean dkms-source dkms-install dkms-remove deb
