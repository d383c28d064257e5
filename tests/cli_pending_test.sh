#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm kill --deferred, pending and cancel against the module: the armed
# request in every output format, cancelling it (and a wrong ID, and another
# user's), duplicates, a deferred tree, a per-user limit (exit 9), and
# kill --grace (listed, cancelled, killed at the deadline, ended during grace).
# Stopped targets keep a deferred request armed until they are resumed.
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm). Output is TAP.

. "$(dirname "$0")/cli_lib.sh"

param=/sys/module/procterm/parameters/max_deferred
param_saved=
cli_cleanup_hook() {
	[ -z "$param_saved" ] || echo "$param_saved" >"$param"
}

cli_start

if [ -z "$python" ]; then
	not_ok "python3 is needed to check the JSON output"
fi
nobody_ok=true
if ! cli_nobody_ready; then
	not_ok "nobody cannot run $PROCTERM (setpriv missing or no access)"
	nobody_ok=false
fi

# armed_id: the request ID in "TARGET: armed, request N" ($out).
armed_id() {
	printf '%s\n' "$out" | sed -n 's/^.*: armed, request \([0-9][0-9]*\).*$/\1/p' | head -n1
}

# ---- 9: a per-user limit (max_deferred, a module parameter)
if ! $nobody_ok; then
	:
elif [ ! -w "$param" ]; then
	skip "a per-user limit on deferred requests: exit 9" "the module has no max_deferred parameter"
else
	param_saved=$(cat "$param")
	echo 1 >"$param"
	spawn_nobody
	qa=$last
	kill -STOP "$qa"
	wait_state "$qa" T
	spawn_nobody
	qb=$last
	kill -STOP "$qb"
	wait_state "$qb" T
	run_nobody kill --deferred "$qa"
	check "max_deferred=1: nobody arms one (exit $rc)" [ "$rc" = 0 ]
	qid=$(armed_id)
	run_nobody kill --deferred "$qb"
	check "max_deferred=1: nobody's second: exit 9 (got $rc)" [ "$rc" = 9 ]
	check "... the message names the target and the limit" \
		err_has "^procterm: kill $qb: a per-user limit was reached: per-user limit max_deferred"
	run_nobody kill --tsv --deferred "$qb"
	check "... --tsv: result edquot (got '$(cut -f4 <<<"$out")')" [ "$(cut -f4 <<<"$out")" = edquot ]
	run_nobody pending --tsv
	check "... nobody has one request pending" out_lines 1
	run kill --deferred "$qb"
	check "... root is not held to nobody's budget (exit $rc)" [ "$rc" = 0 ]
	echo "$param_saved" >"$param"
	param_saved=
	# Root's request does not exist for nobody (pending and cancel hide
	# it too), so nobody's own is armed beside it.
	run_nobody kill --deferred "$qb"
	check "... nobody's own request beside root's: exit 0 (got $rc)" [ "$rc" = 0 ]
	run_nobody kill --deferred "$qb"
	check "... but nobody's second for it: exit 5 (got $rc)" [ "$rc" = 5 ]
	kill -CONT "$qa" "$qb"
	reap "$qa"
	sa=$status
	reap "$qb"
	check "... both die when resumed ($sa $status)" all_equal 137 "$sa" "$status"
	[ -z "$qid" ] || "$PROCTERM" cancel "$qid" >/dev/null 2>&1
fi

# ---- arm
spawn_stopped
p=$last
start=$(start_of "$p")
run kill --deferred "$p"
check "kill --deferred a stopped process: exit 0 (got $rc)" [ "$rc" = 0 ]
check "kill --deferred: '$p: armed, request N'" out_has "^$p: armed, request [0-9]+$"
id=$(armed_id)
check "kill --deferred: one line" out_lines 1
check "... the process is not woken: still stopped" [ "$(state "$p")" = T ]

run kill --deferred "$p"
check "a second deferred request for it: exit 5 (got $rc)" [ "$rc" = 5 ]
check "... the message names the PID" err_has "^procterm: kill $p: already terminating or exited"

# Duplicates: one request; PID then its handle: the same process.
spawn_stopped
q=$last
qh="$q@$(start_of "$q")"
run kill --deferred --status 3 "$q" "$qh" "$q"
check "kill --deferred --status 3 Q Q@START Q: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... two lines, the second 'same process as $q'" \
	[ "$(printf '%s\n' "$out" | sed -n 2p)" = "$qh: same process as $q, done" ]
qid=$(armed_id)
check "... the first: '$q: armed, request N (status 3)'" out_has "^$q: armed, request [0-9]+ \(status 3\)$"

# ---- pending, pretty
run pending
check "pending: exit 0 (got $rc)" [ "$rc" = 0 ]
check "pending: a header line first" \
	[ "$(printf '%s\n' "$out" | head -n1 | tr -s ' ' | sed 's/^ //')" = "ID PID HANDLE STATUS ARMED BY FLAGS" ]
check "pending: the row for request $id" \
	out_has "^ *$id +$p +$p@$start +SIGKILL +[0-9][0-9.dhms]* ago +0 deferred$"
check "pending: the row for request $qid, status 3" \
	out_has "^ *$qid +$q +$qh +3 +[0-9][0-9.dhms]* ago +0 deferred$"
check "pending: Q has one request only" \
	[ "$(printf '%s\n' "$out" | grep -cE "^ *[0-9]+ +$q +")" = 1 ]

# ---- pending --tsv: id pid start_time status flags armed_ns requester_uid
run pending --tsv
check "pending --tsv: exit 0 (got $rc)" [ "$rc" = 0 ]
check "pending --tsv: 7 fields on every line" every_line_fields 7
row=$(tsv_row "$id")
now_ns=$(awk '{ printf "%.0f\n", $1 * 1e9 }' /proc/uptime)
check "pending --tsv: the row for $id (got '$row')" \
	[ "$(cut -f1-5,7 <<<"$row")" = "$id	$p	$start	SIGKILL	deferred	0" ]
armed=$(cut -f6 <<<"$row")
checkx "pending --tsv: armed_ns is CLOCK_BOOTTIME, within the last 10 minutes ($armed, now $now_ns)" \
	'[[ $armed =~ ^[0-9]+$ ]] && [ "$armed" -le $((now_ns + 1000000000)) ] && [ "$armed" -ge $((now_ns - 600000000000)) ]'
check "pending --tsv: status 3 for $qid" [ "$(tsv_row "$qid" | cut -f4)" = 3 ]

# ---- pending --json
run pending --json
check "pending --json: exit 0 (got $rc)" [ "$rc" = 0 ]
check "pending --json: valid, every key" json_check \
	'isinstance(d, list) and all(set(e) == {"id", "pid", "start_time", "handle", "status", "flags", "grace_ms", "signal", "armed_ns", "age_ns", "requester_uid"} for e in d)'
check "pending --json: request $id" json_check \
	"[(e['pid'], e['start_time'], e['handle'], e['status'], e['flags'], e['requester_uid'], e['armed_ns'] == '$armed', 0 <= int(e['age_ns']) < 600e9) for e in d if e['id'] == $id] == [($p, $start, '$p@$start', None, ['deferred'], 0, True, True)]"
check "pending --json: request $qid, status 3" json_check \
	"[e['status'] for e in d if e['id'] == $qid] == [3]"

# ---- another user's view: nothing of root's, and no cancelling it
if $nobody_ok; then
	run_nobody pending --tsv
	checkx "nobody: pending --tsv, exit 0, no row for root's $id (exit $rc)" \
		'[ "$rc" = 0 ] && [ -z "$(tsv_row "$id")" ]'
	run_nobody pending --json
	check "nobody: pending --json, valid, without $id" json_check \
		"isinstance(d, list) and $id not in [e['id'] for e in d]"
	run_nobody pending
	check "nobody: pending (pretty) without $id" [ -z "$(printf '%s\n' "$out" | awk -v i="$id" '$1 == i')" ]
	run_nobody cancel "$id"
	check "nobody: cancel root's $id: exit 2 (got $rc)" [ "$rc" = 2 ]
	check "... the message names the ID" err_has "^procterm: cancel $id: no such request"
	run pending --tsv
	check "... root's $id is still armed" [ -n "$(tsv_row "$id")" ]

	# nobody's own: listed for nobody and for root (CAP_KILL), cancellable.
	spawn_nobody
	np=$last
	kill -STOP "$np"
	wait_state "$np" T
	run_nobody kill --deferred "$np"
	nid=$(armed_id)
	checkx "nobody: arms for its own process (exit $rc, request $nid)" '[ "$rc" = 0 ] && [ -n "$nid" ]'
	run_nobody pending --tsv
	check "nobody: pending --tsv shows it, requester 65534" \
		[ "$(tsv_row "$nid" | cut -f2,7)" = "$np	$nobody" ]
	run pending --tsv
	check "root: pending --tsv shows nobody's too" [ "$(tsv_row "$nid" | cut -f7)" = "$nobody" ]
	run_nobody cancel "$nid"
	checkx "nobody: cancel its own: exit 0, 'request $nid: cancelled' (exit $rc)" \
		'[ "$rc" = 0 ] && [ "$out" = "request $nid: cancelled" ]'
	kill -CONT "$np"
	sleep 0.5
	check "... resumed, the process lives" alive "$np"
	kill -KILL "$np"
	reap "$np"
fi

# ---- cancel
run cancel "$id"
check "cancel $id: exit 0 (got $rc)" [ "$rc" = 0 ]
check "cancel $id: 'request $id: cancelled'" [ "$out" = "request $id: cancelled" ]
run pending --tsv
check "... no longer pending" [ -z "$(tsv_row "$id")" ]
run cancel "$id"
check "cancel $id again: exit 2 (got $rc)" [ "$rc" = 2 ]
check "... the message names it" err_has "^procterm: cancel $id: no such request"
kill -CONT "$p"
sleep 0.5
check "the cancelled target, resumed, lives" alive "$p"
kill -KILL "$p"
reap "$p"
check "... until killed otherwise (wait status $status)" [ "$status" = 137 ]

expect_rc "cancel an ID never armed: exit 2" 2 cancel 18446744073709551615
expect_rc "cancel abc: exit 1" 1 cancel abc
check "... the message names it" err_has "invalid request ID 'abc'"
expect_rc "cancel 0: exit 1" 1 cancel 0
expect_rc "cancel without an ID: exit 1" 1 cancel

# cancel GOOD BAD: the good one is cancelled, the exit code is the bad one's.
run cancel 18446744073709551614 "$qid"
check "cancel BAD GOOD: exit 2 (got $rc)" [ "$rc" = 2 ]
check "cancel BAD GOOD: GOOD cancelled" [ "$out" = "request $qid: cancelled" ]
check "cancel BAD GOOD: BAD named" err_has "^procterm: cancel 18446744073709551614: no such request"
kill -CONT "$q"
sleep 0.5
check "Q, its request cancelled, lives after SIGCONT" alive "$q"

# ---- a deferred request that fires: the parent sees its status
run kill --deferred --status 3 --tsv "$q"
IFS=$'\t' read -r _ f_pid _ f_result _ _ f_id _ <<<"$out"
checkx "kill --deferred --status 3 --tsv on a sleeping process: ok, a request id ($f_id)" \
	'[ "$f_pid $f_result" = "$q ok" ] && [[ $f_id =~ ^[0-9]+$ ]]'
kill -STOP "$q"
wait_state "$q" T
kill -CONT "$q"
reap "$q"
check "... it fires when the process next runs: the parent sees 3 (got $status)" [ "$status" = 3 ]
run pending --tsv
check "... and is no longer pending" [ -z "$(tsv_row "$f_id")" ]

# ---- a deferred tree
spawn_tree
root=$last
read -r k1 k2 <<<"$kids"
kill -STOP "$root"
wait_state "$root" T
run kill --deferred --tree "$root"
check "kill --deferred --tree: exit 0 (got $rc)" [ "$rc" = 0 ]
tid=$(armed_id)
check "kill --deferred --tree: armed, request $tid" [ -n "$tid" ]
run pending --tsv
check "pending --tsv: the tree request, flags deferred,tree" \
	[ "$(tsv_row "$tid" | cut -f2,5)" = "$root	deferred,tree" ]
run pending --json
check "pending --json: flags [deferred, tree]" json_check \
	"[e['flags'] for e in d if e['id'] == $tid] == [['deferred', 'tree']]"
run cancel "$tid"
check "cancel the tree request: exit 0 (got $rc)" [ "$rc" = 0 ]
checkx "... the root and its children live" 'alive "$root" && alive "$k1" && alive "$k2"'
"$PROCTERM" kill --tree "$root" >/dev/null
reap "$root"
checkx "... until killed with --tree ($k1 $k2)" 'gone "$k1" && gone "$k2"'

# ---- kill --grace: listed, cancelled, and each stage
grace_id() {
	printf '%s\n' "$out" | sed -n 's/^.*(request \([0-9][0-9]*\)).*$/\1/p' | head -n1
}
spawn bash -c "trap '' TERM; exec sleep 1000"
g=$last
sleep 0.3
run kill --grace 60s "$g"
check "kill --grace 60s: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... says SIGTERM sent, SIGKILL after 60s ($out)" \
	grep -q "^$g: sent SIGTERM, SIGKILL after 1m (request [0-9]*)" <<<"$out"
gid=$(grace_id)
run pending --tsv
check "pending --tsv: the grace kill, flags grace" [ "$(tsv_row "$gid" | cut -f2,5)" = "$g	grace" ]
run pending --json
check "pending --json: flags [grace], grace_ms 60000, signal 15" json_check \
	"[(e['flags'], e['grace_ms'], e['signal']) for e in d if e['id'] == $gid] == [(['grace'], 60000, 15)]"
run cancel "$gid"
check "cancel the grace kill: exit 0 (got $rc)" [ "$rc" = 0 ]
run pending --tsv
check "... no longer pending" [ -z "$(tsv_row "$gid")" ]
checkx "... the process lives" 'alive "$g"'
run kill --grace 300ms --wait "$g"
check "kill --grace 300ms --wait, SIGTERM ignored: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... killed by signal 9 at the deadline ($out)" grep -q "killed by signal 9 at the deadline" <<<"$out"
reap "$g"
spawn bash -c "trap 'exit 3' TERM; while :; do sleep 0.1; done"
g=$last
sleep 0.3
run kill --grace 20s --signal TERM --status 7 --wait "$g"
check "kill --grace 20s --wait, SIGTERM handled: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... exited, status 3 during the grace period ($out)" \
	grep -q "exited, status 3 during the grace period" <<<"$out"
run cancel "$(grace_id)"
check "... its record cancelled after the death: exit 0 (got $rc)" [ "$rc" = 0 ]
expect_rc "kill --grace 5: exit 1 (no unit)" 1 kill --grace 5 1
expect_rc "kill --signal INT without --grace: exit 1" 1 kill --signal INT 1
expect_rc "kill --grace 1s --signal KILL: exit 1" 1 kill --grace 1s --signal KILL 1
expect_rc "kill --grace 1s --deferred: exit 1" 1 kill --grace 1s --deferred 1

# ---- usage
expect_rc "pending with an argument: exit 1" 1 pending 1
expect_rc "pending --json --tsv: exit 1" 1 pending --json --tsv

cli_end
