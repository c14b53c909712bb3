#!/usr/bin/env bats
# h2k-fix-windows on the phony Windows images (tests/images/phony-windows.sh:
# real SYSTEM hives from the corpus, Windows 7 with CriticalDeviceDatabase
# and Windows 10 with DriverDatabase, both VMware guests) and the fake
# virtio-win tree and ISO (phony-virtio-win.sh).
#
# Appliance launches, each about half a minute under TCG: per guest one
# h2k-inspect, one h2k-fix-windows, one guestfish reading the result
# back; plus the second run on win7 and the two-phase and --format table
# dry runs on win10.
# The refusals happen before any launch: they run on the inspected win7
# manifest edited with jq, which is exactly what h2k-fix-windows decides
# from (the hibernated image is inspected for real).

load helpers

export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
export LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}"

# inspected NAME: NAME fetched and inspected once per file into
# $d/inspected.json ($d = per-guest directory); $vw the fake virtio-win,
# $facts the guest's facts file, $overlay its overlay.
inspected ()
{
    requires guestfish hivexget jq
    requires_corpus
    requires_image virtio-win-fake
    vw="$image"
    requires_image "$1"
    facts="$image/facts"
    d="$BATS_FILE_TMPDIR/$1"
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

fact () { ( . "$facts"; eval "echo \"\$$1\"" ); }

# readback DEV FILE...: download FILEs of DEV in the overlay to $out/FILE.
readback ()
{
    local dev="$1" f script=""
    shift
    out="$d/readback"
    for f in "$@"; do
        mkdir -p "$(dirname "$out$f")"
        script+="download $f $out$f"$'\n'
    done
    guestfish --ro -a "$overlay" -m "$dev" <<<"$script"
}

@test "fix-windows: --help, and usage errors exit 2 with one line" {
    run_tool h2k-fix-windows --help
    assert_status 0
    [[ "$output" == *"--virtio-win=DIR|ISO"* ]]
    [[ "$output" == *"--boot-strategy=S"* ]]
    run_tool h2k-fix-windows </dev/null
    assert_status 2
    one_line_error "--virtio-win DIR|ISO is required"
    run_tool h2k-fix-windows --virtio-win /x --storage ahci </dev/null
    assert_status 2
    one_line_error '--storage: "ahci": expected viostor or vioscsi'
    run_tool h2k-fix-windows --virtio-win /x --boot-strategy three </dev/null
    assert_status 2
    one_line_error '--boot-strategy: "three": expected single or two-phase'
    printf 'fix-windows:\n  storage: ahci\n' >"$BATS_TEST_TMPDIR/c.yaml"
    run_tool h2k-fix-windows --config "$BATS_TEST_TMPDIR/c.yaml" </dev/null
    assert_status 2
    one_line_error "c.yaml:2: fix-windows.storage" "ahci"
}

@test "fix-windows --format: documented, checked, nothing on stdout on failure" {
    requires jq
    run_tool h2k-fix-windows --help
    assert_status 0
    [[ "$output" == *"--format=FMT "*"manifest (default) or"*"table"* ]]
    run_tool h2k-fix-windows --virtio-win /x --format yaml </dev/null
    assert_status 2
    one_line_error '--format: "yaml": expected manifest or table'
    printf 'fix-windows:\n  format: yaml\n' >"$BATS_TEST_TMPDIR/c.yaml"
    run_tool h2k-fix-windows --config "$BATS_TEST_TMPDIR/c.yaml" --virtio-win /x </dev/null
    assert_status 2
    one_line_error "c.yaml:2: fix-windows.format" "yaml"
    # Not inspected: refused before any launch, and no report at all.
    jq -n '{h2k_manifest_version:1, vm:{name:"w"}, disks:[], stages:[]}' \
        >"$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-fix-windows -n --format table --virtio-win /x
    one_line_error "<stdin>: /guest: missing: run h2k-inspect first"
}

# bats test_tags=guests
@test "fix-windows: refusals before any launch, one line, nothing on stdout" {
    inspected win7
    run_tool_in "$(edited '.guest.windows.hibernation.hibernated = true')" \
        h2k-fix-windows --virtio-win "$vw/tree"
    one_line_error "<stdin>: /guest/windows/hibernation/hibernated: Windows is hibernated" "shutdown /s /t 0"
    run_tool_in "$(edited 'del(.disks[0].overlay)')" \
        h2k-fix-windows --virtio-win "$vw/tree"
    one_line_error "<stdin>: /disks/0/overlay: missing: run h2k-inspect first"
    run_tool_in "$(edited '.guest.type = "linux"')" \
        h2k-fix-windows --virtio-win "$vw/tree"
    one_line_error '<stdin>: /guest/type: "linux"'
    run_tool_in "$(edited '.guest.windows.arch = "aarch64"')" \
        h2k-fix-windows --virtio-win "$vw/tree"
    one_line_error "<stdin>: /guest/windows: no virtio-win driver fits Windows build 7601 Client aarch64"
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win /nonexistent
    one_line_error "/nonexistent: --virtio-win: No such file or directory"
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win /etc/hostname
    one_line_error "/etc/hostname: --virtio-win: neither a directory nor a readable ISO"
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win "$BATS_TEST_TMPDIR"
    one_line_error "$BATS_TEST_TMPDIR" "viostor"
}

# bats test_tags=guests
@test "fix-windows: the hibernated image is refused, its overlay untouched" {
    inspected win10-hiber
    local sum
    sum="$(sha256sum <"$overlay")"
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win "$vw/tree"
    assert_status 1
    one_line_error "/guest/windows/hibernation/hibernated: Windows is hibernated"
    [ "$(sha256sum <"$overlay")" = "$sum" ]
}

# ---------------------------------------------------------------- win7

# bats test_tags=guests
@test "win7: applied from the ISO: plan, changes, every value recorded" {
    inspected win7
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win "$vw/virtio-win.iso"
    assert_status 0
    echo "$output" >"$d/fixed.json"
    [ "$(jq -r '[.plan[] | .action + ":" + (.details.hive // "")] | join(",")' <<<"$output")" = \
        upload-file:,stage-files:,set-registry:SYSTEM,set-registry:SYSTEM,set-registry:SYSTEM,set-registry:SYSTEM,set-registry:SOFTWARE,write-firstboot:,backup-file: ]
    [ "$(jq -r '.plan | map(.tool) | unique | join(",")' <<<"$output")" = h2k-fix-windows ]
    [ "$(jq -r '.plan[0].details.source' <<<"$output")" = viostor/w7/x86 ]
    # Services\viostor: 5 values in each of ControlSet001 and 002.
    [ "$(jq -r '.plan[2].details.values | length' <<<"$output")" = 10 ]
    [ "$(jq -r '[.plan[2].details.values[].key] | unique | join(",")' <<<"$output")" = \
        'ControlSet001\Services\viostor,ControlSet002\Services\viostor' ]
    # CriticalDeviceDatabase: 6 ids x 2 values x 2 control sets.
    [ "$(jq -r '.plan[3].details.values | length' <<<"$output")" = 24 ]
    [ "$(jq -r '[.plan[4].details.values[] | select(.value != 4)] | length' <<<"$output")" = 0 ]
    [ "$(jq -r '.windows_boot | "\(.strategy) \(.storage) \(.phases | length) \(.phases[0].system_bus)"' <<<"$output")" = \
        "single viostor 1 virtio-blk" ]
    # One change per value, one write per file, one replace per hive.
    [ "$(jq -r '[.changes[] | select(.action == "set-registry-value")] | length' <<<"$output")" = \
        "$(jq -r '[.plan[].details.values // [] | length] | add' <<<"$output")" ]
    [ "$(jq -r '[.changes[] | select(.action == "write-file")] | length' <<<"$output")" = \
        "$(jq -r '[.plan[].details.files // [] | length] | add + 1' <<<"$output")" ]
    [ "$(jq -r '[.changes[] | select(.action == "replace-hive") | .path] | join(",")' <<<"$output")" = \
        /Windows/System32/config/SYSTEM,/Windows/System32/config/SOFTWARE ]
    [ "$(jq -r '.changes[] | select(.action == "set-registry-value" and .details.name == "Start" and (.path | endswith("ControlSet002\\Services\\viostor"))) | "\(.details.before) \(.details.after.type) \(.details.after.value) \(.backup)"' <<<"$output")" = \
        "null dword 0 /h2k/backup/Windows/System32/config/SYSTEM" ]
    [ "$(jq -r '[.changes[] | select(.action == "set-registry-value" and (.path | endswith("\\vmxnet3ndis6")))][0].details | "\(.before.type) \(.after.value)"' <<<"$output")" = \
        "dword 4" ]
    [ "$(jq -r '.stages[-1].status' <<<"$output")" = ok ]
}

# bats test_tags=guests
@test "win7: read back: hives, driver, staged packages, first boot, BCD backup" {
    inspected win7
    [ -f "$d/fixed.json" ] || skip "the previous test did not run"
    local fixed="$d/fixed.json" f cs id
    readback /dev/sda1 /Windows/System32/config/SYSTEM /Windows/System32/config/SOFTWARE \
        /Windows/System32/drivers/viostor.sys /h2k/backup/Windows/System32/config/SYSTEM \
        /h2k/firstboot/firstboot.cmd /h2k/firstboot/steps/10-drivers.cmd \
        /h2k/firstboot/steps/30-uninstall-tools.cmd /h2k/backup/boot/Boot/BCD /Boot/BCD \
        /h2k/drivers/viostor/viostor.inf /h2k/drivers/netkvm/netkvm.inf
    local sys="$out/Windows/System32/config/SYSTEM" fb="$out/h2k/firstboot"
    cmp "$out/Windows/System32/drivers/viostor.sys" "$vw/tree/viostor/w7/x86/viostor.sys"
    cmp "$out/h2k/drivers/viostor/viostor.inf" "$vw/tree/viostor/w7/x86/viostor.inf"
    cmp "$out/h2k/drivers/netkvm/netkvm.inf" "$vw/tree/NetKVM/w7/x86/netkvm.inf"
    cmp "$out/h2k/backup/boot/Boot/BCD" "$out/Boot/BCD"
    [ "$(sha256sum <"$out/Boot/BCD" | cut -d' ' -f1)" = \
        "$(jq -r '.plan[] | select(.action == "backup-file") | .details.sha256' "$fixed")" ]
    for cs in ControlSet001 ControlSet002; do
        [ "$(hivexget "$sys" "\\$cs\\Services\\viostor" Type)" = 1 ]
        [ "$(hivexget "$sys" "\\$cs\\Services\\viostor" Start)" = 0 ]
        [ "$(hivexget "$sys" "\\$cs\\Services\\viostor" ErrorControl)" = 1 ]
        [ "$(hivexget "$sys" "\\$cs\\Services\\viostor" Group)" = "SCSI miniport" ]
        [ "$(hivexget "$sys" "\\$cs\\Services\\viostor" ImagePath)" = 'system32\drivers\viostor.sys' ]
        for id in 'PCI#VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00' 'PCI#VEN_1AF4&DEV_1001&SUBSYS_00021AF4' \
                  'PCI#VEN_1AF4&DEV_1001' 'PCI#VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01' \
                  'PCI#VEN_1AF4&DEV_1042&SUBSYS_11001AF4' 'PCI#VEN_1AF4&DEV_1042'; do
            [ "$(hivexget "$sys" "\\$cs\\Control\\CriticalDeviceDatabase\\$id" Service)" = viostor ]
            [ "$(hivexget "$sys" "\\$cs\\Control\\CriticalDeviceDatabase\\$id" ClassGUID)" = \
                '{4D36E97B-E325-11CE-BFC1-08002BE10318}' ]
        done
    done
    # The VMware Tools services are in the current control set only.
    [ "$(hivexget "$sys" '\ControlSet001\Services\vmxnet3ndis6' Start)" = 4 ]
    [ "$(hivexget "$sys" '\ControlSet001\Services\VMTools' Start)" = 4 ]
    # The first-boot registration and DevicePath.
    [ "$(hivexget "$sys" '\Setup' SetupType)" = 2 ]
    [ "$(hivexget "$sys" '\Setup' CmdLine)" = \
        'C:\Windows\System32\cmd.exe /c C:\h2k\firstboot\firstboot.cmd' ]
    [[ "$(hivexget "$out/Windows/System32/config/SOFTWARE" '\Microsoft\Windows\CurrentVersion' DevicePath)" == *';C:\h2k\drivers\viostor;'*';C:\h2k\drivers\viorng' ]]
    # The backup is the original: no viostor there.
    ! hivexget "$out/h2k/backup/Windows/System32/config/SYSTEM" '\ControlSet001\Services\viostor' Start
    [ "$(sha256sum <"$out/h2k/backup/Windows/System32/config/SYSTEM" | cut -d' ' -f1)" = \
        "$(jq -r '.changes[] | select(.action == "replace-hive" and (.path | endswith("SYSTEM"))) | .before_sha256' "$fixed")" ]
    # Batch files: ASCII, CRLF, and what they run.
    for f in "$fb"/firstboot.cmd "$fb"/steps/10-drivers.cmd "$fb"/steps/30-uninstall-tools.cmd; do
        ! LC_ALL=C grep -q '[^[:print:][:space:]]' "$f"
        [ "$(grep -c $'\r$' "$f")" = "$(wc -l <"$f")" ]
    done
    # pnputil's syntax for Windows 7, the storage package first.
    grep -q 'pnputil.exe" -i -a ' "$fb/steps/10-drivers.cmd"
    ! grep -q '/add-driver' "$fb/steps/10-drivers.cmd"
    [ "$(grep -m1 -o 'C:\\h2k\\drivers\\[a-z]*\\[a-z]*\.inf' "$fb/steps/10-drivers.cmd")" = \
        'C:\h2k\drivers\viostor\viostor.inf' ]
    grep -qi 'msiexec.*/x {FE2F6A2C-196E-4210-9C04-2B1BC21F07EF}.*/qn.*/norestart' "$fb/steps/30-uninstall-tools.cmd"
    grep -qi 'SetupType' "$fb/firstboot.cmd"
    # Every staged file is the tree's.
    [ "$(jq -r '[.plan[] | select(.action == "stage-files") | .details.files[].path] | map(select(startswith("/h2k/drivers/viostor/"))) | length' "$fixed")" = \
        "$(ls "$vw/tree/viostor/w7/x86" | grep -vc '\.pdb$')" ]
}

# bats test_tags=guests
@test "win7: a second run plans nothing and changes nothing" {
    inspected win7
    [ -f "$d/fixed.json" ] || skip "the first win7 test did not run"
    run_tool_in "$d/fixed.json" h2k-fix-windows --virtio-win "$vw/tree"
    assert_status 0
    [ "$(jq -r '.plan | length' <<<"$output")" = "$(jq -r '.plan | length' "$d/fixed.json")" ]
    [ "$(jq -r '.changes | length' <<<"$output")" = "$(jq -r '.changes | length' "$d/fixed.json")" ]
    [[ "$stderr" == *"plan: nothing to change"* ]]
}

# ---------------------------------------------------------------- win10

# bats test_tags=guests
@test "win10: --format table: the plan for review, the overlay untouched" {
    # Before the next test applies the fixes to this overlay.
    inspected win10
    local sum
    sum="$(sha256sum <"$overlay")"
    run_tool_in "$d/inspected.json" h2k-fix-windows -n --format table --virtio-win "$vw/tree"
    assert_status 0
    [ "$(sha256sum <"$overlay")" = "$sum" ]
    ! jq -e . <<<"$output" >/dev/null 2>&1
    [[ "$output" == "Plan for "*" changes (dry run: nothing was changed)"$'\n'* ]]
    # Numbered from 1, each with why and files.
    [[ "$output" == *$'\n  1. upload-file [upload-file-1]\n'* ]]
    [ "$(grep -c '^ *[0-9]*\. [a-z-]* \[[a-z-]*-[0-9]*\]$' <<<"$output")" -eq \
      "$(grep -c '^     why ' <<<"$output")" ]
    grep -q '^     upload  */Windows/System32/drivers/viostor.sys (from viostor/w10/amd64)$' <<<"$output"
    grep -q '^     package  *viostor (viostor/w10/amd64)$' <<<"$output"
    grep -qE '^     set +HKLM\\SYSTEM\\ControlSet001\\Services\\viostor: Start = dword 0$' <<<"$output"
    grep -q '^     write  */h2k/firstboot/steps/10-drivers.cmd$' <<<"$output"
    grep -q '^     backup  */Boot/BCD on /dev/sda[0-9] -> /h2k/backup/boot/Boot/BCD$' <<<"$output"
    echo "$output" >"$d/plan.txt"
}

# bats test_tags=guests
@test "win10: DriverDatabase binding, first-boot cleanup, network by MAC" {
    inspected win10
    local mac
    mac="$(fact nic_mac)"
    run_tool_in "$(edited ".vm.nics = [{\"id\": \"ethernet0\", \"mac\": \"$mac\"}]")" \
        h2k-fix-windows --virtio-win "$vw/tree"
    assert_status 0
    echo "$output" >"$d/fixed.json"
    [ "$(jq -r '.plan[0].details.source' <<<"$output")" = viostor/w10/amd64 ]
    # The binding: under our own names, for the INF's two PCI ids.
    [ "$(jq -r '[.plan[] | select(.action == "set-registry") | .details.values[] | select(.key | startswith("DriverDatabase\\DeviceIds")) | .key + "=" + .name] | join(",")' <<<"$output")" = \
        'DriverDatabase\DeviceIds\PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00=h2k-viostor.inf,DriverDatabase\DeviceIds\PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01=h2k-viostor.inf' ]
    [ "$(jq -r '[.plan[] | select(.action == "set-registry") | .details.values[] | select(.key | test("CriticalDeviceDatabase"))] | length' <<<"$output")" = 0 ]
    # The identity carried over.
    [ "$(jq -r '.plan[] | select(.action == "write-firstboot") | .details.network[0] | "\(.mac) \(.mac_from) \(.addresses[0]) \(.gateways[0]) \(.dns | join(","))"' <<<"$output")" = \
        "$mac vm.nics (the only NIC) $(fact ipv4_address) $(fact ipv4_gateway) $(fact ipv4_dns)" ]

    readback "$(fact root_device)" /Windows/System32/config/SYSTEM \
        /h2k/firstboot/steps/20-boot-binding.cmd /h2k/firstboot/steps/40-network.cmd \
        /h2k/firstboot/steps/10-drivers.cmd
    local pkg='\DriverDatabase\DriverPackages\h2k-viostor.inf_amd64_0000000000000000'
    local sys="$out/Windows/System32/config/SYSTEM" steps="$out/h2k/firstboot/steps"
    [ "$(hivexget "$sys" '\DriverDatabase\DriverInfFiles\h2k-viostor.inf' Active)" = \
        h2k-viostor.inf_amd64_0000000000000000 ]
    [ "$(hivexget "$sys" "$pkg\\Configurations\\viostor_inst" Service)" = viostor ]
    [ "$(hivexget "$sys" "$pkg\\Descriptors\\PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01" Configuration)" = viostor_inst ]
    [ "$(hivexget "$sys" "$pkg" Provider)" = "Red Hat, Inc." ]
    [ "$(hivexget "$sys" '\ControlSet001\Services\viostor' Start)" = 0 ]
    [ "$(hivexget "$sys" '\ControlSet001\Services\pvscsi' Start)" = 4 ]
    # Windows' own packages untouched: pvscsi's binding is still there.
    hivexregedit --export "$sys" 'DriverDatabase\DeviceIds\PCI\VEN_15AD&DEV_07C0' |
        grep -qx '"oem4.inf"=hex(3):01,ff,00,00'
    hivexregedit --export "$sys" 'DriverDatabase\DeviceIds\PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00' |
        grep -qx '"h2k-viostor.inf"=hex(3):01,ff,00,00' 
    grep -q 'pnputil.exe" /add-driver "%~1" /install' "$steps/10-drivers.cmd"
    grep -q 'C:\\h2k\\drivers\\viostor\\viostor.inf' "$steps/10-drivers.cmd"
    grep -qi 'reg.* delete "HKLM\\SYSTEM\\DriverDatabase\\DriverInfFiles\\h2k-viostor.inf" /f' "$steps/20-boot-binding.cmd"
    grep -qi '10-drivers.cmd' "$steps/20-boot-binding.cmd"
    grep -qi "$(fact nic_mac | tr a-f: A-F- )" "$steps/40-network.cmd"
    grep -q "set address name=\"%IF%\" source=static address=$(fact ipv4_address) mask=$(fact ipv4_netmask) gateway=$(fact ipv4_gateway) " \
        "$steps/40-network.cmd"
    grep -q "set dnsservers name=\"%IF%\" source=static address=$(fact ipv4_dns) " "$steps/40-network.cmd"
    grep -qiF "Interfaces\\$(fact nic_guid)" "$steps/40-network.cmd"
}

# bats test_tags=guests
@test "win10: two-phase: SATA first, no offline binding, phases recorded" {
    inspected win10
    local sum
    sum="$(sha256sum <"$overlay")"
    run_tool_in "$d/inspected.json" h2k-fix-windows -n --boot-strategy two-phase \
        --storage vioscsi --virtio-win "$vw/tree"
    assert_status 0
    [ "$(sha256sum <"$overlay")" = "$sum" ]
    [ "$(jq -c '.windows_boot' <<<"$output")" = \
        '{"phases":[{"phase":1,"name":"install-drivers","system_bus":"sata","nic":"virtio","ends":"poweroff","scratch_disk":{"bus":"virtio-scsi","size_mib":64}},{"phase":2,"name":"final","system_bus":"virtio-scsi","nic":"virtio"}],"strategy":"two-phase","storage":"vioscsi"}' ]
    [ "$(jq -r '[.plan[].action] | index("upload-file")' <<<"$output")" = null ]
    [ "$(jq -r '[.plan[] | select(.action == "set-registry") | .details.values[] | select(.key | test("DriverDatabase|CriticalDevice|Services\\\\vioscsi"))] | length' <<<"$output")" = 0 ]
    [ "$(jq -r '[.plan[] | select(.reason | test("AHCI")) | .details.values[].key] | all(test("Services\\\\storahci"))' <<<"$output")" = true ]
    [[ "$(jq -r '.plan[] | select(.action == "write-firstboot") | .reason' <<<"$output")" == *"power off"* ]]
    [ "$(jq -r '.changes | length' <<<"$output")" = 0 ]
}

# ---------------------------------------------------------------- win11

# bats test_tags=guests
@test "win11 (UEFI, no fallback loader): bootx64.efi made from bootmgfw.efi" {
    inspected win11
    [ "$(jq -r '.guest.windows.boot.efi_fallback' "$d/inspected.json")" = false ]
    run_tool_in "$d/inspected.json" h2k-fix-windows --virtio-win "$vw/virtio-win.iso"
    assert_status 0
    [ "$(jq -r '.plan[0] | "\(.action) \(.files[0]) \(.details.from)"' <<<"$output")" = \
        "copy-file /EFI/Boot/bootx64.efi /EFI/Microsoft/Boot/bootmgfw.efi" ]
    # Build 22631 gets the w11 folder, although the product name says 10.
    [ "$(jq -r '.plan[] | select(.action == "upload-file") | .details.source' <<<"$output")" = viostor/w11/amd64 ]
    readback "$(fact esp_device)" /EFI/Boot/bootx64.efi /EFI/Microsoft/Boot/bootmgfw.efi
    cmp "$out/EFI/Boot/bootx64.efi" "$out/EFI/Microsoft/Boot/bootmgfw.efi"
    [ "$(jq -r '.changes[] | select(.action == "copy-file") | .after_sha256' <<<"$output")" = \
        "$(sha256sum <"$out/EFI/Boot/bootx64.efi" | cut -d' ' -f1)" ]
}
