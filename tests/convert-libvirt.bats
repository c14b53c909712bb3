#!/usr/bin/env bats
# h2k-convert --libvirt-xml: the domain XML is valid for libvirt's RNG
# schema (virt-xml-validate) and a real libvirtd accepts it (virsh
# define), for BIOS, UEFI, secure boot, old guests (pc), every bus and
# NIC mapping; errors come before any conversion; all or nothing.

load helpers

# Tiny sample disks, made once.
setup_file ()
{
    command -v qemu-img >/dev/null || return 0
    local d="$BATS_FILE_TMPDIR/src"
    mkdir -p "$d"
    qemu-img create -q -f qcow2 "$d/a.qcow2" 4M
    qemu-img create -q -f raw "$d/b.raw" 2M
}

setup ()
{
    requires qemu-img jq xmllint
    src="$BATS_FILE_TMPDIR/src"
    out="$BATS_TEST_TMPDIR/out"
    xml="$BATS_TEST_TMPDIR/vm.xml"
    mounted=""
    lv_dir=""
}

teardown ()
{
    if [ -n "$mounted" ]; then umount "$mounted" 2>/dev/null || true; fi
    lv_stop
}

# manifest NAME VM-EXTRA GUEST DISK...: VM-EXTRA is merged into .vm,
# GUEST (or null) becomes .guest; DISK is ID=PATH:FORMAT.
manifest ()
{
    local name="$1" extra="$2" guest="$3"; shift 3
    local disks="[]" spec id path fmt
    for spec in "$@"; do
        id="${spec%%=*}"; path="${spec#*=}"; fmt="${path##*:}"; path="${path%:*}"
        disks=$(jq -c --arg id "$id" --arg p "$path" --arg f "$fmt" \
            '. + [{id: $id, source: {path: $p, format: $f}, current: {path: $p, format: $f}}]' \
            <<<"$disks")
    done
    jq -n --arg n "$name" --arg w "$BATS_TEST_TMPDIR" --argjson d "$disks" \
        --argjson x "$extra" --argjson g "$guest" \
        '{h2k_manifest_version: 1, workdir: $w, vm: ({name: $n} + $x), disks: $d, stages: []}
         + (if $g == null then {} else {guest: $g} end)'
}

# xp EXPR: XPath string value in $xml.
xp () { xmllint --xpath "string($1)" "$xml"; }

# A private libvirtd: session mode, its own runtime, config and cache
# directories, run as nobody (with group kvm) when we are root.
lv_start ()
{
    requires libvirtd virsh setpriv
    [ -e /dev/kvm ] || skip "no /dev/kvm: libvirt refuses domain type kvm"
    lv_dir=$(mktemp -d /tmp/h2k-libvirt.XXXXXX)
    lv_as=()
    if [ "$(id -u)" = 0 ]; then
        chown nobody "$lv_dir"
        lv_as=(setpriv --reuid=nobody --regid=nogroup --groups=kvm)
    fi
    lv_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$lv_dir"
            XDG_RUNTIME_DIR="$lv_dir/run" XDG_CONFIG_HOME="$lv_dir/config"
            XDG_CACHE_HOME="$lv_dir/cache" XDG_DATA_HOME="$lv_dir/data")
    "${lv_as[@]}" "${lv_env[@]}" libvirtd --daemon --timeout 300 \
        >"$BATS_TEST_TMPDIR/libvirtd.log" 2>&1 ||
        skip "libvirtd cannot start: $(tail -n 1 "$BATS_TEST_TMPDIR/libvirtd.log")"
    local i
    for i in $(seq 50); do
        [ -S "$lv_dir/run/libvirt/libvirt-sock" ] && lv_virsh uri >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    skip "libvirtd started but its socket did not answer within 10 s"
}

lv_virsh () { "${lv_as[@]}" "${lv_env[@]}" virsh -q -c qemu:///session "$@"; }

lv_stop ()
{
    [ -n "$lv_dir" ] || return 0
    local pidf="$lv_dir/run/libvirt/libvirtd.pid"
    if [ -f "$pidf" ]; then
        kill "$(cat "$pidf")" 2>/dev/null || true
        for i in $(seq 50); do kill -0 "$(cat "$pidf" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$lv_dir"
    lv_dir=""
}

# define_and_undefine NAME [--nvram]: virsh define $xml (from stdin: the
# daemon's user cannot read our directory), then undefine.
define_and_undefine ()
{
    local name="$1"; shift
    lv_virsh define /dev/stdin <"$xml" >"$BATS_TEST_TMPDIR/define.log" 2>&1 ||
        { cat "$BATS_TEST_TMPDIR/define.log" >&2; return 1; }
    lv_virsh dumpxml "$name" >"$BATS_TEST_TMPDIR/dumped.xml"
    lv_virsh undefine "$@" "$name" >/dev/null
    [ -z "$(lv_virsh list --all --name)" ]
}

convert_with_xml ()
{
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out" --libvirt-xml "$xml" "$@"
}

@test "libvirt XML of a BIOS Linux VM: fields, manifest key, RNG schema" {
    requires virt-xml-validate
    manifest web01 '{"firmware": "bios", "cpus": 2, "memory_mb": 512,
                     "nics": [{"id": "ethernet0", "mac": "00:50:56:8A:01:02", "network": "VM Network"}]}' \
        '{"type": "linux", "kernels": [{"version": "6.1.0-28-amd64"}]}' \
        "disk0=$src/a.qcow2:qcow2" "disk1=$src/b.raw:raw" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml
    assert_status 0
    [ "$(jq -r .libvirt_xml <<<"$output")" = "$xml" ]
    [ "$(jq -r '.stages[-1].status' <<<"$output")" = ok ]
    [ -z "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name '.*.h2k-*')" ]
    virt-xml-validate "$xml" domain
    [ "$(xp /domain/name)" = web01 ]
    [ "$(xp /domain/memory)" = 512 ]
    [ "$(xp /domain/memory/@unit)" = MiB ]
    [ "$(xp /domain/vcpu)" = 2 ]
    [ "$(xp /domain/os/type/@machine)" = q35 ]
    [ "$(xp 'count(/domain/os/loader)')" = 0 ]
    [ "$(xp /domain/clock/@offset)" = utc ]
    [ "$(xp '/domain/devices/disk[1]/source/@file')" = "$(jq -r '.disks[0].output.path' <<<"$output")" ]
    [ "$(xp '/domain/devices/disk[2]/source/@file')" = "$(jq -r '.disks[1].output.path' <<<"$output")" ]
    [ "$(xp '/domain/devices/disk[1]/driver/@type')" = qcow2 ]
    [ "$(xp '/domain/devices/disk[2]/target/@dev')" = vdb ]
    [ "$(xp '/domain/devices/disk[2]/target/@bus')" = virtio ]
    [ "$(xp '/domain/devices/interface/mac/@address')" = 00:50:56:8a:01:02 ]
    [ "$(xp '/domain/devices/interface/source/@network')" = default ]
    [ "$(xp '/domain/devices/channel/target/@name')" = org.qemu.guest_agent.0 ]
    [ "$(xp '/domain/devices/rng/@model')" = virtio ]
    [ "$(xp '/domain/devices/memballoon/@model')" = virtio ]
    [ "$(xp '/domain/devices/console/@type')" = pty ]
    # The manifest with the new key is valid input for the next tool.
    printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/m2.json"
    run_tool_in "$BATS_TEST_TMPDIR/m2.json" h2k-convert -n -f --output-dir "$out"
    assert_status 0
    [ "$(jq -r .libvirt_xml <<<"$output")" = "$xml" ]
}

@test "virsh define accepts BIOS, UEFI secure boot, pc and every bus" {
    requires virt-xml-validate
    lv_start
    # 1. BIOS Linux, virtio-blk, NICs on a network and a bridge.
    manifest web01 '{"firmware": "bios", "cpus": 4, "cores_per_socket": 2, "memory_mb": 1024,
                     "nics": [{"id": "e0", "mac": "00:50:56:8a:01:02", "network": "VM Network"},
                              {"id": "e1", "mac": null, "network": "DMZ", "connected": false}]}' \
        '{"type": "linux"}' "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml --network "VM Network:default" --bridge DMZ:br0
    assert_status 0
    virt-xml-validate "$xml" domain
    define_and_undefine web01
    grep -q "<source bridge='br0'/>" "$BATS_TEST_TMPDIR/dumped.xml"
    grep -q "<topology sockets='2' dies='1' cores='2' threads='1'/>" "$BATS_TEST_TMPDIR/dumped.xml"

    # 2. Windows with UEFI secure boot on SATA (a two-phase plan).
    rm -rf "$out" "$xml"
    manifest win10 '{"firmware": "uefi", "secure_boot": true, "cpus": 2, "memory_mb": 2048}' \
        '{"type": "windows", "major_version": 10}' "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml --bus sata
    assert_status 0
    virt-xml-validate "$xml" domain
    [ "$(xp /domain/os/loader/@secure)" = yes ]
    [ -e "$(xp /domain/os/loader)" ]
    [ -e "$(xp /domain/os/nvram/@template)" ]
    [ "$(xp /domain/features/smm/@state)" = on ]
    [ "$(xp /domain/features/hyperv/relaxed/@state)" = on ]
    [ "$(xp /domain/clock/@offset)" = localtime ]
    [ "$(xp /domain/devices/disk/target/@bus)" = sata ]
    [ "$(xp /domain/devices/disk/target/@dev)" = sda ]
    define_and_undefine win10 --nvram
    grep -q "secure='yes'" "$BATS_TEST_TMPDIR/dumped.xml"
    grep -q "<nvram template=" "$BATS_TEST_TMPDIR/dumped.xml"

    # 3. Windows XP: i440fx ("pc"), SeaBIOS, virtio-scsi, two disks.
    rm -rf "$out" "$xml"
    manifest xp '{"firmware": "bios"}' '{"type": "windows", "major_version": 5, "minor_version": 1}' \
        "disk0=$src/a.qcow2:qcow2" "disk1=$src/b.raw:raw" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml --bus virtio-scsi -O raw
    assert_status 0
    virt-xml-validate "$xml" domain
    [ "$(xp /domain/os/type/@machine)" = pc ]
    [ "$(xp "/domain/devices/controller[@type='scsi']/@model")" = virtio-scsi ]
    [ "$(xp '/domain/devices/disk[2]/target/@dev')" = sdb ]
    [ "$(xp '/domain/devices/disk[2]/driver/@type')" = raw ]
    define_and_undefine xp
    grep -q "machine='pc-i440fx-" "$BATS_TEST_TMPDIR/dumped.xml"

    # 4. UEFI without secure boot, from the disks' ESP (vm.firmware unknown).
    rm -rf "$out" "$xml"
    manifest efi '{"firmware": "unknown"}' '{"type": "linux", "firmware": {"kind": "uefi"}}' \
        "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml
    assert_status 0
    virt-xml-validate "$xml" domain
    [ "$(xp /domain/os/loader/@secure)" = no ]
    [ "$(xp /domain/os/type/@machine)" = q35 ]
    define_and_undefine efi --nvram
}

@test "an old Linux kernel (2.6) gets machine pc" {
    manifest rhel6 '{}' '{"type": "linux", "kernels": [{"version": "2.6.32-754.el6.x86_64"}]}' \
        "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml
    assert_status 0
    [ "$(xp /domain/os/type/@machine)" = pc ]
    [ "$(xp /domain/memory)" = 1024 ]
    [ "$(xp /domain/vcpu)" = 1 ]
    [[ "$stderr" == *"/vm/memory_mb not recorded: the domain gets 1024 MiB"* ]]
}

@test "--dry-run writes no XML and records none" {
    manifest vm '{}' null "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml -n
    assert_status 0
    [ ! -e "$xml" ]
    [ ! -e "$out" ]
    [ "$(jq -r 'has("libvirt_xml")' <<<"$output")" = false ]
    [[ "$stderr" == *"dry run: would write the libvirt domain XML to $xml (machine q35, BIOS)"* ]]
}

@test "an existing XML is refused before converting, replaced with --force" {
    manifest vm '{}' null "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    echo old > "$xml"
    convert_with_xml
    one_line_error "h2k-convert: $xml: libvirt XML exists (use --force to overwrite it)"
    [ ! -e "$out" ]
    [ "$(cat "$xml")" = old ]
    convert_with_xml --force
    assert_status 0
    [ "$(xp /domain/name)" = vm ]
}

@test "a bad MAC address fails before converting, naming the field" {
    manifest vm '{"nics": [{"id": "e0", "mac": "01:00:5e:00:00:01"}]}' null \
        "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml
    one_line_error 'h2k-convert: <stdin>: /vm/nics/0/mac: "01:00:5e:00:00:01" is not a unicast MAC address'
    [ ! -e "$out" ]
    [ ! -e "$xml" ]
}

@test "a VM name libvirt cannot take fails before converting" {
    manifest 'a/b' '{}' null "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml
    one_line_error 'h2k-convert: <stdin>: /vm/name: "a/b" cannot be a libvirt domain name'
    [ ! -e "$out" ]
}

@test "special characters in the VM name are escaped, not spliced" {
    requires virt-xml-validate
    manifest "x<y>&'\"z" '{}' null "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml
    assert_status 0
    virt-xml-validate "$xml" domain
    [ "$(xp /domain/name)" = "x<y>&'\"z" ]
}

@test "the XML cannot be published: the disks are removed again" {
    [ "$(id -u)" = 0 ] || skip "needs root to mount"
    local ro="$BATS_TEST_TMPDIR/ro"
    mkdir -p "$ro"
    mount -t tmpfs -o ro,size=1m tmpfs "$ro" 2>/dev/null || skip "cannot mount tmpfs"
    mounted="$ro"
    manifest vm '{}' null "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out" --libvirt-xml "$ro/vm.xml"
    assert_failed_cleanly
    [[ "$stderr" == *"$ro/.vm.xml.h2k-"*"Read-only file system"* ]]
    [[ "$stderr" == *"$out/vm-disk0.qcow2: removed"* ]]
    [ -z "$(ls -A "$out")" ]
    [ -z "$(ls -A "$ro")" ]
}

@test "an unused mapping is a warning; a NIC without one goes to default" {
    manifest vm '{"nics": [{"id": "e0", "mac": "52:54:00:00:00:01", "network": "LAN"}]}' null \
        "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    convert_with_xml --network Other:isolated
    assert_status 0
    [[ "$stderr" == *'h2k-convert: warning: --network Other:isolated: no NIC of the VM is on source network "Other"'* ]]
    [ "$(xp '/domain/devices/interface/source/@network')" = default ]
    [ "$(xp '/domain/devices/interface/@type')" = network ]
}

@test "usage errors: exit 2, nothing on stdout" {
    manifest vm '{}' null "disk0=$src/a.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out" --network a:b
    assert_status 2
    [ -z "$output" ]
    [[ "$stderr" == *"--network, --bridge and --bus need --libvirt-xml"* ]]
    convert_with_xml --bus ide
    assert_status 2
    [[ "$stderr" == *"--bus ide: expected virtio-blk, virtio-scsi or sata"* ]]
    convert_with_xml --bridge nocolon
    assert_status 2
    [[ "$stderr" == *"--bridge nocolon: expected SOURCE-NETWORK:BRIDGE"* ]]
    convert_with_xml --network a:b --bridge a:c
    assert_status 2
    [[ "$stderr" == *'--bridge a:c: source network "a" is already mapped'* ]]
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out" --libvirt-xml ""
    assert_status 2
    [ ! -e "$out" ]
}

@test "a Windows guest h2k-fix-windows prepared gets its bus; another --bus is refused" {
    manifest vm '{}' null "disk0=$src/a.qcow2:qcow2" |
        jq '.windows_boot = {strategy: "single", storage: "vioscsi",
                             phases: [{phase: 1, name: "final", system_bus: "virtio-scsi", nic: "virtio"}]}' \
        >"$BATS_TEST_TMPDIR/m.json"
    convert_with_xml --bus virtio-blk
    one_line_error "--bus virtio-blk: h2k-fix-windows made this Windows boot from virtio-scsi" \
        "/windows_boot/phases/0/system_bus" "0x7B"
    [ ! -e "$out" ]
    [ ! -e "$xml" ]
    convert_with_xml
    assert_status 0
    [ "$(xp "/domain/devices/controller[@type='scsi']/@model")" = virtio-scsi ]
    [ "$(xp /domain/devices/disk/target/@bus)" = scsi ]
}
