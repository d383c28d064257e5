#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the extended regular expression DKMS's BUILD_EXCLUSIVE_KERNEL needs
# for the kernel releases from MIN to MAX (MAJOR.MINOR each), as kmod/META
# declares them: "dkms-regex.sh 6.1 7.2" matches 6.1.0-28-amd64 and
# 7.2.13+deb14-amd64, not 6.0.x or 7.3.x. A major below MAX's takes minors
# up to 39 (Linux has never gone past .20 within a major).
set -eu
min=${1:?usage: dkms-regex.sh MIN MAX}
max=${2:?usage: dkms-regex.sh MIN MAX}
echo "$min $max" | awk '{
	split($1, lo, "."); split($2, hi, ".")
	re = ""
	for (maj = lo[1] + 0; maj <= hi[1] + 0; maj++) {
		first = (maj == lo[1] + 0) ? lo[2] + 0 : 0
		last = (maj == hi[1] + 0) ? hi[2] + 0 : 39
		minors = ""
		for (m = first; m <= last; m++)
			minors = minors (minors == "" ? "" : "|") m
		if (minors == "")
			continue
		re = re (re == "" ? "" : "|") maj "\\.(" minors ")"
	}
	printf "^(%s)([.+~-]|$)\n", re
}'
