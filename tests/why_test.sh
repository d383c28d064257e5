#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm why, and the report of procterm kill --timeout when the time runs
# out: the words a user reads and the --json fields, for processes the test
# builds in each state:
#
#   - asleep (S): SIGKILL wakes it; the kernel stack for root, "not
#     available (needs root)" for nobody;
#   - a vfork() parent (D, killable) waiting for its stopped child;
#   - a ptrace stop (t), with its tracer named;
#   - a FUSE lookup the server never answers: killed, the process stays in
#     uninterruptible sleep (D) with SIGKILL pending, and a tree kill's
#     timeout report names every member still alive.
#
# Needs root, procterm.ko loaded, FUSE (/dev/fuse, or fuse.ko under
# PROCTERM_MODDIR, which the QEMU harness sets) and PROCTERM=<the CLI>.

. "$(dirname "$0")/cli_lib.sh"

cli_start

if [ -z "$python" ]; then
	not_ok "python3 is needed to check the JSON output"
fi
if [ ! -x "$helper" ]; then
	not_ok "no $helper (make -C tests)"
	cli_end
fi

# ---- usage
run why
check "why without a PID: exit 1 (got $rc)" [ "$rc" = 1 ]
check "... one line of error and a pointer to --help, no usage" \
	[ "$err" = "procterm: why: no PID given
Try 'procterm why --help'." ]
expect_rc "why abc: exit 1" 1 why abc
check "... the message names it" err_has "^procterm: why: invalid target 'abc'"
expect_rc "why 0x1234 (an address): exit 1" 1 why 0x1234
pidmax=$(cat /proc/sys/kernel/pid_max)
run why "$pidmax"
check "why PID_MAX: exit 1 (got $rc)" [ "$rc" = 1 ]
check "... called out of range" err_has "^procterm: why: PID '$pidmax' out of range \(1 to $((pidmax - 1))\)$"
nopid=$(unused_pid)
expect_rc "why UNUSED: exit 2" 2 why "$nopid"
check "... 'no such process'" err_has "^procterm: why $nopid: no such process$"
run why --help
checkx "why --help: exit 0, names --json (exit $rc)" '[ "$rc" = 0 ] && out_has -- "--json"'

# ---- asleep: interruptible, and the kernel stack for root only
spawn
p=$last
wait_comm "$p" sleep
wait_state "$p" S
run why "$p"
check "why SLEEPING: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... plain words first: alive, 1 thread" \
	[ "$(printf '%s\n' "$out" | head -n1)" = "process $p (sleep) is alive: 1 thread" ]
check "... 'sleeping ... (interruptible): SIGKILL wakes it'" \
	out_has "^  thread $p is sleeping( in [a-z_0-9.]+)? \(interruptible\): SIGKILL wakes it$"
check "... then the raw facts" out_has "^  thread $p \(sleep\): state S, wchan [^,]+, SIGKILL not pending"
check "... root gets the kernel stack" out_has '^    \[<0>\] '
run why --json "$p" "$p@$(start_of "$p")"
check "why --json P P@START: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... two objects with every key" json_check \
	'len(d) == 2 and all(set(e) >= {"pid", "start_time", "comm", "state", "gone", "since_kill_ms", "ppid", "tracer", "core_dumping", "pid_ns_init", "summary", "threads"} for e in d)'
# ran_ns comes from /proc/PID/task/TID/schedstat (CONFIG_SCHED_INFO: every
# Debian kernel; not the debug kernels): a number there, null where the
# kernel has no such file.
sampled=True
[ -e /proc/self/schedstat ] || sampled=None
check "... the thread: S, no SIGKILL, a stack, no error, sampled (or no schedstat: $sampled)" json_check \
	"[(t['tid'], t['state'], t['sigkill_pending'], len(t['stack']) > 0, t['stack_error'], t['sample_ms'], isinstance(t['ran_ns'], int) or (t['ran_ns'] is None and None)) for t in d[0]['threads']] == [($p, 'S', False, True, None, 100, $sampled)]"
check "... no tracer, no kill time" json_check \
	"d[0]['tracer'] is None and d[0]['since_kill_ms'] is None and d[0]['pid'] == $p"
run why "$p@$(( $(start_of "$p") + 1 ))"
check "why with a stale handle: exit 2 (got $rc)" [ "$rc" = 2 ]
if cli_nobody_ready; then
	spawn_nobody
	run_nobody why --json "$last"
	check "nobody, own process: exit 0 (got $rc)" [ "$rc" = 0 ]
	check "... no kernel stack: 'not available (needs root)'" json_check \
		"d[0]['threads'][0]['stack'] is None and d[0]['threads'][0]['stack_error'] == 'not available (needs root)'"
	run_nobody why "$last"
	check "... said in the text too" out_has "^    kernel stack: not available \(needs root\)$"
else
	not_ok "nobody cannot run $PROCTERM (setpriv missing or no access)"
fi

# ---- vfork(): the parent waits in D, killably, for its stopped child
mkfifo "$tmp/vfork"
"$helper" vfork >"$tmp/vfork" 2>/dev/null &
vp=$!
started+=("$vp")
read -r -t 60 vc <"$tmp/vfork"
started+=("$vc")
wait_state "$vc" T
wait_state "$vp" D
run why "$vp"
check "why VFORK-PARENT: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... 'in vfork(), waiting for its child C (state T) ... killable'" \
	out_has "^  thread $vp is in vfork\(\), waiting for its child $vc \([^,]*, state T\) to exec or exit; the wait is killable: SIGKILL ends it$"
check "... the raw facts show state D" out_has "^  thread $vp \([^)]*\): state D, "
run why --json "$vp"
check "... --json: state D, vfork_child $vc, no SIGKILL" json_check \
	"[(t['state'], t['vfork_child'], t['sigkill_pending']) for t in d[0]['threads']] == [('D', $vc, False)]"
run kill --wait "$vp"
check "kill VFORK-PARENT --wait: exit 0, it was killable (exit $rc)" [ "$rc" = 0 ]
reap "$vp"
kill -KILL "$vc" 2>/dev/null

# ---- a ptrace stop: the tracer is named
mkfifo "$tmp/traced"
"$helper" traced >"$tmp/traced" 2>/dev/null &
tracer=$!
started+=("$tracer")
read -r -t 60 tracee <"$tmp/traced"
started+=("$tracee")
wait_state "$tracee" t
run why "$tracee"
check "why TRACEE: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... 'it is traced by TRACER'" out_has "^  it is traced by $tracer \([^)]*\)$"
check "... 'in a ptrace stop of its tracer TRACER'" \
	out_has "^  thread $tracee is in a ptrace stop of its tracer $tracer \([^)]*\): SIGKILL ends the stop"
run why --json "$tracee"
check "... --json: state t, tracer $tracer" json_check \
	"d[0]['tracer']['pid'] == $tracer and d[0]['threads'][0]['state'] == 't'"
run kill --timeout 20s "$tracee"
check "kill TRACEE --timeout 20s: exit 0, SIGKILL ended the stop (exit $rc)" [ "$rc" = 0 ]

# ---- FUSE: killed in a request the server read and never answers (cli_lib.sh)
if ! fuse_ready; then
	if [ -n "${PROCTERM_FLAVOUR:-}" ]; then
		not_ok "FUSE: no /dev/fuse in the guest (every supported kernel has FUSE)"
	else
		skip "FUSE cases" "no /dev/fuse"
	fi
	cli_end
fi

# A tree whose members all hang: the report covers each, in --json.
if ! fuse_start tree; then
	not_ok "FUSE: the helper did not get two lookups stuck"
	cli_end
fi
run why "$fa"
check "why FUSE-LOOKUP (not killed): asleep in the request, interruptibly" \
	out_has "^  thread $fa is sleeping in [a-z_0-9.]+ \(interruptible\): SIGKILL wakes it$"
run kill --tree --json --timeout 1s "$fa"
check "kill --tree --json --timeout 1s A: exit 6 (got $rc)" [ "$rc" = 6 ]
check "... one record: etimedout, 2 members killed" json_check \
	"len(d) == 1 and d[0]['result'] == 'etimedout' and d[0]['count'] == 2 and d[0]['pid'] == $fa"
check "... 'why' covers both members still alive, A first" json_check \
	"[e['pid'] for e in d[0]['why']] == [$fa, $fb]"
check "... each: state D, SIGKILL pending, since_kill_ms >= 1000" json_check \
	"all(e['threads'][0]['state'] == 'D' and e['threads'][0]['sigkill_pending'] and e['since_kill_ms'] >= 1000 for e in d[0]['why'])"
check "... the words say it cannot die" json_check \
	"all(any('in uninterruptible sleep' in s and 'after procterm sent SIGKILL' in s and s.endswith(': it cannot die until that wait ends') for s in e['summary']) for e in d[0]['why'])"
check "... nothing on stderr" [ -z "$err" ]
run why "$fb"
check "why KILLED-FUSE-LOOKUP: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... 'uninterruptible sleep in W with SIGKILL pending ... cannot die until that wait ends'" \
	out_has "^  thread $fb is in uninterruptible sleep in [a-z_0-9.]+ with SIGKILL pending( \(it did not run in the 100 ms watched\))?: it cannot die until that wait ends$"
check "... the raw facts: state D, SIGKILL pending" out_has "^  thread $fb \([^)]*\): state D, wchan [^,]+, SIGKILL pending,"
run why --json "$fa" "$fb"
check "why --json A B: both D with SIGKILL pending" json_check \
	"[(e['pid'], e['threads'][0]['state'], e['threads'][0]['sigkill_pending']) for e in d] == [($fa, 'D', True), ($fb, 'D', True)]"
kill -KILL "$daemon"
checkx "the server's death aborts the requests: A and B die ($fa $fb)" 'gone "$fa" && gone "$fb"'
reap "$daemon"
umount -l "$tmp/tree" 2>/dev/null

# One process, the report in words on stderr.
if fuse_start single; then
	run kill --timeout 1s "$fa"
	check "kill --timeout 1s STUCK: exit 6 (got $rc)" [ "$rc" = 6 ]
	check "... 'terminated, but not dead after 1s' first" \
		[ "$(printf '%s\n' "$err" | head -n1)" = "procterm: kill $fa: terminated, but not dead after 1s" ]
	check "... then why: still alive N s after the kill" \
		err_has "^process $fa \([^)]*\) is still alive [0-9.]+ s after procterm sent SIGKILL: 1 of its 1 threads live$"
	check "... 'in uninterruptible sleep in W, N s after procterm sent SIGKILL: it cannot die'" \
		err_has "^  thread $fa is in uninterruptible sleep in [a-z_0-9.]+, [0-9.]+ s after procterm sent SIGKILL( \(it did not run in the 100 ms watched\))?: it cannot die until that wait ends$"
	checkx "... not the child, which was not killed" '! err_has "process $fb "'
	check "... the child still sleeps interruptibly" [ "$(state "$fb")" = S ]
	kill -KILL "$daemon"
	checkx "the server's death ends both ($fa $fb)" 'gone "$fa" && gone "$fb"'
	reap "$daemon"
else
	not_ok "FUSE: the helper did not get two lookups stuck (second mount)"
fi

cli_end
