#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink spec, docs/netlink/procterm.yaml, driving the kernel's generic
# YNL client (tools/net/ynl/cli.py) against the loaded module:
#  - the spec validates against the genetlink-legacy schema, and ynl
#    resolves the family and lists its operations;
#  - list (do and dump) shows a child of ours with the values /proc has;
#  - kill with an exit status: the reply echoes the request, and the
#    shell's wait sees the child exit with that status;
#  - kill of an unused PID fails with ESRCH, "no such process";
#  - pending dumps an empty list; cancel of an unknown request is ENOENT;
#  - ynl --subscribe events receives the event of a process procterm
#    killed while it listens, with the attributes the spec names.
#
# ynl comes from the linux-source files the top-level Makefile extracts
# into build/linux-source/ (or PROCTERM_SRC, a directory holding an
# extracted linux-source tree). Needs the module loaded and python3 with
# PyYAML; jsonschema is optional (without it the schema check is skipped).
# Runs as any user (the test suite runs it as root).
# Output is TAP; exit 0 on success, 1 on a failure, 4 when skipped.

set -u
export LC_ALL=C PYTHONDONTWRITEBYTECODE=1

here=$(cd "$(dirname "$0")" && pwd)
repo=${PROCTERM_REPO:-$(cd "$here/.." && pwd)}
src=${PROCTERM_SRC:-$repo/build/linux-source}
spec=$repo/docs/netlink/procterm.yaml
schema=$src/Documentation/netlink/genetlink-legacy.yaml
mod=/sys/module/procterm
KSFT_SKIP=4
PLAN=10

n=0 failed=0 passed=0
child=

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }

# Every check skipped, for one reason.
skip_all() {
	local d
	echo "1..$PLAN"
	for d in "spec validates against genetlink-legacy.yaml" \
		 "ynl resolves the family and lists the operations" \
		 "list do: the child" "list dump: the child" \
		 "kill do with exit-status 7: the reply" \
		 "wait for the child: exit status 7" \
		 "kill do of an unused PID: ESRCH" "pending dump: empty list" \
		 "cancel do of an unknown request-id: ENOENT" \
		 "subscribe events: the event of a killed process"; do
		skip "$d" "$1"
	done
	exit $KSFT_SKIP
}

cleanup() {
	if [ -n "$child" ]; then
		kill -KILL "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		child=
	fi
}
trap cleanup EXIT

echo "TAP version 13"

python=$(command -v python3) || skip_all "no python3"
cli=
for c in "$src/tools/net/ynl/cli.py" "$src/tools/net/ynl/pyynl/cli.py"; do
	if [ -f "$c" ]; then
		cli=$c
		break
	fi
done
[ -n "$cli" ] || skip_all "no ynl at $src/tools/net/ynl (make linux-source)"
"$python" -c 'import yaml' 2>/dev/null || skip_all "python3 lacks yaml (python3-yaml)"
[ -d "$mod" ] || skip_all "procterm module not loaded"

# The spec is validated against the schema once, by check 1; the ynl
# calls after it skip the validation (--no-schema), which costs seconds of
# emulated CPU per Python start.
have_jsonschema=0
if [ -f "$schema" ] && "$python" -c 'import jsonschema' 2>/dev/null; then
	have_jsonschema=1
fi
schema_args=(--no-schema)

echo "1..$PLAN"
echo "# ynl: $cli"

# ynl ARGS...: the YNL CLI on our spec, JSON output, bounded in time.
# A Python start under emulation, with other guests on the host, can take
# tens of seconds: the bound is for a hang, not for speed.
ynl() {
	timeout 180 "$python" "$cli" --spec "$spec" "${schema_args[@]}" \
		--output-json "$@" 2>&1
}

# pycheck OUTPUT EXPR [NAME=VALUE...]: true if the Python expression EXPR
# holds. In EXPR, out is OUTPUT, r is OUTPUT parsed as JSON (None if it is
# not JSON) and E holds the NAME=VALUE pairs (strings).
pycheck() {
	local out=$1 expr=$2
	shift 2
	env "$@" PYCHECK_OUT="$out" "$python" - "$expr" <<-'EOF'
	import json, os, sys
	out = os.environ["PYCHECK_OUT"]
	E = os.environ
	try:
	    r = json.loads(out)
	except ValueError:
	    r = None
	try:
	    ok = bool(eval("(" + sys.argv[1] + "\n)"))
	except Exception as e:
	    print(f"{type(e).__name__}: {e}")
	    ok = False
	sys.exit(0 if ok else 1)
	EOF
}

# check DESC OUTPUT EXPR [NAME=VALUE...]: one result; OUTPUT as a
# diagnostic when EXPR does not hold.
check() {
	local desc=$1 out=$2 why
	shift 2
	if why=$(pycheck "$out" "$@"); then
		ok "$desc"
	else
		not_ok "$desc"
		{ [ -z "$why" ] || echo "$why"; echo "$out"; } | tail -n 40 | diag
	fi
}

# Fields of /proc/PID/stat after the comm: f[0] is field 3 (state),
# f[19] field 22 (start time).
stat_fields() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -ra f <<<"${stat##*) }"
}

# ---- 1: the spec against the schema, as ynl's own loader checks it
desc="spec validates against genetlink-legacy.yaml"
if [ "$have_jsonschema" = 1 ]; then
	if out=$(cd "$(dirname "$cli")" && "$python" - "$spec" "$schema" 2>&1 <<-'EOF'
	import sys
	from lib import SpecFamily
	f = SpecFamily(sys.argv[1], sys.argv[2])
	print(f.name, f.proto, len(f.ops), "ops")
	EOF
	); then
		ok "$desc"
		echo "$out" | diag
	else
		not_ok "$desc"
		echo "$out" | tail -n 20 | diag
	fi
else
	skip "$desc" "python3 lacks jsonschema, or no $schema"
fi

# ---- 2: ynl resolves the family and lists the operations of the spec
out=$(ynl --list-ops)
check "ynl resolves the family; ops kill [do], list [do, dump], pending [dump], cancel [do], rule-add/del/flush [do], rule-list [dump]" \
	"$out" \
	'sorted((l.split()[0], tuple(sorted(l.translate(str.maketrans("[],", "   ")).split()[1:])))
	        for l in out.splitlines() if l.strip()) ==
	 [("cancel", ("do",)), ("kill", ("do",)), ("list", ("do", "dump")), ("pending", ("dump",)),
	  ("rule-add", ("do",)), ("rule-del", ("do",)), ("rule-flush", ("do",)), ("rule-list", ("dump",))]'

# ---- a child to look at and to terminate
sleep 1000 &
child=$!
# Until it has exec'd sleep and sleeps.
for _ in $(seq 100); do
	if stat_fields "$child" && [ "${f[0]}" = S ] &&
	   [ "$(cat "/proc/$child/comm" 2>/dev/null)" = sleep ]; then
		break
	fi
	sleep 0.05
done
start=
stat_fields "$child" && start=${f[19]}
echo "# child $child, start time $start"

# ---- 3: do list
out=$(ynl --do list --json "{\"pid\": $child}")
check "list do: pid, comm sleep, ppid, state S, start time, threads, uid of the child" \
	"$out" \
	'isinstance(r, dict) and r.get("pid") == int(E["PID"]) and
	 r.get("comm") == "sleep" and r.get("ppid") == int(E["PPID_"]) and
	 r.get("state") == ord("S") and r.get("start-time") == int(E["START"]) and
	 r.get("threads") == 1 and r.get("uid") == int(E["UID_"]) and
	 isinstance(r.get("task-addr"), int)' \
	PID="$child" PPID_=$$ START="${start:-0}" UID_="$(id -u)"

# ---- 4: dump list
out=$(ynl --dump list)
check "list dump: the child once, this shell, every attribute, PIDs increasing" \
	"$out" \
	'isinstance(r, list) and
	 [(p["comm"], p["ppid"]) for p in r if p.get("pid") == int(E["PID"])] ==
	     [("sleep", int(E["PPID_"]))] and
	 [p["comm"] for p in r if p.get("pid") == int(E["PPID_"])] == [E["MYCOMM"]] and
	 all(set(p) == {"pid", "ppid", "start-time", "task-addr", "state",
	                "threads", "uid", "comm"} for p in r) and
	 all(a["pid"] < b["pid"] for a, b in zip(r, r[1:]))' \
	PID="$child" PPID_=$$ MYCOMM="$(cat /proc/$$/comm)"

# ---- 5, 6: kill with an exit status; the shell's wait sees it
out=$(ynl --do kill --json "{\"pid\": $child, \"exit-status\": 7}")
rc=$?
if [ "$rc" != 0 ] && grep -q "Operation not supported" <<<"$out"; then
	# Exit status rewriting works on every supported kernel: a failure.
	echo "$out" | diag
	not_ok "kill do with exit-status 7: exit status rewriting is unavailable on $(uname -r)"
else
	check "kill do with exit-status 7: reply pid, start time, exit-status 7, count 1" \
		"$out" \
		'isinstance(r, dict) and r == {"pid": int(E["PID"]),
		 "start-time": int(E["START"]), "exit-status": 7, "count": 1}' \
		PID="$child" START="${start:-0}"

	# Dead (a zombie, not reaped yet) before we wait: a failed kill must
	# not hang the test.
	for _ in $(seq 200); do
		stat_fields "$child" || break
		[ "${f[0]}" = Z ] && break
		sleep 0.05
	done
	if stat_fields "$child" && [ "${f[0]}" != Z ]; then
		not_ok "wait for the child: exit status 7"
		echo "child $child still alive (state ${f[0]}) after the kill" | diag
	else
		wait "$child"
		rc=$?
		child=
		if [ "$rc" = 7 ]; then
			ok "wait for the child: exit status 7"
		else
			not_ok "wait for the child: exit status 7"
			echo "wait returned $rc" | diag
		fi
	fi
fi
cleanup

# ---- 7: kill of an unused PID
pid_max=$(cat /proc/sys/kernel/pid_max)
unused=$((pid_max - 1))
while [ -e "/proc/$unused" ]; do
	unused=$((unused - 1))
done
out=$(ynl --do kill --json "{\"pid\": $unused}")
rc=$?
check "kill do of unused PID $unused: ESRCH, \"no such process\"" \
	"$out" \
	'E["RC"] == "1" and "Netlink error: No such process" in out and
	 "error: -3" in out and "procterm: no such process" in out' \
	RC="$rc"

# ---- 8: pending, nothing armed
out=$(ynl --dump pending)
check "pending dump: empty list" "$out" 'r == []'

# ---- 9: cancel of a request that was never armed
out=$(ynl --do cancel --json '{"request-id": 18446744073709551615}')
rc=$?
check "cancel do of an unknown request-id: ENOENT, \"no such deferred request\"" \
	"$out" \
	'E["RC"] == "1" and "error: -2" in out and
	 "no such deferred request" in out' \
	RC="$rc"

# ---- 10: subscribe to the events group, receive a killed process's event
counters=/sys/kernel/debug/procterm/counters
sent() { sed -n 's/^events_sent //p' "$counters" 2>/dev/null; }
if [ ! -r "$counters" ] || [ -z "$(sent)" ]; then
	not_ok "subscribe events: no events_sent in $counters"
else
	# The CLI kills (fast, unlike a Python start under emulation) while
	# ynl listens for 15 s; it reads what came once the sleep is over.
	timeout 300 "$python" "$cli" --spec "$spec" "${schema_args[@]}" \
		--output-json --subscribe events --sleep 15 \
		>"${TMPDIR:-/tmp}/ynl-events.$$" 2>&1 &
	listener=$!
	before=$(sent)
	victims=
	# Kill (with procterm) a process at a time until one's event is sent:
	# the listener has joined.
	for _ in $(seq 60); do
		# A listener that gave up (or never started) hears nothing more.
		kill -0 "$listener" 2>/dev/null || break
		sleep 1000 &
		v=$!
		victims="$victims $v"
		for _ in $(seq 100); do
			[ "$(cat "/proc/$v/comm" 2>/dev/null)" = sleep ] && break
			sleep 0.05
		done
		"${PROCTERM:-$repo/ctl/procterm}" kill "$v" >/dev/null
		wait "$v" 2>/dev/null
		for _ in $(seq 20); do
			[ "$(sent)" != "$before" ] && break
			sleep 0.05
		done
		[ "$(sent)" != "$before" ] && break
	done
	wait "$listener"
	out=$(cat "${TMPDIR:-/tmp}/ynl-events.$$")
	rm -f "${TMPDIR:-/tmp}/ynl-events.$$"
	check "subscribe events: one event per killed process, with the spec's attributes" \
		"$out" \
		'isinstance(r, list) and len(r) >= 1 and
		 all(m["name"] == "event" for m in r) and
		 len({m["msg"]["pid"] for m in r}) == len(r) and
		 {m["msg"]["pid"] for m in r} <= set(int(v) for v in E["V"].split()) and
		 all(m["msg"]["event-mode"] == "immediate" and
		     m["msg"]["stage"] == "kill" and
		     m["msg"]["wait-status"] == 9 and m["msg"]["comm"] == "sleep" and
		     m["msg"]["requester-comm"] == "procterm" and
		     set(m["msg"]) >= {"event-seq", "pid", "start-time", "uid",
		                       "requester-pid", "requester-uid", "flags",
		                       "elapsed-ns"} for m in r)' \
		V="$victims"
fi

echo "# $passed passed, $failed failed"
[ "$failed" = 0 ] || exit 1
exit 0
