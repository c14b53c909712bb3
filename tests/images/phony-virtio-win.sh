#!/bin/bash
# phony-virtio-win.sh NAME OUTDIR: build a fake virtio-win driver tree into
# OUTDIR (via OUTDIR-t) and point $(dirname OUTDIR)/NAME at it.
#
# Layout: phony-virtio-win/files.txt, the file list of a real virtio-win
# ISO (<driver>/<os>/<arch>/<file>, e.g. viostor/w10/amd64/viostor.sys).
# Contents are small, fake and distinguishable:
#   *.sys, *.cat, other files  one line naming the file's own path
#   *.inf   a plausible INF: class, service, and the virtio PCI hardware IDs
#           of the driver (transitional DEV_10xx; modern DEV_104x except on
#           xp/2k3), the [Manufacturer] decoration of the folder's arch
#           (NTx86, NTamd64, NTarm64), and its own path in a comment.
# OUTDIR gets: tree/ (the files), virtio-win.iso (genisoimage -J -R, volume
# id $volid), files (the sorted file list) and facts.

set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
. "$here/phony-lib.sh"

[ $# -eq 2 ] || die "usage: $0 NAME OUTDIR"
name="$1"
out="$2"
list="$here/phony-virtio-win/files.txt"
volid="virtio-win-0.1.999"

need genisoimage sort

begin_image "$out"
tree="$stage/tree"
mkdir -p "$tree" || die "mkdir failed"

# driver file base name -> "service|class|class guid|start|group|description|legacy id|modern id"
driver_info ()
{
    case "$1" in
        viostor) echo 'viostor|SCSIAdapter|{4D36E97B-E325-11CE-BFC1-08002BE10318}|0|SCSI miniport|Red Hat VirtIO SCSI controller|DEV_1001&SUBSYS_00021AF4&REV_00|DEV_1042&SUBSYS_11001AF4&REV_01' ;;
        vioscsi) echo 'vioscsi|SCSIAdapter|{4D36E97B-E325-11CE-BFC1-08002BE10318}|0|SCSI miniport|Red Hat VirtIO SCSI pass-through controller|DEV_1004&SUBSYS_00081AF4&REV_00|DEV_1048&SUBSYS_11001AF4&REV_01' ;;
        netkvm)  echo 'netkvm|Net|{4D36E972-E325-11CE-BFC1-08002BE10318}|3|NDIS|Red Hat VirtIO Ethernet Adapter|DEV_1000&SUBSYS_00011AF4&REV_00|DEV_1041&SUBSYS_11001AF4&REV_01' ;;
        balloon) echo 'BALLOON|System|{4D36E97D-E325-11CE-BFC1-08002BE10318}|3||VirtIO Balloon Driver|DEV_1002&SUBSYS_00051AF4&REV_00|DEV_1045&SUBSYS_11001AF4&REV_01' ;;
        vioser)  echo 'VirtioSerial|System|{4D36E97D-E325-11CE-BFC1-08002BE10318}|3||VirtIO Serial Driver|DEV_1003&SUBSYS_00031AF4&REV_00|DEV_1043&SUBSYS_11001AF4&REV_01' ;;
        viorng)  echo 'VirtRng|System|{4D36E97D-E325-11CE-BFC1-08002BE10318}|3||VirtIO RNG Device|DEV_1005&SUBSYS_00041AF4&REV_00|DEV_1044&SUBSYS_11001AF4&REV_01' ;;
        *) return 1 ;;
    esac
}

write_inf () # RELPATH FILE
{
    local rel="$1" f="$2" base info svc class guid start group desc legacy modern
    local os arch deco ids
    base="$(basename "$rel" .inf)"
    info="$(driver_info "$base")" || die "no driver info for $rel"
    IFS='|' read -r svc class guid start group desc legacy modern <<<"$info"
    IFS=/ read -r _ os arch _ <<<"$rel"
    case "$rel" in
        amd64/*|i386/*) arch="${rel%%/*}"; os="$(cut -d/ -f2 <<<"$rel")" ;;
    esac
    case "$arch" in
        x86|i386) deco=NTx86 ;;
        amd64)    deco=NTamd64 ;;
        ARM64)    deco=NTarm64 ;;
        *) die "unknown arch folder in $rel" ;;
    esac
    ids="PCI\\VEN_1AF4&$legacy"
    case "$os" in
        xp|2k3) ;;
        *) ids="$ids
PCI\\VEN_1AF4&$modern" ;;
    esac
    {
        printf '; %s\r\n' "$rel"
        printf '; Fake virtio-win driver package for h2k tests: not a driver.\r\n'
        printf ';\r\n'
        printf '[Version]\r\n'
        printf 'Signature   = "$WINDOWS NT$"\r\n'
        printf 'Class       = %s\r\n' "$class"
        printf 'ClassGuid   = %s\r\n' "$guid"
        printf 'Provider    = %%VENDOR%%\r\n'
        printf 'DriverVer   = 01/01/2025,100.99.0.0\r\n'
        printf 'CatalogFile = %s.cat\r\n' "$base"
        printf 'PnpLockdown = 1\r\n\r\n'
        printf '[DestinationDirs]\r\nDefaultDestDir = 12\r\n\r\n'
        printf '[SourceDisksNames]\r\n1 = %%DiskId1%%,,,""\r\n\r\n'
        printf '[SourceDisksFiles]\r\n%s.sys = 1,,\r\n\r\n' "$base"
        printf '[Manufacturer]\r\n%%VENDOR%% = Standard,%s\r\n\r\n' "$deco"
        printf '[Standard.%s]\r\n' "$deco"
        while IFS= read -r id; do
            printf '%%%s.DeviceDesc%% = %s_inst, %s\r\n' "$base" "$base" "$id"
        done <<<"$ids"
        printf '\r\n[%s_inst]\r\nCopyFiles = %s.CopyFiles\r\n\r\n' "$base" "$base"
        printf '[%s.CopyFiles]\r\n%s.sys,,,2\r\n\r\n' "$base" "$base"
        printf '[%s_inst.Services]\r\nAddService = %s, 0x00000002, %s_Service_Inst\r\n\r\n' "$base" "$svc" "$base"
        printf '[%s_Service_Inst]\r\n' "$base"
        printf 'DisplayName    = %%%s.SVCDESC%%\r\n' "$base"
        printf 'ServiceType    = 1\r\n'
        printf 'StartType      = %s\r\n' "$start"
        printf 'ErrorControl   = 1\r\n'
        printf 'ServiceBinary  = %%12%%\\%s.sys\r\n' "$base"
        [ -z "$group" ] || printf 'LoadOrderGroup = %s\r\n' "$group"
        printf '\r\n[Strings]\r\n'
        printf 'VENDOR = "Red Hat, Inc."\r\n'
        printf 'DiskId1 = "%s (%s)"\r\n' "$desc" "$rel"
        printf '%s.DeviceDesc = "%s"\r\n' "$base" "$desc"
        printf '%s.SVCDESC = "%s Service"\r\n' "$base" "$desc"
    } >"$f" || die "cannot write $f"
}

n=0
while IFS= read -r rel; do
    case "$rel" in ''|'#'*) continue ;; esac
    case "$rel" in /*|*..*) die "bad path in files.txt: $rel" ;; esac
    f="$tree/$rel"
    mkdir -p "$(dirname "$f")" || die "mkdir failed"
    case "$rel" in
        *.inf) write_inf "$rel" "$f" ;;
        *)     printf 'fake virtio-win file %s\r\n' "$rel" >"$f" || die "cannot write $f" ;;
    esac
    n=$((n + 1))
done <"$list"
[ "$n" -gt 0 ] || die "empty file list"

(cd "$tree" && find . -type f | sed 's,^\./,,' | LC_ALL=C sort) >"$stage/files" ||
    die "cannot list the tree"
genisoimage -quiet -J -R -V "$volid" -o "$stage/virtio-win.iso" "$tree" 2>"$tmp/iso.log" ||
    die "genisoimage failed: $(cat "$tmp/iso.log")"

{
    echo "# Fake virtio-win tree $name (generated; source it)."
    fact name "$name"
    fact tree tree
    fact iso virtio-win.iso
    fact volume_id "$volid"
    fact file_count "$n"
} >"$stage/facts" || die "cannot write facts"

finish_image "$out" "$name"
