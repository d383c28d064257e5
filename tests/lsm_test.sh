#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The LSM judges every kill as SIGKILL from the requester (issue 9, item 5).
#
# An AppArmor profile allows "signal (send) set=(exists)" (signal 0) but not
# "kill", and everything else. Under it, as root:
#   - plain "procterm kill PID" is refused (exit 3) and the target lives;
#   - "procterm kill --status 7 PID" likewise;
#   - "procterm kill --tree ROOT" is refused (exit 3); the reply must be true:
#     nothing was killed (or the message says how many were), the root lives;
#   - "procterm kill --deferred PID" is refused when armed, or armed and the
#     kill refused when it fires: a running target stays alive;
#   - "procterm kill --name N [--strict]" (selectors: signal 0 passes, the
#     SIGKILL is refused) exits 3, both matches live and are listed as
#     denied; with --strict the kernel sends that list before its EPERM.
# Signal 0 judged as "exists" let the tree and deferred paths through.
#
# Needs root, procterm.ko loaded, AppArmor in the kernel, and the host's
# apparmor_parser and aa-exec (package apparmor). Prints TAP; exit 0, 1 on a
# failure, 4 when the kernel has no AppArmor. Only processes started here are
# ever signalled, by PID. The profile has a unique name and is removed at the
# end.

set -u
export LC_ALL=C

PROCTERM=${PROCTERM:-procterm}
KSFT_SKIP=4
sec=/sys/kernel/security
profile=procterm_lsm_test_$$
n=0 failed=0
pids=()
tmp=''
loaded_profile=''

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
diag() { sed 's/^/# /'; }
skip_all() { echo "1..0 # SKIP $1"; exit "$KSFT_SKIP"; }
fail_all() { echo "1..1"; echo "not ok 1 $1"; exit 1; }

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$loaded_profile" ]; then
		apparmor_parser -R -K "$tmp/profile" >/dev/null 2>&1 ||
			echo "$profile" > "$sec/apparmor/.remove" 2>/dev/null
	fi
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# alive PID: exists and is neither a zombie nor dead.
alive() {
	local line st
	read -r line 2>/dev/null < "/proc/$1/stat" || return 1
	line=${line##*) }
	st=${line%% *}
	[ "$st" != Z ] && [ "$st" != X ]
}

# still_alive PID SECONDS: alive for the whole time.
still_alive() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$1" || return 1
		sleep 0.1
	done
	alive "$1"
}

# confined CMD...: run CMD under the profile; output in $out, status in $rc.
confined() {
	out=$(aa-exec -p "$profile" -- "$@" 2>&1)
	rc=$?
}

echo "TAP version 13"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -d /sys/module/procterm ] || skip_all "procterm is not loaded"
if [ ! -d "$sec/apparmor" ]; then
	mountpoint -q "$sec" || mount -t securityfs securityfs "$sec" 2>/dev/null
fi
if [ ! -d "$sec/apparmor" ]; then
	skip_all "the kernel has no AppArmor: no $sec/apparmor (LSMs: $(cat "$sec/lsm" 2>/dev/null || echo unknown))"
fi
if ! grep -qw apparmor "$sec/lsm" 2>/dev/null; then
	skip_all "AppArmor is built in but not active (LSMs: $(cat "$sec/lsm" 2>/dev/null))"
fi
[ -d "$sec/apparmor/features/signal" ] ||
	skip_all "this kernel's AppArmor does not mediate signals"
command -v apparmor_parser >/dev/null && command -v aa-exec >/dev/null ||
	fail_all "apparmor_parser or aa-exec missing on the host: install package apparmor"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lsm-test.XXXXXX") || fail_all "mktemp"
cat > "$tmp/profile" <<EOF
abi <abi/3.0>,
profile $profile flags=(attach_disconnected) {
  file,
  capability,
  network,
  unix,
  ptrace,
  signal (receive),
  signal (send) set=(exists),
}
EOF
if ! out=$(apparmor_parser -r -K "$tmp/profile" 2>&1); then
	echo "$out" | diag
	fail_all "apparmor_parser could not load the test profile"
fi
loaded_profile=1

echo "1..9"

# ---- the profile itself tells signal 0 from SIGKILL
sleep 1000 > /dev/null 2>&1 &
t=$!
pids+=("$t")
confined bash -c "kill -0 $t"
c0=$rc
confined bash -c "kill -KILL $t"
c9=$rc
if [ "$c0" = 0 ] && [ "$c9" != 0 ] && alive "$t"; then
	ok "profile allows signal 0 and refuses SIGKILL"
else
	not_ok "profile allows signal 0 and refuses SIGKILL (kill -0: $c0, kill -KILL: $c9)"
	echo "$out" | diag
fi

# ---- plain kill
confined "$PROCTERM" kill "$t"
if [ "$rc" = 3 ] && still_alive "$t" 1; then
	ok "plain kill refused with exit 3, target alive"
else
	not_ok "plain kill refused with exit 3, target alive (exit $rc, alive: $(alive "$t" && echo yes || echo no))"
	echo "$out" | diag
fi

# ---- kill --status
confined "$PROCTERM" kill --status 7 "$t"
if [ "$rc" = 3 ] && still_alive "$t" 1; then
	ok "kill --status refused with exit 3, target alive"
else
	not_ok "kill --status refused with exit 3, target alive (exit $rc)"
	echo "$out" | diag
fi

# ---- tree kill: a root with a child, both refused members
bash -c 'sleep 1000 & wait' > /dev/null 2>&1 &
root=$!
pids+=("$root")
child=''
# Up to 30 s (times PROCTERM_TIMEOUT_SCALE): a debug kernel under load took
# more than 10 s to let bash fork.
for ((i = 0; i < 300 * ${PROCTERM_TIMEOUT_SCALE:-1}; i++)); do
	child=$(cat "/proc/$root/task/$root/children" 2>/dev/null)
	child=${child%% *}
	[ -n "$child" ] && break
	sleep 0.1
done
confined "$PROCTERM" kill --tree "$root"
tree_out=$out
tree_rc=$rc
sleep 1
if [ "$tree_rc" = 3 ] && alive "$root"; then
	ok "tree kill refused with exit 3, root alive"
else
	not_ok "tree kill refused with exit 3, root alive (exit $tree_rc, root alive: $(alive "$root" && echo yes || echo no))"
	echo "$tree_out" | diag
fi
[ -n "$child" ] && pids+=("$child")
# The reply must be true: as many members dead as it says were terminated.
claimed=$(echo "$tree_out" | grep -Eio '(terminated|killed) [0-9]+|[0-9]+ (were|was) (killed|terminated)' |
	grep -Eo '[0-9]+' | head -n 1)
[ "$tree_rc" = 0 ] && [ -z "$claimed" ] && claimed=2
claimed=${claimed:-0}
dead=0
alive "$root" || dead=$((dead + 1))
[ -n "$child" ] && ! alive "$child" && dead=$((dead + 1))
if [ -z "$child" ]; then
	not_ok "tree kill: the reply is true # root $root has no child"
elif [ "$dead" = "$claimed" ]; then
	ok "tree kill: the reply is true ($dead of 2 members dead, $claimed claimed)"
else
	not_ok "tree kill: the reply is false: $dead of 2 members dead, it claimed $claimed"
	echo "$tree_out" | diag
fi

# ---- deferred kill of a running target
bash -c 'while :; do :; done' > /dev/null 2>&1 &
spin=$!
pids+=("$spin")
sleep 0.5
confined "$PROCTERM" kill --deferred "$spin"
def_rc=$rc
def_out=$out
if [ "$def_rc" = 3 ] && still_alive "$spin" 2; then
	ok "deferred kill refused at arm time (exit 3), target alive"
elif [ "$def_rc" = 0 ] && still_alive "$spin" 3; then
	ok "deferred kill armed, refused when it fired: target alive"
else
	not_ok "deferred kill: the refused SIGKILL must not happen (exit $def_rc, target alive: $(alive "$spin" && echo yes || echo no))"
	echo "$def_out" | diag
fi

# ---- and as a tree
bash -c 'while :; do :; done' > /dev/null 2>&1 &
spin2=$!
pids+=("$spin2")
sleep 0.5
confined "$PROCTERM" kill --deferred --tree "$spin2"
if { [ "$rc" = 3 ] || [ "$rc" = 0 ]; } && still_alive "$spin2" 3; then
	ok "deferred tree kill refused (exit $rc), target alive"
else
	not_ok "deferred tree kill: the refused SIGKILL must not happen (exit $rc, target alive: $(alive "$spin2" && echo yes || echo no))"
	echo "$out" | diag
fi

# ---- selectors: signal 0 passes in pass 2, SIGKILL is refused in pass 3
name=ptlsm$$
cp "$(command -v sleep)" "$tmp/$name" || fail_all "cp sleep"
"$tmp/$name" 1000 > /dev/null 2>&1 &
s1=$!
"$tmp/$name" 1000 > /dev/null 2>&1 &
s2=$!
pids+=("$s1" "$s2")
sleep 0.3
for mode in --strict plain; do
	if [ "$mode" = plain ]; then
		confined "$PROCTERM" kill --name "$name"
	else
		confined "$PROCTERM" kill --name "$name" --strict
	fi
	listed=0
	for p in "$s1" "$s2"; do
		echo "$out" | grep -Eq "^ *$p .*denied\$" && listed=$((listed + 1))
	done
	if [ "$rc" = 3 ] && still_alive "$s1" 1 && alive "$s2" && [ "$listed" = 2 ]; then
		ok "kill --name ($mode): exit 3, both matches alive and listed denied"
	else
		not_ok "kill --name ($mode): exit 3, both alive and listed denied (exit $rc, listed $listed of 2, alive: $(alive "$s1" && echo yes || echo no) $(alive "$s2" && echo yes || echo no))"
		echo "$out" | diag
	fi
done

[ "$failed" -eq 0 ]
