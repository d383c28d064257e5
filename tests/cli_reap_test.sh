#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm kill --reap: the victim's memory is free when the command
# returns. The victim holds 256 MiB on CPU 1; while it is killed, a
# SCHED_FIFO busy loop holds CPU 1 with RT throttling (and 6.12's fair
# deadline server) off, so the victim
# cannot run its own exit: what is freed by the time procterm returns was
# freed by process_mrelease(2) from CPU 0. A plain kill in the same setup
# frees (almost) nothing meanwhile, which shows the setup tells the two
# apart. Also: the options --reap refuses, a stale handle, and a user
# killing its own process (process_mrelease needs no privilege).
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm). Output is TAP.

. "$(dirname "$0")/cli_lib.sh"

mib=${REAP_TEST_MIB:-256}
rt=/proc/sys/kernel/sched_rt_runtime_us
rt_saved=$(cat "$rt")
# 6.12's deadline server runs starved fair tasks 50 ms a second even when RT
# throttling is off: off on CPU 1 too, while the loop runs.
fair=/sys/kernel/debug/sched/fair_server/cpu1/runtime
fair_saved=$(cat "$fair" 2>/dev/null)
spinner=
stop_spinner() {
	[ -z "$spinner" ] && return
	kill -KILL "$spinner" 2>/dev/null
	wait "$spinner" 2>/dev/null
	spinner=
	echo "$rt_saved" >"$rt"
	[ -z "$fair_saved" ] || echo "$fair_saved" >"$fair"
}
cli_cleanup_hook() { stop_spinner; }

# start_spinner: CPU 1 taken by a SCHED_FIFO loop, RT throttling off; the
# loop ends itself after 120 s should stop_spinner never come. (It was 30
# s: a host stall seen by the guest as a 29 s clock jump ended the loop
# early, the victim ran its own exit, and both measurements were wrong.)
# taskset and chrt exec: $! is the loop.
start_spinner() {
	echo -1 >"$rt"
	[ -z "$fair_saved" ] || echo 0 >"$fair"
	taskset -c 1 chrt -f 1 bash -c 'end=$((SECONDS + 120)); while [ $SECONDS -lt $end ]; do :; done' \
		>/dev/null 2>&1 &
	spinner=$!
	sleep 0.3
}

memfree_kb() { awk '$1 == "MemFree:" { print $2 }' /proc/meminfo; }

# spawn_hog [nobody]: a process holding $mib MiB, on CPU 1.
spawn_hog() {
	local ready=$tmp/ready.$RANDOM end=$((SECONDS + 120 * ${PROCTERM_TIMEOUT_SCALE:-1}))
	local -a as=()
	[ "${1:-}" = nobody ] && as=(setpriv --reuid=$nobody --regid=$nobody --clear-groups)
	spawn "${as[@]}" taskset -c 1 "$python" -c '
import sys, time
b = b"\x5a" * (int(sys.argv[1]) << 20)
open(sys.argv[2], "w").close()
time.sleep(100000)
' "$mib" "$ready"
	while [ ! -e "$ready" ]; do
		[ "$SECONDS" -lt "$end" ] && alive "$last" || return 1
		sleep 0.1
	done
}

# kill_starved [nobody] ARGS: procterm ARGS on CPU 0 while the victim's CPU
# is taken; exit code in $rc, stderr in $err, MiB freed by the time the
# command returned in $freed.
kill_starved() {
	local before after
	local -a as=()
	[ "$1" = nobody ] && { as=(setpriv --reuid=$nobody --regid=$nobody --clear-groups); shift; }
	start_spinner
	before=$(memfree_kb)
	taskset -c 0 "${as[@]}" "$PROCTERM" "$@" >/dev/null 2>"$tmp/stderr"
	rc=$?
	after=$(memfree_kb)
	stop_spinner
	err=$(cat "$tmp/stderr")
	freed=$(((after - before) / 1024))
	printf '%s\n' "\$ ${as[*]:+(nobody) }procterm $* -> exit $rc, $freed MiB freed meanwhile" \
		${err:+"stderr: $err"} | diag
}

cli_start
[ -n "$python" ] || { not_ok "python3 is needed for the memory hog"; cli_end; }
if [ "$(getconf _NPROCESSORS_ONLN)" -lt 2 ]; then
	echo "1..0 # SKIP needs two CPUs: one for the victim, starved, one for the killer"
	exit $KSFT_SKIP
fi
chmod 777 "$tmp"

# ---- usage
expect_rc "--reap --tree: exit 1" 1 kill --reap --tree 1
expect_rc "--reap --deferred: exit 1" 1 kill --reap --deferred 1
expect_rc "--reap --wait: exit 1" 1 kill --reap --wait 1
expect_rc "--reap --timeout: exit 1" 1 kill --reap --timeout 1s 1

# ---- with --reap: freed when the command returns
if spawn_hog; then
	p=$last
	kill_starved kill --reap "$p"
	echo "# --reap, victim starved: $freed MiB free again when procterm returned (victim: $mib MiB)"
	checkx "kill --reap: exit 0, no warning" '[ "$rc" = 0 ] && [ -z "$err" ]'
	checkx "kill --reap: at least 3/4 of the victim's memory is free when it returns" \
		'[ "$freed" -ge $((mib * 3 / 4)) ]'
	reap "$p"
	checkx "kill --reap: the parent sees SIGKILL" '[ "$status" = 137 ]'
else
	not_ok "a $mib MiB victim could be started"
fi

# ---- the same without --reap: the starved victim frees nothing meanwhile
if spawn_hog; then
	p=$last
	kill_starved kill "$p"
	echo "# plain kill, victim starved: $freed MiB free again when procterm returned"
	checkx "plain kill of a starved victim: less than 1/4 freed when procterm returns (the setup tells --reap apart)" \
		'[ "$rc" = 0 ] && [ "$freed" -lt $((mib / 4)) ]'
	reap "$p"
	checkx "plain kill: the victim dies once it may run" '[ "$status" = 137 ]'
else
	not_ok "a $mib MiB victim could be started"
fi

# ---- a stale handle kills nothing, releases nothing
spawn
p=$last
start=$(start_of "$p")
expect_rc "kill --reap PID@WRONG-START: exit 2" 2 kill --reap "$p@$((start + 1))"
checkx "... and the process lives" 'alive "$p"'
reap "$p" 0

# ---- nobody, its own process
if cli_nobody_ready && spawn_hog nobody; then
	p=$last
	kill_starved nobody kill --reap "$p"
	checkx "nobody: kill --reap of its own process: exit 0" '[ "$rc" = 0 ] && [ -z "$err" ]'
	checkx "nobody: its memory is free when the command returns" \
		'[ "$freed" -ge $((mib * 3 / 4)) ]'
	reap "$p"
else
	not_ok "nobody can run the CLI and a $mib MiB victim"
fi

cli_end
