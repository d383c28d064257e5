#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A queued deferred work pins procterm.ko: while any target carries one, rmmod
# is refused; once the target has run (and died), the module unloads and
# loads again. Cycles of: a stopped process, armed with PROCTERM_F_DEFERRED
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
#   DEFERRED_UNLOAD_RELOAD_EVERY  rmmod + insmod every Nth cycle (default 10)
#   DEFERRED_UNLOAD_BUDGET        seconds after which no new cycle starts
#                                 (default 480; the runner allows 600)
#
# Every cycle tries rmmod while the request is armed; the successful
# rmmod + insmod costs about a second under emulation, hence every 10th.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
helper=$here/deferred_test
mod=/sys/module/procterm
ko=${PROCTERM_KO:-}
cycles=${DEFERRED_UNLOAD_CYCLES:-200}
reload_every=${DEFERRED_UNLOAD_RELOAD_EVERY:-10}
budget=${DEFERRED_UNLOAD_BUDGET:-480}
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
	[ -z "$tmp" ] || rm -rf "$tmp"
}

# Everything that runs per cycle avoids starting programs where it can:
# under emulation each exec costs a good part of a second.

# snooze SECONDS: sleep without starting a program.
snooze() { read -r -t "$1" -u "$idle_fd" _ 2>/dev/null; }

# get_state PID: field 3 of /proc/PID/stat into $st, "-" when it is gone.
get_state() {
	local line
	if ! read -r line 2>/dev/null < "/proc/$1/stat"; then
		st=-
		return
	fi
	line=${line##*) }
	st=${line%% *}
}

# wait_state PID STATE: poll for up to 10 s.
wait_state() {
	local i
	for ((i = 0; i < 1000; i++)); do
		get_state "$1"
		[ "$st" = "$2" ] && return 0
		snooze 0.01
	done
	return 1
}

# get_refcnt: /sys/module/procterm/refcnt into $ref, "-" when unloaded.
get_refcnt() { read -r ref 2>/dev/null < "$mod/refcnt" || ref=-; }

# wait_refcnt VALUE: poll for up to 5 s.
wait_refcnt() {
	local i
	for ((i = 0; i < 500; i++)); do
		get_refcnt
		[ "$ref" = "$1" ] && return 0
		snooze 0.01
	done
	return 1
}

# idle_target: block in read() on the idle FIFO for good.
idle_target() {
	while :; do
		read -r -u "$idle_fd" _
	done
}

# start_stopped: a stopped target, its PID in $pid. The target is a forked
# copy of this shell in idle_target: a process like `sleep 1000`, without
# the cost of starting a program.
start_stopped() {
	idle_target &
	pid=$!
	started+=("$pid")
	wait_state "$pid" S || return 1
	kill -STOP "$pid"
	wait_state "$pid" T
}

# reap PID: wait up to 20 s for our child PID to die and reap it, its exit
# status in $rc. 1 (after SIGKILL) when it did not die by itself.
reap() {
	local i
	for ((i = 0; i < 2000; i++)); do
		get_state "$1"
		[ "$st" = Z ] || [ "$st" = - ] && break
		snooze 0.01
	done
	if [ "$st" != Z ] && [ "$st" != - ]; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		rc="still alive (state $st)"
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
if [ -z "$ko" ] || [ ! -f "$ko" ]; then
	skip_all "PROCTERM_KO does not name the module file"
fi
[ -f "$mod/refcnt" ] || skip_all "no $mod/refcnt (CONFIG_MODULE_UNLOAD?)"
tmp=''
trap cleanup EXIT

# A FIFO nobody writes to, open for reading and writing: reading it blocks
# for good, or sleeps with read -t.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deferred-unload.XXXXXX") ||
	skip_all "cannot create a temporary directory"
if ! mkfifo "$tmp/idle" || ! exec {idle_fd}<> "$tmp/idle"; then
	skip_all "cannot open a FIFO in $tmp"
fi

# Works queued by earlier tests may still be draining.
wait_refcnt 0 || skip_all "procterm is in use by something else (refcnt $ref)"
base=0
echo "1..$plan"

# reload CYCLE: rmmod and insmod with nothing armed. 1 when the module
# could not be loaded again.
reload() {
	local out
	reloads=$((reloads + 1))
	if ! out=$(rmmod procterm 2>&1); then
		get_refcnt
		fail_reload=${fail_reload:-"cycle $1: rmmod after the target died: $out (refcnt $ref)"}
	elif ! out=$(insmod "$ko" 2>&1); then
		fail_reload=${fail_reload:-"cycle $1: insmod $ko: $out"}
		abort=1
		ensure_loaded
		return 1
	else
		c_reload=$((c_reload + 1))
	fi
	return 0
}

# ---- cycles
c_arm=0 c_ref=0 c_refused=0 c_still=0 c_died=0 c_drop=0 c_reload=0 reloads=0
fail_arm='' fail_ref='' fail_refused='' fail_still='' fail_died='' fail_drop='' fail_reload=''
abort=''
done_cycles=0
errlog=$tmp/stderr
t0=$SECONDS
# The shell reports each target killed by a signal on stderr ("Killed");
# stderr is collected, and shown without those reports.
{
for ((i = 1; i <= cycles; i++)); do
	if ((SECONDS - t0 > budget)); then
		note "time budget of ${budget}s used up after $done_cycles cycles"
		break
	fi
	if ! start_stopped; then
		fail_arm="cycle $i: target $pid did not stop (state $st)"
		abort=1
		break
	fi
	# Odd cycles ask for an exit status, even ones die of SIGKILL.
	if ((i % 2)); then
		want=$((i % 200 + 1))
		out=$("$helper" --arm "$pid" "$want" 2>&1)
	else
		want=$((128 + 9))
		out=$("$helper" --arm "$pid" 2>&1)
	fi
	rc=$?
	if [ "$rc" != 0 ]; then
		fail_arm="cycle $i: arming $pid failed (exit $rc): $out"
		abort=1
		break
	fi
	c_arm=$((c_arm + 1))

	# One thread, one queued work, one module reference.
	get_refcnt
	if [ "$ref" = $((base + 1)) ]; then
		c_ref=$((c_ref + 1))
	else
		fail_ref=${fail_ref:-"cycle $i: refcnt $ref with one work queued, base $base"}
	fi

	if out=$(rmmod procterm 2>&1) || [ ! -d "$mod" ]; then
		# The queued work now points into freed module text: the target
		# must not run. It is left stopped, and out of the shell's job
		# table, which would resume it on exit.
		fail_refused="cycle $i: rmmod succeeded with a request armed for $pid${out:+: $out}"
		forget "$pid"
		disown "$pid" 2>/dev/null
		abort=1
		ensure_loaded
		break
	fi
	c_refused=$((c_refused + 1))
	get_state "$pid"
	if [ "$st" = T ]; then
		c_still=$((c_still + 1))
	else
		fail_still=${fail_still:-"cycle $i: target in state $st after arming, not T"}
	fi

	kill -CONT "$pid"
	reap "$pid"
	if [ "$rc" = "$want" ]; then
		c_died=$((c_died + 1))
	else
		fail_died=${fail_died:-"cycle $i: target ended with $rc, expected $want"}
	fi
	# Every work has run before the parent can reap: no waiting here.
	get_refcnt
	if [ "$ref" = "$base" ]; then
		c_drop=$((c_drop + 1))
	else
		fail_drop=${fail_drop:-"cycle $i: refcnt $ref after the target died, base $base"}
		wait_refcnt "$base"
	fi

	done_cycles=$i
	if ((i % reload_every == 0)); then
		reload "$i" || break
	fi
done
# The last cycles, if they ended between two reloads.
if [ -z "$abort" ] && ((done_cycles % reload_every)); then
	reload "$done_cycles"
fi
} 2> "$errlog"
elapsed=$((SECONDS - t0))
grep -Ev ' (Killed|Terminated) +idle_target$' "$errlog" | diag
note "$done_cycles cycles, $reloads reloads (rmmod + insmod), ${elapsed}s"

# check_count DESCRIPTION COUNT EXPECTED FIRST-FAILURE
check_count() {
	if [ "$3" = 0 ] && [ -n "$abort" ] && [ -z "$4" ]; then
		ok "$1 # SKIP not reached"
	elif [ "$2" = "$3" ] && [ "$3" -gt 0 ] && [ -z "$4" ]; then
		ok "$1 ($2/$3)"
	else
		not_ok "$1 ($2/$3)"
		[ -z "$4" ] || echo "$4" | diag
	fi
}
# The arming count is over the cycles started, the others over those done.
started_cycles=$((done_cycles + ${abort:-0}))
check_count "deferred request armed by --arm" "$c_arm" "$started_cycles" "$fail_arm"
check_count "one module reference per queued work" "$c_ref" "$c_arm" "$fail_ref"
check_count "rmmod refused while a request is armed" "$c_refused" "$c_arm" "$fail_refused"
check_count "target still stopped after arming and rmmod" "$c_still" "$c_refused" "$fail_still"
check_count "target dies on SIGCONT with the requested status" "$c_died" "$done_cycles" "$fail_died"
check_count "module reference dropped once the target died" "$c_drop" "$done_cycles" "$fail_drop"
check_count "rmmod and insmod succeed once the target died" "$c_reload" "$reloads" "$fail_reload"

# ---- a cancelled request still pins the module until its target runs
# cancel_test: 0, or 1 with the reason in $why.
cancel_test() {
	local id out

	if [ -n "$abort" ]; then
		why="not run: the cycles above failed"
		return 1
	fi
	if ! start_stopped; then
		why="target $pid did not stop (state $st)"
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
	get_refcnt
	if [ "$ref" != $((base + 1)) ]; then
		why="refcnt $ref after cancel, with the work still queued (base $base)"
		return 1
	fi
	if out=$(rmmod procterm 2>&1) || [ ! -d "$mod" ]; then
		why="rmmod succeeded with a cancelled work still queued${out:+: $out}"
		forget "$pid"
		disown "$pid" 2>/dev/null
		ensure_loaded
		return 1
	fi
	kill -CONT "$pid"
	# The cancelled work runs, as a no-op, as soon as the target runs.
	if ! wait_refcnt "$base"; then
		why="refcnt $ref after the target ran, base $base"
		return 1
	fi
	snooze 0.5
	get_state "$pid"
	if [ "$st" != S ]; then
		why="the target of a cancelled request is in state $st, not asleep in read()"
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
	get_state "$pid"
	if [ "$st" != S ]; then
		why="the target is in state $st after the reload"
		return 1
	fi
	kill -TERM "$pid"
	reap "$pid"
	if [ "$rc" != $((128 + 15)) ]; then
		why="the target ended with $rc after SIGTERM, not $((128 + 15))"
		return 1
	fi
	return 0
}
why=''
cancel_test 2> "$errlog"
cancel_rc=$?
grep -Ev ' (Killed|Terminated) +idle_target$' "$errlog" | diag
if [ "$cancel_rc" = 0 ]; then
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
	note "loaded: $([ -d "$mod" ] && echo yes || echo no), refcnt $ref"
fi

[ "$failed" -eq 0 ]
