#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages that a dyncast make target needs.
#
#   scripts/deps.sh GROUP...     groups: build vm tools bench lint dkms deb ynl debug
#
# Quick when everything is there: one dpkg-query, no apt.  As root, runs
# "apt-get update" once and installs what is missing; otherwise names the
# missing packages and fails.

set -eu

declare -A group=(
	[build]="make gcc libc6-dev pkg-config linux-headers-amd64
		 libmnl-dev libjansson-dev libcmocka-dev python3 python3-yaml
		 clang libclang-rt-14-dev libsodium-dev libinih-dev
		 libnetfilter-conntrack-dev libsystemd-dev"
	[vm]="linux-image-amd64 qemu-system-x86 busybox-static kmod cpio gzip"
	[tools]="iproute2 procps psmisc iputils-ping tcpdump nftables conntrack
		 libnetfilter-conntrack-dev ipvsadm nginx-light socat curl
		 iperf3 ethtool jq prometheus exabgp frr"
	[bench]="gnuplot-nox python3 libmnl-dev"
	[lint]="sparse cppcheck shellcheck perl linux-source-6.1 xz-utils groff-base"
	[dkms]="dkms"
	[deb]="dpkg-dev debhelper dh-dkms dkms lintian systemd"
	[ynl]="linux-source-6.12 xz-utils python3-yaml python3-jsonschema"
	[debug]="linux-source-6.1 xz-utils bc flex bison libelf-dev libssl-dev
		 gcc make"
)

want=()
for g in "$@"; do
	[ -n "${group[$g]+x}" ] || { echo "deps.sh: unknown group '$g'" >&2; exit 2; }
	# shellcheck disable=SC2206 # word splitting of the list is intended
	want+=(${group[$g]})
done
[ ${#want[@]} -gt 0 ] || exit 0

declare -A have=()
while read -r pkg status; do
	have[$pkg]=$status
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${want[@]}" 2>/dev/null)
missing=()
for p in "${want[@]}"; do
	[ "${have[$p]:-}" = installed ] || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "Missing Debian packages: ${missing[*]}" >&2
	echo "Install them as root: apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
