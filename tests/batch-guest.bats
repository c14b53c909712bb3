#!/usr/bin/env bats
# bats file_tags=guests
# contrib/batch with a real guest: the phony RHEL 9 image (built by
# tests/images with an appliance) through fetch and inspect, one launch.
# The wave of disks without an OS is in batch.bats.

load helpers

batch="$top/contrib/batch/Makefile"

setup ()
{
    requires qemu-img jq make
    w="$BATS_TEST_TMPDIR/wave"
    mkdir -p "$w/vms"
    cd "$w"
}

row () { grep "^$1 " out/summary.txt | tr -s ' '; }

@test "batch: a real guest through inspect (phony RHEL 9, one appliance launch)" {
    requires_image rhel9
    printf 'fetch:\n  source: %s\n  format: raw\n' "$image/disk.img" >vms/rhel9.yaml
    run_tool make -f "$batch" H2K_BIN="$H2K_BIN" STAGES="fetch inspect"
    assert_status 0
    [ "$(jq -r .guest.distro out/rhel9/30-inspect.json)" = rhel ]
    [ "$(jq -r .disks[0].overlay.path out/rhel9/30-inspect.json)" = "$PWD/out/rhel9/work/disk0-overlay.qcow2" ]
    [[ "$(row rhel9)" == "rhel9 2/2 ok - - "*" s -" ]]
    # The inventory for a review, from the kept manifest, launching nothing.
    run_tool_in out/rhel9/30-inspect.json h2k-inspect --format table
    assert_status 0
    [[ "$output" == *$'\nOS          linux rhel 9.4 (x86_64)\n'* ]]
}
