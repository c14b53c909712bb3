#!/bin/bash
# debian-uefi.sh OUT ROOTFS
#
# Image debian-uefi: a real, bootable Debian 12 UEFI guest as VMware leaves
# it.  GPT disk: ESP (vfat) on sda1, ext4 root on sda2; fstab and kernel
# command line on /dev/sda2 and /dev/sda1; grub-efi-amd64 installed with
# only the distribution's loader path, EFI/debian/grubx64.efi (no
# EFI/BOOT/BOOTX64.EFI fallback), so the firmware needs its NVRAM entry.
# Same NIC pinning, initramfs (no virtio) and serial console as debian-bios.
#
# OUT holds:
#   debian-uefi.vmdk        monolithicSparse disk
#   debian-uefi.vmx         firmware = "efi", PVSCSI, vmxnet3
#   debian-uefi.ova         OVF (firmware=efi) + manifest + streamOptimized
#   OVMF_VARS.fd            OVMF variable store (4M layout) holding the
#                           "debian" Boot0000 entry VMware's NVRAM holds:
#                           HD(1,GPT,...)/\EFI\debian\grubx64.efi (a short-form
#                           path, so it works on any bus OVMF can read)
#   facts                   shell-sourceable: MAC, IP, NIC, ROOT_DEV, ...
#
# The host kernel cannot mount vfat: the ESP is written by grub-install run
# inside a libguestfs appliance, and the NVRAM entry by OVMF's own shell
# (bcfg boot addp), run once from a startup.nsh put on the ESP for that
# boot only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/debian-lib.sh"
. "$here/debian-vmware.sh"

[ $# -eq 2 ] || die "usage: $prog OUT ROOTFS"
out="$1" rootfs="$2/rootfs.tar.zst"
name=debian-uefi
mac=00:50:56:3a:5c:02 ip=192.168.122.51 prefix=24 gw=192.168.122.1 nic=ens192
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
require_root
require_cmds sfdisk losetup partx mkfs.ext4 mkfs.vfat mcopy mdel mdir qemu-img \
    qemu-system-x86_64 tar zstd sha256sum guestfish
[ -f "$rootfs" ] || die "no base system at $rootfs"
[ -r "$ovmf_code" ] && [ -r "$ovmf_vars" ] || die "OVMF is not installed (ovmf)"

image_begin "$out" || exit 0
raw="$work/disk.raw"
cleanup_push "rm -f '$raw'"
truncate -s 2G "$raw"
esp_start=2048 esp_size=262144    # 128 MiB
sfdisk -q "$raw" <<EOF || die "partitioning failed"
label: gpt
start=$esp_start, size=$esp_size, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI System Partition"
type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
EOF
[ "$(sfdisk -d "$raw" | grep -c '^/')" -eq 2 ] || die "partition table not written"

loop_attach "$raw"
mkfs.vfat -F 32 -n EFI "${loop}p1" >/dev/null || die "mkfs.vfat failed"
mkfs.ext4 -q -L root "${loop}p2" || die "mkfs.ext4 failed"
mnt="$work/mnt"
mkdir -p "$mnt"
mount "${loop}p2" "$mnt"
cleanup_push "umount -l '$mnt'"
msg "installing the base system"
rootfs_unpack "$rootfs" "$mnt"
chroot_mount "$mnt"

guest_setup "$mnt" "$name" "$nic" "$mac" "$ip/$prefix" "$gw"
mkdir -p "$mnt/boot/efi"
cat >"$mnt/etc/fstab" <<'EOF'
# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
/dev/sda2       /               ext4    errors=remount-ro 0       1
/dev/sda1       /boot/efi       vfat    umask=0077      0       1
EOF

msg "installing grub-efi-amd64"
in_chroot "$mnt" debconf-set-selections <<'EOF'
grub-efi-amd64 grub2/update_nvram boolean false
grub-efi-amd64 grub2/force_efi_extra_removable boolean false
EOF
apt_install_cached "$mnt" grub-efi-amd64

msg "building the initramfs"
update_initramfs "$mnt"
apt_cleanup "$mnt"
fstrim "$mnt" || die "fstrim failed"
kver="$(basename "$(ls -d "$mnt"/lib/modules/* | tail -n 1)")"

while [ "${_cleanups[-1]}" != "umount -l '$mnt'" ]; do cleanup_pop; done
cleanup_pop
rmdir "$mnt"
e2fsck -fy "${loop}p2" >/dev/null 2>&1 || [ $? -eq 1 ] || die "e2fsck failed"
cleanup_pop; cleanup_pop    # partx -d, losetup -d

# The appliance sees the disk as /dev/sda, as VMware's guest does: this
# update-grub writes root=/dev/sda2 by itself.
msg "installing GRUB on the ESP (libguestfs)"
guestfish --format=raw -a "$raw" >"$work/guestfish.log" 2>&1 <<'EOF' ||
run
mount /dev/sda2 /
mount /dev/sda1 /boot/efi
command "grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian --no-nvram --no-uefi-secure-boot"
command "update-grub"
EOF
    { tail -n 30 "$work/guestfish.log" >&2; die "grub-install in the appliance failed"; }
esp="$raw@@$((esp_start * 512))"
mdir -i "$esp" -b ::/EFI/debian/grubx64.efi >/dev/null ||
    die "ESP has no EFI/debian/grubx64.efi"
if mdir -i "$esp" -b ::/EFI/BOOT >/dev/null 2>&1; then
    die "ESP has an EFI/BOOT fallback loader; it must not"
fi

# The NVRAM entry VMware keeps: have OVMF's shell add it (short form).
msg "recording the NVRAM boot entry (OVMF shell)"
cp "$ovmf_vars" "$work/OVMF_VARS.fd"
cat >"$work/startup.nsh" <<'EOF'
@echo -off
for %a in 0 1 2 3
  if exist fs%a:\EFI\debian\grubx64.efi then
    bcfg boot addp 0 fs%a:\EFI\debian\grubx64.efi "debian"
    echo H2K-NVRAM-OK
    reset -s
  endif
endfor
echo H2K-NVRAM-FAILED
reset -s
EOF
mcopy -i "$esp" "$work/startup.nsh" ::/startup.nsh || die "mcopy startup.nsh failed"
accel=tcg
[ "${H2K_ACCEL:-}" = kvm ] && accel=kvm
timeout -s KILL 300 qemu-system-x86_64 -machine pc -accel "$accel" -m 512 \
    -nodefaults -no-user-config -display none -monitor none -no-reboot \
    -serial "file:$work/nvram.log" \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf_code" \
    -drive "if=pflash,format=raw,unit=1,file=$work/OVMF_VARS.fd" \
    -drive "file=$raw,format=raw,if=none,id=d0,snapshot=on" \
    -device ich9-ahci,id=ahci -device ide-hd,drive=d0,bus=ahci.0 \
    >"$work/qemu.log" 2>&1 || true
mdel -i "$esp" ::/startup.nsh || die "mdel startup.nsh failed"
grep -aq H2K-NVRAM-OK "$work/nvram.log" ||
    { tr -d '\r' <"$work/nvram.log" | tail -n 20 >&2; cat "$work/qemu.log" >&2;
      die "the OVMF shell did not record the boot entry"; }
# the entry's file path, in UTF-16LE, is in the variable store
tr -d '\0' <"$work/OVMF_VARS.fd" | grep -aq 'EFI\\debian\\grubx64.efi' ||
    die "OVMF_VARS.fd has no grubx64.efi entry"

msg "writing the VMware files"
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic \
    "$raw" "$work/$name.vmdk" || die "qemu-img convert failed"
write_vmx "$work/$name.vmx" "$name" efi "$mac" "$name.vmdk"
msg "writing the OVA"
make_ova "$work" "$name" efi "$mac" "$raw"
rm -f "$raw"

write_facts "$work/facts" \
    NAME="$name" FIRMWARE=uefi OS=linux DISTRO=debian DISTRO_MAJOR=12 \
    KERNEL="$kver" HOSTNAME="h2k-$name" \
    DISK="$name.vmdk" VMX="$name.vmx" OVA="$name.ova" \
    PARTITIONING=gpt ROOT_DEV=/dev/sda2 ESP_DEV=/dev/sda1 ROOT_FS=ext4 \
    EFI_LOADER='\EFI\debian\grubx64.efi' UEFI_VARS=OVMF_VARS.fd \
    MAC="$mac" NIC="$nic" IP="$ip" PREFIX="$prefix" GATEWAY="$gw" \
    LOGIN_REGEX='login:' \
    FAIL_REGEX='does not exist|Dropping to a shell|\(initramfs\)'
rm -f "$work"/*.log "$work/startup.nsh"
image_finish "$out" "$name"
msg "built $out"
