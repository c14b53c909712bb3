#!/usr/bin/env bats
# --config FILE (h2k-config(5)): every tool reads it; files merge in order
# (maps deeply, lists replace, null removes); the command line wins; bad
# files stop the tool with one line naming file, line and key, exit 2.

load helpers

tools="fetch flatten inspect fix-linux convert validate"

setup ()
{
    requires qemu-img jq
    cd "$BATS_TEST_TMPDIR"
}

j () { jq -r "$1" <<<"$output"; }

# A value for every key of every section (keep in step with
# common/config-schema.c; each tool also checks at startup that every key
# of its sections is one of its options).
write_all_keys ()
{
    cat > all.yaml <<'EOF'
common:
  verbose: 2
  failed-manifest: failed.json
  dry-run: true
fetch:
  source: vm.vmx
  workdir: wd
  name: web01
  copy: true
  format: qcow2
  max-extract: 20G
  firmware: uefi
flatten:
inspect:
  format: table
fix-linux:
  keep-hypervisor-tools: true
  format: table
convert:
  output-format: qcow2
  compress: zstd
  preallocation: metadata
  output-dir: out
  force: true
  no-compare: true
  libvirt-xml: vm.xml
  network: ["VM Network:default", "DMZ:dmz"]
  bridge: ["Backup:br0"]
  bus: virtio-scsi
validate:
  bus: virtio-blk
  machine: q35
  signal: login
  no-offline-checks: true
  memory: 512
  timeout: 900
  net-timeout: 60
  expect: "login: *$"
  kernel: vmlinuz
  initrd: initrd.img
  append: console=ttyS0
EOF
}

@test "config: every tool accepts --config with every key of its sections" {
    write_all_keys
    for t in $tools; do
        run_tool "h2k-$t" --config all.yaml --help
        assert_status 0
        [[ "$output" == *"--config=FILE"* ]] || { echo "h2k-$t --help lacks --config" >&2; false; }
        [ -z "$stderr" ] || { echo "h2k-$t: $stderr" >&2; false; }
        # Twice, and in the --config=FILE spelling, too.
        run_tool "h2k-$t" --config=all.yaml --config all.yaml --help
        assert_status 0
    done
}

@test "config: h2k-fetch --config vm.yaml alone builds the first manifest" {
    qemu-img create -q -f qcow2 disk.qcow2 4M
    cat > vm.yaml <<'EOF'
# the whole first stage, from configuration
fetch:
  source: disk.qcow2
  name: web01
  workdir: web01-work
  copy: true
EOF
    run_tool h2k-fetch --config vm.yaml
    assert_status 0
    [ "$(j .vm.name)" = web01 ]
    [ "$(j .workdir)" = "$PWD/web01-work" ]
    [ "$(j .disks[0].source.format)" = qcow2 ]
    [ "$(j .disks[0].source.original_path)" = "$PWD/disk.qcow2" ]
    [ "$(j .disks[0].current.path)" = "$PWD/web01-work/disk.qcow2" ]
    [ -f web01-work/disk.qcow2 ]
    [ "$(j '.stages[0].tool')" = h2k-fetch ]
    [ "$(j '.stages[0].status')" = ok ]
}

@test "config: three files override in order; maps merge, null removes" {
    qemu-img create -q -f qcow2 disk.qcow2 4M
    cat > base.yaml <<'EOF'
fetch:
  source: disk.qcow2
  name: base
  workdir: base-work
  copy: true
validate:
  memory: 256
EOF
    cat > vm.yaml <<'EOF'
fetch:
  name: vm
  workdir: vm-work
EOF
    cat > overrides.yaml <<'EOF'
fetch:
  workdir: final-work
  copy: ~
EOF
    run_tool h2k-fetch --config base.yaml --config vm.yaml --config overrides.yaml
    assert_status 0
    [ "$(j .vm.name)" = vm ]                       # vm.yaml over base.yaml
    [ "$(j .workdir)" = "$PWD/final-work" ]        # overrides.yaml last
    [ "$(j .disks[0].source.path)" = "$PWD/disk.qcow2" ]   # copy removed
    [ "$(j .disks[0].source.read_only)" = true ]
    [ ! -e final-work/disk.qcow2 ]
    # In another order, another result.
    run_tool h2k-fetch --config overrides.yaml --config vm.yaml --config base.yaml
    assert_status 0
    [ "$(j .vm.name)" = base ]
    [ "$(j .workdir)" = "$PWD/base-work" ]
    [ -f base-work/disk.qcow2 ]
}

@test "config: the command line overrides configuration" {
    qemu-img create -q -f qcow2 disk.qcow2 4M
    qemu-img create -q -f qcow2 other.qcow2 4M
    printf 'fetch:\n  source: disk.qcow2\n  name: cfg\n  workdir: w\n' > vm.yaml
    run_tool h2k-fetch --name cli --config vm.yaml
    assert_status 0
    [ "$(j .vm.name)" = cli ]
    [ "$(j .workdir)" = "$PWD/w" ]
    # A SOURCE argument replaces fetch.source.
    run_tool h2k-fetch --config vm.yaml other.qcow2
    assert_status 0
    [ "$(j .disks[0].source.path)" = "$PWD/other.qcow2" ]
    # Integers reach the tool; the command line wins (h2k-validate -n
    # prints the qemu command line).
    printf 'validate:\n  memory: 512\n' > v.yaml
    h2k-fetch -n --workdir w disk.qcow2 > m.json
    run_tool_in m.json h2k-validate --config v.yaml -n
    assert_status 0
    [[ "$stderr" == *" -m 512 "* ]]
    run_tool_in m.json h2k-validate --memory 1024 --config v.yaml -n
    assert_status 0
    [[ "$stderr" == *" -m 1024 "* ]]
}

@test "config: command-line list options replace the configured list" {
    # The same source network twice is an error of h2k-convert: so the
    # configured list does reach it...
    printf 'convert:\n  libvirt-xml: vm.xml\n  network: ["A:x", "A:y"]\n' > twice.yaml
    run_tool h2k-convert --config twice.yaml --help
    assert_status 2
    [[ "$stderr" == *"A"* ]]
    [ -z "$output" ]
    # ...and --network (or --bridge) on the command line replaces it
    # instead of appending to it.
    run_tool h2k-convert --config twice.yaml --network A:z --help
    assert_status 0
    run_tool h2k-convert --config twice.yaml --bridge A:br0 --help
    assert_status 0
}

@test "config: unknown key: one line naming file, line and key, exit 2" {
    printf '# wave 3\nvalidate:\n  timeout: 900\n  timout: 60\n' > vm.yaml
    for t in $tools; do
        run_tool "h2k-$t" --config vm.yaml
        assert_status 2
        one_line_error "h2k-$t: vm.yaml:4: validate.timout: unknown key (known: " "timeout"
    done
}

@test "config: unknown section, wrong type, bad value, secret" {
    printf 'fetchh:\n  name: x\n' > a.yaml
    run_tool h2k-fetch --config a.yaml
    assert_status 2
    one_line_error "h2k-fetch: a.yaml:1: fetchh: unknown section"

    printf 'validate:\n  timeout: soon\n' > b.yaml
    run_tool h2k-validate --config b.yaml
    assert_status 2
    one_line_error 'h2k-validate: b.yaml:2: validate.timeout: expected an integer, got "soon"'

    printf 'convert:\n  network: "A:x"\n' > c.yaml
    run_tool h2k-convert --config c.yaml
    assert_status 2
    one_line_error "h2k-convert: c.yaml:2: convert.network: expected a list of strings"

    printf 'validate:\n  bus: ide\n' > d.yaml
    run_tool h2k-validate --config d.yaml
    assert_status 2
    one_line_error 'h2k-validate: d.yaml:2: validate.bus: bad value "ide" (expected one of virtio-blk, virtio-scsi, sata)'

    printf 'fetch:\n  password: hunter2\n' > e.yaml
    run_tool h2k-fetch --config e.yaml
    assert_status 2
    one_line_error "h2k-fetch: e.yaml:2: fetch.password: secrets are never stored in configuration" "*-file or *-env key"
    [[ "$stderr" != *hunter2* ]]
}

@test "config: a mistake in another tool's section stops this tool too" {
    qemu-img create -q -f qcow2 disk.qcow2 4M
    printf 'fetch:\n  source: disk.qcow2\nconvert:\n  compress: lz4\n' > vm.yaml
    run_tool h2k-fetch --config vm.yaml
    assert_status 2
    one_line_error 'vm.yaml:4: convert.compress: bad value "lz4"'
    [ ! -e disk.h2k ]
}

@test "config: bad YAML, missing file, the later file's error" {
    printf 'validate:\n  timeout: [900\n' > bad.yaml
    run_tool h2k-validate --config bad.yaml
    assert_status 2
    one_line_error "h2k-validate: bad.yaml:3: YAML syntax error: "

    run_tool h2k-inspect --config missing.yaml
    assert_status 2
    one_line_error "h2k-inspect: missing.yaml: No such file or directory"

    printf 'validate:\n  bus: sata\n' > good.yaml
    printf 'validate:\n\n  bus: sata\n  bus: pc\n' > dup.yaml
    run_tool h2k-validate --config good.yaml --config dup.yaml
    assert_status 2
    one_line_error "h2k-validate: dup.yaml:4: validate.bus: duplicate key (first on line 3)"

    printf 'a: &x 1\n' > anchor.yaml
    run_tool h2k-flatten --config anchor.yaml
    assert_status 2
    one_line_error "h2k-flatten: anchor.yaml:1: a: YAML anchors are not supported"
}

@test "config: h2k-config(5) is installed with the man pages" {
    [ -f "$top/man/h2k-config.5.pod" ]
    if command -v podchecker >/dev/null; then
        podchecker "$top/man/h2k-config.5.pod"
    fi
    grep -q -- '--config base.yaml --config vm.yaml --config overrides.yaml' "$top/man/h2k-config.5.pod"
    for t in $tools; do
        grep -q 'B<--config>' "$top/man/h2k-$t.1.pod" ||
            { echo "h2k-$t(1) does not document --config" >&2; false; }
    done
}

# pod_example NAME: the YAML shown under "F<NAME>" in h2k-config(5).
pod_example ()
{
    awk -v name="F<$1>" '
        index($0, name) == 1 { on = 1; next }
        on && /^ / { print substr($0, 2); seen = 1; next }
        on && seen && /^[^ ]/ { exit }
    ' "$top/man/h2k-config.5.pod"
}

@test "config: the example in h2k-config(5) is valid for every tool" {
    for f in base.yaml web01.yaml overrides.yaml; do
        pod_example "$f" > "$f"
        [ -s "$f" ] || { echo "no example $f in h2k-config(5)" >&2; false; }
    done
    grep -q 'compress: zstd' base.yaml
    grep -q 'source: /mnt/vmfs/web01/web01.vmx' web01.yaml
    for t in $tools; do
        run_tool "h2k-$t" --config base.yaml --config web01.yaml \
            --config overrides.yaml --help
        assert_status 0
        [ -z "$stderr" ] || { echo "h2k-$t: $stderr" >&2; false; }
    done
}

@test "every tool: --help has the same shape, --version lists each library" {
    for t in $tools fix-windows; do
        run_tool h2k-$t --help
        assert_status 0
        [ -z "$stderr" ]
        [[ "$(sed -n 1p <<<"$output")" == "Usage: h2k-$t "* ]]
        grep -qx 'Options:' <<<"$output"
        grep -q '^Exit status: 0 ' <<<"$output"
        grep -q "^See h2k-$t(1) and h2k-manifest(5)\.\$" <<<"$output"
        assert_version h2k-$t
        # A bad option: the same help on stderr, exit 2.
        run_tool h2k-$t --no-such-option
        assert_status 2
        [ -z "$output" ]
        [[ "$stderr" == *"Usage: h2k-$t "* ]]
    done
}
