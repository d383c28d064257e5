#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm watch, as a user sees it:
#  - without CAP_NET_ADMIN it refuses (exit 3) and says what it needs;
#  - a stray argument is a usage error (exit 1);
#  - --json: one object per line, flushed as each process dies: an
#    immediate kill with --status 3 --wait (exit_status 3), a tree kill
#    (one event per member, all with the same request_id, mode "tree"),
#    consecutive sequence numbers, no "lost" object;
#  - grace kills: stage TERM for a sleep that dies of the SIGTERM, KILL for
#    one that ignores it and is killed at the deadline;
#  - the default format: one line per event, as documented in procterm(8);
#  - SIGINT ends it with exit status 0.
#
# Needs root, procterm.ko loaded, python3 for the JSON checks.

. "$(dirname "$0")/cli_lib.sh"

python=$(command -v python3)
watch_pid=

cli_cleanup_hook() {
	if [ -n "$watch_pid" ]; then
		kill -KILL "$watch_pid" 2>/dev/null
		wait "$watch_pid" 2>/dev/null
	fi
}

cli_start

# watch_start FILE ARGS...: a watch writing to FILE, listening once a
# probe kill shows up in FILE (its PID in $probe).
watch_start() {
	local file=$1 end=$((SECONDS + 30))
	shift
	probes=
	"$PROCTERM" watch "$@" >"$file" 2>"$tmp/watch.err" &
	watch_pid=$!
	while [ "$SECONDS" -lt "$end" ]; do
		spawn
		probe=$last
		wait_comm "$probe" sleep
		probes="$probes $probe"
		"$PROCTERM" kill --wait "$probe" >/dev/null 2>&1
		reap "$probe"
		if wait_pids "$file" 2 "$probe"; then
			return 0
		fi
		alive "$watch_pid" || return 1
	done
	return 1
}

# has_pid FILE PID: FILE has PID's event.
has_pid() {
	grep -Eq "(\"pid\": |^[0-9]+: )$2[@,]" "$1"
}

# wait_pids FILE SECONDS PID...: until FILE has an event for each PID.
wait_pids() {
	local file=$1 end=$((SECONDS + $2)) p missing
	shift 2
	while :; do
		missing=
		for p in "$@"; do
			has_pid "$file" "$p" || missing=1
		done
		[ -z "$missing" ] && return 0
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# watch_stop: SIGINT, its exit status in $watch_rc.
watch_stop() {
	kill -INT "$watch_pid"
	wait "$watch_pid"
	watch_rc=$?
	watch_pid=
}


if cli_nobody_ready; then
	run_nobody watch
	checkx "watch as nobody: exit 3, needs CAP_NET_ADMIN" \
		'[ "$rc" = 3 ] && err_has "CAP_NET_ADMIN"'
else
	not_ok "nobody cannot run $PROCTERM (setpriv missing or no access)"
fi

expect_rc "watch with an argument: usage error" 1 watch 1234

# ---- --json
f=$tmp/watch.json
if watch_start "$f" --json; then
	ok "watch --json reports a kill"
	spawn
	single=$last
	wait_comm "$single" sleep
	run kill --status 3 --wait "$single"
	reap "$single"
	spawn_tree
	root=$last
	run kill --tree "$root"
	reap "$root"
	wait_pids "$f" 60 "$single" "$root" $kids
	sed 's/^/watch: /' "$f" | diag
	out=$(cat "$f")
	if [ -n "$python" ] && printf '%s\n' "$out" | "$python" -c '
import json, sys
probes = set(int(p) for p in sys.argv[1].split())
single, root = int(sys.argv[2]), int(sys.argv[3])
kids = set(int(k) for k in sys.argv[4:])
ev = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert not [e for e in ev if "lost" in e], "lost events"
seqs = [e["seq"] for e in ev]
assert seqs == list(range(seqs[0], seqs[0] + len(ev))), seqs
by = {e["pid"]: e for e in ev}
assert len(by) == len(ev), "a PID twice"
assert {single, root} | kids <= set(by) <= {single, root} | kids | probes, sorted(by)
s = by[single]
assert s["mode"] == "immediate" and s["exit_status"] == 3 and s["signal"] is None, s
assert s["stage"] == "KILL" and s["request_id"] is None and s["comm"] == "sleep", s
assert s["requester"]["comm"] == "procterm" and s["requester"]["uid"] == 0, s
assert isinstance(s["elapsed_ns"], str) and int(s["elapsed_ns"]) >= 0, s
tree = [by[p] for p in [root] + sorted(kids)]
assert all(e["mode"] == "tree" and e["signal"] == 9 for e in tree), tree
assert len({e["request_id"] for e in tree}) == 1 and tree[0]["request_id"], tree
' "$probes" "$single" "$root" $kids; then
		ok "watch --json: one object per death, modes, statuses, request id, no gap"
	else
		not_ok "watch --json: one object per death, modes, statuses, request id, no gap"
	fi
	watch_stop
	checkx "watch --json: SIGINT ends it with exit 0" '[ "$watch_rc" = 0 ]'
else
	not_ok "watch --json reports a kill"
	diag <"$tmp/watch.err"
fi

# ---- grace kills: the stage that ended each process
f=$tmp/watch.grace
if watch_start "$f"; then
	# A sleep dies of the SIGTERM; with SIGTERM ignored (kept across
	# exec), it is killed at the deadline.
	spawn
	termed=$last
	wait_comm "$termed" sleep
	spawn sh -c 'trap "" TERM; exec sleep 1000'
	ignorer=$last
	wait_comm "$ignorer" sleep
	run kill --grace 10s "$termed"
	run kill --grace 200ms "$ignorer"
	reap "$termed"
	reap "$ignorer"
	wait_pids "$f" 30 "$termed" "$ignorer"
	sed 's/^/watch: /' "$f" | diag
	checkx "watch: a grace kill ended by SIGTERM is stage TERM" \
		'grep -Eq "^[0-9]+: $termed@[0-9]+ \(sleep\) uid 0 killed by signal 15; grace request [0-9]+, stage TERM; by [0-9]+ \(procterm\) uid 0; dead " "$f"'
	checkx "watch: a grace kill that ran out is stage KILL" \
		'grep -Eq "^[0-9]+: $ignorer@[0-9]+ \(sleep\) uid 0 killed by signal 9; grace request [0-9]+, stage KILL; by [0-9]+ \(procterm\) uid 0; dead " "$f"'
	watch_stop
else
	not_ok "watch reports a grace kill"
	diag <"$tmp/watch.err"
fi

# ---- the default format
f=$tmp/watch.txt
if watch_start "$f"; then
	line=$(grep -E "^[0-9]+: $probe@" "$f")
	printf 'watch: %s\n' "$line" | diag
	checkx "watch: the documented line" \
		'printf "%s\n" "$line" | grep -Eq "^[0-9]+: $probe@[0-9]+ \(sleep\) uid 0 killed by signal 9; immediate, stage KILL; by [0-9]+ \(procterm\) uid 0; dead [0-9]+\.[0-9]{3} ms after the request$"'
	watch_stop
	checkx "watch: SIGINT ends it with exit 0" '[ "$watch_rc" = 0 ]'
else
	not_ok "watch reports a kill"
	diag <"$tmp/watch.err"
fi

cli_end
