#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the Debian packages dyncast and dyncast-dkms from the work tree as
# git sees it (tracked and untracked files, not ignored ones), then check
# them with lintian.
#
#   scripts/deb.sh OUTDIR
#
# OUTDIR gets the .deb files, the .changes, build.log and lintian.log.
# Fails when the build fails or lintian reports an error.

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: deb.sh OUTDIR}
ver=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
src=$out/src/dyncast-${ver%%-*}

rm -rf "$out"
mkdir -p "$src"
out=$(cd "$out" && pwd)
src=$out/src/dyncast-${ver%%-*}
(cd "$TOP" && git ls-files -co --exclude-standard -z |
	while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
	tar --null -cf - -T -) | tar -xf - -C "$src"

echo "deb: building dyncast $ver in $src"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log"
	echo "deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/
rm -rf "$out/src"

changes=$(ls "$out"/*.changes)
if ! lintian --fail-on error --info "$changes" > "$out/lintian.log" 2>&1; then
	cat "$out/lintian.log"
	echo "deb: lintian reports errors" >&2
	exit 1
fi
cat "$out/lintian.log"
ls "$out"/*.deb
