#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compile-only check: build the module with W=1 and sparse (C=2) against
# every x86-64 linux-headers flavour Debian ships for the supported range:
# amd64, cloud-amd64 and rt-amd64 of bookworm's 6.1 and 6.12 and of sid's
# newest (7.x). Fails on any compiler or sparse warning. Nothing boots.
#
#   tests/qemu/check-build.sh
#
# Bookworm's headers are unpacked into the cache (headers.sh); sid's are
# installed in the sid chroot (sid-chroot.sh), with sid's gcc and sparse.
# Each build's output is in build/check-build/KVER.log. Also checks that
# README.md's "Supported kernels" names kmod/META's range.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

MAKE=${MAKE:-make}
logs=$repo/build/check-build
mkdir -p "$logs"
fails=0 total=0
t_start=$(date +%s)

[ "$(id -u)" = 0 ] && "$here/deps.sh" 6.1 sid

# One build: check_one LABEL KVER CMD... ; the log must have no warning.
check_one() {
	local label=$1 kver=$2 log=$logs/$2.log t0 rc=0
	shift 2
	total=$((total + 1))
	t0=$(date +%s)
	"$@" > "$log" 2>&1 || rc=$?
	# Compiler, sparse, modpost and Kbuild's own $(warning) lines.
	# C=2 must have run sparse on every file: kbuild turns it off with
	# only a message when it thinks the checker unusable.
	if ! grep -q '^  CHECK ' "$log"; then
		echo "warning: sparse did not run (no CHECK lines)" >> "$log"
	fi
	if [ "$rc" -ne 0 ] || grep -qiE '(^|[: ])(warning|error):|^WARNING: |is not available or not up to date' "$log"; then
		fails=$((fails + 1))
		echo "not ok $total - $label $kver (exit $rc, $(($(date +%s) - t0)) s; build/check-build/$kver.log)"
		grep -iE '(^|[: ])(warning|error):|^WARNING: |is not available or not up to date' "$log" | head -n 30 | sed 's/^/#   /'
		[ "$rc" -eq 0 ] || tail -n 5 "$log" | sed 's/^/#   /'
	else
		echo "ok $total - $label $kver ($(($(date +%s) - t0)) s)"
	fi
}

# The supported range, as README.md states it.
min=$(sed -n 's/^Linux-Minimum:[[:space:]]*//p' "$repo/kmod/META")
max=$(sed -n 's/^Linux-Maximum:[[:space:]]*//p' "$repo/kmod/META")
total=$((total + 1))
if awk '/^## Supported kernels/ { s = 1; next } /^## / { s = 0 } s' "$repo/README.md" |
   grep -q "Linux $min to $max"; then
	echo "ok $total - README.md's supported range is kmod/META's (Linux $min to $max)"
else
	fails=$((fails + 1))
	echo "not ok $total - README.md's \"Supported kernels\" does not say \"Linux $min to $max\" (kmod/META)"
fi

# C=2: sparse over every file, not only those kbuild recompiles.
for meta in linux-headers-amd64 linux-headers-cloud-amd64 linux-headers-rt-amd64 \
	    linux-headers-6.12-amd64 linux-headers-6.12-cloud-amd64 linux-headers-6.12-rt-amd64; do
	if ! dep=$(meta_dep "$meta" linux-headers-); then
		total=$((total + 1)) fails=$((fails + 1))
		echo "not ok $total - bookworm $meta: cannot resolve"
		continue
	fi
	kver=${dep#linux-headers-}
	if ! kdir=$("$here/headers.sh" "$kver"); then
		total=$((total + 1)) fails=$((fails + 1))
		echo "not ok $total - bookworm $kver: cannot unpack the headers"
		continue
	fi
	check_one bookworm "$kver" "$MAKE" -C "$repo" -j"$(nproc)" module \
		KERNELRELEASE="$kver" KDIR="$kdir" W=1 C=2
done

sid_kvers=()
for f in "" cloud- rt-; do
	if dep=$(sid_apt_update && sid_apt_cache depends --important "linux-headers-${f}amd64" 2>/dev/null |
		 awk '$1 == "Depends:" && index($2, "linux-headers-") == 1 { print $2; exit }') && [ -n "$dep" ]; then
		sid_kvers+=("${dep#linux-headers-}")
	else
		total=$((total + 1)) fails=$((fails + 1))
		echo "not ok $total - sid linux-headers-${f}amd64: cannot resolve"
	fi
done
if [ "${#sid_kvers[@]}" -gt 0 ]; then
	if chroot=$("$here/sid-chroot.sh" "${sid_kvers[@]}"); then
		for kver in "${sid_kvers[@]}"; do
			check_one sid "$kver" "$here/sid-chroot.sh" --run "$chroot" \
				make -C "$repo" -j"$(nproc)" module \
				KERNELRELEASE="$kver" KDIR="/usr/src/linux-headers-$kver" W=1 C=2
		done
	else
		total=$((total + 1)) fails=$((fails + 1))
		echo "not ok $total - sid: cannot make the chroot"
	fi
fi

echo "check-build: $((total - fails)) of $total clean in $(($(date +%s) - t_start)) s"
[ "$fails" -eq 0 ]
