#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract from Debian's linux-source-6.12 the few files the build uses:
# kselftest_harness.h and kselftest.h (C tests), ktap_helpers.sh (shell
# tests), checkpatch.pl with its data files (make style), and YNL (the
# generic netlink spec tools and the schemas specs are checked against).
#
#   tests/qemu/linux-source.sh DESTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/qemu/lib.sh
. "$here/lib.sh"

dest=${1:?usage: linux-source.sh DESTDIR}
tarball=/usr/src/linux-source-6.12.tar.xz
files=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
       tools/testing/selftests/kselftest_harness.h
       tools/testing/selftests/kselftest.h
       tools/testing/selftests/kselftest/ktap_helpers.sh
       tools/net/ynl
       Documentation/netlink/genetlink.yaml
       Documentation/netlink/genetlink-c.yaml
       Documentation/netlink/genetlink-legacy.yaml
       Documentation/netlink/netlink-raw.yaml)

[ -f "$tarball" ] || apt_ensure linux-source-6.12
[ -f "$tarball" ] || die "$tarball missing (package linux-source-6.12)"

msg "extracting ${#files[@]} files and directories from $tarball"
rm -rf "$dest"
mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --strip-components=1 "${files[@]/#/linux-source-6.12/}"
touch "$dest/.extracted"
