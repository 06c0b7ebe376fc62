#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs of the test VM.
#
#   mkinitramfs.sh KVER MODDIR OUTPUT
#
# MODDIR is the kernel's modules directory (normally /lib/modules/KVER).
# The initramfs holds only static busybox, /init and the modules needed to
# mount the host's root over virtio-9p; every other module is loaded later
# from that root by the host's own modprobe (see init).

set -eu

kver=$1 moddir=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)

busybox=$(command -v busybox || true)
for b in /bin/busybox /usr/bin/busybox; do
	[ -x "$b" ] && busybox=$b && break
done
if [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "mkinitramfs: a static busybox is needed (apt-get install busybox-static)" >&2
	exit 1
fi
[ -f "$moddir/modules.dep" ] || {
	echo "mkinitramfs: $moddir/modules.dep missing (run depmod)" >&2
	exit 1
}

stage=$(mktemp -d)
modroot=$(mktemp -d)
trap 'rm -rf "$stage" "$modroot"' EXIT

# modprobe -d wants ROOT/lib/modules/KVER; MODDIR may live anywhere.
mkdir -p "$modroot/lib/modules"
ln -s "$(cd "$moddir" && pwd)" "$modroot/lib/modules/$kver"

mkdir -p "$stage"/{bin,dev,proc,sys,mnt,lib/modules}
cp "$busybox" "$stage/bin/busybox"
cp "$here/init" "$stage/init"
cp "$here/modprobe-chroot" "$stage/bin/modprobe-chroot"
chmod 0755 "$stage/init" "$stage/bin/modprobe-chroot"

# Modules in load order, each once; built-in ones need nothing.
: > "$stage/lib/modules/order"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -d "$modroot" -S "$kver" --show-depends "$m"
done | while read -r cmd path _; do
	[ "$cmd" = insmod ] || continue
	name=$(basename "$path")
	dest=${name%.xz}; dest=${dest%.zst}; dest=${dest%.gz}
	grep -qx "$dest" "$stage/lib/modules/order" && continue
	case $name in
	*.xz)  xz -dc "$path" ;;
	*.zst) zstd -qdc "$path" ;;
	*.gz)  gzip -dc "$path" ;;
	*)     cat "$path" ;;
	esac > "$stage/lib/modules/$dest"
	echo "$dest" >> "$stage/lib/modules/order"
done

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
