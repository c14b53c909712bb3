#!/usr/bin/env bats
# --format table: h2k-inspect's inventory and h2k-fix-linux's plan for
# people, on stdout instead of the manifest.  The renderers' exact output
# is unit-tested (tests/unit/inspect/test-report.c,
# tests/unit/common/test-change-report.c); here the CLI contract, and once the
# real thing on the phony RHEL 9 guest (two appliance launches).

load helpers

setup ()
{
    requires qemu-img jq
    d="$BATS_TEST_TMPDIR"
    qemu-img create -q -f qcow2 "$d/disk.qcow2" 16M
    jq -n --arg p "$d/disk.qcow2" --arg w "$d/work" \
        '{h2k_manifest_version:1, workdir:$w, vm:{name:"web1"},
          disks:[{id:"disk0", bus:"scsi",
                  source:{path:$p, format:"qcow2", virtual_size:16777216},
                  current:{path:$p, format:"qcow2"}}], stages:[]}' > "$d/m.json"
    # As h2k-inspect leaves it (a subset of what it records).
    jq '.guest = {type:"linux", distro:"rhel", major_version:9, minor_version:4,
                  arch:"x86_64", hostname:"web1.example.com", root:"/dev/sda2",
                  firmware:{kind:"bios"}, bootloader:{kind:"grub2-bios"},
                  mountpoints:[{mountpoint:"/", device:"/dev/sda2"}],
                  filesystems:[{device:"/dev/sda2", disk_id:"disk0", fstype:"xfs", uuid:"u-1"}],
                  kernels:[{version:"5.14.0", initramfs:"/boot/initramfs-5.14.0.img",
                            virtio:{virtio_pci:"builtin", virtio_blk:"module",
                                    virtio_scsi:"module", virtio_net:"module"}}],
                  network:{interfaces:[{name:"ens192", method:"static",
                                        addresses:["192.168.90.15/24"],
                                        mac_pin:"00:50:56:b2:09:01", mac_pin_source:"config",
                                        backend:"ifcfg",
                                        file:"/etc/sysconfig/network-scripts/ifcfg-ens192", line:4}]},
                  hypervisor_tools:[{name:"open-vm-tools", hypervisor:"vmware", kind:"package"}],
                  risks:[{code:"fstab-device-name", severity:"error",
                          message:"/etc/fstab refers to / by /dev/sda2", path:"/etc/fstab", line:9}]}' \
        "$d/m.json" > "$d/inspected.json"
}

squeeze () { tr -s ' ' <<<"$output"; }

@test "report format: --help documents --format" {
    for t in h2k-inspect h2k-fix-linux; do
        run_tool $t --help
        assert_status 0
        [[ "$output" == *"--format=FMT "*"manifest (default) or"*"table"* ]]
    done
}

@test "report format: an unknown format is a usage error" {
    for t in h2k-inspect h2k-fix-linux; do
        run_tool_in "$d/inspected.json" $t --format yaml
        assert_status 2
        one_line_error '--format: "yaml": expected manifest or table'
    done
}

@test "inspect --format table: renders an inspected manifest without launching" {
    run_tool_in "$d/inspected.json" h2k-inspect --format table
    assert_status 0
    [ -z "$stderr" ]
    # Not a manifest: text, columns aligned.
    ! jq -e . <<<"$output" >/dev/null 2>&1
    [[ "$output" == "VM          web1"$'\n'"OS          linux rhel 9.4 (x86_64)"$'\n'* ]]
    [[ "$(squeeze)" == *$'\nDisks\n ID BUS FORMAT SIZE SOURCE\n disk0 scsi qcow2 16.0M '"$d/disk.qcow2"$'\n'* ]]
    [[ "$output" == *$'\n  /dev/sda2  disk0  xfs   /           -      u-1\n'* ]]
    [[ "$(squeeze)" == *$'\n 5.14.0 /boot/initramfs-5.14.0.img builtin module module module\n'* ]]
    [[ "$(squeeze)" == *" ens192 static 192.168.90.15/24 - 00:50:56:b2:09:01 (config) ifcfg /etc/sysconfig/network-scripts/ifcfg-ens192:4"* ]]
    [[ "$(squeeze)" == *$'\n open-vm-tools vmware package -\n'* ]]
    [[ "$(squeeze)" == *$'\nRisks (1: 1 error, 0 other)\n SEVERITY CODE WHERE MESSAGE\n error fstab-device-name /etc/fstab:9 /etc/fstab refers to / by /dev/sda2' ]]
    # Nothing was made: no overlay, no workdir.
    [ ! -e "$d/work" ]
}

@test "inspect --format table: a manifest whose last stage failed is refused" {
    jq '.stages = [{tool:"h2k-fix-linux", version:"0", started:"a", ended:"b",
                    duration_s:1, status:"failed", error:"boom"}]' "$d/inspected.json" > "$d/failed.json"
    run_tool_in "$d/failed.json" h2k-inspect --format table
    assert_failed_cleanly
    [[ "$stderr" == *"the last stage, h2k-fix-linux, failed: boom"* ]]
}

@test "inspect --format table: a manifest not yet inspected is inspected (and fails cleanly here)" {
    jq '.disks[0].current.path = "/nonexistent/x.qcow2"' "$d/m.json" > "$d/missing.json"
    run_tool_in "$d/missing.json" h2k-inspect --format table
    assert_failed_cleanly
    [[ "$stderr" == *"/nonexistent/x.qcow2"* ]]
}

@test "inspect --format table: a write error is an error" {
    [ -w /dev/full ] || skip "no /dev/full"
    run bash -c 'h2k-inspect --format table < "$1" > /dev/full' _ "$d/inspected.json"
    [ "$status" -eq 1 ]
    [[ "$output" == *"<stdout>: writing the report: No space left on device"* ]]
}

@test "inspect --format table: --failed-manifest on failure, as with the manifest" {
    jq 'del(.workdir)' "$d/m.json" > "$d/nowork.json"
    run_tool_in "$d/nowork.json" h2k-inspect --format table --failed-manifest "$d/f.json"
    assert_failed_cleanly
    [ "$(jq -r '.stages[-1].status' "$d/f.json")" = failed ]
    [[ "$(jq -r '.stages[-1].error' "$d/f.json")" == *"/workdir: required to make overlays"* ]]
}

@test "fix-linux --format table: refuses a manifest that was not inspected" {
    run_tool_in "$d/m.json" h2k-fix-linux --dry-run --format table
    assert_failed_cleanly
    [[ "$stderr" == *"/guest: missing: run h2k-inspect first"* ]]
}

# bats test_tags=guests
@test "report format: the phony RHEL 9 guest's inventory and plan" {
    requires_image rhel9
    # shellcheck disable=SC1091
    . "$image/facts"
    h2k-fetch --format raw --workdir "$d/w" "$image/$disk" > "$d/f.json"
    h2k-inspect < "$d/f.json" > "$d/i.json"
    run_tool_in "$d/i.json" h2k-inspect --format table
    assert_status 0
    [[ "$(squeeze)" == *$'\nOS linux rhel 9.4 (x86_64)\n'* ]]
    [[ "$(squeeze)" == *$'\nHostname '"$hostname"$'\n'* ]]
    [[ "$(squeeze)" == *$'\n '"$nic_name static $ipv4_address/$ipv4_prefix $ipv4_gateway"* ]]
    [[ "$(squeeze)" == *$'\n '"$kernel "* ]]
    sha256sum "$d/w/disk0-overlay.qcow2" > "$d/overlay.sha256"
    run_tool_in "$d/i.json" h2k-fix-linux --dry-run --format table
    assert_status 0
    ! jq -e . <<<"$output" >/dev/null 2>&1
    [[ "$output" == "Plan for "*" changes (dry run: nothing was changed)"$'\n'* ]]
    # Numbered from 1, each with why and files; the commands with their argv.
    [[ "$output" == *$'\n  1. '* ]]
    [ "$(grep -c '^ *[0-9]*\. [a-z-]* \[[a-z-]*-[0-9]*\]$' <<<"$output")" -eq \
      "$(grep -c '^     why ' <<<"$output")" ]
    grep -q '^     run  *dracut ' <<<"$output"
    grep -q "^     files  .*/etc/fstab" <<<"$output" ||
        grep -q "^     files  " <<<"$output"
    # A dry run: the overlay is untouched.
    sha256sum -c --quiet "$d/overlay.sha256"
}
