#!/bin/bash
# debian-lvm.sh OUT ROOTFS
#
# Image debian-lvm: a real, bootable Debian 12 BIOS guest on two disks, as
# an older VMware install leaves it.  Disk 1 (sda): MBR, /boot (ext4) on
# sda1, grub-pc in its MBR.  Disk 2 (sdb): MBR, one LVM PV (sdb1) holding VG
# debian-vg with LVs root (ext4) and swap_1.  fstab names
# /dev/mapper/debian--vg-root, /dev/mapper/debian--vg-swap_1 and /dev/sda1;
# the kernel command line root=/dev/mapper/debian--vg-root.  Same NIC
# pinning, initramfs (no virtio) and serial console as debian-bios.
#
# OUT holds debian-lvm.vmdk and debian-lvm_1.vmdk (monolithicSparse),
# debian-lvm.vmx (both on PVSCSI: scsi0:0 and scsi0:1) and facts.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/debian-lib.sh"
. "$here/debian-vmware.sh"

[ $# -eq 2 ] || die "usage: $prog OUT ROOTFS"
out="$1" rootfs="$2/rootfs.tar.zst"
name=debian-lvm vg=debian-vg
mac=00:50:56:3a:5c:03 ip=192.168.122.52 prefix=24 gw=192.168.122.1 nic=ens192
require_root
require_cmds sfdisk losetup mkfs.ext4 qemu-img tar zstd guestfish
rootlv="/dev/mapper/${vg//-/--}-root" swaplv="/dev/mapper/${vg//-/--}-swap_1"
[ -f "$rootfs" ] || die "no base system at $rootfs"

image_begin "$out" || exit 0
# The build host has no device-mapper: prepare the system in a chroot on a
# scratch ext4 file system, then lay out the two disks, LVM included, and
# install GRUB inside a libguestfs appliance (which sees them as sda, sdb).
stage="$work/stage.raw"
cleanup_push "rm -f '$stage' '$work/root.tar'"
truncate -s 3G "$stage"
loop="$(losetup -f --show "$stage")" || die "losetup failed"
cleanup_push "losetup -d $loop"
mkfs.ext4 -q "$loop" || die "mkfs.ext4 (stage) failed"
mnt="$work/mnt"
mkdir -p "$mnt"
mount "$loop" "$mnt"
cleanup_push "umount -l '$mnt'"
msg "installing the base system"
rootfs_unpack "$rootfs" "$mnt"
chroot_mount "$mnt"

guest_setup "$mnt" "$name" "$nic" "$mac" "$ip/$prefix" "$gw"
cat >"$mnt/etc/fstab" <<EOF
# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
$rootlv /               ext4    errors=remount-ro 0       1
# /boot was on /dev/sda1 during installation
/dev/sda1       /boot           ext4    defaults        0       2
$swaplv none            swap    sw              0       0
EOF

msg "installing lvm2 and grub-pc"
in_chroot "$mnt" debconf-set-selections <<'EOF'
grub-pc grub-pc/install_devices multiselect /dev/sda
grub-pc grub-pc/install_devices_empty boolean false
EOF
apt_install_cached "$mnt" lvm2 grub-pc

msg "building the initramfs"
update_initramfs "$mnt"
lsinit="$(in_chroot "$mnt" sh -c 'lsinitramfs /boot/initrd.img-*')" || die "lsinitramfs failed"
grep -q 'sbin/lvm$' <<<"$lsinit" || die "initramfs has no lvm"
grep -q '/dm-mod\.ko' <<<"$lsinit" || die "initramfs has no dm-mod"
apt_cleanup "$mnt"
kver="$(basename "$(ls -d "$mnt"/lib/modules/* | tail -n 1)")"
while [ "${_cleanups[-1]}" != "umount -l '$mnt'" ]; do cleanup_pop; done
tar --numeric-owner --xattrs --xattrs-include='*' -C "$mnt" -cf "$work/root.tar" . ||
    die "packing the guest failed"
cleanup_pop; cleanup_pop    # umount, losetup -d
rmdir "$mnt"
rm -f "$stage"

raw1="$work/disk1.raw" raw2="$work/disk2.raw"
cleanup_push "rm -f '$raw1' '$raw2'"
truncate -s 512M "$raw1"
truncate -s 2G "$raw2"
sfdisk -q "$raw1" <<'EOF' || die "partitioning disk 1 failed"
label: dos
start=2048, type=83, bootable
EOF
sfdisk -q "$raw2" <<'EOF' || die "partitioning disk 2 failed"
label: dos
start=2048, type=8e
EOF

msg "laying out the disks, LVM and GRUB (libguestfs)"
guestfish --format=raw -a "$raw1" -a "$raw2" >"$work/grub.cfg" 2>"$work/guestfish.log" <<EOF ||
run
mkfs ext4 /dev/sda1 label:boot
pvcreate /dev/sdb1
vgcreate $vg /dev/sdb1
lvcreate swap_1 $vg 256
lvcreate-free root $vg 100
mkfs ext4 /dev/$vg/root label:root
mkswap /dev/$vg/swap_1 label:swap
mount /dev/$vg/root /
mkdir /boot
mount /dev/sda1 /boot
tar-in $work/root.tar / xattrs:true
sh "grub-install --target=i386-pc /dev/sda >&2 && update-grub >&2 && sync"
cat /boot/grub/grub.cfg
EOF
    { tail -n 30 "$work/guestfish.log" >&2; die "guestfish (disks, LVM, GRUB) failed"; }
grep -q "root=$rootlv " "$work/grub.cfg" || die "grub.cfg has no root=$rootlv"
dd if="$raw1" bs=512 count=1 status=none | grep -aq GRUB ||
    { cat "$work/guestfish.log" >&2; die "no GRUB boot code in the MBR of disk 1"; }
rm -f "$work/root.tar"

msg "writing the VMware files"
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic \
    "$raw1" "$work/$name.vmdk" || die "qemu-img convert (disk 1) failed"
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic \
    "$raw2" "$work/${name}_1.vmdk" || die "qemu-img convert (disk 2) failed"
write_vmx "$work/$name.vmx" "$name" bios "$mac" "$name.vmdk" "${name}_1.vmdk"
rm -f "$raw1" "$raw2"

write_facts "$work/facts" \
    NAME="$name" FIRMWARE=bios OS=linux DISTRO=debian DISTRO_MAJOR=12 \
    KERNEL="$kver" HOSTNAME="h2k-$name" \
    DISK="$name.vmdk" DISK2="${name}_1.vmdk" DISKS="$name.vmdk ${name}_1.vmdk" \
    VMX="$name.vmx" PARTITIONING=mbr \
    ROOT_DEV="$rootlv" BOOT_DEV=/dev/sda1 SWAP_DEV="$swaplv" ROOT_FS=ext4 \
    VG="$vg" PV_DEV=/dev/sdb1 \
    MAC="$mac" NIC="$nic" IP="$ip" PREFIX="$prefix" GATEWAY="$gw" \
    LOGIN_REGEX='login:' \
    FAIL_REGEX='does not exist|Dropping to a shell|\(initramfs\)'
rm -f "$work"/*.log
image_finish "$out" "$name"
msg "built $out"
