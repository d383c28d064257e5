#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest, whose / is the host's / (see tests/qemu/init).
#
#   guest.sh GUEST_ENV
#
# GUEST_ENV is written by tests/qemu/run.sh and sets PROCTERM_MODE (check,
# demo, shell, bench), PROCTERM_REPO, PROCTERM_KO, PROCTERM_KVER and
# PROCTERM_TESTS. Results go to the directory GUEST_ENV lives in, which the
# host sees as build/KVER/guest/.
set -uo pipefail

env_file=${1:?usage: guest.sh GUEST_ENV}
# shellcheck source=/dev/null
. "$env_file"
out=$(dirname "$env_file")

# PROCTERM_MODDIR: the booted kernel's modules (fuse.ko for why_test.sh).
export PROCTERM_REPO PROCTERM_KO PROCTERM_TESTS PROCTERM_SKIP_TESTS PROCTERM_MODDIR
# 1 on a debug kernel (KASAN, lockdep... under TCG: many times slower), else
# 0; and the factor tests multiply their own timeouts by.
export PROCTERM_SLOW=${PROCTERM_SLOW:-0} PROCTERM_TIMEOUT_SCALE=${PROCTERM_TIMEOUT_SCALE:-1}
export PROCTERM=$PROCTERM_REPO/ctl/procterm
export PROCTERM_OUT=$out
export PATH=$PROCTERM_REPO/ctl:$PATH
export TMPDIR=/tmp
cd "$PROCTERM_REPO" || exit 1

load_module() {
	[ -d /sys/module/procterm ] && return 0
	if [ ! -f "$PROCTERM_KO" ]; then
		echo "guest: $PROCTERM_KO missing; procterm is not loaded"
		return 1
	fi
	insmod "$PROCTERM_KO" && echo "guest: loaded $PROCTERM_KO"
}

# ---- kmemleak, on kernels that have it (the debug kernels)
# kmemleak reports only on a scan, and only objects a few seconds old: scan
# twice, some seconds apart. Before the tests, whatever the boot left
# (there are always a few) is marked as seen ("clear"), so that the scan
# after the tests (run_tests.sh has unloaded the module by then) reports
# only what the run leaked. After rmmod, a leak's backtrace shows the
# module's addresses unsymbolized: any new leak fails the run.
kml=/sys/kernel/debug/kmemleak
kmemleak_scan() {
	echo scan > "$kml" && sleep 5 && echo scan > "$kml"
}
kmemleak_baseline() {
	[ -w "$kml" ] || return 0
	kmemleak_scan || { echo "# guest: kmemleak scan failed"; return 0; }
	echo "# guest: kmemleak: $(grep -c '^unreferenced object' "$kml") objects left by the boot, cleared"
	echo clear > "$kml"
}
# Result lines go after run_tests.sh's, in the same results file; the host
# counts every "ok"/"not ok" line in it.
kmemleak_check() {
	local n
	[ -w "$kml" ] || return 0
	[ -d /sys/module/procterm ] && rmmod procterm 2>/dev/null
	if ! kmemleak_scan; then
		echo "not ok 1 guest: kmemleak scan after the tests failed"
		return 0
	fi
	n=$(grep -c '^unreferenced object' "$kml")
	if [ "$n" -eq 0 ]; then
		echo "ok 1 guest: kmemleak: no leaks after the tests and rmmod"
	else
		echo "not ok 1 guest: kmemleak: $n suspected leaks after the tests and rmmod"
		echo "# the first reports:"
		head -n 120 "$kml" | sed 's/^/# /'
	fi
}

case "$PROCTERM_MODE" in
check)
	kmemleak_baseline
	{
		bash tests/run_tests.sh 2>&1
		kmemleak_check
	} | tee "$out/results.tap"
	;;
demo)
	load_module
	bash tests/qemu/demo.sh
	echo "PROCTERM-GUEST-DONE"
	;;
bench)
	load_module
	# tests/bench/run.sh if there is one, else every executable file
	# in tests/bench/.
	{
		if [ -x tests/bench/run.sh ]; then
			tests/bench/run.sh
		else
			found=0
			for b in tests/bench/*; do
				[ -f "$b" ] && [ -x "$b" ] || continue
				found=1
				echo "# ==== $b"
				"$b"
			done
			[ "$found" = 1 ] || echo "guest: nothing to run in tests/bench/"
		fi
	} 2>&1 | tee "$out/bench.txt"
	echo "PROCTERM-GUEST-DONE"
	;;
shell)
	load_module
	# The serial line does not know the host terminal's size.
	if [ -n "${PROCTERM_ROWS:-}" ] && [ -n "${PROCTERM_COLS:-}" ]; then
		stty rows "$PROCTERM_ROWS" cols "$PROCTERM_COLS" </dev/ttyS0
	fi
	rc=/tmp/procterm-bashrc
	cat > "$rc" <<-EOF
	[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc
	export PATH='$PATH'
	PS1='procterm-guest:\w# '
	cd '$PROCTERM_REPO'
	EOF
	cat <<-EOF

	procterm guest, kernel $(uname -r). The host's / is mounted read-only;
	/tmp is writable. procterm is on PATH; the module is $PROCTERM_KO.
	Run the tests: bash tests/run_tests.sh. Leave: exit (or Ctrl-A X).

	EOF
	# A session of its own with the serial line as controlling terminal,
	# so that job control and Ctrl-C work.
	setsid -w -c bash --rcfile "$rc" -i </dev/ttyS0 >/dev/ttyS0 2>&1
	;;
*)
	echo "guest: unknown mode '$PROCTERM_MODE'"
	exit 1
	;;
esac
