#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest's initramfs: static busybox, our /init, and the modules the
# guest needs to mount the host's root over virtio-9p, taken from the very
# kernel package that boots.
#
#   tests/qemu/initramfs.sh KERNEL_ROOT KVER OUTPUT.cpio.gz
#   tests/qemu/initramfs.sh --builtin KERNEL_CONFIG OUTPUT.cpio.gz
#
# --builtin is for a kernel with everything the guest needs built in (the
# debug kernels, tests/qemu/debug-kernel.sh): no modules to insmod; the
# kernel's .config must say so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

builtin=
if [ "${1:-}" = --builtin ]; then
	builtin=${2:?usage: initramfs.sh --builtin KERNEL_CONFIG OUTPUT}
	out=${3:?}
	for opt in VIRTIO_PCI NET_9P_VIRTIO 9P_FS; do
		grep -q "^CONFIG_$opt=y" "$builtin" || die "$builtin: CONFIG_$opt is not built in"
	done
else
	root=${1:?usage: initramfs.sh KERNEL_ROOT KVER OUTPUT}
	kver=${2:?}
	out=${3:?}
fi

busybox=/bin/busybox
# A dynamic busybox (package "busybox") would find no libc in the initramfs.
[ -x "$busybox" ] || die "$busybox missing (install busybox-static)"
if readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter'; then
	die "$busybox is dynamically linked (install busybox-static)"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/procterm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,newroot,out,lib/modules}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$here/init" "$stage/init"
# The kernel opens /dev/console for init before anything is mounted.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true

# Load order: what modprobe would do, dependencies first, each module once.
# Built-in modules print "builtin ..." and are skipped. virtio_pci is
# built into 6.12 and modular in 6.1.
: > "$stage/lib/modules/order"
# sid's 7.x modules package ships no modules.builtin: a module modprobe
# cannot find, and of which there is no .ko in the tree, is built in.
show_depends() {
	local m=$1
	modprobe -d "$root" -S "$kver" --show-depends "$m" 2>/dev/null && return 0
	if find "$root/lib/modules/$kver/" -name "$m.ko*" | grep -q .; then
		modprobe -d "$root" -S "$kver" --show-depends "$m"
		return 1
	fi
	echo "builtin $m (no $m.ko in the package)"
}
[ -z "$builtin" ] &&
for m in virtio_pci 9pnet_virtio 9p; do
	show_depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
while read -r ko; do
	name=$(basename "$ko")
	case "$name" in
	# busybox insmod reads plain ELF only.
	*.ko.xz)  name=${name%.xz};  xz -dc "$ko" > "$stage/lib/modules/$name" ;;
	*.ko.zst) name=${name%.zst}; zstd -q -dc "$ko" > "$stage/lib/modules/$name" ;;
	*.ko.gz)  name=${name%.gz};  gzip -dc "$ko" > "$stage/lib/modules/$name" ;;
	*)        cp "$ko" "$stage/lib/modules/$name" ;;
	esac
	echo "$name" >> "$stage/lib/modules/order"
done
[ -n "$builtin" ] || grep -q '^9p\.ko$' "$stage/lib/modules/order" ||
	grep -q '^CONFIG_9P_FS=y' "$root/boot/config-$kver" ||
	die "no 9p module found for $kver"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
 cpio --quiet -o -0 -H newc -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
