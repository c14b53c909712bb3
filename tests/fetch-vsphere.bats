#!/usr/bin/env bats
# h2k-fetch on vsphere:// and esxi:// URLs, against VMware's own vSphere
# simulator (vcsim, tests/vcsim/main.go, built once per machine and
# cached like the test images), which setup_file starts on 127.0.0.1 with
# TLS and a fixed user and password, and teardown_file stops.  Its
# inventory (see main.go): the default DC0 VMs (powered on, empty 1 MiB
# disks), and Folder1/web01 (off) and Folder1/web02 (on) with a real
# 4 MiB monolithicFlat VMDK made here, Folder1/app01 and Folder2/app01
# (the same name), Folder2/indep01 (an independent disk).

load helpers
. "$BATS_TEST_DIRNAME/lib/vcsim.sh"
. "$BATS_TEST_DIRNAME/lib/nginx.sh"     # make_tls

# XML's special characters on purpose: the envelope must escape them.
PASSWORD='S3cr&t<vsphere>"h2k"'

setup_file ()
{
    local d="$BATS_FILE_TMPDIR/vc" c
    for c in qemu-img qemu-io jq openssl; do
        command -v "$c" >/dev/null 2>&1 ||
            { echo "$c is not installed" >"$BATS_FILE_TMPDIR/missing"; return 0; }
    done
    if ! make -s -C "$top/tests/images" vcsim >"$BATS_FILE_TMPDIR/vcsim-build.log" 2>&1; then
        echo "vcsim could not be built: $(tail -n 1 "$BATS_FILE_TMPDIR/vcsim-build.log")" \
            >"$BATS_FILE_TMPDIR/missing"
        return 0
    fi
    mkdir -p "$d/seed"
    printf '%s\n' "$PASSWORD" >"$d/password"
    qemu-img create -q -f vmdk -o subformat=monolithicFlat "$d/seed/disk1.vmdk" 4M
    qemu-io -f vmdk -c 'write -P 0xab 0 1M' -c 'write -P 0xcd 3M 512k' \
        "$d/seed/disk1.vmdk" >/dev/null
    vcsim_start "$d" -seed "$d/seed" -method-log "$d/methods" ||
        { echo "vcsim did not start" >"$BATS_FILE_TMPDIR/missing"; return 0; }
    printf 'VC=%q\nVC_TP=%q\nDSDIR=%q\n' "$VC" "$VC_TP" "$DSDIR" >"$d/env"
}

teardown_file ()
{
    vcsim_stop "$BATS_FILE_TMPDIR/vc"
}

setup ()
{
    [ ! -e "$BATS_FILE_TMPDIR/missing" ] || skip "$(cat "$BATS_FILE_TMPDIR/missing")"
    vc="$BATS_FILE_TMPDIR/vc"
    . "$vc/env"
    export VC_PASSWORD="$PASSWORD"
    cd "$BATS_TEST_TMPDIR"
}

# vfetch ARGS...: h2k-fetch with the password and the thumbprint pin.
vfetch ()
{
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" "$@"
}

# The secret never shows anywhere we print.
no_secret ()
{
    [[ "$output$stderr" != *"$PASSWORD"* ]] || { echo "the password leaked" >&2; return 1; }
}

@test "vsphere: --list prints the inventory as a table" {
    vfetch --list "vsphere://admin@$VC/"
    assert_status 0
    no_secret
    [[ "$output" == *"VM "*"ID "*"POWER "*"GUEST "*"FIRMWARE "*"CPUS "*"MEMORY "*"SNAPSHOTS"* ]]
    [[ "$output" == *"/DC0/vm/Folder1/web01 "*"poweredOff  debian11_64Guest  bios      2     2048 MiB  0"* ]]
    [[ "$output" == *"/DC0/vm/DC0_H0_VM0 "*"poweredOn"* ]]
    grep -Eq '^/DC0/vm/Folder1/web01 +disk-202-0 +scsi0:0 +\[LocalDS_0\] web01/disk1.vmdk +4.0M +4.0M +persistent$' <<<"$output"
    [[ "$output" == *"/DC0/vm/Folder2/indep01 "*"independent_persistent"* ]]
    [[ "$output" == *"ethernet0  00:50:56:3a:5c:"*"vmxnet3  VM Network"* ]]
}

@test "vsphere: --list --format json, filtered by the URL's path" {
    vfetch --list --format json "vsphere://admin@$VC/DC0/vm/Folder1"
    assert_status 0
    [ "$(jq -r 'map(.path) | join(" ")' <<<"$output")" = \
        "/DC0/vm/Folder1/app01 /DC0/vm/Folder1/web01 /DC0/vm/Folder1/web02" ]
    jq -e '.[] | select(.name == "web01") |
        .power_state == "poweredOff" and .firmware == "bios" and .cpus == 2 and
        .memory_mb == 2048 and .snapshots == 0 and (.moref | test("^vm-")) and
        (.uuid | length == 36) and
        .disks[0].file == "[LocalDS_0] web01/disk1.vmdk" and
        .disks[0].capacity == 4194304 and .disks[0].allocated == 4194816 and
        .disks[0].address == "scsi0:0" and
        .nics[0].model == "vmxnet3" and .nics[0].network == "VM Network" and
        (.nics[0].mac | test("^00:50:56:"))' <<<"$output"
}

@test "vsphere: --list below a path with nothing there fails cleanly" {
    vfetch --list "vsphere://admin@$VC/DC9"
    one_line_error "nothing in the inventory below /DC9"
}

@test "vsphere: --dry-run records and prints the plan, moves nothing" {
    vfetch -n --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web01"
    assert_status 0
    no_secret
    [ ! -e "$BATS_TEST_TMPDIR/w" ]
    [[ "$stderr" == *"plan: [LocalDS_0] web01/disk1-flat.vmdk (4.0M)"* ]]
    [[ "$stderr" == *"plan: /DC0/vm/Folder1/web01: 2 files, 4.0M"* ]]
    jq -e '.vm.source.kind == "vsphere" and
        .vm.source.url == "vsphere://admin@'"$VC"'/DC0/vm/Folder1/web01" and
        .vm.source.vsphere.api == "vcenter" and
        .vm.source.vsphere.inventory_path == "/DC0/vm/Folder1/web01" and
        .vm.source.vsphere.power_state == "poweredOff" and
        .vm.source.vsphere.total_bytes == 4194816 and
        (.vm.source.vsphere.plan | map(.datastore_path) | sort ==
            ["[LocalDS_0] web01/disk1-flat.vmdk", "[LocalDS_0] web01/disk1.vmdk"]) and
        (.vm.source.vsphere.plan[] | .url | startswith("https://'"$VC"'/folder/web01/disk1")) and
        (.vm.source.vsphere.plan[] | .url | endswith("?dcPath=DC0&dsName=LocalDS_0")) and
        .vm.name == "web01" and .vm.firmware == "bios" and .vm.cpus == 2 and
        .vm.memory_mb == 2048 and .vm.guest_os_hint == "debian11_64Guest" and
        .vm.nics[0].model == "vmxnet3" and .disks == []' <<<"$output"
}

@test "vsphere: a powered-off VM is downloaded with the session cookie and read as a local disk" {
    vfetch --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web01"
    assert_status 0
    no_secret
    local dl="$BATS_TEST_TMPDIR/w/download/LocalDS_0/web01"
    cmp "$dl/disk1-flat.vmdk" "$vc/seed/disk1-flat.vmdk"
    cmp "$dl/disk1.vmdk" "$vc/seed/disk1.vmdk"
    jq -e '.disks | length == 1' <<<"$output"
    jq -e '.disks[0] | .bus == "scsi" and .controller == "pvscsi" and
        .address == "scsi0:0" and .source.format == "vmdk" and
        .source.subformat == "monolithicFlat" and .source.virtual_size == 4194304 and
        .source.path == "'"$dl"'/disk1.vmdk"' <<<"$output"
    jq -e '.vm.source.remote.protocol == "https" and .vm.source.remote.insecure == false and
        (.vm.source.remote.files | length == 2)' <<<"$output"
    ! grep -rq "vmware_soap_session\|$PASSWORD" "$BATS_TEST_TMPDIR/w"
    ! grep -q "$PASSWORD" <<<"$output"
    # The whole manifest passes the next tool's schema check.
    run_tool h2k-flatten -n <<<"$output"
    assert_status 0
}

@test "vsphere: a VM is found by name, managed object id or BIOS UUID" {
    vfetch --list --format json "vsphere://admin@$VC/DC0/vm/Folder1/web01"
    local moref uuid
    moref=$(jq -r '.[0].moref' <<<"$output")
    uuid=$(jq -r '.[0].uuid' <<<"$output")
    for name in web01 DC0/web01 "$moref" "$uuid" "${uuid^^}"; do
        vfetch -n "vsphere://admin@$VC/$name"
        assert_status 0
        [ "$(jq -r .vm.source.vsphere.moref <<<"$output")" = "$moref" ]
    done
}

@test "vsphere: a VM not found gets close names suggested" {
    vfetch -n "vsphere://admin@$VC/DC0/vm/Folder1/web1"
    one_line_error "no VM \"web1\" in the inventory" "did you mean" \
        "/DC0/vm/Folder1/web01"
}

@test "vsphere: an ambiguous name lists the candidates" {
    vfetch -n "vsphere://admin@$VC/app01"
    one_line_error "\"app01\" names 2 VMs" "/DC0/vm/Folder1/app01 (vm-" \
        "/DC0/vm/Folder2/app01 (vm-" "give the inventory path"
    vfetch -n "vsphere://admin@$VC/DC0/vm/Folder2/app01"
    assert_status 0
}

@test "vsphere: a running VM is refused without --snapshot" {
    vfetch --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web02"
    one_line_error "/DC0/vm/Folder1/web02 is poweredOn" "--snapshot"
    [ ! -e "$BATS_TEST_TMPDIR/w" ]
}

@test "vsphere: --snapshot --dry-run plans the snapshot but takes none" {
    vfetch --snapshot -n "vsphere://admin@$VC/DC0/vm/Folder1/web02"
    assert_status 0
    [[ "$stderr" == *"from snapshot h2k-<time>"* ]]
    jq -e '.vm.source.vsphere.snapshot == {"created": false}' <<<"$output"
    vfetch --list --format json "vsphere://admin@$VC/DC0/vm/Folder1/web02"
    [ "$(jq '.[0].snapshots' <<<"$output")" = 0 ]
}

@test "vsphere: --snapshot copies a running VM from a snapshot it then removes" {
    vfetch --snapshot --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web02"
    assert_status 0
    no_secret
    [[ "$stderr" == *"creating snapshot h2k-"*"(memory off)"* ]]
    [[ "$stderr" == *"removing snapshot h2k-"* ]]
    jq -e '.vm.source.vsphere.snapshot | .created == true and .removed == true and
        (.name | test("^h2k-[0-9]{8}T[0-9]{6}Z$"))' <<<"$output"
    jq -e '.vm.source.vsphere.power_state == "poweredOn" and (.disks | length == 1)' <<<"$output"
    cmp "$BATS_TEST_TMPDIR/w/download/LocalDS_0/web02/disk1-flat.vmdk" "$vc/seed/disk1-flat.vmdk"
    vfetch --list --format json "vsphere://admin@$VC/DC0/vm/Folder1/web02"
    [ "$(jq '.[0].snapshots' <<<"$output")" = 0 ]
}

@test "vsphere: a failed snapshot creation is the server's fault, on one line" {
    local d="$BATS_TEST_TMPDIR/vc2" n
    mkdir -p "$d"
    cp "$vc/password" "$d/"
    vcsim_start "$d" -seed "$vc/seed" -fail-snapshot
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" --snapshot \
        --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web02"
    local st=$status out="$output" err="$stderr"
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" \
        --list --format json "vsphere://admin@$VC/DC0/vm/Folder1/web02"
    n=$(jq '.[0].snapshots' <<<"$output")
    vcsim_stop "$d"
    status=$st output="$out" stderr="$(grep -v 'creating snapshot' <<<"$err")"
    one_line_error "CreateSnapshot_Task: SOAP fault SnapshotDisabled: Snapshots are not allowed"
    [ "$n" = 0 ]
    [ ! -e "$BATS_TEST_TMPDIR/w/download/LocalDS_0/web02/disk1-flat.vmdk" ]
}

@test "vsphere: an independent disk is refused, named" {
    vfetch -n "vsphere://admin@$VC/DC0/vm/Folder2/indep01"
    one_line_error "/DC0/vm/Folder2/indep01: disk-202-0 is an independent disk"
}

@test "vsphere: a wrong password is the server's SOAP fault, on one line" {
    VC_PASSWORD=wrong vfetch --list "vsphere://admin@$VC/"
    one_line_error "vsphere://admin@$VC/" "Login: SOAP fault InvalidLogin: Login failure"
    VC_PASSWORD="$PASSWORD" run_tool h2k-fetch --password-env VC_PASSWORD \
        --thumbprint "$VC_TP" --list "vsphere://nobody@$VC/"
    one_line_error "SOAP fault InvalidLogin"
}

@test "vsphere: a password file works; no password, or one in the URL, is refused" {
    run_tool h2k-fetch --password-file "$vc/password" --thumbprint "$VC_TP" \
        --list "vsphere://admin@$VC/DC0/vm/Folder1"
    assert_status 0
    run_tool h2k-fetch --thumbprint "$VC_TP" --list "vsphere://admin@$VC/"
    one_line_error "no password" "--password-file"
    run_tool h2k-fetch --thumbprint "$VC_TP" --list "vsphere://admin:hunter2@$VC/"
    one_line_error "a password in the URL is not accepted"
    [[ "$stderr" != *hunter2* ]]
}

@test "vsphere: one login per run, and a logout at the end, also on failure" {
    : >"$vc/methods"
    vfetch --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web01"
    assert_status 0
    [ "$(grep -c '^Login$' "$vc/methods")" = 1 ]
    [ "$(grep -c '^Logout$' "$vc/methods")" = 1 ]
    [ "$(tail -n 1 "$vc/methods")" = Logout ]
    : >"$vc/methods"
    vfetch -n "vsphere://admin@$VC/no-such-vm"
    assert_failed_cleanly
    [ "$(grep -c '^Login$' "$vc/methods")" = 1 ]
    [ "$(tail -n 1 "$vc/methods")" = Logout ]
    : >"$vc/methods"
    vfetch --list "vsphere://admin@$VC/"
    [ "$(grep -c '^Login$' "$vc/methods")" = 1 ]
    [ "$(tail -n 1 "$vc/methods")" = Logout ]
}

@test "vsphere: a CA given with --cacert is trusted, for the API and the downloads" {
    local d="$BATS_TEST_TMPDIR/vc2"
    mkdir -p "$d"
    cp "$vc/password" "$d/"
    make_tls "$d" || skip "openssl could not make certificates"
    vcsim_start "$d" -seed "$vc/seed" -cert "$d/good.pem" -key "$d/good.key"
    run_tool h2k-fetch --password-env VC_PASSWORD --cacert "$d/ca.pem" \
        --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web01"
    local st=$status err="$stderr"
    run_tool h2k-fetch --password-env VC_PASSWORD --list "vsphere://admin@$VC/"
    vcsim_stop "$d"
    one_line_error "TLS certificate is not trusted"
    [ "$st" -eq 0 ] || { echo "$err" >&2; return 1; }
    cmp "$BATS_TEST_TMPDIR/w/download/LocalDS_0/web01/disk1-flat.vmdk" "$vc/seed/disk1-flat.vmdk"
}

@test "vsphere: an untrusted certificate is refused" {
    run_tool h2k-fetch --password-env VC_PASSWORD --list "vsphere://admin@$VC/"
    one_line_error "vsphere://admin@$VC/" "TLS certificate is not trusted" "--thumbprint"
}

@test "vsphere: a thumbprint mismatch is refused before the password is sent" {
    local bad="00${VC_TP:2}"
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$bad" --list "vsphere://admin@$VC/"
    one_line_error "the server's certificate has thumbprint $VC_TP, not the one given"
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "12:34" --list "vsphere://admin@$VC/"
    one_line_error "--thumbprint: expected the SHA-1"
}

@test "vsphere: a SHA-1 thumbprint works too" {
    local sha1
    sha1=$(openssl s_client -connect "$VC" </dev/null 2>/dev/null |
               openssl x509 -noout -fingerprint -sha1 | cut -d= -f2)
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$sha1" \
        --list "vsphere://admin@$VC/DC0/vm/Folder1"
    assert_status 0
}

@test "vsphere: a datastore file missing fails the fetch on one line" {
    rm "$DSDIR/app01-a/disk1-flat.vmdk"
    vfetch --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/app01"
    one_line_error "/folder/app01-a/disk1-flat.vmdk" "404"
}

@test "vsphere: a datastore file of an unexpected size fails the fetch" {
    # The VM's layout says the (empty) extent is 0 bytes.
    head -c 4096 /dev/zero >>"$DSDIR/app01-b/disk1-flat.vmdk"
    vfetch --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder2/app01"
    one_line_error "[LocalDS_0] app01-b/disk1-flat.vmdk: the datastore file is 4096 bytes, the VM's layout says 0"
}

@test "vsphere: the session expiring mid-download: log in again and resume" {
    local d="$BATS_TEST_TMPDIR/vc2"
    mkdir -p "$d"
    cp "$vc/password" "$d/"
    # Each session may make 3 /folder requests: the second file's fail.
    vcsim_start "$d" -seed "$vc/seed" -folder-expire 3
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" \
        --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web01"
    vcsim_stop "$d"
    assert_status 0
    [[ "$stderr" == *"the session ended; logging in again"* ]]
    cmp "$BATS_TEST_TMPDIR/w/download/LocalDS_0/web01/disk1-flat.vmdk" "$vc/seed/disk1-flat.vmdk"
    jq -e '.disks | length == 1' <<<"$output"
}

@test "vsphere: SIGTERM mid-download removes the snapshot, and says so" {
    local d="$BATS_TEST_TMPDIR/vc2" pid n st
    mkdir -p "$d"
    cp "$vc/password" "$d/"
    vcsim_start "$d" -seed "$vc/seed" -folder-delay 3000
    h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" --snapshot \
        --workdir "$BATS_TEST_TMPDIR/w" "vsphere://admin@$VC/DC0/vm/Folder1/web02" \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
    pid=$!
    for _ in $(seq 100); do
        grep -q "creating snapshot" "$BATS_TEST_TMPDIR/err" && break
        sleep 0.1
    done
    sleep 1
    kill -TERM "$pid"
    st=0
    wait "$pid" || st=$?
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" \
        --list --format json "vsphere://admin@$VC/DC0/vm/Folder1/web02"
    n=$(jq '.[0].snapshots' <<<"$output")
    vcsim_stop "$d"
    [ "$st" -eq 1 ]
    [ ! -s "$BATS_TEST_TMPDIR/out" ]
    grep -q "interrupted" "$BATS_TEST_TMPDIR/err"
    grep -q "removing snapshot h2k-" "$BATS_TEST_TMPDIR/err"
    [ "$n" = 0 ]
}

# make_chain_seed DIR: disk1.vmdk (+ -flat, 4 MiB, 2 MiB of 0xab at 0) and
# its child disk1-000001.vmdk (a descriptor; its sparse extent named
# disk1-000001-flat.vmdk, as vcsim's layout model wants) with 64 KiB of
# 0x77 at 1 MiB.
make_chain_seed ()
{
    local d="$1" cid
    mkdir -p "$d"
    qemu-img create -q -f vmdk -o subformat=monolithicFlat "$d/disk1.vmdk" 4M
    qemu-io -f vmdk -c 'write -P 0xab 0 2M' "$d/disk1.vmdk" >/dev/null
    (cd "$d" && qemu-img create -q -f vmdk -b disk1.vmdk -F vmdk delta.vmdk)
    qemu-io -f vmdk -c 'write -P 0x77 1M 64k' "$d/delta.vmdk" >/dev/null
    mv "$d/delta.vmdk" "$d/disk1-000001-flat.vmdk"
    cid=$(sed -n 's/^CID=//p' "$d/disk1.vmdk")
    printf '%s\n' '# Disk DescriptorFile' 'version=1' 'CID=fffffffe' \
        "parentCID=$cid" 'createType="twoGbMaxExtentSparse"' \
        'parentFileNameHint="disk1.vmdk"' '' '# Extent description' \
        'RW 8192 SPARSE "disk1-000001-flat.vmdk"' '' '# The Disk Data Base' \
        '#DDB' '' 'ddb.virtualHWVersion = "4"' 'ddb.adapterType = "lsilogic"' \
        >"$d/disk1-000001.vmdk"
}

@test "vsphere: an existing snapshot chain is planned whole and flattens" {
    local d="$BATS_TEST_TMPDIR/vc2" w="$BATS_TEST_TMPDIR/w" m
    mkdir -p "$d"
    cp "$vc/password" "$d/"
    make_chain_seed "$d/seed"
    vcsim_start "$d" -seed "$d/seed"
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" \
        --list --format json "vsphere://admin@$VC/DC0/vm/Folder1/web01"
    local list="$output"
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" \
        --workdir "$w" "vsphere://admin@$VC/DC0/vm/Folder1/web01"
    vcsim_stop "$d"
    jq -e '.[0].snapshots == 1 and .[0].disks[0].chain_length == 2 and
        .[0].disks[0].file == "[LocalDS_0] web01/disk1-000001.vmdk"' <<<"$list"
    assert_status 0
    m="$output"
    jq -e '(.vm.source.vsphere.plan | map(.datastore_path) | sort) ==
        ["[LocalDS_0] web01/disk1-000001-flat.vmdk", "[LocalDS_0] web01/disk1-000001.vmdk",
         "[LocalDS_0] web01/disk1-flat.vmdk", "[LocalDS_0] web01/disk1.vmdk"] and
        .vm.source.vsphere.snapshots == 1' <<<"$m"
    run_tool h2k-flatten <<<"$m"
    assert_status 0
    qemu-img compare -q "$d/seed/disk1-000001.vmdk" \
        "$(jq -r '.disks[0].current.path' <<<"$output")"
}

@test "vsphere: esxi:// lists and fetches from an ESXi host (ha-datacenter)" {
    local d="$BATS_TEST_TMPDIR/esx"
    mkdir -p "$d"
    cp "$vc/password" "$d/"
    vcsim_start "$d" -esx -seed "$vc/seed"
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" \
        --list --format json "esxi://admin@$VC"
    local list="$output" lstatus=$status
    run_tool h2k-fetch --password-env VC_PASSWORD --thumbprint "$VC_TP" \
        --workdir "$BATS_TEST_TMPDIR/w" "esxi://admin@$VC/web01"
    vcsim_stop "$d"
    [ "$lstatus" -eq 0 ]
    jq -e 'map(.path) | index("/ha-datacenter/vm/web01") != null' <<<"$list"
    assert_status 0
    jq -e '.vm.source.vsphere.api == "esxi" and
        (.vm.source.vsphere.plan[0].url | endswith("dcPath=ha-datacenter&dsName=LocalDS_0")) and
        (.disks | length == 1)' <<<"$output"
}

@test "vsphere: --list needs a vSphere URL; --snapshot and --thumbprint need a vSphere source" {
    run_tool h2k-fetch --list /nonexistent.vmx
    assert_status 2
    [[ "$stderr" == *"--list: needs a vsphere:// or esxi:// URL"* ]]
    run_tool h2k-fetch --list --format qcow2 "vsphere://admin@$VC/"
    assert_status 2
    [[ "$stderr" == *"not table or json"* ]]
    run_tool h2k-fetch --snapshot "$vc/seed/disk1.vmdk"
    one_line_error "--snapshot and --thumbprint apply to vsphere://"
}
