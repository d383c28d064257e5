#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# procterm list against the module: the pretty table, --tree, --tsv and
# --json (parsed with python3), rows checked against /proc, escaping of
# command names, addresses shown to root and hidden from nobody.
#
# Needs root, procterm.ko loaded and PROCTERM=<path to the CLI> (default
# ../ctl/procterm). Output is TAP.

. "$(dirname "$0")/cli_lib.sh"

kptr=/proc/sys/kernel/kptr_restrict
kptr_saved=
cli_cleanup_hook() {
	[ -z "$kptr_saved" ] || echo "$kptr_saved" >"$kptr"
}

cli_start

if [ -z "$python" ]; then
	not_ok "python3 is needed to check the JSON output"
fi
# Root sees addresses unless kptr_restrict=2.
if [ "$(cat "$kptr" 2>/dev/null)" = 2 ]; then
	kptr_saved=2
	echo 1 >"$kptr"
fi

spawn
p=$last
# Listed as "sleep", asleep: not while it is still the forked shell.
wait_comm "$p" sleep
wait_state "$p" S
start=$(start_of "$p")
me=$$

# ---- pretty
run list
check "list: exit 0 (got $rc)" [ "$rc" = 0 ]
check "list: a header line" out_has '^ *PID +PPID +HANDLE +ADDRESS +S +THR +UID +COMMAND$'
check "list: the header comes first" \
	[ "$(printf '%s\n' "$out" | head -n1 | tr -s ' ' | sed 's/^ //')" = "PID PPID HANDLE ADDRESS S THR UID COMMAND" ]
check "list: a row for our sleep, with its handle and an address" \
	out_has "^ *$p +$me +$p@$start +0x[0-9a-f]{16} S +1 +0 sleep$"
check "list: a row for PID 1" out_has "^ *1 +0 +1@[0-9]+ "
check "list: sorted by PID" \
	[ "$(printf '%s\n' "$out" | sed 1d | awk '{print $1}' | sort -n -c 2>&1; echo $?)" = 0 ]
check "list: nothing on stderr" [ -z "$err" ]

run list "$p"
check "list PID: exit 0, a header and one row (exit $rc)" [ "$rc" = 0 ] 
check "list PID: two lines" out_lines 2
check "list PID: the row" out_has "^ *$p +$me +$p@$start +0x[0-9a-f]{16} S +1 +0 sleep$"

# ---- --tsv: pid ppid start_time task_addr state threads uid comm
run list --tsv
check "list --tsv: exit 0 (got $rc)" [ "$rc" = 0 ]
check "list --tsv: 8 fields on every line" every_line_fields 8
row=$(tsv_row "$p")
check "list --tsv: our sleep's row (got '$row')" \
	[ "$(printf '%s' "$row" | cut -f1-3,5-8)" = "$p	$me	$start	S	1	0	sleep" ]
addr=$(printf '%s' "$row" | cut -f4)
checkx "list --tsv: task_addr is 0x and 16 hex digits, not 0 ($addr)" \
	'[[ $addr =~ ^0x[0-9a-f]{16}$ && $addr != 0x0000000000000000 ]]'
check "list --tsv: a row for this shell ($me)" [ -n "$(tsv_row "$me")" ]
check "list --tsv: no header" [ -z "$(tsv_row PID)" ]
nproc_tsv=$(printf '%s\n' "$out" | wc -l)
nproc_proc=$(ls -d /proc/[0-9]* | wc -l)
checkx "list --tsv: about as many rows as /proc has processes ($nproc_tsv, $nproc_proc)" \
	'[ "$nproc_tsv" -ge $((nproc_proc - 10)) ] && [ "$nproc_tsv" -le $((nproc_proc + 10)) ]'

run list --tsv "$p" 1
check "list --tsv PID 1: two rows, in the order asked" \
	[ "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" = "$p 1 " ]

# ---- --json
run list --json
check "list --json: exit 0 (got $rc)" [ "$rc" = 0 ]
check "list --json: valid JSON, an array of objects with every key" json_check \
	'isinstance(d, list) and len(d) > 2 and all(set(e) == {"pid", "ppid", "start_time", "handle", "task_addr", "state", "threads", "uid", "comm"} for e in d)'
check "list --json: our sleep's object" json_check \
	"[e for e in d if e['pid'] == $p] == [{'pid': $p, 'ppid': $me, 'start_time': $start, 'handle': '$p@$start', 'task_addr': '$addr', 'state': 'S', 'threads': 1, 'uid': 0, 'comm': 'sleep'}]"
check "list --json: as many objects as --tsv rows, give or take" json_check \
	"abs(len(d) - $nproc_tsv) <= 10"
run list --json "$(unused_pid)"
checkx "list --json UNUSED: exit 2, and still valid JSON: [] (exit $rc)" \
	'[ "$rc" = 2 ] && [ "$out" = "[]" ]'

# ---- --tree
spawn_tree
root=$last
read -r k1 k2 <<<"$kids"
run list --tree
check "list --tree: exit 0 (got $rc)" [ "$rc" = 0 ]
check "list --tree: the children follow their parent, indented by one" \
	[ "$(printf '%s\n' "$out" | awk -v r="$root" '
		f && n < 2 { print $1, $(NF - 1), $NF; n++ } $1 == r { f = 1 }' |
		tr '\n' ' ')" = "$k1 \\_ sleep $k2 \\_ sleep " ]
check "list --tree: PID 1 is a root (not indented)" \
	[ "$(printf '%s\n' "$out" | awk '$1 == 1 { print ($(NF - 1) == "\\_") ? "child" : "root" }')" = root ]
run list --tree --tsv
check "list --tree --tsv: 9 fields on every line" every_line_fields 9
rdepth=$(tsv_row "$root" | cut -f9)
check "list --tree --tsv: the children, depth +1, right after the root" \
	[ "$(printf '%s\n' "$out" | awk -F'\t' -v r="$root" '
		f && n < 2 { print $1, $9; n++ } $1 == r { f = 1 }' |
		tr '\n' ' ')" = "$k1 $((rdepth + 1)) $k2 $((rdepth + 1)) " ]
check "list --tree --tsv: PID 1 has depth 0" [ "$(tsv_row 1 | cut -f9)" = 0 ]
run list --tree --json
check "list --tree --json: valid, with depth, children after the root" json_check \
	"(lambda i: [(e['pid'], e['depth']) for e in d[i + 1:i + 3]] == [($k1, d[i]['depth'] + 1), ($k2, d[i]['depth'] + 1)])([e['pid'] for e in d].index($root))"
# A subtree: what kill --tree would take, depths from its root.
run list --tree "$root"
check "list --tree ROOT: exit 0, a header and the 3 members (exit $rc)" out_lines 4
check "list --tree ROOT: the root, then its children, indented" \
	[ "$(printf '%s\n' "$out" | sed 1d | awk '{ print $1, $(NF - 1) }' | tr '\n' ' ')" = "$root 0 $k1 \\_ $k2 \\_ " ]
run list --tree --tsv "$k1" "$root"
check "list --tree --tsv CHILD ROOT: each subtree once, depths from its root" \
	[ "$(printf '%s\n' "$out" | cut -f1,9 | tr '\t\n' ': ')" = "$k1:0 $root:0 $k2:1 " ]
run list --tree --json "$root" "$(unused_pid)"
check "list --tree --json ROOT UNUSED: exit 2, still the subtree" json_check \
	"[(e['pid'], e['depth']) for e in d] == [($root, 0), ($k1, 1), ($k2, 1)]"
"$PROCTERM" kill --tree "$root" >/dev/null
reap "$root"

# ---- threads, escaping of command names
if [ -x "$helper" ]; then
	mkfifo "$tmp/threads"
	"$helper" threads 4 >"$tmp/threads" 2>/dev/null &
	mt=$!
	started+=("$mt")
	read -r -t 60 _ <"$tmp/threads"
	run list --tsv "$mt"
	check "list: a 4-thread process has threads 4" [ "$(cut -f6 <<<"$out")" = 4 ]
	kill -KILL "$mt"
	reap "$mt"
else
	not_ok "no $helper (make -C tests)"
fi
# A command name with a tab, a backslash and an escape byte.
spawn bash -c 'printf "t\tb\\\\x\033" >/proc/$$/comm; sleep 1000 & wait'
odd=$last
for _ in $(seq 600); do	# up to 30 s: a loaded guest is slow to start bash
	[ "$(cat /proc/$odd/comm)" != bash ] && break
	sleep 0.05
done
run list --tsv "$odd"
check "list --tsv: the tab, backslash and ESC in comm escaped (got '$(cut -f8- <<<"$out")')" \
	[ "$(cut -f8- <<<"$out")" = 't\tb\\x\x1b' ]
check "list --tsv: still 8 fields" every_line_fields 8
run list "$odd"
check "list: escaped in the table too" out_has ' t\\tb\\\\x\\x1b$'
run list --json "$odd"
check "list --json: the comm decodes to the original bytes" json_check \
	"d[0]['comm'] == 't\tb\\\\x\x1b'"
"$PROCTERM" kill --tree "$odd" >/dev/null
reap "$odd"

# ---- errors name the input
nopid=$(unused_pid)
run list "$p" "$nopid"
check "list PID UNUSED: exit 2 (got $rc)" [ "$rc" = 2 ]
check "list PID UNUSED: PID's row is still shown" out_has "^$p +"
check "list PID UNUSED: the message names UNUSED" err_has "^procterm: list $nopid: no such process"
expect_rc "list abc: exit 1" 1 list abc
check "list abc: the message names it" err_has "invalid PID 'abc'"
expect_rc "list 0: exit 1" 1 list 0
check "list 0: out of range" err_has "^procterm: list: PID '0' out of range"
expect_rc "list --json --tsv: exit 1" 1 list --json --tsv
expect_rc "list --bogus: exit 1" 1 list --bogus

# ---- bash completion: names with PIDs, never PID 1 or kernel threads
# complete WORDS...: COMPREPLY for the last word, as bash would ask.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_procterm_completion "$PROCTERM" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | diag
}
complete() { :; }
. "$here/../ctl/completion/procterm.bash-completion"
unset -f complete
spawn
cp=$last
wait_comm "$cp" sleep
complete_words procterm kill ""
all=" ${COMPREPLY[*]} "
checkx "completion: kill offers our sleep, with its name" '[[ "$all" == *" $cp (sleep) "* ]]'
checkx "completion: never PID 1 or 2" '! [[ "$all" == *" 1 ("* || "$all" == *" 2 ("* ]]'
kthreads=$(awk '$4 == 2 { print $1 }' /proc/[0-9]*/stat 2>/dev/null | head -n 20)
bad=
for k in $kthreads; do
	[[ "$all" == *" $k ("* ]] && bad="$bad $k"
done
checkx "completion: no kernel thread (children of PID 2) offered ($bad)" \
	'[ -n "$kthreads" ] && [ -z "$bad" ]'
complete_words procterm kill "$cp"
check "completion: a unique PID completes bare" [ "${COMPREPLY[*]}" = "$cp" ]
complete_words procterm kill "$cp@"
check "completion: PID@ completes to its handle" [ "${COMPREPLY[*]}" = "$cp@$(start_of "$cp")" ]
# Only a process may rename itself.
spawn bash -c 'printf pt-cmpl-x >/proc/$$/comm; sleep 1000 & wait'
named=$last
wait_comm "$named" pt-cmpl-x
complete_words procterm why pt-cmpl
check "completion: why NAME-PREFIX completes to the PID" [ "${COMPREPLY[*]}" = "$named" ]
"$PROCTERM" kill --tree "$named" >/dev/null
reap "$named"
complete_words procterm kill --dr
check "completion: kill --dr -> --dry-run" [ "${COMPREPLY[*]}" = --dry-run ]
complete_words procterm w
check "completion: w offers the watch and why commands (${COMPREPLY[*]})" \
	[ "$(printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd ' ')" = "watch why" ]
complete_words procterm wh
check "completion: the why command" [ "${COMPREPLY[*]}" = why ]
kill -KILL "$cp"
reap "$cp"

# ---- nobody sees no addresses, but every process
if ! cli_nobody_ready; then
	not_ok "nobody cannot run $PROCTERM (setpriv missing or no access)"
else
	run_nobody list --tsv
	check "nobody: list --tsv, exit 0 (got $rc)" [ "$rc" = 0 ]
	check "nobody: list --tsv, 8 fields on every line" every_line_fields 8
	check "nobody: root's sleep is listed" [ -n "$(tsv_row "$p")" ]
	check "nobody: no address shown, in any row" \
		[ "$(printf '%s\n' "$out" | cut -f4 | sort -u)" = 0x0000000000000000 ]
	run_nobody list "$p"
	check "nobody: list PID shows 0x0000000000000000" \
		out_has "^$p +$me +$p@$start +0x0000000000000000 S +1 +0 sleep$"
	run_nobody list --json
	check "nobody: list --json, every task_addr zero" json_check \
		"len(d) > 2 and all(e['task_addr'] == '0x0000000000000000' for e in d)"
fi

cli_end
