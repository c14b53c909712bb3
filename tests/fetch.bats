#!/usr/bin/env bats
# h2k-fetch: every kind of single-disk source made with qemu-img, a
# synthetic VMX, --copy, --dry-run, and bad input failing cleanly.

load helpers

setup ()
{
    requires qemu-img jq sha256sum
    cd "$BATS_TEST_TMPDIR"
}

# no_workdirs: nothing named *.h2k was left in the current directory.
no_workdirs ()
{
    local left
    left="$(find . -maxdepth 1 -name '*.h2k')"
    [ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}


j () { jq -r "$1" <<<"$output"; }

@test "fetch: --help, --version, usage errors" {
    run_tool h2k-fetch --help
    assert_status 0
    [[ "$output" == *"Usage: h2k-fetch [OPTIONS] SOURCE"* ]]
    [[ "$output" == *"--copy"* && "$output" == *"--max-extract"* ]]
    [ -z "$stderr" ]

    [[ "$output" == *"Exit status: 0 success, 1 failure, 2 usage error."* ]]
    [[ "$output" == *"See h2k-fetch(1) and h2k-manifest(5)."* ]]
    assert_version h2k-fetch

    run_tool h2k-fetch
    assert_status 2
    [ -z "$output" ]
    [[ "$stderr" == *"missing SOURCE"* ]]

    run_tool h2k-fetch a b
    assert_status 2
    [[ "$stderr" == *"too many arguments"* ]]

    run_tool h2k-fetch --no-such-option x.vmx
    assert_status 2
    [ -z "$output" ]

    run_tool h2k-fetch --format floppy x.img
    assert_status 2
    [[ "$stderr" == *'--format: "floppy" is not one of'* ]]

    run_tool h2k-fetch --max-extract lots x.ova
    assert_status 2
    [[ "$stderr" == *'--max-extract: "lots" is not a size'* ]]

    run_tool h2k-fetch - </dev/null
    one_line_error "does not read standard input"
}

@test "fetch: --firmware overrides what the source says, and says so" {
    qemu-img create -q -f qcow2 "$BATS_TEST_TMPDIR/d.qcow2" 16M
    run_tool h2k-fetch --workdir "$BATS_TEST_TMPDIR/w" --firmware uefi "$BATS_TEST_TMPDIR/d.qcow2"
    assert_status 0
    [ "$(jq -r .vm.firmware <<<"$output")" = uefi ]
    [ "$(jq -c .vm.overrides <<<"$output")" = '["firmware"]' ]
    # Without it, a disk image says nothing about firmware.
    run_tool h2k-fetch --workdir "$BATS_TEST_TMPDIR/w" "$BATS_TEST_TMPDIR/d.qcow2"
    assert_status 0
    [ "$(jq -r '.vm.firmware // "none"' <<<"$output")" = none ]
    [ "$(jq -r '.vm.overrides // "none"' <<<"$output")" = none ]
    # A VMX that says bios: the override wins, and stderr names both.
    printf '.encoding = "UTF-8"\ndisplayName = "fw"\nfirmware = "bios"\nscsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "d.vmdk"\n' >"$BATS_TEST_TMPDIR/fw.vmx"
    qemu-img create -q -f vmdk "$BATS_TEST_TMPDIR/d.vmdk" 16M
    run_tool h2k-fetch --workdir "$BATS_TEST_TMPDIR/w2" --firmware uefi "$BATS_TEST_TMPDIR/fw.vmx"
    assert_status 0
    [ "$(jq -r .vm.firmware <<<"$output")" = uefi ]
    [[ "$stderr" == *"firmware: uefi (the source says bios)"* ]]
    run_tool h2k-fetch --workdir "$BATS_TEST_TMPDIR/w3" --firmware efi "$BATS_TEST_TMPDIR/d.qcow2"
    one_line_error '--firmware: "efi" is not bios or uefi'
    assert_status 2
    [ ! -e "$BATS_TEST_TMPDIR/w3" ]
}

@test "fetch: VMDK subformats" {
    local t
    for t in monolithicSparse monolithicFlat twoGbMaxExtentSparse \
             twoGbMaxExtentFlat streamOptimized; do
        qemu-img create -q -f vmdk -o subformat=$t "$t.vmdk" 3M
        run_tool h2k-fetch "$t.vmdk"
        assert_status 0
        [ "$(j .disks[0].source.format)" = vmdk ]
        [ "$(j .disks[0].source.subformat)" = "$t" ]
        [ "$(j .disks[0].source.virtual_size)" = 3145728 ]
        [ "$(j .disks[0].source.read_only)" = true ]
        [ "$(j .disks[0].source.path)" = "$PWD/$t.vmdk" ]
        [ "$(j .disks[0].current.path)" = "$PWD/$t.vmdk" ]
        [ "$(j .disks[0].current.format)" = vmdk ]
        [ "$(j .disks[0].id)" = disk0 ]
        [ "$(j .disks[0].bus)" = null ]
        [ "$(j .vm.name)" = "$t" ]
        [ "$(j .vm.source.kind)" = vmdk ]
        [ "$(j .vm.source.path)" = "$PWD/$t.vmdk" ]
        [ "$(j .workdir)" = "$PWD/$t.h2k" ]
        [ -d "$t.h2k" ]
        [ "$(j '.stages | length')" = 1 ]
        [ "$(j .stages[0].tool)" = h2k-fetch ]
        [ "$(j .stages[0].status)" = ok ]
    done
}

@test "fetch: VHD dynamic and fixed, VHDX, qcow2, VDI" {
    qemu-img create -q -f vpc -o subformat=dynamic dyn.vhd 3M
    qemu-img create -q -f vpc -o subformat=fixed fixed.vhd 3M
    qemu-img create -q -f vhdx x.vhdx 3M
    qemu-img create -q -f qcow2 q.qcow2 3M
    qemu-img create -q -f vdi v.vdi 3M

    run_tool h2k-fetch dyn.vhd
    assert_status 0
    [ "$(j .disks[0].source.format)" = vhd ]
    [ "$(j .disks[0].source.subformat)" = dynamic ]
    [ "$(j .vm.source.kind)" = vhd ]

    # qemu-img alone would call this raw: we pass -f vpc.
    run_tool h2k-fetch fixed.vhd
    assert_status 0
    [ "$(j .disks[0].source.format)" = vhd ]
    [ "$(j .disks[0].source.subformat)" = fixed ]

    run_tool h2k-fetch x.vhdx
    assert_status 0
    [ "$(j .disks[0].source.format)" = vhdx ]
    [ "$(j .disks[0].source.virtual_size)" = 3145728 ]

    run_tool h2k-fetch q.qcow2
    assert_status 0
    [ "$(j .disks[0].source.format)" = qcow2 ]
    [ "$(j .disks[0].source.subformat)" = 1.1 ]

    run_tool h2k-fetch v.vdi
    assert_status 0
    [ "$(j .disks[0].source.format)" = vdi ]
    [ "$(j .disks[0].source.subformat)" = dynamic ]
}

@test "fetch: content decides when the extension says nothing" {
    qemu-img create -q -f qcow2 disk.img 3M
    run_tool h2k-fetch disk.img
    assert_status 0
    [ "$(j .disks[0].source.format)" = qcow2 ]
    [ "$(j .vm.name)" = disk ]

    # An extension that lies is refused.
    rm -r disk.h2k
    qemu-img create -q -f qcow2 liar.vmdk 3M
    run_tool h2k-fetch liar.vmdk
    one_line_error "liar.vmdk" "named .vmdk but its content is qcow2"
    no_workdirs
}

@test "fetch: raw needs --format raw" {
    truncate -s 3M plain.img
    run_tool h2k-fetch plain.img
    one_line_error "plain.img: unknown file type" "--format raw"
    no_workdirs

    run_tool h2k-fetch --format raw plain.img
    assert_status 0
    [ "$(j .disks[0].source.format)" = raw ]
    [ "$(j .disks[0].source.virtual_size)" = 3145728 ]
    [ "$(j .vm.source.kind)" = raw ]

    touch some.vmx
    run_tool h2k-fetch --format raw some.vmx
    one_line_error "--format applies to disk images"
}

# A VMX with two disks, a CD-ROM, a hidden disk and two NICs.
make_vmx ()
{
    mkdir -p vm/sub
    qemu-img create -q -f vmdk -o subformat=monolithicSparse vm/sub/a.vmdk 3M
    qemu-img create -q -f vmdk -o subformat=monolithicFlat vm/b.vmdk 2M
    cat >vm/test.vmx <<'EOF'
#!/usr/bin/vmware
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "Test |22VM|22"
memSize = "3072"
numvcpus = "4"
cpuid.coresPerSocket = "2"
firmware = "efi"
uefi.secureBoot.enabled = "TRUE"
guestOS = "debian11-64"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.deviceType = "scsi-hardDisk"
scsi0:0.fileName = "sub/a.vmdk"
scsi0:1.present = "FALSE"
scsi0:1.fileName = "absent.vmdk"
sata0.present = "TRUE"
sata0:0.present = "TRUE"
sata0:0.fileName = "b.vmdk"
ide1:0.present = "TRUE"
ide1:0.deviceType = "cdrom-image"
ide1:0.fileName = "/isos/missing.iso"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "generated"
ethernet0.generatedAddress = "00:0C:29:AA:BB:CC"
ethernet1.present = "TRUE"
ethernet1.addressType = "static"
ethernet1.address = "00:50:56:01:02:03"
ethernet1.connectionType = "bridged"
ethernet1.startConnected = "FALSE"
EOF
}

@test "fetch: a VMX with its disks" {
    make_vmx
    run_tool h2k-fetch vm/test.vmx
    assert_status 0
    [ "$(j .vm.name)" = 'Test "VM"' ]
    [ "$(j .workdir)" = "$PWD/Test \"VM\".h2k" ]
    [ "$(j .vm.source.kind)" = vmx ]
    [ "$(j .vm.source.path)" = "$PWD/vm/test.vmx" ]
    [ "$(j .vm.source.sha256)" = "$(sha256sum <vm/test.vmx | cut -d' ' -f1)" ]
    [ "$(j .vm.memory_mb)" = 3072 ]
    [ "$(j .vm.cpus)" = 4 ]
    [ "$(j .vm.cores_per_socket)" = 2 ]
    [ "$(j .vm.firmware)" = uefi ]
    [ "$(j .vm.secure_boot)" = true ]
    [ "$(j .vm.hardware_version)" = vmx-14 ]
    [ "$(j .vm.guest_os_hint)" = debian11-64 ]

    [ "$(j '.disks | length')" = 2 ]
    [ "$(j .disks[0].id)" = disk0 ]
    [ "$(j .disks[0].bus)" = scsi ]
    [ "$(j .disks[0].controller)" = pvscsi ]
    [ "$(j .disks[0].address)" = scsi0:0 ]
    [ "$(j .disks[0].source.path)" = "$PWD/vm/sub/a.vmdk" ]
    [ "$(j .disks[0].source.subformat)" = monolithicSparse ]
    [ "$(j .disks[1].id)" = disk1 ]
    [ "$(j .disks[1].bus)" = sata ]
    [ "$(j .disks[1].controller)" = ahci ]
    [ "$(j .disks[1].address)" = sata0:0 ]
    [ "$(j .disks[1].source.subformat)" = monolithicFlat ]
    [ "$(j .disks[1].source.virtual_size)" = 2097152 ]

    [ "$(j '.vm.nics | length')" = 2 ]
    [ "$(j .vm.nics[0].id)" = ethernet0 ]
    [ "$(j .vm.nics[0].mac)" = 00:0c:29:aa:bb:cc ]
    [ "$(j .vm.nics[0].model)" = vmxnet3 ]
    [ "$(j .vm.nics[0].network)" = "VM Network" ]
    [ "$(j .vm.nics[0].connected)" = true ]
    [ "$(j .vm.nics[1].mac)" = 00:50:56:01:02:03 ]
    [ "$(j .vm.nics[1].model)" = null ]
    [ "$(j .vm.nics[1].connected)" = false ]
}

@test "fetch: paths recorded are normalised (no '.', '..' or '//')" {
    make_vmx
    sed -i 's|^sata0:0.fileName = "b.vmdk"|sata0:0.fileName = "sub/..//./b.vmdk"|' vm/test.vmx
    grep -q 'sub/..//./b.vmdk' vm/test.vmx
    run_tool h2k-fetch --workdir ./w/../w2/ vm/../vm//test.vmx
    assert_status 0
    [ "$(j .vm.source.path)" = "$PWD/vm/test.vmx" ]
    [ "$(j .workdir)" = "$PWD/w2" ]
    [ "$(j .disks[0].source.path)" = "$PWD/vm/sub/a.vmdk" ]
    [ "$(j .disks[1].source.path)" = "$PWD/vm/b.vmdk" ]
    [ "$(j .disks[1].current.path)" = "$PWD/vm/b.vmdk" ]
}

@test "fetch: --name and --workdir" {
    make_vmx
    run_tool h2k-fetch --name web01 vm/test.vmx
    assert_status 0
    [ "$(j .vm.name)" = web01 ]
    [ "$(j .workdir)" = "$PWD/web01.h2k" ]
    [ -d web01.h2k ]

    run_tool h2k-fetch --workdir ./wd2 vm/test.vmx
    assert_status 0
    [ "$(j .workdir)" = "$PWD/wd2" ]
    [ -d wd2 ]
    [ "$(j .vm.name)" = 'Test "VM"' ]
}

@test "fetch: --workdir whose parent is missing fails cleanly" {
    qemu-img create -q -f qcow2 q.qcow2 1M
    run_tool h2k-fetch --workdir no/such/dir q.qcow2
    one_line_error "no/such/dir: cannot create the workdir"
}

@test "fetch: --copy copies every file, verified, source untouched" {
    make_vmx
    local before after
    before="$(cd vm && sha256sum sub/a.vmdk b.vmdk b-flat.vmdk test.vmx)"
    run_tool h2k-fetch --copy --workdir wd vm/test.vmx
    assert_status 0
    after="$(cd vm && sha256sum sub/a.vmdk b.vmdk b-flat.vmdk test.vmx)"
    [ "$before" = "$after" ]

    [ "$(j .disks[0].source.path)" = "$PWD/wd/a.vmdk" ]
    [ "$(j .disks[0].source.original_path)" = "$PWD/vm/sub/a.vmdk" ]
    [ "$(j .disks[0].source.read_only)" = false ]
    [ "$(j .disks[0].current.path)" = "$PWD/wd/a.vmdk" ]
    [ "$(j .disks[0].source.sha256)" = "$(sha256sum <vm/sub/a.vmdk | cut -d' ' -f1)" ]
    cmp vm/sub/a.vmdk wd/a.vmdk

    # The descriptor and its extent, under the names the descriptor uses.
    [ "$(j .disks[1].source.path)" = "$PWD/wd/b.vmdk" ]
    [ "$(j .disks[1].source.sha256)" = "$(sha256sum <vm/b.vmdk | cut -d' ' -f1)" ]
    cmp vm/b.vmdk wd/b.vmdk
    cmp vm/b-flat.vmdk wd/b-flat.vmdk
    qemu-img info -f vmdk wd/b.vmdk >/dev/null
    # no temporary files left
    [ -z "$(find wd -name '.*')" ]
    [ "$(ls wd | sort | tr '\n' ' ')" = "a.vmdk b-flat.vmdk b.vmdk " ]

    # Sparse stays sparse (the flat extent is all zeros).
    [ "$(du -k wd/b-flat.vmdk | cut -f1)" -lt 1024 ]

    # A second copy into the same workdir does not overwrite.
    run_tool h2k-fetch --copy --workdir wd vm/test.vmx
    one_line_error "wd/a.vmdk: already exists"
    [ "$(ls wd | sort | tr '\n' ' ')" = "a.vmdk b-flat.vmdk b.vmdk " ]
}

@test "fetch: --copy of a single image with data" {
    qemu-img create -q -f qcow2 q.qcow2 4M
    qemu-io -f qcow2 -c 'write -P 0x5a 1M 64k' q.qcow2 >/dev/null 2>&1 ||
        skip "qemu-io missing"
    truncate -s 4M r.img
    printf 'hello' | dd of=r.img bs=1 seek=1048576 conv=notrunc status=none
    run_tool h2k-fetch --copy --format raw r.img
    assert_status 0
    [ "$(j .disks[0].source.sha256)" = "$(sha256sum <r.img | cut -d' ' -f1)" ]
    cmp r.img r.h2k/r.img
    [ "$(stat -c %s r.h2k/r.img)" = 4194304 ]

    run_tool h2k-fetch --copy q.qcow2
    assert_status 0
    cmp q.qcow2 q.h2k/q.qcow2
    [ "$(j .disks[0].source.sha256)" = "$(sha256sum <q.qcow2 | cut -d' ' -f1)" ]
}

@test "fetch: --dry-run creates and copies nothing" {
    make_vmx
    run_tool h2k-fetch -n --copy vm/test.vmx
    assert_status 0
    [ "$(j .stages[0].dry_run)" = true ]
    [ "$(j .disks[0].source.path)" = "$PWD/vm/sub/a.vmdk" ]
    [ "$(j .disks[0].source.read_only)" = true ]
    [ "$(j .workdir)" = "$PWD/Test \"VM\".h2k" ]
    no_workdirs
    [[ "$stderr" == *"would copy"* ]]
}

@test "fetch: missing file" {
    run_tool h2k-fetch nothere.vmx
    one_line_error "nothere.vmx: No such file or directory"
    no_workdirs
}

@test "fetch: unknown file type" {
    head -c 8192 /dev/urandom >noise.bin
    run_tool h2k-fetch noise.bin
    one_line_error "noise.bin: unknown file type"
    no_workdirs
}

@test "fetch: truncated VMDK descriptor" {
    qemu-img create -q -f vmdk -o subformat=monolithicFlat d.vmdk 2M
    head -c 60 d.vmdk >t.vmdk
    run_tool h2k-fetch t.vmdk
    one_line_error "t.vmdk" "createType"
    no_workdirs
    # Cut inside the extent section: no extents left.
    sed -n '1,/createType/p' d.vmdk >t2.vmdk
    run_tool h2k-fetch t2.vmdk
    one_line_error "t2.vmdk" "extent"
    no_workdirs
}

@test "fetch: multi-extent VMDK with a missing extent" {
    qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentFlat f.vmdk 3M
    rm f-f001.vmdk
    run_tool h2k-fetch f.vmdk
    one_line_error "f.vmdk: extent \"f-f001.vmdk\": No such file or directory"
    no_workdirs

    qemu-img create -q -f vmdk -o subformat=monolithicFlat g.vmdk 3M
    rm g-flat.vmdk
    run_tool h2k-fetch --copy g.vmdk
    one_line_error "g.vmdk: extent \"g-flat.vmdk\": No such file or directory"
    no_workdirs
}

@test "fetch: malformed VMX line" {
    make_vmx
    printf 'memsize = "1024"\nthis line is wrong\n' >vm/bad.vmx
    run_tool h2k-fetch vm/bad.vmx
    one_line_error "vm/bad.vmx: line 2: expected 'key = \"value\"'"
    no_workdirs

    printf 'displayName = "x"\nmemsize = "many"\n' >vm/bad2.vmx
    run_tool h2k-fetch vm/bad2.vmx
    one_line_error "vm/bad2.vmx: memsize: \"many\" is not an integer"
    no_workdirs
}

@test "fetch: VMX value too long" {
    { printf 'config.version = "8"\nguestinfo.big = "'
      head -c 1048576 /dev/zero | tr '\0' a
      printf '"\n'; } >big.vmx
    run_tool h2k-fetch big.vmx
    one_line_error "big.vmx: line 2: value too long"
    no_workdirs
}

@test "fetch: VMX referencing a missing disk" {
    make_vmx
    rm vm/b.vmdk
    run_tool h2k-fetch --copy vm/test.vmx
    one_line_error "vm/test.vmx: sata0:0.fileName: $PWD/vm/b.vmdk: No such file or directory"
    no_workdirs
}

@test "fetch: a VMX naming one disk twice" {
    make_vmx
    printf 'scsi0:3.fileName = "b.vmdk"\n' >>vm/test.vmx
    run_tool h2k-fetch vm/test.vmx
    one_line_error "vm/test.vmx: sata0:0.fileName: the same file as scsi0:3.fileName"
    no_workdirs
}

@test "fetch: --copy refuses a snapshot child, which is read in place" {
    qemu-img create -q -f vmdk base.vmdk 2M
    qemu-img create -q -f vmdk -b base.vmdk -F vmdk child.vmdk
    run_tool h2k-fetch --copy child.vmdk
    one_line_error "child.vmdk: --copy: this disk is a snapshot"
    no_workdirs

    qemu-img create -q -f qcow2 -b base.vmdk -F vmdk child.qcow2
    run_tool h2k-fetch -n --copy child.qcow2
    one_line_error "child.qcow2: --copy: this disk is a snapshot"

    run_tool h2k-fetch child.vmdk
    assert_status 0
    [ "$(j .disks[0].source.path)" = "$PWD/child.vmdk" ]
}

@test "fetch: a failure after a copy takes the copies back" {
    make_vmx
    head -c 60 vm/b.vmdk >vm/t.vmdk
    mv vm/t.vmdk vm/b.vmdk
    run_tool h2k-fetch --copy vm/test.vmx
    one_line_error "vm/b.vmdk" "createType"
    no_workdirs

    # An existing workdir stays, but empty.
    mkdir keep
    run_tool h2k-fetch --copy --workdir keep vm/test.vmx
    assert_failed_cleanly
    [ -d keep ]
    [ -z "$(ls -A keep)" ]
}

@test "fetch: --failed-manifest records the failure" {
    make_vmx
    rm vm/b.vmdk
    run_tool h2k-fetch --failed-manifest "$BATS_TEST_TMPDIR/failed.json" vm/test.vmx
    assert_failed_cleanly
    [ "$(jq -r '.stages[-1].status' failed.json)" = failed ]
    [[ "$(jq -r '.stages[-1].error' failed.json)" == *"sata0:0.fileName"* ]]
}

@test "fetch: h2k-fetch > /dev/full fails loudly" {
    make_vmx
    local st=0
    h2k-fetch --copy vm/test.vmx >/dev/full 2>err.txt || st=$?
    [ "$st" -eq 1 ]
    grep -q "<stdout>: writing the manifest: No space left on device" err.txt
    # Without the manifest nothing refers to the copies: they are gone.
    no_workdirs
}
