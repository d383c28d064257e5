#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm's in-kernel API (include/linux/procterm_api.h), through the
# example module tests/example/procterm_example.ko, which the harness builds
# for each kernel next to procterm.ko: a kill with an exit status, seen by
# the parent; no permission is checked on the writer's behalf; PID 1, a
# kernel thread, a thread ID and a zombie are refused as over netlink; a tree with no
# survivor; a deferred kill that waits for its stopped target to run; a
# waiter that reports the wait status; an API kill's event on the events
# group (procterm watch). The example holds procterm while it
# is loaded: procterm cannot be removed under it, and its reference count is
# back once the example is gone.
#
# Needs root and procterm.ko loaded; PROCTERM_KO names it. Output is TAP.

. "$(dirname "$0")/cli_lib.sh"

example=${PROCTERM_EXAMPLE_KO:-${PROCTERM_KO:-}}
example=${example%/*}/procterm_example.ko
dbg=/sys/kernel/debug/procterm_example
refcnt=/sys/module/procterm/refcnt
loaded=false

watch_pid=

cli_cleanup_hook() {
	if [ -n "$watch_pid" ]; then
		kill -KILL "$watch_pid" 2>/dev/null
		wait "$watch_pid" 2>/dev/null
	fi
	$loaded && rmmod procterm_example 2>/dev/null
}

# api ARGS: write ARGS to the example's kill file; exit code in $rc (0, or
# the errno's name from the shell's message), the example's report in $rep.
api() {
	local msg
	msg=$( (echo "$*" >"$dbg/kill") 2>&1)
	rc=$?
	[ "$rc" = 0 ] || rc=$(printf '%s' "$msg" | sed -n 's/.*: \([^:]*\)$/\1/p')
	rep=$(cat "$dbg/last" 2>/dev/null)
	printf '%s\n' "\$ echo '$*' > kill -> ${rc}" "$rep" | diag
}

rep_has() { printf '%s\n' "$rep" | grep -Eq -- "$1"; }

cli_start

if [ ! -d /sys/module/procterm ]; then
	not_ok "procterm is loaded"
	cli_end
fi
base=$(cat "$refcnt")
if [ ! -f "$example" ]; then
	not_ok "example module at $example"
	cli_end
fi
if out=$(insmod "$example" 2>&1); then
	loaded=true
	ok "insmod procterm_example"
else
	printf '%s\n' "$out" | diag
	not_ok "insmod procterm_example"
	cli_end
fi
checkx "procterm's refcnt went up by one with its user loaded" \
	'[ "$(cat "$refcnt")" = $((base + 1)) ]'
msg=$(rmmod procterm 2>&1)
r=$?
printf '%s\n' "$msg" | diag
checkx "rmmod procterm is refused while the example uses it" \
	'[ "$r" != 0 ] && [ -d /sys/module/procterm ]'

# ---- immediate, with an exit status
spawn
api "$last status=7"
checkx "kill with status 7: accepted" '[ "$rc" = 0 ] && rep_has "^ret=0 count=1 "'
reap "$last"
checkx "the parent's wait sees exit status 7" '[ "$status" = 7 ]'

# ---- the caller is the kernel: no kill(2) rule for the writer
spawn_nobody
victim=$last
setpriv --bounding-set=-kill --inh-caps=-kill kill -0 "$victim" 2>/dev/null
r=$?
checkx "root without CAP_KILL may not signal nobody's process (kill -0)" '[ "$r" != 0 ]'
msg=$(setpriv --bounding-set=-kill --inh-caps=-kill bash -c "echo $victim > $dbg/kill" 2>&1)
r=$?
printf '%s\n' "$msg" | diag
checkx "the same writer kills it through the API" '[ "$r" = 0 ]'
reap "$victim"
checkx "the parent sees SIGKILL (137)" '[ "$status" = 137 ]'

# ---- the netlink family's refusals
api "1"
checkx "PID 1: EPERM" '[ "$rc" = "Operation not permitted" ] && rep_has "PID 1"'
kt=$(pgrep -x kthreadd | head -n1)
api "${kt:-2}"
checkx "a kernel thread: ENOTTY" '[ "$rc" = "Inappropriate ioctl for device" ] && rep_has "kernel thread"'
spawn "$helper" threads 2
tid=
for _ in $(seq 200); do
	tid=$(ls "/proc/$last/task" 2>/dev/null | grep -vx "$last" | head -n1)
	[ -n "$tid" ] && break
	sleep 0.05
done
api "${tid:-0}"
checkx "a thread ID: ENOTTY" '[ -n "$tid" ] && [ "$rc" = "Inappropriate ioctl for device" ] && rep_has "thread"'
api "$last status=0x1ff"
reap "$last"
checkx "a status above 255: the parent sees its low byte" '[ "$status" = 255 ]'
api "$(unused_pid)"
checkx "no such process: ESRCH" '[ "$rc" = "No such process" ]'
"$helper" zombie >"$tmp/zombie" 2>/dev/null &
zparent=$!
started+=("$zparent")
zpid=
for _ in $(seq 200); do
	read -r zpid <"$tmp/zombie" 2>/dev/null && [ -n "$zpid" ] && break
	sleep 0.05
done
api "${zpid:-0}"
checkx "a process that has already exited (a zombie): EALREADY" \
	'[ -n "$zpid" ] && [ "$rc" = "Operation already in progress" ] && rep_has "already exited"'
reap "$zparent" 0

# ---- a tree, nothing escaping
spawn_tree
root=$last
api "$root tree status=4"
checkx "tree: three processes terminated" '[ "$rc" = 0 ] && rep_has "count=3 "'
reap "$root"
checkx "tree: the root's parent sees status 4" '[ "$status" = 4 ]'
survivors=0
for k in $kids; do gone "$k" || survivors=$((survivors + 1)); done
checkx "tree: no survivor" '[ "$survivors" = 0 ] && [ -n "$kids" ]'

# ---- deferred: not before the stopped target runs again
spawn_stopped
p=$last
api "$p deferred status=5"
checkx "deferred: armed with an id" '[ "$rc" = 0 ] && rep_has "id=[1-9]"'
sleep 0.5
checkx "deferred: the stopped target is still stopped" '[ "$(state "$p")" = T ]'
kill -CONT "$p"
reap "$p"
checkx "deferred: it dies when it runs, its parent sees status 5" '[ "$status" = 5 ]'

# ---- waiting
spawn
p=$last
api "$p status=6 wait=$((10000 * ${PROCTERM_TIMEOUT_SCALE:-1}))"
checkx "wait: the waiter reports exit status 6 (0x600)" '[ "$rc" = 0 ] && rep_has "wait_status=1536 "'
checkx "wait: the process is dead when the write returns" '! alive "$p"'
reap "$p"
checkx "wait: the parent sees status 6" '[ "$status" = 6 ]'
spawn_stopped
p=$last
api "$p deferred wait=300"
checkx "wait: a deferred kill of a stopped process is not dead in time" '[ "$rc" = 0 ] && rep_has "wait_status=-1 "'
reap "$p" 1
checkx "wait: ... and was still alive" '[ "$status" = alive ]'

# ---- an API kill is reported to the events group (events.c), as any kill
if grep -q "^feature_events 1" /sys/kernel/debug/procterm/counters 2>/dev/null; then
	f=$tmp/watch.json
	"$PROCTERM" watch --json >"$f" 2>"$tmp/watch.err" &
	watch_pid=$!
	# Listening once a CLI kill of a probe shows up.
	listening=false
	for _ in $(seq 30); do
		spawn
		probe=$last
		wait_comm "$probe" sleep
		"$PROCTERM" kill --wait "$probe" >/dev/null 2>&1
		reap "$probe"
		for _ in $(seq 20); do
			grep -q "\"pid\": $probe," "$f" && listening=true && break
			sleep 0.1
		done
		$listening && break
	done
	spawn
	victim=$last
	wait_comm "$victim" sleep
	api "$victim status=5"
	reap "$victim"
	for _ in $(seq 100); do
		grep -q "^{\"seq\": [0-9]*, \"pid\": $victim," "$f" && break
		sleep 0.1
	done
	line=$(grep "^{\"seq\": [0-9]*, \"pid\": $victim," "$f")
	printf 'watch: %s\n' "$line" | diag
	kill -INT "$watch_pid"
	wait "$watch_pid"
	watch_pid=
	checkx "watch is listening (a CLI kill's event arrives)" '$listening'
	checkx "an API kill's event: immediate, exit status 5, requester uid 0" \
		'printf "%s\n" "$line" | grep -q "\"exit_status\": 5, .*\"mode\": \"immediate\", .*\"uid\": 0"'
else
	ok "an API kill's event # SKIP no events group"
fi

# ---- unload ordering
if rmmod procterm_example; then
	loaded=false
	ok "rmmod procterm_example"
else
	not_ok "rmmod procterm_example"
fi
checkx "procterm's refcnt is back to $base" '[ "$(cat "$refcnt")" = "$base" ]'

cli_end
