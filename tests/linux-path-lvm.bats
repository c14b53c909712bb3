#!/usr/bin/env bats
# bats file_tags=guests
# The Linux path end to end on the two-disk LVM Debian 12 guest (tests/images:
# debian-lvm), both disks on PVSCSI: /boot on sda1 (ext4, GRUB in sda's
# MBR), root and swap on LVs of VG debian-vg, whose one PV is sdb1.  fstab
# names /dev/mapper/debian--vg-root, /dev/mapper/debian--vg-swap_1 and
# /dev/sda1; root=/dev/mapper/debian--vg-root; static IP on ens192 pinned by
# a udev rule; an initramfs without virtio; open-vm-tools.
#
#   h2k-fetch VMX | h2k-inspect | h2k-fix-linux | h2k-convert | h2k-validate
#
# and, as the negative control, the inspected guest converted without
# h2k-fix-linux must fail validation (no virtio_blk in the initramfs: the
# root LV never appears).  Everything runs once (setup_file); each test
# checks one promise on the manifests it left.

load helpers

setup_file ()
{
    requires_image debian-lvm
    requires jq qemu-img qemu-system-x86_64
    # shellcheck disable=SC1091
    . "$image/facts"
    export image W="$BATS_FILE_TMPDIR/work" M="$BATS_FILE_TMPDIR"
    (cd "$image" && sha256sum "$DISK" "$DISK2" "$VMX") > "$M/source.sha256"

    h2k-fetch --workdir "$W" "$image/$VMX" > "$M/fetched.json"
    h2k-inspect < "$M/fetched.json" > "$M/inspected.json"
    # The negative control: the same guest, not fixed (convert before
    # h2k-fix-linux writes the overlays).
    h2k-convert --output-dir "$M/out-unfixed" < "$M/inspected.json" > "$M/unfixed-converted.json"
    h2k-fix-linux < "$M/inspected.json" > "$M/fixed.json" 2> "$M/fixed.err"
    h2k-convert --output-dir "$M/out" < "$M/fixed.json" > "$M/converted.json"
    h2k-validate < "$M/converted.json" > "$M/validated.json"
    local rc=0
    h2k-validate --failed-manifest="$M/unfixed-failed.json" \
        < "$M/unfixed-converted.json" > "$M/unfixed-validated.out" 2> "$M/unfixed-validate.err" || rc=$?
    echo "$rc" > "$M/unfixed-validate.status"
    (cd "$image" && sha256sum -c --quiet "$M/source.sha256") > "$M/source-after.check" 2>&1 ||
        echo changed >> "$M/source-after.check"
}

setup ()
{
    [ -s "$M/validated.json" ] || skip "the pipeline did not run to the end (see setup_file)"
    # shellcheck disable=SC1091
    . "$image/facts"
}

risks () { jq -r '[.guest.risks[].code] | unique | join(" ")' "$1"; }

@test "linux path lvm: fetch takes both PVSCSI disks, inspection one overlay each" {
    f="$M/inspected.json"
    [ "$(jq -r '[.disks[] | .id + " " + .controller] | join(",")' "$f")" = "disk0 pvscsi,disk1 pvscsi" ]
    [ "$(jq -r '[.disks[].overlay.backing] | join(" ")' "$f")" = "$(realpath "$image/$DISK") $(realpath "$image/$DISK2")" ]
    [ "$(jq -r '[.disks[].overlay.path] | join(" ")' "$f")" = "$W/disk0-overlay.qcow2 $W/disk1-overlay.qcow2" ]
}

@test "linux path lvm: inspection sees LVM across the two disks and every risk" {
    f="$M/inspected.json"
    [ "$(jq -r .guest.hostname "$f")" = "$HOSTNAME" ]
    [ "$(jq -r .guest.firmware.kind "$f")" = bios ]
    [ "$(jq -r .guest.bootloader.kind "$f")" = grub2-bios ]
    [ "$(jq -r .guest.bootloader.cmdline.root "$f")" = "$ROOT_DEV" ]
    [ "$(jq -r .guest.root "$f")" = "/dev/$VG/root" ]
    [ "$(jq -r '.guest.block_layers.lvm_vgs | join(" ")' "$f")" = "$VG" ]
    [ "$(jq -r '.guest.block_layers.lvm_lvs | join(" ")' "$f")" = "/dev/$VG/root /dev/$VG/swap_1" ]
    [ "$(jq -r '[.guest.block_devices[] | .device + ":" + .disk_id] | join(" ")' "$f")" = "/dev/sda:disk0 /dev/sdb:disk1" ]
    [ "$(jq -r '.guest.block_devices[1].partitions[0].device' "$f")" = "$PV_DEV" ]
    [ "$(jq -r '[.guest.fstab[] | .spec + " " + .file] | join(",")' "$f")" = "$ROOT_DEV /,$BOOT_DEV /boot,$SWAP_DEV none" ]
    [ "$(jq -r '.guest.network.interfaces[0].addresses[0]' "$f")" = "$IP/$PREFIX" ]
    # Only /boot's /dev/sda1 is a name that changes: /dev/mapper names do not.
    [ "$(risks "$f")" = "fstab-device-name hypervisor-tools initramfs-missing-virtio nic-mac-pin nic-name-changes" ]
    [ "$(jq -r '[.guest.risks[] | select(.code=="fstab-device-name") | .line] | join(" ")' "$f")" = 6 ]
}

@test "linux path lvm: the plan fixes /boot's entry and leaves the LVs alone" {
    f="$M/fixed.json"
    [ "$(jq -r '[.plan[].action] | join(" ")' "$f")" = "edit-lines write-file edit-lines edit-lines command command write-file command fstrim" ]
    grep -q 'plan edit-lines-3: /etc/fstab: 1 entry' "$M/fixed.err"
    [ "$(jq -r '.changes[] | select(.plan_id | startswith("command")) | .command[0]' "$f" | sort | tr '\n' ' ')" = "dpkg grub-mkconfig update-initramfs " ]
    [ "$(jq '[.changes[].plan_id] - [.plan[].id] | length' "$f")" = 0 ]
    # fstrim went through every filesystem, the root LV included.
    [ "$(jq -r '[.changes[] | select(.action=="fstrim") | .path] | sort | join(" ")' "$f")" = "/ /boot" ]
}

@test "linux path lvm: both converted disks hold the fixed guest, exactly" {
    f="$M/converted.json"
    [ "$(jq -r '.disks | length' "$f")" = 2 ]
    for i in 0 1; do
        out="$(jq -r ".disks[$i].output.path" "$f")"
        [ "$(jq -r ".disks[$i].output.identical_to_source" "$f")" = true ]
        qemu-img compare -q -f qcow2 -F qcow2 "$W/disk$i-overlay.qcow2" "$out"
    done
}

@test "linux path lvm: the converted guest boots from two virtio-blk disks and answers on its static IP" {
    f="$M/validated.json"
    [ "$(jq -r .validation.status "$f")" = passed ]
    [ "$(jq -r .validation.bus "$f")" = virtio-blk ]
    [ "$(jq -r '[.validation.disks[].path] | join(" ")' "$f")" = "$(jq -r '[.disks[].output.path] | join(" ")' "$f")" ]
    [ "$(jq -r '.validation.nics[0].mac' "$f")" = "$MAC" ]
    # The proof came from inside the guest: the beacon, reporting the
    # static address on the NIC the configuration names, and the offline
    # checks passed first.
    [ "$(jq -r .validation.signal "$f")" = beacon ]
    [ "$(jq -r .validation.offline.status "$f")" = passed ]
    jq -e --arg n "$NIC" --arg a "$IP/$PREFIX" \
        '.validation.reported[] | select(.name == $n) | .addresses | index($a) != null' "$f"
    [ "$(jq -r '.validation.nics[0].addresses_answered[0]' "$f")" = "$IP/$PREFIX" ]
    [ "$(jq -r '.validation.nics[0].proven' "$f")" = true ]
    [ "$(jq -r .validation.network_status "$f")" = passed ]
}

@test "linux path lvm: the same guest without h2k-fix-linux fails validation" {
    [ "$(cat "$M/unfixed-validate.status")" = 1 ]
    [ ! -s "$M/unfixed-validated.out" ]
    f="$M/unfixed-failed.json"
    [ "$(jq -r .validation.status "$f")" = failed ]
    # The offline checks stop it before booting: /boot by device name,
    # and an initramfs without virtio (tests/validate.bats boots such a
    # guest anyway and sees it stop in the initramfs).
    [ "$(jq -r .validation.offline.status "$f")" = failed ]
    [ "$(jq -r .validation.booted "$f")" = false ]
    jq -e '.validation.offline.errors | any(contains("does not resolve"))' "$f"
    jq -e '.validation.offline.errors | any(contains("lacks virtio_pci, virtio_blk"))' "$f"
    grep -q 'validation failed: offline check' "$M/unfixed-validate.err"
    [ "$(jq -r '.validation.nics[0].proven' "$f")" = false ]
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$f")" = "h2k-fetch h2k-inspect h2k-convert h2k-validate" ]
    [ "$(jq -r '.stages[-1].status' "$f")" = failed ]
}

@test "linux path lvm: both source disks and the VMX are unchanged" {
    [ ! -s "$M/source-after.check" ]
    cd "$image" && sha256sum -c --quiet "$M/source.sha256"
}

@test "linux path lvm: every stage is recorded, in order" {
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$M/validated.json")" = \
      "h2k-fetch h2k-inspect h2k-fix-linux h2k-convert h2k-validate" ]
    [ "$(jq -r '[.stages[].status] | unique | join(" ")' "$M/validated.json")" = ok ]
}
