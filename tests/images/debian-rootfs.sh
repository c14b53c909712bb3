#!/bin/bash
# debian-rootfs.sh OUT
#
# The base system every Debian test guest starts from, built once and kept as
# OUT/rootfs.tar.zst: debootstrap --variant=minbase of Debian 12 with the
# kernel, systemd, udev, ifupdown and open-vm-tools, plus the .debs of the
# boot loaders and LVM left in the apt cache so that each guest installs its
# own (grub-pc, grub-efi-amd64, lvm2) without the network.  Downloaded
# packages are also kept in $H2K_TEST_IMAGES/cache/debootstrap.
set -euo pipefail
. "$(dirname "$0")/debian-lib.sh"

[ $# -eq 1 ] || die "usage: $prog OUT"
out="$1"
require_root
require_cmds debootstrap tar zstd chroot

image_begin "$out" || exit 0
cache="$H2K_TEST_IMAGES/cache/debootstrap"
mkdir -p "$cache"
root="$work/root"
mkdir -p "$root"
cleanup_push "rm -rf '$work/root'"

include=linux-image-amd64,systemd-sysv,udev,ifupdown,iproute2,open-vm-tools
include=$include,initramfs-tools,kmod,e2fsprogs,zstd,apt-utils
msg "debootstrap $H2K_DEBIAN_SUITE (minbase) from $H2K_DEBIAN_MIRROR"
if ! debootstrap --variant=minbase --include="$include" --cache-dir="$cache" \
        "$H2K_DEBIAN_SUITE" "$root" "$H2K_DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 20 "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
fi

# Keep only what the guests install later in the apt cache: the rest is
# installed already (and kept in $cache).
cp -n "$root"/var/cache/apt/archives/*.deb "$cache"/ 2>/dev/null || true
rm -f "$root"/var/cache/apt/archives/*.deb
# Pre-download the per-guest packages (they conflict, so one at a time).
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot_mount "$root"
in_chroot "$root" apt-get update -q >"$work/apt.log" 2>&1 ||
    { tail -n 20 "$work/apt.log" >&2; die "apt-get update failed"; }
for p in grub-pc grub-efi-amd64 lvm2; do
    in_chroot "$root" apt-get install -y -q --download-only --no-install-recommends "$p" \
        >>"$work/apt.log" 2>&1 ||
        { tail -n 20 "$work/apt.log" >&2; die "downloading $p failed"; }
done
ls "$root"/var/cache/apt/archives/grub-pc_*.deb "$root"/var/cache/apt/archives/lvm2_*.deb \
    "$root"/var/cache/apt/archives/grub-efi-amd64_*.deb >/dev/null ||
    die "boot loader packages were not downloaded"
cp -n "$root"/var/cache/apt/archives/*.deb "$cache"/ 2>/dev/null || true
: >"$root/etc/resolv.conf"
while [ ${#_cleanups[@]} -gt 0 ]; do
    case "${_cleanups[-1]}" in *"rm -rf '$work/root'"*) break ;; esac
    cleanup_pop
done

msg "packing the base system"
tar --numeric-owner --xattrs --xattrs-include='*' -C "$root" -cpf - . |
    zstd -q -T0 -3 -o "$work/rootfs.tar.zst" ||
    die "packing the base system failed"
rm -rf "$root"
in_chroot_list="$(tar -I zstd -tf "$work/rootfs.tar.zst" | grep -c 'boot/vmlinuz-')" ||
    die "base tarball has no kernel"
[ "$in_chroot_list" -ge 1 ] || die "base tarball has no kernel"
rm -f "$work"/*.log
image_finish "$out" debian-rootfs
msg "built $out"
