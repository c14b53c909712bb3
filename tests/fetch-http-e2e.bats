#!/usr/bin/env bats
# bats file_tags=guests
# The whole pipeline from an HTTPS URL: the real Debian test guest
# (tests/images: debian-bios) as an OVA, served by nginx on 127.0.0.1
# with a certificate from a CA made here, then
#
#   h2k-fetch https://... | h2k-flatten | h2k-inspect | h2k-fix-linux |
#   h2k-convert | h2k-validate
#
# runs once (setup_file); it boots the guest under TCG (minutes).

load helpers
. "$BATS_TEST_DIRNAME/lib/nginx.sh"

setup_file ()
{
    requires_image debian-bios
    requires jq qemu-img nginx openssl python3
    # shellcheck disable=SC1091
    . "$image/facts"
    local d="$BATS_FILE_TMPDIR/srv" port
    export image W="$BATS_FILE_TMPDIR/work" M="$BATS_FILE_TMPDIR" srv="$d"
    mkdir -p "$d/www"
    make_tls "$d"
    ln "$image/$OVA" "$d/www/$OVA" 2>/dev/null || cp "$image/$OVA" "$d/www/$OVA"
    port=$(free_port)
    {
        nginx_http_block "$d"
        cat <<EOF
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $d/good.pem;
        ssl_certificate_key $d/good.key;
        root $d/www;
    }
}
EOF
    } >"$d/nginx.conf"
    nginx_start "$d" "$d/nginx.conf"
    export URL="https://127.0.0.1:$port/$OVA"
    sha256sum "$image/$OVA" >"$M/source.sha256"

    h2k-fetch --workdir "$W" --cacert "$d/ca.pem" "$URL" >"$M/fetched.json" 2>"$M/fetch.err"
    nginx_stop "$d"
    h2k-flatten <"$M/fetched.json" >"$M/flattened.json"
    h2k-inspect <"$M/flattened.json" >"$M/inspected.json"
    h2k-fix-linux <"$M/inspected.json" >"$M/fixed.json"
    h2k-convert --output-dir "$M/out" <"$M/fixed.json" >"$M/converted.json"
    h2k-validate <"$M/converted.json" >"$M/validated.json"
}

teardown_file ()
{
    nginx_stop "$BATS_FILE_TMPDIR/srv"
}

setup ()
{
    [ -s "$M/fetched.json" ] || skip "h2k-fetch did not run (see setup_file)"
    # shellcheck disable=SC1091
    . "$image/facts"
}

@test "https e2e: the OVA came over TLS, verified, and is recorded" {
    f="$M/fetched.json"
    [ "$(jq -r .vm.source.kind "$f")" = ova ]
    [ "$(jq -r .vm.source.url "$f")" = "$URL" ]
    [ "$(jq -r .vm.source.remote.protocol "$f")" = https ]
    [ "$(jq -r .vm.source.remote.insecure "$f")" = false ]
    [ "$(jq -r .vm.source.manifest_verified "$f")" = sha256 ]
    [ "$(jq -r '.vm.source.remote.files[0].size' "$f")" = "$(stat -c %s "$image/$OVA")" ]
    cmp "$W/download/$OVA" "$image/$OVA"
    sha256sum -c --quiet "$M/source.sha256"
}

@test "https e2e: the guest boots on virtio-blk and answers on its static IP" {
    [ -s "$M/validated.json" ] || skip "the pipeline did not run to the end (see setup_file)"
    f="$M/validated.json"
    [ "$(jq -r .validation.status "$f")" = passed ]
    [ "$(jq -r .validation.bus "$f")" = virtio-blk ]
    [ "$(jq -r '.validation.disks[0].path' "$f")" = "$(jq -r .disks[0].output.path "$f")" ]
    [ "$(jq -r .validation.signal "$f")" = beacon ]
    [ "$(jq -r .validation.offline.status "$f")" = passed ]
    jq -e --arg n "$NIC" --arg a "$IP/$PREFIX" \
        '.validation.reported[] | select(.name == $n) | .addresses | index($a) != null' "$f"
    [ "$(jq -r '.validation.nics[0].proven' "$f")" = true ]
}

@test "https e2e: every stage is recorded, in order" {
    [ -s "$M/validated.json" ] || skip "the pipeline did not run to the end (see setup_file)"
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$M/validated.json")" = \
      "h2k-fetch h2k-flatten h2k-inspect h2k-fix-linux h2k-convert h2k-validate" ]
    [ "$(jq -r '[.stages[].status] | unique | join(" ")' "$M/validated.json")" = ok ]
    [ "$(jq -r .vm.source.url "$M/validated.json")" = "$URL" ]
}
