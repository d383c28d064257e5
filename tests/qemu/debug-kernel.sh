#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a debug kernel (KASAN, lockdep, kmemleak, ...) from Debian's
# linux-source-6.12, once, and cache it.
#
#   tests/qemu/debug-kernel.sh NAME        (NAME: debug or debug-rt)
#   tests/qemu/debug-kernel.sh --deps      only install the packages a build
#                                          needs (so that a build started in
#                                          the background never runs apt)
#
# The config is "make allnoconfig", then debug-base.config and NAME.config
# (both in tests/qemu/) merged with merge_config.sh, then olddefconfig.
# Everything the guest needs is built in. The build lands in
#   $PROCTERM_CACHE/debug/NAME-HASH/
# where HASH covers the fragments, the linux-source-6.12 package version and
# the compiler version: change any of them and the next run builds afresh;
# change nothing and it is reused. That directory is a kbuild output tree
# (make O=): KDIR for the module, arch/x86/boot/bzImage to boot,
# Module.symvers from "make modules". The source is unpacked once per
# linux-source version into $PROCTERM_CACHE/linux-source-VERSION/ and
# shared by every NAME.
#
# Prints the build tree. The time the build took is in its .build-secs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

name=${1:?usage: debug-kernel.sh NAME (debug or debug-rt) | --deps}
tarball=/usr/src/linux-source-6.12.tar.xz
# The source, the compiler, kbuild's tools and the libraries objtool and
# the signing tools link against.
build_deps() {
	[ -f "$tarball" ] || apt_ensure linux-source-6.12
	apt_ensure build-essential flex bison bc libelf-dev libssl-dev cpio xz-utils
}
if [ "$name" = --deps ]; then
	build_deps
	exit 0
fi
frags=("$here/debug-base.config" "$here/$name.config")
for f in "${frags[@]}"; do
	[ -f "$f" ] || die "no config fragment $f"
done
[ -f "$tarball" ] || apt_ensure linux-source-6.12
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
gccver=$(gcc --version | head -n 1)
hash=$( { cat "${frags[@]}"; echo "$srcver"; echo "$gccver"; } | sha256sum | cut -c1-12)
out=$PROCTERM_CACHE/debug/$name-$hash
src=$PROCTERM_CACHE/linux-source-$srcver

# OPTION=VALUE of each fragment line, without the trailing comment. A
# later fragment's value wins, as in merge_config.sh.
frag_values() {
	sed -n 's/^\(CONFIG_[A-Za-z0-9_]*=\("[^"]*"\|[^[:space:]#]*\)\).*/\1/p' "$@" |
		awk -F= '{ v[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
			 END { for (i = 0; i < n; i++) print v[order[i]] }'
}

mkdir -p "$PROCTERM_CACHE/debug"
# Two runs must not build the same tree at once; a second one waits and
# then finds it built.
exec 9> "$PROCTERM_CACHE/debug/.lock-$name"
flock 9
if [ -e "$out/.built" ]; then
	printf '%s\n' "$out"
	exit 0
fi

build_deps

t0=$(date +%s)
# The source, unpacked once (about 1.5 GB); its own lock, since both
# flavours want it.
(
	flock 8
	if [ ! -e "$src/.unpacked" ]; then
		msg "debug-kernel: unpacking $(basename "$tarball") ($srcver)"
		rm -rf "$src"
		mkdir -p "$src"
		tar -xJf "$tarball" -C "$src" --strip-components=1
		touch "$src/.unpacked"
	fi
) 8> "$PROCTERM_CACHE/.lock-linux-source"

rm -rf "$out"
mkdir -p "$out"
msg "debug-kernel: configuring $name in $out"
# merge_config.sh -O writes the merged .config into the output tree; it
# warns about every fragment value kconfig did not take, which is how a
# missing dependency shows.
make -s -C "$src" O="$out" allnoconfig >&2
# The fragments carry a comment on each line, which kconfig does not parse
# for every type: merge their bare OPTION=VALUE lines.
frag_values "${frags[@]}" > "$out/$name.fragment"
(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$out/$name.fragment") > "$out/merge.log" 2>&1 ||
	{ cat "$out/merge.log" >&2; die "merge_config.sh failed"; }
make -s -C "$src" O="$out" olddefconfig >&2
# Every option of the fragments must have its value in the final .config:
# a silently dropped KASAN would make a clean run mean nothing.
bad=0
while IFS= read -r line; do
	opt=${line%%=*}
	val=${line#*=}
	if [ "$val" = n ]; then
		grep -q "^# $opt is not set\$" "$out/.config" || grep -q "^$opt=n\$" "$out/.config" ||
			! grep -q "^$opt=" "$out/.config" || { msg "debug-kernel: $opt should be n: $(grep "^$opt=" "$out/.config")"; bad=1; }
	elif ! grep -qxF "$opt=$val" "$out/.config"; then
		msg "debug-kernel: $opt=$val did not stick: $(grep -E "^(# )?$opt[= ]" "$out/.config" || echo 'absent')"
		bad=1
	fi
done < "$out/$name.fragment"
[ "$bad" = 0 ] || die "the $name config lost options (dependencies missing?); see $out/merge.log"

msg "debug-kernel: building $name ($(nproc) jobs; this takes a while)"
# bzImage, then modules: there are none or nearly none, but "make modules"
# writes the Module.symvers an out-of-tree module links against.
make -s -C "$out" -j"$(nproc)" bzImage >&2
make -s -C "$out" -j"$(nproc)" modules >&2
# A module build needs only the tree; the objects stay (kbuild checks
# their timestamps only when rebuilding the kernel).
[ -f "$out/arch/x86/boot/bzImage" ] || die "no bzImage built"
[ -f "$out/Module.symvers" ] || die "no Module.symvers built"
echo "$(($(date +%s) - t0))" > "$out/.build-secs"
make -s -C "$out" kernelrelease > "$out/.kernelrelease"
touch "$out/.built"
msg "debug-kernel: $name $(cat "$out/.kernelrelease") built in $(cat "$out/.build-secs") s"
printf '%s\n' "$out"
