#!/usr/bin/env bats
# h2k-fix-windows on the phony win7 image (tests/images/phony-windows.sh)
# and the fake virtio-win tree and ISO (phony-virtio-win.sh).
#
# Five appliance launches in all (each about half a minute to a minute
# under TCG): h2k-inspect once, a dry run on the ISO, the real run on the
# tree, guestfish reading the result back, and the second run.  The
# refusals (Windows 8+, hibernated, no overlay, bad --virtio-win) happen
# before any launch: they run on the inspected win7 manifest edited with
# jq, which is exactly what h2k-fix-windows decides from.

load helpers

export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
export LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}"

# inspected: $d/inspected.json, win7 fetched and inspected once per file;
# $vw the fake virtio-win directory.
inspected ()
{
    d="$BATS_FILE_TMPDIR/win7"
    requires guestfish hivexget jq
    requires_corpus
    requires_image virtio-win-fake
    vw="$image"
    requires_image win7
    if [ ! -f "$d/inspected.json" ]; then
        mkdir -p "$d/tmp"
        h2k-fetch --workdir "$d/work" --format raw "$image/disk.img" >"$d/fetched.json" \
            2>"$d/fetch.err" || { cat "$d/fetch.err" >&2; return 1; }
        TMPDIR="$d/tmp" h2k-inspect <"$d/fetched.json" >"$d/inspected.json.t" \
            2>"$d/inspect.err" || { cat "$d/inspect.err" >&2; return 1; }
        mv "$d/inspected.json.t" "$d/inspected.json"
    fi
    overlay="$(jq -r '.disks[0].overlay.path' "$d/inspected.json")"
}

# edited FILTER: the inspected manifest through jq FILTER, as a file path.
edited ()
{
    jq "$1" "$d/inspected.json" >"$BATS_TEST_TMPDIR/edited.json"
    echo "$BATS_TEST_TMPDIR/edited.json"
}

@test "fix-windows: --help, and usage errors exit 2 with one line" {
    run_tool h2k-fix-windows --help
    assert_status 0
    [[ "$output" == *"--virtio-win=DIR|ISO"* ]]
    run_tool h2k-fix-windows </dev/null
    assert_status 2
    one_line_error "--virtio-win DIR|ISO is required"
    run_tool h2k-fix-windows --virtio-win /x --storage ahci </dev/null
    assert_status 2
    one_line_error '--storage: "ahci": expected viostor or vioscsi'
    printf 'fix-windows:\n  storage: ahci\n' >"$BATS_TEST_TMPDIR/c.yaml"
    run_tool h2k-fix-windows --config "$BATS_TEST_TMPDIR/c.yaml" </dev/null
    assert_status 2
    one_line_error "c.yaml:2: fix-windows.storage" "ahci"
}

@test "fix-windows: refusals before any launch, one line, nothing on stdout" {
    inspected
    run_tool_in "$(edited '.guest.windows.build = 19045')" \
        h2k-fix-windows --virtio-win "$vw/tree"
    one_line_error "<stdin>: /guest/windows/build: 19045: Windows 8 and later: boot-critical virtio storage injection is not implemented yet"
    run_tool_in "$(edited '.guest.windows.hibernation.hibernated = true')" \
        h2k-fix-windows --virtio-win "$vw/tree"
    one_line_error "<stdin>: /guest/windows/hibernation/hibernated: Windows is hibernated" "shutdown /s /t 0"
    run_tool_in "$(edited 'del(.disks[0].overlay)')" \
        h2k-fix-windows --virtio-win "$vw/tree"
    one_line_error "<stdin>: /disks/0/overlay: missing: run h2k-inspect first"
    run_tool_in "$(edited '.guest.type = "linux"')" \
        h2k-fix-windows --virtio-win "$vw/tree"
    one_line_error '<stdin>: /guest/type: "linux"'
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win /nonexistent
    one_line_error "/nonexistent: --virtio-win: No such file or directory"
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win /etc/hostname
    one_line_error "/etc/hostname: --virtio-win: neither a directory nor a readable ISO"
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win "$BATS_TEST_TMPDIR"
    one_line_error "$BATS_TEST_TMPDIR: --virtio-win: no viostor.sys for w7/x86 (nor its fallbacks) in it"
}

@test "fix-windows: --dry-run on the ISO plans, changes nothing" {
    inspected
    local sum
    sum="$(sha256sum <"$overlay")"
    run_tool_in "$d/inspected.json" h2k-fix-windows -n --virtio-win "$vw/virtio-win.iso"
    assert_status 0
    [ "$(sha256sum <"$overlay")" = "$sum" ]
    [ "$(jq -r '[.plan[].action] | join(",")' <<<"$output")" = \
        upload-file,set-registry,set-registry,set-registry ]
    [ "$(jq -r '.plan | map(.tool) | unique | join(",")' <<<"$output")" = h2k-fix-windows ]
    [ "$(jq -r '.plan[0].details.source' <<<"$output")" = viostor/w7/x86/viostor.sys ]
    [ "$(jq -r '.plan[0].details.virtio_win' <<<"$output")" = "$vw/virtio-win.iso" ]
    [ "$(jq -r '.plan[0].details.path' <<<"$output")" = /Windows/System32/drivers/viostor.sys ]
    [ "$(jq -r '.plan[0].details.sha256' <<<"$output")" = \
        "$(sha256sum "$vw/tree/viostor/w7/x86/viostor.sys" | cut -d' ' -f1)" ]
    # Services\viostor: 5 values in each of ControlSet001 and 002.
    [ "$(jq -r '.plan[1].details.values | length' <<<"$output")" = 10 ]
    [ "$(jq -r '[.plan[1].details.values[].key] | unique | join(",")' <<<"$output")" = \
        'ControlSet001\Services\viostor,ControlSet002\Services\viostor' ]
    # CriticalDeviceDatabase: 6 ids x 2 values x 2 control sets.
    [ "$(jq -r '.plan[2].details.values | length' <<<"$output")" = 24 ]
    [ "$(jq -r '[.plan[3].details.values[] | select(.value != 4)] | length' <<<"$output")" = 0 ]
    [ "$(jq -r '.changes | length' <<<"$output")" = 0 ]
    [ "$(jq -r '.stages[-1].dry_run' <<<"$output")" = true ]
}

@test "fix-windows: applies on the tree, records every value, reads back" {
    inspected
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win "$vw/tree"
    assert_status 0
    echo "$output" >"$d/fixed.json"
    [ "$(jq -r '.changes | length' <<<"$output")" = \
        "$(jq -r '[.plan[].details.values // [] | length] | add + 2' <<<"$output")" ]
    [ "$(jq -r '.changes[0] | "\(.action) \(.path) \(.before_sha256) \(.backup)"' <<<"$output")" = \
        "upload-file /Windows/System32/drivers/viostor.sys null null" ]
    [ "$(jq -r '.changes[] | select(.action == "set-registry-value" and .details.name == "Start" and (.path | endswith("ControlSet002\\Services\\viostor"))) | "\(.details.before) \(.details.after.type) \(.details.after.value) \(.backup)"' <<<"$output")" = \
        "null dword 0 /h2k/backup/Windows/System32/config/SYSTEM" ]
    # VMware: the old Start recorded.
    [ "$(jq -r '[.changes[] | select(.action == "set-registry-value" and (.path | endswith("\\vmxnet3ndis6")))][0].details | "\(.before.type) \(.after.value)"' <<<"$output")" = \
        "dword 4" ]
    [ "$(jq -r '.changes[-1] | "\(.action) \(.path) \(.backup)"' <<<"$output")" = \
        "replace-hive /Windows/System32/config/SYSTEM /h2k/backup/Windows/System32/config/SYSTEM" ]
    [ "$(jq -r '.changes[-1].before_sha256 != .changes[-1].after_sha256' <<<"$output")" = true ]

    # Read the result back from the overlay.
    local out="$d/readback"
    mkdir -p "$out"
    guestfish --ro -a "$overlay" -m /dev/sda1 <<EOF2
download /Windows/System32/config/SYSTEM $out/SYSTEM
download /Windows/System32/drivers/viostor.sys $out/viostor.sys
download /h2k/backup/Windows/System32/config/SYSTEM $out/SYSTEM.backup
EOF2
    cmp "$out/viostor.sys" "$vw/tree/viostor/w7/x86/viostor.sys"
    [ "$(sha256sum <"$out/SYSTEM.backup" | cut -d' ' -f1)" = \
        "$(jq -r '.changes[-1].before_sha256' <<<"$output")" ]
    [ "$(sha256sum <"$out/SYSTEM" | cut -d' ' -f1)" = \
        "$(jq -r '.changes[-1].after_sha256' <<<"$output")" ]
    local cs
    for cs in ControlSet001 ControlSet002; do
        [ "$(hivexget "$out/SYSTEM" "\\$cs\\Services\\viostor" Type)" = 1 ]
        [ "$(hivexget "$out/SYSTEM" "\\$cs\\Services\\viostor" Start)" = 0 ]
        [ "$(hivexget "$out/SYSTEM" "\\$cs\\Services\\viostor" ErrorControl)" = 1 ]
        [ "$(hivexget "$out/SYSTEM" "\\$cs\\Services\\viostor" Group)" = "SCSI miniport" ]
        [ "$(hivexget "$out/SYSTEM" "\\$cs\\Services\\viostor" ImagePath)" = 'system32\drivers\viostor.sys' ]
        local id
        for id in 'PCI#VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00' 'PCI#VEN_1AF4&DEV_1001&SUBSYS_00021AF4' \
                  'PCI#VEN_1AF4&DEV_1001' 'PCI#VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01' \
                  'PCI#VEN_1AF4&DEV_1042&SUBSYS_11001AF4' 'PCI#VEN_1AF4&DEV_1042'; do
            [ "$(hivexget "$out/SYSTEM" "\\$cs\\Control\\CriticalDeviceDatabase\\$id" Service)" = viostor ]
            [ "$(hivexget "$out/SYSTEM" "\\$cs\\Control\\CriticalDeviceDatabase\\$id" ClassGUID)" = \
                '{4D36E97B-E325-11CE-BFC1-08002BE10318}' ]
        done
    done
    # Every VMware driver and service disabled reads back as Start=4.
    local key n=0
    while IFS= read -r key; do
        [ "$(hivexget "$out/SYSTEM" "\\$key" Start)" = 4 ]
        n=$((n + 1))
    done < <(jq -r '.changes[] | select(.plan_id == "set-registry-4" and .action == "set-registry-value") | .details.key' <<<"$output")
    [ "$n" -ge 5 ]
    [ "$(hivexget "$out/SYSTEM" '\ControlSet001\Services\vmxnet3ndis6' Start)" = 4 ]
    # The backup is the original: no viostor there.
    ! hivexget "$out/SYSTEM.backup" '\ControlSet001\Services\viostor' Start
}

@test "fix-windows: a second run plans nothing and changes nothing" {
    inspected
    [ -f "$d/fixed.json" ] || skip "the previous test did not run"
    run_tool_in "$d/fixed.json" h2k-fix-windows --virtio-win "$vw/tree"
    assert_status 0
    [ "$(jq -r '.plan | length' <<<"$output")" = "$(jq -r '.plan | length' "$d/fixed.json")" ]
    [ "$(jq -r '.changes | length' <<<"$output")" = "$(jq -r '.changes | length' "$d/fixed.json")" ]
    [[ "$stderr" == *"plan: nothing to change"* ]]
}
