#!/usr/bin/env bats
# h2k-fetch on OVF descriptors and OVA archives: packages built here with
# qemu-img and tar, the corpus's real OVFs (and its OVA when present), and
# hostile or broken packages failing cleanly with nothing left behind.

load helpers

setup ()
{
    requires qemu-img qemu-io jq sha256sum tar
    cd "$BATS_TEST_TMPDIR"
}

j () { jq -r "$1" <<<"$output"; }

# one_line_error (helpers.bash), and the workdir w was not left behind.
clean_error ()
{
    one_line_error "$@" || return 1
    [ ! -e w ] || { echo "left behind: $(find w)" >&2; return 1; }
}

# make_disk: pkg/disk1.vmdk (streamOptimized) from src.qcow2, 16 MiB with
# data at 0 and 8 MiB.
make_disk ()
{
    mkdir -p pkg
    qemu-img create -q -f qcow2 src.qcow2 16M
    qemu-io -f qcow2 -c 'write -q -P 0x5a 0 1M' -c 'write -q -P 0x33 8M 512k' src.qcow2 >/dev/null
    qemu-img convert -O vmdk -o subformat=streamOptimized src.qcow2 pkg/disk1.vmdk
}

# make_ovf FILE [HREF [FILE-ATTRS [CAPACITY]]]: a one-disk VMware-style OVF.
make_ovf ()
{
    local out="$1" href="${2:-disk1.vmdk}" attrs="${3:-}" cap="${4:-16}"
    cat >"$out" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References>
    <File ovf:href="$href" ovf:id="file1" $attrs/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="$cap" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="web01">
    <Info>A virtual machine</Info>
    <Name>web01</Name>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian11_64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>4</rasd:VirtualQuantity>
        <vmw:CoresPerSocket ovf:required="false">2</vmw:CoresPerSocket>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^30</rasd:AllocationUnits>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>3</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>1</rasd:AddressOnParent>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>00:50:56:AB:CD:EF</rasd:Address>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
      <vmw:Config ovf:required="false" vmw:key="bootOptions.efiSecureBootEnabled" vmw:value="true"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
}

# make_mf DIR FILE...: DIR/web01.mf with the SHA256 of each FILE.
make_mf ()
{
    local dir="$1" f
    shift
    for f in "$@"; do
        printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum "$dir/$f" | cut -d' ' -f1)"
    done >"$dir/web01.mf"
}

# make_pkg: pkg/ holding web01.ovf, web01.mf and disk1.vmdk.
make_pkg ()
{
    make_disk
    make_ovf pkg/web01.ovf
    make_mf pkg web01.ovf disk1.vmdk
}

# make_ova OUT: the package as an OVA, .ovf first.
make_ova ()
{
    tar -cf "$1" -C pkg web01.ovf web01.mf disk1.vmdk
}

# hostile_ova OUT KIND: web01.ovf and .mf, then disk1.vmdk as KIND.  GNU
# tar writes them: -P keeps "..", "/" and links as they are.
hostile_ova ()
{
    local out="$PWD/$1" kind="$2" name=disk1.vmdk src=disk1.vmdk
    local -a opts=(-P)
    case "$kind" in
        dotdot) name=../disk1.vmdk ;;
        inner-dotdot) name=a/../../disk1.vmdk ;;
        absolute) name=/tmp/disk1.vmdk ;;
        symlink) src=link; ln -sfn /etc/passwd pkg/link ;;
        hardlink) src=hard; ln -f pkg/web01.ovf pkg/hard ;;
        fifo) src=fifo; rm -f pkg/fifo; mkfifo pkg/fifo ;;
        device) src=cdev; rm -f pkg/cdev
                mknod pkg/cdev c 1 3 2>/dev/null || skip "mknod: not permitted here" ;;
        two-ovf) cp pkg/web01.ovf pkg/other.ovf; src=other.ovf; name=other.ovf ;;
    esac
    opts+=(--transform="s|^$src\$|$name|")
    tar "${opts[@]}" -cf "$out" -C pkg web01.ovf web01.mf "$src"
    case "$kind" in
        duplicate) tar -rf "$out" -C pkg disk1.vmdk ;;
        two-ovf) tar -rf "$out" -C pkg disk1.vmdk ;;
    esac
}

@test "fetch-ovf: an OVA built here: manifest fields, verified .mf, extracted disk identical" {
    make_pkg
    make_ova web01.ova
    sum_before="$(sha256sum web01.ova)"
    run_tool h2k-fetch --workdir w web01.ova
    assert_status 0
    [ "$(j .vm.name)" = web01 ]
    [ "$(j .vm.source.kind)" = ova ]
    [ "$(j .vm.source.path)" = "$PWD/web01.ova" ]
    [ "$(j .vm.source.extracted_dir)" = "$PWD/w/web01.ova.d" ]
    [ "$(j .vm.source.manifest_verified)" = sha256 ]
    [ "$(j .vm.firmware)" = uefi ]
    [ "$(j .vm.secure_boot)" = true ]
    [ "$(j .vm.cpus)" = 4 ]
    [ "$(j .vm.cores_per_socket)" = 2 ]
    [ "$(j .vm.memory_mb)" = 3072 ]
    [ "$(j .vm.hardware_version)" = vmx-13 ]
    [ "$(j .vm.guest_os_hint)" = debian11_64Guest ]
    [ "$(j '.vm.nics | length')" = 1 ]
    [ "$(j .vm.nics[0].id)" = ethernet0 ]
    [ "$(j .vm.nics[0].mac)" = 00:50:56:ab:cd:ef ]
    [ "$(j .vm.nics[0].model)" = vmxnet3 ]
    [ "$(j .vm.nics[0].network)" = "VM Network" ]
    [ "$(j .vm.nics[0].connected)" = true ]
    [ "$(j '.disks | length')" = 1 ]
    [ "$(j .disks[0].id)" = disk0 ]
    [ "$(j .disks[0].bus)" = scsi ]
    [ "$(j .disks[0].controller)" = pvscsi ]
    [ "$(j .disks[0].address)" = scsi0:1 ]
    [ "$(j .disks[0].source.path)" = "$PWD/w/web01.ova.d/disk1.vmdk" ]
    [ "$(j .disks[0].source.format)" = vmdk ]
    [ "$(j .disks[0].source.subformat)" = streamOptimized ]
    [ "$(j .disks[0].source.virtual_size)" = 16777216 ]
    [ "$(j .disks[0].current.path)" = "$PWD/w/web01.ova.d/disk1.vmdk" ]
    [[ "$stderr" == *"web01.mf: every listed file verified (sha256)"* ]]
    qemu-img compare -q -f vmdk -F qcow2 w/web01.ova.d/disk1.vmdk src.qcow2
    cmp pkg/disk1.vmdk w/web01.ova.d/disk1.vmdk
    [ "$(ls -A w/web01.ova.d | sort | tr '\n' ' ')" = "disk1.vmdk web01.mf web01.ovf " ]
    # No temporary directory left, the OVA untouched.
    [ "$(ls -A w)" = web01.ova.d ]
    [ "$(sha256sum web01.ova)" = "$sum_before" ]
    # A second run does not silently reuse or replace the extraction.
    run_tool h2k-fetch --workdir w web01.ova
    assert_failed_cleanly
    [[ "$stderr" == *"w/web01.ova.d: already exists"* ]]
    cmp pkg/disk1.vmdk w/web01.ova.d/disk1.vmdk
}

@test "fetch-ovf: pax, GNU and gzip-compressed tars, ./ names, a subfolder" {
    make_pkg
    tar --format=pax -cf pax.ova -C pkg web01.ovf web01.mf disk1.vmdk
    tar --format=gnu -cf gnu.ova -C pkg web01.ovf web01.mf disk1.vmdk
    tar -czf gz.ova -C pkg web01.ovf web01.mf disk1.vmdk
    tar -cf dot.ova -C pkg .
    for ova in pax gnu gz dot; do
        run_tool h2k-fetch --workdir "w-$ova" "$ova.ova"
        assert_status 0
        [ "$(j .vm.source.manifest_verified)" = sha256 ]
        [ "$(j .disks[0].source.path)" = "$PWD/w-$ova/$ova.ova.d/disk1.vmdk" ]
        cmp pkg/disk1.vmdk "w-$ova/$ova.ova.d/disk1.vmdk"
    done
    # The .ovf not first, and a file the .mf does not list: warnings only.
    echo notes >pkg/README
    tar -cf late.ova -C pkg disk1.vmdk README web01.mf web01.ovf
    run_tool h2k-fetch --workdir w-late late.ova
    assert_status 0
    [[ "$stderr" == *"late.ova: the .ovf ('web01.ovf') is not the first entry"* ]]
    [[ "$stderr" == *"late.ova: web01.mf: README is not listed (not verified)"* ]]
    [ "$(j .vm.source.manifest_verified)" = sha256 ]
    # The package in a subfolder: hrefs are relative to the .ovf.
    mkdir -p sub/vm && cp pkg/* sub/vm/
    tar -cf sub.ova -C sub vm/web01.ovf vm/web01.mf vm/disk1.vmdk
    run_tool h2k-fetch --workdir w-sub sub.ova
    assert_status 0
    [ "$(j .disks[0].source.path)" = "$PWD/w-sub/sub.ova.d/vm/disk1.vmdk" ]
}

@test "fetch-ovf: an OVF directory: disks referenced in place, .mf verified" {
    make_pkg
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    assert_status 0
    [ "$(j .vm.source.kind)" = ovf ]
    [ "$(j .vm.source.path)" = "$PWD/pkg/web01.ovf" ]
    [ "$(j .vm.source.extracted_dir)" = null ]
    [ "$(j .vm.source.manifest_verified)" = sha256 ]
    [ "$(j .disks[0].source.path)" = "$PWD/pkg/disk1.vmdk" ]
    [ "$(j .disks[0].source.read_only)" = true ]
    [ "$(j .vm.memory_mb)" = 3072 ]
    # Without a .mf: a warning, no manifest_verified.
    rm pkg/web01.mf
    run_tool h2k-fetch --workdir w2 pkg/web01.ovf
    assert_status 0
    [ "$(j .vm.source.manifest_verified)" = null ]
    [[ "$stderr" == *"no web01.mf: file digests not verified"* ]]
    # A .mf in SHA1 with CRLF line ends; a file it does not list warns.
    printf 'SHA1(disk1.vmdk)= %s\r\n' "$(sha1sum pkg/disk1.vmdk | cut -d' ' -f1)" >pkg/web01.mf
    run_tool h2k-fetch --workdir w3 pkg/web01.ovf
    assert_status 0
    [ "$(j .vm.source.manifest_verified)" = sha1 ]
    [[ "$stderr" == *"web01.mf: web01.ovf is not listed (not verified)"* ]]
    # A .cert: warned about, not verified.
    touch pkg/web01.cert
    run_tool h2k-fetch --workdir w4 pkg/web01.ovf
    assert_status 0
    [[ "$stderr" == *"web01.cert: the signature is not verified"* ]]
    # --copy copies the disk into the workdir.
    run_tool h2k-fetch --copy --workdir w5 pkg/web01.ovf
    assert_status 0
    [ "$(j .disks[0].source.path)" = "$PWD/w5/disk1.vmdk" ]
    [ "$(j .disks[0].source.original_path)" = "$PWD/pkg/disk1.vmdk" ]
    cmp pkg/disk1.vmdk w5/disk1.vmdk
}

@test "fetch-ovf: paths recorded are normalised (no '.', '..' or '//')" {
    make_pkg
    mkdir pkg/sub
    run_tool h2k-fetch --workdir w pkg/sub/.././/web01.ovf
    assert_status 0
    [ "$(j .vm.source.path)" = "$PWD/pkg/web01.ovf" ]
    [ "$(j .disks[0].source.path)" = "$PWD/pkg/disk1.vmdk" ]
    make_ova web01.ova
    run_tool h2k-fetch --workdir w2 ./pkg/..//web01.ova
    assert_status 0
    [ "$(j .vm.source.path)" = "$PWD/web01.ova" ]
    [ "$(j .vm.source.extracted_dir)" = "$PWD/w2/web01.ova.d" ]
    [ "$(j .disks[0].source.path)" = "$PWD/w2/web01.ova.d/disk1.vmdk" ]
}

@test "fetch-ovf: --copy does not copy an OVA's extracted disks again" {
    make_pkg
    make_ova web01.ova
    run_tool h2k-fetch --copy --workdir w web01.ova
    assert_status 0
    [ "$(j .disks[0].source.path)" = "$PWD/w/web01.ova.d/disk1.vmdk" ]
    [ "$(ls -A w)" = web01.ova.d ]
}

@test "fetch-ovf: gzip'd disks (ovf:compression) are decompressed into the workdir" {
    make_disk
    gzip -c pkg/disk1.vmdk >pkg/disk1.vmdk.gz
    rm pkg/disk1.vmdk
    # ovf:size is the size of the compressed file.
    make_ovf pkg/web01.ovf disk1.vmdk.gz \
             "ovf:compression=\"gzip\" ovf:size=\"$(stat -c %s pkg/disk1.vmdk.gz)\""
    make_mf pkg web01.ovf disk1.vmdk.gz
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    assert_status 0
    [[ "$stderr" != *ovf:size* ]]
    [ "$(j .disks[0].source.path)" = "$PWD/w/web01.ovf.d/disk1.vmdk" ]
    [ "$(j .disks[0].source.format)" = vmdk ]
    qemu-img compare -q -f vmdk -F qcow2 w/web01.ovf.d/disk1.vmdk src.qcow2
    [ -f pkg/disk1.vmdk.gz ]

    tar -cf gz-disk.ova -C pkg web01.ovf web01.mf disk1.vmdk.gz
    run_tool h2k-fetch --workdir w2 gz-disk.ova
    assert_status 0
    [ "$(j .vm.source.manifest_verified)" = sha256 ]
    [ "$(j .disks[0].source.path)" = "$PWD/w2/gz-disk.ova.d/disk1.vmdk" ]
    qemu-img compare -q -f vmdk -F qcow2 w2/gz-disk.ova.d/disk1.vmdk src.qcow2
    [ ! -e w2/gz-disk.ova.d/disk1.vmdk.gz ]

    # compression="gzip" on a file that is not: refused, nothing left.
    make_disk
    make_ovf pkg/web01.ovf disk1.vmdk 'ovf:compression="gzip"'
    rm -f pkg/web01.mf
    run_tool h2k-fetch --workdir w3 pkg/web01.ovf
    assert_failed_cleanly
    [[ "$stderr" == *"disk1.vmdk: File/@ovf:compression says gzip, but the file is not gzip-compressed"* ]]
    [ ! -e w3 ]
}

@test "fetch-ovf: --dry-run checks an OVA without extracting" {
    make_pkg
    make_ova web01.ova
    run_tool h2k-fetch -n --workdir w web01.ova
    assert_status 0
    [ "$(j .vm.name)" = web01 ]
    [ "$(j .vm.source.kind)" = ova ]
    [ "$(j .vm.source.extracted_dir)" = null ]
    [ "$(j .vm.cpus)" = 4 ]
    [ "$(j '.disks | length')" = 0 ]
    [ "$(j .stages[0].dry_run)" = true ]
    [ ! -e w ]
    [[ "$stderr" == *"dry run: $PWD/web01.ova: 3 entries checked"* ]]
    # ... but still refuses a hostile archive.
    hostile_ova bad.ova dotdot
    run_tool h2k-fetch -n --workdir w bad.ova
    assert_failed_cleanly
    [[ "$stderr" == *"bad.ova: entry '../disk1.vmdk': '..' in the path: refused"* ]]
}

@test "fetch-ovf: the corpus OVA (govmomi ttylinux) fetches and verifies its .mf" {
    requires_corpus
    ova="$(find "$corpus" -name 'ttylinux-pc_i486-16.1.ova' -print -quit)"
    [ -n "$ova" ] || skip "ttylinux-pc_i486-16.1.ova is not in this corpus"
    run_tool h2k-fetch --workdir w "$ova"
    assert_status 0
    [ "$(j .vm.source.kind)" = ova ]
    [[ "$(j .vm.source.manifest_verified)" == sha* ]]
    [ "$(j '.disks | length')" -ge 1 ]
    [ "$(j .disks[0].source.format)" = vmdk ]
    [ -f "$(j .disks[0].source.path)" ]
    qemu-img check -q "$(j .disks[0].source.path)"
}

@test "fetch-ovf: corpus OVFs without their disks name the missing file" {
    requires_corpus
    run_tool h2k-fetch --workdir w "$corpus/ovf/cot/vmware.ovf"
    clean_error "cot/vmware.ovf: input.vmdk: disk file missing (File ovf:id 'file1' of vmware.ovf)"
    run_tool h2k-fetch --workdir w "$corpus/ovf/virt-v2v/test-i-ova-two-disks.ovf"
    clean_error "test-i-ova-two-disks.ovf: disk1.vmdk: disk file missing"
    run_tool h2k-fetch --workdir w "$corpus/ovf/govmomi/external/two-vms-vapp/two-vms-vapp.ovf"
    clean_error "two-vms-vapp.ovf: 2 VirtualSystems (a vApp)"
    run_tool h2k-fetch --workdir w "$corpus/ovf/cot/invalid.ovf"
    clean_error "invalid.ovf: line 41: rasd:HostResource: 'nonexistent.vmdk'"
}

@test "fetch-ovf: a corpus OVF with a disk made here: VirtualBox OVF 2.0" {
    requires_corpus
    make_disk
    cp "$corpus/ovf/cot/ubuntu.2.0.ovf" pkg/
    cp pkg/disk1.vmdk pkg/ubuntu.2.0-disk1.vmdk
    run_tool h2k-fetch --workdir w pkg/ubuntu.2.0.ovf
    assert_status 0
    [ "$(j .vm.name)" = ubuntu ]
    [ "$(j .vm.memory_mb)" = 512 ]
    [ "$(j .vm.cpus)" = 1 ]
    [ "$(j .vm.firmware)" = bios ]
    [ "$(j .vm.guest_os_hint)" = Ubuntu_64 ]
    [ "$(j .vm.nics[0].mac)" = 08:00:27:2a:fb:4e ]
    [ "$(j .vm.nics[0].model)" = e1000 ]
    [ "$(j .disks[0].bus)" = sata ]
    [ "$(j .disks[0].controller)" = ahci ]
    [ "$(j .disks[0].address)" = sata0:0 ]
    # The capacity in the OVF (8 GiB) is not the image's: a warning.
    [[ "$stderr" == *"ovf:capacity 8589934592 bytes, the image has 16777216"* ]]
}

@test "fetch-ovf: hostile OVA entries are refused, nothing extracted" {
    make_pkg
    local kind want
    while IFS='|' read -r kind want; do
        hostile_ova "$kind.ova" "$kind"
        run_tool h2k-fetch --workdir w "$kind.ova"
        clean_error "$kind.ova: entry '" "$want"
        [ -z "$(find . -maxdepth 1 -name '.*h2k*')" ]
        [ ! -e /tmp/disk1.vmdk ] || [ /tmp/disk1.vmdk -ot "$kind.ova" ]
    done <<'EOF'
dotdot|entry '../disk1.vmdk': '..' in the path: refused
inner-dotdot|entry 'a/../../disk1.vmdk': '..' in the path: refused
absolute|entry '/tmp/disk1.vmdk': absolute path: refused
symlink|entry 'disk1.vmdk': a symbolic link: refused
hardlink|entry 'disk1.vmdk': a hard link: refused
fifo|entry 'disk1.vmdk': a FIFO: refused
device|entry 'disk1.vmdk': a character device: refused
duplicate|entry 'disk1.vmdk': duplicate name: refused
two-ovf|entry 'other.ovf': a second .ovf
EOF
    [ ! -e ../disk1.vmdk ]
}

@test "fetch-ovf: an OVA of more than 1024 entries" {
    make_pkg
    mkdir many
    (cd many && touch $(seq -f 'f%g' 1 1100))
    tar -cf many.ova -C pkg web01.ovf -C ../many .
    run_tool h2k-fetch --workdir w many.ova
    clean_error "many.ova: more than 1024 entries"
}

@test "fetch-ovf: a failure after extraction takes everything back" {
    make_disk
    head -c 100000 /dev/urandom >pkg/disk1.vmdk
    make_ovf pkg/web01.ovf
    make_mf pkg web01.ovf disk1.vmdk
    make_ova web01.ova
    mkdir w
    run_tool h2k-fetch --workdir w web01.ova
    assert_failed_cleanly
    [[ "$stderr" == *"w/web01.ova.d/disk1.vmdk: not a VMDK"* ]]
    [ -d w ] && [ -z "$(ls -A w)" ]
    # The same for a gzip'd disk of an OVF directory.
    gzip pkg/disk1.vmdk
    make_ovf pkg/web01.ovf disk1.vmdk.gz 'ovf:compression="gzip"'
    rm pkg/web01.mf
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    assert_failed_cleanly
    [[ "$stderr" == *"w/web01.ovf.d/disk1.vmdk: not a VMDK"* ]]
    [ -d w ] && [ -z "$(ls -A w)" ]
}

@test "fetch-ovf: a wrong .mf digest" {
    make_pkg
    printf 'SHA256(disk1.vmdk)= %064d\n' 0 >pkg/web01.mf
    make_ova web01.ova
    run_tool h2k-fetch --workdir w web01.ova
    clean_error "web01.ova: web01.mf: SHA256(disk1.vmdk): digest mismatch"
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: web01.mf: SHA256(disk1.vmdk): digest mismatch"
}

@test "fetch-ovf: a .mf listing a missing file, a malformed .mf" {
    make_pkg
    printf 'SHA256(extra.iso)= %064d\n' 0 >>pkg/web01.mf
    make_ova web01.ova
    run_tool h2k-fetch --workdir w web01.ova
    clean_error "web01.ova: web01.mf: SHA256(extra.iso): listed file is missing"
    printf 'SHA256 disk1.vmdk\n' >pkg/web01.mf
    make_ova web01.ova
    run_tool h2k-fetch --workdir w web01.ova
    clean_error "web01.ova: web01.mf: line 1: malformed line"
}

@test "fetch-ovf: truncated, empty and non-tar OVAs" {
    make_pkg
    make_ova web01.ova
    head -c 100000 web01.ova >trunc.ova
    run_tool h2k-fetch --workdir w trunc.ova
    clean_error "trunc.ova: entry 'disk1.vmdk': Truncated tar archive"
    head -c 1000 web01.ova >trunc2.ova
    run_tool h2k-fetch --workdir w trunc2.ova
    clean_error "trunc2.ova: entry 'web01.ovf'"
    printf 'this is not a tar archive at all' >junk.ova
    run_tool h2k-fetch --workdir w junk.ova
    clean_error "junk.ova"
    tar -cf noovf.ova -C pkg disk1.vmdk
    run_tool h2k-fetch --workdir w noovf.ova
    clean_error "noovf.ova: no .ovf descriptor in the archive"
}

@test "fetch-ovf: --max-extract bounds what an OVA may expand to" {
    make_pkg
    make_ova web01.ova
    run_tool h2k-fetch --workdir w --max-extract 64K web01.ova
    clean_error "web01.ova: entry 'disk1.vmdk': the archive expands past the limit of 65536 bytes"
}

@test "fetch-ovf: an OVF referencing a missing file" {
    make_pkg
    make_ovf pkg/web01.ovf gone.vmdk
    make_mf pkg web01.ovf disk1.vmdk
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: gone.vmdk: disk file missing (File ovf:id 'file1' of web01.ovf)"
    make_ova web01.ova
    run_tool h2k-fetch --workdir w web01.ova
    clean_error "web01.ova: gone.vmdk: disk file missing (File ovf:id 'file1' of web01.ovf)"
}

@test "fetch-ovf: File ovf:size: equal passes, shorter is refused, longer warns" {
    local n
    make_disk
    n="$(stat -c %s pkg/disk1.vmdk)"
    make_ovf pkg/web01.ovf disk1.vmdk "ovf:size=\"$n\""
    make_mf pkg web01.ovf disk1.vmdk
    make_ova web01.ova
    run_tool h2k-fetch --workdir w1 pkg/web01.ovf
    assert_status 0
    [[ "$stderr" != *ovf:size* ]]
    run_tool h2k-fetch --workdir w2 web01.ova
    assert_status 0
    [[ "$stderr" != *ovf:size* ]]
    run_tool h2k-fetch -n --workdir w3 web01.ova
    assert_status 0
    [[ "$stderr" != *ovf:size* ]]

    # The file is shorter than declared (a truncated download or copy):
    # refused, in a directory, an OVA and an OVA's dry run.
    make_ovf pkg/web01.ovf disk1.vmdk "ovf:size=\"$((n + 512))\""
    make_mf pkg web01.ovf disk1.vmdk
    make_ova web01.ova
    local msg="disk1.vmdk: References/File ovf:size is $((n + 512)) bytes, but the file has $n (truncated?)"
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: $msg"
    run_tool h2k-fetch --workdir w web01.ova
    clean_error "web01.ova: $msg"
    run_tool h2k-fetch -n --workdir w web01.ova
    clean_error "web01.ova: $msg"

    # Longer than declared: a warning (the .mf is what checks content).
    make_ovf pkg/web01.ovf disk1.vmdk "ovf:size=\"$((n - 512))\""
    make_mf pkg web01.ovf disk1.vmdk
    make_ova web01.ova
    msg="disk1.vmdk: References/File ovf:size is $((n - 512)) bytes, but the file has $n"
    run_tool h2k-fetch --workdir w4 pkg/web01.ovf
    assert_status 0
    [[ "$stderr" == *"warning: $PWD/pkg/web01.ovf: $msg"* ]]
    run_tool h2k-fetch -n --workdir w5 web01.ova
    assert_status 0
    [[ "$stderr" == *"warning: $PWD/web01.ova: $msg"* ]]

    # Not a number: refused when parsing.
    make_ovf pkg/web01.ovf disk1.vmdk 'ovf:size="12k"'
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "web01.ovf: line 4: File/@ovf:size: '12k' is not a number"
}

@test "fetch-ovf: malformed XML names the line" {
    make_pkg
    sed -i 's|</DiskSection>|</DiskSectio>|' pkg/web01.ovf
    make_mf pkg web01.ovf disk1.vmdk
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: line 9: XML error: Opening and ending tag mismatch"
    make_ova web01.ova
    run_tool h2k-fetch --workdir w web01.ova
    clean_error "web01.ova: web01.ovf: line 9: XML error:"
    printf '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<Envelope/>\n' >pkg/web01.ovf
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: line 2: a DTD (<!DOCTYPE>) is not allowed"
}

@test "fetch-ovf: a disk href escaping the package" {
    make_pkg
    local href
    for href in ../pkg/disk1.vmdk /etc/passwd sub/../../disk1.vmdk http://example.com/disk1.vmdk; do
        make_ovf pkg/web01.ovf "$href"
        run_tool h2k-fetch --workdir w pkg/web01.ovf
        clean_error "pkg/web01.ovf: line 4: File/@ovf:href: '$href' is not a file inside the package"
    done
}

@test "fetch-ovf: huge field values" {
    make_pkg
    make_ovf pkg/web01.ovf disk1.vmdk '' 99999999999999999999999
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: line 8: Disk/@ovf:capacity: '99999999999999999999999' is not a number (or too large)"
    make_ovf pkg/web01.ovf disk1.vmdk '' 17592186044416
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: line 8: Disk/@ovf:capacity: 17592186044416 byte * 2^20 is too large"
    make_ovf pkg/web01.ovf
    sed -i 's|<rasd:VirtualQuantity>3</rasd:VirtualQuantity>|<rasd:VirtualQuantity>999999999999</rasd:VirtualQuantity>|' pkg/web01.ovf
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: line 29: rasd:VirtualQuantity (memory): 999999999999 byte * 2^30 is too large"
    make_ovf pkg/web01.ovf
    sed -i "s|<Name>web01</Name>|<Name>$(head -c 5000 /dev/zero | tr '\0' x)</Name>|" pkg/web01.ovf
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: line 12: Name: value longer than 1024 bytes"
    # Control characters in the name: refused, unless --name replaces it.
    make_ovf pkg/web01.ovf
    sed -i 's|<Name>web01</Name>|<Name>web\&#10;01</Name>|' pkg/web01.ovf
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: the VM's Name contains control characters (use --name)"
    make_mf pkg web01.ovf disk1.vmdk
    run_tool h2k-fetch --name web01 --workdir w2 pkg/web01.ovf
    assert_status 0
    [ "$(j .vm.name)" = web01 ]
    # A descriptor larger than 16 MiB is not read at all.
    make_ovf pkg/web01.ovf
    head -c $((17 << 20)) /dev/zero | tr '\0' ' ' >>pkg/web01.ovf
    run_tool h2k-fetch --workdir w pkg/web01.ovf
    clean_error "pkg/web01.ovf: file is larger than 16777216 bytes"
}
