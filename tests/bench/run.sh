#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every procterm benchmark in this boot and print one table.
#
#   tests/bench/run.sh        as root, with procterm.ko loaded
#
# `make bench` runs it inside a QEMU guest. The knobs are environment
# variables, listed in docs/benchmarks.md; the raw figures go to $BENCH_OUT
# as JSON. Exit status: 0 when every benchmark ran (a missed goal is only
# reported), 1 when one failed, 4 when the module is not loaded (unless
# BENCH_ANCHORS_ONLY=1).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$here/procterm_bench

say() { printf '%s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
json_str() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# ---- the program, built on the host (the guest sees the tree read-only) ----
stale=0
if [ -x "$bin" ] && [ -x "$here/procterm_bench_member" ]; then
	for f in "$here"/*.c "$here"/*.h "$here/Makefile" "$repo"/tests/procterm_nl.[ch] \
		 "$repo/include/uapi/linux/procterm.h"; do
		[ "$f" -nt "$bin" ] && stale=1
	done
else
	stale=1
fi
if [ "$stale" = 1 ]; then
	if [ -w "$here" ] && command -v make >/dev/null; then
		make -s -C "$here" || { say "run.sh: building procterm_bench failed"; exit 1; }
	elif [ -x "$bin" ]; then
		say "run.sh: warning: $bin is older than its sources and cannot be rebuilt here"
	else
		say "run.sh: $bin is missing; build it first: make -C tests/bench"
		exit 1
	fi
fi

# ---- where the JSON goes ----
if [ -z "${BENCH_OUT:-}" ]; then
	if mkdir -p "$repo/build" 2>/dev/null && [ -w "$repo/build" ]; then
		BENCH_OUT=$repo/build/bench.json
	elif [ -n "${PROCTERM_OUT:-}" ] && [ -d "$PROCTERM_OUT" ] && [ -w "$PROCTERM_OUT" ]; then
		BENCH_OUT=$PROCTERM_OUT/bench.json
	else
		BENCH_OUT=/tmp/bench.json
	fi
fi

# ---- the module ----
export BENCH_ANCHORS_ONLY=${BENCH_ANCHORS_ONLY:-0}
"$bin" probe
case $? in
0)	module=true ;;
4)	module=false
	if [ "$BENCH_ANCHORS_ONLY" != 1 ]; then
		say "run.sh: procterm.ko is not loaded, so there is nothing to compare."
		say "        Load it (insmod kmod/procterm.ko), or run with BENCH_ANCHORS_ONLY=1"
		say "        to measure the anchors alone."
		exit 4
	fi
	say "run.sh: BENCH_ANCHORS_ONLY=1: measuring the anchors only" ;;
*)	exit 1 ;;
esac

[ "$(id -u)" = 0 ] ||
	say "run.sh: warning: not root; cgroup.kill and the fork storm need root and will be skipped or fail"

# ---- what to run ----
BENCH_ONLY=${BENCH_ONLY:-single rate tree storm deferred cli reap exec}
BENCH_TREE_SHAPES=${BENCH_TREE_SHAPES:-wide deep}
# A level of a deep chain is a fork + exec of a program without a C library
# (chain.c): cheap enough for 10000 by default.
BENCH_TREE_WIDE_SIZES=${BENCH_TREE_WIDE_SIZES:-${BENCH_TREE_SIZES:-100 1000 10000}}
BENCH_TREE_DEEP_SIZES=${BENCH_TREE_DEEP_SIZES:-${BENCH_TREE_SIZES:-100 1000 10000}}
# The 100000-process wide tree is opt-in (docs/benchmarks.md, "Scale"):
# under TCG building it takes longer than a whole default run.
BENCH_TREE_HUGE=${BENCH_TREE_HUGE:-0}
if [ "$BENCH_TREE_HUGE" = 1 ]; then
	case " $BENCH_TREE_WIDE_SIZES " in
	*" 100000 "*) ;;
	*) BENCH_TREE_WIDE_SIZES="$BENCH_TREE_WIDE_SIZES 100000" ;;
	esac
fi
# Methods for trees of more than 10000: the walker is the anchor of the
# N = 10000 goal; at 100000 its /proc scans add minutes.
BENCH_TREE_HUGE_METHODS=${BENCH_TREE_HUGE_METHODS:-procterm,cgroup_kill}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1200}
BENCH_EXEC_ROUNDS=${BENCH_EXEC_ROUNDS:-3}
export PROCTERM=${PROCTERM:-$repo/ctl/procterm}

kernel=$(uname -r)
cpus=$(getconf _NPROCESSORS_ONLN)
mem_kb=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
virt=native
grep -qw hypervisor /proc/cpuinfo && virt=virtual
say "procterm benchmarks: kernel $kernel, $cpus CPUs ($virt), $((mem_kb / 1024)) MiB"
say "  BENCH_ONLY=\"$BENCH_ONLY\""
say "  trees: wide N in \"$BENCH_TREE_WIDE_SIZES\", deep N in \"$BENCH_TREE_DEEP_SIZES\" (BENCH_TREE_SHAPES=\"$BENCH_TREE_SHAPES\")"
say "  JSON: $BENCH_OUT"

# A throw-away guest (make bench sets BENCH_RAISE_LIMITS=1) lets the
# largest tree fit: PIDs and threads are limited by sysctls, not memory.
max_tree=0
for n in $BENCH_TREE_WIDE_SIZES $BENCH_TREE_DEEP_SIZES; do
	[ "$n" -gt "$max_tree" ] 2>/dev/null && max_tree=$n
done
if [ "${BENCH_RAISE_LIMITS:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
	want=$((max_tree * 2 + 20000))
	for f in pid_max threads-max; do
		cur=$(cat "/proc/sys/kernel/$f")
		[ "$cur" -ge "$want" ] && continue
		v=$want
		[ "$f" = pid_max ] && [ "$v" -gt 4194304 ] && v=4194304
		echo "$v" > "/proc/sys/kernel/$f" && say "  kernel.$f: $cur -> $v (BENCH_RAISE_LIMITS=1)"
	done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/procterm-bench.XXXXXX") || exit 1

# Groups a killed benchmark could not remove: MNT/procterm-bench.PID/tN.
cleanup_cgroups() {
	local mnt d sub pid
	mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$mnt" ] || return 0
	for d in "$mnt"/procterm-bench.*; do
		[ -d "$d" ] || continue
		pid=${d##*.}
		kill -0 "$pid" 2>/dev/null && continue
		for sub in "$d"/*/; do
			[ -d "$sub" ] || continue
			echo 1 > "$sub/cgroup.kill" 2>/dev/null
			for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$sub" 2>/dev/null && break; sleep 0.5; done
		done
		rmdir "$d" 2>/dev/null
	done
}
# timeout(1) runs the benchmark in a process group of its own, out of reach
# of the terminal's ^C: pass such signals on, so that it cleans up.
child=
# shellcheck disable=SC2317  # invoked by the trap
stop() {
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
	exit 130
}
# ---- exec: the module unloaded, and loaded with 0, 1 and 100 rules ----
# The rules never match the program exec'd (procterm_bench_chain): every
# one fails a condition the probe checks, except in phase rules1_work,
# whose rule passes the probe (comm) and fails in the task work (path).
exec_ran=0		# run_exec() began: exec_restore() has work
exec_dirty=0		# rules of ours may be listed
exec_saved=		# the rules listed before, as "rule save" wrote them
exec_cg=		# a cgroup for the --cgroup rule, removed afterwards
exec_module_ok() { [ -d /sys/module/procterm ]; }
exec_insmod() {
	exec_module_ok && return 0
	if [ -z "${PROCTERM_KO:-}" ] || ! insmod "$PROCTERM_KO"; then
		say "run.sh: exec: cannot load procterm again (insmod ${PROCTERM_KO:-: PROCTERM_KO unset}): the module is NOT loaded"
		return 1
	fi
	say "exec: procterm loaded again ($PROCTERM_KO)"
}
exec_rules() {
	exec_dirty=1
	if [ -s "$1" ]; then
		"$PROCTERM" rule load --flush "$1" >/dev/null
	else
		"$PROCTERM" rule flush >/dev/null
	fi
}
# Whatever happened: the module loaded, our rules gone, the user's back.
exec_restore() {
	[ "$exec_ran" = 1 ] || return 0
	exec_insmod || return 1
	if [ "$exec_dirty" = 1 ]; then
		"$PROCTERM" rule flush >/dev/null || say "run.sh: exec: rule flush failed"
		exec_dirty=0
	fi
	if [ -n "$exec_saved" ] && [ -s "$exec_saved" ]; then
		"$PROCTERM" rule load "$exec_saved" >/dev/null ||
			say "run.sh: exec: the rules listed before could not be loaded again (they were in $exec_saved)"
	fi
	exec_saved=
	if [ -n "$exec_cg" ]; then
		rmdir "$exec_cg" 2>/dev/null
		exec_cg=
	fi
}
trap 'exec_restore; rm -rf "$work"; cleanup_cgroups' EXIT
trap stop INT TERM HUP

names=()
rcs=()
durs=()
failed=0
run_one() {
	local name=$1 t0 t1 rc
	shift
	say ""
	t0=$(now)
	timeout -k 30 "$BENCH_TIMEOUT" "$bin" -d "$work" "$@" &
	child=$!
	# A tree of 10000 reaps or walks for minutes without a word: the
	# harness stops a guest silent for QEMU_SILENCE (240 s).
	( n=0; while sleep 60; do n=$((n + 60)); say "  ($name: still running after $n s)"; done ) &
	beat=$!
	wait "$child"
	rc=$?
	kill "$beat" 2>/dev/null
	wait "$beat" 2>/dev/null
	child=
	t1=$(now)
	case $rc in
	0)	;;
	124|137) say "run.sh: $name: timed out after ${BENCH_TIMEOUT} s (BENCH_TIMEOUT)"; failed=1 ;;
	*)	say "run.sh: $name: exit status $rc"; failed=1 ;;
	esac
	[ "$rc" = 0 ] || cleanup_cgroups
	names+=("$name")
	rcs+=("$rc")
	durs+=("$(secs "$t0" "$t1")")
	say "  ($name: $(secs "$t0" "$t1") s)"
}

# A phase "unloaded" that cannot be measured leaves the reason in the
# summary's input.
exec_skip() {
	printf 'exec-r%s\tunloaded\tskipped\t%s\n' "$1" "$2" > "$work/exec-unloaded-r$1.kv"
	say "run.sh: exec: round $1: no 'unloaded' anchor: $2"
}

run_exec() {
	local chain comm mnt f i r k p phases nph unload_ok=1
	if [ "$module" != true ]; then
		say "run.sh: exec: skipped: it measures the module against its absence"
		return
	fi
	exec_ran=1
	chain=${BENCH_CHAIN:-$here/procterm_bench_chain}
	comm=$(basename "$chain")
	comm=${comm:0:15}
	# The rules' files: one rule, one that passes the probe, a hundred.
	f=$work/exec-rules
	mkdir -p "$f"
	echo "--comm nomatch000" > "$f/1"
	echo "--comm $comm --path $PROCTERM" > "$f/1_work"
	mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	: > "$f/100"
	if [ -n "$mnt" ] && mkdir "$mnt/procterm-exec-nomatch.$$" 2>/dev/null; then
		exec_cg=$mnt/procterm-exec-nomatch.$$
		echo "--cgroup /procterm-exec-nomatch.$$" >> "$f/100"
	else
		echo "--comm nomatch099 --cgroup /" >> "$f/100"
	fi
	echo "--comm nomatch098 --path $PROCTERM" >> "$f/100"
	for i in $(seq 1 98); do
		case $((i % 5)) in
		0) echo "--comm nomatch$(printf %03d "$i")" ;;
		1) echo "--comm nomatch$(printf %03d "$i") --uid $((40000 + i))" ;;
		2) echo "--parent-comm nomatch$(printf %03d "$i")" ;;
		3) echo "--uid $((40000 + i))" ;;
		4) echo "--comm $comm --uid $((40000 + i))" ;;
		esac >> "$f/100"
	done
	: > "$f/0"
	exec_saved=$work/exec-saved-rules
	if "$PROCTERM" rule save 2>/dev/null | grep -v '^#' > "$exec_saved" && [ -s "$exec_saved" ]; then
		say "run.sh: exec: the $(wc -l < "$exec_saved") rules listed now are set aside and loaded again afterwards"
	fi
	[ -n "${PROCTERM_KO:-}" ] && [ -f "$PROCTERM_KO" ] || unload_ok=0
	phases=(unloaded rules0 rules1 rules1_work rules100)
	nph=${#phases[@]}
	say ""
	say "exec: $BENCH_EXEC_ROUNDS rounds of ${phases[*]} (the first phase rotates)"
	for r in $(seq 1 "$BENCH_EXEC_ROUNDS"); do
		for k in $(seq 0 $((nph - 1))); do
			p=${phases[$(((k + r - 1) % nph))]}
			case $p in
			unloaded)
				if [ "$unload_ok" = 0 ]; then
					exec_skip "$r" "PROCTERM_KO is unset or missing: the module could not be loaded again"
					continue
				fi
				"$PROCTERM" rule flush >/dev/null 2>&1
				exec_dirty=0
				if ! rmmod procterm; then
					exec_skip "$r" "rmmod procterm failed"
					continue
				fi
				say "exec: procterm unloaded" ;;
			rules*)
				exec_insmod || { failed=1; return; }
				exec_rules "$f/${p#rules}" || {
					say "run.sh: exec: the rules of phase $p could not be loaded"
					failed=1; continue; }
				say "exec: $("$PROCTERM" rule list --json | grep -o '"id":' | wc -l) rules listed" ;;
			esac
			run_one "exec-$p-r$r" exec --phase "$p" --round "$r"
		done
	done
	exec_restore || failed=1
	exec_ran=0
}

start=$(now)
for b in $BENCH_ONLY; do
	case $b in
	single|rate|storm|deferred|cli)
		run_one "$b" "$b" ;;
	reap)
		run_one reap reap
		run_one reap-busy reap --busy ;;
	tree)
		for shape in $BENCH_TREE_SHAPES; do
			case $shape in
			wide)	sizes=$BENCH_TREE_WIDE_SIZES ;;
			deep)	sizes=$BENCH_TREE_DEEP_SIZES ;;
			*)	say "run.sh: unknown tree shape '$shape'"; failed=1; continue ;;
			esac
			for size in $sizes; do
				if [ "$size" -gt 10000 ] 2>/dev/null; then
					# Under TCG a build of 100000 takes ten minutes or more.
					BENCH_TIMEOUT=${BENCH_HUGE_TIMEOUT:-3600} \
					BENCH_BUILD_TIMEOUT_MS=${BENCH_BUILD_TIMEOUT_MS:-2400000} \
					run_one "tree-$shape-$size" tree --shape "$shape" --size "$size" \
						--methods "$BENCH_TREE_HUGE_METHODS"
				else
					run_one "tree-$shape-$size" tree --shape "$shape" --size "$size"
				fi
			done
		done ;;
	exec)
		run_exec ;;
	*)	say "run.sh: unknown benchmark '$b' in BENCH_ONLY"; failed=1 ;;
	esac
done
wall=$(secs "$start" "$(now)")

say ""
say "==== procterm vs anchors, kernel $kernel, $cpus CPUs ($virt); all figures from this boot ===="
"$bin" summary -j "$work/summary.json" "$work" || failed=1
say ""
say "benchmarks took $wall s"

# ---- the JSON: meta, per-benchmark raw figures, the summary ----
{
	printf '{\n"meta":{"kernel":%s,"cpus":%s,"mem_kb":%s,"virt":%s,"date":%s,' \
		"$(json_str "$kernel")" "$cpus" "${mem_kb:-0}" "$(json_str "$virt")" \
		"$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
	printf '"module_loaded":%s,"wall_s":%s,"env":{' "$module" "$wall"
	sep=
	for v in $(compgen -e | grep -E '^(BENCH_|PROCTERM$)' | sort); do
		[ "$v" = BENCH_OUT ] && continue
		printf '%s%s:%s' "$sep" "$(json_str "$v")" "$(json_str "${!v}")"
		sep=,
	done
	printf '}},\n"runs":['
	sep=
	for i in "${!names[@]}"; do
		printf '%s\n{"name":%s,"exit":%s,"seconds":%s}' "$sep" \
			"$(json_str "${names[$i]}")" "${rcs[$i]}" "${durs[$i]}"
		sep=,
	done
	printf '],\n"benchmarks":{'
	sep=
	for i in "${!names[@]}"; do
		f=$work/${names[$i]}.json
		[ -f "$f" ] || continue
		printf '%s\n%s:' "$sep" "$(json_str "${names[$i]}")"
		cat "$f"
		sep=,
	done
	printf '},\n"summary":'
	if [ -f "$work/summary.json" ]; then cat "$work/summary.json"; else printf 'null\n'; fi
	printf '}\n'
} > "$work/bench.json"
if mkdir -p "$(dirname "$BENCH_OUT")" && cp "$work/bench.json" "$BENCH_OUT.tmp" &&
   mv "$BENCH_OUT.tmp" "$BENCH_OUT"; then
	say "raw figures: $BENCH_OUT"
else
	say "run.sh: cannot write $BENCH_OUT"
	failed=1
fi
exit "$failed"
