#!/usr/bin/env bats
# h2k-validate: offline checks, boot proof (the beacon, or the login
# prompt), network proof, failures recorded, images never written.  The
# boots use the real Debian 12 test guest (debian-bios), as VMware leaves
# it: its initramfs has no virtio drivers and its fstab names /dev/sda1,
# so it boots on SATA, fails the offline checks on virtio-blk, and stops
# in the initramfs there when booted anyway.  Each boot takes 1-3 minutes
# under TCG, each libguestfs launch 0.5-1.5 minutes.

load helpers

setup ()
{
    requires jq qemu-img
    # Fast tests must not wait for the KVM probe.
    export H2K_ACCEL="${H2K_ACCEL:-tcg}"
    export TMPDIR="$BATS_TEST_TMPDIR/tmp"
    mkdir -p "$TMPDIR"
}

# Our private temporary directory (overlays, serial log) is gone.
assert_no_tmpdir ()
{
    local left
    left="$(ls -d "$TMPDIR"/h2k-validate.* 2>/dev/null || true)"
    [ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}

# A small manifest with one blank qcow2 disk and one NIC.
small_manifest ()
{
    local disk="$BATS_TEST_TMPDIR/disk.qcow2"
    qemu-img create -q -f qcow2 "$disk" 16M
    jq -n --arg w "$BATS_TEST_TMPDIR/work" --arg d "$disk" '{
        h2k_manifest_version: 1, workdir: $w,
        vm: {name: "small", firmware: "uefi", memory_mb: 8192,
             nics: [{id: "ethernet0", mac: "00:50:56:aa:bb:cc"}]},
        disks: [{id: "disk0", source: {path: $d, format: "qcow2"},
                 current: {path: $d, format: "qcow2"}}],
        stages: []}'
}

# The debian-bios guest as h2k-fetch and h2k-inspect describe it.
debian_manifest ()
{
    . "$image/facts"
    h2k-fetch --workdir="$BATS_TEST_TMPDIR/work" "$image/$VMX" |
    jq --arg mac "$MAC" --arg nic "$NIC" --arg addr "$IP/$PREFIX" --arg gw "$GATEWAY" \
       '.guest = {network: {interfaces: [{name: $nic, backend: "ifupdown",
            mac_pin: $mac, mac_pin_source: "udev", method: "static",
            addresses: [$addr], gateway: $gw}]}}'
}

# Record the images' sha256 once, before the first boot.
remember_sha ()
{
    local f="$BATS_FILE_TMPDIR/sha256"
    [ -s "$f" ] || (cd "$image" && sha256sum "$DISK" "$VMX") >"$f"
}

# tiny_guest DIR: the host's kernel and a busybox initramfs that bring up
# 10.0.2.15/24 on the NIC with MAC 52:54:00:00:00:10, send DHCP requests
# from the NIC with MAC 52:54:00:00:00:12, leave any other NIC down, and
# print a login prompt.  Built once per file; boots in 10-40 s with TCG.
tiny_guest ()
{
    [ -s "$1/initrd.gz" ] && return 0
    local d="$1" kver root
    kver="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)"
    kver="${kver#/boot/vmlinuz-}"
    [ -n "$kver" ] && [ -d "/lib/modules/$kver" ] || return 1
    command -v busybox >/dev/null && command -v gzip >/dev/null || return 1
    root="$d/root"
    mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev"
    cp /bin/busybox "$root/bin/busybox"
    for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
             virtio_pci failover net_failover virtio_net; do
        find "/lib/modules/$kver/kernel" -name "$m.ko*" -exec cp {} "$root/lib/modules/" \; 
    done
    cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
         virtio_pci failover net_failover virtio_net; do
    f=$(ls /lib/modules/$m.ko* 2>/dev/null) && insmod $f
done
sleep 1
nic () { for i in /sys/class/net/*; do [ "$(cat $i/address)" = "$1" ] && echo ${i##*/}; done; }
s=$(nic 52:54:00:00:00:10)
ip link set "$s" up
ip addr add 10.0.2.15/24 dev "$s"
d=$(nic 52:54:00:00:00:12)
if [ -n "$d" ]; then
    ip link set "$d" up
    udhcpc -i "$d" -b -t 20 -T 1 -s /bin/true >/dev/null 2>&1
fi
echo
echo "tiny login: "
while :; do sleep 60; done
INIT
    chmod +x "$root/init"
    (cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$d/initrd.gz"
    cp "/boot/vmlinuz-$kver" "$d/vmlinuz"
    qemu-img create -q -f qcow2 "$d/disk.qcow2" 16M
}

# tiny_manifest NIC_SUFFIX...: the tiny guest's manifest, with NICs
# 52:54:00:00:00:NIC_SUFFIX: 10 static, 11 static (never configured by the
# guest), 12 dhcp.
tiny_manifest ()
{
    local d="$BATS_FILE_TMPDIR/tiny" nics="[]" ifs="[]" n
    for n in "$@"; do
        nics=$(jq -c --arg n "$n" '. + [{id: ("ethernet" + $n), mac: ("52:54:00:00:00:" + $n)}]' <<<"$nics")
        case "$n" in
            10) ifs=$(jq -c '. + [{name: "eth0", mac_pin: "52:54:00:00:00:10", method: "static", addresses: ["10.0.2.15/24", "fd00::15/64"]}]' <<<"$ifs") ;;
            11) ifs=$(jq -c '. + [{name: "eth1", mac_pin: "52:54:00:00:00:11", method: "static", addresses: ["10.0.3.15/24"]}]' <<<"$ifs") ;;
            12) ifs=$(jq -c '. + [{name: "eth2", mac_pin: "52:54:00:00:00:12", method: "dhcp"}]' <<<"$ifs") ;;
        esac
    done
    jq -n --arg d "$d/disk.qcow2" --arg w "$BATS_TEST_TMPDIR/work" \
          --argjson nics "$nics" --argjson ifs "$ifs" '{
        h2k_manifest_version: 1, workdir: $w,
        vm: {name: "tiny", firmware: "bios", memory_mb: 256, nics: $nics},
        disks: [{id: "disk0", source: {path: $d, format: "qcow2"},
                 current: {path: $d, format: "qcow2"}}],
        guest: {network: {interfaces: $ifs}}, stages: []}'
}

boot_tiny ()
{
    requires qemu-system-x86_64 busybox gzip
    tiny_guest "$BATS_FILE_TMPDIR/tiny" || skip "no kernel in /boot with its modules, or no busybox"
    boot_accel
    tiny="$BATS_FILE_TMPDIR/tiny"
}

boot_accel ()
{
    unset H2K_ACCEL
    . "$top/tests/lib/boot.sh"
    H2K_ACCEL="$(h2k_accel)"
    export H2K_ACCEL
}

@test "validate: --help, --version" {
    run_tool h2k-validate --help
    assert_status 0
    [[ "$output" == *"--bus=BUS"* ]]
    [[ "$output" == *"--net-timeout"* ]]
    [[ "$output" == *"--signal=SIGNAL"* ]]
    [[ "$output" == *"--no-offline-checks"* ]]
    [[ "$output" == *"Exit status: 0 validation passed"* ]]
    assert_version h2k-validate
}

@test "validate: bad options are usage errors" {
    local args
    for args in "--bus ide" "--machine isapc" "--memory 0" "--timeout -5" \
                "--expect (" "--initrd /x" "--signal smoke" "extra"; do
        # shellcheck disable=SC2086
        run_tool h2k-validate $args </dev/null
        assert_status 2
        [ -z "$output" ]
    done
    run_tool h2k-validate --bus ide </dev/null
    [[ "$stderr" == *"--bus: expected virtio-blk, virtio-scsi or sata"* ]]
    run_tool h2k-validate --signal smoke </dev/null
    [[ "$stderr" == *"--signal: expected beacon or login"* ]]
}

@test "validate: bad manifests fail with one line naming the field" {
    local m="$BATS_TEST_TMPDIR/m.json" good
    good="$(small_manifest)"

    echo 'not json' >"$m"
    run_tool_in "$m" h2k-validate
    assert_failed_cleanly
    [[ "$stderr" == *"<stdin>"* ]]

    jq '.disks = []' <<<"$good" >"$m"
    run_tool_in "$m" h2k-validate
    assert_failed_cleanly
    [[ "$stderr" == *"<stdin>: /disks: no disk to boot"* ]]

    jq '.disks[0].current.path = "/nonexistent/disk.qcow2"' <<<"$good" >"$m"
    run_tool_in "$m" h2k-validate
    assert_failed_cleanly
    [[ "$stderr" == *"<stdin>: /disks/0/current/path: /nonexistent/disk.qcow2: No such file or directory"* ]]

    # The output wins over current.
    jq '.disks[0].output = {path: "/nonexistent/out.qcow2", format: "qcow2"}' <<<"$good" >"$m"
    run_tool_in "$m" h2k-validate
    assert_failed_cleanly
    [[ "$stderr" == *"/disks/0/output/path: /nonexistent/out.qcow2"* ]]

    jq '.vm.nics[0].mac = "00:50:56:zz:00:01"' <<<"$good" >"$m"
    run_tool_in "$m" h2k-validate
    assert_failed_cleanly
    [[ "$stderr" == *'<stdin>: /vm/nics/0/mac: "00:50:56:zz:00:01" is not a unicast MAC address'* ]]

    jq '.vm.nics[0].mac = "01:00:5e:00:00:01"' <<<"$good" >"$m"
    run_tool_in "$m" h2k-validate
    assert_failed_cleanly
    [[ "$stderr" == *"/vm/nics/0/mac"* ]]

    # Each error is one line.
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
    # No temporary directory is left behind.
    assert_no_tmpdir
}

@test "validate: --dry-run prints the qemu command line, records only the stage" {
    local m="$BATS_TEST_TMPDIR/m.json"
    small_manifest >"$m"

    run_tool_in "$m" h2k-validate -n
    assert_status 0
    [[ "$stderr" == *"would run: qemu-system-x86_64 "* ]]
    [[ "$stderr" == *" -machine q35 -accel tcg -cpu max -m 2048 "* ]]
    [[ "$stderr" == *"-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE"* ]]
    [[ "$stderr" == *"-device virtio-blk-pci,drive=disk0,bootindex=1"* ]]
    [[ "$stderr" =~ -netdev\ socket,id=net0,udp=127\.0\.0\.1:[0-9]+,localaddr=127\.0\.0\.1:[0-9]+ ]]
    [[ "$stderr" == *"-device virtio-net-pci,netdev=net0,mac=00:50:56:aa:bb:cc"* ]]
    [ "$(jq -r '.validation' <<<"$output")" = null ]
    [ "$(jq -r '.stages[-1].tool' <<<"$output")" = h2k-validate ]
    [ "$(jq -r '.stages[-1].dry_run' <<<"$output")" = true ]
    [ ! -e "$BATS_TEST_TMPDIR/work/validate-serial.log" ]
    assert_no_tmpdir

    run_tool_in "$m" h2k-validate -n --bus virtio-scsi --machine pc --memory 512
    assert_status 0
    [[ "$stderr" == *" -machine pc "*" -m 512 "* ]]
    [[ "$stderr" == *"-device virtio-scsi-pci,id=scsi0 "*"-device scsi-hd,drive=disk0,bus=scsi0.0,channel=0,scsi-id=0,lun=0,bootindex=1"* ]]
}

# The debian-bios guest, its converted output standing in as a qcow2
# overlay of the VMDK (an "output" the validation must not write).  Its
# backing file sits in the image cache, outside the overlay's directory:
# the tests that use it allow that directory (--allow-disk-dir), as an
# admin would.
debian_output_manifest ()
{
    local out="$BATS_FILE_TMPDIR/debian-out.qcow2"
    . "$image/facts"
    [ -e "$out" ] || qemu-img create -q -f qcow2 -F vmdk -b "$image/$DISK" "$out"
    debian_manifest | jq --arg o "$out" '.disks[0].output = {path: $o, format: "qcow2"}'
}

@test "validate: a corrupt image fails the offline checks before any launch" {
    local m="$BATS_TEST_TMPDIR/m.json" f="$BATS_TEST_TMPDIR/failed.json"
    local img="$BATS_TEST_TMPDIR/corrupt.qcow2"
    requires qemu-io
    qemu-img create -q -f qcow2 "$img" 16M
    qemu-io -c "write -P 0x5a 0 4M" "$img" >/dev/null
    truncate -s 1M "$img"
    small_manifest | jq --arg i "$img" '.disks[0].output = {path: $i, format: "qcow2"}' >"$m"

    run_tool_in "$m" h2k-validate --failed-manifest="$f"
    assert_failed_cleanly
    assert_status 1
    [[ "$stderr" == *"h2k-validate: validation failed: offline check: qemu-img check $img: corrupt ("*" corruptions)"* ]]
    [ "$(printf '%s\n' "$stderr" | grep -c 'validation failed')" -eq 1 ]
    [ "$(jq -r .validation.offline.status "$f")" = failed ]
    [ "$(jq -r .validation.offline.images[0].status "$f")" = corrupt ]
    [ "$(jq -r .validation.offline.images[0].exit_status "$f")" = 2 ]
    jq -e '.validation.offline.images[0].corruptions > 0' "$f"
    # No appliance, no boot.
    [ "$(jq -r '.validation.offline.guest // "none"' "$f")" = none ]
    [ "$(jq -r .validation.booted "$f")" = false ]
    assert_no_tmpdir
}

# bats test_tags=guests
@test "validate: unfixed debian-bios on virtio-blk fails the offline checks, without booting" {
    requires sha256sum
    requires_image debian-bios
    boot_accel
    local m="$BATS_TEST_TMPDIR/m.json" f="$BATS_TEST_TMPDIR/failed.json" out
    debian_output_manifest >"$m"
    out="$BATS_FILE_TMPDIR/debian-out.qcow2"
    remember_sha
    local before; before="$(sha256sum <"$out")"

    run_tool_in "$m" h2k-validate --failed-manifest="$f" \
        --allow-disk-dir "$(readlink -f "$image")"
    assert_failed_cleanly
    assert_status 1
    [ "$(printf '%s\n' "$stderr" | grep -c 'h2k-validate: validation failed')" -eq 1 ]
    [[ "$stderr" == *"validation failed: offline check: /etc/fstab line "*": /dev/sda1 (/) does not resolve: the guest sees its disks as /dev/vdX on virtio-blk (and more: see validation.offline.errors)"* ]]
    local v; v="$(jq -c .validation "$f")"
    [ "$(jq -r .status <<<"$v")" = failed ]
    [ "$(jq -r .booted <<<"$v")" = false ]
    [ "$(jq -r .offline.status <<<"$v")" = failed ]
    [ "$(jq -r .offline.images[0].status <<<"$v")" = ok ]
    [ "$(jq -r .offline.images[0].path <<<"$v")" = "$out" ]
    [ "$(jq -r .offline.guest.status <<<"$v")" = checked ]
    [ "$(jq -r '.offline.guest.fstab[] | select(.mountpoint == "/") | .status' <<<"$v")" = missing ]
    [ "$(jq -r '.offline.guest.fstab[] | select(.mountpoint == "/") | .spec' <<<"$v")" = "$ROOT_DEV" ]
    [ "$(jq -r .offline.guest.kernel.version <<<"$v")" = "$KERNEL" ]
    [ "$(jq -r .offline.guest.kernel.path <<<"$v")" = "/boot/vmlinuz-$KERNEL" ]
    [ "$(jq -r .offline.guest.kernel.initramfs <<<"$v")" = "/boot/initrd.img-$KERNEL" ]
    [ "$(jq -r .offline.guest.kernel.virtio.virtio_blk <<<"$v")" = module ]
    [ "$(jq -r .offline.guest.kernel.status <<<"$v")" = failed ]
    jq -e '.offline.errors | any(contains("lacks virtio_pci, virtio_blk (not built in): the guest cannot find its disk on virtio-blk"))' <<<"$v"
    # Nothing booted: no console, no serial log, no beacon.
    [ "$(jq -r '.console_tail | length' <<<"$v")" = 0 ]
    [ "$(jq -r '.beacon // "none"' <<<"$v")" = none ]
    [ ! -e "$BATS_TEST_TMPDIR/work/validate-serial.log" ]
    [ "$(sha256sum <"$out")" = "$before" ]
    assert_no_tmpdir
}

# bats test_tags=guests
@test "validate: unfixed debian-bios on SATA: the beacon reports its static address, ARP proves it" {
    requires qemu-system-x86_64 sha256sum
    requires_image debian-bios
    boot_accel
    local m="$BATS_TEST_TMPDIR/m.json" out
    debian_output_manifest >"$m"
    out="$BATS_FILE_TMPDIR/debian-out.qcow2"
    remember_sha
    local before; before="$(sha256sum <"$out")"

    run_tool_in "$m" h2k-validate --bus sata --allow-disk-dir "$(readlink -f "$image")"
    assert_status 0
    local v
    v="$(jq -c .validation <<<"$output")"
    [ "$(jq -r .status <<<"$v")" = passed ]
    [ "$(jq -r .booted <<<"$v")" = true ]
    [ "$(jq -r .bus <<<"$v")" = sata ]
    [ "$(jq -r .firmware <<<"$v")" = bios ]
    [ "$(jq -r .accel <<<"$v")" = "$H2K_ACCEL" ]
    [ "$(jq -r .disks[0].path <<<"$v")" = "$out" ]
    # Offline: the image, fstab on SATA (/dev/sda1 is right there), the
    # kernel from grub.cfg.
    [ "$(jq -r .offline.status <<<"$v")" = passed ]
    [ "$(jq -r .offline.images[0].status <<<"$v")" = ok ]
    [ "$(jq -r '.offline.guest.fstab[] | select(.mountpoint == "/") | .status' <<<"$v")" = resolved ]
    [ "$(jq -r '.offline.guest.fstab[] | select(.mountpoint == "/") | .device' <<<"$v")" = "$ROOT_DEV" ]
    [ "$(jq -r .offline.guest.kernel.source <<<"$v")" = /boot/grub/grub.cfg ]
    [ "$(jq -r .offline.guest.kernel.status <<<"$v")" = ok ]
    [ "$(jq -r '.offline.errors // [] | length' <<<"$v")" = 0 ]
    # The beacon: the signal, with a fresh token, and what the guest said.
    [ "$(jq -r .signal <<<"$v")" = beacon ]
    [ "$(jq -r '.signal_reason // "none"' <<<"$v")" = none ]
    jq -e '.signal_seconds > 0 and .boot_seconds == .signal_seconds' <<<"$v"
    [ "$(jq -r .beacon.init <<<"$v")" = systemd ]
    [[ "$(jq -r .beacon.token <<<"$v")" =~ ^[0-9a-f]{32}$ ]]
    [ "$(jq -r .beacon.format <<<"$v")" = ip-br ]
    [ "$(jq -r --arg n "$NIC" '.reported[] | select(.name == $n) | .state' <<<"$v")" = UP ]
    jq -e --arg n "$NIC" --arg a "$IP/$PREFIX" \
        '.reported[] | select(.name == $n) | .addresses | index($a) != null' <<<"$v"
    jq -e '.reported[] | select(.name == "lo") | .addresses | index("127.0.0.1/8") != null' <<<"$v"
    # The network proof still runs: ARP from the NIC's own MAC.
    [ "$(jq -r .network_status <<<"$v")" = passed ]
    [ "$(jq -r .nics[0].mac <<<"$v")" = "$MAC" ]
    [ "$(jq -r .nics[0].addresses_answered[0] <<<"$v")" = "$IP/$PREFIX" ]
    [ "$(jq -r .nics[0].proven <<<"$v")" = true ]
    [ "$(jq -r '.failure // "none"' <<<"$v")" = none ]
    # The serial log is kept, and holds the beacon block with the token.
    local tok; tok="$(jq -r .beacon.token <<<"$v")"
    [ "$(jq -r .serial_log <<<"$v")" = "$BATS_TEST_TMPDIR/work/validate-serial.log" ]
    grep -aq "H2K-BEACON $tok END" "$BATS_TEST_TMPDIR/work/validate-serial.log"
    [ "$(jq -r .stages[-1].status <<<"$output")" = ok ]
    # The output image is byte-identical: the beacon went to the overlay.
    [ "$(sha256sum <"$out")" = "$before" ]
    assert_no_tmpdir
}

# bats test_tags=guests
@test "validate: unfixed debian-bios booted on virtio-blk anyway stops in the initramfs" {
    requires qemu-system-x86_64 sha256sum
    requires_image debian-bios
    boot_accel
    local m="$BATS_TEST_TMPDIR/m.json" f="$BATS_TEST_TMPDIR/failed.json"
    debian_manifest >"$m"
    remember_sha

    # No offline checks and no beacon: no appliance, straight to the boot.
    run_tool_in "$m" h2k-validate --no-offline-checks --signal login --failed-manifest="$f"
    assert_failed_cleanly
    assert_status 1
    [[ "$stderr" != *"launching the appliance"* ]]
    [[ "$stderr" == *"validation failed: the console showed a boot failure: "*"does not exist"* ]]
    [ "$(jq -r .validation.status "$f")" = failed ]
    [ "$(jq -r .validation.booted "$f")" = false ]
    [ "$(jq -r .validation.bus "$f")" = virtio-blk ]
    [ "$(jq -r .validation.signal "$f")" = login ]
    [ "$(jq -r .validation.offline.status "$f")" = skipped ]
    [[ "$(jq -r .validation.failure "$f")" == *"/dev/sda1 does not exist"* ]]
    [ "$(jq -r .validation.network_status "$f")" = not-checked ]
    jq -e '.validation.console_tail | length > 0' "$f"
    [ "$(jq -r .stages[-1].status "$f")" = failed ]
    [[ "$(jq -r .stages[-1].error "$f")" == "validation failed: "* ]]
    grep -aq 'does not exist' "$BATS_TEST_TMPDIR/work/validate-serial.log"
    assert_no_tmpdir
}

# bats test_tags=guests
@test "validate: the booted images were not written" {
    requires sha256sum
    requires_image debian-bios
    . "$image/facts"
    [ -s "$BATS_FILE_TMPDIR/sha256" ] || skip "no boot test ran"
    (cd "$image" && sha256sum -c --quiet "$BATS_FILE_TMPDIR/sha256")
}

# bats test_tags=guests
@test "validate: direct kernel boot: static address, DHCP, and a NIC that stays down" {
    boot_tiny
    local m="$BATS_TEST_TMPDIR/m.json" f="$BATS_TEST_TMPDIR/failed.json"
    tiny_manifest 10 11 12 >"$m"

    run_tool_in "$m" h2k-validate --kernel "$tiny/vmlinuz" --initrd "$tiny/initrd.gz" \
        --append "console=ttyS0 quiet" --net-timeout 10 --failed-manifest="$f" \
        --signal login --no-offline-checks
    assert_failed_cleanly
    assert_status 1
    [[ "$stderr" == *"validation failed: network: ethernet11 (52:54:00:00:00:11): 10.0.3.15/24 did not answer ARP"* ]]
    [ "$(jq -r .validation.status "$f")" = failed ]
    [ "$(jq -r .validation.booted "$f")" = true ]
    [ "$(jq -r .validation.login_line "$f")" = "tiny login:" ]
    [ "$(jq -r .validation.signal "$f")" = login ]
    [ "$(jq -r '.validation.signal_reason // "none"' "$f")" = none ]
    [ "$(jq -r .validation.offline.status "$f")" = skipped ]
    [ "$(jq -r .validation.network_status "$f")" = failed ]
    [ "$(jq -r .validation.kernel "$f")" = "$tiny/vmlinuz" ]
    # The static NIC answered ARP and ping, from its own MAC.
    [ "$(jq -c .validation.nics[0].addresses_answered "$f")" = '["10.0.2.15/24"]' ]
    [ "$(jq -c .validation.nics[0].addresses_pinged "$f")" = '["10.0.2.15/24"]' ]
    [ "$(jq -r .validation.nics[0].proven "$f")" = true ]
    [ "$(jq -c .validation.not_checked "$f")" = '[{"address":"fd00::15/64","interface":"eth0"}]' ]
    # The NIC the guest never configured: nothing, and it says so.
    [ "$(jq -c .validation.nics[1].addresses_answered "$f")" = '[]' ]
    [ "$(jq -r .validation.nics[1].proven "$f")" = false ]
    # The DHCP NIC sent a DHCPDISCOVER with its MAC.
    [ "$(jq -r .validation.nics[2].dhcp_discover "$f")" = true ]
    [ "$(jq -r .validation.nics[2].proven "$f")" = true ]
}

# Defaults: the offline checks run, find no operating system on the blank
# disk, and the login prompt replaces the beacon (and says why).
# bats test_tags=guests
@test "validate: direct kernel boot passes when every NIC is proven" {
    boot_tiny
    local m="$BATS_TEST_TMPDIR/m.json" before
    tiny_manifest 10 12 >"$m"
    before="$(sha256sum <"$tiny/disk.qcow2")"

    run_tool_in "$m" h2k-validate --kernel "$tiny/vmlinuz" --initrd "$tiny/initrd.gz" \
        --append "console=ttyS0 quiet"
    assert_status 0
    [ "$(jq -r .validation.status <<<"$output")" = passed ]
    [ "$(jq -r .validation.signal <<<"$output")" = login ]
    [ "$(jq -r .validation.signal_reason <<<"$output")" = "no operating system found on the disks" ]
    [[ "$stderr" == *"warning: no beacon (no operating system found on the disks): the login prompt is the signal"* ]]
    [ "$(jq -r .validation.offline.status <<<"$output")" = passed ]
    [ "$(jq -r .validation.offline.images[0].status <<<"$output")" = ok ]
    [ "$(jq -r .validation.offline.guest.status <<<"$output")" = skipped ]
    [ "$(jq -r '.validation.reported // "none"' <<<"$output")" = none ]
    [ "$(jq -r .validation.network_status <<<"$output")" = passed ]
    [ "$(jq -r '[.validation.nics[].proven] | all' <<<"$output")" = true ]
    [ "$(sha256sum <"$tiny/disk.qcow2")" = "$before" ]
    assert_no_tmpdir
}
