#!/usr/bin/env bats
# h2k-fetch over SSH/SFTP against OpenSSH's sshd, started here on
# 127.0.0.1 with a host key made here, serving a directory laid out like
# an ESXi datastore:
#
#   DS/web01/    web01.vmx -> web01-000001.vmdk (sparse delta, qemu-img)
#                -> web01.vmdk (descriptor) + web01-flat.vmdk (extent)
#   DS/web 01/   "web 01.vmx" -> "web 01.vmdk" + "web 01-flat.vmdk"
#   DS/abs/      abs.vmx naming its disk by an absolute path
#   DS/out/      out.vmx naming ../web01/web01.vmdk (outside its directory)
#   DS/missing/  missing.vmx naming a disk that is not there
#   DS/big/      a 1 GiB sparse image with data spread over it
#
# The "[datastore] dir/file" form maps under /vmfs/volumes, which a test
# cannot create on this host: it is tested in tests/unit/fetch/test-ssh.c.

load helpers
load lib/sshd


setup_file ()
{
    requires /usr/sbin/sshd ssh-keygen ssh-keyscan qemu-img qemu-io jq sha256sum
    export T="$BATS_FILE_TMPDIR" S="$BATS_FILE_TMPDIR/ssh" DS
    # The datastore must be readable by the password test user: not
    # under bats' private temporary directory.
    DS="$(mktemp -d /var/tmp/h2k-fetch-ssh.XXXXXX)" && chmod 755 "$DS" || return 1
    echo "$DS" > "$T/ds-dir"
    sshd_start "$S" || return 1
    export PORT="$SSHD_PORT"
    unset SSH_AUTH_SOCK
    make_datastore
    # A user with a password, for the password cases (never root's); a
    # name of its own, so that runs at the same time do not share it.
    export TEST_PASSWORD PASSWORD_USER
    PASSWORD_USER="h2kt-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    TEST_PASSWORD="h2k-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    if [ "$(id -u)" = 0 ] && ! getent passwd "$PASSWORD_USER" >/dev/null &&
       useradd -M -d /nonexistent -s /bin/sh -c "h2k fetch-ssh.bats" "$PASSWORD_USER" 2>/dev/null; then
        echo "$PASSWORD_USER:$TEST_PASSWORD" | chpasswd
        touch "$T/user-created"
    fi
}

teardown_file ()
{
    sshd_stop "$S"
    [ "${SSHD2_DIR:-}" = "" ] || sshd_stop "$SSHD2_DIR"
    [ ! -s "$T/ds-dir" ] || rm -rf "$(cat "$T/ds-dir")"
    if [ -f "$T/user-created" ]; then
        userdel "$PASSWORD_USER" 2>/dev/null || true
    fi
}

vmx ()
{
    local file="$1" disk="$2"
    cat > "$file" <<EOF
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "$(basename "$file" .vmx)"
memsize = "512"
guestOS = "debian10-64"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "$disk"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.addressType = "static"
ethernet0.address = "00:50:56:01:02:03"
EOF
}

make_datastore ()
{
    mkdir -p "$DS/web01" "$DS/web 01" "$DS/abs" "$DS/out" "$DS/missing" "$DS/big"
    (cd "$DS/web01" &&
     qemu-img create -q -f vmdk -o subformat=monolithicFlat web01.vmdk 64M &&
     qemu-io -f vmdk -c "write -P 0x11 1M 1M" -c "write -P 0x12 40M 512k" web01.vmdk &&
     qemu-img create -q -f vmdk -b web01.vmdk -F vmdk web01-000001.vmdk &&
     qemu-io -f vmdk -c "write -P 0x22 2M 1M" web01-000001.vmdk) >/dev/null
    vmx "$DS/web01/web01.vmx" web01-000001.vmdk
    (cd "$DS/web 01" &&
     qemu-img create -q -f vmdk -o subformat=monolithicFlat "web 01.vmdk" 8M &&
     qemu-io -f vmdk -c "write -P 0x33 0 64k" "web 01.vmdk") >/dev/null
    vmx "$DS/web 01/web 01.vmx" "web 01.vmdk"
    (cd "$DS/abs" && qemu-img create -q -f vmdk -o subformat=monolithicFlat abs.vmdk 4M)
    vmx "$DS/abs/abs.vmx" "$DS/abs/abs.vmdk"
    # The same directory by another name (ESXi: a datastore's name and
    # its UUID): a link to abs/, whose VMX names the disk by the real path.
    ln -s abs "$DS/link"
    vmx "$DS/out/out.vmx" "../web01/web01.vmdk"
    vmx "$DS/missing/missing.vmx" "gone.vmdk"
    qemu-img create -q -f qcow2 "$DS/abs/small.qcow2" 16M
    # 1 GiB, 96 MiB of data in three places: long enough to kill.
    truncate -s 1G "$DS/big/big.img"
    for off in 0 400 900; do
        head -c 32M /dev/urandom | dd of="$DS/big/big.img" bs=1M seek="$off" conv=notrunc status=none
    done
}

setup ()
{
    cd "$BATS_TEST_TMPDIR"
    unset SSH_AUTH_SOCK
    W="$BATS_TEST_TMPDIR/w"
    URL="ssh://root@127.0.0.1:$PORT$DS"
}

# fetch URL ARGS...: h2k-fetch with the test's known_hosts and key.
fetch ()
{
    local url="$1"; shift
    run_tool h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        --identity-file "$S/client_ed25519" "$@" "$url"
}

same_files ()
{
    local src="$1" dst="$2" f
    shift 2
    for f in "$@"; do
        cmp "$src/$f" "$dst/$f" || { echo "$f differs" >&2; return 1; }
    done
}

j () { jq -r "$1" <<<"$output"; }

@test "fetch-ssh: a VMX, its snapshot delta, the parent descriptor and its flat extent" {
    fetch "$URL/web01/web01.vmx"
    assert_status 0
    same_files "$DS/web01" "$W/download" web01.vmx web01-000001.vmdk web01.vmdk web01-flat.vmdk
    [ "$(j .vm.source.url)" = "$URL/web01/web01.vmx" ]
    [ "$(j .vm.source.remote.protocol)" = sftp ]
    [ "$(j '[.vm.source.remote.files[].url] | sort | join(" ")')" = \
      "$URL/web01/web01-000001.vmdk $URL/web01/web01-flat.vmdk $URL/web01/web01.vmdk $URL/web01/web01.vmx" ]
    [ "$(j '[.vm.source.remote.files[].resumed_from] | add')" = 0 ]
    [ "$(j '.vm.source.remote.files[] | select(.url | endswith("flat.vmdk")) | .validator')" = \
      "mtime:$(stat -c %Y "$DS/web01/web01-flat.vmdk")" ]
    [ "$(j .disks[0].source.path)" = "$W/download/web01-000001.vmdk" ]
    [ "$(j .vm.name)" = web01 ]
    # Holes stay holes: 1.5 MiB of data in a 64 MiB extent.
    [ "$(du -k "$W/download/web01-flat.vmdk" | cut -f1)" -lt 8192 ]
    # h2k-flatten works on the download as on local files.
    echo "$output" > fetched.json
    run_tool_in fetched.json h2k-flatten
    assert_status 0
    [ "$(j '[.disks[0].chain[].path] | join(" ")')" = \
      "$W/download/web01-000001.vmdk $W/download/web01.vmdk" ]
    qemu-img compare -q -f vmdk -F qcow2 "$DS/web01/web01-000001.vmdk" "$(j .disks[0].current.path)"
}

@test "fetch-ssh: --dry-run of a VMX with a snapshot: every file sized, nothing downloaded" {
    mkdir tmp
    TMPDIR="$BATS_TEST_TMPDIR/tmp" fetch "$URL/web01/web01.vmx" -n
    assert_status 0
    [ ! -e "$W" ]
    [ -z "$(ls -A tmp)" ]
    local f want="" total=0 size
    for f in web01-000001.vmdk web01-flat.vmdk web01.vmdk web01.vmx; do
        size=$(stat -c %s "$DS/web01/$f")
        want="$want $URL/web01/$f $W/download/$f $size true;"
        total=$((total + size))
        [[ "$stderr" == *"plan: $URL/web01/$f: $size bytes"* ]]
    done
    [ "$(j '[.vm.source.remote.files[] | " \(.url) \(.path) \(.size) \(.planned);"] | sort | join("")')" = "$want" ]
    [ "$(j .vm.source.remote.total_bytes)" = "$total" ]
    [[ "$stderr" == *"4 files, $total bytes"* ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" = 5 ]
    [ "$(j .vm.source.kind)" = vmx ]
    [ "$(j .vm.source.path)" = "$W/download/web01.vmx" ]
    [ "$(j .vm.source.url)" = "$URL/web01/web01.vmx" ]
    [ "$(j '.disks | length')" = 0 ]
    [ "$(j '.vm.source.remote.files | map(has("resumed_from")) | any')" = false ]
}

@test "fetch-ssh: --dry-run with an unknown host key fails in one line, creates nothing" {
    : > empty_known_hosts
    run_tool h2k-fetch -n --workdir "$W" --known-hosts empty_known_hosts \
        --identity-file "$S/client_ed25519" "$URL/web01/web01.vmx"
    one_line_error "$URL/web01/web01.vmx" "is not known"
    [ ! -e "$W" ]
}

@test "fetch-ssh: a rerun finds every file complete and downloads nothing" {
    fetch "$URL/web01/web01.vmx"
    assert_status 0
    fetch "$URL/web01/web01.vmx" -v
    assert_status 0
    [[ "$stderr" == *"already downloaded"* ]]
    [ "$(j '[.vm.source.remote.files[] | .resumed_from == .size] | all')" = true ]
}

@test "fetch-ssh: names with spaces" {
    # Percent-encoded in the URL, shown decoded.
    fetch "$URL/web%2001/web%2001.vmx"
    assert_status 0
    [ "$(j .vm.source.url)" = "$URL/web 01/web 01.vmx" ]
    [ "$(j '.vm.source.remote.files[] | select(.path | endswith("flat.vmdk")) | .url')" = \
      "$URL/web 01/web 01-flat.vmdk" ]
    same_files "$DS/web 01" "$W/download" "web 01.vmx" "web 01.vmdk" "web 01-flat.vmdk"
    [ "$(j .disks[0].source.path)" = "$W/download/web 01.vmdk" ]
}

@test "fetch-ssh: a disk named by its absolute path in the VM's directory" {
    fetch "$URL/abs/abs.vmx"
    assert_status 0
    same_files "$DS/abs" "$W/download" abs.vmx abs.vmdk abs-flat.vmdk
    # The downloaded VMX is the source's; main reads a copy naming the
    # disk beside it.
    [ "$(j .disks[0].source.path)" = "$W/download/abs.vmdk" ]
    [ "$(j .vm.source.path)" = "$W/download/abs.h2k-local.vmx" ]
    grep -q '^scsi0:0.fileName = "abs.vmdk"$' "$W/download/abs.h2k-local.vmx"
}

@test "fetch-ssh: the VM's directory reached through a symbolic link (a datastore's name)" {
    fetch "$URL/link/abs.vmx"
    assert_status 0
    same_files "$DS/abs" "$W/download" abs.vmx abs.vmdk abs-flat.vmdk
    [ "$(j .disks[0].source.path)" = "$W/download/abs.vmdk" ]
    [ "$(j '.vm.source.remote.files[] | select(.path | endswith("/abs.vmdk")) | .url')" = \
      "$URL/abs/abs.vmdk" ]
}

@test "fetch-ssh: a bare VMDK with its extent, and a single qcow2 checked by --sha256" {
    fetch "$URL/web01/web01.vmdk"
    assert_status 0
    same_files "$DS/web01" "$W/download" web01.vmdk web01-flat.vmdk
    [ "$(j .disks[0].source.path)" = "$W/download/web01.vmdk" ]
    rm -rf "$W"
    sum="$(sha256sum "$DS/abs/small.qcow2" | cut -d' ' -f1)"
    fetch "$URL/abs/small.qcow2" --sha256 "$sum"
    assert_status 0
    [ "$(j .disks[0].source.format)" = qcow2 ]
    [ "$(j .vm.source.remote.files[0].sha256)" = "$sum" ]
    # Complete from that run: checked again, not downloaded again.
    fetch "$URL/abs/small.qcow2" --sha256 "$(printf '%064d' 1)"
    one_line_error "$URL/abs/small.qcow2: sha256 mismatch"
    fetch "$URL/abs/small.qcow2" --sha256 "$sum"
    assert_status 0
    [ "$(j .vm.source.remote.files[0].resumed_from)" = "$(stat -c %s "$DS/abs/small.qcow2")" ]
    rm -rf "$W"
    fetch "$URL/abs/small.qcow2" --sha256 "$(printf '%064d' 0)"
    one_line_error "$URL/abs/small.qcow2" sha256
}

# start_big: fetch DS/big/big.img in the background; $pid, part file $part.
start_big ()
{
    part="$W/download/big.img.part"
    h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        --identity-file "$S/client_ed25519" --format raw "$URL/big/big.img" \
        > bg.out 2> bg.err 3>&- &
    pid=$!
}

# wait_chunks N: until N chunks of the part file are done.
wait_chunks ()
{
    local i
    for i in $(seq 600); do
        [ "$(jq -r .done "$part.state" 2>/dev/null | tr -cd 1 | wc -c)" -ge "$1" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

@test "fetch-ssh: a download killed with -9 resumes where it stopped" {
    start_big
    wait_chunks 2 || { cat bg.err >&2; false; }
    kill -9 "$pid"; wait "$pid" || true
    [ -f "$part" ] && [ ! -e "$W/download/big.img" ]
    fetch "$URL/big/big.img" --format raw
    assert_status 0
    [[ "$stderr" == *"resumed: "* ]]
    [ "$(j .vm.source.remote.files[0].resumed_from)" -ge $((64 << 20)) ]
    cmp "$DS/big/big.img" "$W/download/big.img"
    [ ! -e "$part" ]
}

@test "fetch-ssh: a remote file changed between runs is downloaded again from 0" {
    start_big
    wait_chunks 1 || { cat bg.err >&2; false; }
    kill -9 "$pid"; wait "$pid" || true
    cp "$DS/big/big.img" big.copy
    touch -d '2001-01-01' "$DS/big/big.img"
    fetch "$URL/big/big.img" --format raw
    touch -d "@$(stat -c %Y big.copy)" "$DS/big/big.img"
    assert_status 0
    [[ "$stderr" == *"started again from 0"* ]]
    [ "$(j .vm.source.remote.files[0].resumed_from)" = 0 ]
    cmp "$DS/big/big.img" "$W/download/big.img"
}

@test "fetch-ssh: a file that changes size during the transfer" {
    cp --sparse=always "$DS/big/big.img" "$DS/big/shrink.img"
    part="$W/download/shrink.img.part"
    h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        --identity-file "$S/client_ed25519" --format raw "$URL/big/shrink.img" \
        > bg.out 2> bg.err 3>&- &
    pid=$!
    wait_chunks 1 || { cat bg.err >&2; false; }
    truncate -s 512M "$DS/big/shrink.img"
    status=0; wait "$pid" || status=$?
    output="$(cat bg.out)" stderr="$(cat bg.err)"
    rm -f "$DS/big/shrink.img"
    one_line_error "$URL/big/shrink.img" "changed"
    [ ! -e "$W/download/shrink.img" ]
}

@test "fetch-ssh: an unknown host key is refused with its fingerprint" {
    : > empty_known_hosts
    fp="$(ssh-keygen -l -E sha256 -f "$S/host_ed25519.pub" | cut -d' ' -f2)"
    run_tool h2k-fetch --workdir "$W" --known-hosts empty_known_hosts \
        --identity-file "$S/client_ed25519" "$URL/web01/web01.vmx"
    one_line_error "$URL/web01/web01.vmx" "is not known" "$fp" "ssh-keyscan -p $PORT 127.0.0.1"
    [ ! -e "$W/download/web01.vmx" ]
}

@test "fetch-ssh: a changed host key is refused" {
    ssh-keygen -q -t ed25519 -N '' -f other_key
    echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 other_key.pub)" > changed_known_hosts
    run_tool h2k-fetch --workdir "$W" --known-hosts changed_known_hosts \
        --identity-file "$S/client_ed25519" "$URL/web01/web01.vmx"
    one_line_error "$URL/web01/web01.vmx" "CHANGED" "SHA256:"
}

@test "fetch-ssh: a key the server does not accept" {
    ssh-keygen -q -t ed25519 -N '' -f stranger
    run_tool h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        --identity-file stranger "$URL/web01/web01.vmx"
    one_line_error "$URL/web01/web01.vmx" "authentication failed for root" "tried: key stranger"
}

@test "fetch-ssh: an encrypted key takes its passphrase from --password-file" {
    ssh-keygen -q -t ed25519 -N "pass-$$" -f locked
    cat locked.pub >> "$S/authorized_keys"
    echo "pass-$$" > passphrase
    run_tool h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        --identity-file locked --password-file passphrase "$URL/abs/small.qcow2"
    assert_status 0
    cmp "$DS/abs/small.qcow2" "$W/download/small.qcow2"
    rm -rf "$W"
    run_tool h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        --identity-file locked "$URL/abs/small.qcow2"
    one_line_error "$URL/abs/small.qcow2" "--identity-file locked" "cannot read the private key"
}

@test "fetch-ssh: the key from an ssh-agent; sftp:// is the same as ssh://" {
    requires ssh-agent ssh-add
    eval "$(ssh-agent -s -a "$BATS_TEST_TMPDIR/agent.sock")" >/dev/null
    ssh-add -q "$S/client_ed25519" 2>/dev/null
    run_tool h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        "sftp://root@127.0.0.1:$PORT$DS/abs/small.qcow2"
    kill "$SSH_AGENT_PID"
    assert_status 0
    [ "$(j .vm.source.url)" = "sftp://root@127.0.0.1:$PORT$DS/abs/small.qcow2" ]
    cmp "$DS/abs/small.qcow2" "$W/download/small.qcow2"
}

@test "fetch-ssh: nothing to log in with" {
    run_tool h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" "$URL/abs/small.qcow2"
    one_line_error "$URL/abs/small.qcow2" "authentication failed for root" "tried: nothing"
}

requires_password_user ()
{
    [ -f "$T/user-created" ] || skip "no test user with a password (needs root and useradd)"
}

@test "fetch-ssh: a password from --password-env logs in; a wrong one fails" {
    requires_password_user
    purl="ssh://$PASSWORD_USER@127.0.0.1:$PORT$DS/web 01/web 01.vmx"
    H2K_PW="$TEST_PASSWORD" run_tool h2k-fetch --workdir "$W" \
        --known-hosts "$S/known_hosts" --password-env H2K_PW "${purl// /%20}"
    assert_status 0
    same_files "$DS/web 01" "$W/download" "web 01.vmdk"
    rm -rf "$W"
    echo "not-$TEST_PASSWORD" > wrong
    run_tool h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        --password-file wrong "${purl// /%20}"
    one_line_error "$purl" "authentication failed for $PASSWORD_USER" "tried: password"
}

@test "fetch-ssh: the password never shows: not in the output, the log at -vvv, the manifest" {
    requires_password_user
    purl="ssh://$PASSWORD_USER@127.0.0.1:$PORT$DS/web01/web01.vmx"
    echo "$TEST_PASSWORD" > pw
    run_tool h2k-fetch -vvv --workdir "$W" --known-hosts "$S/known_hosts" \
        --password-file pw "$purl"
    assert_status 0
    [[ "$stderr" == *"libssh"* ]]
    [[ "$output$stderr" != *"$TEST_PASSWORD"* ]]
    ! grep -rq -- "$TEST_PASSWORD" "$W"
    echo "not-$TEST_PASSWORD" > wrong
    rm -rf "$W"
    run_tool h2k-fetch -vvv --workdir "$W" --known-hosts "$S/known_hosts" \
        --password-file wrong "$purl"
    assert_failed_cleanly
    [[ "$output$stderr" != *"$TEST_PASSWORD"* ]]
}

@test "fetch-ssh: a disk outside the VM's directory is refused" {
    fetch "$URL/out/out.vmx"
    one_line_error "$URL/out/out.vmx" "scsi0:0.fileName" "../web01/web01.vmdk" "outside the VM's directory"
}

@test "fetch-ssh: a disk missing on the host" {
    fetch "$URL/missing/missing.vmx"
    one_line_error "$URL/missing/missing.vmx" "scsi0:0.fileName" "gone.vmdk" "no such file"
}

@test "fetch-ssh: a missing source file" {
    fetch "$URL/web01/nothing.vmx"
    one_line_error "$URL/web01/nothing.vmx" "no such file"
}

@test "fetch-ssh: a server that refuses SFTP" {
    export SSHD2_DIR="$T/ssh-nosftp"
    SSHD_NO_SFTP=1 sshd_start "$SSHD2_DIR" || skip "a second sshd did not start"
    run_tool h2k-fetch --workdir "$W" --known-hosts "$SSHD2_DIR/known_hosts" \
        --identity-file "$SSHD2_DIR/client_ed25519" \
        "ssh://root@127.0.0.1:$SSHD_PORT$DS/web01/web01.vmx"
    sshd_stop "$SSHD2_DIR"
    one_line_error "ssh://root@127.0.0.1:$SSHD_PORT$DS/web01/web01.vmx" "refused SFTP"
}

@test "fetch-ssh: disk full in the workdir" {
    mkdir small
    mount -t tmpfs -o size=8m tmpfs small 2>/dev/null || skip "cannot mount a tmpfs (needs root)"
    W="$BATS_TEST_TMPDIR/small/w"
    fetch "$URL/big/big.img" --format raw
    left="$(find small -type f -name '*.part' | wc -l)"
    umount small
    one_line_error "$URL/big/big.img: writing $W/download/big.img.part" "No space left on device"
    [ "$left" -ge 1 ]
}
