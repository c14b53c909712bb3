#!/usr/bin/env bats
# bats file_tags=guests
# The real Debian test guests (tests/images/debian-*.sh) are what we say
# they are: unfixed, each boots the way it would on VMware (SATA/AHCI here)
# and fails on virtio the way real migrations fail.  Boots go through
# tests/lib/boot.sh; expect 20-60 s each under TCG.

load helpers
. "$BATS_TEST_DIRNAME/lib/boot.sh"

: "${H2K_BOOT_TIMEOUT:=180}"

# boot_image ARGS...: h2k_boot with the serial log in $serial.
boot_image ()
{
    serial="$BATS_TEST_TMPDIR/serial.log"
    run h2k_boot --timeout "$H2K_BOOT_TIMEOUT" --log "$serial" "$@"
}

# inspect_once NAME DISK...: virt-inspector's XML for image NAME in $xml,
# one libguestfs launch per image for the whole file.
inspect_once ()
{
    local name="$1"; shift
    xml="$BATS_FILE_TMPDIR/inspect-$name.xml"
    if [ ! -s "$xml" ]; then
        local a=() d
        for d in "$@"; do a+=(-a "$d"); done
        LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}" \
        LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-$([ "$(h2k_accel)" = kvm ] || echo force_tcg)}" \
            virt-inspector --format=vmdk "${a[@]}" >"$xml.t" 2>"$BATS_FILE_TMPDIR/inspect-$name.err" ||
            { cat "$BATS_FILE_TMPDIR/inspect-$name.err" >&2; return 1; }
        mv "$xml.t" "$xml"
    fi
}

# xml_value ELEMENT: the first <ELEMENT> of the first operating system.
xml_value () { xmllint --xpath "string(//operatingsystem[1]/$1)" "$xml"; }

# vmdk_descriptor FILE: the descriptor embedded in a sparse VMDK (its
# sector offset and size are the header's uint64s at bytes 28 and 36).
vmdk_descriptor ()
{
    local off size
    off=$(od -An -t u8 -j 28 -N 8 "$1" | tr -d ' ')
    size=$(od -An -t u8 -j 36 -N 8 "$1" | tr -d ' ')
    dd if="$1" bs=512 skip="$off" count="$size" status=none | tr -d '\0'
}

# ---- debian-bios ----------------------------------------------------------

@test "debian-bios: VMDK, VMX and facts describe one VMware guest" {
    requires qemu-img
    requires_image debian-bios
    . "$image/facts"
    [ "$NIC" = ens192 ] && [ "$ROOT_DEV" = /dev/sda1 ] && [[ "$MAC" == 00:50:56:* ]]
    d="$(vmdk_descriptor "$image/$DISK")"
    grep -q '^createType="monolithicSparse"' <<<"$d"
    grep -q "^RW [0-9]* SPARSE \"$DISK\"" <<<"$d"
    grep -qx 'scsi0.virtualDev = "pvscsi"' "$image/$VMX"
    grep -qx "scsi0:0.fileName = \"$DISK\"" "$image/$VMX"
    grep -qx 'ethernet0.virtualDev = "vmxnet3"' "$image/$VMX"
    grep -qx 'ethernet0.addressType = "static"' "$image/$VMX"
    grep -qx "ethernet0.address = \"$MAC\"" "$image/$VMX"
    grep -qx 'firmware = "bios"' "$image/$VMX"
    grep -qx 'guestOS = "debian12-64"' "$image/$VMX"
}

@test "debian-bios (unfixed) boots to a login prompt on SATA, NIC pinned to ens192" {
    requires qemu-system-x86_64 qemu-img
    requires_image debian-bios
    . "$image/facts"
    boot_image --bus sata --nic e1000 --mac "$MAC" \
        --expect "$LOGIN_REGEX" --fail 'Dropping to a shell|Kernel panic' "$image/$DISK"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -aq "$NIC: renamed from eth" "$serial"
    grep -aq "root=$ROOT_DEV " "$serial"
}

@test "debian-bios (unfixed) boots on PVSCSI with vmxnet3, as on VMware" {
    requires qemu-system-x86_64 qemu-img
    requires_image debian-bios
    . "$image/facts"
    boot_image --bus pvscsi --nic vmxnet3 --mac "$MAC" \
        --expect "$LOGIN_REGEX" --fail 'Dropping to a shell|Kernel panic' "$image/$DISK"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -aq "vmxnet3 .* $NIC: renamed from eth" "$serial"
}

@test "debian-bios (unfixed) fails on virtio-blk: the initramfs cannot find /dev/sda1" {
    requires qemu-system-x86_64 qemu-img
    requires_image debian-bios
    . "$image/facts"
    boot_image --bus virtio-blk --nic virtio-net \
        --expect "$LOGIN_REGEX" --fail '\(initramfs\)' "$image/$DISK"
    echo "$output"
    [ "$status" -eq 2 ]        # stopped on the failure text, not a timeout
    grep -aqE "ALERT! +$ROOT_DEV does not exist" "$serial"
    grep -aq 'Dropping to a shell' "$serial"
    ! grep -aq "$LOGIN_REGEX" "$serial"
}

@test "debian-bios: virt-inspector sees Linux, Debian 12" {
    requires virt-inspector xmllint
    requires_image debian-bios
    . "$image/facts"
    inspect_once debian-bios "$image/$DISK"
    [ "$(xml_value name)" = linux ]
    [ "$(xml_value distro)" = debian ]
    [ "$(xml_value major_version)" = 12 ]
    [ "$(xml_value root)" = "$ROOT_DEV" ]
}

@test "debian-bios: OVA is OVF first, SHA256 manifest, streamOptimized disk" {
    requires tar sha256sum
    requires_image debian-bios
    . "$image/facts"
    mapfile -t members < <(tar -tf "$image/$OVA")
    [ "${members[0]}" = "$NAME.ovf" ]
    [ "${members[1]}" = "$NAME.mf" ]
    [ "${members[2]}" = "$NAME-disk1.vmdk" ]
    d="$BATS_TEST_TMPDIR/ova"
    mkdir "$d"
    tar -C "$d" -xf "$image/$OVA"
    grep -Eq '^SHA256\(debian-bios\.ovf\)= [0-9a-f]{64}$' "$d/$NAME.mf"
    while read -r line; do
        f="${line#SHA256(}"; f="${f%%)= *}"
        [ "$(sha256sum "$d/$f" | cut -d' ' -f1)" = "${line##*= }" ]
    done <"$d/$NAME.mf"
    [ "$(wc -l <"$d/$NAME.mf")" -eq 2 ]
    grep -q '^createType="streamOptimized"' <<<"$(vmdk_descriptor "$d/$NAME-disk1.vmdk")"
    grep -q 'ovf:href="debian-bios-disk1.vmdk"' "$d/$NAME.ovf"
    grep -q '<rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>' "$d/$NAME.ovf"
    grep -q "<rasd:Address>$MAC</rasd:Address>" "$d/$NAME.ovf"
    xmllint --noout "$d/$NAME.ovf"
}

@test "debian-bios: snapshot chain, delta names its parent and holds the change" {
    requires qemu-img qemu-io
    requires_image debian-bios
    . "$image/facts"
    base="$image/$CHAIN_BASE" top="$image/$CHAIN_TOP"
    b="$(vmdk_descriptor "$base")" t="$(vmdk_descriptor "$top")"
    grep -q '^createType="monolithicSparse"' <<<"$t"
    grep -q '^parentFileNameHint="base.vmdk"' <<<"$t"
    cid="$(sed -n 's/^CID=//p' <<<"$b")"
    [ -n "$cid" ]
    grep -qx "parentCID=$cid" <<<"$t"
    qemu-img info --backing-chain "$top" | grep -q 'base.vmdk'
    grep -qx "scsi0:0.fileName = \"${CHAIN_TOP##*/}\"" "$image/$CHAIN_VMX"
    # the pattern is in the delta only
    read_pattern () {
        qemu-io -r -f vmdk -c "read -P $SNAPSHOT_PATTERN_BYTE $SNAPSHOT_PATTERN_OFFSET $SNAPSHOT_PATTERN_LENGTH" "$1"
    }
    run read_pattern "$top"
    [ "$status" -eq 0 ] && [[ "$output" != *"verification failed"* ]]
    run read_pattern "$base"
    [ "$status" -ne 0 ] && [[ "$output" == *"Pattern verification failed"* ]]
}

# ---- debian-uefi ----------------------------------------------------------

@test "debian-uefi: ESP holds only the distro loader path, no EFI/BOOT fallback" {
    requires qemu-img mdir
    requires_image debian-uefi
    . "$image/facts"
    grep -qx 'firmware = "efi"' "$image/$VMX"
    [ -s "$image/$UEFI_VARS" ]
    esp="$BATS_TEST_TMPDIR/esp.raw"
    qemu-img dd -f vmdk -O raw bs=1M skip=1 count=128 if="$image/$DISK" of="$esp"
    mdir -i "$esp" -b ::/EFI/debian/grubx64.efi
    run mdir -i "$esp" -b ::/EFI/BOOT
    [ "$status" -ne 0 ]
    mapfile -t members < <(tar -tf "$image/$OVA")
    [ "${members[0]}" = "$NAME.ovf" ]
    tar -xOf "$image/$OVA" "$NAME.ovf" | grep -q 'vmw:key="firmware" vmw:value="efi"'
}

@test "debian-uefi (unfixed) boots to a login prompt on SATA with its NVRAM entry" {
    requires qemu-system-x86_64 qemu-img
    requires_image debian-uefi
    . "$image/facts"
    boot_image --firmware uefi --uefi-vars "$image/$UEFI_VARS" --bus sata --nic e1000 \
        --mac "$MAC" --expect "$LOGIN_REGEX" --fail 'Dropping to a shell|Kernel panic|Shell>' \
        "$image/$DISK"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -aq "root=$ROOT_DEV " "$serial"
    grep -aq "$NIC: renamed from eth" "$serial"
}

@test "debian-uefi (unfixed) fails on virtio-blk: the initramfs cannot find /dev/sda2" {
    requires qemu-system-x86_64 qemu-img
    requires_image debian-uefi
    . "$image/facts"
    boot_image --firmware uefi --uefi-vars "$image/$UEFI_VARS" --bus virtio-blk \
        --expect "$LOGIN_REGEX" --fail '\(initramfs\)|Shell>' "$image/$DISK"
    echo "$output"
    [ "$status" -eq 2 ]
    grep -aqE "ALERT! +$ROOT_DEV does not exist" "$serial"
    ! grep -aq "$LOGIN_REGEX" "$serial"
}

@test "debian-uefi: without its NVRAM entry the firmware finds no loader" {
    requires qemu-system-x86_64 qemu-img
    requires_image debian-uefi
    . "$image/facts"
    # empty variable store: only the removable-media path would be tried
    boot_image --firmware uefi --bus sata --nic none \
        --expect 'Shell>' --fail "$LOGIN_REGEX|Linux version" "$image/$DISK"
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "debian-uefi: virt-inspector sees Linux, Debian 12" {
    requires virt-inspector xmllint
    requires_image debian-uefi
    . "$image/facts"
    inspect_once debian-uefi "$image/$DISK"
    [ "$(xml_value name)" = linux ]
    [ "$(xml_value distro)" = debian ]
    [ "$(xml_value major_version)" = 12 ]
    [ "$(xml_value root)" = "$ROOT_DEV" ]
}

# ---- debian-lvm -----------------------------------------------------------

# On SATA each AHCI port is its own SCSI host, scanned in parallel: which
# disk becomes sda is a race (and /dev/sda1 in fstab may then name the PV:
# "Can't open blockdev", emergency mode).  One PVSCSI controller, as on
# VMware, scans its targets in order.
@test "debian-lvm (unfixed) boots to a login prompt on PVSCSI from two disks" {
    requires qemu-system-x86_64 qemu-img
    requires_image debian-lvm
    . "$image/facts"
    grep -qx "scsi0:1.fileName = \"$DISK2\"" "$image/$VMX"
    boot_image --bus pvscsi --nic vmxnet3 --mac "$MAC" \
        --expect "$LOGIN_REGEX" --fail 'Dropping to a shell|Kernel panic' \
        "$image/$DISK" "$image/$DISK2"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -aq "root=$ROOT_DEV " "$serial"
}

@test "debian-lvm (unfixed) fails on virtio-blk: the initramfs cannot find its root LV" {
    requires qemu-system-x86_64 qemu-img
    requires_image debian-lvm
    . "$image/facts"
    boot_image --bus virtio-blk --expect "$LOGIN_REGEX" --fail '\(initramfs\)' \
        "$image/$DISK" "$image/$DISK2"
    echo "$output"
    [ "$status" -eq 2 ]
    grep -aqE "ALERT! +$ROOT_DEV does not exist" "$serial"
}

@test "debian-lvm: virt-inspector sees Debian 12 with root on LVM and /boot on disk 1" {
    requires virt-inspector xmllint
    requires_image debian-lvm
    . "$image/facts"
    inspect_once debian-lvm "$image/$DISK" "$image/$DISK2"
    [ "$(xml_value distro)" = debian ]
    [ "$(xml_value major_version)" = 12 ]
    [ "$(xml_value root)" = "/dev/$VG/root" ]
    [ "$(xml_value 'mountpoints/mountpoint[.="/boot"]/@dev')" = /dev/sda1 ]
}
