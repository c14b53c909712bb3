#!/usr/bin/env bats
# bats file_tags=guests
# The Linux path end to end from a vSphere source: VMware's simulator
# (vcsim, started here on 127.0.0.1 with TLS) holds VM Folder1/web01,
# whose datastore directory carries the debian-bios image's snapshot
# chain as a datastore would: disk1.vmdk + disk1-flat.vmdk (the base,
# converted to monolithicFlat, its CID kept) and the delta
# disk1-000001.vmdk (a descriptor over the image's sparse delta, named
# disk1-000001-flat.vmdk as vcsim's layout wants); web01's NIC has the
# guest's MAC.
#
#   h2k-fetch vsphere://admin@127.0.0.1:PORT/DC0/vm/Folder1/web01 |
#   h2k-flatten | h2k-inspect | h2k-fix-linux | h2k-convert | h2k-validate
#
# The pipeline runs once (setup_file); each test checks one promise on
# the manifests it left.  It boots the converted guest (TCG: minutes).

load helpers
. "$BATS_TEST_DIRNAME/lib/vcsim.sh"

setup_file ()
{
    requires_image debian-bios
    requires jq qemu-img qemu-io qemu-system-x86_64 openssl
    # shellcheck disable=SC1091
    . "$image/facts"
    export image W="$BATS_FILE_TMPDIR/work" M="$BATS_FILE_TMPDIR" V="$BATS_FILE_TMPDIR/vc"
    make -s -C "$top/tests/images" vcsim >"$M/vcsim-build.log" 2>&1 ||
        skip "vcsim could not be built: $(tail -n 1 "$M/vcsim-build.log")"
    mkdir -p "$V/seed"
    printf '%s\n' 'h2k-e2e-password' >"$V/password"
    make_seed "$V/seed"
    vcsim_start "$V" -seed "$V/seed" -mac "$MAC" || return 1
    export URL="vsphere://admin@$VC/DC0/vm/Folder1/web01"
    (cd "$V/seed" && sha256sum disk1.vmdk disk1-flat.vmdk disk1-000001.vmdk \
        disk1-000001-flat.vmdk) >"$M/seed.sha256"

    h2k-fetch --workdir "$W" --password-file "$V/password" --thumbprint "$VC_TP" \
        "$URL" >"$M/fetched.json"
    vcsim_stop "$V"
    h2k-flatten <"$M/fetched.json" >"$M/flattened.json"
    h2k-inspect <"$M/flattened.json" >"$M/inspected.json"
    h2k-fix-linux <"$M/inspected.json" >"$M/fixed.json"
    h2k-convert --output-dir "$M/out" <"$M/fixed.json" >"$M/converted.json"
    h2k-validate <"$M/converted.json" >"$M/validated.json"
}

# make_seed DIR: the image's chain as datastore files (see the top).
make_seed ()
{
    local d="$1" cid sectors
    qemu-img convert -O vmdk -o subformat=monolithicFlat,adapter_type=lsilogic \
        "$image/$CHAIN_BASE" "$d/disk1.vmdk"
    cid=$(vmdk_field "$image/$CHAIN_BASE" CID)
    sed -i "s/^CID=.*/CID=$cid/" "$d/disk1.vmdk"
    cp "$image/$CHAIN_TOP" "$d/disk1-000001-flat.vmdk"
    sectors=$(( $(stat -c %s "$d/disk1-flat.vmdk") / 512 ))
    printf '%s\n' '# Disk DescriptorFile' 'version=1' 'CID=fffffffe' \
        "parentCID=$cid" 'createType="twoGbMaxExtentSparse"' \
        'parentFileNameHint="disk1.vmdk"' '' '# Extent description' \
        "RW $sectors SPARSE \"disk1-000001-flat.vmdk\"" '' \
        '# The Disk Data Base' '#DDB' '' 'ddb.virtualHWVersion = "14"' \
        'ddb.adapterType = "lsilogic"' >"$d/disk1-000001.vmdk"
}

# vmdk_field FILE KEY: KEY's value in a (sparse) VMDK's embedded descriptor.
vmdk_field ()
{
    head -c 65536 "$1" | tr -d '\000' | sed -n "s/^$2=//p" | head -n 1
}

teardown_file ()
{
    vcsim_stop "$V"
}

setup ()
{
    [ -s "$M/validated.json" ] || skip "the pipeline did not run to the end (see setup_file)"
    # shellcheck disable=SC1091
    . "$image/facts"
}

@test "fetch-vsphere e2e: every file of the chain came from the datastore, byte for byte" {
    f="$M/fetched.json"
    [ "$(jq -r .vm.source.kind "$f")" = vsphere ]
    [ "$(jq -r .vm.source.url "$f")" = "$URL" ]
    [ "$(jq -r '.vm.source.vsphere.plan | length' "$f")" = 4 ]
    [ "$(jq -r '.vm.source.remote.files | length' "$f")" = 4 ]
    (cd "$W/download/LocalDS_0/web01" && sha256sum -c --quiet "$M/seed.sha256")
    [ "$(jq -r .disks[0].source.path "$f")" = "$W/download/LocalDS_0/web01/disk1-000001.vmdk" ]
    [ "$(jq -r '.vm.nics[0].mac' "$f")" = "$MAC" ]
    [ "$(jq -r .vm.firmware "$f")" = bios ]
    [ "$(jq -r .disks[0].controller "$f")" = pvscsi ]
}

@test "fetch-vsphere e2e: h2k-flatten collapses the downloaded delta over its downloaded base" {
    f="$M/flattened.json"
    [ "$(jq -r '[.disks[0].chain[].path] | join(" ")' "$f")" = \
      "$W/download/LocalDS_0/web01/disk1-000001.vmdk $W/download/LocalDS_0/web01/disk1.vmdk" ]
    [ "$(jq -r .disks[0].flatten.action "$f")" = collapse ]
    read="read -P $SNAPSHOT_PATTERN_BYTE $SNAPSHOT_PATTERN_OFFSET $SNAPSHOT_PATTERN_LENGTH"
    run qemu-io -r -f qcow2 -c "$read" "$(jq -r .disks[0].current.path "$f")"
    [ "$status" -eq 0 ]
    [[ "$output" != *"Pattern verification failed"* ]]
}

@test "fetch-vsphere e2e: the converted guest boots on virtio-blk and answers on its static IP" {
    f="$M/validated.json"
    [ "$(jq -r .validation.status "$f")" = passed ]
    [ "$(jq -r .validation.bus "$f")" = virtio-blk ]
    [ "$(jq -r '.validation.nics[0].mac' "$f")" = "$MAC" ]
    [ "$(jq -r .validation.signal "$f")" = beacon ]
    jq -e --arg n "$NIC" --arg a "$IP/$PREFIX" \
        '.validation.reported[] | select(.name == $n) | .addresses | index($a) != null' "$f"
    [ "$(jq -r '.validation.nics[0].proven' "$f")" = true ]
    [ "$(jq -r .validation.network_status "$f")" = passed ]
}

@test "fetch-vsphere e2e: every stage is recorded, in order, under the source URL" {
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$M/validated.json")" = \
      "h2k-fetch h2k-flatten h2k-inspect h2k-fix-linux h2k-convert h2k-validate" ]
    [ "$(jq -r '[.stages[].status] | unique | join(" ")' "$M/validated.json")" = ok ]
    [ "$(jq -r .vm.source.url "$M/validated.json")" = "$URL" ]
    ! grep -q 'h2k-e2e-password\|vmware_soap_session' "$M"/*.json
}
