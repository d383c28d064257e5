#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side test runner: loads procterm.ko, runs every test program, checks
# the module's reference count and the kernel log, unloads the module.
#
# Runs as root on the kernel under test (normally inside the QEMU guest that
# "make check" boots, with the repository at the same path as on the host).
# Output is a stream of the test programs' own TAP/KTAP output plus a few
# lines of ours; a result is every line matching
#     ^\s*ok N ...          pass (with "# SKIP" in it: skipped)
#     ^\s*not ok N ...      failure
# The last line is PROCTERM-GUEST-DONE when the run got to its end.
#
# Environment (all optional):
#   PROCTERM_REPO   repository root        (default: this script's parent)
#   PROCTERM_KO     module to load         (default: REPO/build/$(uname -r)/procterm.ko)
#   PROCTERM        CLI                    (default: REPO/ctl/procterm)
#   PROCTERM_TESTS  space-separated names or shell patterns of the test
#                   programs to run        (default: all)
#   PROCTERM_SKIP_TESTS  names or patterns of test programs not to run here
#                   (make check ONCE_TESTS=; listed, not counted as skipped)
#   PROCTERM_OUT    directory that receives dmesg.txt (the kernel log of the run)
#
# Test programs are the executables tests/*_test and tests/*_test.sh, run in
# sorted order from tests/ with stdin from /dev/null, each under timeout(1)
# (tests/settings: "timeout=SECONDS", default 300) in a session of its own;
# what it leaves running when it ends is listed and killed. A program that exits
# neither 0 nor 4 (KSFT_SKIP) without printing a "not ok" line gets one;
# exit 4 with no result line counts as one skip, exit 0 with none as one pass.
set -uo pipefail
export LC_ALL=C

repo=${PROCTERM_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
kver=$(uname -r)
ko=${PROCTERM_KO:-$repo/build/$kver/procterm.ko}
export PROCTERM_REPO=$repo PROCTERM_KO=$ko
export PROCTERM=${PROCTERM:-$repo/ctl/procterm}
export PATH="$repo/ctl:$PATH"
export TMPDIR=${TMPDIR:-/tmp}
tests_dir=$repo/tests
mod=/sys/module/procterm

splat='BUG:|WARNING:|Oops|general protection|sleeping function called|scheduling while atomic|refcount_t|lockdep|possible recursive locking|possible circular|UBSAN|KASAN|kmemleak|Call Trace|Kernel panic|soft lockup|hard LOCKUP|rcu_(preempt|sched)? ?detected stall|blocked for more than'
result_re='^[[:space:]]*(not )?ok [0-9]+'

pass=0 fail=0 skip=0 n=0
work=$(mktemp -d "$TMPDIR/procterm-run.XXXXXX")

# One result line of ours: guest_tap ok|"not ok" DESCRIPTION [# SKIP ...]
# Also kept in a file of its own, to be counted like a program's output.
guest_tap() {
	n=$((n + 1))
	echo "$1 $n guest: $2" | tee -a "$mine"
}

# Add the results in file $1 to the totals: the same rule as the host's
# (tests/qemu/run.sh), "# SKIP" on either kind of line makes a skip.
count() {
	local p f s
	read -r p f s < <(awk '
		/^[[:space:]]*(not )?ok [0-9]+/ {
			if (toupper($0) ~ /#[[:space:]]*SKIP/) s++
			else if ($0 ~ /^[[:space:]]*not ok/) f++
			else p++
		}
		END { printf "%d %d %d\n", p, f, s }' "$1")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# "comment" every line of stdin.
comment() { sed 's/^/# /'; }

mine=$work/guest.out
: > "$mine"

echo "TAP version 13"
echo "# procterm tests on $kver ($(uname -v))"

# Kernel log of this run: follow from now on, so that a full ring buffer
# cannot hide anything.
dmesg --follow-new > "$work/dmesg" 2>&1 &
dmesg_pid=$!
sleep 0.3

# ---- load the module
loaded=0
if [ -d "$mod" ]; then
	echo "# procterm already loaded, using it"
	loaded=1
elif [ ! -f "$ko" ]; then
	guest_tap "not ok" "insmod $ko: no such file"
elif out=$(insmod "$ko" 2>&1); then
	guest_tap ok "insmod $ko"
	loaded=1
else
	guest_tap "not ok" "insmod $ko"
	echo "$out" | comment
fi
base=0
[ "$loaded" = 1 ] && base=$(cat "$mod/refcnt")

# ---- run the test programs
timeout=$(sed -n 's/^timeout=\([0-9][0-9]*\).*/\1/p' "$tests_dir/settings" 2>/dev/null | tail -n 1)
timeout=${timeout:-300}
# Debug kernels under TCG run many times slower (tests/qemu/run.sh sets
# PROCTERM_TIMEOUT_SCALE in the guest's environment).
timeout=$((timeout * ${PROCTERM_TIMEOUT_SCALE:-1}))

# The filter's patterns, split on blanks and not expanded as file names.
read -r -a pats <<< "${PROCTERM_TESTS:-}"
read -r -a skip_pats <<< "${PROCTERM_SKIP_TESTS:-}"
# matches NAME PATTERN...: NAME (or NAME without .sh) is one of the patterns.
matches() {
	local name=$1 pat
	shift
	for pat in "$@"; do
		# shellcheck disable=SC2053 # a pattern on purpose
		[[ $name == $pat || $name == $pat.sh ]] && return 0
	done
	return 1
}
progs=()
not_here=()
for p in "$tests_dir"/*_test "$tests_dir"/*_test.sh; do
	[ -f "$p" ] || continue
	case "$p" in
	*.sh) ;;
	*) [ -x "$p" ] || continue ;;
	esac
	name=$(basename "$p")
	if [ "${#pats[@]}" -gt 0 ] && ! matches "$name" "${pats[@]}"; then
		continue
	fi
	if [ "${#skip_pats[@]}" -gt 0 ] && matches "$name" "${skip_pats[@]}"; then
		not_here+=("$name")
		continue
	fi
	progs+=("$name")
done
mapfile -t progs < <(printf '%s\n' "${progs[@]}" | sort | sed '/^$/d')
# Not a skip: the run was asked to leave them to other kernels.
[ "${#not_here[@]}" -eq 0 ] ||
	echo "# not run on this kernel (PROCTERM_SKIP_TESTS, run on the ONCE_KERNELS): ${not_here[*]}"

[ "${#progs[@]}" -gt 0 ] || echo "# no test programs in $tests_dir"
i=0
for name in "${progs[@]}"; do
	i=$((i + 1))
	echo "# ==== [$i/${#progs[@]}] $name (timeout ${timeout}s)"
	cmd=("./$name")
	# PT_HARNESS_ARGS: harness options for the *_test programs, e.g.
	# "-f exit_group" for one fixture of tree_test (tests/README).
	if [[ $name != *.sh && -n ${PT_HARNESS_ARGS:-} ]]; then
		read -r -a hargs <<< "$PT_HARNESS_ARGS"
		cmd+=("${hargs[@]}")
	fi
	if [[ $name == *.sh && ! -x $tests_dir/$name ]]; then
		echo "# $name is not executable; running it with bash"
		cmd=(bash "./$name")
	fi
	log=$work/$name.out
	t0=$(date +%s%N)
	# A line a minute while the test runs: the host stops a guest that
	# stays silent (tests/qemu/run.sh, QEMU_SILENCE), and a slow test on a
	# live kernel is not that.
	( s=0; while sleep 60; do s=$((s + 60)); echo "# $name: still running after ${s}s"; done ) &
	beat=$!
	# The program writes to its log file, not to a pipe, in a session
	# of its own: a process it leaves behind cannot keep the runner
	# waiting for an end of file, and is found by its session id (the
	# timeout process's PID) once the program is done.
	(cd "$tests_dir" && exec setsid timeout -k 10 "$timeout" "${cmd[@]}" \
		</dev/null >"$log" 2>&1) &
	sid=$!
	tail -n +1 -s 0.2 --pid="$sid" -f "$log"
	wait "$sid"
	rc=$?
	kill "$beat" 2>/dev/null
	wait "$beat" 2>/dev/null
	left=$(pgrep -d, -s "$sid" 2>/dev/null)
	if [ -n "$left" ]; then
		echo "# $name left processes behind (session $sid), killed now:"
		ps -o pid=,ppid=,stat=,comm= -p "$left" 2>/dev/null | head -n 20 | comment
		pkill -KILL -s "$sid" 2>/dev/null
	fi
	t1=$(date +%s%N)
	results=$(grep -cE "$result_re" "$log")
	failed=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$log")
	extra=
	case "$rc" in
	0)	[ "$results" -gt 0 ] || extra="ok 1 $name" ;;
	4)	[ "$results" -gt 0 ] || extra="ok 1 $name # SKIP" ;;
	124|137)
		echo "# $name: timed out after ${timeout}s"
		[ "$failed" -gt 0 ] || extra="not ok 1 $name timed out after ${timeout}s" ;;
	*)	[ "$failed" -gt 0 ] || extra="not ok 1 $name exited with code $rc" ;;
	esac
	if [ -n "$extra" ]; then
		echo "$extra" | tee -a "$log"
	fi
	count "$log"
	printf '# ==== %s: exit %d, %d.%01d s\n' "$name" "$rc" \
		$(((t1 - t0) / 1000000000)) $((((t1 - t0) / 100000000) % 10))
	# A test may unload the module on purpose; the next one gets it back.
	if [ "$loaded" = 1 ] && [ ! -d "$mod" ]; then
		echo "# $name left procterm unloaded; loading it again"
		insmod "$ko" 2>&1 | comment
	fi
done

# ---- module reference count back to where it started
if [ "$loaded" = 1 ] && [ -d "$mod" ]; then
	# Deferred work may still be draining: give it a few seconds.
	for _ in $(seq 50); do
		[ "$(cat "$mod/refcnt")" = "$base" ] && break
		sleep 0.1
	done
	now=$(cat "$mod/refcnt")
	if [ "$now" = "$base" ]; then
		guest_tap ok "module refcnt back to $base"
	else
		guest_tap "not ok" "module refcnt is $now, was $base before the tests"
	fi
	if out=$(rmmod procterm 2>&1); then
		guest_tap ok "rmmod procterm"
	else
		guest_tap "not ok" "rmmod procterm"
		echo "$out" | comment
	fi
else
	guest_tap ok "module refcnt # SKIP module not loaded"
	guest_tap ok "rmmod procterm # SKIP module not loaded"
fi

# ---- kernel log: nothing alarming since the start (module exit included)
sleep 0.5
kill "$dmesg_pid" 2>/dev/null
wait "$dmesg_pid" 2>/dev/null
if [ -n "${PROCTERM_OUT:-}" ] && [ -d "$PROCTERM_OUT" ]; then
	cp "$work/dmesg" "$PROCTERM_OUT/dmesg.txt" 2>/dev/null
fi
if grep -qE "$splat" "$work/dmesg"; then
	guest_tap "not ok" "kernel log has warnings"
	grep -E "$splat" "$work/dmesg" | head -n 50 | comment
	# The first report in full: it usually explains the rest.
	echo "# first report and what follows it:"
	awk -v re="$splat" 'hit || $0 ~ re { hit = 1; print }' "$work/dmesg" |
		head -n 80 | comment
else
	guest_tap ok "kernel log clean"
fi

count "$mine"
echo "# guest totals: pass $pass, fail $fail, skip $skip"
rm -rf "$work"
echo "PROCTERM-GUEST-DONE"
[ "$fail" -eq 0 ]
