#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Mirror the module's sources into a per-kernel build directory.
#
#   tests/qemu/sync-src.sh FROM TO PATH...
#
# Copies the source files (Kbuild, Makefile, META, *.c, *.h, *.S, *.lds) under each
# PATH of FROM to TO, only those whose content changed, so that kbuild in TO
# rebuilds what changed and nothing else. Build products in FROM (from an
# in-tree build) are never copied. Files copied by an earlier run that have
# since disappeared from FROM are removed from TO.
set -euo pipefail

from=${1:?usage: sync-src.sh FROM TO PATH...}
to=${2:?}
shift 2
mkdir -p "$to"
manifest=$to/.synced-files
new=$(mktemp "$to/.synced-files.XXXXXX")
trap 'rm -f "$new"' EXIT

cd "$from"
find "$@" -type f \( -name Kbuild -o -name Makefile -o -name META -o -name '*.c' -o -name '*.h' \
	-o -name '*.S' -o -name '*.lds' \) ! -name '*.mod.c' 2>/dev/null | LC_ALL=C sort > "$new"

while IFS= read -r f; do
	if ! cmp -s "$f" "$to/$f"; then
		mkdir -p "$to/$(dirname "$f")"
		# A fresh mtime (no -p): newer than any object built from the
		# old content.
		cp "$f" "$to/$f"
	fi
done < "$new"

if [ -f "$manifest" ]; then
	LC_ALL=C comm -23 "$manifest" "$new" | while IFS= read -r f; do
		rm -f "$to/$f"
	done
fi
mv "$new" "$manifest"
trap - EXIT
