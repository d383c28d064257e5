#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian kernels in QEMU and run procterm's tests (or the demo, or a
# shell) in them. This is what "make check", "make demo", "make vm" and
# "make bench" call.
#
#   tests/qemu/run.sh [--check|--demo|--shell|--bench] [FLAVOUR...]
#
# FLAVOUR is 6.1, 6.12 or 6.12-rt (Debian 12's kernels), sid or sid-rt
# (sid's newest, module built in a sid chroot: sid-chroot.sh), debug or
# debug-rt (built here with KASAN, lockdep, kmemleak...: debug-kernel.sh).
# Default for --check: 6.1 6.12 6.12-rt sid; for the others: 6.12. Per kernel
# release KVER everything lands in build/KVER/:
#   procterm.ko      the module, built with W=1 (--check) from build/KVER/src
#   initramfs.gz     busybox + the 9p modules of that kernel + tests/qemu/init
#   console.log      the whole serial console (also streamed to stdout)
#   guest/           shared read-write with the guest: guest.env (what to
#                    run), results.tap (test output), dmesg.txt (kernel log)
#
# --check ends with one line "N passed, N failed, N skipped" over all
# kernels and exits non-zero on any failure.
#
# Environment: MAKE, PROCTERM_TESTS (subset of test programs), QEMU_TIMEOUT
# (seconds per boot, default 3600; for debug kernels QEMU_DEBUG_TIMEOUT,
# default 5400, unless QEMU_TIMEOUT is set), QEMU_SILENCE (a guest silent this
# long is stopped as stuck, default 240), QEMU_ACCEL (kvm or tcg; default:
# KVM when a probe boot works under it, else TCG), QEMU_JOBS (guests booted at once,
# default 1; with more than one the consoles are
# interleaved on stdout, each line tagged [FLAVOUR]), QEMU_SMP
# (2), QEMU_MEM (2G; --bench with BENCH_TREE_HUGE=1: BENCH_QEMU_MEM, 12G),
# QEMU_EXTRA (more QEMU arguments), QEMU_APPEND (more kernel command line),
# PROCTERM_CACHE (downloaded kernels), PROCTERM_ONCE_TESTS and
# PROCTERM_ONCE_KERNELS (make check ONCE_TESTS=... ONCE_KERNELS=...: the
# test programs named by the first, patterns as in PROCTERM_TESTS, run only
# on the flavours named by the second; .ci/run uses it for the tests of the
# CLI and the spec, whose kernel side the C tests drive on every kernel).
set -euo pipefail
# The whole script is one compound command, read completely before it
# starts: editing this file during a run cannot derail the run.
{
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

mode=check
case "${1:-}" in
--check|--demo|--shell|--bench) mode=${1#--}; shift ;;
-h|--help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
-*) die "unknown option $1" ;;
esac
if [ "$#" -eq 0 ]; then
	if [ "$mode" = check ]; then set -- 6.1 6.12 6.12-rt sid; else set -- 6.12; fi
fi

MAKE=${MAKE:-make}
QEMU_TIMEOUT_SET=${QEMU_TIMEOUT:-}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-3600}
QEMU_DEBUG_TIMEOUT=${QEMU_DEBUG_TIMEOUT:-5400}
QEMU_SILENCE=${QEMU_SILENCE:-240}
QEMU_SMP=${QEMU_SMP:-2}
QEMU_MEM_SET=${QEMU_MEM:-}
QEMU_MEM=${QEMU_MEM:-2G}
# make bench BENCH_TREE_HUGE=1: a wide tree of 100001 processes needs about
# 9 GiB in the guest (docs/benchmarks.md, "Scale"); other modes keep 2G.
if [ "$mode" = bench ] && [ -z "$QEMU_MEM_SET" ] && [ "${BENCH_TREE_HUGE:-0}" = 1 ]; then
	QEMU_MEM=${BENCH_QEMU_MEM:-12G}
fi
# One guest at a time by default: each has QEMU_SMP vCPUs, and on a
# two-core host several guests at once starve each other's vCPUs (RCU stall
# reports, timeouts). QEMU_JOBS=N boots N at once where cores allow.
QEMU_JOBS=${QEMU_JOBS:-1}

if [ "$mode" = bench ] && [ ! -e "$repo/tests/bench" ]; then
	echo "bench: not yet implemented (tests/bench is missing)"
	exit 0
fi

# Parallel kbuild unless make already runs with a jobserver.
jobs=()
case "${MAKEFLAGS:-}" in
*j*) ;;
*) jobs=(-j"$(nproc)") ;;
esac

t_start=$(date +%s)
total_pass=0 total_fail=0 total_skip=0
summary=()
# Each failed test's last diagnostic lines, for a log read from its end
# (.ci/run prints this file last).
failures=$repo/build/failures.txt
mkdir -p "$repo/build"
: > "$failures"

# A failure found on the host side: printed as a TAP line and counted.
host_fail() {
	total_fail=$((total_fail + 1))
	summary+=("not ok - host: $*")
	echo "not ok - host: $*"
	echo "not ok - host: $*" >> "$failures"
}

# A heading in the log, with the time since the start.
section() { printf '\n==== [%4ds] %s\n' "$(($(date +%s) - t_start))" "$*"; }

# Single-quote a value for guest.env, which busybox sh and bash both source.
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# ---- host preparation: packages, CLI, test programs
section "host: packages"
if [ "$(id -u)" = 0 ]; then
	"$here/deps.sh" "$@"
else
	echo "not root: not installing packages"
fi

section "host: CLI and test programs"
if [ -f "$repo/ctl/Makefile" ]; then
	"$MAKE" -C "$repo" ctl || host_fail "make ctl failed"
else
	echo "# ctl/Makefile missing: CLI not built"
fi
[ -x "$repo/ctl/procterm" ] || host_fail "ctl/procterm missing"
if [ "$mode" = bench ] && [ -f "$repo/tests/bench/Makefile" ]; then
	"$MAKE" -C "$repo" linux-source
	"$MAKE" -C "$repo/tests/bench" KSFT_INC="$repo/build/linux-source/tools/testing/selftests" ||
		die "building tests/bench failed"
fi
if [ "$mode" = check ]; then
	if [ -f "$repo/tests/Makefile" ]; then
		"$MAKE" -C "$repo" tests || host_fail "make tests failed"
	else
		echo "# tests/Makefile missing: no C test programs built"
	fi
fi

# ---- the Debian packages, installed in a Debian 12 chroot with DKMS, for
# tests/packages_test.sh (tests/qemu/dkms-chroot.sh): when that test runs
# and Debian 12 kernels are among those tested.
test_selected() {
	local -a pats
	local pat
	read -r -a pats <<< "${PROCTERM_TESTS:-}"
	[ "${#pats[@]}" -eq 0 ] && return 0
	for pat in "${pats[@]}"; do
		# shellcheck disable=SC2053 # a pattern on purpose
		[[ $1 == $pat || $1 == $pat.sh ]] && return 0
	done
	return 1
}
# once_skipped FLAVOUR: the PROCTERM_ONCE_TESTS patterns when FLAVOUR is
# not among PROCTERM_ONCE_KERNELS (those tests do not run there), else
# nothing.
once_skipped() {
	local -a kernels
	local k
	[ -n "${PROCTERM_ONCE_TESTS:-}" ] || return 0
	read -r -a kernels <<< "${PROCTERM_ONCE_KERNELS:-}"
	for k in "${kernels[@]}"; do
		[ "$k" = "$1" ] && return 0
	done
	printf '%s' "$PROCTERM_ONCE_TESTS"
}
dkms_root=
if [ "$mode" = check ] && test_selected packages_test.sh; then
	dkms_kvers=()
	for f in "$@"; do
		[ "$(flavour_kind "$f")" = debian ] || continue
		kv=$(flavour_kver "$f") && dkms_kvers+=("$kv")
	done
	if [ "${#dkms_kvers[@]}" -gt 0 ]; then
		section "host: Debian packages (make deb), installed with DKMS in a Debian 12 chroot"
		t_deb=$(date +%s)
		if ! "$MAKE" -C "$repo" deb; then
			host_fail "make deb failed"
		elif ! dkms_root=$("$here/dkms-chroot.sh" "${dkms_kvers[@]}"); then
			dkms_root=
			host_fail "the DKMS chroot (tests/qemu/dkms-chroot.sh) failed"
		fi
		echo "packages and DKMS chroot: $(($(date +%s) - t_deb)) s"
	fi
fi

# ---- one kernel
# Count the results in a TAP stream: every "ok N"/"not ok N" line at any
# indentation is one result; "# SKIP" makes it a skip. Prints "pass fail skip".
tap_count() {
	tr -d '\r' < "$1" | awk '
		/^[[:space:]]*(not )?ok [0-9]+/ {
			if (toupper($0) ~ /#[[:space:]]*SKIP/) s++
			else if ($0 ~ /^[[:space:]]*not ok/) f++
			else p++
		}
		END { printf "%d %d %d\n", p, f, s }'
}

# Each failed test of a TAP stream with the diagnostic lines ("# ...")
# printed since the test before it ended, the last 12 of them.
tap_failures() {
	tr -d '\r' < "$1" | awk '
		/^[[:space:]]*(not )?ok [0-9]+/ {
			if ($0 ~ /^[[:space:]]*not ok/ && toupper($0) !~ /#[[:space:]]*SKIP/) {
				for (i = (n > 12 ? n - 12 : 0); i < n; i++)
					print "    " buf[i % 12]
				print "  " $0
			}
			n = 0
			next
		}
		/^[[:space:]]*#/ { buf[n % 12] = $0; n++ }'
}

# Kernel messages on the console (they carry a [ seconds ] stamp) that mean
# trouble.
console_splats() {
	tr -d '\r' < "$1" | grep -E '^\[ *[0-9]+\.[0-9]+\] .*(BUG:|WARNING:|Oops|general protection|Kernel panic|sleeping function called|scheduling while atomic|refcount_t|possible recursive locking|possible circular|UBSAN|KASAN|kmemleak|Call Trace|soft lockup|hard LOCKUP|detected stalls?|blocked for more than|suspicious RCU usage|inconsistent lock state)' || true
}

# Per flavour, filled in by prepare_kernel: the release, the unpacked
# Debian kernel (none for debug kernels), the image QEMU boots.
declare -A KVER ROOT IMAGE

# The module for one kernel, by kind (tests/qemu/lib.sh: flavour_kind).
# Sets kver, root (Debian kernel tree or empty) and image.
build_for_kernel() {
	local flavour=$1 kdir chroot w=()
	[ "$mode" = check ] && w=(W=1)
	case "$(flavour_kind "$flavour")" in
	debian)
		kver=$(flavour_kver "$flavour") || { host_fail "$flavour: cannot resolve the kernel release"; return 1; }
		kdir=$("$here/headers.sh" "$kver") || { host_fail "$flavour ($kver): cannot get the kernel headers"; return 1; }
		"$MAKE" -C "$repo" "${jobs[@]}" module example KERNELRELEASE="$kver" KDIR="$kdir" "${w[@]}" ||
			{ host_fail "$flavour ($kver): module build failed"; return 1; }
		;;
	sid)
		kver=$(sid_kver "$flavour") || { host_fail "$flavour: cannot resolve sid's kernel release"; return 1; }
		echo "$flavour: sid's kernel is $kver"
		chroot=$("$here/sid-chroot.sh" "$kver") || { host_fail "$flavour ($kver): cannot make the sid chroot"; return 1; }
		# In the chroot: sid's gcc and kbuild. The environment is
		# emptied there, so pass the job count explicitly.
		"$here/sid-chroot.sh" --run "$chroot" make -C "$repo" -j"$(nproc)" module example \
			KERNELRELEASE="$kver" KDIR="/usr/src/linux-headers-$kver" "${w[@]}" ||
			{ host_fail "$flavour ($kver): module build failed (in the sid chroot)"; return 1; }
		;;
	debug)
		kdir=$("$here/debug-kernel.sh" "$flavour") || { host_fail "$flavour: cannot build the debug kernel"; return 1; }
		kver=$(cat "$kdir/.kernelrelease")
		echo "$flavour: $kver in $kdir (built in $(cat "$kdir/.build-secs") s)"
		"$MAKE" -C "$repo" "${jobs[@]}" module example KERNELRELEASE="$kver" KDIR="$kdir" "${w[@]}" ||
			{ host_fail "$flavour ($kver): module build failed"; return 1; }
		root=""
		image=$kdir/arch/x86/boot/bzImage
		if ! "$here/initramfs.sh" --builtin "$kdir/.config" "$repo/build/$kver/initramfs.gz"; then
			host_fail "$flavour ($kver): cannot build the initramfs"
			return 1
		fi
		return 0
		;;
	esac
	root=$("$here/kernel.sh" "$flavour" "$kver") || { host_fail "$flavour ($kver): cannot get the kernel image"; return 1; }
	image=$root/boot/vmlinuz-$kver
	if ! "$here/initramfs.sh" "$root" "$kver" "$repo/build/$kver/initramfs.gz"; then
		host_fail "$flavour ($kver): cannot build the initramfs"
		return 1
	fi
}

# Build the module, fetch the kernel, make the initramfs and guest.env.
# Returns non-zero (after counting a host failure) when the kernel cannot
# be booted.
prepare_kernel() {
	local flavour=$1 kver root image dir guest slow=0

	section "$flavour: preparing"
	build_for_kernel "$flavour" || return 1
	dir=$repo/build/$kver
	guest=$dir/guest
	[ "$(flavour_kind "$flavour")" = debug ] && slow=1

	rm -rf "$guest"
	mkdir -p "$guest"
	rm -f "$dir/console.log" "$dir/qemu.rc" "$dir/qemu.secs" "$dir/qemu.pid" "$dir/qemu.timeout"
	{
		echo "PROCTERM_MODE=$(shq "$mode")"
		echo "PROCTERM_REPO=$(shq "$repo")"
		echo "PROCTERM_KO=$(shq "$dir/procterm.ko")"
		echo "PROCTERM_KVER=$(shq "$kver")"
		echo "PROCTERM_MODDIR=$(shq "${root:+$root/lib/modules/$kver}")"
		echo "PROCTERM_FLAVOUR=$(shq "$flavour")"
		# A debug kernel under TCG is many times slower: tests size
		# their loops and timeouts by these (tests/qemu/README.md).
		echo "PROCTERM_SLOW=$slow"
		echo "PROCTERM_TIMEOUT_SCALE=$([ "$slow" = 1 ] && echo "${PROCTERM_DEBUG_TIMEOUT_SCALE:-4}" || echo 1)"
		echo "PROCTERM_TESTS=$(shq "${PROCTERM_TESTS:-}")"
		echo "PROCTERM_SKIP_TESTS=$(shq "$(once_skipped "$flavour")")"
		echo "PROCTERM_TERM=$(shq "${TERM:-linux}")"
		# tests/packages_test.sh: the chroot with the packages installed
		# (DKMS built there for the Debian 12 kernels).
		echo "export PROCTERM_DKMS_ROOT=$(shq "$dkms_root")"
		# The benchmark's knobs (docs/benchmarks.md) and the tests' own
		# (loop scales and budgets: RACE_SCALE, RACE_BUDGET_S,
		# UNLOAD_CYCLES, UNLOAD_BUDGET_S, DEFERRED_UNLOAD_*, GRACE_UNLOAD_CYCLES,
		# REAP_TEST_MIB, PROCTERM_FUZZ_MSGS, PROCTERM_FUZZ_SEED, the PT_* trial
		# counts of single tests) reach the
		# guest. A bench guest is thrown away: run.sh may raise pid_max and
		# threads-max there for the largest tree.
		[ "$mode" = bench ] && echo "export BENCH_RAISE_LIMITS=$(shq "${BENCH_RAISE_LIMITS:-1}")"
		for v in $(compgen -e | grep -E '^(BENCH_|RACE_|UNLOAD_|DEFERRED_UNLOAD_|GRACE_UNLOAD_|REAP_TEST_|PROCTERM_FUZZ_|PT_)' || true); do
			echo "export $v=$(shq "${!v}")"
		done
		if [ "$mode" = shell ] && [ -t 0 ]; then
			echo "PROCTERM_ROWS=$(tput lines 2>/dev/null || echo 24)"
			echo "PROCTERM_COLS=$(tput cols 2>/dev/null || echo 80)"
		fi
	} > "$guest/guest.env"
	KVER[$flavour]=$kver
	ROOT[$flavour]=$root
	IMAGE[$flavour]=$image
}

# A guest whose console and results stay silent for QEMU_SILENCE seconds
# is stuck (a hung boot, a wedged kernel): stop it then, rather than at
# QEMU_TIMEOUT, and leave the reason in build/KVER/qemu.stuck. The test
# runner in the guest prints a line at least every minute while a test
# runs, so a slow but live test is not silence.
watch_silence() {
	local dir=$1 last="" now quiet=0 pid
	while sleep 10; do
		now=$(stat -c %s "$dir/console.log" "$dir/guest/results.tap" 2>/dev/null | tr '\n' ' ')
		if [ "$now" = "$last" ]; then
			quiet=$((quiet + 10))
		else
			quiet=0 last=$now
		fi
		[ "$quiet" -ge "$QEMU_SILENCE" ] || continue
		echo "no console output for ${QEMU_SILENCE} s" > "$dir/qemu.stuck"
		pid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 0
		case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
		qemu-system-*) kill "$pid" 2>/dev/null ;;
		esac
		return 0
	done
}

# Boot a prepared kernel. The console goes to build/KVER/console.log and to
# stdout, each line prefixed with PREFIX ($2) when given (parallel boots).
# QEMU's exit status and run time land in build/KVER/qemu.{rc,secs}.
boot_kernel() {
	local flavour=$1 prefix=${2:-} kver=${KVER[$1]}
	local dir=$repo/build/${KVER[$1]} cmdline rc t0 tmo=$QEMU_TIMEOUT
	local -a qemu

	# oops=panic + panic=-1 + -no-reboot: an oops ends the run at once
	# instead of leaving a half-dead guest until the timeout. Warnings do
	# not panic (that would hide every later result); they are found in
	# the log. loglevel=5 keeps the boot quiet but shows warnings.
	# Under TCG on a busy host a vCPU can go unscheduled for tens of
	# seconds; the default 21 s RCU stall timeout then reports the host,
	# not the guest. Two minutes still catches a real lockup.
	cmdline="console=ttyS0 loglevel=5 panic=-1 oops=panic edd=off rdinit=/init"
	cmdline="$cmdline rcupdate.rcu_cpu_stall_timeout=120"
	[ "$mode" = shell ] && cmdline="$cmdline quiet"
	if [ "$(flavour_kind "$flavour")" = debug ]; then
		# TCG plus KASAN and lockdep is slow, and the host is shared:
		# soft lockups at 60 s (hard at 30 s, buddy), hung tasks at
		# 240 s, so that a starved vCPU is not reported as a lockup.
		cmdline="$cmdline watchdog_thresh=30 hung_task_timeout_secs=240"
		[ -n "$QEMU_TIMEOUT_SET" ] || tmo=$QEMU_DEBUG_TIMEOUT
	fi
	cmdline="$cmdline ${QEMU_APPEND:-}"
	qemu=(qemu-system-x86_64 -machine q35 -cpu max -m "$QEMU_MEM" -smp "$QEMU_SMP"
	      -nographic -no-reboot -nic none
	      -kernel "${IMAGE[$flavour]}" -initrd "$dir/initramfs.gz"
	      -append "$cmdline"
	      -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	      -virtfs "local,path=$dir/guest,mount_tag=out,security_model=none,multidevs=remap")
	qemu+=(-accel "$ACCEL")
	if [ -n "${QEMU_EXTRA:-}" ]; then
		# shellcheck disable=SC2206 # word splitting wanted
		qemu+=($QEMU_EXTRA)
	fi

	if [ "$mode" = shell ]; then
		section "$flavour ($kver): shell (Ctrl-A X quits QEMU)"
		# -nographic puts the console and the monitor on this terminal.
		"${qemu[@]}"
		return 0
	fi

	section "$flavour ($kver): booting"
	qemu+=(-serial stdio -monitor none -pidfile "$dir/qemu.pid")
	t0=$(date +%s)
	local attempt
	for attempt in 1 2; do
		rm -f "$dir/qemu.stuck"
		: > "$dir/console.log"
		watch_silence "$dir" &
		local watcher=$!
		set +e
		# --foreground: stay in our process group, so that Ctrl-C reaches QEMU.
		echo "$tmo" > "$dir/qemu.timeout"
		timeout --foreground -k 10 "$tmo" "${qemu[@]}" </dev/null 2>&1 |
			sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' |
			tee "$dir/console.log" |
			sed -u "s/^/$prefix/"
		rc=${PIPESTATUS[0]}
		kill "$watcher" 2>/dev/null
		wait "$watcher" 2>/dev/null
		set -e
		# A kernel that died before our init ran (seen once under TCG:
		# an int3 oops in kthreadd during boot) never met the module:
		# boot it once more, and say so. Anything later counts.
		[ "$attempt" = 1 ] || break
		grep -q 'procterm-init:' "$dir/console.log" && break
		grep -qE 'Kernel panic|Oops|BUG:' "$dir/console.log" || break
		echo "${prefix}# $flavour: the kernel died during boot, before the guest's init ran; booting again:"
		grep -m3 -E 'Kernel panic|Oops|BUG:' "$dir/console.log" | sed "s/^/${prefix}#   /"
		cp "$dir/console.log" "$dir/console.boot-failure.log"
	done
	echo "$rc" > "$dir/qemu.rc"
	echo "$(($(date +%s) - t0))" > "$dir/qemu.secs"
	if [ "$mode" = bench ]; then
		echo "${prefix}bench output: $dir/guest/bench.txt"
		# The raw figures of the last kernel benchmarked, where
		# docs/benchmarks.md says they are.
		if [ -f "$dir/guest/bench.json" ]; then
			cp "$dir/guest/bench.json" "$repo/build/bench.json"
			cp "$dir/guest/bench.json" "$dir/bench.json"
			echo "${prefix}raw figures: build/bench.json (and $dir/bench.json)"
		fi
	fi
	return 0
}

# Count a booted kernel's results and look for trouble.
report_kernel() {
	local flavour=$1 kver=${KVER[$1]} dir results rc secs up p f s splats

	dir=$repo/build/$kver
	results=$dir/guest/results.tap
	rc=$(cat "$dir/qemu.rc" 2>/dev/null || echo '?')
	secs=$(cat "$dir/qemu.secs" 2>/dev/null || echo '?')
	up=$(sed -n 's/.*procterm-init: .*up \([0-9.]*\) s.*/\1/p' "$dir/console.log" 2>/dev/null | head -n 1)
	[ -f "$results" ] || : > "$results"

	section "$flavour ($kver): results"
	read -r p f s < <(tap_count "$results")
	echo "$p passed, $f failed, $s skipped (build/$kver/guest/results.tap)"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
	summary+=("# $flavour ($kver): $p passed, $f failed, $s skipped; kernel up at ${up:-?} s, $secs s in QEMU")
	if [ "$f" -gt 0 ]; then
		tr -d '\r' < "$results" | grep -E '^[[:space:]]*not ok [0-9]+' |
			grep -viE '#[[:space:]]*SKIP' | sed "s/^[[:space:]]*/  $flavour: /"
		{
			echo "== $flavour ($kver): failed tests, with their last diagnostics"
			tap_failures "$results"
		} >> "$failures"
	fi

	if [ -f "$dir/qemu.stuck" ]; then
		host_fail "$flavour ($kver): guest stopped after $secs s: $(cat "$dir/qemu.stuck")"
		echo "# last console lines:"
		tail -n 15 "$dir/console.log" | sed 's/^/#   /'
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		host_fail "$flavour ($kver): QEMU timed out after $(cat "$dir/qemu.timeout" 2>/dev/null || echo "$QEMU_TIMEOUT")s"
		echo "# last console lines:"
		tail -n 15 "$dir/console.log" | sed 's/^/#   /'
	elif ! grep -q '^PROCTERM-GUEST-DONE' "$results"; then
		host_fail "$flavour ($kver): the guest did not finish (QEMU exit $rc; see build/$kver/console.log)"
	fi
	# A splat the guest did not get to report (during boot, or one that
	# killed it) still fails the run.
	splats=$(console_splats "$dir/console.log")
	if [ -n "$splats" ] && ! grep -q '^not ok [0-9]* guest: kernel log' "$results"; then
		host_fail "$flavour ($kver): kernel warnings on the console"
		printf '%s\n' "$splats" | head -n 40 | sed 's/^/# /'
	fi
}

# Guests booted in the background ignore SIGINT: on Ctrl-C or SIGTERM, stop
# the QEMU processes we started, by the PIDs they wrote.
stop_guests() {
	local f pid
	echo "interrupted: stopping the guests" >&2
	for f in "${ready[@]}"; do
		pid=$(cat "$repo/build/${KVER[$f]}/qemu.pid" 2>/dev/null) || continue
		case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
		qemu-system-*) kill "$pid" 2>/dev/null || true ;;
		esac
	done
}
trap 'stop_guests; exit 130' INT
trap 'stop_guests; exit 143' TERM

ready=()
for flavour in "$@"; do
	if prepare_kernel "$flavour"; then
		ready+=("$flavour")
	fi
done

# One accelerator for every guest of this run, chosen by a probe boot of
# the first kernel (tests/qemu/lib.sh: choose_accel).
if [ "${#ready[@]}" -gt 0 ]; then
	section "accelerator"
	accel_line=$(choose_accel "${IMAGE[${ready[0]}]}" -cpu max)
	ACCEL=${accel_line%% *}
	echo "qemu: accelerator $accel_line"
	summary+=("# accelerator: $accel_line")
fi

if [ "$mode" = shell ]; then
	[ "${#ready[@]}" -gt 0 ] && boot_kernel "${ready[0]}"
	exit 0
fi

# Boots run in the background even one at a time, so that a signal is
# handled (stop_guests) at once rather than when QEMU is done.
if [ "$QEMU_JOBS" -le 1 ] || [ "${#ready[@]}" -le 1 ]; then
	for flavour in "${ready[@]}"; do
		boot_kernel "$flavour" &
		wait $! || true
	done
else
	# Several guests at once, each line of their consoles tagged.
	running=0
	for flavour in "${ready[@]}"; do
		if [ "$running" -ge "$QEMU_JOBS" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		boot_kernel "$flavour" "[$flavour] " &
		running=$((running + 1))
	done
	wait || true
fi

[ "$mode" = check ] || exit 0

for flavour in "${ready[@]}"; do
	report_kernel "$flavour"
done

section "summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
exit
}
