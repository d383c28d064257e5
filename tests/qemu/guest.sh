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

export PROCTERM_REPO PROCTERM_KO PROCTERM_TESTS
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

case "$PROCTERM_MODE" in
check)
	bash tests/run_tests.sh 2>&1 | tee "$out/results.tap"
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
