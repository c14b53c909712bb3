#!/usr/bin/env bats
# h2k-flatten: backing chains resolved, verified and collapsed.

load helpers

setup ()
{
    requires qemu-img qemu-io jq sha256sum
    d="$BATS_TEST_TMPDIR"
    wd="$d/work"
    mkdir -p "$wd"
}

# manifest PATH FORMAT [ID PATH FORMAT ...]: a hand-written h2k-fetch
# output with one disk per PATH FORMAT pair, workdir $wd.
manifest ()
{
    local disks='[]' i=0
    while [ $# -ge 2 ]; do
        disks=$(jq --arg id "disk$i" --arg p "$1" --arg f "$2" \
            '. + [{id: $id, source: {path: $p, format: $f}, current: {path: $p, format: $f}}]' \
            <<<"$disks")
        shift 2; i=$((i + 1))
    done
    jq -n --arg wd "$wd" --argjson disks "$disks" \
        '{h2k_manifest_version: 1, workdir: $wd, vm: {name: "t"}, disks: $disks, stages: []}'
}

# The CID of a VMDK as qemu reads it, 8 hex digits.
cid_of ()
{
    printf '%08x' "$(qemu-img info --output=json -f vmdk "$1" | jq '."format-specific".data.cid')"
}

# Build base.vmdk <- delta.vmdk (monolithicSparse) with distinct data.
make_vmdk_chain ()
{
    ( cd "$d" &&
      qemu-img create -q -f vmdk base.vmdk 4M &&
      qemu-io -f vmdk -c 'write -P 0xaa 0 1M' -c 'write -P 0xab 3M 64k' base.vmdk >/dev/null &&
      qemu-img create -q -f vmdk -b base.vmdk -F vmdk delta.vmdk &&
      qemu-io -f vmdk -c 'write -P 0xbb 512k 1M' delta.vmdk >/dev/null )
}

sums () { (cd "$d" && sha256sum "$@"); }

# Nothing but finished images in the workdir (no temporary files).
assert_workdir () { [ "$(ls -A "$wd")" = "$1" ] || { ls -A "$wd"; return 1; }; }

@test "flatten: --help and --version" {
    run_tool h2k-flatten --help
    assert_status 0
    [[ "$output" == *"--dry-run"* ]]
    assert_version h2k-flatten
    run_tool h2k-flatten --bogus
    assert_status 2
    [ -z "$output" ]
}

@test "flatten: VMDK monolithicSparse base + delta is collapsed" {
    make_vmdk_chain
    manifest "$d/delta.vmdk" vmdk >"$d/m.json"
    sums base.vmdk delta.vmdk >"$d/before"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '.disks[0].chain | length' <<<"$output")" = 2 ]
    [ "$(jq -r '.disks[0].chain[0].path' <<<"$output")" = "$d/delta.vmdk" ]
    [ "$(jq -r '.disks[0].chain[1].path' <<<"$output")" = "$d/base.vmdk" ]
    [ "$(jq -r '.disks[0].chain[0].subformat' <<<"$output")" = monolithicSparse ]
    [ "$(jq -r '.disks[0].chain[0].parent_hint' <<<"$output")" = base.vmdk ]
    [ "$(jq -r '.disks[0].chain[0].cid' <<<"$output")" = "$(cid_of "$d/delta.vmdk")" ]
    [ "$(jq -r '.disks[0].chain[0].parent_cid' <<<"$output")" = "$(cid_of "$d/base.vmdk")" ]
    [ "$(jq -r '.disks[0].chain[1].cid' <<<"$output")" = "$(cid_of "$d/base.vmdk")" ]
    [ "$(jq -r '.disks[0].chain[1].parent_cid' <<<"$output")" = ffffffff ]
    [ "$(jq -r '.disks[0].chain[1] | has("parent_hint")' <<<"$output")" = false ]
    [ "$(jq -r '.disks[0].chain[1].virtual_size' <<<"$output")" = 4194304 ]
    [ "$(jq -r '.disks[0].flatten.action' <<<"$output")" = collapse ]
    [ "$(jq -r '.disks[0].flatten.path' <<<"$output")" = "$wd/disk0-flat.qcow2" ]
    [ "$(jq -r '.disks[0].current.path' <<<"$output")" = "$wd/disk0-flat.qcow2" ]
    [ "$(jq -r '.disks[0].current.format' <<<"$output")" = qcow2 ]
    [ "$(jq -r '.disks[0].source.path' <<<"$output")" = "$d/delta.vmdk" ]
    [ "$(jq -r '.stages[-1].tool + " " + .stages[-1].status' <<<"$output")" = "h2k-flatten ok" ]
    [ "$(jq -r '.stages[-1] | has("dry_run")' <<<"$output")" = false ]
    qemu-img compare -f vmdk "$d/delta.vmdk" -F qcow2 "$wd/disk0-flat.qcow2"
    [ "$(qemu-img info --output=json -f qcow2 "$wd/disk0-flat.qcow2" | jq -r 'has("backing-filename")')" = false ]
    # Not the base alone: the delta's data is in it.
    ! qemu-img compare -q -f vmdk "$d/base.vmdk" -F qcow2 "$wd/disk0-flat.qcow2"
    sums base.vmdk delta.vmdk | diff "$d/before" -
    assert_workdir disk0-flat.qcow2
}

@test "flatten: a second run finds nothing to do" {
    make_vmdk_chain
    manifest "$d/delta.vmdk" vmdk | h2k-flatten >"$d/m1.json" 2>/dev/null
    sum1=$(sha256sum <"$wd/disk0-flat.qcow2")
    run_tool_in "$d/m1.json" h2k-flatten
    assert_status 0
    [[ "$stderr" == *"disk0: already flattened"* ]]
    [ "$(jq -c '.disks[0] | del(.current)' <<<"$output")" = "$(jq -c '.disks[0] | del(.current)' "$d/m1.json")" ]
    [ "$(jq -r '.disks[0].current.path' <<<"$output")" = "$wd/disk0-flat.qcow2" ]
    [ "$(jq -r '.stages | length' <<<"$output")" = 2 ]
    [ "$(sha256sum <"$wd/disk0-flat.qcow2")" = "$sum1" ]
}

@test "flatten: three-level VMDK chain" {
    make_vmdk_chain
    ( cd "$d" &&
      qemu-img create -q -f vmdk -b delta.vmdk -F vmdk delta2.vmdk &&
      qemu-io -f vmdk -c 'write -P 0xcc 1M 1M' delta2.vmdk >/dev/null )
    sums base.vmdk delta.vmdk delta2.vmdk >"$d/before"
    manifest "$d/delta2.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '[.disks[0].chain[].path] | join(" ")' <<<"$output")" = "$d/delta2.vmdk $d/delta.vmdk $d/base.vmdk" ]
    [ "$(jq -r '.disks[0].chain[0].parent_cid' <<<"$output")" = "$(cid_of "$d/delta.vmdk")" ]
    [ "$(jq -r '.disks[0].chain[1].parent_cid' <<<"$output")" = "$(cid_of "$d/base.vmdk")" ]
    [[ "$(jq -r '.disks[0].flatten.reason' <<<"$output")" == "backing chain of 3 images"* ]]
    qemu-img compare -f vmdk "$d/delta2.vmdk" -F qcow2 "$wd/disk0-flat.qcow2"
    sums base.vmdk delta.vmdk delta2.vmdk | diff "$d/before" -
}

@test "flatten: qcow2 chain" {
    ( cd "$d" &&
      qemu-img create -q -f qcow2 b.qcow2 4M &&
      qemu-io -f qcow2 -c 'write -P 0x11 0 2M' b.qcow2 >/dev/null &&
      qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 m.qcow2 &&
      qemu-io -f qcow2 -c 'write -P 0x22 1M 1M' m.qcow2 >/dev/null &&
      qemu-img create -q -f qcow2 -b "$d/m.qcow2" -F qcow2 t.qcow2 6M &&
      qemu-io -f qcow2 -c 'write -P 0x33 5M 64k' t.qcow2 >/dev/null )
    sums b.qcow2 m.qcow2 t.qcow2 >"$d/before"
    manifest "$d/t.qcow2" qcow2 >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '[.disks[0].chain[].path] | join(" ")' <<<"$output")" = "$d/t.qcow2 $d/m.qcow2 $d/b.qcow2" ]
    [ "$(jq -r '[.disks[0].chain[].format] | join(" ")' <<<"$output")" = "qcow2 qcow2 qcow2" ]
    [ "$(jq -r '[.disks[0].chain[].virtual_size] | join(" ")' <<<"$output")" = "6291456 4194304 4194304" ]
    [ "$(jq -r '.disks[0].chain[0].parent_hint' <<<"$output")" = "$d/m.qcow2" ]
    [ "$(jq -r '.disks[0].chain[1].parent_hint' <<<"$output")" = b.qcow2 ]
    [ "$(jq -r '.disks[0].chain[0] | has("cid")' <<<"$output")" = false ]
    qemu-img compare -f qcow2 "$d/t.qcow2" -F qcow2 "$wd/disk0-flat.qcow2"
    sums b.qcow2 m.qcow2 t.qcow2 | diff "$d/before" -
}

@test "flatten: twoGbMaxExtentSparse base with a delta (text descriptors)" {
    ( cd "$d" &&
      qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse base.vmdk 4M &&
      qemu-io -f vmdk -c 'write -P 0x44 0 1M' base.vmdk >/dev/null &&
      qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse -b base.vmdk -F vmdk delta.vmdk &&
      qemu-io -f vmdk -c 'write -P 0x55 2M 1M' delta.vmdk >/dev/null )
    sums base.vmdk base-s001.vmdk delta.vmdk delta-s001.vmdk >"$d/before"
    manifest "$d/delta.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '[.disks[0].chain[].subformat] | join(" ")' <<<"$output")" = "twoGbMaxExtentSparse twoGbMaxExtentSparse" ]
    [ "$(jq -r '.disks[0].chain[0].parent_cid' <<<"$output")" = "$(cid_of "$d/base.vmdk")" ]
    qemu-img compare -f vmdk "$d/delta.vmdk" -F qcow2 "$wd/disk0-flat.qcow2"
    sums base.vmdk base-s001.vmdk delta.vmdk delta-s001.vmdk | diff "$d/before" -
}

@test "flatten: qcow2 delta over a VMDK base" {
    ( cd "$d" &&
      qemu-img create -q -f vmdk base.vmdk 4M &&
      qemu-io -f vmdk -c 'write -P 0x66 0 1M' base.vmdk >/dev/null &&
      qemu-img create -q -f qcow2 -b base.vmdk -F vmdk top.qcow2 &&
      qemu-io -f qcow2 -c 'write -P 0x77 512k 64k' top.qcow2 >/dev/null )
    manifest "$d/top.qcow2" qcow2 >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '[.disks[0].chain[].format] | join(" ")' <<<"$output")" = "qcow2 vmdk" ]
    qemu-img compare -f qcow2 "$d/top.qcow2" -F qcow2 "$wd/disk0-flat.qcow2"
}

@test "flatten: an absolute parentFileNameHint from the source host is found beside the child" {
    mkdir -p "$d/esx"
    ( cd "$d/esx" &&
      qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse base.vmdk 4M &&
      qemu-io -f vmdk -c 'write -P 0x88 0 1M' base.vmdk >/dev/null &&
      qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse -b "$d/esx/base.vmdk" -F vmdk delta.vmdk &&
      qemu-io -f vmdk -c 'write -P 0x99 1M 1M' delta.vmdk >/dev/null )
    grep -q "parentFileNameHint=\"$d/esx/base.vmdk\"" "$d/esx/delta.vmdk"
    mv "$d/esx" "$d/here"
    manifest "$d/here/delta.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [[ "$stderr" == *"parent \"$d/esx/base.vmdk\" not found as written; using $d/here/base.vmdk beside it"* ]]
    [ "$(jq -r '.disks[0].chain[0].parent_hint' <<<"$output")" = "$d/esx/base.vmdk" ]
    [ "$(jq -r '.disks[0].chain[1].path' <<<"$output")" = "$d/here/base.vmdk" ]
    # qemu itself cannot open this chain; the collapsed image still matches
    # the data: delta's blocks over the base's.
    out=$(qemu-io -f qcow2 -c 'read -P 0x88 0 1M' -c 'read -P 0x99 1M 1M' \
          -c 'read -P 0 2M 2M' "$wd/disk0-flat.qcow2")
    [[ "$out" == *"read 2097152/2097152 bytes at offset 2097152"* ]]
    [[ "$out" != *"failed"* ]]
}

@test "flatten: a disk without a chain passes with action none" {
    qemu-img create -q -f qcow2 "$d/solo.qcow2" 4M
    qemu-img create -q -f raw "$d/solo.raw" 1M
    manifest "$d/solo.qcow2" qcow2 "$d/solo.raw" raw >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '.disks[0].flatten.action' <<<"$output")" = none ]
    [ "$(jq -r '.disks[0].flatten.reason' <<<"$output")" = "no backing file" ]
    [ "$(jq -r '.disks[0].flatten | has("path")' <<<"$output")" = false ]
    [ "$(jq -r '.disks[0].current.path' <<<"$output")" = "$d/solo.qcow2" ]
    [ "$(jq -r '.disks[0].chain | length' <<<"$output")" = 1 ]
    [ "$(jq -r '.disks[1].flatten.action' <<<"$output")" = none ]
    [ "$(jq -r '.disks[1].chain[0].format' <<<"$output")" = raw ]
    [ "$(jq -r '.disks[1].current.path' <<<"$output")" = "$d/solo.raw" ]
    assert_workdir ""
}

@test "flatten: --dry-run records the plan and writes nothing" {
    make_vmdk_chain
    manifest "$d/delta.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten -n
    assert_status 0
    [ "$(jq -r '.disks[0].chain | length' <<<"$output")" = 2 ]
    [ "$(jq -r '.disks[0].flatten.action' <<<"$output")" = collapse ]
    [ "$(jq -r '.disks[0].flatten.path' <<<"$output")" = "$wd/disk0-flat.qcow2" ]
    [ "$(jq -r '.disks[0].current.path' <<<"$output")" = "$d/delta.vmdk" ]
    [ "$(jq -r '.stages[-1].dry_run' <<<"$output")" = true ]
    [[ "$stderr" == *"disk0: 0: $d/delta.vmdk (vmdk monolithicSparse"* ]]
    [[ "$stderr" == *"disk0: would collapse 2 images into $wd/disk0-flat.qcow2"* ]]
    assert_workdir ""
}

@test "flatten: a backing file without a format is refused when it would be probed as raw" {
    ( cd "$d" &&
      qemu-img create -q -f raw base.raw 4M &&
      qemu-img create -q -f qcow2 -b base.raw -F raw top.qcow2 &&
      perl -0777 -pi -e 's/\xe2\x79\x2a\xca/\x12\x34\x56\x78/' top.qcow2 )
    [ "$(qemu-img info --output=json -f qcow2 "$d/top.qcow2" | jq -r '."backing-filename-format"')" = null ]
    manifest "$d/top.qcow2" qcow2 >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == *"$d/top.qcow2: backing format: not recorded, and the backing file $d/base.raw would be probed as raw"* ]]
    assert_workdir ""
}

@test "flatten: a backing file without a format is accepted when its magic says qcow2" {
    ( cd "$d" &&
      qemu-img create -q -f qcow2 base.qcow2 4M &&
      qemu-io -f qcow2 -c 'write -P 0x12 0 1M' base.qcow2 >/dev/null &&
      qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 &&
      perl -0777 -pi -e 's/\xe2\x79\x2a\xca/\x12\x34\x56\x78/' top.qcow2 )
    manifest "$d/top.qcow2" qcow2 >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [[ "$stderr" == *"backing format not recorded; $d/base.qcow2 is qcow2 by its magic"* ]]
    [ "$(jq -r '.disks[0].chain[1].format' <<<"$output")" = qcow2 ]
    qemu-img compare -f qcow2 "$d/base.qcow2" -F qcow2 "$wd/disk0-flat.qcow2"
}

# --- bad input: one line naming the file and the field, nothing on
# --- stdout, nothing in the workdir.

@test "flatten: wrong parentCID in a text descriptor" {
    ( cd "$d" &&
      qemu-img create -q -f vmdk base.vmdk 4M &&
      qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse -b base.vmdk -F vmdk delta.vmdk )
    sed -i 's/^parentCID=.*/parentCID=0badc1d0/' "$d/delta.vmdk"
    manifest "$d/delta.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/delta.vmdk: parentCID: 0badc1d0, but its parent $d/base.vmdk has CID $(cid_of "$d/base.vmdk") (the parent was changed after the snapshot was taken)" ]
    assert_workdir ""
}

@test "flatten: wrong parentCID in an embedded descriptor" {
    make_vmdk_chain
    perl -pi -e 's/^parentCID=[0-9a-f]{1,8}$/parentCID=0badc1d0/' "$d/delta.vmdk"
    grep -aq '^parentCID=0badc1d0$' "$d/delta.vmdk"
    manifest "$d/delta.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten -n
    assert_failed_cleanly
    [[ "$stderr" == "h2k-flatten: $d/delta.vmdk: parentCID: 0badc1d0, but its parent $d/base.vmdk has CID "* ]]
}

@test "flatten: missing parent" {
    make_vmdk_chain
    rm "$d/base.vmdk"
    manifest "$d/delta.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/delta.vmdk: parentFileNameHint: parent \"base.vmdk\" not found" ]
    assert_workdir ""
}

@test "flatten: missing extent of a text descriptor" {
    ( cd "$d" && qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse solo.vmdk 4M )
    rm "$d/solo-s001.vmdk"
    manifest "$d/solo.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/solo.vmdk: extent 0: $d/solo-s001.vmdk: No such file or directory" ]
}

# flat_vmdk NAME CID PARENTCID [HINT]: a text descriptor of our own, its
# one FLAT extent a sparse file.
flat_vmdk ()
{
    truncate -s 4M "$d/flat.raw"
    printf '# Disk DescriptorFile\nversion=1\nCID=%s\nparentCID=%s\ncreateType="monolithicFlat"\n%s# Extent description\nRW 8192 FLAT "flat.raw" 0\n' \
        "$2" "$3" "${4:+parentFileNameHint=\"$4\"
}" >"$d/$1"
}

@test "flatten: a descriptor whose parent is itself" {
    flat_vmdk self.vmdk 11111111 11111111 self.vmdk
    manifest "$d/self.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/self.vmdk: parentFileNameHint: loop: parent $d/self.vmdk is image 0 of this chain ($d/self.vmdk) again" ]
}

@test "flatten: a loop A -> B -> A" {
    flat_vmdk a.vmdk aaaaaaaa bbbbbbbb b.vmdk
    flat_vmdk b.vmdk bbbbbbbb aaaaaaaa a.vmdk
    manifest "$d/a.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == "h2k-flatten: $d/b.vmdk: parentFileNameHint: loop: parent $d/a.vmdk is image 0 of this chain"* ]]
}

@test "flatten: a chain deeper than 255 images" {
    for i in $(seq 0 255); do
        flat_vmdk "d$i.vmdk" "$(printf %08x $i)" \
            "$([ $i = 255 ] && echo ffffffff || printf %08x $((i + 1)))" \
            "$([ $i = 255 ] || echo "d$((i + 1)).vmdk")"
    done
    manifest "$d/d0.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten -n
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/d0.vmdk: parentFileNameHint: backing chain deeper than 255 images" ]
}

@test "flatten: a truncated text descriptor" {
    ( cd "$d" && qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse solo.vmdk 4M )
    head -c 40 "$d/solo.vmdk" >"$d/t.vmdk"
    manifest "$d/t.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/t.vmdk: createType: missing (truncated descriptor?)" ]
}

@test "flatten: a truncated sparse VMDK" {
    make_vmdk_chain
    head -c 1024 "$d/delta.vmdk" >"$d/t.vmdk"
    manifest "$d/t.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == "h2k-flatten: $d/t.vmdk: sparse header: descriptorOffset 1 + descriptorSize 20 lies beyond the end of the file (truncated?)" ]]
}

@test "flatten: a huge descriptor value and a huge line" {
    flat_vmdk big.vmdk 11111111 22222222 "$(printf 'x%.0s' $(seq 5000)).vmdk"
    manifest "$d/big.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/big.vmdk: line 6: parentFileNameHint: value longer than 4096 bytes" ]
    flat_vmdk big.vmdk 11111111 22222222 "$(printf 'x%.0s' $(seq 9000)).vmdk"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/big.vmdk: line 6: longer than 8192 bytes" ]
}

@test "flatten: a child smaller than its parent" {
    ( cd "$d" &&
      qemu-img create -q -f qcow2 b.qcow2 4M &&
      qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 t.qcow2 1M )
    manifest "$d/t.qcow2" qcow2 >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/t.qcow2: virtual size 1048576 is smaller than its parent $d/b.qcow2 (4194304)" ]
}

@test "flatten: the second disk's error leaves nothing of the first" {
    make_vmdk_chain
    flat_vmdk self.vmdk 11111111 11111111 self.vmdk
    manifest "$d/delta.vmdk" vmdk "$d/self.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == *"$d/self.vmdk: parentFileNameHint: loop"* ]]
    assert_workdir ""
}

@test "flatten: the manifest needs a workdir" {
    qemu-img create -q -f qcow2 "$d/solo.qcow2" 4M
    manifest "$d/solo.qcow2" qcow2 | jq 'del(.workdir)' >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == "h2k-flatten: <stdin>: /workdir: missing"* ]]
}

@test "flatten: bad manifests (common checks, once)" {
    qemu-img create -q -f qcow2 "$d/solo.qcow2" 4M
    echo 'not json' >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == "h2k-flatten: <stdin>: line 1, column "*": not valid JSON"* ]]
    manifest "$d/solo.qcow2" qcow2 | jq '.h2k_manifest_version = 2' >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == *"<stdin>: /h2k_manifest_version: version 2 is not supported"* ]]
    manifest "$d/solo.qcow2" qcow2 | jq '.disks[0].bogus = 1' >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == *"<stdin>: /disks/0/bogus: unknown key"* ]]
    manifest "$d/solo.qcow2" qcow2 |
        jq '.stages = [{tool: "h2k-fetch", version: "0", started: "x", ended: "x", duration_s: 0, status: "failed", error: "boom"}]' >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == *"<stdin>: /stages/0: the last stage, h2k-fetch, failed: boom"* ]]
}

@test "flatten: writing to /dev/full fails" {
    [ -w /dev/full ] || skip "no /dev/full"
    qemu-img create -q -f qcow2 "$d/solo.qcow2" 4M
    manifest "$d/solo.qcow2" qcow2 >"$d/m.json"
    run bash -c 'h2k-flatten <"$1" >/dev/full' _ "$d/m.json"
    [ "$status" -eq 1 ]
    [[ "$output" == *"<stdout>: writing the manifest: No space left on device"* ]]
}

@test "flatten: corpus: Windows differencing VHD without its parent" {
    requires_corpus
    f="$corpus/disk-images/dfvfs/fat-differential.vhd"
    [ -f "$f" ] || skip "$f missing"
    cp "$f" "$d/fat-differential.vhd"
    manifest "$d/fat-differential.vhd" vhd >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/fat-differential.vhd: parent locator: parent \".\\fat-parent.vhd\" not found (nor beside the child)" ]
}

@test "flatten: corpus: Windows differencing VHD, its parent given the unique id it expects" {
    requires_corpus
    f="$corpus/disk-images/dfvfs/fat-differential.vhd"
    [ -f "$f" ] || skip "$f missing"
    cp "$f" "$d/fat-differential.vhd"
    qemu-img create -q -f vpc -o subformat=dynamic,force_size=on "$d/fat-parent.vhd" 4M
    manifest "$d/fat-differential.vhd" vhd >"$d/m.json"
    # qemu made the parent with a random unique id.
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == "h2k-flatten: $d/fat-differential.vhd: parent unique id: 5fa21a55-f394-aa4d-9958-1951a67d5540, but its parent $d/fat-parent.vhd has unique id "* ]]
    # Give the parent the id the child expects (footer at the end and its
    # copy at 0, checksum recomputed).
    set_vhd_uuid "$d/fat-parent.vhd" 5fa21a55f394aa4d99581951a67d5540
    sums fat-parent.vhd fat-differential.vhd >"$d/before"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '.disks[0].flatten.action' <<<"$output")" = collapse ]
    [ "$(jq -r '[.disks[0].chain[].cid] | join(" ")' <<<"$output")" = "f84f1636-cd9e-9041-a69e-dcc2380e416a 5fa21a55-f394-aa4d-9958-1951a67d5540" ]
    [ "$(jq -r '.disks[0].chain[0].parent_cid' <<<"$output")" = 5fa21a55-f394-aa4d-9958-1951a67d5540 ]
    # The parent is all zeros: the result is the child's own data, which
    # is what qemu reads of it alone.
    qemu-img compare -f vpc "$d/fat-differential.vhd" -F qcow2 "$wd/disk0-flat.qcow2"
    sums fat-parent.vhd fat-differential.vhd | diff "$d/before" -
    assert_workdir disk0-flat.qcow2
}

# set_vhd_uuid FILE HEX32: rewrite a VHD footer's unique id.
set_vhd_uuid ()
{
    local f="$1" hex="$2" size off sum=0 b
    size=$(stat -c %s "$f")
    for off in $((size - 512)) 0; do
        printf "$(sed 's/../\\x&/g' <<<"$hex")" |
            dd of="$f" bs=1 seek=$((off + 68)) conv=notrunc status=none
        printf '\0\0\0\0' | dd of="$f" bs=1 seek=$((off + 64)) conv=notrunc status=none
        sum=0
        for b in $(od -An -v -tu1 -j "$off" -N 512 "$f"); do sum=$((sum + b)); done
        sum=$(( ~sum & 0xffffffff ))
        printf "$(printf '%08x' "$sum" | sed 's/../\\x&/g')" |
            dd of="$f" bs=1 seek=$((off + 64)) conv=notrunc status=none
    done
}

# vhd_diff PARENT CHILD UUID [OFFSET:LENGTH:BYTE ...]: make CHILD a
# differencing VHD of PARENT (qemu cannot make one), with unique id UUID
# (32 hex digits), holding LENGTH bytes of BYTE (hex) at each OFFSET
# (multiples of 512).  Layout: footer copy, dynamic header (parent unique
# id read from PARENT's footer, parent name, one W2ru locator ".\NAME"),
# BAT, locator data, then each block written to (2 MiB blocks, a 512-byte
# sector bitmap, most significant bit first, then the data), footer.
# Sectors of a block whose bit is clear hold 0xee: they must not be
# copied.  VHD_PARENT_UUID overrides the parent unique id; VHD_BAD_BAT=1
# points the first allocated block past the end of the file.
vhd_diff ()
{
    perl - "$@" <<'EOF'
use strict;
use warnings;
my ($parent, $child, $uuid, @writes) = @ARGV;
my $bs = 2 << 20;
sub rd { my ($f, $o, $l) = @_; open my $h, "<:raw", $f or die "$f: $!"; seek $h, $o, 0; my $b; read $h, $b, $l; $b }
# Big-endian one's complement of the byte sum, stored at $at.
sub csum { my ($b, $at) = @_; substr($b, $at, 4) = pack("N", ~unpack("%32C*", $b) & 0xffffffff); $b }
my $pf = rd($parent, (-s $parent) - 512, 512);
my ($size, $geom) = (unpack("x48 Q>", $pf), substr($pf, 56, 4));
my $puuid = $ENV{VHD_PARENT_UUID} ? pack("H32", $ENV{VHD_PARENT_UUID}) : substr($pf, 68, 16);
(my $pname = $parent) =~ s{.*/}{};
my $entries = int(($size + $bs - 1) / $bs);
my $batlen = ($entries * 4 + 511) & ~511;
my $loc = join "", map { pack "v", ord } split //, ".\\$pname";
my $locoff = 1536 + $batlen;
my $next = $locoff + ((length($loc) + 511) & ~511);
my (%bitmap, %data);
for my $w (@writes) {
    my ($off, $len, $byte) = split /:/, $w;
    for (my $s = $off / 512; $s < ($off + $len) / 512; ++$s) {
        my ($b, $i) = (int($s * 512 / $bs), $s % ($bs / 512));
        $bitmap{$b} //= "\0" x 512;
        $data{$b} //= "\xee" x $bs;
        vec($bitmap{$b}, $i ^ 7, 1) = 1;
        substr($data{$b}, $i * 512, 512) = chr(hex $byte) x 512;
    }
}
my @bat = (0xffffffff) x $entries;
my $blocks = "";
for my $b (sort { $a <=> $b } keys %bitmap) {
    $bat[$b] = ($next + length $blocks) / 512;
    $blocks .= $bitmap{$b} . $data{$b};
}
$bat[(sort { $a <=> $b } keys %bitmap)[0]] = 0x00f00000 if $ENV{VHD_BAD_BAT};
my $footer = "conectix" . pack("N N Q> N a4 N a4 Q> Q> a4 N N a16 C",
    2, 0x10000, 512, 0, "h2kt", 0x10000, "Wi2k", $size, $size, $geom, 4, 0,
    pack("H32", $uuid), 0);
$footer = csum($footer . "\0" x (512 - length $footer), 64);
my $dyn = "cxsparse" . pack("Q> Q> N N N N a16 N N", ~0, 1536,
    0x10000, $entries, $bs, 0, $puuid, 0, 0);
$dyn .= join("", map { pack "n", ord } split //, $pname);
$dyn .= "\0" x (576 - length $dyn);
$dyn .= pack("a4 N N N Q>", "W2ru", length $loc, length $loc, 0, $locoff);
$dyn = csum($dyn . "\0" x (1024 - length $dyn), 36);
open my $h, ">:raw", $child or die "$child: $!";
print $h $footer, $dyn, pack("N*", @bat), "\0" x ($batlen - 4 * $entries),
    $loc, "\0" x ($next - $locoff - length $loc), $blocks, $footer;
close $h or die "$child: $!";
EOF
}

# raw_writes FILE [OFFSET:LENGTH:BYTE ...]: the same writes on a raw file.
raw_writes ()
{
    perl -e 'open my $h, "+<:raw", shift or die; for (@ARGV) { my ($o, $l, $b) = split /:/; seek $h, $o, 0; print $h chr(hex $b) x $l }' "$@"
}

# make_vhd_chain [fixed|dynamic]: a 6 MiB VHD base (1 MiB of 0xaa at 0:
# of a dynamic one's three 2 MiB blocks, only the first is allocated),
# child.vhd and gc.vhd over it, and expected.raw, the disk gc.vhd holds.
make_vhd_chain ()
{
    local sub="${1:-dynamic}"
    qemu-img create -q -f vpc -o subformat=$sub,force_size=on "$d/base.vhd" 6M
    qemu-io -f vpc -c 'write -P 0xaa 0 1M' "$d/base.vhd" >/dev/null
    # In the base's block, across the end of its data, in a block it
    # does not have.
    child_w="524288:65536:bb 1048064:1024:bb 2101248:8192:bb"
    vhd_diff "$d/base.vhd" "$d/child.vhd" 11111111222233334444555555555555 $child_w
    # Over some of the child's sectors, and the last sector of the disk.
    gc_w="532480:4096:cc 6290944:512:cc"
    vhd_diff "$d/child.vhd" "$d/gc.vhd" 66666666777788889999aaaaaaaaaaaa $gc_w
    truncate -s 6M "$d/expected.raw"
    raw_writes "$d/expected.raw" 0:1048576:aa $child_w $gc_w
}

@test "flatten: VHD differencing chain (dynamic base, child, grandchild) is collapsed by h2k" {
    requires perl
    make_vhd_chain
    sums base.vhd child.vhd gc.vhd >"$d/before"
    manifest "$d/gc.vhd" vhd >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '[.disks[0].chain[].path] | join(" ")' <<<"$output")" = "$d/gc.vhd $d/child.vhd $d/base.vhd" ]
    [ "$(jq -r '[.disks[0].chain[].subformat] | join(" ")' <<<"$output")" = "differencing differencing dynamic" ]
    [ "$(jq -r '[.disks[0].chain[].cid] | .[0:2] | join(" ")' <<<"$output")" = "66666666-7777-8888-9999-aaaaaaaaaaaa 11111111-2222-3333-4444-555555555555" ]
    [ "$(jq -r '.disks[0].chain[0].parent_cid' <<<"$output")" = 11111111-2222-3333-4444-555555555555 ]
    [ "$(jq -r '.disks[0].chain[1].parent_cid == .disks[0].chain[2].cid' <<<"$output")" = true ]
    [ "$(jq -r '.disks[0].chain[2] | has("parent_cid")' <<<"$output")" = false ]
    [ "$(jq -r '.disks[0].chain[0].parent_hint' <<<"$output")" = '.\child.vhd' ]
    [ "$(jq -r '.disks[0].flatten.action' <<<"$output")" = collapse ]
    [ "$(jq -r '.disks[0].current.path' <<<"$output")" = "$wd/disk0-flat.qcow2" ]
    [ "$(jq -r '.disks[0].current.format' <<<"$output")" = qcow2 ]
    [[ "$stderr" == *"merging 2 VHD differencing disks over $d/base.vhd"* ]]
    qemu-img compare -f raw "$d/expected.raw" -F qcow2 "$wd/disk0-flat.qcow2"
    [ "$(qemu-img info --output=json -f qcow2 "$wd/disk0-flat.qcow2" | jq -r 'has("backing-filename")')" = false ]
    # Not what qemu reads of the top alone (it ignores the parents).
    ! qemu-img compare -q -f vpc "$d/gc.vhd" -F qcow2 "$wd/disk0-flat.qcow2"
    sums base.vhd child.vhd gc.vhd | diff "$d/before" -
    assert_workdir disk0-flat.qcow2
}

@test "flatten: VHD differencing disk over a fixed VHD, and as a qcow2's backing file" {
    requires perl
    make_vhd_chain fixed
    manifest "$d/child.vhd" vhd >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '.disks[0].chain[1].subformat' <<<"$output")" = fixed ]
    truncate -s 6M "$d/child.raw"
    raw_writes "$d/child.raw" 0:1048576:aa $child_w
    qemu-img compare -f raw "$d/child.raw" -F qcow2 "$wd/disk0-flat.qcow2"
    # A qcow2 over the differencing VHDs: the qcow2's data over the merge.
    rm "$wd/disk0-flat.qcow2"
    qemu-img create -q -f qcow2 -b gc.vhd -F vpc "$d/top.qcow2"
    qemu-io -f qcow2 -c 'write -P 0xdd 3M 64k' "$d/top.qcow2" >/dev/null
    raw_writes "$d/expected.raw" 3145728:65536:dd
    manifest "$d/top.qcow2" qcow2 >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '[.disks[0].chain[].format] | join(" ")' <<<"$output")" = "qcow2 vhd vhd vhd" ]
    qemu-img compare -f raw "$d/expected.raw" -F qcow2 "$wd/disk0-flat.qcow2"
    assert_workdir disk0-flat.qcow2
}

@test "flatten: a differencing VHD whose parent unique id does not match is refused" {
    requires perl
    make_vhd_chain
    VHD_PARENT_UUID=0123456789abcdef0123456789abcdef \
        vhd_diff "$d/base.vhd" "$d/child.vhd" 11111111222233334444555555555555 $child_w
    manifest "$d/gc.vhd" vhd >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == "h2k-flatten: $d/child.vhd: parent unique id: 01234567-89ab-cdef-0123-456789abcdef, but its parent $d/base.vhd has unique id "* ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
    assert_workdir ""
}

@test "flatten: a differencing VHD whose BAT points past the end of the file is refused" {
    requires perl
    make_vhd_chain
    VHD_BAD_BAT=1 vhd_diff "$d/base.vhd" "$d/child.vhd" 11111111222233334444555555555555 $child_w
    manifest "$d/child.vhd" vhd >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/child.vhd: BAT: entry 0: block at offset 8053063680 lies beyond the end of the file (truncated?)" ]
    assert_workdir ""
    # The same through the grandchild, with --dry-run.
    manifest "$d/gc.vhd" vhd >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten -n
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/child.vhd: BAT: entry 0: block at offset 8053063680 lies beyond the end of the file (truncated?)" ]
    assert_workdir ""
}

# vhdx_child PARENT CHILD: make CHILD a differencing VHDX of PARENT
# (qemu cannot make one): a fresh qemu VHDX (1 MiB blocks, every BAT
# entry NOT_PRESENT) with HasParent set and a parent locator holding
# PARENT's DataWriteGuid and its file name.
vhdx_child ()
{
    qemu-img create -q -f vhdx -o block_size=1M "$2" 4M
    perl - "$1" "$2" "$(basename "$1")" <<'EOF'
use strict;
my ($parent, $child, $rel) = @ARGV;
sub rd { my ($f, $o, $l) = @_; open my $h, "<:raw", $f or die; seek $h, $o, 0; read $h, my $b, $l; $b }
sub wr { my ($f, $o, $d) = @_; open my $h, "+<:raw", $f or die; seek $h, $o, 0; print $h $d; close $h or die }
sub guid { my @p = split /-/, shift; pack("V v v", hex $p[0], hex $p[1], hex $p[2]) . pack("H4 H12", $p[3], $p[4]) }
sub guidstr { my ($a, $b, $c, $d, $e) = unpack("V v v H4 H12", shift); sprintf "{%08x-%04x-%04x-%s-%s}", $a, $b, $c, $d, $e }
sub u16 { join "", map { pack "v", ord } split //, shift }
my ($best, $dwg) = (-1, "");
for my $o (65536, 131072) {
    my $h = rd($parent, $o, 48);
    next unless substr($h, 0, 4) eq "head";
    my $seq = unpack("x8 Q<", $h);
    ($best, $dwg) = ($seq, substr($h, 32, 16)) if $seq > $best;
}
my $rt = rd($child, 196608, 65536);
my $meta;
for my $i (0 .. unpack("x8 V", $rt) - 1) {
    my $e = substr($rt, 16 + 32 * $i, 32);
    $meta = unpack("x16 Q<", $e) if substr($e, 0, 16) eq guid("8b7ca206-4790-4b9a-b8fe-575f050f886e");
    # qemu marks its blocks ZERO; in a differencing disk they are
    # NOT_PRESENT (the parent shows through).
    wr($child, unpack("x16 Q<", $e), "\0" x unpack("x24 V", $e))
        if substr($e, 0, 16) eq guid("2dc27766-f623-4200-9d64-115e9bfd4a08");
}
my $tab = rd($child, $meta, 65536);
my $cnt = unpack("x10 v", $tab);
my $end = 0;
for my $i (0 .. $cnt - 1) {
    my $e = substr($tab, 32 + 32 * $i, 32);
    my ($o, $l) = unpack("x16 V V", $e);
    $end = $o + $l if $o + $l > $end;
    if (substr($e, 0, 16) eq guid("caa16737-fa36-4d43-b3b6-33f0aa44e76b")) {
        my ($bs, $fl) = unpack("V V", rd($child, $meta + $o, 8));
        wr($child, $meta + $o + 4, pack("V", $fl | 2));
    }
}
my $off = ($end + 4095) & ~4095;
my @kv = (["parent_linkage", guidstr($dwg)], ["relative_path", ".\\$rel"]);
my ($entries, $data, $pos) = ("", "", 20 + 12 * @kv);
for my $p (@kv) {
    my ($k, $v) = (u16($p->[0]), u16($p->[1]));
    $entries .= pack("V V v v", $pos, $pos + length $k, length $k, length $v);
    $data .= $k . $v;
    $pos += length($k) + length($v);
}
my $item = guid("b04aefb7-d19e-4a81-b789-25b8e9445913") . pack("v v", 0, scalar @kv) . $entries . $data;
wr($child, $meta + $off, $item);
wr($child, $meta + 32 + 32 * $cnt, guid("a8d35f2d-b30b-454d-abf7-d3d84834ab0c") . pack("V V V V", $off, length $item, 4, 0));
wr($child, $meta + 10, pack("v", $cnt + 1));
EOF
}

# vhdx_blocks VHDX SPEC...: give the blocks of VHDX (1 MiB blocks, 512
# byte sectors, so one chunk) data appended at the end of the file, and
# their BAT entries: "full:BLOCK:BYTE" (FULLY_PRESENT),
# "partial:BLOCK:BYTE:FIRST-LAST,...:FILL" (PARTIALLY_PRESENT: those
# sectors set in the chunk's sector bitmap and written with BYTE, the
# others with FILL), "zero:BLOCK" (ZERO), "entry:INDEX:HEX" (a raw entry).
vhdx_blocks ()
{
    perl - "$@" <<'EOF'
use strict;
my ($f, @specs) = @ARGV;
sub rd { my ($o, $l) = @_; open my $h, "<:raw", $f or die; seek $h, $o, 0; read $h, my $b, $l; $b }
sub wr { my ($o, $d) = @_; open my $h, "+<:raw", $f or die; seek $h, $o, 0; print $h $d; close $h or die }
sub guid { my @p = split /-/, shift; pack("V v v", hex $p[0], hex $p[1], hex $p[2]) . pack("H4 H12", $p[3], $p[4]) }
my $MiB = 1 << 20;
my $rt = rd(196608, 65536);
my $bat;
for my $i (0 .. unpack("x8 V", $rt) - 1) {
    my $e = substr($rt, 16 + 32 * $i, 32);
    $bat = unpack("x16 Q<", $e) if substr($e, 0, 16) eq guid("2dc27766-f623-4200-9d64-115e9bfd4a08");
}
die "no BAT" unless $bat;
my $end = ((-s $f) + $MiB - 1) & ~($MiB - 1);
my $bitmap = "\0" x $MiB;
my $sb = 0;
for (@specs) {
    my ($kind, $b, $byte, $ranges, $fill) = split /:/;
    if ($kind eq "entry") { wr($bat + 8 * $b, pack("Q<", hex $byte)); next }
    if ($kind eq "zero") { wr($bat + 8 * $b, pack("Q<", 2)); next }
    my $data = chr(hex $byte) x $MiB;
    if ($kind eq "partial") {
        $data = chr(hex $fill) x $MiB;
        for (split /,/, $ranges) {
            my ($lo, $hi) = split /-/;
            $hi = $lo unless defined $hi;
            for my $s ($lo .. $hi) {
                substr($data, 512 * $s, 512) = chr(hex $byte) x 512;
                vec($bitmap, $b * 2048 + $s, 1) = 1;    # LSB first, as VHDX says
            }
        }
        $sb = 1;
    }
    wr($end, $data);
    wr($bat + 8 * $b, pack("Q<", $end | ($kind eq "full" ? 6 : 7)));
    $end += $MiB;
}
if ($sb) {
    wr($end, $bitmap);
    wr($bat + 8 * 4096, pack("Q<", $end | 6));
}
EOF
}

# make_vhdx_chain: a 4 MiB dynamic VHDX parent (0xaa throughout), a
# differencing child.vhdx over it with block 1 fully present (0xbb),
# block 2 partially present (some sectors 0xcc, the rest 0xee in the
# file but not in the bitmap), block 3 zero; and expected.raw.
make_vhdx_chain ()
{
    qemu-img create -q -f vhdx "$d/parent.vhdx" 4M
    qemu-io -f vhdx -c 'write -P 0xaa 0 4M' "$d/parent.vhdx" >/dev/null
    vhdx_child "$d/parent.vhdx" "$d/child.vhdx"
    vhdx_blocks "$d/child.vhdx" full:1:bb partial:2:cc:0-7,100,1000-1023,2047:ee zero:3
    truncate -s 4M "$d/expected.raw"
    raw_writes "$d/expected.raw" 0:4194304:aa 1048576:1048576:bb \
        2097152:4096:cc 2148352:512:cc 2609152:12288:cc 3145216:512:cc \
        3145728:1048576:00
}

@test "flatten: VHDX differencing chain is collapsed by h2k" {
    requires perl
    make_vhdx_chain
    sums parent.vhdx child.vhdx >"$d/before"
    manifest "$d/child.vhdx" vhdx >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '[.disks[0].chain[].path] | join(" ")' <<<"$output")" = "$d/child.vhdx $d/parent.vhdx" ]
    [ "$(jq -r '[.disks[0].chain[].subformat] | join(" ")' <<<"$output")" = "differencing dynamic" ]
    [ "$(jq -r '.disks[0].chain[0].parent_cid == .disks[0].chain[1].cid' <<<"$output")" = true ]
    [ "$(jq -r '.disks[0].flatten.action' <<<"$output")" = collapse ]
    [ "$(jq -r '.disks[0].current.path' <<<"$output")" = "$wd/disk0-flat.qcow2" ]
    [ "$(jq -r '.disks[0].current.format' <<<"$output")" = qcow2 ]
    [[ "$stderr" == *"merging 1 VHDX differencing disks over $d/parent.vhdx"* ]]
    qemu-img compare -f raw "$d/expected.raw" -F qcow2 "$wd/disk0-flat.qcow2"
    [ "$(qemu-img info --output=json -f qcow2 "$wd/disk0-flat.qcow2" | jq -r 'has("backing-filename")')" = false ]
    sums parent.vhdx child.vhdx | diff "$d/before" -
    assert_workdir disk0-flat.qcow2
}

@test "flatten: VHDX grandchild, and a qcow2 over it" {
    requires perl
    make_vhdx_chain
    vhdx_child "$d/child.vhdx" "$d/gc.vhdx"
    # Over the child's partial block: the whole block now; over the
    # child's zero block: some sectors (the rest stays zero).
    vhdx_blocks "$d/gc.vhdx" full:2:dd partial:3:cc:2040-2047:ee
    raw_writes "$d/expected.raw" 2097152:1048576:dd 4190208:4096:cc
    # qemu cannot open gc.vhdx: give the size, write without the backing.
    qemu-img create -q -u -f qcow2 -b gc.vhdx -F vhdx "$d/top.qcow2" 4M
    qemu-io -c 'write -P 0x77 0 64k' \
        "json:{\"driver\":\"qcow2\",\"backing\":null,\"file\":{\"driver\":\"file\",\"filename\":\"$d/top.qcow2\"}}" >/dev/null
    [ "$(qemu-img info --output=json -U -f qcow2 "$d/top.qcow2" 2>/dev/null | jq -r '.["backing-filename"]')" = gc.vhdx ]
    raw_writes "$d/expected.raw" 0:65536:77
    sums parent.vhdx child.vhdx gc.vhdx >"$d/before"
    manifest "$d/top.qcow2" qcow2 >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '[.disks[0].chain[].format] | join(" ")' <<<"$output")" = "qcow2 vhdx vhdx vhdx" ]
    [[ "$stderr" == *"merging 2 VHDX differencing disks over $d/parent.vhdx"* ]]
    qemu-img compare -f raw "$d/expected.raw" -F qcow2 "$wd/disk0-flat.qcow2"
    sums parent.vhdx child.vhdx gc.vhdx | diff "$d/before" -
    assert_workdir disk0-flat.qcow2
}

@test "flatten: a differencing VHDX whose BAT points past the end of the file is refused" {
    requires perl
    make_vhdx_chain
    # Block 1 fully present at 1000 MiB.
    vhdx_blocks "$d/child.vhdx" entry:1:3e800006
    manifest "$d/child.vhdx" vhdx >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/child.vhdx: BAT: block 1: data at offset 1048576000 lies outside the file (truncated?)" ]
    assert_workdir ""
    # Partially present without the chunk's sector bitmap.
    make_vhdx_chain
    vhdx_blocks "$d/child.vhdx" entry:4096:0
    run_tool_in "$d/m.json" h2k-flatten -n
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/child.vhdx: BAT: block 2: partially present, but chunk 0 has no sector bitmap" ]
    assert_workdir ""
}

@test "flatten: VHDX differencing chains are verified" {
    requires perl
    qemu-img create -q -f vhdx "$d/parent.vhdx" 4M
    vhdx_child "$d/parent.vhdx" "$d/child.vhdx"
    sums parent.vhdx child.vhdx >"$d/before"
    manifest "$d/child.vhdx" vhdx >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten -n
    assert_status 0
    [ "$(jq -r '.disks[0].flatten.action' <<<"$output")" = collapse ]
    sums parent.vhdx child.vhdx | diff "$d/before" -
    # A write to the parent changes its DataWriteGuid: the child no
    # longer matches.
    qemu-io -f vhdx -c 'write -P 0x11 0 64k' "$d/parent.vhdx" >/dev/null
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [[ "$stderr" == "h2k-flatten: $d/child.vhdx: parent locator: parent_linkage {"*"}, but its parent $d/parent.vhdx has DataWriteGuid {"* ]]
    rm "$d/parent.vhdx"
    run_tool_in "$d/m.json" h2k-flatten
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/child.vhdx: parent locator: parent \".\\parent.vhdx\" not found (nor beside the child)" ]
    assert_workdir ""
}

@test "flatten: a VHDX without a parent passes" {
    qemu-img create -q -f vhdx "$d/solo.vhdx" 4M
    manifest "$d/solo.vhdx" vhdx >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten
    assert_status 0
    [ "$(jq -r '.disks[0].flatten.action' <<<"$output")" = none ]
    [ "$(jq -r '.disks[0].chain[0].subformat' <<<"$output")" = dynamic ]
    [[ "$(jq -r '.disks[0].chain[0].cid' <<<"$output")" =~ ^\{[0-9a-f-]{36}\}$ ]]
}

@test "flatten: corpus: ESXi vmfs thick + vmfsSparse delta (delta extent absent)" {
    requires_corpus
    dir="$corpus/vmdk/vmdk-rs"
    [ -f "$dir/vmfs_thick-000001.vmdk" ] && [ -f "$dir/vmfs_thick.vmdk" ] ||
        skip "vmfs_thick descriptors not in the corpus"
    cp "$dir/vmfs_thick-000001.vmdk" "$dir/vmfs_thick.vmdk" "$d/"
    manifest "$d/vmfs_thick-000001.vmdk" vmdk >"$d/m.json"
    run_tool_in "$d/m.json" h2k-flatten -n
    assert_failed_cleanly
    [ "$stderr" = "h2k-flatten: $d/vmfs_thick-000001.vmdk: extent 0: $d/vmfs_thick-000001-delta.vmdk: No such file or directory" ]
}
