#!/usr/bin/env bats
# bats file_tags=guests
# h2k-validate on Windows guests: the offline storage checks, the beacon
# (a step of h2k-fix-windows' first-boot runner, or validate's own
# one-shot script registered in the overlay's SYSTEM hive), and the
# two-phase boot.  The phony win7 image (tests/images/phony-windows.sh)
# has real registry hives but no Windows to boot: every boot here ends
# with "no beacon" after a short --timeout, which is what we check.
#
# Launches (each 15-40 s under TCG): h2k-inspect and h2k-fix-windows once
# per file for the fixed manifest (the unfixed one keeps a copy of the
# overlay before the fix); then one per h2k-validate run that gets past
# the manifest checks, and guestfish reading back a kept overlay.

load helpers

export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
export LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}"

setup ()
{
    requires jq qemu-img
    export H2K_ACCEL="${H2K_ACCEL:-tcg}"
    export TMPDIR="$BATS_TEST_TMPDIR/tmp"
    mkdir -p "$TMPDIR"
}

# manifests: $d/unfixed.json (inspected; its own copy of the overlay)
# and $d/fixed.json (h2k-fix-windows with the fake virtio-win tree), built
# once per file.
manifests ()
{
    d="$BATS_FILE_TMPDIR/win7"
    requires guestfish hivexget
    requires_corpus
    requires_image virtio-win-fake
    local vw="$image"
    requires_image win7
    if [ ! -f "$d/fixed.json" ]; then
        mkdir -p "$d/tmp"
        h2k-fetch --workdir "$d/work" --format raw "$image/disk.img" >"$d/fetched.json" \
            2>"$d/fetch.err" || { cat "$d/fetch.err" >&2; return 1; }
        TMPDIR="$d/tmp" h2k-inspect <"$d/fetched.json" >"$d/inspected.json" \
            2>"$d/inspect.err" || { cat "$d/inspect.err" >&2; return 1; }
        # h2k-fix-windows writes the overlay: the unfixed manifest gets a copy.
        cp "$(jq -r '.disks[0].overlay.path' "$d/inspected.json")" "$d/unfixed-overlay.qcow2"
        jq --arg o "$d/unfixed-overlay.qcow2" '.disks[0].overlay.path = $o' \
            "$d/inspected.json" >"$d/unfixed.json"
        TMPDIR="$d/tmp" h2k-fix-windows --virtio-win "$vw/tree" <"$d/inspected.json" \
            >"$d/fixed.json.t" 2>"$d/fix.err" || { cat "$d/fix.err" >&2; return 1; }
        mv "$d/fixed.json.t" "$d/fixed.json"
    fi
}

# edited FILE FILTER: FILE through jq FILTER, as a file path.
edited ()
{
    jq "$2" "$1" >"$BATS_TEST_TMPDIR/edited.json"
    echo "$BATS_TEST_TMPDIR/edited.json"
}

assert_no_tmpdir ()
{
    local left
    left="$(ls -d "$TMPDIR"/h2k-validate.* 2>/dev/null || true)"
    [ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}

# kept_dir: the private directory --keep-tmpdir kept (one).
kept_dir ()
{
    local k
    k="$(ls -d "$TMPDIR"/h2k-validate.*)"
    [ "$(printf '%s\n' "$k" | wc -l)" -eq 1 ]
    echo "$k"
}

@test "validate-windows: --signal login and bad windows_boot are refused before any launch" {
    manifests
    run_tool_in "$d/fixed.json" h2k-validate --signal login
    one_line_error '<stdin>: /guest/type: "windows": --signal login cannot work: Windows prints no login prompt on the serial console'
    run_tool_in "$(edited "$d/fixed.json" '.windows_boot.strategy = "three-phase"')" h2k-validate
    one_line_error '<stdin>' '/windows_boot/strategy' 'three-phase'
    run_tool_in "$(edited "$d/fixed.json" '.windows_boot.strategy = "two-phase"')" h2k-validate
    one_line_error '<stdin>: /windows_boot/phases: 1 phase, but strategy two-phase has 2'
    run_tool_in "$(edited "$d/fixed.json" '.windows_boot.phases[0].nic = "e1000"')" h2k-validate
    one_line_error '<stdin>: /windows_boot/phases/0/nic: "e1000": h2k-validate boots virtio NICs only'
    run_tool_in "$(edited "$d/fixed.json" '.windows_boot.phases[0].system_bus = "ide"')" h2k-validate
    one_line_error '<stdin>: /windows_boot/phases/0/system_bus: "ide"'
    assert_no_tmpdir
}

@test "validate-windows: unfixed win7 fails the offline storage checks with one line, no boot" {
    manifests
    local f="$BATS_TEST_TMPDIR/failed.json" before
    before="$(sha256sum <"$d/unfixed-overlay.qcow2")"
    run_tool_in "$d/unfixed.json" h2k-validate --failed-manifest="$f"
    assert_failed_cleanly
    assert_status 1
    [ "$(printf '%s\n' "$stderr" | grep -c 'validation failed')" -eq 1 ]
    [[ "$stderr" == *"h2k-validate: validation failed: offline check: SYSTEM\\ControlSet001\\Services\\viostor: missing: Windows cannot load viostor at boot (0x7B INACCESSIBLE_BOOT_DEVICE) (and more: see validation.offline.errors)"* ]]
    [[ "$stderr" != *"waiting up to"* ]]
    local v; v="$(jq -c .validation "$f")"
    [ "$(jq -r .status <<<"$v")" = failed ]
    [ "$(jq -r .booted <<<"$v")" = false ]
    [ "$(jq -r .offline.status <<<"$v")" = failed ]
    [ "$(jq -r .offline.guest.type <<<"$v")" = windows ]
    [ "$(jq -r .offline.guest.build <<<"$v")" = 7601 ]
    [ "$(jq -r .offline.guest.storage.status <<<"$v")" = failed ]
    [ "$(jq -r .offline.guest.storage.binding <<<"$v")" = critical-device-database ]
    [ "$(jq -r '[.offline.guest.storage.control_sets[].name] | join(",")' <<<"$v")" = ControlSet001,ControlSet002 ]
    jq -e '.offline.errors | any(. == "SYSTEM\\ControlSet002\\Services\\viostor: missing: Windows cannot load viostor at boot (0x7B INACCESSIBLE_BOOT_DEVICE)")' <<<"$v"
    jq -e '.offline.errors | any(startswith("SYSTEM\\ControlSet001\\Control\\CriticalDeviceDatabase: no entry for the virtio-blk PCI ids"))' <<<"$v"
    # No beacon after a failed check, no boot, one final phase not booted.
    [ "$(jq -r '.beacon // "none"' <<<"$v")" = none ]
    [ "$(jq -r '.console_tail | length' <<<"$v")" = 0 ]
    [ "$(jq -c '[.phases[] | {phase, name, bus, result}]' <<<"$v")" = \
        '[{"phase":1,"name":"final","bus":"virtio-blk","result":"failed"}]' ]
    [ "$(sha256sum <"$d/unfixed-overlay.qcow2")" = "$before" ]
    assert_no_tmpdir
}

@test "validate-windows: fixed win7 passes the offline checks; the beacon is the runner's last step; no beacon from the phony guest" {
    manifests
    local f="$BATS_TEST_TMPDIR/failed.json" overlay before
    overlay="$(jq -r '.disks[0].overlay.path' "$d/fixed.json")"
    before="$(sha256sum <"$overlay")"
    run_tool_in "$d/fixed.json" h2k-validate --timeout 15 --keep-tmpdir -v --failed-manifest="$f"
    assert_failed_cleanly
    assert_status 1
    [[ "$stderr" == *"h2k-validate: validation failed: no beacon within 15 s"* ]]
    [[ "$stderr" == *"beacon injected as the first-boot runner's last step (C:\\h2k\\firstboot\\steps\\99-h2k-validate.cmd)"* ]]
    local v; v="$(jq -c .validation "$f")"
    [ "$(jq -r .status <<<"$v")" = failed ]
    [ "$(jq -r .reason <<<"$v")" = "no beacon within 15 s" ]
    [ "$(jq -r .booted <<<"$v")" = false ]
    [ "$(jq -r .signal <<<"$v")" = beacon ]
    [ "$(jq -r .offline.status <<<"$v")" = passed ]
    [ "$(jq -r '.offline.errors // [] | length' <<<"$v")" = 0 ]
    [ "$(jq -r .offline.guest.storage.status <<<"$v")" = passed ]
    [ "$(jq -r .offline.guest.storage.driver <<<"$v")" = viostor ]
    [ "$(jq -r '[.offline.guest.storage.control_sets[] | .status] | join(",")' <<<"$v")" = ok,ok ]
    [ "$(jq -r '.offline.guest.storage.control_sets[1].selected_as[0]' <<<"$v")" = last_known_good ]
    [ "$(jq -r '.offline.guest.storage.control_sets[0].service.file_exists' <<<"$v")" = true ]
    [ "$(jq -r '.offline.guest.storage.control_sets[0].critical_device.class_guid' <<<"$v")" = \
        '{4D36E97B-E325-11CE-BFC1-08002BE10318}' ]
    # validation.beacon: how it was injected.
    [ "$(jq -r .beacon.os <<<"$v")" = windows ]
    [ "$(jq -r .beacon.method <<<"$v")" = firstboot-step ]
    [ "$(jq -r .beacon.setup_before.runner <<<"$v")" = true ]
    [ "$(jq -r .beacon.setup_before.setup_type <<<"$v")" = 2 ]
    [ "$(jq -r '.beacon.files[0]' <<<"$v")" = /h2k/firstboot/steps/99-h2k-validate.cmd ]
    [ "$(jq -r '.beacon.setup // "none"' <<<"$v")" = none ]
    local tok; tok="$(jq -r .beacon.token <<<"$v")"
    [[ "$tok" =~ ^[0-9a-f]{32}$ ]]
    # Reboots are allowed for Windows (the runner may need one).
    [[ "$(jq -r '.phases[0].qemu' <<<"$v")" != *"-no-reboot"* ]]
    [ "$(jq -r '.phases[0].result' <<<"$v")" = failed ]
    [ "$(jq -r .windows_boot.strategy <<<"$v")" = single ]
    # The step file is in the kept overlay, with the token, in CRLF.
    local k; k="$(kept_dir)"
    [ "$(jq -r .tmpdir <<<"$v")" = "$k" ]
    guestfish --ro -a "$k/disk0.qcow2" -m /dev/sda1 \
        download /h2k/firstboot/steps/99-h2k-validate.cmd "$BATS_TEST_TMPDIR/step.cmd"
    grep -q "^set T=$tok"$'\r'"\$" "$BATS_TEST_TMPDIR/step.cmd"
    grep -q '^mode COM1: BAUD=115200 PARITY=N DATA=8 STOP=1 ' "$BATS_TEST_TMPDIR/step.cmd"
    grep -q "^exit /b 0"$'\r'"\$" "$BATS_TEST_TMPDIR/step.cmd"
    [ "$(grep -c $'\r$' "$BATS_TEST_TMPDIR/step.cmd")" = "$(wc -l <"$BATS_TEST_TMPDIR/step.cmd")" ]
    # ... and not in the manifest's overlay.
    [ "$(sha256sum <"$overlay")" = "$before" ]
    rm -rf "$k"
}

@test "validate-windows: unfixed win7 on SATA: validate's own one-shot beacon, registered in the overlay's hive only" {
    manifests
    local f="$BATS_TEST_TMPDIR/failed.json" before
    before="$(sha256sum <"$d/unfixed-overlay.qcow2")"
    run_tool_in "$d/unfixed.json" h2k-validate --bus sata --timeout 10 --keep-tmpdir --failed-manifest="$f"
    assert_failed_cleanly
    [[ "$stderr" == *"validation failed: no beacon within 10 s"* ]]
    local v; v="$(jq -c .validation "$f")"
    [ "$(jq -r .offline.status <<<"$v")" = passed ]
    [ "$(jq -r .offline.guest.storage.status <<<"$v")" = skipped ]
    [[ "$(jq -r .offline.guest.storage.why <<<"$v")" == "no virtio driver needed on sata"* ]]
    [ "$(jq -r .beacon.method <<<"$v")" = setup-cmdline ]
    [ "$(jq -r .beacon.setup_before.runner <<<"$v")" = false ]
    [ "$(jq -r .beacon.setup.cmdline <<<"$v")" = 'C:\Windows\System32\cmd.exe /c C:\h2k\validate\beacon.cmd' ]
    [ "$(jq -r .beacon.setup.setup_type <<<"$v")" = 2 ]
    [ "$(jq -r '.beacon.files[0]' <<<"$v")" = /h2k/validate/beacon.cmd ]
    [[ "$(jq -r '.phases[0].qemu' <<<"$v")" == *"-device ich9-ahci,id=ahci0 "*"-device ide-hd,drive=disk0,bus=ahci0.0,bootindex=1"* ]]
    # The kept overlay: the script, and Setup pointing at it.
    local k; k="$(kept_dir)"
    guestfish --ro -a "$k/disk0.qcow2" -m /dev/sda1 <<EOF
download /h2k/validate/beacon.cmd $BATS_TEST_TMPDIR/beacon.cmd
download /Windows/System32/config/SYSTEM $BATS_TEST_TMPDIR/SYSTEM
EOF
    grep -q 'reg add "HKLM\\SYSTEM\\Setup" /v SetupType /t REG_DWORD /d 0 /f' "$BATS_TEST_TMPDIR/beacon.cmd"
    grep -q "set T=$(jq -r .beacon.token <<<"$v")" "$BATS_TEST_TMPDIR/beacon.cmd"
    [ "$(hivexget "$BATS_TEST_TMPDIR/SYSTEM" '\Setup' CmdLine)" = 'C:\Windows\System32\cmd.exe /c C:\h2k\validate\beacon.cmd' ]
    [ "$(hivexget "$BATS_TEST_TMPDIR/SYSTEM" '\Setup' SetupType)" = 2 ]
    # The manifest's overlay did not change.
    [ "$(sha256sum <"$d/unfixed-overlay.qcow2")" = "$before" ]
    rm -rf "$k"
}

@test "validate-windows: --dry-run of a two-phase plan prints both command lines" {
    manifests
    local m
    m="$(edited "$d/fixed.json" '.windows_boot = {strategy: "two-phase", storage: "viostor", phases: [
        {phase: 1, name: "install-drivers", system_bus: "sata", nic: "virtio",
         scratch_disk: {bus: "virtio-blk", size_mib: 64}, ends: "poweroff"},
        {phase: 2, name: "final", system_bus: "virtio-blk", nic: "virtio"}]}')"
    run_tool_in "$m" h2k-validate -n
    assert_status 0
    [[ "$stderr" == *"would run: qemu-system-x86_64 "*"-device virtio-blk-pci,drive=disk0,bootindex=1"* ]]
    [[ "$stderr" == *"phase 1 (install-drivers) would run: qemu-system-x86_64 "*"-device ich9-ahci,id=ahci0 -drive file="*"-device ide-hd,drive=disk0,bus=ahci0.0,bootindex=1 -drive file="*"/scratch.qcow2,format=qcow2,if=none,id=scratch0,cache=unsafe -device virtio-blk-pci,drive=scratch0"* ]]
    [[ "$stderr" != *"launching"* ]]
    assert_no_tmpdir
}

@test "validate-windows: two-phase boots phase 1 on SATA with a virtio scratch disk, stops at its failure" {
    manifests
    local f="$BATS_TEST_TMPDIR/failed.json" m
    m="$(edited "$d/fixed.json" '.windows_boot = {strategy: "two-phase", storage: "viostor", phases: [
        {phase: 1, name: "install-drivers", system_bus: "sata", nic: "virtio",
         scratch_disk: {bus: "virtio-blk", size_mib: 64}, ends: "poweroff"},
        {phase: 2, name: "final", system_bus: "virtio-blk", nic: "virtio"}]}')"
    run_tool_in "$m" h2k-validate --timeout 10 --failed-manifest="$f"
    assert_failed_cleanly
    assert_status 1
    [[ "$stderr" == *"h2k-validate: validation failed: phase 1 (install-drivers): no beacon within 10 s"* ]]
    # One launch (phase 1's), no final phase.
    [ "$(printf '%s\n' "$stderr" | grep -c 'launching the appliance')" -eq 1 ]
    [[ "$stderr" != *"booting the final phase"* ]]
    local v; v="$(jq -c .validation "$f")"
    [ "$(jq -r .windows_boot.strategy <<<"$v")" = two-phase ]
    [ "$(jq -r .reason <<<"$v")" = "phase 1 (install-drivers): no beacon within 10 s" ]
    [ "$(jq -c '[.phases[] | {phase, name, bus, result}]' <<<"$v")" = \
        '[{"phase":1,"name":"install-drivers","bus":"sata","result":"failed"},{"phase":2,"name":"final","bus":"virtio-blk","result":"not-run"}]' ]
    [ "$(jq -c '.phases[0].scratch_disk' <<<"$v")" = '{"bus":"virtio-blk","size_mib":64}' ]
    [ "$(jq -r '.phases[0].signaled' <<<"$v")" = false ]
    [ "$(jq -r '.phases[0].reason' <<<"$v")" = "no beacon within 10 s" ]
    [ "$(jq -r '.phases[0].powered_off' <<<"$v")" = false ]
    # The QEMU device layout of phase 1.
    local q; q="$(jq -r '.phases[0].qemu' <<<"$v")"
    [[ "$q" == *"-device ich9-ahci,id=ahci0 "*"-device ide-hd,drive=disk0,bus=ahci0.0,bootindex=1"* ]]
    [[ "$q" == *"/scratch.qcow2,format=qcow2,if=none,id=scratch0,cache=unsafe -device virtio-blk-pci,drive=scratch0"* ]]
    [[ "$q" != *"drive=scratch0,bootindex"* ]]
    [[ "$q" != *"-no-reboot"* ]]
    # Phase 1's offline checks: the binding checks apply to the final phase.
    [ "$(jq -r '.phases[0].offline.guest.storage.status' <<<"$v")" = skipped ]
    [ "$(jq -r '.phases[0].offline.guest.storage.why' <<<"$v")" = \
        "two-phase: the binding checks apply to the final phase only" ]
    [ "$(jq -r '.phases[0].beacon.method' <<<"$v")" = firstboot-step ]
    [ "$(jq -r .bus <<<"$v")" = sata ]
    assert_no_tmpdir
}
