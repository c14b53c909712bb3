#!/usr/bin/env bats
# h2k-fetch on the real third-party files of the corpus: VMX files (the
# disks they name are not in the corpus), VMDK descriptors and small
# disk images.  (The parser itself is checked against virt-v2v's output
# in tests/unit/fetch/test-vmx.c.)

load helpers

setup ()
{
    requires qemu-img jq
    requires_corpus
    cd "$BATS_TEST_TMPDIR"
}

j () { jq -r "$1" <<<"$output"; }

# Every .vmx of the corpus, in any folder (NUL-separated).
corpus_vmx () { find "$corpus/vmx" -type f -iname '*.vmx' -print0 | sort -z; }


@test "fetch corpus: every VMX names its first missing disk" {
    local vmx n=0
    while IFS= read -r -d '' vmx; do
        run_tool h2k-fetch "$vmx"
        one_line_error "$vmx: " ".fileName: $(dirname "$vmx")/" \
                       ": No such file or directory"
        [[ "$stderr" =~ :\ (scsi|sata|nvme|ide)[0-9]+:[0-9]+\.fileName:\  ]]
        [ -z "$(find . -maxdepth 1 -name '*.h2k')" ]
        n=$((n + 1))
    done < <(corpus_vmx)
    [ "$n" -ge 10 ]
}

# Copy VMX into ./vm and create every disk it asks for, as h2k-fetch
# names them one by one, until it succeeds.
fetch_with_stub_disks ()
{
    local vmx="$1" i missing
    rm -rf vm && mkdir vm
    cp "$vmx" vm/
    chmod u+w vm/*
    for i in $(seq 1 40); do
        run_tool h2k-fetch -n "vm/$(basename "$vmx")"
        [ "$status" -ne 0 ] || return 0
        missing="$(sed -n 's/.*\.fileName: \(.*\): No such file or directory$/\1/p' <<<"$stderr")"
        [ -n "$missing" ] || { echo "unexpected: $stderr" >&2; return 1; }
        [[ "$missing" == "$PWD/vm/"* ]] ||
            { echo "disk outside the VM folder: $missing" >&2; return 1; }
        mkdir -p "$(dirname "$missing")"
        qemu-img create -q -f vmdk "$missing" 1M
    done
    return 1
}

@test "fetch corpus: every VMX fetches once its disks exist" {
    local vmx exp want n=0
    while IFS= read -r -d '' vmx; do
        fetch_with_stub_disks "$vmx"
        assert_status 0
        [ "$(j .vm.source.kind)" = vmx ]
        [ "$(j '.disks | length')" -ge 1 ]
        [ "$(j .disks[0].source.format)" = vmdk ]
        [ "$(j .disks[0].current.path)" = "$(j .disks[0].source.path)" ]
        want="$(sed -n 's/^displayName = "\(.*\)"\r\?$/\1/p' "$vmx")"
        [ "$(j .vm.name)" = "$want" ]
        want="$(sed -n 's/^virtualHW\.version = "\([0-9]*\)"\r\?$/\1/p' "$vmx")"
        [ -z "$want" ] || [ "$(j .vm.hardware_version)" = "$(printf 'vmx-%02d' "$want")" ]
        exp="${vmx%.vmx}.expected"
        if [ -f "$exp" ]; then
            # as many disks as virt-v2v found, and the same first MAC
            want="$(sed -n '/^disks:/,/^removable/p' "$exp" | grep -c '^	[0-9]')"
            [ "$(j '.disks | length')" = "$want" ]
            want="$(sed -n 's/.* mac: \([0-9a-f:]*\) .*/\1/p' "$exp" | head -1)"
            [ "$(j .vm.nics[0].mac)" = "$want" ]
        fi
        n=$((n + 1))
    done < <(corpus_vmx)
    [ "$n" -ge 10 ]
}

@test "fetch corpus: the 21-disk VMX keeps virt-v2v's disk order" {
    fetch_with_stub_disks "$corpus/vmx/virt-v2v/test-i-vmx-1.vmx"
    assert_status 0
    [ "$(j '.disks | length')" = 21 ]
    [ "$(j .disks[0].address)" = scsi0:0 ]
    [ "$(j .disks[7].address)" = scsi0:8 ]
    [ "$(j .disks[7].source.path)" = "$PWD/vm/BZ1308535_21disks_7.vmdk" ]
    [ "$(j .disks[14].address)" = scsi0:15 ]
    [ "$(j .disks[15].address)" = scsi1:0 ]
    [ "$(j .disks[20].id)" = disk20 ]
    [ "$(j .disks[20].controller)" = pvscsi ]
}

@test "fetch corpus: VMDK descriptors without their extents are refused" {
    run_tool h2k-fetch "$corpus/vmdk/vmdk-rs/monolithicFlat.vmdk"
    one_line_error "monolithicFlat.vmdk: extent \"monolithicFlat-flat.vmdk\": No such file or directory"
    run_tool h2k-fetch "$corpus/vmdk/vmdk-rs/twoGbMaxExtentFlat.vmdk"
    one_line_error "twoGbMaxExtentFlat.vmdk: extent \"twoGbMaxExtentFlat-f001.vmdk\": No such file or directory"
    run_tool h2k-fetch "$corpus/vmdk/vmdk-forensic/ms3-win.vmdk"
    one_line_error "ms3-win.vmdk: extent \"disk-s001.vmdk\": No such file or directory"
    # A lone extent is not a disk.
    run_tool h2k-fetch "$corpus/vmdk/vmdk-rs/twoGbMaxExtentSparse-s001.vmdk"
    one_line_error "twoGbMaxExtentSparse-s001.vmdk: a sparse extent without an embedded descriptor"
    [ -z "$(find . -maxdepth 1 -name '*.h2k')" ]
}

@test "fetch corpus: VMDK descriptors and extents that are all there" {
    run_tool h2k-fetch "$corpus/vmdk/vmdk-rs/twoGbMaxExtentSparse.vmdk"
    assert_status 0
    [ "$(j .disks[0].source.subformat)" = twoGbMaxExtentSparse ]
    [ "$(j .disks[0].source.virtual_size)" = 10485760 ]

    local f
    for f in streamOptimized streamOptimizedWithMarkers; do
        run_tool h2k-fetch "$corpus/vmdk/vmdk-rs/$f.vmdk"
        assert_status 0
        [ "$(j .disks[0].source.subformat)" = streamOptimized ]
    done

    # --copy keeps the descriptor's relative extent name.
    run_tool h2k-fetch --copy --workdir wd "$corpus/vmdk/vmdk-rs/twoGbMaxExtentSparse.vmdk"
    assert_status 0
    cmp wd/twoGbMaxExtentSparse-s001.vmdk "$corpus/vmdk/vmdk-rs/twoGbMaxExtentSparse-s001.vmdk"
    [ "$(j .disks[0].source.sha256)" = \
      "$(sha256sum <"$corpus/vmdk/vmdk-rs/twoGbMaxExtentSparse.vmdk" | cut -d' ' -f1)" ]
    qemu-img info -f vmdk wd/twoGbMaxExtentSparse.vmdk >/dev/null
}

@test "fetch corpus: disk images fetched with their subformats" {
    local f
    for f in cot/blank.vmdk cot/input.vmdk cot/ubuntu.2.0-disk1.vmdk \
             go-vmdk-parser/vmdk-streamoptimized.img; do
        run_tool h2k-fetch "$corpus/disk-images/$f"
        assert_status 0
        [ "$(j .disks[0].source.format)" = vmdk ]
        [ "$(j .disks[0].source.subformat)" = streamOptimized ]
    done
    run_tool h2k-fetch "$corpus/disk-images/cot/input.vmdk"
    [ "$(j .disks[0].source.virtual_size)" = 1073741824 ]

    run_tool h2k-fetch "$corpus/disk-images/dfvfs/ext2.vmdk"
    assert_status 0
    [ "$(j .disks[0].source.subformat)" = monolithicSparse ]
    [ "$(j .disks[0].source.virtual_size)" = 4194304 ]

    run_tool h2k-fetch "$corpus/disk-images/plaso/image.vmdk"
    assert_status 0
    [ "$(j .disks[0].source.subformat)" = monolithicSparse ]
    [ "$(j .disks[0].source.virtual_size)" = 102400 ]

    # Windows-made differencing VHD (its parent is not in the corpus).
    run_tool h2k-fetch "$corpus/disk-images/dfvfs/fat-differential.vhd"
    assert_status 0
    [ "$(j .disks[0].source.format)" = vhd ]
    [ "$(j .disks[0].source.subformat)" = differencing ]
}

@test "fetch corpus: broken or foreign images are refused with a reason" {
    run_tool h2k-fetch "$corpus/disk-images/dfvfs/image.vhd"
    one_line_error "image.vhd" "Incorrect header checksum"
    run_tool h2k-fetch "$corpus/disk-images/dfvfs/image-differential.vhd"
    one_line_error "image-differential.vhd" "checksum"
    run_tool h2k-fetch "$corpus/disk-images/go-vmdk-parser/vmdk-invalid.img"
    one_line_error "vmdk-invalid.img" "createType"
    run_tool h2k-fetch "$corpus/disk-images/dfvfs/hfsplus.hdd/DiskDescriptor.xml"
    one_line_error "DiskDescriptor.xml: unknown file type"
    [ -z "$(find . -maxdepth 1 -name '*.h2k')" ]
}
