#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unloading and reloading procterm.ko around the CLI:
#  - rmmod with nothing in flight succeeds; the CLI then says "module not
#    loaded" (exit 7) and touches nothing; insmod brings it back and the CLI
#    works again;
#  - rmmod while a "procterm kill --deferred --wait" is in flight (armed on
#    a stopped process, the CLI waiting for the death message) either fails
#    (busy) or succeeds once the request is over, never oopses; once the
#    request is over the module unloads cleanly (no reference leaked);
#  - the module is loaded again at the end, whatever happened.
#
# Needs root, the module loaded, PROCTERM_KO=<path to procterm.ko> and
# PROCTERM=<path to the CLI>. Output is TAP; exit 0 on success, 1 on a
# failure, 4 when skipped.

set -u

here=$(cd "$(dirname "$0")" && pwd)
PROCTERM=${PROCTERM:-$here/../ctl/procterm}
PROCTERM_KO=${PROCTERM_KO:-}
mod=/sys/module/procterm
KSFT_SKIP=4

n=0 failed=0 passed=0
started=()
tmp=

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }

check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

loaded() { [ -d "$mod" ]; }
unloaded() { [ ! -d "$mod" ]; }

load() {
	loaded && return 0
	insmod "$PROCTERM_KO" 2>&1 | diag
	loaded
}

cleanup() {
	local p
	for p in "${started[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# Leave the module loaded, as found.
	if ! loaded; then
		echo "# loading procterm again"
		load
	fi
	[ -z "$tmp" ] || rm -rf "$tmp"
}

spawn() {
	sleep 1000 &
	last=$!
	started+=("$last")
}

# reap PID [SECONDS]: wait status in $status, "alive" after SECONDS (20).
reap() {
	local tries=$(( ${2:-20} * 20 ))
	while kill -0 "$1" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		status=alive
		return
	fi
	wait "$1" 2>/dev/null
	status=$?
}

# finished PID SECONDS: the background job PID ended within SECONDS.
finished() {
	local tries=$(( $2 * 20 ))
	while kill -0 "$1" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	! kill -0 "$1" 2>/dev/null
}

alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)
	[ "$state" != Z ] && [ "$state" != X ]
}

wait_state() {
	local state
	for _ in $(seq 200); do
		state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
		[ "$state" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# rmmod_now: try to unload; rc in $rc, message in $out.
rmmod_now() {
	out=$(rmmod procterm 2>&1)
	rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" | diag
}

splat='BUG:|WARNING:|Oops|general protection|Call Trace|Kernel panic|refcount_t'

# load_log_complete FROM [any]: since kernel log line FROM, the module
# said "loaded" (unless "any": the runner's load may have rotated out of
# the log by now) and never that a feature is "unavailable" (tree kill,
# exit status, deferred): on every supported kernel that is a regression,
# which the tests of those features would otherwise only see as EOPNOTSUPP.
# Kernel log positions are marks written to /dev/kmsg, not line counts:
# once the ring buffer is full (the fuzzer's rate-limited netlink warnings
# fill it on the debug kernels), old lines rotate out and a count of lines
# no longer points where it did. klog_since prints what follows the mark
# (everything, for mark "boot").
klog_mark() {
	echo "procterm-test: mark $1 $$" > /dev/kmsg
}
klog_since() {
	if [ "$1" = boot ]; then
		dmesg 2>/dev/null
		return
	fi
	dmesg 2>/dev/null | awk -v m="procterm-test: mark $1 $$" 'hit; index($0, m) { hit = 1 }'
}

load_log_complete() {
	local log bad
	log=$(klog_since "$1" | grep 'procterm: ')
	printf '%s\n' "$log" | grep -q 'procterm: loaded' || [ "${2:-}" = any ] || {
		echo "# no \"procterm: loaded\" in the kernel log since mark \"$1\""
		return 1
	}
	bad=$(printf '%s\n' "$log" | grep -i 'unavailable') || return 0
	echo "# $(uname -r): the module's load log says:"
	printf '%s\n' "$bad" | diag
	return 1
}

echo "TAP version 13"
exec 3>&2 2> >(sed -u 's/^/# /' >&3)

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root"
	exit $KSFT_SKIP
fi
if [ -z "$PROCTERM_KO" ] || [ ! -r "$PROCTERM_KO" ]; then
	echo "1..0 # SKIP PROCTERM_KO does not name a readable procterm.ko"
	exit $KSFT_SKIP
fi
if ! loaded; then
	echo "1..0 # SKIP procterm module not loaded"
	exit $KSFT_SKIP
fi
if [ ! -x "$PROCTERM" ]; then
	echo "1..0 # SKIP no procterm CLI at $PROCTERM"
	exit $KSFT_SKIP
fi
for tool in rmmod insmod; do
	if ! command -v $tool >/dev/null; then
		echo "1..0 # SKIP no $tool"
		exit $KSFT_SKIP
	fi
done
trap cleanup EXIT
tmp=$(mktemp -d "${TMPDIR:-/tmp}/procterm-module.XXXXXX")
klog_mark start

# The load before this test (the runner's, since boot): all features there.
check "load log since boot: every feature available" load_log_complete boot any

# ---- idle: unload, CLI says so, reload, CLI works
rmmod_now
check "rmmod with nothing in flight" [ "$rc" = 0 ]
check "the module is gone" unloaded

spawn
victim=$last
"$PROCTERM" kill "$victim" 2>&1 | diag
rc=${PIPESTATUS[0]}
if loaded; then
	# A request can make the kernel load the module on demand
	# (MODULE_ALIAS_GENL_FAMILY) when it is installed for this kernel.
	skip "CLI without the module: exit 7" "the module was loaded on demand"
	skip "CLI without the module: the target lives" "the module was loaded on demand"
	rmmod procterm 2>&1 | diag
else
	check "CLI without the module: exit 7 (got $rc)" [ "$rc" = 7 ]
	check "CLI without the module: the target lives" alive "$victim"
fi

klog_mark reload
check "insmod again" load
check "load log of this insmod: every feature available" load_log_complete reload
"$PROCTERM" kill --status 3 "$victim" 2>&1 | diag
rc=${PIPESTATUS[0]}
check "CLI after reload: exit 0 (got $rc)" [ "$rc" = 0 ]
reap "$victim"
check "CLI after reload: the parent sees exit 3 (got $status)" [ "$status" = 3 ]

# A few rounds: load/unload must not leak or break anything.
rounds_ok=true
for _ in 1 2 3; do
	rmmod procterm 2>&1 | diag
	unloaded || rounds_ok=false
	load || rounds_ok=false
	spawn
	"$PROCTERM" kill "$last" >/dev/null 2>&1 || rounds_ok=false
	reap "$last"
	[ "$status" = 137 ] || rounds_ok=false
done
check "three unload/load/kill rounds" $rounds_ok

# ---- unload while a kill --wait is in flight
# The request cannot complete: a deferred kill of a stopped process (it
# dies when it next runs, and it does not run until SIGCONT).
spawn
target=$last
kill -STOP "$target"
wait_state "$target" T
"$PROCTERM" kill --deferred --timeout 60s "$target" >"$tmp/cli" 2>&1 &
cli=$!
started+=("$cli")
# In flight once the request is listed as armed (or the CLI gave up).
armed=false
for _ in $(seq 200); do
	if "$PROCTERM" pending --tsv 2>/dev/null | cut -f2 | grep -qx "$target"; then
		armed=true
		break
	fi
	kill -0 "$cli" 2>/dev/null || break
	sleep 0.05
done

if ! $armed; then
	reap "$cli" 1
	diag <"$tmp/cli"
	# Deferred termination works on every supported kernel: not a skip.
	not_ok "rmmod during kill --wait: the deferred request was not armed (CLI status $status)"
else
	rmmod procterm >"$tmp/rmmod" 2>&1 &
	rm_pid=$!
	started+=("$rm_pid")
	# Either refused at once, or (allowed) waiting for the request.
	if finished "$rm_pid" 5; then
		wait "$rm_pid"
		rm_rc=$?
	else
		rm_rc=pending
	fi
	diag <"$tmp/rmmod"
	case "$rm_rc" in
	0)	ok "rmmod during kill --wait: unloaded" ;;
	pending) ok "rmmod during kill --wait: waits for the request" ;;
	*)	if grep -qiE "in use|busy|temporarily unavailable|would block" "$tmp/rmmod"; then
			ok "rmmod during kill --wait: refused, busy"
		else
			not_ok "rmmod during kill --wait: failed otherwise (exit $rm_rc)"
		fi ;;
	esac

	kill -CONT "$target"
	reap "$target"
	if [ "$rm_rc" = 0 ]; then
		# Nothing of the module may run any more; the target merely
		# continues (or dies), without taking the kernel down.
		check "... SIGCONT with the module gone: no crash" true
		[ "$status" = alive ] || echo "# target ended with $status"
	else
		check "... SIGCONT ends the target (wait status $status)" [ "$status" = 137 ]
	fi
	check "... the waiting CLI returns" finished "$cli" 20
	wait "$cli" 2>/dev/null
	echo "# CLI exit $?, output:"
	diag <"$tmp/cli"
	if [ "$rm_rc" = pending ]; then
		check "... the waiting rmmod completes" finished "$rm_pid" 20
		wait "$rm_pid" 2>/dev/null
	fi
	load >/dev/null
	rmmod_now
	check "rmmod once the request is over (no reference left)" [ "$rc" = 0 ]
fi

check "the module is loaded at the end" load

if klog=$(klog_since start | grep -E "$splat"); then
	not_ok "kernel log clean during load/unload"
	printf '%s\n' "$klog" | head -n 40 | diag
else
	ok "kernel log clean during load/unload"
fi

echo "1..$n"
if [ "$failed" -gt 0 ]; then
	exit 1
fi
[ "$passed" -gt 0 ] || exit $KSFT_SKIP
exit 0
