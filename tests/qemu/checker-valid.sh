#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Stand-in for the kernel's scripts/checker-valid.sh, which sid's 7.x
# linux-headers packages reference from their Makefile but do not ship:
# without it kbuild decides sparse is "not available or not up to date"
# and C=2 silently checks nothing. Same contract: run the checker given as
# arguments on a snippet the kernel's headers need it to understand
# (__typeof_unqual__), print 1 if it copes, 0 if not. sid-chroot.sh copies
# it into the headers trees of the sid chroot.
set -eu
command -v "$1" > /dev/null 2>&1 || { echo 0; exit 0; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" <<'SNIPPET'
static inline int u(const int *q)
{
	__typeof_unqual__(*q) v = *q;
	return v;
}
SNIPPET
# sparse exits 0 even on errors: look at what it prints.
"$@" "$tmp" 2>&1 | awk 'BEGIN { ok = 1 } /error/ { ok = 0 } END { print ok }'
