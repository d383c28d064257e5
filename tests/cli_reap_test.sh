#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm kill --reap: the victim's memory is free when the command
# returns. The victim holds 256 MiB and is stuck in a FUSE lookup that its
# server never answers; killed there, it stays in uninterruptible sleep with
# SIGKILL pending and cannot run its own exit, so whatever of its memory is
# gone by the time procterm returns was released by process_mrelease(2) in
# procterm's context. A plain kill in the same setup releases nothing
# meanwhile, which shows the setup tells the two apart. Once the server aborts the connection the
# victim dies, and its parent sees SIGKILL. Also: the options --reap
# refuses, a stale handle, and a user killing its own process
# (process_mrelease needs no privilege).
#
# (This test first starved the victim of CPU with a busy loop on its CPU.
# That depends on the scheduler: a SCHED_FIFO loop also starves the
# kernel's per-CPU threads, which on PREEMPT_RT stalled the kill, and a
# fair-class loop leaves the victim a slice in which it starts its exit.)
#
# What is measured is the victim's own resident anonymous memory (RssAnon
# in /proc/PID/status), which process_mrelease takes to 0. MemFree is shown
# too, but not asserted: on 6.12-rt it rose by only 157 to 258 MiB of the
# 256 while Active(anon) fell by all of it, the rest of the pages not yet
# counted as free when the command returned.
#
# Needs root, procterm.ko loaded, FUSE and PROCTERM=<path to the CLI>
# (default ../ctl/procterm). Output is TAP.

. "$(dirname "$0")/cli_lib.sh"

mib=${REAP_TEST_MIB:-256}

memfree_kb() { awk '$1 == "MemFree:" { print $2 }' /proc/meminfo; }
# rss_mib PID: its RssAnon in MiB ("" once it has no memory map).
rss_mib() { awk '$1 == "RssAnon:" { print int($2 / 1024) }' "/proc/$1/status" 2>/dev/null; }

# kill_stuck [nobody] ARGS: procterm ARGS on the victim $fa; exit code in
# $rc, stderr in $err, the victim's RssAnon in MiB when the command
# returned in $rss (before: $rss0).
kill_stuck() {
	local before after
	local -a as=()
	[ "$1" = nobody ] && { as=(as_nobody); shift; }
	rss0=$(rss_mib "$fa")
	before=$(memfree_kb)
	"${as[@]}" "$PROCTERM" "$@" >/dev/null 2>"$tmp/stderr"
	rc=$?
	rss=$(rss_mib "$fa")
	after=$(memfree_kb)
	err=$(cat "$tmp/stderr")
	printf '%s\n' "\$ ${as:+(nobody) }procterm $* -> exit $rc; the victim's RssAnon ${rss0:-?} -> ${rss:-?} MiB, MemFree +$(((after - before) / 1024)) MiB" \
		${err:+"stderr: $err"} | diag
}

# victim NAME [UID]: fuse_start NAME with a $mib MiB victim in $fa.
victim() {
	fuse_start "$1" "$mib" ${2:+"$2"} && return 0
	not_ok "a $mib MiB victim stuck in a FUSE lookup${2:+ as uid $2}"
	return 1
}

cli_start
if ! fuse_ready; then
	if [ -n "${PROCTERM_FLAVOUR:-}" ]; then
		not_ok "FUSE: no /dev/fuse in the guest (every supported kernel has FUSE)"
	else
		skip "--reap cases" "no /dev/fuse"
	fi
	cli_end
fi
chmod 777 "$tmp"

# ---- usage
expect_rc "--reap --tree: exit 1" 1 kill --reap --tree 1
expect_rc "--reap --deferred: exit 1" 1 kill --reap --deferred 1
expect_rc "--reap --wait: exit 1" 1 kill --reap --wait 1
expect_rc "--reap --timeout: exit 1" 1 kill --reap --timeout 1s 1

# ---- with --reap: freed when the command returns
if victim reap; then
	kill_stuck kill --reap "$fa"
	checkx "kill --reap: exit 0, no warning" '[ "$rc" = 0 ] && [ -z "$err" ]'
	checkx "kill --reap: the victim held $mib MiB (RssAnon ${rss0:-?} MiB)" \
		'[ "${rss0:-0}" -ge $((mib * 3 / 4)) ]'
	checkx "kill --reap: less than 1/4 of it is left when the command returns (${rss:-?} MiB)" \
		'[ -n "$rss" ] && [ "$rss" -lt $((mib / 4)) ]'
	check "... while the victim waits in uninterruptible sleep" wait_state "$fa" D
	fuse_end reap
	checkx "kill --reap: the parent sees SIGKILL once the request is aborted (status ${fa_status:-none})" \
		'[ "$fa_status" = 9 ]'
fi

# ---- the same without --reap: the stuck victim frees nothing meanwhile
if victim plain; then
	kill_stuck kill "$fa"
	checkx "plain kill of a stuck victim: exit 0, and 3/4 of its memory still held when the command returns (${rss:-?} MiB; the setup tells --reap apart)" \
		'[ "$rc" = 0 ] && [ "${rss:-0}" -ge $((mib * 3 / 4)) ]'
	check "... and the victim waits in uninterruptible sleep" wait_state "$fa" D
	fuse_end plain
	checkx "plain kill: the victim dies once the request is aborted, its parent sees SIGKILL (status ${fa_status:-none})" \
		'[ "$fa_status" = 9 ]'
fi

# ---- a stale handle kills nothing, releases nothing
spawn
p=$last
start=$(start_of "$p")
expect_rc "kill --reap PID@WRONG-START: exit 2" 2 kill --reap "$p@$((start + 1))"
checkx "... and the process lives" 'alive "$p"'
reap "$p" 0

# ---- nobody, its own process
if ! cli_nobody_ready; then
	not_ok "nobody can run the CLI"
elif victim nobody $nobody; then
	kill_stuck nobody kill --reap "$fa"
	checkx "nobody: kill --reap of its own process: exit 0" '[ "$rc" = 0 ] && [ -z "$err" ]'
	checkx "nobody: less than 1/4 of its memory is left when the command returns (${rss0:-?} -> ${rss:-?} MiB)" \
		'[ "${rss0:-0}" -ge $((mib * 3 / 4)) ] && [ -n "$rss" ] && [ "$rss" -lt $((mib / 4)) ]'
	fuse_end nobody
	checkx "nobody: the parent sees SIGKILL (status ${fa_status:-none})" '[ "$fa_status" = 9 ]'
fi

cli_end
