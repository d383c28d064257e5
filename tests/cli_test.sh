#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The procterm command line: one exit code per outcome class, a line per
# target, --status and --wait as the parent of the target observes them.
#
#   0 success  1 usage  2 no such process  3 access denied  4 not a process
#   5 already exited  6 timed out  (7, module not loaded: module_test.sh)
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm). Output is TAP; exit 0 on success, 1 on a failure, 4 when
# everything was skipped. Only processes started here are ever signalled,
# by PID.

set -u

here=$(cd "$(dirname "$0")" && pwd)
PROCTERM=${PROCTERM:-$here/../ctl/procterm}
helper=$here/procterm_helper
unpriv=1000
KSFT_SKIP=4

n=0 failed=0 passed=0
started=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/procterm-cli.XXXXXX")

cleanup() {
	local p
	for p in "${started[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }

# check DESCRIPTION CONDITION...: one test, passing when CONDITION is true.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# run ARGS...: run the CLI; its exit code in $rc, stdout+stderr in $out.
run() {
	out=$("$PROCTERM" "$@" 2>&1)
	rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" | diag
}

# expect_rc DESCRIPTION CODE ARGS...
expect_rc() {
	local what=$1 code=$2
	shift 2
	run "$@"
	if [ "$rc" = "$code" ]; then
		ok "$what"
	else
		not_ok "$what (exit $rc, expected $code)"
	fi
}

# spawn: start a process that only waits to be killed; its PID in $last.
spawn() {
	sleep 1000 &
	last=$!
	started+=("$last")
}

# reap PID [SECONDS]: bash's wait status for one of our children, in
# $status; "alive" if it is still running after SECONDS (default 20), when it
# is killed so that the script goes on.
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

# alive PID: running, not a zombie.
alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)
	[ "$state" != Z ] && [ "$state" != X ]
}

# wait_state PID STATE: until /proc/PID/stat shows STATE (10 s at most).
wait_state() {
	local state
	for _ in $(seq 200); do
		state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
		[ "$state" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

unused_pid() {
	local max p
	max=$(cat /proc/sys/kernel/pid_max)
	for ((p = max - 1; p > 300; p--)); do
		[ -e "/proc/$p" ] || { echo "$p"; return; }
	done
}

# $out names PID $1 as a whole word.
names_pid() {
	printf '%s\n' "$out" | grep -Eq "(^|[^0-9])$1([^0-9]|$)"
}

# $out matches the extended regular expression $1.
out_has() {
	printf '%s\n' "$out" | grep -Eq "$1"
}

# $out has at least $1 lines.
out_lines() {
	[ "$(printf '%s\n' "$out" | wc -l)" -ge "$1" ]
}

# All arguments after the first equal the first.
all_equal() {
	local want=$1
	shift
	while [ $# -gt 0 ]; do
		[ "$1" = "$want" ] || return 1
		shift
	done
}

echo "TAP version 13"
# bash reports background jobs that die of a signal on stderr: keep such
# lines (and anything else on stderr) as TAP comments.
exec 3>&2 2> >(sed -u 's/^/# /' >&3)

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root"
	exit $KSFT_SKIP
fi
if [ ! -x "$PROCTERM" ]; then
	echo "1..0 # SKIP no procterm CLI at $PROCTERM"
	exit $KSFT_SKIP
fi
"$PROCTERM" kill "$(unused_pid)" >/dev/null 2>&1
if [ $? = 7 ]; then
	echo "1..0 # SKIP procterm module not loaded"
	exit $KSFT_SKIP
fi

# ---- usage errors: 1, and nothing is killed
expect_rc "no command: exit 1" 1
expect_rc "unknown command: exit 1" 1 frobnicate
expect_rc "kill without a target: exit 1" 1 kill
spawn
victim=$last
for bad in abc -5 99999999999999999999 0 "" 12x "1 2"; do
	expect_rc "kill '$bad': exit 1" 1 kill "$bad"
done
expect_rc "kill --status with a bad value: exit 1" 1 kill --status 4294967296 "$victim"
expect_rc "a valid PID next to an invalid one: exit 1" 1 kill "$victim" abc
check "... and the valid one was not killed" alive "$victim"

# ---- success
run kill "$victim"
check "kill PID: exit 0" [ "$rc" = 0 ]
check "kill PID: a line names the PID" names_pid "$victim"
reap "$victim"
check "kill PID: the parent sees SIGKILL (wait status $status)" [ "$status" = 137 ]

spawn
run kill --status 7 "$last"
check "kill --status 7: exit 0" [ "$rc" = 0 ]
reap "$last"
check "kill --status 7: the parent sees exit 7 (got $status)" [ "$status" = 7 ]

spawn
run kill --status 0xC0000005 "$last"
check "kill --status 0xC0000005: exit 0" [ "$rc" = 0 ]
reap "$last"
check "kill --status 0xC0000005: the parent sees exit 5 (got $status)" [ "$status" = 5 ]

spawn
run kill --wait "$last"
check "kill --wait: exit 0" [ "$rc" = 0 ]
check "kill --wait: reports death by signal 9" out_has "signal 9"
reap "$last"
check "kill --wait: the parent sees SIGKILL (got $status)" [ "$status" = 137 ]

spawn
run kill --status 7 --wait=20000 "$last"
check "kill --status 7 --wait=20000: exit 0" [ "$rc" = 0 ]
check "kill --status 7 --wait: reports exit status 7" out_has "^$last: .*(^|[^0-9])7([^0-9]|$)"
reap "$last"
check "kill --status 7 --wait: the parent sees exit 7 (got $status)" [ "$status" = 7 ]

# The script mode: target pid start_time result count wait_status ...
spawn
start=$(sed 's/.*) //' "/proc/$last/stat" | cut -d' ' -f20)
run kill --tsv --status 7 --wait "$last"
IFS=$'\t' read -r f_target f_pid f_start f_result f_count f_wait _ <<<"$out"
check "kill --tsv: exit 0" [ "$rc" = 0 ]
check "kill --tsv: target and pid" all_equal "$last" "$f_target" "$f_pid"
check "kill --tsv: start time as in /proc/PID/stat" [ "$f_start" = "$start" ]
check "kill --tsv: result ok (got $f_result)" [ "$f_result" = ok ]
check "kill --tsv: count 1 (got $f_count)" [ "$f_count" = 1 ]
check "kill --tsv: wait status 1792 (got $f_wait)" [ "$f_wait" = 1792 ]
reap "$last"
check "kill --tsv --status 7: the parent sees exit 7 (got $status)" [ "$status" = 7 ]

# ---- 2: no such process
nopid=$(unused_pid)
expect_rc "unused PID: exit 2" 2 kill "$nopid"
check "unused PID: the message names it" names_pid "$nopid"
spawn
gone=$last
kill -KILL "$gone"
reap "$gone"
expect_rc "reaped child's PID: exit 2" 2 kill "$gone"

# ---- 3: access denied
expect_rc "PID 1: exit 3" 3 kill 1
check "PID 1 is still alive" alive 1
if ! command -v setpriv >/dev/null; then
	skip "unprivileged caller vs root: exit 3" "no setpriv"
	skip "unprivileged caller: own process" "no setpriv"
elif ! setpriv --reuid=$unpriv --regid=$unpriv --clear-groups test -x "$PROCTERM"; then
	skip "unprivileged caller vs root: exit 3" "uid $unpriv cannot run $PROCTERM"
	skip "unprivileged caller: own process" "uid $unpriv cannot run $PROCTERM"
else
	spawn
	out=$(setpriv --reuid=$unpriv --regid=$unpriv --clear-groups \
		"$PROCTERM" kill "$last" 2>&1)
	rc=$?
	printf '%s\n' "$out" | diag
	check "unprivileged caller vs root: exit 3 (got $rc)" [ "$rc" = 3 ]
	check "unprivileged caller vs root: the target lives" alive "$last"
	# Its own child: allowed, and it sees the status asked for.
	out=$(setpriv --reuid=$unpriv --regid=$unpriv --clear-groups \
		env PROCTERM="$PROCTERM" bash -c \
		'sleep 1000 & p=$!; "$PROCTERM" kill --status 4 "$p"; r=$?; wait "$p"; echo "rc=$r status=$?"' 2>&1)
	printf '%s\n' "$out" | diag
	check "unprivileged caller: own process, exit 0, parent sees 4" \
		out_has "^rc=0 status=4$"
fi

# ---- 4: not a process
if [ -r /proc/2/stat ] && [ $(( $(sed 's/.*) //' /proc/2/stat | cut -d' ' -f7) & 0x00200000 )) != 0 ]; then
	expect_rc "PID 2 (kthreadd): exit 4" 4 kill 2
	check "PID 2 is still alive" alive 2
else
	skip "PID 2 (kthreadd): exit 4" "PID 2 is not a kernel thread"
	skip "PID 2 is still alive" "PID 2 is not a kernel thread"
fi
if [ -x "$helper" ]; then
	mkfifo "$tmp/threads"
	"$helper" threads 3 >"$tmp/threads" &
	mt=$!
	started+=("$mt")
	read -r tid _ <"$tmp/threads"
	expect_rc "a thread that is not the leader: exit 4" 4 kill "$tid"
	check "... the process lives" alive "$mt"
	check "... the thread lives" [ -d "/proc/$mt/task/$tid" ]
	run kill --status 9 "$mt"
	check "kill a 3-thread process: exit 0" [ "$rc" = 0 ]
	reap "$mt"
	check "kill a 3-thread process: the parent sees exit 9 (got $status)" [ "$status" = 9 ]
else
	skip "a thread that is not the leader: exit 4" "no $helper"
	skip "... the process lives" "no $helper"
	skip "... the thread lives" "no $helper"
	skip "kill a 3-thread process: exit 0" "no $helper"
	skip "kill a 3-thread process: the parent sees exit 9" "no $helper"
fi

# ---- 5: already exited
if [ -x "$helper" ]; then
	mkfifo "$tmp/zombie"
	"$helper" zombie >"$tmp/zombie" &
	zparent=$!
	started+=("$zparent")
	read -r zpid <"$tmp/zombie"
	expect_rc "a zombie: exit 5" 5 kill "$zpid"
	expect_rc "a zombie with --status: exit 5" 5 kill --status 1 "$zpid"
else
	skip "a zombie: exit 5" "no $helper"
	skip "a zombie with --status: exit 5" "no $helper"
fi

# ---- 6: timed out (a deferred kill of a stopped process cannot complete)
spawn
stopped=$last
kill -STOP "$stopped"
wait_state "$stopped" T
run kill --deferred --wait=300 "$stopped"
if [ "$rc" = 8 ] && printf '%s\n' "$out" | grep -qi "not supported"; then
	skip "deferred kill of a stopped process with --wait=300: exit 6" "deferred kill unsupported"
	skip "... SIGCONT lets the armed kill finish it" "deferred kill unsupported"
else
	check "deferred kill of a stopped process with --wait=300: exit 6 (got $rc)" [ "$rc" = 6 ]
	kill -CONT "$stopped"
	reap "$stopped"
	check "... SIGCONT lets the armed kill finish it (wait status $status)" [ "$status" = 137 ]
fi

# ---- several targets: a line each, the first failure's exit code
spawn
a=$last
spawn
b=$last
nopid=$(unused_pid)
run kill "$a" "$nopid" 1 "$b"
check "kill A UNUSED 1 B: exit 2, the first failure's (got $rc)" [ "$rc" = 2 ]
check "kill A UNUSED 1 B: four lines" out_lines 4
check "kill A UNUSED 1 B: a line names A" names_pid "$a"
check "kill A UNUSED 1 B: a line names UNUSED" names_pid "$nopid"
check "kill A UNUSED 1 B: a line names B" names_pid "$b"
reap "$a"
sa=$status
reap "$b"
check "kill A UNUSED 1 B: A and B are dead (wait status $sa $status)" \
	all_equal 137 "$sa" "$status"
check "kill A UNUSED 1 B: PID 1 lives" alive 1

spawn
a=$last
run kill 1 "$a" "$(unused_pid)"
check "kill 1 A UNUSED: exit 3, the first failure's (got $rc)" [ "$rc" = 3 ]
reap "$a"
check "kill 1 A UNUSED: A is dead" [ "$status" = 137 ]

echo "1..$n"
if [ "$failed" -gt 0 ]; then
	exit 1
fi
[ "$passed" -gt 0 ] || exit $KSFT_SKIP
exit 0
