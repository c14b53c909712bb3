#!/bin/bash
# phony-windows.sh NAME OUTDIR: build the phony Windows guest NAME, described
# by phony-windows/NAME.conf, into OUTDIR (via OUTDIR-t) and point
# $(dirname OUTDIR)/NAME at it.
#
# The guest does not boot.  It is built from files, the way libguestfs
# builds its phony guests, so that libguestfs inspection takes it for the
# Windows it pretends to be:
#   - SYSTEM: a real hive from the corpus ($H2K_CORPUS, base_system in the
#     .conf), with VMware Tools services (phony-windows/vmware-services.reg),
#     a vmxnet3 adapter with a static IPv4 address, the hostname, the
#     product type and \DosDevices\C: merged in with hivexregedit;
#   - SOFTWARE: hivex's 8 KiB minimal hive with the version keys and an
#     Uninstall entry for VMware Tools merged in;
#   - Windows/System32/cmd.exe: a tiny PE of the guest's architecture
#     (inspection reads the architecture from it);
#   - BIOS: MBR; bootmgr and Boot/BCD on the system partition.
#     UEFI: GPT with ESP (EFI/Microsoft/Boot/bootmgfw.efi, a small EFI PE,
#     the corpus' real BCD, and the fallback loader EFI/Boot/bootx64.efi
#     unless efi_fallback=0), MSR and C:;
#   - hibernated=1: what Windows 8+ leaves after a Fast Startup shutdown:
#     a 1 MiB hiberfil.sys at the root of C: whose first 4 bytes are "HIBR"
#     (ntfs-3g reads the first 4 KiB: "hibr"/"HIBR" means hibernated), and
#     the VOLUME_IS_DIRTY flag (0x0001) set in $Volume's
#     $VOLUME_INFORMATION, patched here in record 3 of both $MFT and
#     $MFTMirr after guestfish is done.  ntfs-3g.probe --readwrite then
#     exits 14 (NTFS_VOLUME_HIBERNATED) and a mount falls back to read-only.
# One guestfish (libguestfs) launch per image.
#
# OUTDIR gets: disk.img (raw, sparse), facts (shell-sourceable: what the
# guest pretends to be, for tests), SYSTEM.reg and SOFTWARE.reg (the .reg
# text merged into the hives).

set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
. "$here/phony-lib.sh"

[ $# -eq 2 ] || die "usage: $0 NAME OUTDIR"
name="$1"
out="$2"
conf="$here/phony-windows/$name.conf"
[ -f "$conf" ] || die "no such phony Windows guest: $name ($conf)"

: "${H2K_CORPUS:=$(cd "$here/../../.." && pwd)/shared/corpus}"
[ -d "$H2K_CORPUS" ] || die "corpus not found at $H2K_CORPUS (set H2K_CORPUS)"

need guestfish hivexregedit hivexget sfdisk xz iconv od dd tar truncate

system_extra=
csd_version=
display_version=
release_id=
mbr_signature=
esp_guid= msr_guid= c_guid= disk_guid=
osinfo=
efi_fallback=1
. "$conf"

case "$arch" in
    i386)   cc=i686-w64-mingw32-gcc;   entry=_start ;;
    x86_64) cc=x86_64-w64-mingw32-gcc; entry=start ;;
    *) die "$name: unknown arch $arch" ;;
esac
need "$cc" x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc

begin_image "$out"

# ---------------------------------------------------------------- programs
pe ()   # OUT CC ENTRY [LDFLAGS]
{
    "$2" -Os -s -nostdlib -e "$3" -Wl,--no-insert-timestamp ${4:-} \
        -o "$1" "$here/phony-windows/stub.c" || die "$2 failed"
}
pe "$tmp/cmd.exe" "$cc" "$entry"
pe "$tmp/cmd32.exe" i686-w64-mingw32-gcc _start
pe "$tmp/boot.efi" x86_64-w64-mingw32-gcc start -Wl,--subsystem,10

# ---------------------------------------------------------------- layout
# Sectors of 512 bytes.  c_start is where C: begins (MountedDevices).
case "$layout" in
    bios-single)
        disk_size=1G
        parts="start=2048, type=7, bootable"
        c_dev=/dev/sda1 sys_dev=/dev/sda1 esp_dev=
        c_start=2048 ;;
    bios-sysres)
        disk_size=2G
        parts="start=2048, size=1024000, type=7, bootable
start=1026048, type=7"
        c_dev=/dev/sda2 sys_dev=/dev/sda1 esp_dev=
        c_start=1026048 ;;
    uefi)
        disk_size=1G
        parts="start=2048, size=204800, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$esp_guid, name=\"EFI system partition\"
start=206848, size=32768, type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE, uuid=$msr_guid, name=\"Microsoft reserved partition\"
start=239616, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=$c_guid, name=\"Basic data partition\""
        c_dev=/dev/sda3 sys_dev= esp_dev=/dev/sda1
        c_start=239616 ;;
    *) die "$name: unknown layout $layout" ;;
esac

disk="$stage/disk.img"
truncate -s "$disk_size" "$disk" || die "truncate failed"
if [ "$firmware" = uefi ]; then
    table="label: gpt
label-id: $disk_guid
unit: sectors
$parts"
else
    table="label: dos
label-id: $mbr_signature
unit: sectors
$parts"
fi
printf '%s\n' "$table" | sfdisk -q --no-reread --no-tell-kernel "$disk" >"$tmp/sfdisk.log" 2>&1 ||
    die "sfdisk failed: $(cat "$tmp/sfdisk.log")"
# sfdisk must really have written the table (see FIELD-NOTES on sgdisk).
dump="$(sfdisk --dump "$disk" 2>/dev/null)" || die "sfdisk --dump failed"
want_id="${disk_guid:-$mbr_signature}"
grep -qi "^label-id: $want_id\$" <<<"$dump" || die "partition table not written: $dump"

# ---------------------------------------------------------------- SYSTEM
xz -dc "$H2K_CORPUS/${base_system}" >"$tmp/SYSTEM" || die "cannot read $base_system"
current="$(hivexget "$tmp/SYSTEM" '\Select' Current)" || die "no \\Select\\Current in $base_system"
cs="$(printf 'ControlSet%03d' "$current")"

# GUID string -> .reg hex bytes in on-disk (mixed-endian) order.
guid_hex ()
{
    local g="${1//[\{\}-]/}" out="" i
    for i in 6 4 2 0 10 8 14 12; do out="$out${g:$i:2},"; done
    for i in 16 18 20 22 24 26 28 30; do out="$out${g:$i:2},"; done
    printf '%s' "${out%,}" | tr 'A-F' 'a-f'
}

if [ "$firmware" = uefi ]; then
    # "DMIO:ID:" + partition GUID, as Windows records GPT volumes.
    c_mounted="hex(3):44,4d,49,4f,3a,49,44,3a,$(guid_hex "$c_guid")"
else
    off=$((c_start * 512))
    c_mounted="hex(3):$(reg_bin_le32 "$mbr_signature"),$(reg_bin_le32 $((off & 0xffffffff))),$(reg_bin_le32 $((off >> 32)))"
fi

# Drive letters of the hive's original disks ("\DosDevices\X:" holding a
# 12-byte MBR signature+offset or a "DMIO:ID:" GPT GUID), other than C:, go:
# they would point at partitions of this disk or of other phony guests.
stale_letters="$(hivexregedit --export --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$tmp/SYSTEM" '\MountedDevices' |
    awk -F= '/^"\\\\DosDevices\\\\[A-Z]:"=hex\(3\):/ && !/^"\\\\DosDevices\\\\C:"/ {
        n = split($2, b, ","); if (n == 12 || $2 ~ /^hex\(3\):44,4d,49,4f,3a,49,44,3a/) print $1 "=-" }')" ||
    die "cannot read MountedDevices"

nic_hwid='PCI\VEN_15AD&DEV_07B0&SUBSYS_07B015AD&REV_01'
nic_inst="$nic_hwid\\FF565000${nic_mac//:/}00"
nic_inst="${nic_inst^^}"
net_class='{4D36E972-E325-11CE-BFC1-08002BE10318}'

{
    # (errexit does not apply inside this { } || die: check each command)
    sed "s/@CS@/$cs/g" "$here/phony-windows/vmware-services.reg" || die "sed failed"
    for f in $system_extra; do
        sed -e "s/@CS@/$cs/g" -e '/^Windows Registry Editor/d' "$here/phony-windows/$f" ||
            die "sed $f failed"
    done
    cat <<EOF

; ---- generated by phony-windows.sh from $name.conf

[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]
"\\\\DosDevices\\\\C:"=$c_mounted
$stale_letters

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Control\\ProductOptions]
"ProductType"=$(reg_sz "$product_type")

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Control\\ComputerName\\ComputerName]
"ComputerName"=$(reg_sz "${hostname^^}")

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Control\\ComputerName\\ActiveComputerName]
"ComputerName"=$(reg_sz "${hostname^^}")

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Services\\Tcpip\\Parameters]
"Hostname"=$(reg_sz "$hostname")
"NV Hostname"=$(reg_sz "$hostname")

; The vmxnet3 adapter: device instance, driver (class) key, connection,
; and its static IPv4 configuration under Tcpip\\Parameters\\Interfaces.
[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Enum\\PCI\\${nic_hwid#PCI\\}]

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Enum\\$nic_inst]
"DeviceDesc"="@oem5.inf,%vmxnet3.devicedesc%;vmxnet3 Ethernet Adapter"
"HardwareID"=$(reg_multi_sz "$nic_hwid" 'PCI\VEN_15AD&DEV_07B0&SUBSYS_07B015AD' 'PCI\VEN_15AD&DEV_07B0&CC_020000' 'PCI\VEN_15AD&DEV_07B0&CC_0200')
"CompatibleIDs"=$(reg_multi_sz 'PCI\VEN_15AD&DEV_07B0&REV_01' 'PCI\VEN_15AD&DEV_07B0' 'PCI\VEN_15AD&CC_020000' 'PCI\VEN_15AD&CC_0200' 'PCI\VEN_15AD' 'PCI\CC_020000' 'PCI\CC_0200')
"Service"="vmxnet3ndis6"
"ClassGUID"="$net_class"
"Driver"="$net_class\\\\$nic_instance"
"Mfg"="@oem5.inf,%vmware%;VMware, Inc."
"ConfigFlags"=dword:00000000

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Services\\vmxnet3ndis6\\Enum]
"0"=$(reg_sz "$nic_inst")
"Count"=dword:00000001
"NextInstance"=dword:00000001

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Control\\Class\\$net_class\\$nic_instance]
"DriverDesc"="vmxnet3 Ethernet Adapter"
"ProviderName"="VMware, Inc."
"DriverVersion"="1.9.17.0"
"InfPath"="oem5.inf"
"InfSection"="vmxnet3.ndi"
"MatchingDeviceId"="pci\\\\ven_15ad&dev_07b0"
"ComponentId"="pci\\\\ven_15ad&dev_07b0"
"NetCfgInstanceId"="$nic_guid"
"DeviceInstanceID"=$(reg_sz "$nic_inst")
"*IfType"=dword:00000006
"*MediaType"=dword:00000000
"*PhysicalMediaType"=dword:0000000e
"Characteristics"=dword:00000084
"BusType"="5"

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Control\\Network\\$net_class\\$nic_guid]

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Control\\Network\\$net_class\\$nic_guid\\Connection]
"Name"="Ethernet0"
"PnPInstanceId"=$(reg_sz "$nic_inst")
"MediaSubType"=dword:00000001

[HKEY_LOCAL_MACHINE\\SYSTEM\\$cs\\Services\\Tcpip\\Parameters\\Interfaces\\${nic_guid,,}]
"EnableDHCP"=dword:00000000
"IPAddress"=$(reg_multi_sz "$ipv4_address")
"SubnetMask"=$(reg_multi_sz "$ipv4_netmask")
"DefaultGateway"=$(reg_multi_sz "$ipv4_gateway")
"DefaultGatewayMetric"=$(reg_multi_sz 0)
"NameServer"=$(reg_sz "$ipv4_dns")
"Domain"=""
"RegistrationEnabled"=dword:00000001
EOF
} >"$stage/SYSTEM.reg" || die "cannot write SYSTEM.reg"
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$tmp/SYSTEM" "$stage/SYSTEM.reg" ||
    die "hivexregedit --merge SYSTEM failed"

# ---------------------------------------------------------------- SOFTWARE
pf='C:\Program Files'
tools_guid='{FE2F6A2C-196E-4210-9C04-2B1BC21F07EF}'
{
    cat <<EOF
Windows Registry Editor Version 5.00

; generated by phony-windows.sh from $name.conf (parents before children)

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]
"ProductName"=$(reg_sz "$product_name")
"EditionID"=$(reg_sz "$edition_id")
"CompositionEditionID"=$(reg_sz "$edition_id")
"InstallationType"=$(reg_sz "$installation_type")
"CurrentVersion"=$(reg_sz "$current_version")
"CurrentBuild"=$(reg_sz "$build")
"CurrentBuildNumber"=$(reg_sz "$build")
"BuildLab"=$(reg_sz "$build_lab")
"CurrentType"="Multiprocessor Free"
"SystemRoot"="C:\\\\Windows"
"PathName"="C:\\\\Windows"
"SoftwareType"="System"
"RegisteredOwner"="h2k"
"RegisteredOrganization"=""
EOF
    if [ "$major" -ge 10 ]; then
        printf '"CurrentMajorVersionNumber"=dword:%08x\n' "$major"
        printf '"CurrentMinorVersionNumber"=dword:%08x\n' "$minor"
        printf '"UBR"=dword:%08x\n' 1000
    fi
    [ -z "$csd_version" ] || printf '"CSDVersion"=%s\n' "$(reg_sz "$csd_version")"
    [ -z "$display_version" ] || printf '"DisplayVersion"=%s\n' "$(reg_sz "$display_version")"
    [ -z "$release_id" ] || printf '"ReleaseId"=%s\n' "$(reg_sz "$release_id")"
    cat <<EOF

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows]

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion]
"ProgramFilesDir"=$(reg_sz "$pf")
"CommonFilesDir"=$(reg_sz "$pf\\Common Files")
"DevicePath"=str(2):"%SystemRoot%\\\\inf"
EOF
    [ "$arch" != x86_64 ] || printf '"ProgramFilesDir (x86)"=%s\n' "$(reg_sz 'C:\Program Files (x86)')"
    cat <<EOF

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run]
"VMware User Process"=$(reg_sz "\"$pf\\VMware\\VMware Tools\\vmtoolsd.exe\" -n vmusr")

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall]

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$tools_guid]
"DisplayName"="VMware Tools"
"DisplayVersion"="12.3.5.22544099"
"Publisher"="VMware, Inc."
"InstallLocation"=$(reg_sz "$pf\\VMware\\VMware Tools\\")
"InstallSource"=$(reg_sz 'D:\')
"UninstallString"="MsiExec.exe /X$tools_guid"
"ModifyPath"="MsiExec.exe /I$tools_guid"
"WindowsInstaller"=dword:00000001
"NoModify"=dword:00000000
"EstimatedSize"=dword:00019c3a
"VersionMajor"=dword:0000000c
"VersionMinor"=dword:00000003

[HKEY_LOCAL_MACHINE\\SOFTWARE\\VMware, Inc.]

[HKEY_LOCAL_MACHINE\\SOFTWARE\\VMware, Inc.\\VMware Tools]
"InstallPath"=$(reg_sz "$pf\\VMware\\VMware Tools\\")
EOF
} >"$stage/SOFTWARE.reg" || die "cannot write SOFTWARE.reg"
cp "$H2K_CORPUS/registry-hives/hivex-images/minimal" "$tmp/SOFTWARE" || die "no minimal hive in corpus"
chmod u+w "$tmp/SOFTWARE"
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' "$tmp/SOFTWARE" "$stage/SOFTWARE.reg" ||
    die "hivexregedit --merge SOFTWARE failed"

# ---------------------------------------------------------------- file trees
croot="$tmp/c"
w="$croot/Windows"
mkdir -p "$w/System32/config" "$w/System32/drivers/etc" \
    "$w/System32/DriverStore/FileRepository" "$w/INF" "$w/Temp" \
    "$croot/Program Files/VMware/VMware Tools/VMware VGAuth" \
    "$croot/Program Files/Common Files" "$croot/Users/Public" ||
    die "mkdir failed"
cp "$tmp/SYSTEM" "$tmp/SOFTWARE" "$w/System32/config/" || die "cp hives failed"
cp "$tmp/cmd.exe" "$w/System32/cmd.exe" || die "cp failed"
if [ "$arch" = x86_64 ]; then
    mkdir -p "$w/SysWOW64" "$croot/Program Files (x86)" || die "mkdir failed"
    cp "$tmp/cmd32.exe" "$w/SysWOW64/cmd.exe" || die "cp failed"
fi
cp "$tmp/cmd.exe" "$croot/Program Files/VMware/VMware Tools/vmtoolsd.exe" || die "cp failed"
cp "$tmp/cmd.exe" "$croot/Program Files/VMware/VMware Tools/VMware VGAuth/VGAuthService.exe" || die "cp failed"
for d in disk partmgr volmgr volsnap storport ntfs pci acpi tcpip ndis \
         pvscsi vmxnet3 vmci vsock vmhgfs vmmemctl vmmouse vmusbmouse \
         vm3dmp vmrawdsk; do
    printf 'phony %s driver of %s\r\n' "$d" "$name" >"$w/System32/drivers/$d.sys" || die "write failed"
done
[ "$name" != win7 ] || printf 'phony lsi_sas driver\r\n' >"$w/System32/drivers/lsi_sas.sys"
printf '127.0.0.1       localhost\r\n' >"$w/System32/drivers/etc/hosts" || die "write failed"
if [ "$hibernated" = 1 ]; then
    # Fast Startup (hybrid shutdown) header; ntfs-3g looks at the first
    # 4 KiB of hiberfil.sys and refuses "hibr"/"HIBR".
    { printf 'HIBR'; head -c $((1024 * 1024 - 4)) /dev/zero; } >"$croot/hiberfil.sys" ||
        die "cannot write hiberfil.sys"
fi

bcd="$tmp/BCD"
xz -dc "$H2K_CORPUS/registry-hives/regipy/BCD.xz" >"$bcd" || die "cannot read the corpus BCD"

# BIOS: bootmgr + Boot/BCD on the system partition.  UEFI: the ESP tree.
sysroot="$tmp/sys"
espr="$tmp/esp"
case "$layout" in
    bios-single) sysroot="$croot" ;;
esac
if [ "$firmware" = bios ]; then
    mkdir -p "$sysroot/Boot" || die "mkdir failed"
    cp "$tmp/cmd32.exe" "$sysroot/bootmgr" || die "cp failed"
    cp "$bcd" "$sysroot/Boot/BCD" || die "cp failed"
else
    mkdir -p "$espr/EFI/Microsoft/Boot" "$espr/EFI/Boot" || die "mkdir failed"
    cp "$tmp/boot.efi" "$espr/EFI/Microsoft/Boot/bootmgfw.efi" || die "cp failed"
    [ "$efi_fallback" = 0 ] ||
        cp "$tmp/boot.efi" "$espr/EFI/Boot/bootx64.efi" || die "cp failed"
    cp "$bcd" "$espr/EFI/Microsoft/Boot/BCD" || die "cp failed"
fi

mktar () # DIR TAR
{
    tar --owner=0 --group=0 --numeric-owner -C "$1" -cf "$2" . || die "tar of $1 failed"
}
mktar "$croot" "$tmp/c.tar"

# ---------------------------------------------------------------- guestfish
gfs="$tmp/build.gf"
{
    echo "run"
    case "$layout" in
        bios-single)
            echo "mkfs ntfs $c_dev label:OS" ;;
        bios-sysres)
            mktar "$sysroot" "$tmp/sys.tar"
            echo "mkfs ntfs $sys_dev \"label:System Reserved\""
            echo "mkfs ntfs $c_dev label:OS"
            echo "mount $sys_dev /"
            echo "tar-in $tmp/sys.tar /"
            echo "umount /" ;;
        uefi)
            mktar "$espr" "$tmp/esp.tar"
            echo "mkfs vfat $esp_dev label:SYSTEM"
            echo "mkfs ntfs $c_dev label:OS"
            echo "mount $esp_dev /"
            echo "tar-in $tmp/esp.tar /"
            echo "umount /" ;;
    esac
    echo "mount $c_dev /"
    echo "tar-in $tmp/c.tar /"
    echo "umount /"
    echo "sync"
} >"$gfs" || die "cannot write $gfs"
gf --format=raw -a "$disk" -f "$gfs" >"$tmp/gf.log" 2>&1 ||
    die "guestfish failed: $(tail -n 5 "$tmp/gf.log")"

# ---------------------------------------------------------------- hibernation
# Set VOLUME_IS_DIRTY (0x0001) in $Volume's $VOLUME_INFORMATION, in record 3
# of both $MFT and $MFTMirr (ntfs-3g compares them).
le () # FILE OFFSET NBYTES -> unsigned little-endian value
{
    local b v=0 i=0
    for b in $(od -An -v -tu1 -j "$2" -N "$3" "$1"); do
        v=$((v + (b << (8 * i))))
        i=$((i + 1))
    done
    [ "$i" -eq "$3" ] || die "short read at $2 in $1"
    printf '%s' "$v"
}

set_dirty_record () # FILE RECORD_OFFSET
{
    local f="$1" rec="$2" a type len coff flagoff flags
    [ "$(dd if="$f" bs=1 skip="$rec" count=4 status=none)" = FILE ] ||
        die "no FILE record at $rec"
    a="$(le "$f" $((rec + 0x14)) 2)"
    while :; do
        type="$(le "$f" $((rec + a)) 4)"
        [ "$type" -ne $((0xffffffff)) ] || die "no \$VOLUME_INFORMATION in record at $rec"
        len="$(le "$f" $((rec + a + 4)) 4)"
        [ "$len" -gt 0 ] || die "bad attribute length in record at $rec"
        if [ "$type" -eq $((0x70)) ]; then
            [ "$(le "$f" $((rec + a + 8)) 1)" -eq 0 ] || die "\$VOLUME_INFORMATION not resident"
            coff="$(le "$f" $((rec + a + 0x14)) 2)"
            flagoff=$((a + coff + 0x0a))
            # The last 2 bytes of each 512-byte sector hold the update
            # sequence number: never patch there.
            [ $(((flagoff + 1) % 512)) -lt 510 ] || die "flags at a sector end"
            flags="$(le "$f" $((rec + flagoff)) 2)"
            flags=$((flags | 1))
            printf "$(printf '\\%03o\\%03o' $((flags & 255)) $((flags >> 8)))" |
                dd of="$f" bs=1 seek=$((rec + flagoff)) conv=notrunc status=none ||
                die "cannot write the dirty flag"
            [ "$(le "$f" $((rec + flagoff)) 2)" -eq "$flags" ] || die "dirty flag did not stick"
            return 0
        fi
        a=$((a + len))
    done
}

set_ntfs_dirty () # FILE PARTITION_OFFSET_BYTES
{
    local f="$1" p="$2" bps spc cpr cl rec mft mirr
    [ "$(dd if="$f" bs=1 skip=$((p + 3)) count=4 status=none)" = NTFS ] ||
        die "no NTFS boot sector at $p"
    bps="$(le "$f" $((p + 0x0b)) 2)"
    spc="$(le "$f" $((p + 0x0d)) 1)"
    cl=$((bps * spc))
    mft="$(le "$f" $((p + 0x30)) 8)"
    mirr="$(le "$f" $((p + 0x38)) 8)"
    cpr="$(le "$f" $((p + 0x40)) 1)"
    if [ "$cpr" -ge 128 ]; then rec=$((1 << (256 - cpr))); else rec=$((cpr * cl)); fi
    set_dirty_record "$f" $((p + mft * cl + 3 * rec))
    set_dirty_record "$f" $((p + mirr * cl + 3 * rec))
}

if [ "$hibernated" = 1 ]; then
    set_ntfs_dirty "$disk" $((c_start * 512))
fi

# ---------------------------------------------------------------- facts
{
    echo "# What phony Windows guest $name pretends to be (generated; source it)."
    fact name "$name"
    fact os_type windows
    fact distro windows
    fact arch "$arch"
    fact firmware "$firmware"
    fact major "$major"
    fact minor "$minor"
    fact build "$build"
    fact product_name "$product_name"
    fact product_variant "$installation_type"
    fact edition_id "$edition_id"
    fact product_type "$product_type"
    fact osinfo "$osinfo"
    fact control_set "$cs"
    fact hostname "$hostname"
    fact hibernated "$hibernated"
    fact disk disk.img
    fact format raw
    fact root_device "$c_dev"
    fact esp_device "$esp_dev"
    fact system_device "$sys_dev"
    fact systemroot /Windows
    fact nic_model vmxnet3
    fact nic_mac "$nic_mac"
    fact nic_guid "$nic_guid"
    fact nic_instance_id "$nic_inst"
    fact ipv4_address "$ipv4_address"
    fact ipv4_netmask "$ipv4_netmask"
    fact ipv4_gateway "$ipv4_gateway"
    fact ipv4_dns "$ipv4_dns"
    fact vmware_tools_uninstall "MsiExec.exe /X$tools_guid"
} >"$stage/facts" || die "cannot write facts"

finish_image "$out" "$name"
