#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm kill --reap: the victim's memory is free when the command
# returns. The victim holds 256 MiB and, once it has them, runs at nice 19
# on a CPU a busy loop keeps busy, so that its own exit would take long to
# free them; a plain kill in the same setup is shown for comparison. Also:
# the options --reap refuses, a stale handle, and a user killing its own
# process (process_mrelease needs no privilege).
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm). Output is TAP.

. "$(dirname "$0")/cli_lib.sh"

mib=${REAP_TEST_MIB:-256}
spinner=
cli_cleanup_hook() {
	[ -z "$spinner" ] || { kill -KILL "$spinner" 2>/dev/null; wait "$spinner" 2>/dev/null; }
}

memfree_kb() { awk '$1 == "MemFree:" { print $2 }' /proc/meminfo; }

# spawn_hog [nobody]: a process holding $mib MiB on CPU $cpu, then at nice 19.
spawn_hog() {
	local ready=$tmp/ready.$RANDOM end=$((SECONDS + 120 * ${PROCTERM_TIMEOUT_SCALE:-1}))
	local -a as=()
	[ "${1:-}" = nobody ] && as=(setpriv --reuid=$nobody --regid=$nobody --clear-groups)
	spawn "${as[@]}" "$python" -c '
import os, sys, time
if len(os.sched_getaffinity(0)) > 1:
    os.sched_setaffinity(0, {int(sys.argv[2])})
b = b"\x5a" * (int(sys.argv[1]) << 20)
os.nice(19)
open(sys.argv[3], "w").close()
time.sleep(100000)
' "$mib" "$cpu" "$ready"
	while [ ! -e "$ready" ]; do
		[ "$SECONDS" -lt "$end" ] && alive "$last" || return 1
		sleep 0.1
	done
}

cli_start
[ -n "$python" ] || { not_ok "python3 is needed for the memory hog"; cli_end; }
cpus=$(getconf _NPROCESSORS_ONLN)
cpu=$((cpus > 1 ? 1 : 0))
chmod 777 "$tmp"

# ---- usage
expect_rc "--reap --tree: exit 1" 1 kill --reap --tree 1
expect_rc "--reap --deferred: exit 1" 1 kill --reap --deferred 1
expect_rc "--reap --wait: exit 1" 1 kill --reap --wait 1
expect_rc "--reap --timeout: exit 1" 1 kill --reap --timeout 1s 1

# ---- the CPU the victims run on is kept busy
taskset -c "$cpu" bash -c 'while :; do :; done' >/dev/null 2>&1 &
spinner=$!

# ---- with --reap: freed when the command returns
if spawn_hog; then
	p=$last
	before=$(memfree_kb)
	run kill --reap "$p"
	after=$(memfree_kb)
	freed=$(((after - before) / 1024))
	echo "# --reap: $freed MiB free again when procterm returned (victim: $mib MiB)"
	checkx "kill --reap: exit 0, no warning" '[ "$rc" = 0 ] && [ -z "$err" ]'
	checkx "kill --reap: at least 3/4 of the victim's memory is free when it returns" \
		'[ "$freed" -ge $((mib * 3 / 4)) ]'
	reap "$p"
	checkx "kill --reap: the parent sees SIGKILL" '[ "$status" = 137 ]'
else
	not_ok "a $mib MiB victim could be started"
fi

# ---- without: for comparison only (a race with the victim's exit)
if spawn_hog; then
	p=$last
	before=$(memfree_kb)
	run kill "$p"
	after=$(memfree_kb)
	echo "# plain kill: $(((after - before) / 1024)) MiB free again when procterm returned"
	reap "$p"
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
	wait_comm "$p" python3
	before=$(memfree_kb)
	run_nobody kill --reap "$p"
	after=$(memfree_kb)
	checkx "nobody: kill --reap of its own process: exit 0" '[ "$rc" = 0 ] && [ -z "$err" ]'
	checkx "nobody: its memory is free when the command returns" \
		'[ $(((after - before) / 1024)) -ge $((mib * 3 / 4)) ]'
	reap "$p"
else
	not_ok "nobody can run the CLI and a $mib MiB victim"
fi

cli_end
