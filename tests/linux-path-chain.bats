#!/usr/bin/env bats
# bats file_tags=guests
# The Linux path end to end on debian-bios's snapshot chain (tests/images:
# debian-bios, chain/): the VMX uses base-000001.vmdk, a VMware delta over
# base.vmdk that holds a marker file and a pattern of bytes the base lacks.
# The guest is the one of linux-path.bats (static IP on ens192 pinned by a
# udev rule, fstab and root= on /dev/sda1, no virtio in the initramfs).
#
#   h2k-fetch VMX | h2k-flatten | h2k-inspect | h2k-fix-linux | h2k-convert |
#   h2k-validate
#
# The pipeline runs once (setup_file), each test checks one promise on the
# manifests it left.  (The unfixed control of this guest, on the same
# disk, is in validate.bats.)

load helpers

setup_file ()
{
    requires_image debian-bios
    requires jq qemu-img qemu-io qemu-system-x86_64
    # shellcheck disable=SC1091
    . "$image/facts"
    export image W="$BATS_FILE_TMPDIR/work" M="$BATS_FILE_TMPDIR"
    (cd "$image" && sha256sum "$CHAIN_TOP" "$CHAIN_BASE" "$CHAIN_VMX") > "$M/source.sha256"

    h2k-fetch --workdir "$W" "$image/$CHAIN_VMX" > "$M/fetched.json"
    h2k-flatten < "$M/fetched.json" > "$M/flattened.json"
    h2k-inspect < "$M/flattened.json" > "$M/inspected.json"
    h2k-fix-linux < "$M/inspected.json" > "$M/fixed.json"
    h2k-convert --output-dir "$M/out" < "$M/fixed.json" > "$M/converted.json"
    h2k-validate < "$M/converted.json" > "$M/validated.json"
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

@test "linux path chain: h2k-flatten collapses the delta over its base" {
    f="$M/flattened.json"
    [ "$(jq -r '[.disks[0].chain[].path] | join(" ")' "$f")" = "$image/$CHAIN_TOP $image/$CHAIN_BASE" ]
    [ "$(jq -r '.disks[0].chain[0].parent_cid' "$f")" = "$(jq -r '.disks[0].chain[1].cid' "$f")" ]
    [ "$(jq -r .disks[0].flatten.action "$f")" = collapse ]
    [ "$(jq -r .disks[0].current.path "$f")" = "$W/disk0-flat.qcow2" ]
    [ "$(jq -r .disks[0].source.path "$f")" = "$image/$CHAIN_TOP" ]
    # The bytes only the delta holds made it into the collapsed image.
    read="read -P $SNAPSHOT_PATTERN_BYTE $SNAPSHOT_PATTERN_OFFSET $SNAPSHOT_PATTERN_LENGTH"
    run qemu-io -r -f vmdk -c "$read" "$image/$CHAIN_BASE"
    [[ "$output" == *"Pattern verification failed"* ]]
    run qemu-io -r -f qcow2 -c "$read" "$W/disk0-flat.qcow2"
    [ "$status" -eq 0 ]
    [[ "$output" != *"Pattern verification failed"* ]]
    [[ "$output" == *"read $SNAPSHOT_PATTERN_LENGTH/$SNAPSHOT_PATTERN_LENGTH bytes"* ]]
}

@test "linux path chain: inspection overlays the collapsed image and finds every risk" {
    f="$M/inspected.json"
    [ "$(jq -r .disks[0].overlay.backing "$f")" = "$W/disk0-flat.qcow2" ]
    [ "$(jq -r .guest.hostname "$f")" = "$HOSTNAME" ]
    [ "$(jq -r .guest.bootloader.cmdline.root "$f")" = "$ROOT_DEV" ]
    [ "$(jq -r '.guest.network.interfaces[0].addresses[0]' "$f")" = "$IP/$PREFIX" ]
    [ "$(risks "$f")" = "cmdline-root-device-name fstab-device-name hypervisor-tools initramfs-missing-virtio nic-mac-pin nic-name-changes" ]
}

@test "linux path chain: the plan and the changes are those of the plain guest" {
    f="$M/fixed.json"
    [ "$(jq -r '[.plan[].action] | join(" ")' "$f")" = "edit-lines write-file edit-lines edit-lines command command write-file command fstrim" ]
    [ "$(jq -r '.changes[] | select(.plan_id | startswith("command")) | .command[0]' "$f" | sort | tr '\n' ' ')" = "dpkg grub-mkconfig update-initramfs " ]
    [ "$(jq '[.changes[].plan_id] - [.plan[].id] | length' "$f")" = 0 ]
}

@test "linux path chain: the converted disk holds the fixed guest, exactly" {
    f="$M/converted.json"
    out="$(jq -r .disks[0].output.path "$f")"
    [ "$(jq -r .disks[0].output.identical_to_source "$f")" = true ]
    qemu-img compare -q -f qcow2 -F qcow2 "$W/disk0-overlay.qcow2" "$out"
    [ "$(qemu-img info --output=json "$out" | jq -r '."backing-filename" // "none"')" = none ]
}

@test "linux path chain: the converted guest boots on virtio-blk and answers on its static IP" {
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
    [ "$(jq -r .validation.network_status "$f")" = passed ]
}

@test "linux path chain: the delta, its parent and the VMX are unchanged" {
    [ ! -s "$M/source-after.check" ]
    cd "$image" && sha256sum -c --quiet "$M/source.sha256"
}

@test "linux path chain: every stage is recorded, in order" {
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$M/validated.json")" = \
      "h2k-fetch h2k-flatten h2k-inspect h2k-fix-linux h2k-convert h2k-validate" ]
    [ "$(jq -r '[.stages[].status] | unique | join(" ")' "$M/validated.json")" = ok ]
}
