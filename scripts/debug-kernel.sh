#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel of "make check-debug": KASAN, UBSAN, lockdep, kmemleak
# and the object, list and atomic-sleep checks, with everything the
# selftests use built in (scripts/debug-kernel.config).  Built once from
# Debian's linux-source tarball into a cache outside the tree
# (/var/cache/dyncast as root, else ~/.cache/dyncast), again only when the
# tarball or the configuration change.
#
#   debug-kernel.sh     build if needed, then print the settings of
#                       "make check": KERNEL=... KMODULES=... KDIR=...
#   debug-kernel.sh --source
#                       print the source tarball it builds from
#
# DEBUG_KERNEL_SERIES (6.1) and DEBUG_KERNEL_SRCDIR (/usr/src) choose
# another /usr/src/linux-source-SERIES.tar.xz.
#
# Build output goes to the cache's build.log; a failure prints its tail.

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
fragment=$TOP/scripts/debug-kernel.config

# The target kernel's series, Debian 12's 6.1, whatever else is installed
# beside it ("make check" installs linux-source-6.12 for ynl.sh).
series=${DEBUG_KERNEL_SERIES:-6.1}
tarball=${DEBUG_KERNEL_SRCDIR:-/usr/src}/linux-source-$series.tar.xz
if [ "${1:-}" = --source ]; then
	echo "$tarball"
	exit 0
fi
[ -f "$tarball" ] || {
	echo "debug-kernel: no $tarball (apt-get install linux-source-$series)" >&2
	exit 1
}

if [ -w /var/cache ] || [ -w /var/cache/dyncast ]; then
	cache=/var/cache/dyncast
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/dyncast
fi
base=$(basename "$tarball" .tar.xz)
dir=$cache/debug-$base
src=$dir/src
stamp="$(stat -c '%s %Y' "$tarball") $(sha256sum < "$fragment" | cut -c1-16)"

settings()
{
	local kver

	kver=$(cat "$src/include/config/kernel.release")
	echo "KERNEL=$src/arch/x86/boot/bzImage KMODULES=$dir/mods/lib/modules/$kver KDIR=$src"
}

if [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
	settings
	exit 0
fi

mkdir -p "$dir"
log=$dir/build.log
: > "$log"
start=$(date +%s)
echo "debug-kernel: building the debug kernel in $dir (about 10 minutes on 2 CPUs; log: $log)" >&2

fail()
{
	echo "debug-kernel: $*; the end of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}

rm -rf "$src" "$dir/mods" "$dir/.stamp"
mkdir -p "$src"
tar -xJf "$tarball" -C "$src" --strip-components=1 || fail "cannot unpack $tarball"

cd "$src"
{
	make allnoconfig &&
	scripts/kconfig/merge_config.sh -m .config "$fragment" &&
	make olddefconfig
} >> "$log" 2>&1 || fail "configuration failed"

# Every option asked for must have made it (a missing dependency would
# drop it silently).
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment" | while IFS= read -r line; do
	grep -qxF "$line" .config || echo "${line%%=*}"
done)
[ -z "$missing" ] || fail "options not taken by the configuration: $(echo $missing)"

make -j"$(nproc)" bzImage modules >> "$log" 2>&1 || fail "build failed"
make modules_install INSTALL_MOD_PATH="$dir/mods" >> "$log" 2>&1 ||
	fail "modules_install failed"

echo "$stamp" > "$dir/.stamp"
echo "debug-kernel: built in $(( $(date +%s) - start )) s" >&2
settings
