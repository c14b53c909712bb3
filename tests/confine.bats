#!/usr/bin/env bats
# Files named by image metadata (VMDK extents and parentFileNameHint,
# qcow2 backing and data files, VHD parent locators) stay inside the
# directory of the image naming them, or an --allow-disk-dir directory;
# devices, FIFOs and sockets are refused.  Every refusal is one line,
# nothing on stdout, nothing left in the workdir.

load helpers

setup ()
{
    requires qemu-img qemu-io jq
    cd "$BATS_TEST_TMPDIR"
    mkdir -p pkg outside wd
    # A harmless "host file" outside the package.
    head -c 4096 /dev/urandom >outside/secret.bin
    host="$PWD/outside/secret.bin"
}

j () { jq -r "$1" <<<"$output"; }

# refused FRAGMENT...: one line holding every FRAGMENT, nothing on
# stdout, and no workdir w left behind.
refused ()
{
    one_line_error "$@" || return 1
    [ ! -e w ] || { echo "left behind: $(find w)" >&2; return 1; }
    [ -z "$(ls -A wd)" ] || { echo "left behind: $(ls -A wd)" >&2; return 1; }
}

# flat_vmdk FILE EXTENT [PARENT-HINT]: a monolithicFlat descriptor of 8
# sectors whose extent is EXTENT, as written.
flat_vmdk ()
{
    local pcid=ffffffff hint=""
    if [ -n "${3:-}" ]; then pcid=12345678; hint="parentFileNameHint=\"$3\""; fi
    cat >"$1" <<EOF
# Disk DescriptorFile
version=1
CID=12345678
parentCID=$pcid
createType="monolithicFlat"
$hint

# Extent description
RW 8 FLAT "$2" 0

ddb.virtualHWVersion = "4"
ddb.geometry.cylinders = "1"
ddb.geometry.heads = "1"
ddb.geometry.sectors = "8"
ddb.adapterType = "ide"
EOF
}

# manifest PATH FORMAT [KEY JSON]: one disk, current = source = PATH;
# with KEY, disks[0].KEY = JSON.
manifest ()
{
    jq -n --arg p "$1" --arg f "$2" --arg w "$PWD/wd" --arg k "${3:-}" \
        --argjson extra "${4:-null}" \
        '{h2k_manifest_version: 1, workdir: $w, vm: {name: "t"},
          disks: [{id: "disk0", source: {path: $p, format: $f},
                   current: {path: $p, format: $f}}
                  | if $k != "" then .[$k] = $extra else . end],
          stages: []}'
}

@test "confine: an extent beside the descriptor is fine" {
    head -c 4096 /dev/zero >pkg/d-flat.vmdk
    flat_vmdk pkg/d.vmdk d-flat.vmdk
    run_tool h2k-fetch --workdir w pkg/d.vmdk
    assert_status 0
    [ "$(j .disks[0].source.path)" = "$PWD/pkg/d.vmdk" ]
}

@test "confine: fetch refuses an absolute extent outside the package" {
    flat_vmdk pkg/d.vmdk "$host"
    run_tool h2k-fetch --workdir w pkg/d.vmdk
    refused "$PWD/pkg/d.vmdk: extent \"$host\" resolves to $host, outside $PWD/pkg: refused"
    run_tool h2k-flatten <<<"$(manifest "$PWD/pkg/d.vmdk" vmdk)"
    refused "$PWD/pkg/d.vmdk: extent \"$host\" resolves to $host, outside $PWD/pkg: refused"
}

@test "confine: /etc/shadow as an extent is refused and never opened" {
    flat_vmdk pkg/d.vmdk /etc/shadow
    run_tool h2k-fetch --workdir w pkg/d.vmdk
    refused "pkg/d.vmdk: extent \"/etc/shadow\" resolves to /etc/shadow, outside $PWD/pkg: refused"
    if command -v strace >/dev/null; then
        strace -f -o trace -e trace=open,openat h2k-fetch --workdir w pkg/d.vmdk 2>/dev/null || true
        ! grep -q 'shadow' trace
    fi
}

@test "confine: ../ in an extent, and a symbolic link out of the package" {
    mkdir -p pkg/vm
    flat_vmdk pkg/vm/d.vmdk ../../outside/secret.bin
    run_tool h2k-fetch --workdir w pkg/vm/d.vmdk
    refused "pkg/vm/d.vmdk: extent \"../../outside/secret.bin\" resolves to $host, outside $PWD/pkg/vm"
    ln -s ../outside/secret.bin pkg/link-flat.vmdk
    flat_vmdk pkg/l.vmdk link-flat.vmdk
    run_tool h2k-fetch --workdir w pkg/l.vmdk
    refused "pkg/l.vmdk: extent \"link-flat.vmdk\" resolves to $host, outside"
    # A link that stays inside is fine.
    head -c 4096 /dev/zero >pkg/real-flat.vmdk
    ln -s real-flat.vmdk pkg/in-flat.vmdk
    flat_vmdk pkg/i.vmdk in-flat.vmdk
    run_tool h2k-fetch --workdir w pkg/i.vmdk
    assert_status 0
}

@test "confine: a FIFO, a character and a block device as extents" {
    mkfifo pkg/fifo-flat.vmdk
    flat_vmdk pkg/f.vmdk fifo-flat.vmdk
    run_tool timeout 60 h2k-fetch --workdir w pkg/f.vmdk
    refused "pkg/f.vmdk: extent \"fifo-flat.vmdk\": $PWD/pkg/fifo-flat.vmdk is a FIFO: refused"
    run_tool timeout 60 h2k-flatten <<<"$(manifest "$PWD/pkg/f.vmdk" vmdk)"
    refused "is a FIFO: refused"
    flat_vmdk pkg/c.vmdk /dev/null
    run_tool h2k-fetch --workdir w pkg/c.vmdk
    refused "pkg/c.vmdk: extent \"/dev/null\" resolves to /dev/null, outside"
    run_tool h2k-fetch --workdir w --allow-disk-dir /dev pkg/c.vmdk
    refused "pkg/c.vmdk: extent \"/dev/null\": /dev/null is a character device (allow with --allow-devices): refused"
    # With both, confinement lets it through (qemu then decides).
    run_tool h2k-fetch --workdir w --allow-disk-dir /dev --allow-devices pkg/c.vmdk
    [[ "$stderr" != *"character device"* ]]
    rm -rf w
    local blk
    blk=$(find /dev -maxdepth 1 -type b -name 'loop*' -print -quit)
    [ -n "$blk" ] || skip "no block device under /dev to name"
    flat_vmdk pkg/b.vmdk "$blk"
    run_tool h2k-fetch --workdir w --allow-disk-dir /dev pkg/b.vmdk
    refused "pkg/b.vmdk: extent \"$blk\": $blk is a block device (allow with --allow-devices): refused"
}

@test "confine: a parentFileNameHint outside the directory" {
    head -c 4096 /dev/zero >pkg/d-flat.vmdk
    cp pkg/d-flat.vmdk outside/p-flat.vmdk
    flat_vmdk outside/parent.vmdk p-flat.vmdk
    flat_vmdk pkg/child.vmdk d-flat.vmdk "$PWD/outside/parent.vmdk"
    run_tool h2k-fetch --workdir w pkg/child.vmdk
    refused "pkg/child.vmdk: parentFileNameHint \"$PWD/outside/parent.vmdk\" resolves to $PWD/outside/parent.vmdk, outside $PWD/pkg: refused"
    run_tool h2k-flatten <<<"$(manifest "$PWD/pkg/child.vmdk" vmdk)"
    refused "pkg/child.vmdk: parentFileNameHint \"$PWD/outside/parent.vmdk\" resolves to"
    flat_vmdk pkg/child2.vmdk d-flat.vmdk ../outside/parent.vmdk
    run_tool h2k-flatten <<<"$(manifest "$PWD/pkg/child2.vmdk" vmdk)"
    refused "pkg/child2.vmdk: parentFileNameHint \"../outside/parent.vmdk\" resolves to $PWD/outside/parent.vmdk, outside $PWD/pkg: refused"
    # An ESXi hint that does not exist here: the file beside the child.
    cp outside/parent.vmdk outside/p-flat.vmdk pkg/
    flat_vmdk pkg/child3.vmdk d-flat.vmdk /vmfs/volumes/ds1/vm/parent.vmdk
    run_tool h2k-fetch --workdir w pkg/child3.vmdk
    assert_status 0
}

@test "confine: a qcow2 backed by a host file: fetch, flatten, convert, inspect, validate" {
    qemu-img create -q -f qcow2 -b "$host" -F raw pkg/top.qcow2 4k
    run_tool h2k-fetch --workdir w pkg/top.qcow2
    refused "$PWD/pkg/top.qcow2: backing file \"$host\" resolves to $host, outside $PWD/pkg: refused"
    manifest "$PWD/pkg/top.qcow2" qcow2 >m.json
    run_tool_in m.json h2k-flatten
    refused "pkg/top.qcow2: backing file \"$host\" resolves to"
    run_tool_in m.json h2k-convert --output-dir "$PWD/out"
    refused "pkg/top.qcow2: backing file \"$host\" resolves to"
    [ ! -e out ] || [ -z "$(ls -A out)" ]
    run_tool_in m.json h2k-inspect
    refused "pkg/top.qcow2: backing file \"$host\" resolves to"
    run_tool_in m.json h2k-validate
    refused "pkg/top.qcow2: backing file \"$host\" resolves to"
    # The real thing, written by hand (qemu-img would read it to create).
    qemu-img create -q -f qcow2 -b "$PWD/pkg/top.qcow2" -F qcow2 pkg/s.qcow2 4k
    qemu-img rebase -q -u -b /etc/shadow -F raw pkg/s.qcow2
    run_tool h2k-fetch --workdir w pkg/s.qcow2
    refused "pkg/s.qcow2: backing file \"/etc/shadow\" resolves to /etc/shadow, outside"
    manifest "$PWD/pkg/s.qcow2" qcow2 >m2.json
    run_tool_in m2.json h2k-convert --output-dir "$PWD/out"
    refused "pkg/s.qcow2: backing file \"/etc/shadow\" resolves to /etc/shadow, outside"
}

@test "confine: a qcow2 with an external data file outside" {
    qemu-img create -q -f qcow2 -o data_file="$PWD/outside/data.raw" pkg/d.qcow2 64k
    run_tool h2k-fetch --workdir w pkg/d.qcow2
    refused "$PWD/pkg/d.qcow2: data-file \"$PWD/outside/data.raw\" resolves to $PWD/outside/data.raw, outside $PWD/pkg: refused"
    manifest "$PWD/pkg/d.qcow2" qcow2 >m.json
    run_tool_in m.json h2k-convert --output-dir "$PWD/out"
    refused "pkg/d.qcow2: data-file \"$PWD/outside/data.raw\" resolves to"
    run_tool_in m.json h2k-flatten
    refused "pkg/d.qcow2: data-file"
    # Beside the image, it is fine.
    qemu-img create -q -f qcow2 -o data_file="$PWD/pkg/data.raw" pkg/ok.qcow2 64k
    run_tool h2k-fetch --workdir w pkg/ok.qcow2
    assert_status 0
}

@test "confine: a differencing VHD whose parent locator leads outside" {
    requires_corpus
    f="$corpus/disk-images/dfvfs/fat-differential.vhd"
    [ -f "$f" ] || skip "$f missing"
    cp "$f" pkg/
    # Its relative locator ".\fat-parent.vhd" names a link out of pkg.
    qemu-img create -q -f vpc -o subformat=dynamic,force_size=on outside/fat-parent.vhd 4M
    ln -s ../outside/fat-parent.vhd pkg/fat-parent.vhd
    manifest "$PWD/pkg/fat-differential.vhd" vhd >m.json
    run_tool_in m.json h2k-flatten
    refused "$PWD/pkg/fat-differential.vhd: parent locator \"./fat-parent.vhd\" resolves to $PWD/outside/fat-parent.vhd, outside $PWD/pkg: refused"
}

@test "confine: an OVA whose descriptor names a host file" {
    requires tar
    flat_vmdk pkg/disk1.vmdk "$host"
    cat >pkg/web01.ovf <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:href="disk1.vmdk" ovf:id="file1"/></References>
  <DiskSection><Info>Disks</Info>
    <Disk ovf:capacity="4096" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicFlat"/>
  </DiskSection>
  <VirtualSystem ovf:id="web01"><Info>A VM</Info><Name>web01</Name>
    <VirtualHardwareSection><Info>Hardware</Info>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
    tar -cf evil.ova -C pkg web01.ovf disk1.vmdk
    run_tool h2k-fetch --workdir w evil.ova
    # Extraction says what it did; then one error, and nothing is left.
    assert_failed_cleanly
    [ "$(grep -c refused <<<"$stderr")" = 1 ]
    [[ "$(tail -n1 <<<"$stderr")" == "h2k-fetch: $PWD/w/evil.ova.d/disk1.vmdk: extent \"$host\" resolves to $host, outside $PWD/w/evil.ova.d: refused"* ]]
    [ ! -e w ]
    # The same with a relative escape from the extraction directory.
    flat_vmdk pkg/disk1.vmdk ../../outside/secret.bin
    tar -cf evil2.ova -C pkg web01.ovf disk1.vmdk
    run_tool h2k-fetch --workdir w evil2.ova
    assert_failed_cleanly
    [[ "$(tail -n1 <<<"$stderr")" == *"/evil2.ova.d/disk1.vmdk: extent \"../../outside/secret.bin\" resolves to $host, outside"* ]]
    [ ! -e w ]
}

@test "confine: --allow-disk-dir lets an absolute extent in; / never" {
    cp /dev/null outside/d-flat.vmdk
    head -c 4096 /dev/zero >outside/d-flat.vmdk
    flat_vmdk pkg/d.vmdk "$PWD/outside/d-flat.vmdk"
    run_tool h2k-fetch --workdir w pkg/d.vmdk
    refused "extent \"$PWD/outside/d-flat.vmdk\" resolves to"
    run_tool h2k-fetch --workdir w --allow-disk-dir "$PWD/outside" pkg/d.vmdk
    assert_status 0
    [ "$(j .disks[0].source.path)" = "$PWD/pkg/d.vmdk" ]
    rm -rf w
    # From the configuration too.
    printf 'common:\n  allow-disk-dir:\n    - %s\n' "$PWD/outside" >c.yaml
    run_tool h2k-fetch --config c.yaml --workdir w pkg/d.vmdk
    assert_status 0
    run_tool h2k-flatten --config c.yaml <<<"$(manifest "$PWD/pkg/d.vmdk" vmdk)"
    assert_status 0
    # Never the whole host.
    for dir in / /. //; do
        run_tool h2k-fetch --workdir w2 --allow-disk-dir "$dir" pkg/d.vmdk
        assert_status 2
        [ -z "$output" ]
        [[ "$stderr" == *"--allow-disk-dir: $dir: is the root directory: refused"* ]]
    done
    run_tool h2k-flatten --allow-disk-dir relative </dev/null
    assert_status 2
    [[ "$stderr" == *"--allow-disk-dir: relative: not an absolute path"* ]]
    printf 'common:\n  allow-disk-dir: [/]\n' >root.yaml
    run_tool h2k-fetch --config root.yaml --workdir w2 pkg/d.vmdk
    assert_status 2
    [[ "$stderr" == *"allow-disk-dir"*"root directory"* ]]
    [ ! -e w2 ]
}

@test "confine: inspect's overlay may be backed by the recorded source; convert uses it" {
    mkdir -p src wd
    qemu-img create -q -f qcow2 src/disk.qcow2 1M
    qemu-io -f qcow2 -c 'write -P 0x42 0 64k' src/disk.qcow2 >/dev/null
    qemu-img create -q -f qcow2 -b "$PWD/src/disk.qcow2" -F qcow2 wd/disk0-overlay.qcow2
    manifest "$PWD/src/disk.qcow2" qcow2 overlay \
        "{\"path\": \"$PWD/wd/disk0-overlay.qcow2\", \"format\": \"qcow2\", \"backing\": \"$PWD/src/disk.qcow2\"}" >m.json
    run_tool_in m.json h2k-convert --output-dir "$PWD/out"
    assert_status 0
    qemu-img compare -q -f qcow2 -F qcow2 src/disk.qcow2 "$(j .disks[0].output.path)"
    # An overlay whose backing file is not the one recorded is not ours.
    rm -rf out
    qemu-img rebase -q -u -b "$host" -F raw wd/disk0-overlay.qcow2
    run_tool_in m.json h2k-convert --output-dir "$PWD/out"
    one_line_error "wd/disk0-overlay.qcow2: backing file \"$host\" resolves to $host, outside $PWD/wd: refused"
    [ ! -e out ] || [ -z "$(ls -A out)" ]
}

@test "confine: the options are in every tool's --help" {
    for t in h2k-fetch h2k-flatten h2k-inspect h2k-fix-linux h2k-fix-windows h2k-convert h2k-validate; do
        run_tool "$t" --help
        assert_status 0
        [[ "$output" == *"--allow-disk-dir=DIR"* ]]
        [[ "$output" == *"--allow-devices"* ]]
    done
}

# A host file holding a marker; qemu_reads IMAGE FORMAT checks that qemu
# itself, left alone, would copy it into its output (so the refusals below
# guard a real hole).
marker_file ()
{
    { printf 'H2K-HOST-SECRET-MARKER\n'; head -c 1048552 /dev/zero; } >outside/secret.txt
    txt="$PWD/outside/secret.txt"
}

qemu_reads ()
{
    qemu-img convert -f "$2" -O raw "$1" probe.raw 2>/dev/null || return 1
    grep -q H2K-HOST-SECRET-MARKER probe.raw
    local r=$?
    rm -f probe.raw
    return $r
}

# kdmv_vmdk FILE TEXT: a sparse header (version 1, capacity 0,
# descriptorOffset 1, descriptorSize 20) and TEXT as its descriptor.
kdmv_vmdk ()
{
    printf 'KDMV\001\000\000\000\000\000\000\000' >"$1"
    printf '\000\000\000\000\000\000\000\000' >>"$1"      # capacity 0
    printf '\000\000\000\000\000\000\000\000' >>"$1"      # grain size
    printf '\001\000\000\000\000\000\000\000' >>"$1"      # descriptor at 1
    printf '\024\000\000\000\000\000\000\000' >>"$1"      # 20 sectors
    truncate -s 512 "$1"
    printf '%s\n' "$2" >>"$1"
    truncate -s $((21 * 512)) "$1"
}

@test "confine: a capacity-0 sparse VMDK whose embedded descriptor names a host file" {
    marker_file
    kdmv_vmdk pkg/b.vmdk "# Disk DescriptorFile
version=1
CID=12345678
parentCID=ffffffff
createType=\"monolithicFlat\"
RW 2048 FLAT \"$txt\" 0"
    qemu_reads pkg/b.vmdk vmdk || skip "qemu-img does not read such a file"
    run_tool h2k-fetch --workdir w pkg/b.vmdk
    refused "$PWD/pkg/b.vmdk: sparse header: capacity 0 with an embedded descriptor" "refused"
    manifest "$PWD/pkg/b.vmdk" vmdk >m.json
    run_tool_in m.json h2k-flatten
    refused "$PWD/pkg/b.vmdk: sparse header: capacity 0 with an embedded descriptor"
    run_tool_in m.json h2k-convert --output-dir "$PWD/out"
    refused "$PWD/pkg/b.vmdk: sparse header: capacity 0"
    [ ! -e out ] || [ -z "$(ls -A out)" ]
    # The same file as the SPARSE extent of a text descriptor.
    cat >pkg/t.vmdk <<EOT
# Disk DescriptorFile
version=1
CID=12345678
parentCID=ffffffff
createType="twoGbMaxExtentSparse"
RW 2048 SPARSE "b.vmdk"
EOT
    qemu_reads pkg/t.vmdk vmdk || skip "qemu-img does not read such an extent"
    run_tool h2k-fetch --workdir w pkg/t.vmdk
    refused "$PWD/pkg/t.vmdk: extent \"b.vmdk\": a sparse header of capacity 0 with an embedded descriptor"
    manifest "$PWD/pkg/t.vmdk" vmdk >m2.json
    run_tool_in m2.json h2k-flatten
    refused "$PWD/pkg/t.vmdk: extent \"b.vmdk\": a sparse header of capacity 0"
}

@test "confine: a parentFileNameHint qemu finds where our parser does not look" {
    marker_file
    flat_vmdk outside/victim.vmdk secret.txt
    head -c 4096 /dev/zero >pkg/d-flat.vmdk
    flat_vmdk pkg/d.vmdk d-flat.vmdk
    sed -i "1a # parentFileNameHint=\"$PWD/outside/victim.vmdk\"" pkg/d.vmdk
    qemu-img info pkg/d.vmdk | grep -q "backing file: $PWD/outside/victim.vmdk" ||
        skip "qemu-img does not read a hint in a comment"
    run_tool h2k-fetch --workdir w pkg/d.vmdk
    refused "$PWD/pkg/d.vmdk: parentFileNameHint: qemu would read \"$PWD/outside/victim.vmdk\" but the descriptor names no parent: refused"
    run_tool h2k-flatten <<<"$(manifest "$PWD/pkg/d.vmdk" vmdk)"
    refused "$PWD/pkg/d.vmdk: parentFileNameHint: qemu would read \"$PWD/outside/victim.vmdk\""
    # Inside another key's value, before the real hint.
    cp pkg/d-flat.vmdk pkg/p-flat.vmdk
    flat_vmdk pkg/parent.vmdk p-flat.vmdk
    flat_vmdk pkg/c.vmdk d-flat.vmdk parent.vmdk
    sed -i "2a ddb.comment = \"parentFileNameHint=@$PWD/outside/victim.vmdk\"" pkg/c.vmdk
    qemu-img info pkg/c.vmdk | grep -q "backing file: $PWD/outside/victim.vmdk"
    run_tool h2k-fetch --workdir w pkg/c.vmdk
    refused "$PWD/pkg/c.vmdk: parentFileNameHint: qemu would read \"$PWD/outside/victim.vmdk\" but the descriptor says \"parent.vmdk\": refused"
    # Written the way qemu reads it, the real hint is fine.
    flat_vmdk pkg/c2.vmdk d-flat.vmdk parent.vmdk
    run_tool h2k-fetch --workdir w pkg/c2.vmdk
    assert_status 0
}

@test "confine: .. after a symbolic link is resolved through the link, as qemu does" {
    marker_file
    ln -s / pkg/L
    qemu-img create -q -f qcow2 -u -b "L/..$txt" -F raw pkg/c.qcow2 1M
    qemu_reads pkg/c.qcow2 qcow2 || skip "qemu-img does not follow L/.."
    run_tool h2k-fetch --workdir w pkg/c.qcow2
    refused "$PWD/pkg/c.qcow2: backing file \"L/..$txt\" resolves to $txt, outside $PWD/pkg: refused"
    manifest "$PWD/pkg/c.qcow2" qcow2 >m.json
    run_tool_in m.json h2k-flatten
    refused "$PWD/pkg/c.qcow2: backing file \"L/..$txt\" resolves to $txt, outside"
    run_tool_in m.json h2k-convert --output-dir "$PWD/out"
    refused "$PWD/pkg/c.qcow2: backing file \"L/..$txt\" resolves to $txt, outside"
    [ ! -e out ] || [ -z "$(ls -A out)" ]
    # The same in a VMDK extent.
    flat_vmdk pkg/d.vmdk "L/..$txt"
    run_tool h2k-fetch --workdir w pkg/d.vmdk
    refused "$PWD/pkg/d.vmdk: extent \"L/..$txt\" resolves to $txt, outside $PWD/pkg: refused"
    run_tool h2k-flatten <<<"$(manifest "$PWD/pkg/d.vmdk" vmdk)"
    refused "$PWD/pkg/d.vmdk: extent \"L/..$txt\" resolves to $txt, outside"
}

@test "confine: a name starting with two backslashes is a relative name on Linux" {
    marker_file
    ln -s / 'pkg/\\h'
    qemu-img create -q -f qcow2 -u -b "\\\\h$txt" -F raw pkg/c.qcow2 1M
    qemu_reads pkg/c.qcow2 qcow2 || skip "qemu-img does not follow \\\\h"
    run_tool h2k-fetch --workdir w pkg/c.qcow2
    refused "$PWD/pkg/c.qcow2: backing file \"\\\\h$txt\" resolves to $txt, outside $PWD/pkg: refused"
    manifest "$PWD/pkg/c.qcow2" qcow2 >m.json
    run_tool_in m.json h2k-flatten
    refused "$PWD/pkg/c.qcow2: backing file \"\\\\h$txt\" resolves to $txt, outside"
    run_tool_in m.json h2k-validate
    refused "$PWD/pkg/c.qcow2: backing file \"\\\\h$txt\" resolves to"
    # A drive letter is still a name qemu cannot open: not followed.
    head -c 4096 /dev/zero >pkg/d-flat.vmdk
    cp pkg/d-flat.vmdk pkg/base-flat.vmdk
    flat_vmdk pkg/base.vmdk base-flat.vmdk
    flat_vmdk pkg/w.vmdk d-flat.vmdk 'C:\VMs\base.vmdk'
    run_tool h2k-fetch --workdir w pkg/w.vmdk
    assert_status 0
}
