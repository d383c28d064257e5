#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A Debian 12 machine in a chroot, with dkms and the kernels' packages
# installed, into which "make deb"'s packages are installed as README.md
# says: apt install ./procterm-dkms_*.deb ./procterm_*.deb. Their
# maintainer scripts have DKMS build and sign the module for every kernel
# whose headers are there. The guest's packages_test.sh then checks the
# builds and their signatures, and kills through the installed CLI and the
# DKMS-built module (the guest sees the host's / read-only).
#
#   tests/qemu/dkms-chroot.sh KVER...   prints the chroot directory
#
# The chroot ($PROCTERM_CACHE/bookworm-dkms/chroot) is made once, with
# mmdebstrap (buildd variant, dkms, openssl), then gets
# linux-image-KVER-unsigned and linux-headers-KVER of each KVER from the
# debs the harness has cached (kernel.sh, headers.sh), with INITRD=No (no
# initramfs is made). It is made afresh when a KVER is missing. Nothing of
# it is installed on the host. Every run purges the previous packages and
# installs those in build/deb/; "dkms status" and the install's log land
# in the chroot's /var/tmp/procterm-dkms/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

[ "$#" -gt 0 ] || die "usage: dkms-chroot.sh KVER..."
dir=$PROCTERM_CACHE/bookworm-dkms/chroot
debs=$PROCTERM_CACHE/debs
apt_ensure mmdebstrap

# in_chroot DIR CMD...: CMD in DIR with /proc mounted, in a private mount
# namespace (nothing stays mounted), an empty environment but INITRD=No.
in_chroot() {
	unshare --mount --propagation private /bin/sh -ec '
		dir=$1
		shift
		mount -t proc proc "$dir/proc"
		exec chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive INITRD=No "$@"' sh "$@"
}

exec 9> "$PROCTERM_CACHE/.lock-dkms-chroot"
flock 9
missing=0
for kver in "$@"; do
	[ -d "$dir/usr/src/linux-headers-$kver" ] || missing=1
done
[ -e "$dir/.made" ] || missing=1
if [ "$missing" = 1 ]; then
	t0=$(date +%s)
	msg "dkms-chroot: making a bookworm chroot with dkms for $*"
	rm -rf "$dir.new"
	mkdir -p "${dir%/*}"
	mirror=$(debian_mirror)
	mmdebstrap --quiet --variant=buildd --include=dkms,openssl,kmod,linux-base \
		--aptopt='APT::Install-Recommends "false"' \
		bookworm "$dir.new" "deb $mirror bookworm main" \
		"deb $mirror bookworm-updates main" \
		"deb ${mirror%/debian}/debian-security bookworm-security main" >&2 ||
		die "mmdebstrap failed"
	# The kernels' packages, from the harness's cache (headers.sh has
	# fetched the headers and their linux-kbuild, kernel.sh the image).
	mkdir -p "$dir.new/var/tmp/kernel-debs"
	for kver in "$@"; do
		"$here/headers.sh" "$kver" >/dev/null
		for pkg in "linux-image-$kver-unsigned" "linux-headers-$kver"; do
			deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
			[ -n "$deb" ] || { (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); \
				deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1); }
			[ -n "$deb" ] || die "no $pkg package"
			cp "$deb" "$dir.new/var/tmp/kernel-debs/"
		done
		while read -r dep; do
			deb=$(find "$debs" -maxdepth 1 -name "${dep}_*.deb" | sort | tail -n 1)
			[ -n "$deb" ] && cp "$deb" "$dir.new/var/tmp/kernel-debs/"
		done < <(apt-cache depends --important "linux-headers-$kver" 2>/dev/null |
			 awk '$1 == "Depends:" && ($2 ~ /^linux-headers-/ || $2 ~ /^linux-kbuild-/) { print $2 }')
	done
	# mmdebstrap leaves no package lists behind; the machine gets its own.
	in_chroot "$dir.new" sh -c 'apt-get update -q &&
		apt-get install -y -q --no-install-recommends /var/tmp/kernel-debs/*.deb' >&2 ||
		die "installing the kernels' packages in the chroot failed"
	rm -rf "$dir.new/var/tmp/kernel-debs"
	rm -rf "$dir"
	mv "$dir.new" "$dir"
	touch "$dir/.made"
	msg "dkms-chroot: made in $(($(date +%s) - t0)) s"
fi

# The packages, afresh.
t0=$(date +%s)
set -- "$repo"/build/deb/procterm-dkms_*_all.deb "$repo"/build/deb/procterm_*_amd64.deb
[ -f "$1" ] && [ -f "$2" ] || die "no packages in build/deb/: run make deb"
state=$dir/var/tmp/procterm-dkms
rm -rf "$dir/var/tmp/pkgs" "$state"
mkdir -p "$dir/var/tmp/pkgs" "$state"
cp "$@" "$dir/var/tmp/pkgs/"
in_chroot "$dir" sh -c 'apt-get purge -y -q procterm procterm-dkms' >/dev/null 2>&1 || true
# As README.md says; with fresh package lists if the cached ones no longer do.
install='cd /var/tmp/pkgs && apt install -y ./procterm-dkms_*.deb ./procterm_*.deb'
if ! in_chroot "$dir" sh -c "$install" > "$state/install.log" 2>&1 &&
   ! in_chroot "$dir" sh -c "apt-get update -q && $install" > "$state/install.log" 2>&1; then
	cat "$state/install.log" >&2
	die "apt install of the packages failed in the chroot"
fi
in_chroot "$dir" dkms status procterm > "$state/status" 2>/dev/null || true
msg "dkms-chroot: packages installed, DKMS built in $(($(date +%s) - t0)) s:"
sed 's/^/dkms-chroot:   /' "$state/status" >&2
printf '%s\n' "$dir"
