#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm kill by selectors against the module: the recovery case as one
# command ("kill the process using the most memory of uid 1000, not my
# shell", from a shell of uid 1000 that is itself the biggest), --name,
# --name-regex (anchored and not), --dry-run (the table, then the real run
# kills the same PID@START set), --json keys, --status, --strict as nobody,
# --uid by name, no match (exit 2), and the combinations refused (exit 1).
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm). Output is TAP.

. "$(dirname "$0")/cli_lib.sh"

cli_start

u=1000
tag=pts$$
tag=${tag:0:9}

# mem_proc MIB COMM [SETPRIV...]: a helper holding MIB MiB, named COMM; PID
# in $last once its name is set (after the memory is filled). SETPRIV is a
# command that execs the rest (never a shell function: $! would be a
# subshell's).
mem_proc() {
	local mib=$1 comm=$2
	shift 2
	"$@" "$helper" mem "$mib" "$comm" >/dev/null 2>&1 &
	last=$!
	started+=("$last")
	wait_comm "$last" "$comm"
}

as_u() { setpriv --reuid=$u --regid=$u --clear-groups "$@"; }

# handles: the PID@START column of a table in $out, sorted.
handles() {
	printf '%s\n' "$out" | awk '$2 ~ /^[0-9]+@[0-9]+$/ { print $2 }' | sort
}

# ---- usage errors
expect_rc "--name with a PID: exit 1" 1 kill --name x 123
expect_rc "--name with --tree: exit 1" 1 kill --name x --tree
expect_rc "--name with --wait: exit 1" 1 kill --name x --wait
expect_rc "--name with --deferred: exit 1" 1 kill --name x --deferred
expect_rc "--strict without a selector: exit 1" 1 kill --strict 123
expect_rc "--largest alone: exit 1" 1 kill --largest
expect_rc "--oldest --newest: exit 1" 1 kill --name x --oldest --newest
expect_rc "--rss-above 12Q: exit 1" 1 kill --name x --rss-above 12Q
expect_rc "--older-than 5 (no unit): exit 1" 1 kill --name x --older-than 5
expect_rc "--rss-above 0: exit 1" 1 kill --rss-above 0 --dry-run
expect_rc "--older-than 0s: exit 1" 1 kill --name x --older-than 0s
expect_rc "--cgroup relative: exit 1" 1 kill --cgroup user.slice
expect_rc "--name-regex '(': exit 1" 1 kill --name-regex '('
expect_rc "--uid no-such-user: exit 1" 1 kill --uid pt-no-such-user --dry-run

# ---- no match
expect_rc "--name of nothing: exit 2" 2 kill --name "${tag}none"
check "... 'no process matched'" err_has 'no process matched'

# ---- the recovery case, as one command
if ! getent passwd $u >/dev/null 2>&1 && ! as_u true 2>/dev/null; then
	skip "recovery case" "cannot run as uid $u"
else
	mem_proc 8 "${tag}s" setpriv --reuid=$u --regid=$u --clear-groups
	small=$last
	mem_proc 32 "${tag}l" setpriv --reuid=$u --regid=$u --clear-groups
	large=$last
	mem_proc 64 "${tag}r" # root's: bigger, another uid
	rootbig=$last
	# The "shell": bash of uid 1000 running a 96 MiB helper running procterm.
	out=$(as_u bash -c '"$1" memrun 96 "$2" kill --uid '$u' --largest' _ \
		"$helper" "$PROCTERM" 2>"$tmp/stderr")
	rc=$?
	err=$(cat "$tmp/stderr")
	{ echo "\$ (uid $u, 96 MiB) procterm kill --uid $u --largest -> exit $rc"
	  printf '%s\n' "$out"; printf 'stderr: %s\n' "$err"; } | diag
	check "recovery: exit 0 (got $rc)" [ "$rc" = 0 ]
	check "recovery: the largest other process of uid $u is killed" gone "$large"
	check "... it is the one listed" names "$large"
	check "... the smaller one lives" alive "$small"
	check "... root's bigger one lives" alive "$rootbig"
	check "... 'killed 1 process'" out_has '^killed 1 process'
	check "... the shell and its children are skipped, and counted" \
		out_has '[0-9]+ skipped: the caller and its ancestors'
	kill -KILL "$small" "$rootbig" 2>/dev/null
fi

# ---- --dry-run lists, the real run kills the same set
mem_proc 0 "${tag}d"
d1=$last
mem_proc 4 "${tag}d"
d2=$last
mem_proc 0 "${tag}e"
d3=$last
run kill --name "${tag}d" --dry-run
check "--dry-run: exit 0 (got $rc)" [ "$rc" = 0 ]
check "--dry-run: a table header" out_has '^ +PID +HANDLE +UID +RSS +COMMAND +RESULT$'
check "--dry-run: 'would kill 2 processes'" out_has '^would kill 2 processes'
checkx "--dry-run: both listed, the other not" 'names "$d1" && names "$d2" && ! names "$d3"'
dry=$(handles)
sleep 0.3
checkx "--dry-run: nothing killed" 'alive "$d1" && alive "$d2" && alive "$d3"'
run kill --name "${tag}d"
check "real run: exit 0 (got $rc)" [ "$rc" = 0 ]
check "real run: 'killed 2 processes'" out_has '^killed 2 processes'
real=$(handles)
check "real run: the same PID@START set as the dry run" [ -n "$dry" -a "$dry" = "$real" ]
checkx "real run: both dead, the other alive" 'gone "$d1" && gone "$d2" && alive "$d3"'

# ---- --json
mem_proc 2 "${tag}j"
j1=$last
run kill --name "${tag}j" --dry-run --json
check "--json --dry-run: exit 0 (got $rc)" [ "$rc" = 0 ]
check "--json: the keys" json_check \
	"sorted(d) == ['count', 'denied', 'dry_run', 'error', 'exit_status', 'matched', 'message', 'processes', 'protected', 'result'] and d['dry_run'] is True and d['result'] == 'ok'"
check "--json: the process, its keys" json_check \
	"[sorted(p) for p in d['processes']] == [['comm', 'pid', 'result', 'rss', 'start_time', 'uid']] and d['processes'][0]['pid'] == $j1 and d['processes'][0]['comm'] == '${tag}j' and d['processes'][0]['result'] == 'dry-run' and d['processes'][0]['rss'] > 2 * 1024 * 1024 and d['count'] == 0 and d['matched'] == 1"
run kill --name "${tag}j" --dry-run --tsv
check "--tsv --dry-run: one line of 6 fields" every_line_fields 6
check "... pid, start, uid, rss, comm, dry-run" out_has "^$j1	[0-9]+	0	[0-9]+	${tag}j	dry-run\$"
run kill --name "${tag}j" --json --status 5
check "--json kill: count 1, result killed, exit_status 5" json_check \
	"d['count'] == 1 and d['processes'][0]['result'] == 'killed' and d['exit_status'] == 5 and d['dry_run'] is False"
reap "$j1"
check "--status 5: the parent sees exit 5 (got $status)" [ "$status" = 5 ]

# ---- --name-regex
mem_proc 0 "${tag}a1"
r1=$last
mem_proc 0 "${tag}b2"
r2=$last
mem_proc 0 "${tag}a3"
r3=$last
run kill --name-regex "^${tag}a[0-9]\$" --dry-run
check "--name-regex --dry-run: 'would kill 2'" out_has '^would kill 2 processes'
checkx "... the two, not the third" 'names "$r1" && names "$r3" && ! names "$r2"'
run kill --name-regex "^${tag}a[0-9]\$"
check "--name-regex: exit 0 (got $rc)" [ "$rc" = 0 ]
checkx "--name-regex: a1 and a3 dead, b2 alive" 'gone "$r1" && gone "$r3" && alive "$r2"'
# Unanchored: no prefix for the kernel, the regex alone decides.
run kill --name-regex "${tag:1}b2"
check "--name-regex unanchored: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... b2 dead" gone "$r2"
check "... 'killed 1 process'" out_has '^killed 1 process'

# ---- --uid by name, --strict as nobody
if ! cli_nobody_ready; then
	skip "--strict as nobody" "nobody cannot run the CLI"
else
	mem_proc 0 "${tag}n" setpriv --reuid=$nobody --regid=$nobody --clear-groups
	n1=$last
	mem_proc 0 "${tag}n"
	n2=$last
	run kill --uid nobody --name "${tag}n" --dry-run
	checkx "--uid nobody (a name): only nobody's" 'names "$n1" && ! names "$n2"'
	# Root's match is not nobody's to see: not listed, not denied.
	run_nobody kill --name "${tag}n" --strict
	check "--strict as nobody, one match root's: exit 0 (got $rc)" [ "$rc" = 0 ]
	check "... 'killed 1 process'" out_has '^killed 1 process'
	checkx "... no 'denied'" '! out_has denied'
	checkx "... root's PID not listed" '! names "$n2"'
	sleep 0.3
	checkx "... nobody's dead, root's alive" 'gone "$n1" && alive "$n2"'
	kill -KILL "$n2" 2>/dev/null
fi

cli_end
