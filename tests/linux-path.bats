#!/usr/bin/env bats
# bats file_tags=guests
# The Linux path end to end, on a real Debian 12 guest as VMware leaves it
# (tests/images: debian-bios): static IP on ens192 pinned by a udev rule,
# fstab and root= on /dev/sda1, an initramfs without virtio, open-vm-tools.
# Unfixed, it fails to boot on virtio-blk (images-debian.bats proves that).
#
#   h2k-fetch VMX | h2k-inspect | h2k-fix-linux | h2k-convert | h2k-validate
#
# The pipeline runs once (setup_file), each test checks one promise on the
# manifests it left.  TCG makes this slow (about 10 minutes).

load helpers

setup_file ()
{
    requires_image debian-bios
    requires jq qemu-img
    # shellcheck disable=SC1091
    . "$image/facts"
    export image W="$BATS_FILE_TMPDIR/work" M="$BATS_FILE_TMPDIR"
    sha256sum "$image/$DISK" > "$M/source.sha256"

    h2k-fetch --workdir "$W" "$image/$VMX" > "$M/fetched.json"
    h2k-inspect < "$M/fetched.json" > "$M/inspected.json"
    sha256sum "$W/disk0-overlay.qcow2" > "$M/overlay-before-dry-run.sha256"
    h2k-fix-linux --dry-run < "$M/inspected.json" > "$M/planned.json" 2> "$M/planned.err"
    sha256sum "$W/disk0-overlay.qcow2" > "$M/overlay-after-dry-run.sha256"
    h2k-fix-linux < "$M/inspected.json" > "$M/fixed.json"
    h2k-fix-linux < "$M/fixed.json" > "$M/fixed-twice.json" 2> "$M/fixed-twice.err"
    h2k-inspect < "$M/fixed-twice.json" > "$M/reinspected.json"
    h2k-convert --output-dir "$M/out" < "$M/reinspected.json" > "$M/converted.json"
    h2k-validate < "$M/converted.json" > "$M/validated.json"
}

setup ()
{
    [ -s "$M/validated.json" ] || skip "the pipeline did not run to the end (see setup_file)"
    # shellcheck disable=SC1091
    . "$image/facts"
}

risks () { jq -r '[.guest.risks[].code] | unique | join(" ")' "$1"; }

@test "linux path: inspection finds the guest and every risk" {
    f="$M/inspected.json"
    [ "$(jq -r .guest.type "$f")" = linux ]
    [ "$(jq -r .guest.distro "$f")" = debian ]
    [ "$(jq -r .guest.major_version "$f")" = 12 ]
    [ "$(jq -r .guest.hostname "$f")" = "$HOSTNAME" ]
    [ "$(jq -r .guest.firmware.kind "$f")" = bios ]
    [ "$(jq -r .guest.bootloader.kind "$f")" = grub2-bios ]
    [ "$(jq -r .guest.bootloader.cmdline.root "$f")" = "$ROOT_DEV" ]
    [ "$(jq -r .guest.initramfs_tool "$f")" = initramfs-tools ]
    [ "$(jq -r '.guest.kernels[0].virtio.virtio_blk' "$f")" = module ]
    [ "$(jq -r '.guest.network.interfaces[0].name' "$f")" = "$NIC" ]
    [ "$(jq -r '.guest.network.interfaces[0].addresses[0]' "$f")" = "$IP/$PREFIX" ]
    [ "$(jq -r '.guest.network.interfaces[0].mac_pin' "$f")" = "$MAC" ]
    [ "$(jq -r '.guest.hypervisor_tools[0].name' "$f")" = open-vm-tools ]
    [ "$(risks "$f")" = "cmdline-root-device-name fstab-device-name hypervisor-tools initramfs-missing-virtio nic-mac-pin nic-name-changes" ]
    [ "$(jq -r '.guest.risks[] | select(.code=="fstab-device-name") | .line' "$f" | head -n 1)" -gt 0 ]
}

@test "linux path: inspection made an overlay and left the source alone" {
    [ "$(jq -r .disks[0].overlay.backing "$M/inspected.json")" = "$(realpath "$image/$DISK")" ]
    [ "$(jq -r .disks[0].overlay.path "$M/inspected.json")" = "$W/disk0-overlay.qcow2" ]
    sha256sum -c --quiet "$M/source.sha256"
}

@test "linux path: --dry-run plans every fix and changes nothing" {
    f="$M/planned.json"
    [ "$(jq -r '[.plan[].action] | join(" ")' "$f")" = "edit-lines write-file edit-lines edit-lines command command write-file command fstrim" ]
    [ "$(jq -r '.changes | length' "$f")" = 0 ]
    [ "$(jq -r '.stages[-1].dry_run' "$f")" = true ]
    grep -q 'plan write-file-2: /etc/systemd/network/10-h2k-ens192.link' "$M/planned.err"
    grep -q 'plan edit-lines-3: /etc/fstab: 2 entries' "$M/planned.err"
    [ "$(cut -d' ' -f1 "$M/overlay-before-dry-run.sha256")" = "$(cut -d' ' -f1 "$M/overlay-after-dry-run.sha256")" ]
}

@test "linux path: every change is recorded with digests and a backup" {
    f="$M/fixed.json"
    [ "$(jq -r '.changes | length' "$f")" -ge 8 ]
    # Every edited file has before and after digests and a backup path.
    [ "$(jq '[.changes[] | select(.action=="edit") | select(.before_sha256 and .after_sha256 and (.backup | startswith("/var/lib/h2k/backup/")))] | length' "$f")" = 3 ]
    [ "$(jq -r '.changes[] | select(.path=="/etc/fstab") | .backup' "$f")" = /var/lib/h2k/backup/etc/fstab ]
    [ "$(jq -r '.changes[] | select(.plan_id | startswith("command")) | .command[0]' "$f" | sort | tr '\n' ' ')" = "dpkg grub-mkconfig update-initramfs " ]
    # Each change belongs to an item of the plan.
    [ "$(jq '[.changes[].plan_id] - [.plan[].id] | length' "$f")" = 0 ]
}

@test "linux path: a second run plans and changes nothing" {
    grep -q 'plan: nothing to change' "$M/fixed-twice.err"
    [ "$(jq '.plan | length' "$M/fixed-twice.json")" = "$(jq '.plan | length' "$M/fixed.json")" ]
    [ "$(jq '.changes | length' "$M/fixed-twice.json")" = "$(jq '.changes | length' "$M/fixed.json")" ]
}

@test "linux path: after the fix, inspection finds no risk left to boot" {
    f="$M/reinspected.json"
    [ "$(risks "$f")" = "" ]
    [ "$(jq -r '.guest.fstab[0].spec_kind' "$f")" = uuid ]
    [[ "$(jq -r .guest.bootloader.cmdline.root "$f")" == UUID=* ]]
    [ "$(jq -r '.guest.kernels[0].virtio.virtio_blk' "$f")" = initramfs ]
    [ "$(jq -r '.guest.network.interfaces[0].mac_pin // "none"' "$f")" = none ]
    [ "$(jq -r '.guest.hypervisor_tools | length' "$f")" = 0 ]
}

@test "linux path: the converted disk holds the fixed guest, exactly" {
    f="$M/converted.json"
    out="$(jq -r .disks[0].output.path "$f")"
    [ "$(jq -r .disks[0].output.identical_to_source "$f")" = true ]
    qemu-img compare -q -f qcow2 -F qcow2 "$W/disk0-overlay.qcow2" "$out"
    sha256sum -c --quiet "$M/source.sha256"
}

@test "linux path: the converted guest boots on virtio-blk and answers on its static IP" {
    f="$M/validated.json"
    [ "$(jq -r .validation.status "$f")" = passed ]
    [ "$(jq -r .validation.bus "$f")" = virtio-blk ]
    [ "$(jq -r '.validation.disks[0].path' "$f")" = "$(jq -r .disks[0].output.path "$f")" ]
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
}

@test "linux path: every stage is recorded, in order" {
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$M/validated.json")" = \
      "h2k-fetch h2k-inspect h2k-fix-linux h2k-fix-linux h2k-inspect h2k-convert h2k-validate" ]
    [ "$(jq -r '[.stages[].status] | unique | join(" ")' "$M/validated.json")" = ok ]
}
