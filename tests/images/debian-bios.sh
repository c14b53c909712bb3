#!/bin/bash
# debian-bios.sh OUT ROOTFS
#
# Image debian-bios: a real, bootable Debian 12 BIOS guest as VMware leaves
# it.  MBR disk, ext4 root on sda1, swap on sda2, fstab and kernel command
# line on /dev/sda1 (GRUB_DISABLE_LINUX_UUID), grub-pc, NIC ens192 with a
# static address pinned to a VMware MAC by 70-persistent-net.rules, an
# initramfs (MODULES=dep) with the VMware storage drivers and no virtio, a
# serial console on ttyS0.
#
# OUT holds:
#   debian-bios.vmdk     monolithicSparse disk
#   debian-bios.vmx      the VM's configuration (PVSCSI, vmxnet3, BIOS)
#   debian-bios.ova      OVF + manifest (SHA256) + streamOptimized disk
#   chain/base.vmdk, chain/base-000001.vmdk, chain/debian-bios.vmx
#                        a snapshot chain whose delta holds a marker file
#                        and a byte pattern (see facts)
#   facts                shell-sourceable: MAC, IP, NIC, ROOT_DEV, ...
# ROOTFS is the debian-rootfs image directory (rootfs.tar.zst).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/debian-lib.sh"
. "$here/debian-vmware.sh"

[ $# -eq 2 ] || die "usage: $prog OUT ROOTFS"
out="$1" rootfs="$2/rootfs.tar.zst"
name=debian-bios
mac=00:50:56:3a:5c:01 ip=192.168.122.50 prefix=24 gw=192.168.122.1 nic=ens192
require_root
require_cmds sfdisk losetup partx mkfs.ext4 mkswap qemu-img qemu-io tar zstd sha256sum guestfish
[ -f "$rootfs" ] || die "no base system at $rootfs"

image_begin "$out" || exit 0
raw="$work/disk.raw"
cleanup_push "rm -f '$raw'"
truncate -s 2G "$raw"
sfdisk -q "$raw" <<'EOF' || die "partitioning failed"
label: dos
start=2048, size=3670016, type=83, bootable
type=82
EOF

loop_attach "$raw"
mkfs.ext4 -q -L root "${loop}p1" || die "mkfs.ext4 failed"
mkswap -L swap "${loop}p2" >/dev/null || die "mkswap failed"
mnt="$work/mnt"
mkdir -p "$mnt"
mount "${loop}p1" "$mnt"
cleanup_push "umount -l '$mnt'"
msg "installing the base system"
rootfs_unpack "$rootfs" "$mnt"
chroot_mount "$mnt"

guest_setup "$mnt" "$name" "$nic" "$mac" "$ip/$prefix" "$gw"
cat >"$mnt/etc/fstab" <<'EOF'
# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
/dev/sda1       /               ext4    errors=remount-ro 0       1
/dev/sda2       none            swap    sw              0       0
EOF

msg "installing grub-pc"
in_chroot "$mnt" debconf-set-selections <<'EOF'
grub-pc grub-pc/install_devices multiselect
grub-pc grub-pc/install_devices_empty boolean true
EOF
apt_install_cached "$mnt" grub-pc
echo "(hd0) $loop" >"$mnt/boot/grub/device.map"
in_chroot "$mnt" grub-install --target=i386-pc --boot-directory=/boot "$loop" \
    >"$work/grub.log" 2>&1 || { cat "$work/grub.log" >&2; die "grub-install failed"; }
rm -f "$mnt/boot/grub/device.map"
# what the installer would have recorded on VMware
echo "grub-pc grub-pc/install_devices multiselect /dev/sda" |
    in_chroot "$mnt" debconf-set-selections

msg "building the initramfs"
update_initramfs "$mnt"
in_chroot "$mnt" update-grub >"$work/grub.log" 2>&1 ||
    { cat "$work/grub.log" >&2; die "update-grub failed"; }
fix_grub_cfg "$mnt" /dev/sda1
apt_cleanup "$mnt"
fstrim "$mnt" || die "fstrim failed"
kver="$(basename "$(ls -d "$mnt"/lib/modules/* | tail -n 1)")"

# unmount everything but the loop device, then check the file system
while [ "${_cleanups[-1]}" != "umount -l '$mnt'" ]; do cleanup_pop; done
cleanup_pop
e2fsck -fy "${loop}p1" >/dev/null 2>&1 || [ $? -eq 1 ] || die "e2fsck failed"
cleanup_pop; cleanup_pop    # partx -d, losetup -d

rmdir "$mnt"
msg "writing the VMware files"
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic \
    "$raw" "$work/$name.vmdk" || die "qemu-img convert failed"
write_vmx "$work/$name.vmx" "$name" bios "$mac" "$name.vmdk"

msg "writing the OVA"
make_ova "$work" "$name" bios "$mac" "$raw"

msg "writing the snapshot chain"
marker_text="h2k snapshot marker $name"
pattern_off=$(( (2048 + 3670016) * 512 + 1048576 ))   # 1 MiB into swap (sda2)
make_chain "$work/chain" "$name" bios "$mac" /dev/sda1 \
    /etc/h2k-snapshot-marker "$marker_text" "$pattern_off" "$raw"
rm -f "$raw"

write_facts "$work/facts" \
    NAME="$name" FIRMWARE=bios OS=linux DISTRO=debian DISTRO_MAJOR=12 \
    KERNEL="$kver" HOSTNAME="h2k-$name" \
    DISK="$name.vmdk" VMX="$name.vmx" OVA="$name.ova" \
    PARTITIONING=mbr ROOT_DEV=/dev/sda1 SWAP_DEV=/dev/sda2 ROOT_FS=ext4 \
    MAC="$mac" NIC="$nic" IP="$ip" PREFIX="$prefix" GATEWAY="$gw" \
    CHAIN_BASE=chain/base.vmdk CHAIN_TOP=chain/base-000001.vmdk \
    CHAIN_VMX=chain/$name.vmx \
    SNAPSHOT_MARKER=/etc/h2k-snapshot-marker SNAPSHOT_MARKER_TEXT="$marker_text" \
    SNAPSHOT_PATTERN_OFFSET="$pattern_off" SNAPSHOT_PATTERN_LENGTH=65536 \
    SNAPSHOT_PATTERN_BYTE=0x5a \
    LOGIN_REGEX='login:' \
    FAIL_REGEX='does not exist|Dropping to a shell|\(initramfs\)'
rm -f "$work"/*.log
image_finish "$out" "$name"
msg "built $out"
