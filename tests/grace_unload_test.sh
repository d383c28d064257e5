#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An armed grace kill (procterm kill --grace) pins procterm.ko, as an armed
# deferred request does: rmmod is refused while it is armed; once it is
# cancelled (or its deadline has come), the module unloads, nothing fires
# afterwards, and the counters show nothing left (the module is reloaded
# and its counters read). Cycles of: a SIGTERM-ignoring target, a grace
# kill (single or tree, alternately), rmmod refused, cancel or deadline,
# rmmod, insmod; a cancelled target must still be alive after unload, and
# (first cycle) after its deadline has passed with the module gone.
#
# Needs root, procterm.ko loaded, PROCTERM_KO=<its path> and the CLI
# (PROCTERM=, default ../ctl/procterm). Output is TAP; exit 0 on success,
# 1 on a failure, 4 when skipped. The module is always left loaded. Only
# processes started here are signalled, by PID.
#
#   GRACE_UNLOAD_CYCLES  cycles (default 6)

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
PROCTERM=${PROCTERM:-$here/../ctl/procterm}
mod=/sys/module/procterm
ko=${PROCTERM_KO:-}
cycles=${GRACE_UNLOAD_CYCLES:-6}
counters=/sys/kernel/debug/procterm/counters
KSFT_SKIP=4
# A grace period must outlast a CLI start, an rmmod and a cancel, which
# take seconds each on a debug kernel under emulation with other guests
# on the host (PROCTERM_TIMEOUT_SCALE=4 there): a deadline cycle's is
# short, and waited for; a cancel cycle's is long, and only the first one
# waits for its deadline to pass (with the module gone).
scale=${PROCTERM_TIMEOUT_SCALE:-1}

n=0 failed=0
started=()

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
diag() { sed 's/^/# /'; }

ensure_loaded() {
	[ -d "$mod" ] && return 0
	[ -n "$ko" ] && insmod "$ko" 2>&1 | diag
	[ -d "$mod" ]
}

cleanup() {
	local p
	for p in "${started[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ensure_loaded
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit $KSFT_SKIP; }
[ -d "$mod" ] || { echo "1..0 # SKIP procterm.ko not loaded"; exit $KSFT_SKIP; }
[ -n "$ko" ] && [ -f "$ko" ] || { echo "1..0 # SKIP PROCTERM_KO not set"; exit $KSFT_SKIP; }
[ -x "$PROCTERM" ] || { echo "1..0 # SKIP no CLI at $PROCTERM"; exit $KSFT_SKIP; }
mountpoint -q /sys/kernel/debug 2>/dev/null || mount -t debugfs none /sys/kernel/debug 2>/dev/null

echo "1..$((cycles * 4 + 1))"

counter() { awk -v k="$1" '$1 == k { print $2 }' "$counters" 2>/dev/null; }

# A target that ignores SIGTERM, with a child that does too (for --tree).
start_target() {
	( trap '' TERM; ( trap '' TERM; while :; do sleep 1; done ) & while :; do sleep 1; done ) &
	pid=$!
	started+=("$pid")
	sleep 0.3
	kid=$(cat /proc/"$pid"/task/*/children 2>/dev/null)
}

# The target's child, which a single grace kill leaves alone.
end_target() {
	kill -KILL "$pid" $kid 2>/dev/null
	wait "$pid" 2>/dev/null
}

alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

for ((c = 1; c <= cycles; c++)); do
	tree=
	[ $((c % 2)) = 0 ] && tree=--tree
	start_target
	if [ $((c % 3)) = 0 ]; then
		grace_s=$((3 * scale))
	elif [ "$c" = 1 ]; then
		grace_s=$((10 * scale))
	else
		grace_s=$((60 * scale))
	fi
	armed_at=$SECONDS
	out=$("$PROCTERM" kill --grace "${grace_s}s" $tree --json "$pid" 2>&1)
	id=$(printf '%s\n' "$out" | sed -n 's/.*"request_id": \([0-9]*\).*/\1/p')
	if [ -z "$id" ]; then
		not_ok "cycle $c: grace kill $tree armed"; echo "$out" | diag
		end_target
		continue
	fi
	if rmout=$(rmmod procterm 2>&1); then
		if [ $((SECONDS - armed_at)) -ge "$grace_s" ]; then
			# Too slow here to reach rmmod within the grace period:
			# the record may have ended; nothing to judge.
			echo "ok $((n += 1)) cycle $c: rmmod refused while armed # SKIP the grace period (${grace_s}s) was over before rmmod ran"
		else
			not_ok "cycle $c: rmmod refused while armed"
		fi
		ensure_loaded
	else
		ok "cycle $c: rmmod refused while armed ($rmout)"
	fi
	if [ $((c % 3)) = 0 ]; then
		# Let the deadline fire, then unload.
		for ((i = 0; i < (grace_s + 10 * scale) * 10; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		check "cycle $c: killed at the deadline" bash -c "! [ -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status"
		wait "$pid" 2>/dev/null
	else
		check "cycle $c: cancel $id" "$PROCTERM" cancel "$id"
	fi
	# The counters drain before the unload (the free is asynchronous).
	for ((i = 0; i < 50; i++)); do
		[ "$(counter grace)" = 0 ] && [ "$(counter grace_nodes)" = 0 ] && break
		sleep 0.1
	done
	if rmout=$(rmmod procterm 2>&1); then
		ok "cycle $c: rmmod once the grace kill is over"
	else
		not_ok "cycle $c: rmmod once the grace kill is over: $rmout (grace $(counter grace))"
	fi
	if [ $((c % 3)) != 0 ]; then
		# The deadline passes with the module gone: nothing fires.
		what="cancelled target alive after unload"
		if [ "$c" = 1 ]; then
			while [ "$SECONDS" -le $((armed_at + grace_s + 1)) ]; do
				sleep 0.2
			done
			what="cancelled target alive after its deadline"
		fi
		check "cycle $c: $what" alive "$pid"
	else
		ok "cycle $c: (deadline cycle)"
	fi
	end_target
	ensure_loaded || { not_ok "insmod"; exit 1; }
done
dmesg | grep -E "procterm.*(WARNING|BUG|leak)" | diag
check "no warning from procterm in the kernel log" bash -c '! dmesg | grep -qE "WARNING:.*procterm|BUG:.*procterm"'
[ "$failed" = 0 ]
