#!/usr/bin/env bats
# h2k-fetch on http:// and https:// URLs, against a real nginx that
# setup_file starts on 127.0.0.1 (free ports, a private configuration, a
# CA and certificates made here) and teardown_file stops.  Locations:
#   /            the files (Range works)
#   /noranges/   the same files, Range ignored (max_ranges 0)
#   /slow/       the same files at 16 MiB/s per connection (to kill or
#                break a transfer mid-file)
#   /auth/       the same files behind basic auth (user alice)
#   /bearer/     the same files for "Authorization: Bearer h2k-test-token"
#   /redir/      302 to /disk.qcow2; /downgrade/ 302 to the http server
#   /e403/ /e500/  always that status
# Servers: $http (plain), $https (certificate for 127.0.0.1 and
# localhost), $https_other (certificate for h2k-test.invalid only).

load helpers
. "$BATS_TEST_DIRNAME/lib/ovf-package.sh"
. "$BATS_TEST_DIRNAME/lib/nginx.sh"

PASSWORD='Tr0ub4dor&3-h2k-secret'

setup_file ()
{
    local d="$BATS_FILE_TMPDIR/srv" missing=""
    for c in nginx openssl qemu-img qemu-io jq sha256sum tar curl python3; do
        command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    if [ -n "$missing" ]; then
        echo "$missing" >"$BATS_FILE_TMPDIR/missing"
        return 0
    fi
    mkdir -p "$d/www" "$d/pkg"
    make_tls "$d" || { echo "openssl failed" >"$BATS_FILE_TMPDIR/missing"; return 0; }
    make_data "$d"
    printf 'alice:%s\n' "$(openssl passwd -apr1 "$PASSWORD")" >"$d/htpasswd"
    http_port=$(free_port); https_port=$(free_port); other_port=$(free_port)
    {
        nginx_http_block "$d"
        for s in "$http_port" "$https_port ssl" "$other_port ssl"; do
            cert=good
            [ "$s" = "$other_port ssl" ] && cert=other
            cat <<EOF
    server {
        listen 127.0.0.1:$s;
        ssl_certificate $d/$cert.pem;
        ssl_certificate_key $d/$cert.key;
        root $d/www;
        location /noranges/ { alias $d/www/; max_ranges 0; }
        location /slow/ { alias $d/www/; limit_rate 16m; }
        location /auth/ { alias $d/www/; auth_basic "h2k"; auth_basic_user_file $d/htpasswd; }
        location /bearer/ {
            alias $d/www/;
            if (\$http_authorization != "Bearer h2k-test-token") { return 401; }
        }
        location /redir/ { return 302 /disk.qcow2; }
        location /downgrade/ { return 302 http://127.0.0.1:$http_port/disk.qcow2; }
        location /e403/ { return 403; }
        location /nohead/ {
            alias $d/www/;
            if (\$request_method = HEAD) { return 405; }
        }
        location /e500/ { return 500; }
    }
EOF
        done
        echo "}"
    } >"$d/nginx.conf"
    nginx_start "$d" "$d/nginx.conf" || { echo "nginx did not start" >"$BATS_FILE_TMPDIR/missing"; return 0; }
    export srv="$d"
    export http="http://127.0.0.1:$http_port"
    export https="https://127.0.0.1:$https_port"
    export https_other="https://127.0.0.1:$other_port"
}

teardown_file ()
{
    nginx_stop "$BATS_FILE_TMPDIR/srv"
}

# The files served: the OVF package (web01.ovf, .mf, disk1.vmdk) in
# www/pkg/, web01.ova, disk.qcow2 (16 MiB, data at 0 and 8 MiB), and
# big.raw (160 MiB, 1 MiB of random data every 8 MiB: five chunks).
make_data ()
{
    local d="$1"
    (
        cd "$d" &&
        make_pkg pkg &&
        mkdir -p www/pkg &&
        cp pkg/web01.ovf pkg/web01.mf pkg/disk1.vmdk www/pkg/ &&
        tar -cf www/web01.ova -C pkg web01.ovf web01.mf disk1.vmdk &&
        cp src.qcow2 www/disk.qcow2 &&
        make_big www/big.raw 160 1
    )
}

setup ()
{
    [ ! -e "$BATS_FILE_TMPDIR/missing" ] ||
        skip "cannot run the servers: $(cat "$BATS_FILE_TMPDIR/missing")"
    cd "$BATS_TEST_TMPDIR"
}

j () { jq -r "$1" <<<"$output"; }

# wait_for_chunk PARTSTATE: until the state file records a done chunk.
wait_for_chunk ()
{
    local i
    for i in $(seq 300); do
        grep -q '"done": *"[01]*1' "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

@test "https: an OVA, verified, recorded with its URL" {
    run_tool h2k-fetch --workdir w --cacert "$srv/ca.pem" "$https/web01.ova"
    assert_status 0
    [ "$(j .vm.source.kind)" = ova ]
    [ "$(j .vm.source.url)" = "$https/web01.ova" ]
    [ "$(j .vm.source.path)" = "$PWD/w/download/web01.ova" ]
    [ "$(j .vm.source.manifest_verified)" = sha256 ]
    [ "$(j .vm.source.remote.protocol)" = https ]
    [ "$(j .vm.source.remote.insecure)" = false ]
    [ "$(j '.vm.source.remote.files | length')" = 1 ]
    [ "$(j '.vm.source.remote.files[0].url')" = "$https/web01.ova" ]
    [ "$(j '.vm.source.remote.files[0].size')" = "$(stat -c %s "$srv/www/web01.ova")" ]
    [ "$(j '.vm.source.remote.files[0].resumed_from')" = 0 ]
    [[ "$(j '.vm.source.remote.files[0].validator')" == etag:* ]]
    cmp w/download/web01.ova "$srv/www/web01.ova"
    [ "$(j .disks[0].source.path)" = "$PWD/w/web01.ova.d/disk1.vmdk" ]
    [ ! -e w/download/web01.ova.part ] && [ ! -e w/download/web01.ova.part.state ]
    # Rerun into a fresh workdir name but the same download: nothing fetched.
    run_tool h2k-fetch --workdir w2 --cacert "$srv/ca.pem" "$https/web01.ova"
    assert_status 0
}

@test "http: an OVF, its disk and its .mf, fetched beside it and verified" {
    run_tool h2k-fetch --workdir w "$http/pkg/web01.ovf"
    assert_status 0
    [ "$(j .vm.source.kind)" = ovf ]
    [ "$(j .vm.name)" = web01 ]
    [ "$(j .vm.source.manifest_verified)" = sha256 ]
    [ "$(j .vm.source.remote.protocol)" = http ]
    [ "$(j '[.vm.source.remote.files[].url] | join(" ")')" = \
      "$http/pkg/web01.ovf $http/pkg/disk1.vmdk $http/pkg/web01.mf" ]
    cmp w/download/disk1.vmdk "$srv/www/pkg/disk1.vmdk"
    [ "$(j .disks[0].source.path)" = "$PWD/w/download/disk1.vmdk" ]
}

@test "--dry-run of an OVF URL: the plan, every file sized, nothing downloaded" {
    : >"$srv/logs/access.log"
    run_tool h2k-fetch -n --workdir w "$http/pkg/web01.ovf"
    assert_status 0
    [ ! -e w ]
    local ovf=$(stat -c %s "$srv/www/pkg/web01.ovf")
    local disk=$(stat -c %s "$srv/www/pkg/disk1.vmdk")
    local mf=$(stat -c %s "$srv/www/pkg/web01.mf")
    [ "$(j .vm.source.kind)" = ovf ]
    [ "$(j .vm.source.url)" = "$http/pkg/web01.ovf" ]
    [ "$(j .vm.source.path)" = "$PWD/w/download/web01.ovf" ]
    [ "$(j '.disks | length')" = 0 ]
    [ "$(j '[.vm.source.remote.files[] | "\(.url) \(.path) \(.size) \(.planned) \(has("resumed_from"))"] | join(",")')" = \
      "$http/pkg/web01.ovf $PWD/w/download/web01.ovf $ovf true false,$http/pkg/disk1.vmdk $PWD/w/download/disk1.vmdk $disk true false,$http/pkg/web01.mf $PWD/w/download/web01.mf $mf true false" ]
    [ "$(j .vm.source.remote.total_bytes)" = $((ovf + disk + mf)) ]
    # One info line a file and the total, on stderr.
    [[ "$stderr" == *"plan: $http/pkg/disk1.vmdk: $disk bytes"* ]]
    [[ "$stderr" == *"3 files, $((ovf + disk + mf)) bytes"* ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" = 4 ]
    # The disk and the .mf: HEAD only; only the .ovf was read.
    ! grep '"GET /pkg/disk1.vmdk' "$srv/logs/access.log"
    ! grep '"GET /pkg/web01.mf' "$srv/logs/access.log"
    grep -q '"HEAD /pkg/disk1.vmdk' "$srv/logs/access.log"
    grep -q '"GET /pkg/web01.ovf' "$srv/logs/access.log"
    # The manifest passes the next tool's schema check (once the workdir
    # exists).
    mkdir w
    run_tool h2k-flatten -n <<<"$output"
    assert_status 0
}

@test "--dry-run of a disk image URL: HEAD only; a bad certificate still fails in one line" {
    : >"$srv/logs/access.log"
    run_tool h2k-fetch -n --workdir w --cacert "$srv/ca.pem" "$https/big.raw" --format raw
    assert_status 0
    [ ! -e w ]
    [ "$(j .vm.source.kind)" = raw ]
    [ "$(j '.vm.source.remote.files[0].size')" = $((160 << 20)) ]
    [ "$(j '.vm.source.remote.files[0].planned')" = true ]
    ! grep '"GET /big.raw' "$srv/logs/access.log"
    # A server refusing HEAD: the first byte is asked for instead.
    run_tool h2k-fetch -n --workdir w "$http/nohead/disk.qcow2"
    assert_status 0
    [ "$(j '.vm.source.remote.files[0].size')" = "$(stat -c %s "$srv/www/disk.qcow2")" ]
    grep -q '"HEAD /nohead/disk.qcow2 HTTP/1.1" 405 ' "$srv/logs/access.log"
    grep -q '"GET /nohead/disk.qcow2 HTTP/1.1" 206 1 ' "$srv/logs/access.log"
    run_tool h2k-fetch -n --workdir w "$https/disk.qcow2"
    one_line_error "$https/disk.qcow2" "certificate"
    [ ! -e w ]
    run_tool h2k-fetch -n --workdir w "$http/nothing.qcow2"
    one_line_error "$http/nothing.qcow2: HTTP 404"
}

@test "http: an OVF whose disk the server lacks: one line naming its URL" {
    mkdir -p "$srv/www/broken"
    sed 's/disk1.vmdk/missing.vmdk/' "$srv/www/pkg/web01.ovf" >"$srv/www/broken/web01.ovf"
    run_tool h2k-fetch --workdir w "$http/broken/web01.ovf"
    one_line_error "$http/broken/missing.vmdk" "HTTP 404"
}

@test "http: a VMDK snapshot, its parent descriptor and flat extent, fetched beside it" {
    mkdir -p "$srv/www/vmdk"
    (
        cd "$srv/www/vmdk" &&
        qemu-img create -q -f vmdk -o subformat=monolithicFlat base.vmdk 16M &&
        qemu-io -f vmdk -c 'write -q -P 0x11 0 1M' base.vmdk >/dev/null &&
        qemu-img create -q -f vmdk -b base.vmdk -F vmdk child.vmdk &&
        qemu-io -f vmdk -c 'write -q -P 0x22 4M 1M' child.vmdk >/dev/null
    )
    run_tool h2k-fetch --workdir w "$http/vmdk/child.vmdk"
    assert_status 0
    [ "$(j '[.vm.source.remote.files[].url] | join(" ")')" = \
      "$http/vmdk/child.vmdk $http/vmdk/base.vmdk $http/vmdk/base-flat.vmdk" ]
    for f in child.vmdk base.vmdk base-flat.vmdk; do
        cmp "w/download/$f" "$srv/www/vmdk/$f"
    done
    qemu-img compare -q w/download/child.vmdk "$srv/www/vmdk/child.vmdk"
    # An extent outside the directory is refused.
    sed 's/"base-flat.vmdk"/"..\/base-flat.vmdk"/' "$srv/www/vmdk/base.vmdk" >"$srv/www/vmdk/evil.vmdk"
    run_tool h2k-fetch --workdir w2 "$http/vmdk/evil.vmdk"
    one_line_error "$http/vmdk/evil.vmdk" "'../base-flat.vmdk' is not a file beside it"
}

@test "https: a qcow2 image with --sha256, verified and recorded" {
    sum=$(sha256sum "$srv/www/disk.qcow2" | cut -d' ' -f1)
    run_tool h2k-fetch --workdir w --cacert "$srv/ca.pem" --sha256 "$sum" "$https/disk.qcow2"
    assert_status 0
    [ "$(j .vm.source.kind)" = qcow2 ]
    [ "$(j .vm.name)" = disk ]
    [ "$(j '.vm.source.remote.files[0].sha256')" = "$sum" ]
    [ "$(j .disks[0].source.format)" = qcow2 ]
    cmp w/download/disk.qcow2 "$srv/www/disk.qcow2"
    # Complete from that run: a wrong digest now is one line, and the
    # file, proven right before, stays.
    run_tool h2k-fetch --workdir w --cacert "$srv/ca.pem" --sha256 "$(printf '1%.0s' $(seq 64))" "$https/disk.qcow2"
    one_line_error "$https/disk.qcow2: sha256 mismatch"
    cmp w/download/disk.qcow2 "$srv/www/disk.qcow2"
}

@test "a digest mismatch: one line, nothing published" {
    run_tool h2k-fetch --workdir w --sha256 "$(printf '0%.0s' $(seq 64))" "$http/disk.qcow2"
    one_line_error "$http/disk.qcow2" "sha256 mismatch"
    [ ! -e w/download/disk.qcow2 ] && [ ! -e w/download/disk.qcow2.part ]
}

@test "HTTP 404, 403 and 500: one line naming the URL and the status" {
    run_tool h2k-fetch --workdir w "$http/nothing.qcow2"
    one_line_error "$http/nothing.qcow2: HTTP 404 Not Found"
    run_tool h2k-fetch --workdir w "$http/e403/x.qcow2"
    one_line_error "$http/e403/x.qcow2: HTTP 403 Forbidden"
    run_tool h2k-fetch --workdir w "$http/e500/x.qcow2"
    one_line_error "$http/e500/x.qcow2: HTTP 500 Internal Server Error"
}

@test "TLS: a certificate from an unknown CA is refused" {
    run_tool h2k-fetch --workdir w "$https/disk.qcow2"
    one_line_error "$https/disk.qcow2" "certificate"
    [ ! -e w/download/disk.qcow2 ]
}

@test "TLS: a certificate for another host name is refused" {
    run_tool h2k-fetch --workdir w --cacert "$srv/ca.pem" "$https_other/disk.qcow2"
    one_line_error "$https_other/disk.qcow2" "127.0.0.1"
}

@test "TLS: --insecure works, warns, and is recorded" {
    run_tool h2k-fetch --workdir w --insecure "$https_other/disk.qcow2"
    assert_status 0
    [[ "$stderr" == *"--insecure"* ]]
    [ "$(j .vm.source.remote.insecure)" = true ]
    [[ "$(j .vm.source.remote.warning)" == *"not verified"* ]]
}

@test "a server that ignores Range: one stream, the same bytes" {
    : >"$srv/logs/access.log"
    run_tool h2k-fetch --workdir w --format raw "$http/noranges/big.raw"
    assert_status 0
    cmp w/download/big.raw "$srv/www/big.raw"
    ! grep '/noranges/big.raw' "$srv/logs/access.log" | grep -q '" 206 '
    grep '/noranges/big.raw' "$srv/logs/access.log" | grep -q '" 200 '
}

@test "holes stay holes: zero blocks are not written" {
    run_tool h2k-fetch --workdir w --format raw "$http/big.raw"
    assert_status 0
    cmp w/download/big.raw "$srv/www/big.raw"
    # 20 MiB of data in a 160 MiB file.
    [ "$(du -k w/download/big.raw | cut -f1)" -lt 40000 ]
}

@test "kill -9 mid-file, then the same command resumes" {
    h2k-fetch --workdir w --format raw "$http/slow/big.raw" >/dev/null 2>err &
    pid=$!
    wait_for_chunk w/download/big.raw.part.state
    kill -9 $pid
    wait $pid || true
    [ -e w/download/big.raw.part ]
    : >"$srv/logs/access.log"
    run_tool h2k-fetch --workdir w --format raw "$http/slow/big.raw"
    assert_status 0
    [[ "$stderr" == *"resumed: "* ]]
    [ "$(j '.vm.source.remote.files[0].resumed_from')" -gt 0 ]
    cmp w/download/big.raw "$srv/www/big.raw"
    # Only the missing chunks were asked for (and the first byte).
    [ "$(grep -c '"GET /slow/big.raw HTTP/1.1" 206 33554432 ' "$srv/logs/access.log")" -lt 5 ]
}

@test "the remote file changed between runs: started again from 0" {
    cp "$srv/www/big.raw" "$srv/www/change.raw"
    h2k-fetch --workdir w --format raw "$http/slow/change.raw" >/dev/null 2>err &
    pid=$!
    wait_for_chunk w/download/change.raw.part.state
    kill -9 $pid
    wait $pid || true
    make_big "$srv/www/change.raw" 96 2
    # A failure after the restart (a wrong digest) is still one line.
    run_tool h2k-fetch --workdir w --format raw --sha256 "$(printf '2%.0s' $(seq 64))" "$http/change.raw"
    one_line_error "$http/change.raw: sha256 mismatch"
    # Again: a part file of the old content, then a good run.
    cp "$srv/www/big.raw" "$srv/www/change.raw"
    h2k-fetch --workdir w --format raw "$http/slow/change.raw" >/dev/null 2>err &
    pid=$!
    wait_for_chunk w/download/change.raw.part.state
    kill -9 $pid
    wait $pid || true
    make_big "$srv/www/change.raw" 96 2
    run_tool h2k-fetch --workdir w --format raw "$http/change.raw"
    assert_status 0
    [[ "$stderr" == *"started again from 0"* ]]
    [ "$(j '.vm.source.remote.files[0].resumed_from')" = 0 ]
    cmp w/download/change.raw "$srv/www/change.raw"
}

@test "a file that changes during the transfer: one line naming the URL" {
    cp "$srv/www/big.raw" "$srv/www/grow.raw"
    h2k-fetch --workdir w --format raw "$http/slow/grow.raw" >out 2>err &
    pid=$!
    sleep 0.5
    truncate -s +1M "$srv/www/grow.raw"
    status=0
    wait $pid || status=$?
    output="$(cat out)" stderr="$(cat err)"
    one_line_error "$http/slow/grow.raw" "changed during the transfer"
    [ -e w/download/grow.raw.part ]
}

@test "the connection drops mid-file: retried, then complete" {
    h2k-fetch --workdir w --format raw "$http/slow/big.raw" >out 2>err &
    pid=$!
    sleep 1
    # Kill nginx's worker: its connections drop; the master starts another.
    worker=$(pgrep -P "$(cat "$srv/nginx.pid")" | head -n 1)
    kill -9 "$worker"
    status=0
    wait $pid || status=$?
    output="$(cat out)" stderr="$(cat err)"
    assert_status 0
    [[ "$stderr" == *"retried (the last: "* ]]
    cmp w/download/big.raw "$srv/www/big.raw"
}

@test "disk full in the workdir: one line, the part file kept" {
    requires mount umount
    mkdir w
    mount -t tmpfs -o size=20m h2k-test w 2>/dev/null || skip "cannot mount a tmpfs here"
    head -c 40M /dev/urandom >"$srv/www/full.raw"
    run_tool h2k-fetch --workdir w --format raw "$http/full.raw"
    umount w
    one_line_error "$http/full.raw: writing $PWD/w/download/full.raw.part" "No space left on device"
}

@test "a password in the URL is refused, and not shown" {
    run_tool h2k-fetch --workdir w "https://alice:$PASSWORD@127.0.0.1:1/x.qcow2"
    one_line_error "https://alice@127.0.0.1:1/x.qcow2" "--password-file"
    [[ "$stderr" != *"$PASSWORD"* ]]
}

@test "basic auth with --password-file; a wrong one is HTTP 401" {
    printf '%s\n' "$PASSWORD" >pw
    run_tool h2k-fetch --workdir w --password-file pw "${http/http:\/\//http://alice@}/auth/disk.qcow2"
    assert_status 0
    [ "$(j .vm.source.url)" = "${http/http:\/\//http://alice@}/auth/disk.qcow2" ]
    echo wrong >pw2
    run_tool h2k-fetch --workdir w2 --password-file pw2 "${http/http:\/\//http://alice@}/auth/disk.qcow2"
    one_line_error "HTTP 401 Unauthorized (wrong user or password?)"
    run_tool h2k-fetch --workdir w3 "$http/auth/disk.qcow2"
    one_line_error "$http/auth/disk.qcow2: HTTP 401"
}

@test "a bearer token from --token-file or --token-env" {
    echo h2k-test-token >tok
    run_tool h2k-fetch --workdir w --token-file tok "$http/bearer/disk.qcow2"
    assert_status 0
    run_tool env H2K_TOK=wrong h2k-fetch --workdir w2 --token-env H2K_TOK "$http/bearer/disk.qcow2"
    one_line_error "$http/bearer/disk.qcow2: HTTP 401 Unauthorized (wrong or expired token?)"
    grep -q '"GET /bearer/disk.qcow2' "$srv/logs/access.log"
}

@test "redirects are followed, but never from https to http" {
    run_tool h2k-fetch --workdir w --cacert "$srv/ca.pem" "$https/redir/x.qcow2"
    assert_status 0
    cmp w/download/x.qcow2 "$srv/www/disk.qcow2"
    run_tool h2k-fetch --workdir w2 --cacert "$srv/ca.pem" "$https/downgrade/x.qcow2"
    one_line_error "$https/downgrade/x.qcow2" "redirected to another protocol"
}

@test "secrets never show: stdout, stderr at -vvv, manifest, argv, logs" {
    printf '%s\n' "$PASSWORD" >pw
    url="${http/http:\/\//http://alice@}/auth/disk.qcow2"
    run_tool env H2K_PW="$PASSWORD" h2k-fetch -vvv --workdir w --password-env H2K_PW "$url"
    assert_status 0
    [[ "$stderr" == *"hidden"* ]]
    [[ "$output" != *"$PASSWORD"* ]] && [[ "$stderr" != *"$PASSWORD"* ]]
    # Basic auth on the wire is base64: look for that too.
    b64=$(printf 'alice:%s' "$PASSWORD" | base64 -w0)
    [[ "$stderr" != *"$b64"* ]] && [[ "$output" != *"$b64"* ]]
    ! grep -rqF "$PASSWORD" w
    # A long transfer: its argv and environment hold no secret.
    h2k-fetch --workdir w2 --format raw --password-file pw \
        "${http/http:\/\//http://alice@}/slow/big.raw" >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    ! tr '\0' ' ' </proc/$pid/cmdline | grep -qF "$PASSWORD"
    ! tr '\0' '\n' </proc/$pid/environ | grep -qF "$PASSWORD"
    kill $pid; wait $pid || true
}

@test "bad URL options: usage errors in one line" {
    run_tool h2k-fetch --connections 17 "$http/disk.qcow2"
    assert_status 2
    [[ "$stderr" == *"--connections"* ]]
    run_tool h2k-fetch --sha256 abc "$http/disk.qcow2"
    assert_status 2
    run_tool h2k-fetch --workdir w --password-file /nonexistent "${http/http:\/\//http://alice@}/disk.qcow2"
    one_line_error "--password-file: /nonexistent"
    run_tool h2k-fetch --workdir w --password-env H2K_UNSET_VAR "${http/http:\/\//http://alice@}/disk.qcow2"
    one_line_error "H2K_UNSET_VAR is not set"
    run_tool h2k-fetch --workdir w --password-file /dev/null "$http/disk.qcow2"
    one_line_error "a password needs a user name"
}
