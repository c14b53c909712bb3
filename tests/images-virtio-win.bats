#!/usr/bin/env bats
# The fake virtio-win tree and ISO (tests/images/phony-virtio-win.sh) have
# the layout of the real virtio-win ISO that h2k-fix-windows reads.  No
# VM: these run in the fast tier (the phony guests are images-phony.bats).

load helpers

@test "virtio-win-fake: tree has the virtio-win layout" {
    requires_image virtio-win-fake
    . "$image/facts"
    local t="$image/$tree" p
    for p in viostor/w7/x86/viostor.sys viostor/w10/amd64/viostor.inf \
             viostor/2k19/amd64/viostor.cat viostor/2k8R2/amd64/viostor.sys \
             viostor/xp/x86/viostor.sys viostor/2k3/amd64/viostor.inf \
             viostor/w11/ARM64/viostor.sys vioscsi/2k22/amd64/vioscsi.inf \
             vioscsi/2k25/amd64/vioscsi.sys NetKVM/w10/amd64/netkvm.inf \
             NetKVM/2k12R2/amd64/netkvm.sys Balloon/w8.1/x86/balloon.sys \
             vioserial/2k16/amd64/vioser.inf viorng/w11/amd64/viorng.inf \
             amd64/w10/viostor.sys i386/w10/vioscsi.inf virtio-win_license.txt; do
        [ -f "$t/$p" ] || { echo "missing $p" >&2; return 1; }
    done
    # No folders the real ISO does not have.
    [ ! -e "$t/viostor/w7/ARM64" ]
    [ ! -e "$t/viostor/xp/amd64" ]
    [ ! -e "$t/vioscsi/xp" ]
    # Each .sys names its own path; each .inf its hardware IDs and arch.
    grep -q 'viostor/w10/amd64/viostor.sys' "$t/viostor/w10/amd64/viostor.sys"
    grep -q 'PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00' "$t/viostor/w10/amd64/viostor.inf"
    grep -q 'PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01' "$t/viostor/w10/amd64/viostor.inf"
    grep -q '^\[Standard\.NTamd64\]' "$t/viostor/w10/amd64/viostor.inf"
    grep -q '^\[Standard\.NTx86\]' "$t/viostor/w7/x86/viostor.inf"
    grep -q '^\[Standard\.NTarm64\]' "$t/viostor/w11/ARM64/viostor.inf"
    grep -q 'DEV_1048' "$t/vioscsi/2k22/amd64/vioscsi.inf"
    grep -q 'DEV_1041' "$t/NetKVM/w10/amd64/netkvm.inf"
    grep -q '{4D36E97B-E325-11CE-BFC1-08002BE10318}' "$t/vioscsi/w10/amd64/vioscsi.inf"
    ! grep -q 'DEV_1042' "$t/viostor/xp/x86/viostor.inf"
    [ "$(find "$t" -type f | wc -l)" -eq "$file_count" ]
}

@test "virtio-win-fake: the ISO lists the same files under its volume id" {
    requires isoinfo
    requires_image virtio-win-fake
    . "$image/facts"
    run isoinfo -d -i "$image/$iso"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Volume id: $volume_id"* ]]
    diff -u "$image/files" <(isoinfo -J -f -i "$image/$iso" |
        sed 's,^/,,' | grep -vxFf <(cd "$image/$tree" && find . -mindepth 1 -type d | sed 's,^\./,,') |
        LC_ALL=C sort) >&2
    # Rock Ridge keeps the case and the folder names.
    isoinfo -R -f -i "$image/$iso" | grep -qx '/viostor/w10/amd64/viostor.sys'
}
