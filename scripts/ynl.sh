#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's YNL tools and netlink spec schemas, from Debian's
# linux-source-6.12 (Linux 6.1 has neither the CLI nor the schemas):
# tools/net/ynl (cli.py and its library) and Documentation/netlink/*.yaml,
# extracted once into OUTDIR.  Used by test_ynl_spec.py (the schema the
# spec declares) and by selftests/ynl_cli.sh (the CLI drives the module).
#
#   scripts/ynl.sh OUTDIR

set -eu

out=${1:?usage: ynl.sh OUTDIR}
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1)
[ -n "$tarball" ] || { echo "ynl.sh: no /usr/src/linux-source-6.12.tar.*: apt-get install linux-source-6.12" >&2; exit 1; }

stamp="$tarball $(stat -c %Y "$tarball")"
if [ -f "$out/.source" ] && [ "$(cat "$out/.source")" = "$stamp" ]; then
	exit 0
fi

echo "ynl: extracting the YNL tools and schemas from $tarball"
rm -rf "$out"
mkdir -p "$out"
tar -xf "$tarball" -C "$out" --strip-components=1 --wildcards \
	'linux-source-6.12/tools/net/ynl/*' \
	'linux-source-6.12/Documentation/netlink/*.yaml'
[ -f "$out/tools/net/ynl/cli.py" ] ||
	{ echo "ynl.sh: no tools/net/ynl/cli.py in $tarball" >&2; exit 1; }
echo "$stamp" > "$out/.source"
