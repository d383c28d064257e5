# SPDX-License-Identifier: GPL-2.0
#
# Shared by the tests/cli_*_test.sh scripts (sourced, not run): TAP output,
# running the CLI, starting and reaping target processes. Only processes
# started here are ever signalled, by PID.
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm).

set -u

here=$(cd "$(dirname "$0")" && pwd)
PROCTERM=${PROCTERM:-$here/../ctl/procterm}
helper=$here/procterm_helper
nobody=65534
KSFT_SKIP=4

n=0 failed=0 passed=0
started=()
fuse_mounts=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/procterm-cli.XXXXXX")
chmod 755 "$tmp"

# Tests may add their own cleanup; this runs it, then kills what we started.
cli_cleanup_hook() { :; }
cli_cleanup() {
	local p
	cli_cleanup_hook
	for p in "${started[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for p in "${fuse_mounts[@]}"; do
		umount -l "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cli_cleanup EXIT

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
# diag: stdin as TAP comments, at most 60 lines of it.
diag() {
	awk 'NR <= 60 { print "# " $0 } END { if (NR > 60) print "# ... " NR - 60 " more lines" }'
}

# check DESCRIPTION CONDITION...: one test, passing when CONDITION is true.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# checkx DESCRIPTION 'SHELL EXPRESSION': the same, for an expression with
# && or || (evaluated here; single-quote it).
checkx() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}

# run ARGS...: run the CLI; exit code in $rc, stdout in $out, stderr in $err.
run() {
	out=$("$PROCTERM" "$@" 2>"$tmp/stderr")
	rc=$?
	err=$(cat "$tmp/stderr")
	{
		echo "\$ procterm $* -> exit $rc"
		[ -z "$out" ] || printf '%s\n' "$out"
		[ -z "$err" ] || printf 'stderr: %s\n' "$err"
	} | diag
}

# as_nobody COMMAND...: run COMMAND with the real and effective UID and GID
# of nobody, no supplementary groups.
as_nobody() {
	setpriv --reuid=$nobody --regid=$nobody --clear-groups "$@"
}

# run_nobody ARGS...: run as nobody, like run.
run_nobody() {
	out=$(as_nobody "$PROCTERM" "$@" 2>"$tmp/stderr")
	rc=$?
	err=$(cat "$tmp/stderr")
	{
		echo "\$ (nobody) procterm $* -> exit $rc"
		[ -z "$out" ] || printf '%s\n' "$out"
		[ -z "$err" ] || printf 'stderr: %s\n' "$err"
	} | diag
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

# spawn [COMMAND...]: start a process (default: one that only waits to be
# killed), a child of this shell; its PID in $last.
spawn() {
	# Never on our stdout: a process that outlives the script would keep
	# the runner reading.
	if [ $# = 0 ]; then
		sleep 1000 >/dev/null 2>&1 &
	else
		"$@" >/dev/null 2>&1 &
	fi
	last=$!
	started+=("$last")
}

# spawn_nobody: a sleeping process of nobody's, a child of this shell.
spawn_nobody() {
	# Not the as_nobody function: "$!" would be the subshell running it.
	setpriv --reuid=$nobody --regid=$nobody --clear-groups sleep 1000 \
		>/dev/null 2>&1 &
	last=$!
	started+=("$last")
	# setpriv execs sleep: wait until the exec is done.
	wait_comm "$last" sleep
}

# spawn_stopped: a stopped process, in state T; its PID in $last.
spawn_stopped() {
	spawn
	kill -STOP "$last"
	wait_state "$last" T
}

# spawn_tree: a bash with two sleeping children; root in $last, children
# in $kids.
spawn_tree() {
	local end=$((SECONDS + 20)) k
	spawn bash -c 'sleep 1000 & sleep 1000 & wait'
	while :; do
		k=($(children_of "$last"))
		[ "${#k[@]}" = 2 ] && [ "$(cat "/proc/${k[0]}/comm" "/proc/${k[1]}/comm" 2>/dev/null)" = "sleep
sleep" ] && break
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.05
	done
	kids="${k[*]}"
	started+=("${k[@]}")
}

# children_of PID: the PIDs whose parent is PID.
children_of() {
	local want=$1 f line ppid
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		read -r _ ppid _ <<<"${line##*) }"
		[ "$ppid" = "$want" ] || continue
		f=${f#/proc/}
		echo "${f%/stat}"
	done
}

# reap PID [SECONDS]: bash's wait status for one of our children, in
# $status; "alive" if it is still running after SECONDS (default 20), when it
# is killed so that the script goes on. Deadlines are in wall-clock seconds:
# a loaded TCG guest makes every fork slow.
reap() {
	local end=$((SECONDS + ${2:-20}))
	while alive "$1" && [ "$SECONDS" -lt "$end" ]; do
		sleep 0.05
	done
	if alive "$1"; then
		kill -CONT "$1" 2>/dev/null
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		status=alive
		return
	fi
	wait "$1" 2>/dev/null
	status=$?
}

# state PID: the state letter in /proc/PID/stat, or nothing (no fork).
state() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 0
	line=${line##*) }
	echo "${line%% *}"
}

zombie() { [ "$(state "$1")" = Z ]; }

# alive PID: running, not a zombie.
alive() {
	local s
	s=$(state "$1")
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# gone PID [SECONDS]: not alive within SECONDS (default 10).
gone() {
	local end=$((SECONDS + ${2:-10}))
	while alive "$1" && [ "$SECONDS" -lt "$end" ]; do
		sleep 0.05
	done
	! alive "$1"
}

# wait_state PID STATE: until /proc/PID/stat shows STATE (10 s at most).
wait_state() {
	local end=$((SECONDS + 10))
	while [ "$(state "$1")" != "$2" ]; do
		[ "$SECONDS" -lt "$end" ] && alive "$1" || return 1
		sleep 0.05
	done
}

# wait_comm PID COMM: until the process is named COMM (10 s at most).
wait_comm() {
	local end=$((SECONDS + 10))
	while [ "$(cat "/proc/$1/comm" 2>/dev/null)" != "$2" ]; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# start_of PID: field 22 of /proc/PID/stat, the start time in handles.
start_of() {
	local line f
	read -r line <"/proc/$1/stat" || return
	read -ra f <<<"${line##*) }"
	echo "${f[19]}"
}

# ---- FUSE: processes stuck in a request that is never answered

# fuse_ready: /dev/fuse is there, once fuse.ko from PROCTERM_MODDIR (which
# the QEMU harness sets) is loaded if need be.
fuse_ready() {
	local ko
	[ -c /dev/fuse ] && return 0
	for ko in "${PROCTERM_MODDIR:-/nonexistent}"/kernel/fs/fuse/fuse.ko*; do
		[ -f "$ko" ] || continue
		case "$ko" in
		*.xz) xz -dc "$ko" >"$tmp/fuse.ko" && insmod "$tmp/fuse.ko" ;;
		*) insmod "$ko" ;;
		esac
	done 2>/dev/null
	[ -c /dev/fuse ]
}

# fuse_start NAME [MIB [UID]]: "procterm_helper fuse" serving $tmp/NAME;
# the server's PID in $daemon, the stuck lookups' in $fa (the server's
# child, holding MIB MiB) and $fb (fa's child), both run as UID if given.
# On success both are asleep in their request (state S).
fuse_start() {
	local name=$1 end=$((SECONDS + 60 * ${PROCTERM_TIMEOUT_SCALE:-1}))
	shift
	mkdir "$tmp/$name"
	: >"$tmp/$name.out"
	"$helper" fuse "$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	daemon=$!
	started+=("$daemon")
	fuse_mounts+=("$tmp/$name")
	fa= fb=
	while :; do
		read -r fa fb <"$tmp/$name.out"
		[ -n "$fb" ] && break
		if [ "$SECONDS" -ge "$end" ] || ! kill -0 "$daemon" 2>/dev/null; then
			diag <"$tmp/$name.err"
			return 1
		fi
		sleep 0.05
	done
	started+=("$fa" "$fb")
	wait_state "$fa" S && wait_state "$fb" S
}

# fuse_end NAME: SIGTERM to the server of fuse_start NAME, which aborts the
# connection, waits for $fa and prints its wait status: that status (raw,
# in decimal) in $fa_status, or "" if none came within 30 s.
fuse_end() {
	local name=$1 end=$((SECONDS + 30 * ${PROCTERM_TIMEOUT_SCALE:-1})) up st=
	kill -TERM "$daemon" 2>/dev/null
	while :; do
		up=0
		kill -0 "$daemon" 2>/dev/null && up=1
		{ read -r _; read -r _ st; } <"$tmp/$name.out"
		[ -n "$st" ] || [ "$up" = 0 ] || [ "$SECONDS" -ge "$end" ] && break
		sleep 0.05
	done
	fa_status=$st
	wait "$daemon" 2>/dev/null
	umount -l "$tmp/$name" 2>/dev/null
}

unused_pid() {
	local max p
	max=$(cat /proc/sys/kernel/pid_max)
	for ((p = max - 1; p > 300; p--)); do
		[ -e "/proc/$p" ] || { echo "$p"; return; }
	done
}

# $out (stdout) names $1 as a whole word.
names() {
	printf '%s\n' "$out" | grep -Eq "(^|[^0-9a-zA-Z])$1([^0-9a-zA-Z]|$)"
}

# $err (stderr) names $1 as a whole word.
err_names() {
	printf '%s\n' "$err" | grep -Eq "(^|[^0-9a-zA-Z])$1([^0-9a-zA-Z]|$)"
}

# $out matches the extended regular expression $1.
out_has() { printf '%s\n' "$out" | grep -Eq -- "$1"; }
# $err matches the extended regular expression $1.
err_has() { printf '%s\n' "$err" | grep -Eq -- "$1"; }

# $out has exactly $1 lines ("" has none).
out_lines() {
	local l=0
	[ -z "$out" ] || l=$(printf '%s\n' "$out" | wc -l)
	[ "$l" = "$1" ]
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

# every_line_fields N: each line of $out has exactly N tab-separated fields.
every_line_fields() {
	[ -n "$out" ] &&
		printf '%s\n' "$out" | awk -F'\t' -v n="$1" 'NF != n { bad = 1 } END { exit bad }'
}

# tsv_row KEY: the line of $out whose first field is KEY.
tsv_row() {
	printf '%s\n' "$out" | awk -F'\t' -v k="$1" '$1 == k' | head -n1
}

python=$(command -v /usr/bin/python3 python3 2>/dev/null | head -n1)

# json_check PYTHON-EXPRESSION: $out parses as JSON (as "d") and the
# expression is true.
json_check() {
	[ -n "$python" ] || return 1
	printf '%s' "$out" | "$python" -c '
import json, sys
d = json.loads(sys.stdin.read())
sys.exit(0 if ('"$1"') else 1)
'
}

# cli_start: TAP header and the conditions every CLI test needs.
cli_start() {
	echo "TAP version 13"
	# bash reports background jobs that die of a signal on stderr: keep
	# such lines (and anything else on stderr) as TAP comments.
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
}

# cli_nobody_ready: nobody can run the CLI (a failure of the setup if not).
cli_nobody_ready() {
	command -v setpriv >/dev/null && as_nobody test -x "$PROCTERM"
}

cli_end() {
	echo "1..$n"
	if [ "$failed" -gt 0 ]; then
		exit 1
	fi
	[ "$passed" -gt 0 ] || exit $KSFT_SKIP
	exit 0
}
