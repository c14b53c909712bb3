#!/usr/bin/env bats
# bats file_tags=guests
# The Linux path end to end on the UEFI Debian 12 guest (tests/images:
# debian-uefi): GPT, ESP on /dev/sda1, root on /dev/sda2, grub-efi booted
# from an NVRAM entry for \EFI\debian\grubx64.efi, no EFI/BOOT/BOOTX64.EFI;
# static IP on ens192 pinned by a udev rule, fstab and root= on /dev/sdX, an
# initramfs without virtio, open-vm-tools.  The NVRAM (OVMF_VARS.fd) does
# not come along: h2k-validate boots OVMF with fresh variables, so only the
# fallback loader that h2k-fix-linux copies can boot it.
#
#   h2k-fetch VMX | h2k-inspect | h2k-fix-linux | h2k-convert | h2k-validate
#
# and, as the negative control, the inspected guest converted without
# h2k-fix-linux must fail validation.  Everything runs once (setup_file);
# each test checks one promise on the manifests it left.

load helpers

# The unfixed guest is booted without the offline checks (which would
# stop it before booting: fstab and the initramfs), to see the UEFI
# failure itself: OVMF finds no loader and starts its shell, a failure
# signature of h2k-validate's.  The timeout only bounds a regression.
unfixed_timeout=300

setup_file ()
{
    requires_image debian-uefi
    requires jq qemu-img qemu-system-x86_64
    # shellcheck disable=SC1091
    . "$image/facts"
    export image W="$BATS_FILE_TMPDIR/work" M="$BATS_FILE_TMPDIR"
    (cd "$image" && sha256sum "$DISK" "$UEFI_VARS" "$VMX") > "$M/source.sha256"

    h2k-fetch --workdir "$W" "$image/$VMX" > "$M/fetched.json"
    h2k-inspect < "$M/fetched.json" > "$M/inspected.json"
    # The negative control: the same guest, not fixed (convert before
    # h2k-fix-linux writes the overlay).
    h2k-convert --output-dir "$M/out-unfixed" < "$M/inspected.json" > "$M/unfixed-converted.json"
    h2k-fix-linux < "$M/inspected.json" > "$M/fixed.json" 2> "$M/fixed.err"
    h2k-convert --output-dir "$M/out" < "$M/fixed.json" > "$M/converted.json"
    h2k-validate < "$M/converted.json" > "$M/validated.json"
    local rc=0
    h2k-validate --no-offline-checks --signal=login --timeout=$unfixed_timeout \
        --failed-manifest="$M/unfixed-failed.json" \
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

@test "linux path uefi: inspection finds a UEFI guest without a fallback loader" {
    f="$M/inspected.json"
    [ "$(jq -r .guest.distro "$f")" = debian ]
    [ "$(jq -r .guest.hostname "$f")" = "$HOSTNAME" ]
    [ "$(jq -r .guest.firmware.kind "$f")" = uefi ]
    [ "$(jq -r .guest.firmware.esp "$f")" = "$ESP_DEV" ]
    [ "$(jq -r .guest.bootloader.kind "$f")" = grub2-efi ]
    [ "$(jq -r .guest.bootloader.cmdline.root "$f")" = "$ROOT_DEV" ]
    [ "$(jq -r .vm.firmware "$f")" = uefi ]
    [ "$(jq -r '[.guest.fstab[] | .spec + " " + .file] | join(",")' "$f")" = "$ROOT_DEV /,$ESP_DEV /boot/efi" ]
    [ "$(jq -r '.guest.network.interfaces[0].name' "$f")" = "$NIC" ]
    [ "$(jq -r '.guest.network.interfaces[0].addresses[0]' "$f")" = "$IP/$PREFIX" ]
    [ "$(jq -r '.guest.network.interfaces[0].mac_pin' "$f")" = "$MAC" ]
    [ "$(risks "$f")" = "cmdline-root-device-name fstab-device-name hypervisor-tools initramfs-missing-virtio nic-mac-pin nic-name-changes uefi-no-fallback-loader" ]
}

@test "linux path uefi: the plan copies grubx64.efi to the fallback path" {
    f="$M/fixed.json"
    [ "$(jq -r '[.plan[].action] | join(" ")' "$f")" = "edit-lines write-file edit-lines edit-lines command copy-file command write-file command fstrim" ]
    [ "$(jq -r '.plan[] | select(.action=="copy-file") | .files | join(" ")' "$f")" = /boot/efi/EFI/BOOT/BOOTX64.EFI ]
    [ "$(jq -r '.plan[] | select(.action=="copy-file") | [.details.copies[] | .from + ">" + .to] | join(" ")' "$f")" = \
      "/boot/efi/EFI/debian/grubx64.efi>/boot/efi/EFI/BOOT/BOOTX64.EFI" ]
    grep -q 'plan edit-lines-3: /etc/fstab: 2 entries' "$M/fixed.err"
    [ "$(jq -r '.changes[] | select(.action=="copy") | .path' "$f")" = /boot/efi/EFI/BOOT/BOOTX64.EFI ]
    [ "$(jq -r '.changes[] | select(.action=="copy") | .after_sha256 | length' "$f")" = 64 ]
    [ "$(jq -r '.changes[] | select(.plan_id | startswith("command")) | .command[0]' "$f" | sort | tr '\n' ' ')" = "dpkg grub-mkconfig update-initramfs " ]
    [ "$(jq '[.changes[].plan_id] - [.plan[].id] | length' "$f")" = 0 ]
}

@test "linux path uefi: the converted disk holds the fixed guest, exactly" {
    f="$M/converted.json"
    out="$(jq -r .disks[0].output.path "$f")"
    [ "$(jq -r .disks[0].output.identical_to_source "$f")" = true ]
    qemu-img compare -q -f qcow2 -F qcow2 "$W/disk0-overlay.qcow2" "$out"
}

@test "linux path uefi: the fixed guest boots under OVMF with fresh NVRAM, on virtio-blk, and answers on its static IP" {
    f="$M/validated.json"
    [ "$(jq -r .validation.status "$f")" = passed ]
    [ "$(jq -r .validation.firmware "$f")" = uefi ]
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

@test "linux path uefi: the same guest without h2k-fix-linux fails validation" {
    [ "$(cat "$M/unfixed-validate.status")" = 1 ]
    [ ! -s "$M/unfixed-validated.out" ]
    f="$M/unfixed-failed.json"
    [ "$(jq -r .validation.status "$f")" = failed ]
    [ "$(jq -r .validation.firmware "$f")" = uefi ]
    [ "$(jq -r '.validation.nics[0].proven' "$f")" = false ]
    [ "$(jq -r .validation.reason "$f")" = "the console showed a boot failure" ]
    [ "$(jq -r .validation.booted "$f")" = false ]
    # OVMF, finding no EFI/BOOT/BOOTX64.EFI, gave up on the disk and
    # started its shell.
    [[ "$(jq -r .validation.failure "$f")" == *"EFI Internal Shell"* ]]
    [ "$(jq -r '.validation.console_tail[] | select(startswith("BdsDxe: failed to load"))' "$f" | wc -l)" -ge 1 ]
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$f")" = "h2k-fetch h2k-inspect h2k-convert h2k-validate" ]
    [ "$(jq -r '.stages[-1].status' "$f")" = failed ]
    grep -q 'validation failed' "$M/unfixed-validate.err"
}

@test "linux path uefi: the source disk, VMX and NVRAM are unchanged" {
    [ ! -s "$M/source-after.check" ]
    cd "$image" && sha256sum -c --quiet "$M/source.sha256"
}

@test "linux path uefi: every stage is recorded, in order" {
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$M/validated.json")" = \
      "h2k-fetch h2k-inspect h2k-fix-linux h2k-convert h2k-validate" ]
    [ "$(jq -r '[.stages[].status] | unique | join(" ")' "$M/validated.json")" = ok ]
}
