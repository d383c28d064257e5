#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A sid build chroot for modules against sid's kernels, made once with
# mmdebstrap and cached. sid's linux-headers depend on gcc-16-for-host and a
# linux-kbuild built against sid's libc: they cannot run on the host, so the
# module for sid is built in here (never on the host, and never from the
# host's apt sources).
#
#   tests/qemu/sid-chroot.sh KVER...          prints the chroot directory
#   tests/qemu/sid-chroot.sh --run DIR CMD... runs CMD in the chroot
#
# The chroot ($PROCTERM_CACHE/sid/chroot) holds linux-headers-KVER for each
# KVER asked for, plus the headers of every x86-64 flavour sid has at the
# time (amd64, cloud-amd64, rt-amd64: make check-build), sparse and make.
# When sid has moved on and a KVER is missing, the chroot is made afresh
# (about 40 s; cheaper and surer than upgrading sid in place).
#
# --run mounts /proc (objtool reads it: "read_stack_limit: fopen failed"
# without) and binds the repository at its own path, in a private mount
# namespace: nothing stays mounted when CMD ends, however it ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

if [ "${1:-}" = --run ]; then
	dir=${2:?usage: sid-chroot.sh --run DIR CMD...}
	shift 2
	exec unshare --mount --propagation private /bin/sh -ec '
		dir=$1 repo=$2
		shift 2
		mount -t proc proc "$dir/proc"
		mkdir -p "$dir$repo"
		mount --bind "$repo" "$dir$repo"
		exec chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 "$@"' sh "$dir" "$repo" "$@"
fi

[ "$#" -gt 0 ] || die "usage: sid-chroot.sh KVER..."
dir=$PROCTERM_CACHE/sid/chroot
apt_ensure mmdebstrap

exec 9> "$PROCTERM_CACHE/.lock-sid-chroot"
flock 9
missing=0
for kver in "$@"; do
	[ -d "$dir/usr/src/linux-headers-$kver" ] || missing=1
done
[ -e "$dir/.made" ] || missing=1
if [ "$missing" = 1 ]; then
	t0=$(date +%s)
	msg "sid-chroot: making a sid buildd chroot for $* with mmdebstrap"
	rm -rf "$dir.new"
	# The meta-packages pull in whatever sid's kernel is today; the explicit
	# linux-headers-KVER make sure it is the one resolved a moment ago.
	inc=linux-headers-amd64,linux-headers-cloud-amd64,linux-headers-rt-amd64,sparse,make,kmod
	for kver in "$@"; do
		inc=$inc,linux-headers-$kver
	done
	mmdebstrap --quiet --variant=buildd --include="$inc" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		sid "$dir.new" "$(debian_mirror)" >&2 || die "mmdebstrap failed"
	rm -rf "$dir"
	mv "$dir.new" "$dir"
	touch "$dir/.made"
	msg "sid-chroot: made in $(($(date +%s) - t0)) s"
fi
# sid's headers reference scripts/checker-valid.sh without shipping it;
# without it, C=2 checks nothing (see checker-valid.sh).
for common in "$dir"/usr/src/linux-headers-*-common*; do
	[ -d "$common/scripts" ] || continue
	if grep -qs checker-valid.sh "$common/Makefile" && [ ! -e "$common/scripts/checker-valid.sh" ]; then
		install -m 0755 "$here/checker-valid.sh" "$common/scripts/checker-valid.sh"
	fi
done
printf '%s\n' "$dir"
