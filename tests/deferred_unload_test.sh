#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A queued deferred work pins procterm.ko: while any target carries one, rmmod
# is refused; once the target has run (and died), the module unloads and
# loads again. Cycles of: a stopped `sleep`, armed with PROCTERM_F_DEFERRED
# (through `deferred_test --arm`, so that the CLI is not needed), rmmod
# refused, SIGCONT, death with the requested status, rmmod, insmod.
# A cancelled request pins the module as well, until its target runs on.
#
# Needs root, procterm.ko loaded, PROCTERM_KO=<its path> (to load it again)
# and tests/deferred_test built. Output is TAP; exit 0 on success, 1 on a
# failure, 4 when skipped. The module is always left loaded. Only processes
# started here are ever signalled, by PID.
#
#   DEFERRED_UNLOAD_CYCLES        cycles to run (default 200)
#   DEFERRED_UNLOAD_RELOAD_EVERY  rmmod + insmod every Nth cycle (default 1)
#   DEFERRED_UNLOAD_BUDGET        seconds after which no new cycle starts
#                                 (default 420; the runner allows 600)

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
helper=$here/deferred_test
mod=/sys/module/procterm
ko=${PROCTERM_KO:-}
cycles=${DEFERRED_UNLOAD_CYCLES:-200}
reload_every=${DEFERRED_UNLOAD_RELOAD_EVERY:-1}
budget=${DEFERRED_UNLOAD_BUDGET:-420}
KSFT_SKIP=4
plan=9

n=0 failed=0
started=()

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
diag() { sed 's/^/# /'; }
note() { echo "# $*"; }

skip_all() {
	echo "1..0 # SKIP $1"
	exit "$KSFT_SKIP"
}

# The module must end loaded whatever happens, for the tests that follow.
ensure_loaded() {
	[ -d "$mod" ] && return 0
	[ -n "$ko" ] && insmod "$ko" 2>&1 | diag
	[ -d "$mod" ]
}

cleanup() {
	local p
	for p in "${started[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ensure_loaded
}

# state PID: field 3 of /proc/PID/stat, or "-" when it is gone.
state() {
	local line
	read -r line 2>/dev/null < "/proc/$1/stat" || { echo -; return; }
	line=${line##*) }
	echo "${line%% *}"
}

# wait_state PID STATE: poll up to 10 s.
wait_state() {
	local i
	for ((i = 0; i < 1000; i++)); do
		[ "$(state "$1")" = "$2" ] && return 0
		sleep 0.01
	done
	return 1
}

refcnt() { cat "$mod/refcnt" 2>/dev/null || echo -; }

# wait_refcnt VALUE: poll up to 5 s.
wait_refcnt() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ "$(refcnt)" = "$1" ] && return 0
		sleep 0.01
	done
	return 1
}

# start_stopped: a stopped `sleep 1000`, its PID in $pid.
start_stopped() {
	sleep 1000 &
	pid=$!
	started+=("$pid")
	kill -STOP "$pid"
	wait_state "$pid" T
}

# reap PID: wait up to 20 s for our child PID to die, then reap it; its
# exit status in $rc. 1 (and SIGKILL, reaped) when it did not die.
reap() {
	local i s
	for ((i = 0; i < 2000; i++)); do
		s=$(state "$1")
		[ "$s" = Z ] || [ "$s" = - ] && break
		sleep 0.01
	done
	if [ "$s" != Z ] && [ "$s" != - ]; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		rc=timeout
		forget "$1"
		return 1
	fi
	wait "$1"
	rc=$?
	forget "$1"
	return 0
}

# forget PID: no longer ours to clean up.
forget() {
	local i
	for i in "${!started[@]}"; do
		[ "${started[$i]}" = "$1" ] && unset 'started[i]'
	done
}

echo "TAP version 13"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -d "$mod" ] || skip_all "procterm is not loaded"
[ -x "$helper" ] || skip_all "$helper is not built"
[ -n "$ko" ] && [ -f "$ko" ] || skip_all "PROCTERM_KO does not name the module file"
[ -f "$mod/refcnt" ] || skip_all "no $mod/refcnt (CONFIG_MODULE_UNLOAD?)"
trap cleanup EXIT

base=$(refcnt)
if [ "$base" != 0 ]; then
	# Works from earlier tests may still be draining.
	wait_refcnt 0 || skip_all "procterm is in use by something else (refcnt $base)"
	base=0
fi
echo "1..$plan"

# ---- cycles
c_arm=0 c_ref=0 c_refused=0 c_still=0 c_died=0 c_drop=0 c_reload=0 reloads=0
fail_arm='' fail_ref='' fail_refused='' fail_still='' fail_died='' fail_drop='' fail_reload=''
abort=''
done_cycles=0
t0=$SECONDS
for ((i = 1; i <= cycles; i++)); do
	if ((SECONDS - t0 > budget)); then
		note "time budget of ${budget}s used up after $done_cycles cycles"
		break
	fi
	if ! start_stopped; then
		fail_arm=${fail_arm:-"cycle $i: sleep $pid did not stop (state $(state "$pid"))"}
		abort=1
		break
	fi
	# Odd cycles ask for an exit status, even ones die of SIGKILL.
	if ((i % 2)); then
		want=$((i % 200 + 1))
		out=$("$helper" --arm "$pid" "$want" 2>&1)
	else
		want=137
		out=$("$helper" --arm "$pid" 2>&1)
	fi
	rc=$?
	if [ "$rc" != 0 ]; then
		fail_arm=${fail_arm:-"cycle $i: arming $pid failed (exit $rc): $out"}
		abort=1
		break
	fi
	c_arm=$((c_arm + 1))

	# One thread, one queued work, one module reference.
	r=$(refcnt)
	if [ "$r" = $((base + 1)) ]; then
		c_ref=$((c_ref + 1))
	else
		fail_ref=${fail_ref:-"cycle $i: refcnt $r with one work queued, base $base"}
	fi

	if out=$(rmmod procterm 2>&1) || [ ! -d "$mod" ]; then
		# The armed work now points into freed text: do not let the
		# target run. It stays stopped; the machine is suspect anyway.
		fail_refused="cycle $i: rmmod succeeded with request $pid armed${out:+: $out}"
		forget "$pid"
		abort=1
		ensure_loaded
		break
	fi
	c_refused=$((c_refused + 1))
	s=$(state "$pid")
	if [ "$s" = T ]; then
		c_still=$((c_still + 1))
	else
		fail_still=${fail_still:-"cycle $i: target in state $s after arming, not T"}
	fi

	kill -CONT "$pid"
	reap "$pid"
	if [ "$rc" = "$want" ]; then
		c_died=$((c_died + 1))
	else
		fail_died=${fail_died:-"cycle $i: target exited with $rc, expected $want"}
	fi
	# Every work has run before the parent could reap: no waiting here.
	r=$(refcnt)
	if [ "$r" = "$base" ]; then
		c_drop=$((c_drop + 1))
	else
		fail_drop=${fail_drop:-"cycle $i: refcnt $r after the target died, base $base"}
		wait_refcnt "$base"
	fi

	if ((i % reload_every == 0)); then
		reloads=$((reloads + 1))
		if ! out=$(rmmod procterm 2>&1); then
			fail_reload=${fail_reload:-"cycle $i: rmmod after the target died: $out (refcnt $(refcnt))"}
		elif ! out=$(insmod "$ko" 2>&1); then
			fail_reload=${fail_reload:-"cycle $i: insmod $ko: $out"}
			abort=1
			ensure_loaded
			break
		else
			c_reload=$((c_reload + 1))
		fi
	fi
	done_cycles=$i
done
elapsed=$((SECONDS - t0))
note "$done_cycles cycles, $reloads reloads, ${elapsed}s"

# check_count DESCRIPTION COUNT EXPECTED FIRST-FAILURE
check_count() {
	if [ "$2" = "$3" ] && [ "$3" -gt 0 ] && [ -z "$4" ]; then
		ok "$1 ($2/$3)"
	else
		not_ok "$1 ($2/$3)"
		[ -z "$4" ] || echo "$4" | diag
	fi
}
check_count "deferred request armed by --arm" "$c_arm" "$done_cycles" "$fail_arm"
check_count "one module reference per queued work" "$c_ref" "$done_cycles" "$fail_ref"
check_count "rmmod refused while a request is armed" "$c_refused" "$done_cycles" "$fail_refused"
check_count "target still stopped after arming and rmmod" "$c_still" "$done_cycles" "$fail_still"
check_count "target dies on SIGCONT with the requested status" "$c_died" "$done_cycles" "$fail_died"
check_count "module reference dropped once the target died" "$c_drop" "$done_cycles" "$fail_drop"
check_count "rmmod and insmod succeed once the target died" "$c_reload" "$reloads" "$fail_reload"

# ---- a cancelled request still pins the module until its target runs
# cancel_test: 0, or 1 with the reason in $why.
cancel_test() {
	local id s out

	if [ -n "$abort" ]; then
		why="not run: the cycles above failed"
		return 1
	fi
	if ! start_stopped; then
		why="sleep $pid did not stop"
		return 1
	fi
	if ! id=$("$helper" --arm "$pid" 5 2>&1); then
		why="arming $pid: $id"
		return 1
	fi
	if ! out=$("$helper" --cancel "$id" 2>&1); then
		why="cancelling request $id: $out"
		return 1
	fi
	if [ "$(refcnt)" != $((base + 1)) ]; then
		why="refcnt $(refcnt) after cancel, with the work still queued (base $base)"
		return 1
	fi
	if out=$(rmmod procterm 2>&1) || [ ! -d "$mod" ]; then
		why="rmmod succeeded with a cancelled work still queued${out:+: $out}"
		forget "$pid"
		ensure_loaded
		return 1
	fi
	kill -CONT "$pid"
	# The cancelled work runs, as a no-op, as soon as the target runs.
	if ! wait_refcnt "$base"; then
		why="refcnt $(refcnt) after the target ran, base $base"
		return 1
	fi
	sleep 0.5
	s=$(state "$pid")
	if [ "$s" != S ]; then
		why="the target of a cancelled request is in state $s, not asleep in sleep(1)"
		return 1
	fi
	if ! out=$(rmmod procterm 2>&1); then
		why="rmmod with the cancelled work gone: $out"
		return 1
	fi
	if ! out=$(insmod "$ko" 2>&1); then
		why="insmod $ko: $out"
		ensure_loaded
		return 1
	fi
	s=$(state "$pid")
	if [ "$s" != S ]; then
		why="the target is in state $s after the reload"
		return 1
	fi
	kill -TERM "$pid"
	reap "$pid"
	if [ "$rc" != $((128 + 15)) ]; then
		why="the target ended with $rc after SIGTERM, not 143"
		return 1
	fi
	return 0
}
why=''
if cancel_test; then
	ok "a cancelled request pins the module until its target runs on"
else
	not_ok "a cancelled request pins the module until its target runs on"
	echo "$why" | diag
fi

# ---- the module ends loaded, with nothing holding it
ensure_loaded
if [ -d "$mod" ] && wait_refcnt "$base"; then
	ok "procterm loaded, refcnt back to $base"
else
	not_ok "procterm loaded, refcnt back to $base"
	note "loaded: $([ -d "$mod" ] && echo yes || echo no), refcnt $(refcnt)"
fi

[ "$failed" -eq 0 ]
