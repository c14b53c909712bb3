#!/usr/bin/env bats
# CLI contract of h2k-inspect and h2k-fix-linux: everything that is refused
# before an appliance is launched.  The real work is in linux-path.bats.

load helpers

setup ()
{
    requires qemu-img jq
    d="$BATS_TEST_TMPDIR"
    qemu-img create -q -f qcow2 "$d/disk.qcow2" 16M
    jq -n --arg p "$d/disk.qcow2" --arg w "$d/work" \
        '{h2k_manifest_version:1, workdir:$w, vm:{name:"t"},
          disks:[{id:"disk0", source:{path:$p, format:"qcow2"},
                  current:{path:$p, format:"qcow2"}}], stages:[]}' > "$d/m.json"
}

@test "inspect and fix-linux: --help and --version" {
    for t in h2k-inspect h2k-fix-linux; do
        run_tool $t --help
        assert_status 0
        [[ "$output" == *"Usage: $t"* ]]
        assert_version $t
    done
}

@test "inspect and fix-linux: a bad option is a usage error" {
    for t in h2k-inspect h2k-fix-linux; do
        run_tool $t --no-such-option < "$d/m.json"
        assert_status 2
        [ -z "$output" ]
    done
}

@test "inspect and fix-linux: a positional argument is refused" {
    for t in h2k-inspect h2k-fix-linux; do
        run_tool_in "$d/m.json" $t extra
        assert_status 2
        [[ "$stderr" == *"unexpected argument 'extra'"* ]]
    done
}

@test "inspect and fix-linux: a manifest that is not JSON" {
    echo '{"h2k_manifest_version": 1,' > "$d/bad.json"
    for t in h2k-inspect h2k-fix-linux; do
        run_tool_in "$d/bad.json" $t
        assert_failed_cleanly
        [[ "$stderr" == *"<stdin>: line 2, column 1: not valid JSON"* ]]
    done
}

@test "inspect: a manifest without workdir cannot get overlays" {
    jq 'del(.workdir)' "$d/m.json" > "$d/nowork.json"
    run_tool_in "$d/nowork.json" h2k-inspect
    assert_failed_cleanly
    [[ "$stderr" == *"/workdir: required to make overlays"* ]]
}

@test "inspect: a missing current image is an error before any launch" {
    jq '.disks[0].current.path = "/nonexistent/x.qcow2"' "$d/m.json" > "$d/missing.json"
    run_tool_in "$d/missing.json" h2k-inspect
    assert_failed_cleanly
    [[ "$stderr" == *"/nonexistent/x.qcow2"* ]]
    [ ! -e "$d/work/disk0-overlay.qcow2" ]
    # Nothing half-made is left in the workdir.
    [ -z "$(ls -A "$d/work" 2>/dev/null)" ]
}

@test "fix-linux: refuses a manifest that was not inspected" {
    run_tool_in "$d/m.json" h2k-fix-linux
    assert_failed_cleanly
    [[ "$stderr" == *"/guest: missing: run h2k-inspect first"* ]]
}

@test "fix-linux: refuses a Windows guest" {
    jq '.guest = {type:"windows", root:"/dev/sda2"}' "$d/m.json" > "$d/win.json"
    run_tool_in "$d/win.json" h2k-fix-linux
    assert_failed_cleanly
    [[ "$stderr" == *'/guest/type: "windows": h2k-fix-linux fixes Linux guests'* ]]
}

@test "fix-linux: refuses to write anything but an overlay" {
    jq '.guest = {type:"linux", root:"/dev/sda1"}' "$d/m.json" > "$d/noov.json"
    run_tool_in "$d/noov.json" h2k-fix-linux
    assert_failed_cleanly
    [[ "$stderr" == *"/disks/0/overlay: missing: run h2k-inspect first"* ]]
}

@test "fix-linux: a failed last stage is refused" {
    jq '.stages = [{tool:"h2k-inspect", version:"0", started:"a", ended:"b",
                    duration_s:1, status:"failed", error:"boom"}]' "$d/m.json" > "$d/failed.json"
    run_tool_in "$d/failed.json" h2k-fix-linux
    assert_failed_cleanly
    [[ "$stderr" == *"the last stage, h2k-inspect, failed: boom"* ]]
}
