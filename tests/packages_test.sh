#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages as installed on a machine: tests/qemu/dkms-chroot.sh
# has installed "make deb"'s procterm-dkms and procterm into a Debian 12
# chroot on the host (apt install ./procterm-dkms_*.deb ./procterm_*.deb),
# whose DKMS built and signed the module for every kernel with headers
# there. The guest sees that chroot read-only at PROCTERM_DKMS_ROOT. Here:
# every header set has a DKMS build carrying DKMS's signature and
# kmod/META's version; then, for the running kernel, the DKMS-built module
# replaces the suite's, and the installed CLI (run in the chroot) kills a
# process with an exit status its parent sees. The suite's module is loaded
# back at the end. On kernels the chroot has no headers for (sid's, the
# debug kernels), only that last part skips.
#
# Needs root, procterm.ko loaded, PROCTERM_DKMS_ROOT and PROCTERM_KO. TAP.

. "$(dirname "$0")/cli_lib.sh"

root=${PROCTERM_DKMS_ROOT:-}
kver=$(uname -r)
version=$(sed -n 's/^Version:[[:space:]]*//p' "$PROCTERM_REPO/kmod/META")
swapped=false

cli_cleanup_hook() {
	$swapped || return 0
	rmmod procterm 2>/dev/null
	insmod "$PROCTERM_KO" 2>/dev/null
}

cli_start
if [ -z "$root" ]; then
	echo "1..0 # SKIP no DKMS chroot (PROCTERM_DKMS_ROOT): only made when Debian 12 kernels are tested"
	exit $KSFT_SKIP
fi
if [ ! -d "$root/var/lib/dpkg" ]; then
	not_ok "the DKMS chroot at $root"
	cli_end
fi

# ---- the packages
for p in procterm-dkms procterm; do
	st=$(chroot "$root" dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null)
	checkx "package $p is installed, version $version" '[ "$st" = "install ok installed $version" ]'
done
checkx "the CLI, its manual page and completion are installed" \
	'[ -x "$root/usr/sbin/procterm" ] && [ -f "$root/usr/share/man/man8/procterm.8.gz" ] &&
	 [ -f "$root/usr/share/bash-completion/completions/procterm" ]'

# ---- DKMS: a signed build for every header set
cn=$(openssl x509 -noout -subject -nameopt multiline -in "$root/var/lib/dkms/mok.pub" 2>/dev/null |
     sed -n 's/^ *commonName *= *//p')
checkx "DKMS's machine owner key exists (CN \"$cn\")" '[ -n "$cn" ]'
nk=0
for build in "$root"/lib/modules/*/build; do
	k=${build%/build}
	k=${k##*/}
	nk=$((nk + 1))
	ko=$(ls "$root/lib/modules/$k/updates/dkms/procterm.ko"* 2>/dev/null | head -n1)
	if [ -z "$ko" ]; then
		not_ok "DKMS built procterm.ko for $k"
		grep -A3 "$k" "$root/var/tmp/procterm-dkms/status" 2>/dev/null | diag
		continue
	fi
	ok "DKMS built procterm.ko for $k"
	signer=$(modinfo -F signer "$ko")
	checkx "$k: signed by DKMS's key (signer \"$signer\")" '[ -n "$signer" ] && [ "$signer" = "$cn" ]'
	checkx "$k: version $version" '[ "$(modinfo -F version "$ko")" = "$version" ]'
	checkx "$k: dkms status says installed" \
		'grep -Fqx "procterm/$version, $k, x86_64: installed" "$root/var/tmp/procterm-dkms/status"'
done
checkx "the chroot has header sets ($nk)" '[ "$nk" -gt 0 ]'

# ---- the running kernel: the DKMS-built module, the installed CLI
ko=$(ls "$root/lib/modules/$kver/updates/dkms/procterm.ko"* 2>/dev/null | head -n1)
# (build is a link to /usr/src/linux-headers-KVER: absolute, in the chroot)
if [ ! -d "$root/usr/src/linux-headers-$kver" ]; then
	# sid's and the debug kernels: the chroot is a Debian 12 machine.
	skip "the DKMS-built module and the installed CLI on $kver" \
		"the chroot has the headers of Debian 12's kernels only"
	cli_end
fi
if [ -z "$ko" ]; then
	not_ok "a DKMS build for the running kernel $kver"
	cli_end
fi
# The suite's module, then DKMS's.
if ! rmmod procterm; then
	not_ok "rmmod the suite's procterm (something holds it)"
	cli_end
fi
swapped=true
case $ko in
*.xz) xz -dc "$ko" >"$tmp/procterm.ko" && ko=$tmp/procterm.ko ;;
*.zst) zstd -qdc "$ko" >"$tmp/procterm.ko" && ko=$tmp/procterm.ko ;;
esac
out=$(insmod "$ko" 2>&1)
checkx "insmod the DKMS-built module" '[ -d /sys/module/procterm ]'
printf '%s\n' "$out" | diag
checkx "it is the DKMS build (srcversion)" \
	'[ "$(cat /sys/module/procterm/srcversion)" = "$(modinfo -F srcversion "$ko")" ]'

cli=(chroot "$root" /usr/sbin/procterm)
out=$("${cli[@]}" --version 2>&1)
checkx "the installed CLI says version $version" '[ "$out" = "procterm $version" ]'
spawn
p=$last
out=$("${cli[@]}" kill --status 7 --wait "$p" 2>&1)
rc=$?
printf '%s\n' "\$ procterm kill --status 7 --wait $p (installed) -> exit $rc" "$out" | diag
checkx "the installed CLI kills through the DKMS-built module: exit 0" '[ "$rc" = 0 ]'
reap "$p"
checkx "the parent sees exit status 7" '[ "$status" = 7 ]'
spawn_tree
p=$last
"${cli[@]}" kill --tree "$p" >/dev/null 2>&1
rc=$?
reap "$p"
survivors=0
for k in $kids; do gone "$k" || survivors=$((survivors + 1)); done
checkx "the installed CLI's tree kill: exit 0, no survivor" '[ "$rc" = 0 ] && [ "$status" = 137 ] && [ "$survivors" = 0 ]'

# ---- back to the suite's module
rmmod procterm
insmod "$PROCTERM_KO"
checkx "the suite's module is loaded again" '[ -d /sys/module/procterm ]'
swapped=false

cli_end
