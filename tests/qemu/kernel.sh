#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack the Debian kernel image a flavour boots, once; later runs
# reuse the cache. Bookworm's come through the host's apt; sid's through the
# private configuration of lib.sh (sid_apt_*).
#
#   tests/qemu/kernel.sh FLAVOUR [KVER]
#
# Prints the unpacked tree ($PROCTERM_CACHE/KVER/root, holding
# boot/vmlinuz-KVER and lib/modules/KVER with a fresh modules.dep). Kernels
# from 7.x split the image: linux-image-KVER is a meta package over
# linux-binary-KVER (usr/lib/modules/KVER/vmlinuz) and linux-modules-KVER
# (merged /usr); both are unpacked and given the old paths.
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
	if [ "$(flavour_kind "$flavour")" = sid ]; then
		sid_apt_update || die "cannot refresh sid's package lists"
		acache() { sid_apt_cache "$@"; }
		aget() { sid_apt_get "$@"; }
	else
		acache() { apt-cache "$@"; }
		aget() { apt-get -o APT::Sandbox::User=root "$@"; }
	fi
	# Prefer the -unsigned image: same kernel, no signature wrapper.
	# 7.x has none: the binary and modules packages instead.
	if acache show "linux-binary-$kver" >/dev/null 2>&1; then
		pkgs=("linux-binary-$kver" "linux-modules-$kver")
	else
		pkg=linux-image-$kver-unsigned
		if ! acache show "$pkg" >/dev/null 2>&1; then
			[ "$(flavour_kind "$flavour")" = sid ] || apt_update_once || true
			acache show "$pkg" >/dev/null 2>&1 || pkg=linux-image-$kver
		fi
		pkgs=("$pkg")
	fi
	rm -rf "$root"
	mkdir -p "$root"
	for pkg in "${pkgs[@]}"; do
		deb=$(find "$PROCTERM_CACHE/debs" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort | tail -n 1)
		if [ -z "$deb" ]; then
			msg "kernel: downloading $pkg"
			# apt-get download runs as _apt, which cannot write to root's
			# cache; the sandbox option keeps it quiet about that.
			(cd "$PROCTERM_CACHE/debs" && aget download -q "$pkg" >&2)
			deb=$(find "$PROCTERM_CACHE/debs" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort | tail -n 1)
			[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
		fi
		msg "kernel: unpacking $(basename "$deb")"
		dpkg -x "$deb" "$root"
	done
	# Merged /usr (7.x): the old paths, which the rest of the harness uses.
	if [ ! -e "$root/boot/vmlinuz-$kver" ] && [ -e "$root/usr/lib/modules/$kver/vmlinuz" ]; then
		mkdir -p "$root/boot"
		ln -s "../usr/lib/modules/$kver/vmlinuz" "$root/boot/vmlinuz-$kver"
		[ -e "$root/usr/lib/modules/$kver/config" ] &&
			ln -s "../usr/lib/modules/$kver/config" "$root/boot/config-$kver"
	fi
	if [ ! -e "$root/lib" ] && [ -d "$root/usr/lib" ]; then
		ln -s usr/lib "$root/lib"
	fi
	[ -e "$root/boot/vmlinuz-$kver" ] || die "${pkgs[*]}: no boot/vmlinuz-$kver"
	# The package ships no modules.dep (its postinst runs depmod); make one
	# so that modprobe -d can resolve dependencies, here and in the guest.
	depmod -b "$root" "$kver"
	touch "$dir/.unpacked"
fi
printf '%s\n' "$root"
