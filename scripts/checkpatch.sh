#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's checkpatch.pl on files:  checkpatch.sh FILE...
#
# checkpatch.pl comes from Debian's linux-source tarball; only the script and
# the data files it reads are unpacked, once, into a cache outside the tree
# (/var/cache/dyncast as root, else ~/.cache/dyncast).
#
# Options: --no-tree (no kernel tree around), --strict; no type is ignored.
# Add "--ignore TYPE" to CHECKPATCH_FLAGS to silence a type for a run.

set -eu

tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] || { echo "checkpatch: no /usr/src/linux-source-*.tar.xz (apt-get install linux-source)" >&2; exit 2; }

if [ -w /var/cache ] || [ -w /var/cache/dyncast ]; then
	cache=/var/cache/dyncast
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/dyncast
fi
base=$(basename "$tarball" .tar.xz)
dir=$cache/$base
stamp="$(stat -c '%s %Y' "$tarball")"

if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "checkpatch: unpacking checkpatch.pl from $tarball into $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 \
		"$base/scripts/checkpatch.pl" \
		"$base/scripts/spelling.txt" \
		"$base/scripts/const_structs.checkpatch"
	echo "$stamp" > "$dir/.stamp"
fi

# shellcheck disable=SC2086 # CHECKPATCH_FLAGS is a list of options
exec perl "$dir/scripts/checkpatch.pl" --no-tree --strict --show-types \
	--quiet --no-summary ${CHECKPATCH_FLAGS:-} -f "$@"
