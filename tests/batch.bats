#!/usr/bin/env bats
# contrib/batch: a wave of three small VMs through the pipeline with Make,
# one broken on purpose (its disk is a VMware snapshot whose parent is
# missing, so h2k-flatten fails).  The disks are tiny qemu-img VMDKs
# without an OS, so the stages are fetch, flatten and convert: inspect,
# fix-linux and validate need a guest and minutes of TCG each (they are
# covered by linux-path.bats); the Makefile treats every stage alike.

load helpers

batch="$top/contrib/batch/Makefile"

setup ()
{
    requires qemu-img jq make
    "$H2K_BIN/h2k-fetch" --help | grep -q -- '--config' ||
        skip "h2k-fetch has no --config yet: the batch passes every VM its YAML"
    w="$BATS_TEST_TMPDIR/wave"
    mkdir -p "$w/vms" "$w/src"
    cd "$w"
    for v in alpha beta broken; do
        mkdir -p "src/$v"
        printf 'config.version = "8"\nvirtualHW.version = "14"\ndisplayName = "%s"\nmemSize = "512"\nnumvcpus = "1"\nscsi0.present = "TRUE"\nscsi0.virtualDev = "pvscsi"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "%s"\n' \
            "$v" "$([ $v = broken ] && echo snap.vmdk || echo disk.vmdk)" >"src/$v/$v.vmx"
        printf 'fetch:\n  source: %s\n' "$w/src/$v/$v.vmx" >"vms/$v.yaml"
    done
    qemu-img create -q -f vmdk src/alpha/disk.vmdk 4M
    qemu-img create -q -f vmdk src/beta/disk.vmdk 6M
    qemu-img create -q -f vmdk src/broken/base.vmdk 4M
    qemu-img create -q -f vmdk -b base.vmdk -F vmdk src/broken/snap.vmdk
    mv src/broken/base.vmdk src/broken/base.vmdk.away
    # The base says raw; beta's own file says qcow2: later files win.
    printf 'convert:\n  output-format: raw\n' >base.yaml
    printf 'convert:\n  output-format: qcow2\n' >>vms/beta.yaml
}

wave ()
{
    run_tool make -f "$batch" H2K_BIN="$H2K_BIN" STAGES="fetch flatten convert" "$@"
}

# The summary row of VM $1, columns squeezed to one space.
row () { grep "^$1 " out/summary.txt | tr -s ' '; }

mtimes () { stat -c '%Y.%y %n' out/*/[0-9]*.json; }

@test "batch: make -k -j2 finishes the good VMs and reports the broken one" {
    wave -k -j2
    [ "$status" -ne 0 ]
    # Each good VM: every stage's manifest kept, outputs in its workdir,
    # the base configuration and the VM's own file both applied.
    for v in alpha beta; do
        for s in 10-fetch 20-flatten 50-convert; do
            [ -s "out/$v/$s.json" ]
            [ ! -e "out/$v/$s.failed.json" ]
        done
        [ "$(jq -r .workdir "out/$v/10-fetch.json")" = "$PWD/out/$v/work" ]
        [ -f "$(jq -r '.disks[0].output.path' "out/$v/50-convert.json")" ]
    done
    [ "$(jq -r '.disks[0].output.format' out/alpha/50-convert.json)" = raw ]
    [ "$(jq -r '.disks[0].output.format' out/beta/50-convert.json)" = qcow2 ]
    # The broken VM stopped at flatten: no file for it, its failed
    # manifest and log kept, fetch's manifest still there.
    [ -s out/broken/10-fetch.json ]
    [ ! -e out/broken/20-flatten.json ]
    [ ! -e out/broken/50-convert.json ]
    [ "$(jq -r '.stages[-1].tool + " " + .stages[-1].status' out/broken/20-flatten.failed.json)" = "h2k-flatten failed" ]
    grep -q 'parent "base.vmdk" not found' out/broken/20-flatten.log
    [[ "$output" == *'broken: flatten: FAILED (exit 1): '*'parentFileNameHint: parent "base.vmdk" not found'* ]]
    # The summary, printed and written.
    [[ "$(tr -s ' ' <<<"$output")" == *"VM STAGES RESULT VALIDATION OUTPUT TIME ERROR"* ]]
    [ "$(head -n 1 out/summary.txt | tr -s ' ')" = "VM STAGES RESULT VALIDATION OUTPUT TIME ERROR" ]
    for v in alpha beta; do
        size="$(numfmt --to=iec --format=%.1f "$(jq '.disks[0].output.allocated_size' "out/$v/50-convert.json")")"
        [[ "$(row $v)" == "$v 3/3 ok - $size "*" s -" ]]
    done
    [[ "$(row broken)" == "broken 1/3 failed: flatten - - "*" s "*'parentFileNameHint: parent "base.vmdk" not found' ]]
    [ "$(wc -l <out/summary.txt)" -eq 4 ]
    # No temporary file left behind.
    [ -z "$(find out -name '*.tmp.*')" ]
}

@test "batch: a rerun resumes each VM after its last good stage" {
    wave -k -j2
    [ "$status" -ne 0 ]
    mtimes >before
    # Nothing to do for the good VMs.
    run make -q -f "$batch" H2K_BIN="$H2K_BIN" STAGES="fetch flatten convert" alpha beta
    [ "$status" -eq 0 ]
    run make -q -f "$batch" H2K_BIN="$H2K_BIN" STAGES="fetch flatten convert" broken
    [ "$status" -ne 0 ]
    # Repair the broken VM: only its failed stage and the next run.
    mv src/broken/base.vmdk.away src/broken/base.vmdk
    sleep 1
    wave -j2
    assert_status 0
    [[ "$output" == *"broken: flatten: ok"* ]]
    [[ "$output" == *"broken: convert: ok"* ]]
    [[ "$output" != *"alpha:"* ]]
    [[ "$output" != *"beta:"* ]]
    [[ "$output" != *"broken: fetch"* ]]
    mtimes >after
    diff <(grep -v /broken/20- before) <(grep -v -e /broken/20- -e /broken/50- after)
    [ ! -e out/broken/20-flatten.failed.json ]
    [[ "$(row broken)" == "broken 3/3 ok - "* ]]
    # And once all is done, a rerun does nothing at all.
    mtimes >after
    wave -j2
    assert_status 0
    mtimes | diff after -
}

@test "batch: a changed VM file reruns that VM only, from fetch" {
    rm vms/broken.yaml
    wave -j2
    assert_status 0
    mtimes >before
    sleep 1
    touch vms/alpha.yaml
    wave -j2
    assert_status 0
    [[ "$output" == *"alpha: fetch: ok"*"alpha: flatten: ok"*"alpha: convert: ok"* ]]
    [[ "$output" != *"beta:"* ]]
    diff <(grep /beta/ before) <(mtimes | grep /beta/)
}

@test "batch: the pipeline without -k still reports every VM" {
    # `make` (target all) keeps going by itself and prints the summary.
    wave
    [ "$status" -ne 0 ]
    [ -s out/alpha/50-convert.json ]
    [ -s out/beta/50-convert.json ]
    [[ "$(row broken)" == "broken 1/3 failed: flatten "* ]]
}

@test "batch: STAGES, VMS_DIR and BASE are checked" {
    run_tool make -f "$batch" STAGES="fetch convert flatten"
    [ "$status" -ne 0 ]
    [[ "$stderr" == *'STAGES: "fetch convert flatten" is not in pipeline order'* ]]
    run_tool make -f "$batch" STAGES="fetch frobnicate"
    [[ "$stderr" == *"STAGES: unknown stage(s) frobnicate"* ]]
    run_tool make -f "$batch" STAGES="flatten convert"
    [[ "$stderr" == *'STAGES: "flatten convert" must start with fetch'* ]]
    run_tool make -f "$batch" VMS_DIR=nowhere
    [[ "$stderr" == *"VMS_DIR: no NAME.yaml in 'nowhere/'"* ]]
    run_tool make -f "$batch" BASE=missing.yaml
    [[ "$stderr" == *"BASE: 'missing.yaml' does not exist"* ]]
    [ ! -e out ]
}

@test "batch: the stages can be run one VM at a time" {
    run_tool make -f "$batch" H2K_BIN="$H2K_BIN" STAGES="fetch flatten" beta
    assert_status 0
    [ -s out/beta/20-flatten.json ]
    [ ! -e out/alpha ]
    [ ! -e out/beta/50-convert.json ]
}
