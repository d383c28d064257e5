#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm kill against the module: one exit code per outcome class, a line
# per distinct target, and --status, --wait, --timeout, --deferred and
# --tree as the parent of the target observes them (bash's wait status).
#
#   0 success  1 usage  2 no such process  3 access denied  4 not a process
#   5 already exited  6 timed out  (7, module not loaded: module_test.sh)
#   9 a per-user limit: cli_pending_test.sh
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm). Output is TAP; exit 0 on success, 1 on a failure, 4 when
# everything was skipped.

. "$(dirname "$0")/cli_lib.sh"

kptr=/proc/sys/kernel/kptr_restrict
kptr_saved=
cli_cleanup_hook() {
	[ -z "$kptr_saved" ] || echo "$kptr_saved" >"$kptr"
}

cli_start

# ---- usage errors: 1, and nothing is killed
expect_rc "no command: exit 1" 1
expect_rc "unknown command: exit 1" 1 frobnicate
expect_rc "kill without a target: exit 1" 1 kill
spawn
victim=$last
for bad in abc -5 99999999999999999999 0 "" 12x "1 2" 0x0 "$victim@" "@$victim"; do
	expect_rc "kill '$bad': exit 1" 1 kill "$bad"
done
run kill "$victim" 12x
check "a valid PID next to an invalid one: exit 1 (got $rc)" [ "$rc" = 1 ]
check "... the message names the invalid one" err_has "invalid target '12x'"
expect_rc "kill --status with a bad value: exit 1" 1 kill --status 4294967296 "$victim"

# The old --wait[=MS] spellings: refused, nothing killed.
run kill --wait=5000 "$victim"
check "kill --wait=5000: exit 1 (got $rc)" [ "$rc" = 1 ]
check "kill --wait=5000: points at --timeout 5000ms" err_has "--timeout 5000ms"
run kill --wait 5000 "$victim"
check "kill --wait 5000 PID: exit 1, ambiguous (got $rc)" [ "$rc" = 1 ]
check "kill --wait 5000 PID: says so" err_has "ambiguous"
spawn
other=$last
run kill --wait "$other" "$victim"
check "kill --wait A B: exit 1, A might be a timeout (got $rc)" [ "$rc" = 1 ]
expect_rc "kill --timeout 5000 PID (no unit): exit 1" 1 kill --timeout 5000 "$victim"
check "... the message asks for a unit" err_has "needs a unit"
expect_rc "kill --timeout 0ms PID: exit 1" 1 kill --timeout 0ms "$victim"
expect_rc "kill --timeout 5 s PID: exit 1" 1 kill --timeout 5 s "$victim"
# The parent would see the low byte only.
run kill --status 256 "$victim"
check "kill --status 256: exit 1 (got $rc)" [ "$rc" = 1 ]
check "kill --status 256: says the parent would see 0" err_has "parent would see 0 "
run kill --status 0xC0000005 "$victim"
check "kill --status 0xC0000005 without --full-status: exit 1 (got $rc)" [ "$rc" = 1 ]
check "... says the parent would see 5" err_has "parent would see 5 "
expect_rc "kill --full-status without --status: exit 1" 1 kill --full-status "$victim"
# Usage errors: one line, then a pointer to --help; never the whole usage.
run kill --bogus "$victim"
check "kill --bogus: exit 1, one line and 'Try ... --help' (exit $rc)" \
	[ "$rc:$err" = "1:procterm: kill: unknown option '--bogus'
Try 'procterm kill --help'." ]
run frobnicate
check "unknown command: one line and 'Try procterm --help'" \
	[ "$err" = "procterm: unknown command 'frobnicate'
Try 'procterm --help'." ]
# Out of range is said so, with the range.
pidmax=$(cat /proc/sys/kernel/pid_max)
for bad in 0 "$pidmax" 99999999999999999999; do
	run kill "$bad"
	check "kill $bad: exit 1, 'out of range (1 to $((pidmax - 1)))' (exit $rc)" \
		[ "$rc:$(printf '%s\n' "$err" | head -n1)" = "1:procterm: kill: PID '$bad' out of range (1 to $((pidmax - 1)))" ]
done
expect_rc "kill --json --tsv: exit 1" 1 kill --json --tsv "$victim"
expect_rc "kill --dry-run --wait: exit 1" 1 kill --dry-run --wait "$victim"
expect_rc "kill --dry-run --status 3: exit 1" 1 kill --dry-run --status 3 "$victim"
check "after every refused command line, A still lives" alive "$other"
check "after every refused command line, B still lives" alive "$victim"

# ---- success, by PID
run kill "$victim"
check "kill PID: exit 0" [ "$rc" = 0 ]
check "kill PID: one line, '$victim: terminated'" [ "$out" = "$victim: terminated" ]
reap "$victim"
check "kill PID: the parent sees SIGKILL (wait status $status)" [ "$status" = 137 ]

# --wait after the targets, or targets after --: no ambiguity.
spawn
a=$last
run kill "$other" "$a" --wait
check "kill A B --wait: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill A B --wait: two lines, both killed by signal 9" \
	[ "$(printf '%s\n' "$out" | grep -c ': killed by signal 9$')" = 2 ]
reap "$other"
sa=$status
reap "$a"
check "kill A B --wait: the parents see SIGKILL ($sa $status)" all_equal 137 "$sa" "$status"
spawn
a=$last
spawn
b=$last
run kill --wait -- "$a" "$b"
check "kill --wait -- A B: exit 0 (got $rc)" [ "$rc" = 0 ]
reap "$a"
sa=$status
reap "$b"
check "kill --wait -- A B: both dead ($sa $status)" all_equal 137 "$sa" "$status"

# ---- --status
spawn
run kill --status 7 "$last"
check "kill --status 7: exit 0" [ "$rc" = 0 ]
check "kill --status 7: '$last: terminated (status 7)'" [ "$out" = "$last: terminated (status 7)" ]
reap "$last"
check "kill --status 7: the parent sees exit 7 (got $status)" [ "$status" = 7 ]

spawn
run kill --status 255 "$last"
reap "$last"
check "kill --status 255: exit 0, the parent sees 255 (exit $rc, status $status)" \
	all_equal "0 255" "$rc $status"

spawn
run kill --status 0 "$last"
reap "$last"
check "kill --status 0: exit 0, the parent sees 0 (exit $rc, status $status)" \
	all_equal "0 0" "$rc $status"

spawn
run kill --status 0xC0000005 --full-status "$last"
check "kill --status 0xC0000005 --full-status: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... the full value is echoed" out_has "^$last: terminated \(status 0xc0000005\)$"
reap "$last"
check "... the parent sees exit 5 (got $status)" [ "$status" = 5 ]

# ---- --wait and --timeout
spawn
run kill --wait "$last"
check "kill --wait: exit 0" [ "$rc" = 0 ]
check "kill --wait: '$last: killed by signal 9'" [ "$out" = "$last: killed by signal 9" ]
reap "$last"
check "kill --wait: the parent sees SIGKILL (got $status)" [ "$status" = 137 ]

spawn
run kill --status 7 --timeout 20s "$last"
check "kill --status 7 --timeout 20s: exit 0" [ "$rc" = 0 ]
check "kill --status 7 --timeout 20s: '$last: exited, status 7'" [ "$out" = "$last: exited, status 7" ]
reap "$last"
check "kill --status 7 --timeout 20s: the parent sees exit 7 (got $status)" [ "$status" = 7 ]

spawn
run kill --timeout=1m --status 3 "$last"
reap "$last"
check "kill --timeout=1m --status 3: exit 0, parent sees 3 (exit $rc, status $status)" \
	all_equal "0 3" "$rc $status"

# The script mode: target pid start_time result count wait_status request_id message
spawn
start=$(start_of "$last")
run kill --tsv --status 7 --wait "$last"
IFS=$'\t' read -r f_target f_pid f_start f_result f_count f_wait f_id f_msg <<<"$out"
check "kill --tsv: exit 0" [ "$rc" = 0 ]
check "kill --tsv: one record of 8 fields" every_line_fields 8
check "kill --tsv: target and pid" all_equal "$last" "$f_target" "$f_pid"
check "kill --tsv: start time as in /proc/PID/stat" [ "$f_start" = "$start" ]
check "kill --tsv: result ok (got $f_result)" [ "$f_result" = ok ]
check "kill --tsv: count 1 (got $f_count)" [ "$f_count" = 1 ]
check "kill --tsv: wait status 1792 (got $f_wait)" [ "$f_wait" = 1792 ]
check "kill --tsv: no request id, no message ($f_id $f_msg)" all_equal - "$f_id" "$f_msg"
reap "$last"
check "kill --tsv --status 7: the parent sees exit 7 (got $status)" [ "$status" = 7 ]

# ---- by handle
spawn
h="$last@$(start_of "$last")"
run kill "$h"
check "kill PID@START: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill PID@START: '$h (pid $last): terminated'" [ "$out" = "$h (pid $last): terminated" ]
reap "$last"
check "kill PID@START: the parent sees SIGKILL (got $status)" [ "$status" = 137 ]

spawn
stale="$last@$(( $(start_of "$last") + 1 ))"
run kill "$stale"
check "kill with a stale handle: exit 2 (got $rc)" [ "$rc" = 2 ]
check "... the message names the handle" err_has "^procterm: kill $stale: "
check "... the process lives" alive "$last"
start=$(start_of "$last")
run kill --tsv --status 4 "$last@$start"
IFS=$'\t' read -r f_target f_pid f_start f_result _ <<<"$out"
check "kill --tsv PID@START: pid, start, ok" \
	all_equal "$last $start ok" "$f_pid $f_start $f_result"
reap "$last"
check "kill --status 4 PID@START: the parent sees 4 (got $status)" [ "$status" = 4 ]

# ---- by address (root sees addresses unless kptr_restrict=2)
if [ "$(cat "$kptr" 2>/dev/null)" = 2 ]; then
	kptr_saved=2
	echo 1 >"$kptr"
fi
spawn
run list --tsv "$last"
addr=$(printf '%s\n' "$out" | cut -f4)
checkx "list --tsv PID: an address for root ($addr)" \
	'[ -n "$addr" ] && [ "$addr" != 0x0000000000000000 ]'
run kill --status 6 "$addr"
check "kill 0xADDR: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill 0xADDR: '$addr (pid $last): terminated (status 6)'" \
	[ "$out" = "$addr (pid $last): terminated (status 6)" ]
reap "$last"
check "kill 0xADDR --status 6: the parent sees 6 (got $status)" [ "$status" = 6 ]
# Not the reaped process's own address: its task_struct may already be
# reused by a new task (even this kill's own procterm). Eight bytes in, no
# task can start.
inside=$(printf '0x%x' $((addr + 8)))
run kill "$inside"
check "kill 0xADDR inside a task_struct: exit 2 (got $rc)" [ "$rc" = 2 ]
check "... the message names the address" err_has "^procterm: kill $inside: "
spawn
run list --tsv "$last"
addr=$(printf '%s\n' "$out" | cut -f4)
upper=0x$(printf '%s' "${addr#0x}" | tr a-f A-F)
run kill --tsv "$addr" "$upper"
checkx "kill ADDR ADDR (two spellings): exit 0, one record (exit $rc)" \
	'[ "$rc" = 0 ] && out_lines 1'
reap "$last"
check "... the process is dead (got $status)" [ "$status" = 137 ]

# ---- duplicates: one kill per distinct target
spawn
run kill "$last" "$last"
check "kill A A: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill A A: one line" out_lines 1
reap "$last"
check "kill A A: the parent sees SIGKILL (got $status)" [ "$status" = 137 ]

spawn
run kill --status 3 "$last" "0$last" "$last" --wait
check "kill --status 3 A 0A A --wait: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill --status 3 A 0A A --wait: one line, exited 3" [ "$out" = "$last: exited, status 3" ]
reap "$last"
check "... the parent sees 3 (got $status)" [ "$status" = 3 ]

spawn
h="$last@$(start_of "$last")"
run kill "$h" "$h"
checkx "kill H H (a handle twice): exit 0, one line (exit $rc)" '[ "$rc" = 0 ] && out_lines 1'
reap "$last"

spawn
h="$last@$(start_of "$last")"
run kill --status 2 "$last" "$h"
check "kill A A@START: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill A A@START: two lines, the second 'same process as $last'" \
	[ "$(printf '%s\n' "$out" | sed -n 2p)" = "$h: same process as $last, done" ]
reap "$last"
check "kill A A@START: the parent sees 2, one kill (got $status)" [ "$status" = 2 ]

spawn
h="$last@$(start_of "$last")"
run kill --tsv --wait "$h" "$last"
check "kill --tsv --wait A@START A: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill --tsv --wait A@START A: two records of 8 fields" every_line_fields 8
row=$(tsv_row "$last")
IFS=$'\t' read -r _ f_pid _ f_result _ _ _ f_msg <<<"$row"
check "... the second: pid, ok, 'same process as $h'" \
	all_equal "$last ok same process as $h" "$f_pid $f_result $f_msg"
reap "$last"

# Same PID, a different start time: not the same process, a real failure.
spawn
stale="$last@$(( $(start_of "$last") + 1 ))"
run kill "$last" "$stale"
check "kill A A@WRONG: exit 2, the stale handle is a failure (got $rc)" [ "$rc" = 2 ]
reap "$last"

# ---- --tree
spawn_tree
root=$last
read -r k1 k2 <<<"$kids"
run kill --tree "$root"
check "kill --tree: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill --tree: '$root: terminated 3 processes'" [ "$out" = "$root: terminated 3 processes" ]
reap "$root"
check "kill --tree: the parent sees SIGKILL (got $status)" [ "$status" = 137 ]
checkx "kill --tree: both children are dead ($k1 $k2)" 'gone "$k1" && gone "$k2"'

spawn_tree
root=$last
read -r k1 k2 <<<"$kids"
run kill --tree --status 4 --wait "$root"
check "kill --tree --status 4 --wait: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill --tree --status 4 --wait: 'terminated 3 processes; exited, status 4'" \
	[ "$out" = "$root: terminated 3 processes; exited, status 4" ]
reap "$root"
check "kill --tree --status 4: the parent sees 4 (got $status)" [ "$status" = 4 ]
checkx "kill --tree --status 4: both children are dead ($k1 $k2)" 'gone "$k1" && gone "$k2"'

spawn_tree
root=$last
read -r k1 k2 <<<"$kids"
run kill --tree --tsv "$root@$(start_of "$root")"
IFS=$'\t' read -r _ f_pid _ f_result f_count _ <<<"$out"
check "kill --tree --tsv PID@START: pid, ok, count 3" \
	all_equal "$root ok 3" "$f_pid $f_result $f_count"
reap "$root"
checkx "kill --tree PID@START: both children are dead ($k1 $k2)" 'gone "$k1" && gone "$k2"'

# ---- --dry-run: what would be killed, nothing killed
spawn_tree
root=$last
read -r k1 k2 <<<"$kids"
run kill --tree --dry-run "$root"
check "kill --tree --dry-run: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill --tree --dry-run: a header and the 3 members" out_lines 4
check "... the root, then its children, indented" \
	[ "$(printf '%s\n' "$out" | sed 1d | awk '{ print $1, $(NF - 1) }' | tr '\n' ' ')" = "$root 0 $k1 \\_ $k2 \\_ " ]
run kill --tree --dry-run --tsv "$root"
check "kill --tree --dry-run --tsv: list's 9 fields, depths 0 1 1" \
	[ "$(printf '%s\n' "$out" | cut -f1,9 | tr '\t\n' ': ')" = "$root:0 $k1:1 $k2:1 " ]
run kill --tree --dry-run --json "$root@$(start_of "$root")"
check "kill --tree --dry-run --json PID@START: the 3 members" json_check \
	"[(e['pid'], e['depth']) for e in d] == [($root, 0), ($k1, 1), ($k2, 1)]"
checkx "after the dry runs, all 3 live" 'alive "$root" && alive "$k1" && alive "$k2"'
run kill --dry-run "$k1"
checkx "kill --dry-run CHILD (no --tree): just that one (exit $rc)" \
	'[ "$rc" = 0 ] && out_lines 2 && out_has "^ *$k1 +$root "'
run kill --dry-run 1
check "kill --dry-run 1: exit 3, refused as the kill would be (got $rc)" [ "$rc" = 3 ]
run kill --tree --dry-run "$(unused_pid)"
check "kill --tree --dry-run UNUSED: exit 2 (got $rc)" [ "$rc" = 2 ]
"$PROCTERM" kill --tree "$root" >/dev/null
reap "$root"

# ---- --json: one object per target
spawn
a=$last
nopid=$(unused_pid)
run kill --json --status 7 "$a" "$nopid" 1 "$a@$(start_of "$a")" --wait
check "kill --json A UNUSED 1 A@START: exit 2 (got $rc)" [ "$rc" = 2 ]
check "... an array of 4 objects with every key" json_check \
	'len(d) == 4 and all(set(e) == {"target", "pid", "start_time", "result", "error", "message", "count", "exit_status", "wait_status", "request_id", "same_as"} for e in d)'
check "... A: ok, exit_status 7, wait_status 1792, count 1" json_check \
	"(d[0]['target'], d[0]['pid'], d[0]['result'], d[0]['error'], d[0]['exit_status'], d[0]['wait_status'], d[0]['count']) == ('$a', $a, 'ok', None, 7, 1792, 1)"
check "... UNUSED: esrch, 'no such process'" json_check \
	"(d[1]['pid'], d[1]['result'], d[1]['error']) == ($nopid, 'esrch', 'no such process')"
check "... 1: eperm, the kernel's message without a 'procterm: ' prefix" json_check \
	"d[2]['result'] == 'eperm' and d[2]['message'] and not d[2]['message'].startswith('procterm')"
check "... A@START: ok, same_as A" json_check "(d[3]['result'], d[3]['same_as']) == ('ok', '$a')"
check "... nothing on stderr" [ -z "$err" ]
reap "$a"
check "kill --json --status 7: the parent sees 7 (got $status)" [ "$status" = 7 ]

# ---- 2: no such process
nopid=$(unused_pid)
expect_rc "unused PID: exit 2" 2 kill "$nopid"
check "unused PID: the message names it" err_has "^procterm: kill $nopid: no such process"
spawn
gone=$last
kill -KILL "$gone"
reap "$gone"
expect_rc "reaped child's PID: exit 2" 2 kill "$gone"

# ---- 3: access denied
expect_rc "PID 1: exit 3" 3 kill 1
check "PID 1: the message names it" err_has "^procterm: kill 1: access denied"
check "PID 1: one line, the kernel's reason without a second 'procterm:'" \
	[ "$err" = "procterm: kill 1: access denied: PID 1 is never terminated" ]
check "PID 1 is still alive" alive 1
expect_rc "PID 1 --tree: exit 3" 3 kill --tree 1
if ! cli_nobody_ready; then
	not_ok "nobody cannot run $PROCTERM (setpriv missing or no access)"
else
	spawn
	run_nobody kill "$last"
	check "nobody vs root's process: exit 3 (got $rc)" [ "$rc" = 3 ]
	check "... the message names the PID" err_has "^procterm: kill $last: access denied"
	check "... the target lives" alive "$last"
	run_nobody kill --deferred "$last"
	check "nobody vs root's process, --deferred: exit 3 (got $rc)" [ "$rc" = 3 ]
	run_nobody kill --tree "$last"
	check "nobody vs root's process, --tree: exit 3 (got $rc)" [ "$rc" = 3 ]
	check "... the target lives" alive "$last"
	run list --tsv "$last"
	addr=$(printf '%s\n' "$out" | cut -f4)
	run_nobody kill "$addr"
	check "nobody, by address: exit 3 (got $rc)" [ "$rc" = 3 ]
	check "... the target lives" alive "$last"
	kill -KILL "$last"
	reap "$last"
	# Its own process: allowed, and the parent sees the status asked for.
	spawn_nobody
	run_nobody kill --status 4 --wait "$last"
	checkx "nobody, own process: exit 0, 'exited, status 4' (exit $rc)" \
		'[ "$rc" = 0 ] && [ "$out" = "$last: exited, status 4" ]'
	reap "$last"
	check "nobody, own process: the parent sees 4 (got $status)" [ "$status" = 4 ]
	spawn_nobody
	run_nobody kill "$last@$(start_of "$last")"
	reap "$last"
	check "nobody, own process by handle: exit 0, SIGKILL (exit $rc, status $status)" \
		all_equal "0 137" "$rc $status"
fi

# ---- 4: not a process
if [ -r /proc/2/stat ] && [ $(( $(sed 's/.*) //' /proc/2/stat | cut -d' ' -f7) & 0x00200000 )) != 0 ]; then
	expect_rc "PID 2 (kthreadd): exit 4" 4 kill 2
	check "PID 2: the message names it" err_has "^procterm: kill 2: not a process"
	check "PID 2 is still alive" alive 2
else
	skip "PID 2 (kthreadd): exit 4" "PID 2 is not a kernel thread"
fi
if [ -x "$helper" ]; then
	mkfifo "$tmp/threads"
	"$helper" threads 3 >"$tmp/threads" 2>/dev/null &
	mt=$!
	started+=("$mt")
	read -r -t 60 tid _ <"$tmp/threads"
	expect_rc "a thread that is not the leader: exit 4" 4 kill "$tid"
	check "... the process lives" alive "$mt"
	check "... the thread lives" [ -d "/proc/$mt/task/$tid" ]
	run kill --status 9 "$mt"
	check "kill a 3-thread process: exit 0" [ "$rc" = 0 ]
	reap "$mt"
	check "kill a 3-thread process: the parent sees exit 9 (got $status)" [ "$status" = 9 ]
else
	not_ok "no $helper (make -C tests)"
fi

# ---- 5: already exited
if [ -x "$helper" ]; then
	mkfifo "$tmp/zombie"
	"$helper" zombie >"$tmp/zombie" 2>/dev/null &
	zparent=$!
	started+=("$zparent")
	read -r -t 60 zpid <"$tmp/zombie"
	expect_rc "a zombie: exit 5" 5 kill "$zpid"
	expect_rc "a zombie with --status: exit 5" 5 kill --status 1 "$zpid"
	run kill --tsv "$zpid"
	IFS=$'\t' read -r _ _ _ f_result _ _ _ f_msg <<<"$out"
	checkx "a zombie, --tsv: exit 5, result ealready, a message (exit $rc)" \
		'[ "$rc" = 5 ] && [ "$f_result" = ealready ] && [ "$f_msg" != - ]'
	check "a zombie, --tsv: nothing on stderr" [ -z "$err" ]
fi

# ---- 6: timed out (a deferred kill of a stopped process cannot complete)
spawn_stopped
stopped=$last
run kill --deferred --timeout 300ms "$stopped"
check "deferred kill of a stopped process with --timeout 300ms: exit 6 (got $rc)" [ "$rc" = 6 ]
check "... says it was armed but is not dead after 300ms" \
	err_has "^procterm: kill $stopped: armed as request [0-9]+, but not dead after 300ms$"
kill -CONT "$stopped"
reap "$stopped"
check "... SIGCONT lets the armed kill finish it (wait status $status)" [ "$status" = 137 ]

# ---- several targets: a line each, the first failure's exit code
spawn
a=$last
spawn
b=$last
nopid=$(unused_pid)
run kill "$a" "$nopid" 1 "$b"
check "kill A UNUSED 1 B: exit 2, the first failure's (got $rc)" [ "$rc" = 2 ]
check "kill A UNUSED 1 B: two lines on stdout" out_lines 2
checkx "kill A UNUSED 1 B: stdout names A and B" 'names "$a" && names "$b"'
checkx "kill A UNUSED 1 B: stderr names UNUSED and 1" \
	'err_has "kill $nopid: no such process" && err_has "kill 1: access denied"'
reap "$a"
sa=$status
reap "$b"
check "kill A UNUSED 1 B: A and B are dead (wait status $sa $status)" \
	all_equal 137 "$sa" "$status"
check "kill A UNUSED 1 B: PID 1 lives" alive 1

spawn
a=$last
run kill --tsv 1 "$a" "$(unused_pid)"
check "kill --tsv 1 A UNUSED: exit 3, the first failure's (got $rc)" [ "$rc" = 3 ]
check "kill --tsv 1 A UNUSED: three records of 8 fields" every_line_fields 8
check "kill --tsv 1 A UNUSED: results eperm ok esrch" \
	[ "$(printf '%s\n' "$out" | cut -f4 | tr '\n' ' ')" = "eperm ok esrch " ]
reap "$a"
check "kill 1 A UNUSED: A is dead" [ "$status" = 137 ]

cli_end
