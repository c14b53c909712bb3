#!/usr/bin/env bats
# h2k-convert: every source format to every output, verification fields,
# sparseness, all-or-nothing failures.

load helpers

# Source images, made once: a 32 MiB raw disk with distinct patterns (and
# a run of written zeroes) converted to every source format.
setup_file ()
{
    command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || return 0
    local d="$BATS_FILE_TMPDIR/src"
    mkdir -p "$d"
    qemu-img create -q -f raw "$d/base.raw" 32M
    qemu-io -f raw \
        -c 'write -P 0x11 0 1M' \
        -c 'write -P 0x22 3M 512k' \
        -c 'write -P 0x00 8M 1M' \
        -c 'write -P 0x33 17M 64k' \
        -c 'write -P 0x44 31M 1M' \
        "$d/base.raw" >/dev/null
    qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse "$d/base.raw" "$d/sparse.vmdk"
    qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$d/base.raw" "$d/stream.vmdk"
    qemu-img convert -f raw -O vpc "$d/base.raw" "$d/disk.vhd"
    qemu-img convert -f raw -O vhdx "$d/base.raw" "$d/disk.vhdx"
    qemu-img convert -f raw -O qcow2 "$d/base.raw" "$d/disk.qcow2"
    qemu-img convert -f raw -O vdi "$d/base.raw" "$d/disk.vdi"
    cp --sparse=always "$d/base.raw" "$d/disk.raw"
}

setup ()
{
    requires qemu-img qemu-io jq sha256sum
    src="$BATS_FILE_TMPDIR/src"
    out="$BATS_TEST_TMPDIR/out"
    mounted=""
}

teardown ()
{
    if [ -n "$mounted" ]; then umount "$mounted" 2>/dev/null || true; fi
}

# manifest NAME DISK... > file: DISK is ID=PATH:FORMAT.
manifest ()
{
    local name="$1"; shift
    local disks="[]" spec id path fmt
    for spec in "$@"; do
        id="${spec%%=*}"; path="${spec#*=}"; fmt="${path##*:}"; path="${path%:*}"
        disks=$(jq -c --arg id "$id" --arg p "$path" --arg f "$fmt" \
            '. + [{id: $id, source: {path: $p, format: $f}, current: {path: $p, format: $f}}]' \
            <<<"$disks")
    done
    jq -n --arg n "$name" --arg w "$BATS_TEST_TMPDIR" --argjson d "$disks" \
        '{h2k_manifest_version: 1, workdir: $w, vm: {name: $n}, disks: $d, stages: []}'
}

# No temporary files (.NAME.h2k-XXXXXX) in $out.
assert_no_temp ()
{
    if [ -d "$out" ] && [ -n "$(find "$out" -name '.*.h2k-*')" ]; then
        echo "temporary files left: $(ls -A "$out")" >&2
        return 1
    fi
}

# assert_output_ok FILE SRC SRCFMT OUTFMT COMPRESSION: the manifest in
# $output records FILE correctly.
assert_output_ok ()
{
    local file="$1" srcimg="$2" srcfmt="$3" fmt="$4" comp="$5" qsrc qfmt
    qsrc=$srcfmt; [ "$srcfmt" = vhd ] && qsrc=vpc
    local o; o=$(jq -c --arg p "$file" '.disks[] | select(.output.path == $p) | .output' <<<"$output")
    [ -n "$o" ] || { echo "no output record for $file" >&2; return 1; }
    [ -f "$file" ]
    [ "$(jq -r .format <<<"$o")" = "$fmt" ]
    [ "$(jq -r .compression <<<"$o")" = "$comp" ]
    [ "$(jq -r .preallocation <<<"$o")" = off ]
    [ "$(jq -r .sha256 <<<"$o")" = "$(sha256sum "$file" | cut -d' ' -f1)" ]
    [ "$(jq -r .allocated_size <<<"$o")" = "$(( $(stat -c %b "$file") * 512 ))" ] ||
        { echo "$file: allocated_size $(jq -r .allocated_size <<<"$o"), stat $(stat -c %b "$file") blocks" >&2; return 1; }
    [ "$(jq -r .virtual_size <<<"$o")" = \
      "$(qemu-img info -f "$qsrc" --output=json "$srcimg" | jq '."virtual-size"')" ]
    [ "$(jq -r .identical_to_source <<<"$o")" = true ]
    if [ "$fmt" = raw ]; then
        [ "$(jq -r .check.status <<<"$o")" = not-supported ]
    else
        [ "$(jq -r .check.status <<<"$o")" = clean ]
        [ "$(jq -r .check.corruptions <<<"$o")" = 0 ]
        [ "$(jq -r .check.leaks <<<"$o")" = 0 ]
    fi
    # Our own proof, not the tool's.
    qemu-img compare -q -f "$qsrc" -F "$fmt" "$srcimg" "$file"
    [ "$(qemu-img info --output=json "$file" | jq -r .format)" = "$fmt" ]
    if [ "$comp" != none ]; then
        [ "$(qemu-img info -f qcow2 --output=json "$file" |
             jq -r '."format-specific".data."compression-type"')" = "$comp" ]
    fi
}

# convert_all_outputs SRCFILE SRCFMT: convert to every output kind.
convert_all_outputs ()
{
    local img="$src/$1" fmt="$2" before after o
    manifest vm "disk0=$img:$fmt" > "$BATS_TEST_TMPDIR/m.json"
    before=$(sha256sum "$img")
    for o in qcow2:none raw:none vdi:none qcow2:zstd qcow2:zlib; do
        local ofmt="${o%:*}" comp="${o#*:}" args=()
        [ "$comp" != none ] && args=(--compress "$comp")
        rm -rf "$out"
        run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O "$ofmt" "${args[@]}" --output-dir "$out"
        assert_status 0
        assert_output_ok "$out/vm-disk0.$ofmt" "$img" "$fmt" "$ofmt" "$comp"
        [ "$(jq -r '.stages[-1].tool' <<<"$output")" = h2k-convert ]
        [ "$(jq -r '.stages[-1].status' <<<"$output")" = ok ]
        [ "$(jq -r '.disks[0].source.path' <<<"$output")" = "$img" ]
        [ "$(ls -A "$out")" = "vm-disk0.$ofmt" ]
    done
    after=$(sha256sum "$img")
    [ "$before" = "$after" ]
}

@test "vmdk monolithicSparse to qcow2, raw, vdi, zstd, zlib" {
    convert_all_outputs sparse.vmdk vmdk
}

@test "vmdk streamOptimized to every output" {
    convert_all_outputs stream.vmdk vmdk
}

@test "vhd (vpc) to every output" {
    convert_all_outputs disk.vhd vhd
}

@test "vhdx to every output" {
    convert_all_outputs disk.vhdx vhdx
}

@test "qcow2 to every output" {
    convert_all_outputs disk.qcow2 qcow2
}

@test "raw to every output" {
    convert_all_outputs disk.raw raw
}

@test "vdi to every output" {
    convert_all_outputs disk.vdi vdi
}

@test "a mostly empty 1 GiB disk stays sparse in every output format" {
    local img="$BATS_TEST_TMPDIR/big.vmdk" f
    qemu-img create -q -f vmdk "$img" 1G
    qemu-io -f vmdk -c 'write -P 0x55 0 2M' -c 'write -P 0x66 900M 1M' "$img" >/dev/null
    manifest big "disk0=$img:vmdk" > "$BATS_TEST_TMPDIR/m.json"
    for f in qcow2 raw vdi; do
        run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O $f --output-dir "$out"
        assert_status 0
        [ "$(jq -r .disks[0].output.virtual_size <<<"$output")" = 1073741824 ]
        alloc=$(jq -r .disks[0].output.allocated_size <<<"$output")
        [ "$alloc" -lt $((16 << 20)) ] || { echo "$f: $alloc bytes allocated" >&2; false; }
        [ "$(( $(stat -c %b "$out/big-disk0.$f") * 512 ))" = "$alloc" ]
    done
}

@test "compressed qcow2 is smaller than plain qcow2" {
    local img="$BATS_TEST_TMPDIR/text.raw"
    seq 1 3000000 | head -c 16M > "$img"
    manifest t "disk0=$img:raw" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out/plain"
    assert_status 0
    plain=$(jq -r .disks[0].output.allocated_size <<<"$output")
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --compress zstd --output-dir "$out/zstd"
    assert_status 0
    zstd=$(jq -r .disks[0].output.allocated_size <<<"$output")
    [ "$zstd" -lt $((plain / 3)) ] || { echo "zstd $zstd vs plain $plain" >&2; false; }
}

@test "two-disk VM: both converted, named VM-ID.FMT" {
    manifest "web 01" "disk0=$src/sparse.vmdk:vmdk" "disk1=$src/disk.vhdx:vhdx" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_status 0
    [ "$(jq -r '.disks | length' <<<"$output")" = 2 ]
    assert_output_ok "$out/web_01-disk0.qcow2" "$src/sparse.vmdk" vmdk qcow2 none
    assert_output_ok "$out/web_01-disk1.qcow2" "$src/disk.vhdx" vhdx qcow2 none
    [ "$(jq -r .disks[1].output.path <<<"$output")" = "$out/web_01-disk1.qcow2" ]
    [ "$(ls -A "$out" | wc -l)" = 2 ]
}

@test "the output directory defaults to WORKDIR/out and is created" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    [ ! -e "$BATS_TEST_TMPDIR/out" ]
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O raw
    assert_status 0
    [ "$(jq -r .disks[0].output.path <<<"$output")" = "$BATS_TEST_TMPDIR/out/vm-disk0.raw" ]
    [ -f "$BATS_TEST_TMPDIR/out/vm-disk0.raw" ]
}

@test "a relative --output-dir is recorded as an absolute path" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    cd "$BATS_TEST_TMPDIR"
    run_tool_in m.json h2k-convert --output-dir rel/dir
    assert_status 0
    [ "$(jq -r .disks[0].output.path <<<"$output")" = "$BATS_TEST_TMPDIR/rel/dir/vm-disk0.qcow2" ]
}

@test "no workdir and no --output-dir is refused" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" | jq 'del(.workdir)' > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert
    assert_failed_cleanly
    [[ "$stderr" == *"<stdin>: /workdir: not set"*"--output-dir"* ]]
}

@test "--no-compare omits identical_to_source" {
    manifest vm "disk0=$src/disk.vdi:vdi" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --no-compare --output-dir "$out"
    assert_status 0
    [ "$(jq -r '.disks[0].output | has("identical_to_source")' <<<"$output")" = false ]
    [ "$(jq -r .disks[0].output.check.status <<<"$output")" = clean ]
}

@test "--preallocation full and metadata are recorded and honoured" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O raw --preallocation full --output-dir "$out/r"
    assert_status 0
    [ "$(jq -r .disks[0].output.preallocation <<<"$output")" = full ]
    [ "$(jq -r .disks[0].output.allocated_size <<<"$output")" -ge $((32 << 20)) ]
    [ "$(jq -r .disks[0].output.identical_to_source <<<"$output")" = true ]
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O vdi --preallocation metadata --output-dir "$out/v"
    assert_status 0
    [ "$(jq -r .disks[0].output.preallocation <<<"$output")" = metadata ]
    qemu-img compare -q -f qcow2 -F vdi "$src/disk.qcow2" "$out/v/vm-disk0.vdi"
}

@test "--dry-run writes nothing but the stage record" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -n --output-dir "$out"
    assert_status 0
    [ ! -e "$out" ]
    [ "$(jq -r '.disks[0] | has("output")' <<<"$output")" = false ]
    [ "$(jq -r '.stages[-1].dry_run' <<<"$output")" = true ]
    [ "$(jq -c 'del(.stages)' <<<"$output")" = "$(jq -c 'del(.stages)' "$BATS_TEST_TMPDIR/m.json")" ]
    [[ "$stderr" == *"would convert $src/disk.qcow2 (qcow2) to $out/vm-disk0.qcow2"* ]]
    [[ "$stderr" == *"qemu-img convert -f qcow2 -O qcow2"* ]]
}

@test "--dry-run still refuses an existing output" {
    mkdir -p "$out"; echo old > "$out/vm-disk0.qcow2"
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -n --output-dir "$out"
    assert_failed_cleanly
}

@test "an existing output is refused without --force, replaced with it" {
    mkdir -p "$out"; echo old > "$out/vm-disk0.qcow2"
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [ "$stderr" = "h2k-convert: $out/vm-disk0.qcow2: output exists (use --force to overwrite it)" ]
    [ "$(cat "$out/vm-disk0.qcow2")" = old ]
    assert_no_temp
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --force --output-dir "$out"
    assert_status 0
    assert_output_ok "$out/vm-disk0.qcow2" "$src/disk.qcow2" qcow2 qcow2 none
}

@test "--force never overwrites an input image" {
    mkdir -p "$out"
    cp "$src/disk.qcow2" "$out/vm-disk0.qcow2"
    before=$(sha256sum "$out/vm-disk0.qcow2")
    manifest vm "disk0=$out/vm-disk0.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --force --output-dir "$out"
    assert_failed_cleanly
    [[ "$stderr" == *"$out/vm-disk0.qcow2: output is an input image of disk disk0"* ]]
    [ "$(sha256sum "$out/vm-disk0.qcow2")" = "$before" ]
    assert_no_temp
}

@test "a missing current image: error names the field, nothing written" {
    manifest vm "disk0=$BATS_TEST_TMPDIR/nope.vmdk:vmdk" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [ "$stderr" = "h2k-convert: <stdin>: /disks/0/current/path: $BATS_TEST_TMPDIR/nope.vmdk: No such file or directory" ]
    [ ! -e "$out" ]
}

@test "a truncated (corrupt) qcow2 source is refused, nothing left" {
    local bad="$BATS_TEST_TMPDIR/bad.qcow2"
    cp "$src/disk.qcow2" "$bad"
    truncate -s 1M "$bad"
    manifest vm "disk0=$bad:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [[ "$stderr" == "h2k-convert: $bad: the source image is corrupt (qemu-img check found "*" corruptions): not converting it" ]]
    [ ! -e "$out" ]
}

@test "every source is checked before any conversion" {
    local bad="$BATS_TEST_TMPDIR/bad.qcow2"
    cp "$src/disk.qcow2" "$bad"
    truncate -s 1M "$bad"
    manifest vm "disk0=$src/disk.vdi:vdi" "disk1=$bad:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [[ "$stderr" == "h2k-convert: $bad: the source image is corrupt"* ]]
    [ ! -e "$out" ]
}

@test "all or nothing: disk 1 is not published when disk 2's conversion fails" {
    # A qemu-img that fails converting one particular source.
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    printf '#!/bin/sh
case "$*" in convert*fail-me*) echo "qemu-img: simulated failure" >&2; exit 1;; esac
exec %s "$@"
' \
        "$(command -v qemu-img)" > "$BATS_TEST_TMPDIR/bin/qemu-img"
    chmod +x "$BATS_TEST_TMPDIR/bin/qemu-img"
    cp "$src/disk.qcow2" "$BATS_TEST_TMPDIR/fail-me.qcow2"
    manifest vm "disk0=$src/disk.vdi:vdi" "disk1=$BATS_TEST_TMPDIR/fail-me.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    PATH="$BATS_TEST_TMPDIR/bin:$PATH" run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -v --output-dir "$out"
    assert_failed_cleanly
    # disk0 was converted and verified first ...
    [[ "$stderr" == *"disk0: verified at"* ]]
    # ... but nothing is published.
    [[ "$stderr" == *"h2k-convert: $BATS_TEST_TMPDIR/fail-me.qcow2: qemu-img convert to $out/vm-disk1.qcow2 failed (exit 1): qemu-img: simulated failure"* ]]
    [ -z "$(ls -A "$out")" ]
}

@test "a difference found by qemu-img compare fails the conversion" {
    # A qemu-img whose compare always reports a mismatch.
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    cat > "$BATS_TEST_TMPDIR/bin/qemu-img" <<EOF
#!/bin/sh
if [ "\$1" = compare ]; then echo "Content mismatch at offset 0!"; exit 1; fi
exec $(command -v qemu-img) "\$@"
EOF
    chmod +x "$BATS_TEST_TMPDIR/bin/qemu-img"
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    PATH="$BATS_TEST_TMPDIR/bin:$PATH" run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [ "$stderr" = "h2k-convert: $out/vm-disk0.qcow2: the converted image differs from its source $src/disk.qcow2 (qemu-img compare: Content mismatch at offset 0!)" ]
    [ -z "$(ls -A "$out")" ]
}

@test "SIGTERM during the conversion: stops, nothing left" {
    # A qemu-img whose convert is slow.
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    printf '#!/bin/sh\nif [ "$1" = convert ]; then sleep 2; fi\nexec %s "$@"\n' \
        "$(command -v qemu-img)" > "$BATS_TEST_TMPDIR/bin/qemu-img"
    chmod +x "$BATS_TEST_TMPDIR/bin/qemu-img"
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    PATH="$BATS_TEST_TMPDIR/bin:$PATH" h2k-convert --output-dir "$out" \
        < "$BATS_TEST_TMPDIR/m.json" > "$BATS_TEST_TMPDIR/r.json" 2> "$BATS_TEST_TMPDIR/e.txt" &
    pid=$!
    sleep 0.7
    [ -n "$(find "$out" -name '.vm-disk0.qcow2.h2k-*')" ]
    kill -TERM "$pid"
    status=0; wait "$pid" || status=$?
    [ "$status" = 1 ]
    [ "$(cat "$BATS_TEST_TMPDIR/e.txt")" = "h2k-convert: interrupted" ]
    [ ! -s "$BATS_TEST_TMPDIR/r.json" ]
    [ -z "$(ls -A "$out")" ]
}

@test "the output directory is a file: refused" {
    echo x > "$BATS_TEST_TMPDIR/afile"
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$BATS_TEST_TMPDIR/afile"
    assert_failed_cleanly
    [ "$stderr" = "h2k-convert: $BATS_TEST_TMPDIR/afile: output directory: not a directory" ]
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$BATS_TEST_TMPDIR/afile/sub"
    assert_failed_cleanly
    [[ "$stderr" == *"$BATS_TEST_TMPDIR/afile/sub"* ]]
}

@test "a read-only output directory: refused, nothing left" {
    [ "$(id -u)" = 0 ] || skip "needs root to mount"
    mkdir -p "$out"
    mount -t tmpfs -o ro,size=1m tmpfs "$out" 2>/dev/null || skip "cannot mount tmpfs"
    mounted="$out"
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [[ "$stderr" == "h2k-convert: $out/.vm-disk0.qcow2.h2k-"*": cannot create temporary file: Read-only file system" ]]
    [ -z "$(ls -A "$out")" ]
}

@test "a full disk: qemu-img fails, no temporary file left" {
    [ "$(id -u)" = 0 ] || skip "needs root to mount"
    mkdir -p "$out"
    mount -t tmpfs -o size=2m tmpfs "$out" 2>/dev/null || skip "cannot mount tmpfs"
    mounted="$out"
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O raw --output-dir "$out"
    assert_failed_cleanly
    [[ "$stderr" == "h2k-convert: $src/disk.qcow2: qemu-img convert to $out/vm-disk0.raw failed (exit 1): "*"No space left on device"* ]]
    [ -z "$(ls -A "$out")" ]
}

@test "stdout is /dev/full: fails, says so, and removes the outputs" {
    [ -w /dev/full ] || skip "no /dev/full"
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run bash -c "h2k-convert --output-dir '$out' < '$BATS_TEST_TMPDIR/m.json' > /dev/full"
    [ "$status" -ne 0 ]
    [[ "$output" == *"<stdout>: writing the manifest: No space left on device"* ]]
    [ -z "$(ls -A "$out")" ]
}

@test "two disks giving the same output name are refused" {
    manifest vm "a/b=$src/disk.qcow2:qcow2" "a_b=$src/disk.vdi:vdi" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [ "$stderr" = "h2k-convert: <stdin>: /disks/1/id: \"a_b\" gives the same output name as disk \"a/b\": $out/vm-a_b.qcow2" ]
    [ ! -e "$out" ]
}

@test "bad manifest: not JSON" {
    echo '{"h2k_manifest_version": 1,' > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [[ "$stderr" == "h2k-convert: <stdin>: line "*"not valid JSON"* ]]
    [ ! -e "$out" ]
}

@test "bad manifest: wrong version" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" | jq '.h2k_manifest_version = 2' > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [[ "$stderr" == "h2k-convert: <stdin>: /h2k_manifest_version: version 2 is not supported"* ]]
    [ ! -e "$out" ]
}

@test "bad manifest: unknown key" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" | jq '.disks[0].current.colour = "blue"' > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [ "$stderr" = "h2k-convert: <stdin>: /disks/0/current/colour: unknown key" ]
    [ ! -e "$out" ]
}

@test "usage errors exit 2" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O raw --compress zstd --output-dir "$out"
    assert_status 2
    [ -z "$output" ]
    [ "$stderr" = "h2k-convert: --compress: only qcow2 output can be compressed" ]
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O vmdk
    assert_status 2
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O vdi --preallocation full
    assert_status 2
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --bogus
    assert_status 2
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert extra-arg
    assert_status 2
    [ ! -e "$out" ]
}

@test "--help and --version go to stdout and exit 0" {
    run_tool h2k-convert --help
    assert_status 0
    [[ "$output" == *"--output-format"* ]]
    [[ "$output" == *"--no-compare"* ]]
    assert_version h2k-convert
}

@test "a progress bar is drawn when stderr is a terminal" {
    requires script
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run script -qec "h2k-convert --output-dir '$out' < '$BATS_TEST_TMPDIR/m.json' > '$BATS_TEST_TMPDIR/r.json'" /dev/null
    [ "$status" -eq 0 ]
    [[ "$output" == *"disk0: converting ["*"] 100%"* ]]
    [[ "$output" == *"disk0: comparing ["*"] 100%"* ]]
    [ "$(jq -r .disks[0].output.identical_to_source "$BATS_TEST_TMPDIR/r.json")" = true ]
}

@test "-v shows the qemu-img commands" {
    manifest vm "disk0=$src/disk.qcow2:qcow2" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -v --output-dir "$out"
    assert_status 0
    [[ "$stderr" == *"running: qemu-img convert -p -f qcow2 -O qcow2 -t unsafe"* ]]
    [[ "$stderr" == *"running: qemu-img compare"* ]]
    [[ "$stderr" == *"disk0: converting: 100%"* ]]
}

@test "corpus: real VMware and VirtualBox VMDKs convert identically" {
    requires_corpus
    local spec img vs
    for spec in disk-images/plaso/image.vmdk:102400 \
                disk-images/cot/input.vmdk:1073741824 \
                disk-images/cot/ubuntu.2.0-disk1.vmdk:8589934592 \
                disk-images/dfvfs/ext2.vmdk:4194304 \
                vmdk/vmdk-rs/twoGbMaxExtentSparse.vmdk:10485760 \
                vmdk/vmdk-rs/streamOptimizedWithMarkers.vmdk:0; do
        img="$corpus/${spec%:*}"; vs="${spec#*:}"
        [ -f "$img" ] || skip "$img missing"
        rm -rf "$out"
        manifest real "disk0=$img:vmdk" > "$BATS_TEST_TMPDIR/m.json"
        run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
        assert_status 0
        assert_output_ok "$out/real-disk0.qcow2" "$img" vmdk qcow2 none
        if [ "$vs" != 0 ]; then
            [ "$(jq -r .disks[0].output.virtual_size <<<"$output")" = "$vs" ]
        fi
    done
    # 8 GiB of virtual disk, a few hundred KiB on disk.
    manifest real "disk0=$corpus/disk-images/cot/ubuntu.2.0-disk1.vmdk:vmdk" > "$BATS_TEST_TMPDIR/m.json"
    rm -rf "$out"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert -O raw --output-dir "$out"
    assert_status 0
    [ "$(jq -r .disks[0].output.allocated_size <<<"$output")" -lt $((1 << 20)) ]
}

@test "corpus: a VHD with a bad header checksum is refused cleanly" {
    requires_corpus
    local img="$corpus/disk-images/dfvfs/image.vhd"
    [ -f "$img" ] || skip "$img missing"
    manifest real "disk0=$img:vhd" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    assert_failed_cleanly
    [[ "$stderr" == "h2k-convert: $img: qemu-img check: "*"Incorrect header checksum" ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
    [ -z "$(ls -A "$out" 2>/dev/null)" ]
}

@test "corpus: a truncated, invalid VMDK is refused cleanly" {
    requires_corpus
    local img="$corpus/disk-images/go-vmdk-parser/vmdk-invalid.img"
    [ -f "$img" ] || skip "$img missing"
    manifest real "disk0=$img:vmdk" > "$BATS_TEST_TMPDIR/m.json"
    run_tool_in "$BATS_TEST_TMPDIR/m.json" h2k-convert --output-dir "$out"
    # Refused before qemu opens it: a descriptor we cannot read may name
    # any file (common/confine.h).
    one_line_error "h2k-convert: $img: createType: missing (truncated descriptor?)"
    [ -z "$(ls -A "$out" 2>/dev/null)" ]
}
