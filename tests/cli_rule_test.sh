#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm rule against the module: add (each condition), list (table and
# --json), del, flush, save and load (a file and stdin, comments, blank
# lines, a bad line refusing the whole file), a shell script whose first
# command creates a file and never runs, --count, --audit, EPERM as nobody
# (exit 3), a full table (exit 9), and the systemd unit's commands.
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm). Output is TAP.

. "$(dirname "$0")/cli_lib.sh"

param=/sys/module/procterm/parameters/max_rules
param_saved=
cli_cleanup_hook() {
	"$PROCTERM" rule flush >/dev/null 2>&1
	[ -z "$param_saved" ] || echo "$param_saved" >"$param"
}

cli_start

run rule list
if [ "$rc" != 0 ] && err_has "not support"; then
	echo "1..0 # SKIP the module has no exec rules"
	exit $KSFT_SKIP
fi
"$PROCTERM" rule flush >/dev/null 2>&1

# A script named uniquely; its first command creates the file "$1".
name=ptcli$$
script=$tmp/$name
marker=$tmp/ran
printf '#!/bin/sh\n: >"$1"\nexit 0\n' >"$script"
chmod 755 "$script"

# exec_script [SETPRIV...]: run the script, as a child of this shell; its
# bash wait status in $status, whether it ran in $ran (yes/no).
exec_script() {
	rm -f "$marker"
	"$@" "$script" "$marker" >/dev/null 2>&1
	status=$?
	if [ -e "$marker" ]; then ran=yes; else ran=no; fi
}

# rule_id: the N of "rule N added" ($out).
rule_id() {
	printf '%s\n' "$out" | sed -n 's/^rule \([0-9][0-9]*\) added$/\1/p'
}

# ---- a script never runs its first command
exec_script
checkx "no rule: the script runs (status $status, ran $ran)" '[ "$status" = 0 ] && [ "$ran" = yes ]'
run rule add --comm "$name" --status 42
check "rule add --comm --status 42: exit 0 (got $rc)" [ "$rc" = 0 ]
check "... 'rule N added'" out_has '^rule [0-9]+ added$'
id=$(rule_id)
exec_script
check "the script's exec: status 42 (got $status)" [ "$status" = 42 ]
check "... and its first command never ran" [ "$ran" = no ]
exec_script env
checkx "exec'd from another program: status 42 too (got $status, ran $ran)" '[ "$status" = 42 ] && [ "$ran" = no ]'

# ---- list
run rule list
check "rule list: exit 0 (got $rc)" [ "$rc" = 0 ]
check "rule list: a header" out_has '^ID +ACTION +LEFT +FIRED +CONDITIONS$'
check "rule list: the row, fired twice" out_has "^$id +status 42 +- +2 +--comm $name\$"
run rule list --json
check "rule list --json: the rule" json_check \
	"[(e['comm'], e['status'], e['left'], e['fired'], e['audit'], e['path']) for e in d if e['id'] == $id] == [('$name', 42, None, 2, False, None)]"

# ---- del
run rule del "$id"
check "rule del $id: exit 0 (got $rc)" [ "$rc" = 0 ]
exec_script
checkx "deleted: the script runs (status $status, ran $ran)" '[ "$status" = 0 ] && [ "$ran" = yes ]'
run rule del "$id"
checkx "rule del $id again: exit 2, no such rule (got $rc)" '[ "$rc" = 2 ] && err_has "no such rule"'
run rule del zero
check "rule del zero: exit 1 (got $rc)" [ "$rc" = 1 ]

# ---- --count and --audit
run rule add --comm "$name" --count 2
exec_script
s1=$status r1=$ran
exec_script
s2=$status r2=$ran
exec_script
check "--count 2: killed twice (137 137), then runs ($s1 $s2 $status $ran)" \
	[ "$s1 $r1 $s2 $r2 $status $ran" = "137 no 137 no 0 yes" ]
run rule list --json
check "... and the rule expired" json_check 'd == []'

run rule add --comm "$name" --audit
aid=$(rule_id)
exec_script
checkx "--audit: the script runs (status $status, ran $ran)" '[ "$status" = 0 ] && [ "$ran" = yes ]'
run rule list --json
check "... its fired count is 1" json_check "[e['fired'] for e in d if e['id'] == $aid] == [1] and d[0]['audit'] is True"
run rule add --comm "$name" --audit --status 3
check "--audit --status: exit 1 (got $rc)" [ "$rc" = 1 ]
"$PROCTERM" rule flush >/dev/null

# ---- conditions: --path (a symlink, resolved), --uid, --parent-comm, --cgroup
ln -s "$script" "$tmp/link"
run rule add --path "$tmp/link" --status 5
check "rule add --path LINK: exit 0 (got $rc)" [ "$rc" = 0 ]
run rule list --json
check "... stored resolved, as the interpreter of a script would not be" \
	json_check "d[0]['path'] == '$(realpath "$script")'"
# A script's executable is its interpreter: the path rule is on the
# script file, so it does not match the script's exec.
exec_script
check "--path SCRIPT: a script's exe is its interpreter, no match (status $status)" [ "$status" = 0 ]
"$PROCTERM" rule flush >/dev/null
sh=$(realpath /bin/sh)
run rule add --path /bin/sh --parent-comm "$name" --status 6
check "rule add --path /bin/sh --parent-comm: exit 0 (got $rc)" [ "$rc" = 0 ]
run rule list --json
check "... stored as $sh" json_check "d[0]['path'] == '$sh'"
# The script (comm $name) runs /bin/sh as a child: that one dies.
printf '#!/bin/sh\n/bin/sh -c "exit 0"\necho $? >"$1"\n' >"$tmp/$name"
exec_script
check "--parent-comm $name: the script's child sh got status 6 ($(cat "$marker" 2>/dev/null))" \
	[ "$(cat "$marker" 2>/dev/null)" = 6 ]
printf '#!/bin/sh\n: >"$1"\nexit 0\n' >"$script"
"$PROCTERM" rule flush >/dev/null

run rule add --comm "$name" --uid nobody --status 7
check "rule add --uid nobody: exit 0 (got $rc)" [ "$rc" = 0 ]
exec_script
check "--uid nobody: root's exec runs (status $status)" [ "$status" = 0 ]
exec_script setpriv --reuid=$nobody --regid=$nobody --clear-groups
checkx "--uid nobody: nobody's exec: status 7, never ran ($status $ran)" '[ "$status" = 7 ] && [ "$ran" = no ]'
"$PROCTERM" rule flush >/dev/null

if [ -w /sys/fs/cgroup/cgroup.procs ]; then
	cg=/pt_cli_rule_$$
	mkdir "/sys/fs/cgroup$cg"
	run rule add --comm "$name" --cgroup "$cg/" --status 8
	check "rule add --cgroup $cg/: exit 0 (got $rc)" [ "$rc" = 0 ]
	exec_script
	check "--cgroup: outside it the script runs (status $status)" [ "$status" = 0 ]
	rm -f "$marker"
	bash -c 'echo $$ >/sys/fs/cgroup'"$cg"'/cgroup.procs && exec "$@"' _ "$script" "$marker" >/dev/null 2>&1
	status=$?
	checkx "--cgroup: inside it, status 8 (got $status)" '[ "$status" = 8 ] && [ ! -e "$marker" ]'
	run rule list --json
	check "... listed as $cg" json_check "d[0]['cgroup'] == '$cg'"
	"$PROCTERM" rule flush >/dev/null
	rmdir "/sys/fs/cgroup$cg"
	run rule add --cgroup /pt_no_such_cgroup
	check "rule add --cgroup of a missing cgroup: exit 2 (got $rc)" [ "$rc" = 2 ]
else
	skip "--cgroup" "no cgroup v2 hierarchy at /sys/fs/cgroup"
fi
run rule add --status 3
checkx "rule add without a condition: exit 1 (got $rc)" '[ "$rc" = 1 ] && err_has "at least one condition"'

# ---- save and load
"$PROCTERM" rule add --comm "$name" --status 9 >/dev/null
"$PROCTERM" rule add --comm 'a b' --uid 1000 --count 3 >/dev/null
"$PROCTERM" rule add --parent-comm "it's" --audit >/dev/null
run rule save
check "rule save: exit 0 (got $rc)" [ "$rc" = 0 ]
saved=$out
printf '%s\n' "$saved" >"$tmp/rules"
check "rule save: a comment and three rules" out_lines 4
run rule list --json
before=$(printf '%s' "$out" | "$python" -c 'import json,sys; print([{k: v for k, v in e.items() if k not in ("id", "fired")} for e in json.load(sys.stdin)])')
"$PROCTERM" rule flush >/dev/null
run rule load "$tmp/rules"
checkx "rule load FILE: exit 0 (got $rc)" '[ "$rc" = 0 ] && out_has '\''^3 rules added$'\'''
run rule list --json
after=$(printf '%s' "$out" | "$python" -c 'import json,sys; print([{k: v for k, v in e.items() if k not in ("id", "fired")} for e in json.load(sys.stdin)])')
check "save, flush, load: the same rules" [ "$before" = "$after" ]
run rule save
check "... and saving again gives the same file" [ "$out" = "$saved" ]
exec_script
check "the loaded rule fires: status 9 (got $status)" [ "$status" = 9 ]

out=$(printf '# a comment\n\n   \n--comm x1 --status 1\nadd --comm "x 2"\n' | "$PROCTERM" rule load --flush - 2>&1)
rc=$?
check "rule load --flush -: comments, blank lines, an 'add': exit 0 (got $rc)" [ "$rc" = 0 ]
run rule list --json
check "... exactly those two rules" json_check "[e['comm'] for e in d] == ['x1', 'x 2']"

printf -- '--comm y1\n--comm y2 --bogus\n--comm "y3\n--uid nosuchuser_x\n' >"$tmp/bad"
run rule load "$tmp/bad"
check "a file with bad lines: exit 1 (got $rc)" [ "$rc" = 1 ]
checkx "... each bad line named" 'err_has "bad:2: unknown option .--bogus." && err_has "bad:3: unterminated double quote" && err_has "bad:4: no such user"'
check "... and nothing added" err_has "3 bad lines; no rule was added"
run rule list --json
check "... the table as it was" json_check "[e['comm'] for e in d] == ['x1', 'x 2']"

# ---- the table's limit: exit 9, all or nothing
if [ -w "$param" ]; then
	param_saved=$(cat "$param")
	echo 3 >"$param"
	printf -- '--comm z1\n--comm z2\n' >"$tmp/two"
	run rule load "$tmp/two"
	check "max_rules=3, two rules listed, two loaded: exit 9 (got $rc)" [ "$rc" = 9 ]
	check "... the line is named" err_has "two:2: the table is full"
	run rule list --json
	check "... and the first was taken back" json_check "[e['comm'] for e in d] == ['x1', 'x 2']"
	echo "$param_saved" >"$param"
	param_saved=
else
	skip "max_rules" "no max_rules parameter"
fi

# ---- privilege: CAP_SYS_ADMIN
if cli_nobody_ready; then
	run_nobody rule list
	check "nobody: rule list: exit 3 (got $rc)" [ "$rc" = 3 ]
	run_nobody rule add --comm "$name"
	checkx "nobody: rule add: exit 3 (got $rc)" '[ "$rc" = 3 ] && err_has "CAP_SYS_ADMIN"'
	run_nobody rule flush
	check "nobody: rule flush: exit 3 (got $rc)" [ "$rc" = 3 ]
else
	not_ok "nobody cannot run $PROCTERM (setpriv missing or no access)"
fi

# ---- the systemd unit's commands, as written in it
unit=$here/../ctl/systemd/procterm-rules.service
if [ -f "$unit" ]; then
	start_cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s|/etc/procterm/rules|$tmp/rules|; s|^/usr/sbin/procterm|$PROCTERM|")
	stop_cmd=$(sed -n 's/^ExecStop=//p' "$unit" | sed "s|^/usr/sbin/procterm|$PROCTERM|")
	$start_cmd >/dev/null 2>&1
	rc=$?
	run rule list --json
	check "the unit's ExecStart loads the saved rules ($rc)" json_check "len(d) == 3 and d[0]['comm'] == '$name'"
	$stop_cmd >/dev/null 2>&1
	run rule list --json
	check "the unit's ExecStop flushes them" json_check 'd == []'
else
	not_ok "no ctl/systemd/procterm-rules.service"
fi

run rule flush
check "rule flush: exit 0 (got $rc)" [ "$rc" = 0 ]
exec_script
check "after flush the script runs (status $status)" [ "$status" = 0 ]

cli_end
