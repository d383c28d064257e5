#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A short narrated tour of procterm, run by "make demo" inside the guest with
# the module loaded. Every step shows the command and what came of it; a
# step that fails (or a subcommand the CLI lacks) is reported, not fatal.
set -u

repo=${PROCTERM_REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$repo/ctl:$PATH
pids=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }

# Show a command, run it, show its exit status.
run() {
	printf '$ %s\n' "$*"
	"$@"
	local rc=$?
	printf '   (exit %d)\n' "$rc"
	return "$rc"
}

# What the parent (this shell) gets from waitpid() for child $1.
reap() {
	local rc
	wait "$1" 2>/dev/null
	rc=$?
	if [ "$rc" -gt 128 ]; then
		note "parent: child $1 was killed by signal $((rc - 128))"
	else
		note "parent: child $1 exited with status $rc"
	fi
}

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
}
trap cleanup EXIT
# bash reports every background job that dies of SIGKILL ("... Killed
# sleep 1000"); reap() already says so.
exec 2> >(sed -u -E '/^[^ ]*demo\.sh: line [0-9]+: +[0-9]+ Killed /d' >&2)

if ! command -v procterm >/dev/null; then
	echo "demo: procterm not built (make ctl)"
	exit 1
fi

say "$(procterm --version 2>&1) on $(uname -r)"
if [ -d /sys/module/procterm ]; then
	note "module loaded, $(cat /sys/module/procterm/refcnt) references"
else
	note "module NOT loaded: the commands below will say so"
fi

say "Processes as the module sees them"
procterm list 2>&1 | head -n 8

say "Terminate a process: the parent sees SIGKILL"
sleep 1000 & p=$!; pids+=("$p")
run procterm kill "$p"
reap "$p"

say "Choose the exit status the parent sees (--status 7)"
sleep 1000 & p=$!; pids+=("$p")
run procterm kill --status 7 "$p"
reap "$p"

say "Return only once the process is dead (--wait)"
sleep 1000 & p=$!; pids+=("$p")
run procterm kill --wait "$p"
state=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)
note "process $p right after: ${state:+state $state (Z: dead, not yet reaped)}${state:-gone (already reaped)}"
reap "$p"

say "A handle (PID@start time) is refused once the PID is reused"
sleep 1000 & p=$!; pids+=("$p")
start=$(cut -d' ' -f22 "/proc/$p/stat")
run procterm kill "$p@$((start + 1))"
run procterm kill "$p@$start"
reap "$p"

say "A multi-threaded process goes as a whole"
if command -v python3 >/dev/null; then
	python3 -c 'import threading, time; [threading.Thread(target=time.sleep, args=(1000,), daemon=True).start() for _ in range(3)]; time.sleep(1000)' &
	p=$!; pids+=("$p")
	# Python starts slowly under emulation: wait for its threads.
	for _ in $(seq 100); do
		[ "$(awk '/^Threads:/ { print $2 }' "/proc/$p/status" 2>/dev/null)" = 4 ] && break
		sleep 0.1
	done
	note "process $p has $(grep Threads "/proc/$p/status" | cut -f2) threads"
	run procterm kill --wait "$p"
	reap "$p"
else
	note "(python3 missing: skipped)"
fi

say "A whole tree (--tree)"
bash -c 'sleep 1000 & sleep 1000 & bash -c "sleep 1000" & wait' &
p=$!; pids+=("$p")
for _ in $(seq 100); do
	[ "$(pgrep -f 'sleep 1000' | wc -l)" -ge 3 ] && break
	sleep 0.1
done
note "tree of $p: $(pgrep -P "$p" | wc -l) children, $(pgrep -f 'sleep 1000' | wc -l) sleeps in all"
run procterm kill --tree --wait "$p"
reap "$p"
sleep 0.5
note "sleeps left: $(pgrep -f 'sleep 1000' | wc -l)"

say "Deferred: a stopped process dies when it next runs (--deferred)"
sleep 1000 & p=$!; pids+=("$p")
kill -STOP "$p"
run procterm kill --deferred "$p"
run procterm pending
note "still there while stopped: state $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)"
kill -CONT "$p"
reap "$p"

say "PID 1 is never terminated"
run procterm kill 1
note "PID 1 $(cut -d' ' -f2 /proc/1/stat) is alive"

say "Not a process: a kernel thread"
run procterm kill 2

say "done"
