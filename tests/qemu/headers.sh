#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack the kernel headers a module build needs into the cache, without
# installing them: on Debian 12, linux-headers-6.12.* depends on a
# linux-image, and apt-get install would put a new boot kernel on the host.
#
#   tests/qemu/headers.sh KVER
#
# Prints the build tree to use as KDIR:
# $PROCTERM_CACHE/KVER/headers/usr/src/linux-headers-KVER. The packages
# unpacked are linux-headers-KVER and those of its dependencies that belong
# to the build tree (linux-headers-*-common*, linux-kbuild-*); the compiler
# they name (gcc-12) is a host tool, installed by deps.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

kver=${1:?usage: headers.sh KVER}
top=$PROCTERM_CACHE/$kver/headers
kdir=$top/usr/src/linux-headers-$kver

mkdir -p "$PROCTERM_CACHE/debs"
exec 9> "$PROCTERM_CACHE/.lock"
flock 9
if [ ! -e "$top/.unpacked" ]; then
	pkgs=("linux-headers-$kver")
	while read -r dep; do
		pkgs+=("$dep")
	done < <(apt-cache depends --important "linux-headers-$kver" 2>/dev/null |
		 awk '$1 == "Depends:" && ($2 ~ /^linux-headers-/ || $2 ~ /^linux-kbuild-/) { print $2 }')
	[ "${#pkgs[@]}" -gt 1 ] || { apt_update_once || true; die "cannot resolve linux-headers-$kver's dependencies"; }
	rm -rf "$top"
	mkdir -p "$top"
	for pkg in "${pkgs[@]}"; do
		deb=$(find "$PROCTERM_CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
		if [ -z "$deb" ]; then
			msg "headers: downloading $pkg"
			(cd "$PROCTERM_CACHE/debs" &&
			 apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
			deb=$(find "$PROCTERM_CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
			[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
		fi
		dpkg -x "$deb" "$top"
	done
	[ -f "$kdir/Makefile" ] || die "linux-headers-$kver has no $kdir/Makefile"
	# The flavour's Makefile includes the common tree by its absolute
	# path under /usr/src; point it into the cache. The scripts and tools
	# links are relative and land in the unpacked linux-kbuild.
	sed -i "s|^include /usr/src/|include $top/usr/src/|" "$kdir/Makefile"
	touch "$top/.unpacked"
fi
printf '%s\n' "$kdir"
