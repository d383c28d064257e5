#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack the Debian kernel image a flavour boots, once; later runs
# reuse the cache.
#
#   tests/qemu/kernel.sh FLAVOUR [KVER]
#
# Prints the unpacked tree ($PROCTERM_CACHE/KVER/root, holding
# boot/vmlinuz-KVER and lib/modules/KVER with a fresh modules.dep).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

flavour=${1:?usage: kernel.sh FLAVOUR [KVER]}
kver=${2:-$(flavour_kver "$flavour")}
dir=$PROCTERM_CACHE/$kver
root=$dir/root

mkdir -p "$PROCTERM_CACHE/debs"
# Two runs at once must not unpack the same kernel over each other.
exec 9> "$PROCTERM_CACHE/.lock"
flock 9
if [ ! -e "$dir/.unpacked" ]; then
	# Prefer the -unsigned image: same kernel, no signature wrapper.
	pkg=linux-image-$kver-unsigned
	if ! apt-cache show "$pkg" >/dev/null 2>&1; then
		apt_update_once || true
		apt-cache show "$pkg" >/dev/null 2>&1 || pkg=linux-image-$kver
	fi
	deb=$(find "$PROCTERM_CACHE/debs" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort | tail -n 1)
	if [ -z "$deb" ]; then
		msg "kernel: downloading $pkg"
		# apt-get download runs as _apt, which cannot write to root's
		# cache; the sandbox option keeps it quiet about that.
		(cd "$PROCTERM_CACHE/debs" &&
		 apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
		deb=$(find "$PROCTERM_CACHE/debs" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort | tail -n 1)
		[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
	fi
	msg "kernel: unpacking $(basename "$deb")"
	rm -rf "$dir"
	mkdir -p "$root"
	dpkg -x "$deb" "$root"
	[ -e "$root/boot/vmlinuz-$kver" ] || die "$deb has no boot/vmlinuz-$kver"
	# The package ships no modules.dep (its postinst runs depmod); make one
	# so that modprobe -d can resolve dependencies, here and in the guest.
	depmod -b "$root" "$kver"
	touch "$dir/.unpacked"
fi
printf '%s\n' "$root"
