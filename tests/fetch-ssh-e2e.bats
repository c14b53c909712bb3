#!/usr/bin/env bats
# bats file_tags=guests
# The Linux path end to end from an SSH source: the debian-bios image's
# snapshot chain (tests/images: chain/debian-bios.vmx -> base-000001.vmdk,
# a delta over base.vmdk) served by OpenSSH's sshd on 127.0.0.1, started
# here, and read over SFTP:
#
#   h2k-fetch ssh://root@127.0.0.1:PORT/.../debian-bios.vmx | h2k-flatten |
#   h2k-inspect | h2k-fix-linux | h2k-convert | h2k-validate
#
# The pipeline runs once (setup_file); each test checks one promise on
# the manifests it left.  It boots the converted guest (TCG: minutes).

load helpers
load lib/sshd

setup_file ()
{
    requires_image debian-bios
    requires /usr/sbin/sshd ssh-keygen ssh-keyscan jq qemu-img qemu-io qemu-system-x86_64
    # shellcheck disable=SC1091
    . "$image/facts"
    export image W="$BATS_FILE_TMPDIR/work" M="$BATS_FILE_TMPDIR" S="$BATS_FILE_TMPDIR/ssh"
    sshd_start "$S" || return 1
    export URL="ssh://root@127.0.0.1:$SSHD_PORT$image/$CHAIN_VMX"
    (cd "$image" && sha256sum "$CHAIN_TOP" "$CHAIN_BASE" "$CHAIN_VMX") > "$M/source.sha256"

    env -u SSH_AUTH_SOCK h2k-fetch --workdir "$W" --known-hosts "$S/known_hosts" \
        --identity-file "$S/client_ed25519" "$URL" > "$M/fetched.json"
    sshd_stop "$S"
    h2k-flatten < "$M/fetched.json" > "$M/flattened.json"
    h2k-inspect < "$M/flattened.json" > "$M/inspected.json"
    h2k-fix-linux < "$M/inspected.json" > "$M/fixed.json"
    h2k-convert --output-dir "$M/out" < "$M/fixed.json" > "$M/converted.json"
    h2k-validate < "$M/converted.json" > "$M/validated.json"
    (cd "$image" && sha256sum -c --quiet "$M/source.sha256") > "$M/source-after.check" 2>&1 ||
        echo changed >> "$M/source-after.check"
}

teardown_file ()
{
    sshd_stop "$S"
}

setup ()
{
    [ -s "$M/validated.json" ] || skip "the pipeline did not run to the end (see setup_file)"
    # shellcheck disable=SC1091
    . "$image/facts"
}

@test "fetch-ssh e2e: the VMX, the delta and its base arrived over SFTP, byte for byte" {
    f="$M/fetched.json"
    [ "$(jq -r .vm.source.url "$f")" = "$URL" ]
    [ "$(jq -r .vm.source.remote.protocol "$f")" = sftp ]
    [ "$(jq -r '.vm.source.remote.files | length' "$f")" = 3 ]
    (cd "$image/chain" && sha256sum base-000001.vmdk base.vmdk debian-bios.vmx) |
        (cd "$W/download" && sha256sum -c --quiet)
    [ "$(jq -r .disks[0].source.path "$f")" = "$W/download/base-000001.vmdk" ]
}

@test "fetch-ssh e2e: h2k-flatten collapses the downloaded delta over its downloaded base" {
    f="$M/flattened.json"
    [ "$(jq -r '[.disks[0].chain[].path] | join(" ")' "$f")" = \
      "$W/download/base-000001.vmdk $W/download/base.vmdk" ]
    [ "$(jq -r .disks[0].flatten.action "$f")" = collapse ]
    read="read -P $SNAPSHOT_PATTERN_BYTE $SNAPSHOT_PATTERN_OFFSET $SNAPSHOT_PATTERN_LENGTH"
    run qemu-io -r -f qcow2 -c "$read" "$(jq -r .disks[0].current.path "$f")"
    [ "$status" -eq 0 ]
    [[ "$output" != *"Pattern verification failed"* ]]
}

@test "fetch-ssh e2e: the converted guest boots on virtio-blk and answers on its static IP" {
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

@test "fetch-ssh e2e: the source files on the host are unchanged" {
    [ ! -s "$M/source-after.check" ]
    cd "$image" && sha256sum -c --quiet "$M/source.sha256"
}

@test "fetch-ssh e2e: every stage is recorded, in order, under the source URL" {
    [ "$(jq -r '[.stages[].tool] | join(" ")' "$M/validated.json")" = \
      "h2k-fetch h2k-flatten h2k-inspect h2k-fix-linux h2k-convert h2k-validate" ]
    [ "$(jq -r '[.stages[].status] | unique | join(" ")' "$M/validated.json")" = ok ]
    [ "$(jq -r .vm.source.url "$M/validated.json")" = "$URL" ]
}
