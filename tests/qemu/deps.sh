#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install from Debian's archive whatever the build and the QEMU tests need and
# is not installed yet. Idempotent: prints nothing and touches nothing when all
# is present.
#
#   tests/qemu/deps.sh [FLAVOUR...]    (default flavours: 6.1 6.12 6.12-rt)
#   tests/qemu/deps.sh deb dkms        make deb's tooling, the DKMS chroot's mmdebstrap
#
# Debug flavours add what a kernel build needs; sid flavours add mmdebstrap
# (the sid chroot). Never a linux-image or linux-headers package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

pkgs=(build-essential make gcc pkg-config libnl-3-dev libnl-genl-3-dev
      qemu-system-x86 busybox-static cpio xz-utils zstd kmod sparse
      util-linux procps python3 python3-yaml python3-jsonschema linux-source-6.12
      dwarves apparmor)

# The compiler the kernels were built with (gcc-12 for all three); the
# kernel headers themselves are unpacked into the cache by headers.sh, never
# installed: on Debian 12 they would pull in a boot kernel.
pkgs+=(gcc-12)

[ "$#" -gt 0 ] || set -- 6.1 6.12 6.12-rt
for f in "$@"; do
	# Not kernels: "deb" is make deb's Debian tooling, "dkms" the DKMS
	# test's chroot (tests/qemu/dkms-chroot.sh).
	case $f in
	deb)	pkgs+=(dpkg-dev debhelper dh-dkms lintian); continue ;;
	dkms)	pkgs+=(mmdebstrap); continue ;;
	esac
	case "$(flavour_kind "$f")" in
	debug)	pkgs+=(flex bison bc libelf-dev libssl-dev) ;;
	sid)	pkgs+=(mmdebstrap) ;;
	esac
done

apt_ensure "${pkgs[@]}"
