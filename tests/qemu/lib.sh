# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the QEMU harness scripts (sourced, not executed).
#
# A "flavour" is the short name used in KERNELS=. Three kinds:
#   6.1 6.12 6.12-rt   Debian 12's kernels (bookworm and its backports),
#   sid sid-rt         sid's newest kernel, through a private apt configuration,
#   debug debug-rt     kernels built here from linux-source-6.12 with KASAN,
#                      lockdep, kmemleak... (tests/qemu/debug-kernel.sh).
# The Debian ones map onto Debian's meta-packages; the concrete kernel
# release (the ABI) is always read from the meta-package's Depends, never
# written down here.

# Where downloaded kernel packages and their extracted trees live. Kept out of
# build/ so "make clean" does not throw away 300 MB of downloads.
PROCTERM_CACHE=${PROCTERM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/procterm}

export DEBIAN_FRONTEND=noninteractive

msg() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Meta-package suffix for a flavour: "" for bookworm's default kernel (6.1),
# "-6.12" and "-6.12-rt" for the newer ones.
flavour_suffix() {
	case "$1" in
	6.1)		printf '' ;;
	6.12)		printf -- '-6.12' ;;
	6.12-rt)	printf -- '-6.12-rt' ;;
	sid)		printf '' ;;
	sid-rt)		printf -- '-rt' ;;
	*)		die "unknown kernel flavour '$1' (known: $KNOWN_FLAVOURS)" ;;
	esac
}

KNOWN_FLAVOURS="6.1 6.12 6.12-rt sid sid-rt debug debug-rt"

# debian, sid or debug (see the top of this file).
flavour_kind() {
	case "$1" in
	6.1|6.12|6.12-rt)	echo debian ;;
	sid|sid-rt)		echo sid ;;
	debug|debug-rt)		echo debug ;;
	*)	die "unknown kernel flavour '$1' (known: $KNOWN_FLAVOURS)" ;;
	esac
}

# ---- sid, without touching the host's apt sources
# A private apt configuration under the cache: its own sources.list (sid
# only), lists and archive cache. The mirror is the one the host's apt
# already uses (only Debian's archive may be reachable).
SID_APT=$PROCTERM_CACHE/sid/apt

debian_mirror() {
	local m
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
	[ -n "$m" ] || die "no Debian mirror in /etc/apt/sources.list*"
	printf '%s\n' "${m%/}"
}

# apt-get/apt-cache options for the private sid configuration. The mirror's
# sid Release file can be past its Valid-Until (NOTES.md): do not check.
sid_apt_opts() {
	printf '%s\n' -o "Dir::Etc::sourcelist=$SID_APT/sources.list" -o Dir::Etc::sourceparts=- \
		-o "Dir::State::lists=$SID_APT/lists" -o "Dir::Cache=$SID_APT/cache" \
		-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root \
		-o Debug::NoLocking=1
}

# Refresh sid's package lists when they are older than SID_APT_MAXAGE
# seconds (default 3600): sid moves daily, and the next run after a move
# must see the new kernel. Under the cache lock: two runs share the lists.
sid_apt_update() {
	local -a o
	mapfile -t o < <(sid_apt_opts)
	mkdir -p "$SID_APT/lists/partial" "$SID_APT/cache/archives/partial"
	(
		flock 7
		if [ ! -s "$SID_APT/sources.list" ]; then
			echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) sid main" \
				> "$SID_APT/sources.list"
		fi
		stamp=$SID_APT/lists/.updated
		if [ ! -e "$stamp" ] ||
		   [ $(($(date +%s) - $(stat -c %Y "$stamp"))) -ge "${SID_APT_MAXAGE:-3600}" ]; then
			msg "apt: refreshing sid's package lists (private configuration in $SID_APT)"
			apt-get "${o[@]}" update -qq >&2 || exit 1
			touch "$stamp"
		fi
	) 7> "$PROCTERM_CACHE/.lock-sid-apt"
}

sid_apt_cache() {
	local -a o
	mapfile -t o < <(sid_apt_opts)
	apt-cache "${o[@]}" "$@"
}

sid_apt_get() {
	local -a o
	mapfile -t o < <(sid_apt_opts)
	apt-get "${o[@]}" "$@"
}

# sid's kernel release for sid or sid-rt, from the meta-package
# linux-headers[-rt]-amd64: e.g. 7.2.13+deb14-amd64.
sid_kver() {
	local dep
	sid_apt_update || die "cannot refresh sid's package lists"
	dep=$(sid_apt_cache depends --important "linux-headers$(flavour_suffix "$1")-amd64" 2>/dev/null |
	      awk '$1 == "Depends:" && index($2, "linux-headers-") == 1 { print $2; exit }')
	[ -n "$dep" ] || die "cannot resolve sid's linux-headers$(flavour_suffix "$1")-amd64"
	printf '%s\n' "${dep#linux-headers-}"
}

# apt-cache/apt-get need package lists. A fresh box may have none, so the
# first failing look-up or install triggers one "apt-get update" and a retry.
APT_UPDATED=${APT_UPDATED:-0}
apt_update_once() {
	[ "$APT_UPDATED" = 1 ] && return 1
	msg "apt: refreshing package lists"
	apt-get update -qq >&2 || return 1
	APT_UPDATED=1
}

# The package a meta-package depends on whose name starts with $2,
# e.g. meta_dep linux-image-6.12-amd64 linux-image- -> linux-image-6.12.117+deb12-amd64
meta_dep() {
	local meta=$1 prefix=$2 dep
	dep=$(apt-cache depends --important "$meta" 2>/dev/null |
	      awk -v p="$prefix" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }')
	if [ -z "$dep" ] && apt_update_once; then
		dep=$(apt-cache depends --important "$meta" 2>/dev/null |
		      awk -v p="$prefix" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }')
	fi
	[ -n "$dep" ] || die "cannot resolve $meta through apt-cache (no package lists?)"
	printf '%s\n' "$dep"
}

# Kernel release (uname -r of the guest) for a flavour, e.g. 6.12.117+deb12-amd64.
# For a debug flavour that means building the kernel (once; cached).
flavour_kver() {
	local dep here_=${BASH_SOURCE[0]%/*}
	case "$(flavour_kind "$1")" in
	sid)	sid_kver "$1"; return ;;
	debug)	cat "$("$here_/debug-kernel.sh" "$1")/.kernelrelease"; return ;;
	esac
	dep=$(meta_dep "linux-headers$(flavour_suffix "$1")-amd64" linux-headers-)
	printf '%s\n' "${dep#linux-headers-}"
}

pkg_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Install the packages that are not installed yet; nothing at all when every
# one of them is there.
apt_ensure() {
	local p missing=()
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages (need root to install): ${missing[*]}"
	msg "apt: installing ${missing[*]}"
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
		apt_update_once || die "apt-get install ${missing[*]} failed"
		apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
			die "apt-get install ${missing[*]} failed"
	fi
}

# QEMU's accelerator, chosen once per run and printed as "ACCEL (REASON)".
# QEMU_ACCEL=kvm|tcg forces one. Otherwise KVM is used only when a short
# real boot of KERNEL (no initramfs: it must get as far as the panic for a
# missing root) succeeds under it. A /dev/kvm that exists but cannot run
# this guest ("KVM internal error ... emulation failure", seen in the
# decompressor) fails the probe, and so does one that never gets there.
# Takes a second or two either way; at most QEMU_ACCEL_PROBE_SECS (20).
#
#   choose_accel KERNEL [QEMU ARG...]
choose_accel() {
	local kernel=$1 log pid i limit why=""
	shift
	case "${QEMU_ACCEL:-}" in
	kvm|tcg)	echo "$QEMU_ACCEL (set by QEMU_ACCEL)"; return 0 ;;
	'')		;;
	*)		die "QEMU_ACCEL must be kvm or tcg, not '$QEMU_ACCEL'" ;;
	esac
	[ -e /dev/kvm ] || { echo "tcg (no /dev/kvm)"; return 0; }
	[ -w /dev/kvm ] || { echo "tcg (/dev/kvm is not writable)"; return 0; }

	log=$(mktemp)
	qemu-system-x86_64 -machine q35 -accel kvm -m 256 -smp 1 "$@" \
		-display none -no-reboot -nic none -monitor none \
		-serial "file:$log" -kernel "$kernel" \
		-append "console=ttyS0 panic=-1 loglevel=4 root=/dev/nonexistent" \
		</dev/null >>"$log" 2>&1 &
	pid=$!
	limit=$((${QEMU_ACCEL_PROBE_SECS:-20} * 4))
	for ((i = 0; i < limit; i++)); do
		if grep -q 'KVM internal error' "$log"; then
			why="KVM probe: $(grep -a -m1 -o 'KVM internal error.*' "$log" | tr -d '\r')"
			break
		fi
		grep -q 'Kernel panic' "$log" && break
		kill -0 "$pid" 2>/dev/null || { why="KVM probe: QEMU exited: $(tr -d '\r' < "$log" | grep -av '^$' | tail -n 1)"; break; }
		sleep 0.25
	done
	[ "$i" -lt "$limit" ] || why="KVM probe: no boot within ${QEMU_ACCEL_PROBE_SECS:-20} s"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$log"
	if [ -n "$why" ]; then
		echo "tcg ($why)"
	else
		echo "kvm (a probe boot under KVM reached the kernel's root mount)"
	fi
}
