#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's own counters (issue 10: "the module's own counters come back
# to zero"): /sys/kernel/debug/procterm/counters, lines "NAME VALUE" for
# waiters, deferred, deferred_works, status and users. They count what is
# live, and every one comes back to 0 once the targets are gone.
#
# Needs root, procterm.ko loaded, debugfs on /sys/kernel/debug. TAP; exit 0,
# 1 on a failure, 4 when skipped. Only processes started here are signalled.

set -u
export LC_ALL=C

PROCTERM=${PROCTERM:-procterm}
KSFT_SKIP=4
file=/sys/kernel/debug/procterm/counters
names="waiters deferred deferred_works status users"
n=0 failed=0
pids=()

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
diag() { sed 's/^/# /'; }

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT

# get NAME: the counter's value in $v, "-" when absent.
get() {
	v=$(awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "-" }' "$file" 2>/dev/null)
	[ -n "$v" ] || v=-
}

# wait_for NAME VALUE: poll for up to 10 s.
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		get "$1"
		[ "$v" = "$2" ] && return 0
		[ "$v" = - ] && return 1	# no such counter: no use waiting
		sleep 0.1
	done
	return 1
}

# all_zero: every counter drains to 0; the others in $bad.
all_zero() {
	local k
	bad=''
	for k in $names; do
		wait_for "$k" 0 || bad="$bad $k=$v"
	done
	[ -z "$bad" ]
}

echo "TAP version 13"
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit $KSFT_SKIP; }
[ -d /sys/module/procterm ] || { echo "1..0 # SKIP procterm is not loaded"; exit $KSFT_SKIP; }
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo "1..5"

missing=''
for k in $names; do
	get "$k"
	[ "$v" = - ] && missing="$missing $k"
done
if [ -r "$file" ] && [ -z "$missing" ]; then
	ok "$file has $names"
else
	not_ok "$file has $names (missing:${missing:- the file})"
fi

if all_zero; then
	ok "at rest every counter is 0"
else
	not_ok "at rest every counter is 0:$bad"
fi

# A stopped target, a deferred request with a status and a waiter on it.
sleep 1000 > /dev/null 2>&1 &
t=$!
pids+=("$t")
kill -STOP "$t"
"$PROCTERM" kill --deferred --status 5 --wait "$t" > /dev/null 2>&1 &
cli=$!
pids+=("$cli")
live=''
for k in waiters deferred deferred_works users; do
	wait_for "$k" 1 || live="$live $k=$v"
done
if [ -z "$live" ]; then
	ok "one armed deferred request with a waiter: waiters, deferred, deferred_works, users are 1"
else
	not_ok "one armed deferred request with a waiter: waiters, deferred, deferred_works, users are 1:$live"
fi

kill -CONT "$t"
wait "$t"
rc=$?
wait "$cli"
cli_rc=$?
if [ "$rc" = 5 ] && [ "$cli_rc" = 0 ] && all_zero; then
	ok "the target died with status 5, the waiter answered, every counter is 0 again"
else
	not_ok "the target died with status 5 ($rc), the waiter answered (CLI exit $cli_rc), every counter is 0 again:$bad"
fi

# An immediate kill with a status: its entry goes with the process.
sleep 1000 > /dev/null 2>&1 &
t=$!
pids+=("$t")
"$PROCTERM" kill --status 3 "$t" > /dev/null 2>&1
wait "$t"
rc=$?
if [ "$rc" = 3 ] && all_zero; then
	ok "kill --status 3: exit 3, status entries back to 0"
else
	not_ok "kill --status 3: exit $rc, status entries back to 0:$bad"
fi

[ "$failed" -eq 0 ]
