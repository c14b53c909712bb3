#!/bin/bash
# Benchmark the whole h2k pipeline against virt-v2v on the Debian BIOS
# test guest (tests/images: debian-bios, a Debian 12 guest as VMware
# leaves it: pvscsi, root=/dev/sda1, no virtio in the initramfs).
#
#   tests/bench/pipeline.sh
#
# Not part of `make check` and not run in CI: it is a measurement, and a
# heavy one (without KVM, about 10-15 minutes of TCG).  One run does, one
# after the other, on the same input:
#
#   h2k       h2k-fetch VMX, h2k-flatten, h2k-inspect, h2k-fix-linux,
#             h2k-convert (qcow2); each stage reads the manifest the one
#             before wrote, exactly as in the pipe `h2k-fetch | ... |
#             h2k-convert` (every tool reads all of its input before it
#             starts), but run as separate commands so that each stage is
#             measured on its own
#   virt-v2v  virt-v2v -i disk -if vmdk DISK -o local -of qcow2 (Debian's
#             package; exit status 77 when it is not installed)
#
# then boots each result with h2k-validate (q35, virtio-blk, the VMX's
# MAC; its boot time is not part of the conversion time).  virt-v2v's
# output is handed to h2k-validate in a small manifest: vm and disks[].source
# from h2k-fetch's reading of the VMX, disks[].output = virt-v2v's file,
# and guest.network as h2k-inspect found it on the *unmodified* source (so
# both results are held to the same network proof).
#
# What is measured, per tool:
#   wall_s     elapsed time (GNU time), summed over h2k's stages
#   cpu_s      user + system time of the whole process tree (GNU time:
#              rusage of every waited-for descendant, so qemu and
#              qemu-img are included)
#   rss_MiB    peak RSS of the largest single process of the tree (GNU
#              time's "Maximum resident set size" is the maximum over the
#              process and its descendants, not their sum); for h2k the
#              largest over its stages.  In practice: the libguestfs
#              appliance's qemu
#   tree_MiB   peak of the summed RSS of the whole process tree, sampled
#              from /proc (ps) every 0.5 s; a lower bound, since a peak
#              shorter than the interval can be missed
#   out_MiB    output image: blocks actually allocated (stat %b x %B)
#   virt_GiB   output image: virtual size (qemu-img info)
#   launches   libguestfs appliance starts: LIBGUESTFS_HV and PATH point
#              at a wrapper that logs every qemu-system-x86_64 it starts
#              (then execs the real one); a start with the appliance
#              kernel (.../appliance.d/kernel) counts.  libguestfs' own
#              qemu feature probes (-help, -version, -machine none) and
#              h2k's KVM probes are logged as probes, not launches
#   boots      h2k-validate's verdict: "yes" with the seconds to the login
#              prompt and the network result, or "NO" with the console
#              line that decided it
# Ratios are h2k / virt-v2v (below 1: h2k used less).
#
# Acceleration: nested KVM is often broken in cloud VMs.  h2k probes KVM
# itself and falls back to TCG (set H2K_ACCEL=kvm|tcg to skip the probe;
# its cost is part of h2k's time).  virt-v2v is run with
# LIBGUESTFS_BACKEND=direct and LIBGUESTFS_BACKEND_SETTINGS=force_tcg when
# h2k found no usable KVM here (set BENCH_V2V_TCG=0|1 to decide).
#
# Before the timed runs one throwaway libguestfs launch (not counted)
# makes sure the supermin appliance is built, so that neither tool pays
# for rebuilding it (installing packages invalidates it).
#
# Environment:
#   BENCH_DIR       work directory (default: a new one under /var/tmp);
#                   it needs about 4 GiB of free space
#   BENCH_COLD=1    drop the page cache before each tool (root only;
#                   default 1 when we are root)
#   BENCH_WARMUP=0  skip the throwaway appliance launch
#   BENCH_TIMEOUT   h2k-validate --timeout (default: its own, 600 s on TCG)
#   BENCH_KEEP=1    keep BENCH_DIR afterwards (manifests, logs, outputs)
#   H2K_BIN         where the h2k tools are (default: build/bin); copy
#                   them somewhere stable first on a shared machine
#   H2K_TEST_IMAGES where the test images are (default /var/tmp/h2k-test-images)
#
# Exit status: 0 measured (whatever each result's boot verdict), 1 error
# (including a failing h2k stage), 77 virt-v2v or GNU time not installed.
#
# Measured on 2026-11-28 (Debian 12 VM, 2 vCPUs shared with other jobs,
# 24 GiB RAM, nested KVM broken: everything under TCG; virt-v2v 2.2.0,
# libguestfs 1.48): see the README, section "h2k against virt-v2v".
set -euo pipefail

top="$(cd "$(dirname "$0")/../.." && pwd)"
: "${H2K_BIN:=$top/build/bin}"
: "${H2K_TEST_IMAGES:=/var/tmp/h2k-test-images}"
: "${BENCH_KEEP:=0}"
: "${BENCH_WARMUP:=1}"
: "${BENCH_TIMEOUT:=}"
if [ "$(id -u)" = 0 ]; then : "${BENCH_COLD:=1}"; else : "${BENCH_COLD:=0}"; fi
export H2K_TEST_IMAGES

die () { echo "pipeline.sh: $*" >&2; exit 1; }
skip () { echo "pipeline.sh: SKIP: $*" >&2; exit 77; }
log () { echo "# $*" >&2; }

# Debian's virt-v2v package depends neither on nbdkit nor on nbdcopy
# (libnbd-bin), and fails without them.
v2v_pkgs="virt-v2v nbdkit libnbd-bin"
for c in virt-v2v nbdkit nbdcopy nbdinfo; do
    command -v "$c" >/dev/null ||
        skip "$c is not installed; virt-v2v needs it (apt-get install $v2v_pkgs)"
done
[ -x /usr/bin/time ] || skip "GNU time is not installed (apt-get install time)"
for c in qemu-img qemu-system-x86_64 guestfish jq bc numfmt ps awk sha256sum make; do
    command -v "$c" >/dev/null || die "$c is not installed"
done
for t in fetch flatten inspect fix-linux convert validate; do
    [ -x "$H2K_BIN/h2k-$t" ] || die "$H2K_BIN/h2k-$t not built (run make)"
done
real_qemu="$(command -v qemu-system-x86_64)"

log "making the test guest (make -C tests/images debian-bios)"
make -s -C "$top/tests/images" debian-bios >&2 || die "cannot build the debian-bios test image"
image="$H2K_TEST_IMAGES/debian-bios"
# NAME, DISK, VMX, ... (see tests/images/debian-bios.sh)
# shellcheck disable=SC1091
. "$image/facts"
src="$image/$DISK"
for f in "$src" "$image/$VMX"; do [ -f "$f" ] || die "$f: missing"; done

if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR="$(mktemp -d /var/tmp/h2k-bench-pipeline.XXXXXX)"
    created_dir=1
else
    mkdir -p "$BENCH_DIR"
    BENCH_DIR="$(cd "$BENCH_DIR" && pwd)"
    created_dir=0
fi
cleanup ()
{
    if [ "$BENCH_KEEP" != 1 ] && [ "$created_dir" = 1 ]; then rm -rf "$BENCH_DIR"; fi
}
trap cleanup EXIT
B=$BENCH_DIR
rm -rf "$B/h2k-work" "$B/h2k-out" "$B/v2v-out" "$B/v2v-work" "$B/m" "$B/wrap"
mkdir -p "$B/h2k-work" "$B/h2k-out" "$B/v2v-out" "$B/v2v-work" "$B/m" "$B/wrap"
M=$B/m

# --- the qemu wrapper that counts appliance launches ----------------------
qlog=$B/qemu-starts.log
: > "$qlog"
cat > "$B/wrap/qemu-system-x86_64" <<EOF
#!/bin/bash
# pipeline.sh: log this qemu start, then become the real qemu.
kind=boot prev=
for a in "\$@"; do
    case "\$prev \$a" in
        *" "*/appliance.d/kernel) kind=appliance; break;;
        *" -help"|*" -version"|"-machine none"|"-machine none,"*|"-M none"|"-accel kvm") kind=probe;;
    esac
    prev=\$a
done
printf '%s %s %s\n' "\$(date +%s.%N)" "\$kind" "\$*" >> '$qlog'
exec '$real_qemu' "\$@"
EOF
chmod +x "$B/wrap/qemu-system-x86_64"
export PATH="$B/wrap:$PATH" LIBGUESTFS_HV="$B/wrap/qemu-system-x86_64"
export LIBGUESTFS_BACKEND=direct
unset LIBGUESTFS_BACKEND_SETTINGS

# --- measuring one command --------------------------------------------------
# tree_rss PID: the summed RSS (KiB) of PID's descendants.
tree_rss ()
{
    ps -e -o pid=,ppid=,rss= | awk -v root="$1" '
        { par[$1] = $2; rss[$1] = $3 }
        END {
            for (p in par) {
                q = p
                while (q != root && (q in par) && q > 1) q = par[q]
                if (q == root && p != root) s += rss[p]
            }
            print s + 0
        }'
}

# measure NAME STDIN STDOUT CMD...: run CMD under GNU time, sampling the
# tree's RSS; leaves $M/NAME.{time,err,tree,qemu,rc}.
measure ()
{
    local name=$1 in=$2 out=$3 pid cur peak=0 rc=0 q0
    shift 3
    q0=$(wc -l < "$qlog")
    /usr/bin/time -v -o "$M/$name.time" "$@" < "$in" > "$out" 2> "$M/$name.err" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        cur=$(tree_rss "$pid")
        [ "$cur" -gt "$peak" ] && peak=$cur
        sleep 0.5
    done
    wait "$pid" || rc=$?
    echo "$peak" > "$M/$name.tree"
    echo "$rc" > "$M/$name.rc"
    tail -n +$((q0 + 1)) "$qlog" > "$M/$name.qemu"
    log "$name: exit $rc, $(wall "$name")s, $(field "$name" 'Maximum resident set size') KiB max RSS, $(grep -c ' appliance ' "$M/$name.qemu" || true) appliance launch(es)"
    return "$rc"
}

field () { awk -F': ' -v k="$2" 'index($0, k) { print $2 }' "$M/$1.time"; }
wall ()
{
    awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, a, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + a[i]
        printf "%.1f", s }' "$M/$1.time"
}
cpu () { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$M/$1.time"; }

drop_caches ()
{
    sync
    if [ "$BENCH_COLD" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

# --- before ------------------------------------------------------------------
log "source: $src ($(qemu-img info -f vmdk --output=json "$src" |
      jq -r '"\(."virtual-size") bytes virtual, \(."actual-size") bytes allocated"'))"
sha256sum "$src" > "$M/source.sha256"
if [ "$BENCH_WARMUP" = 1 ]; then
    log "warm-up: one libguestfs launch (supermin appliance; not counted)"
    LIBGUESTFS_BACKEND_SETTINGS=force_tcg guestfish -a /dev/null run >/dev/null 2>&1 ||
        die "guestfish -a /dev/null run failed: libguestfs does not work here"
    : > "$qlog"
fi

# --- h2k ---------------------------------------------------------------------
h2k_stages=(fetch flatten inspect fix-linux convert)
drop_caches
read -r load_h2k _ < /proc/loadavg
log "h2k: fetch | flatten | inspect | fix-linux | convert"
measure fetch /dev/null "$M/fetched.json" \
    "$H2K_BIN/h2k-fetch" --workdir "$B/h2k-work" "$image/$VMX" ||
    die "h2k-fetch failed: $(tail -n 3 "$M/fetch.err")"
prev=fetched
for s in flatten inspect fix-linux convert; do
    args=()
    [ "$s" = convert ] && args=(--output-dir "$B/h2k-out")
    measure "$s" "$M/$prev.json" "$M/$s.json" "$H2K_BIN/h2k-$s" "${args[@]}" ||
        die "h2k-$s failed: $(tail -n 3 "$M/$s.err")"
    prev=$s
done
# What h2k chose, as its appliance's command line says (accel=tcg or kvm).
accel=$(grep ' appliance ' "$M/inspect.qemu" | grep -o 'accel=[a-z:]*' | head -n 1)
accel=${accel#accel=}
: "${BENCH_V2V_TCG:=$([ "$accel" = kvm ] && echo 0 || echo 1)}"

# --- virt-v2v ----------------------------------------------------------------
drop_caches
read -r load_v2v _ < /proc/loadavg
log "virt-v2v: -i disk -if vmdk $DISK -o local -of qcow2 (force_tcg: $BENCH_V2V_TCG)"
v2v_env=()
[ "$BENCH_V2V_TCG" = 1 ] && v2v_env=(LIBGUESTFS_BACKEND_SETTINGS=force_tcg)
v2v_rc=0
measure virt-v2v /dev/null "$M/virt-v2v.out" env "${v2v_env[@]}" \
    virt-v2v -i disk -if vmdk "$src" -o local -os "$B/v2v-out" -of qcow2 \
    -on "$NAME" || v2v_rc=$?
v2v_disk="$B/v2v-out/$NAME-sda"
if [ "$v2v_rc" != 0 ] || [ ! -f "$v2v_disk" ]; then
    log "virt-v2v failed (exit $v2v_rc): $(tail -n 3 "$M/virt-v2v.out") $(tail -n 3 "$M/virt-v2v.err")"
    [ "$v2v_rc" != 0 ] || v2v_rc=1
fi

sha256sum -c --quiet "$M/source.sha256" >&2 || die "the source disk $src changed"

# --- the boot tests ------------------------------------------------------------
vargs=()
[ -n "$BENCH_TIMEOUT" ] && vargs=(--timeout "$BENCH_TIMEOUT")
# validate NAME IN: boot through h2k-validate; NAME.result gets the verdict.
validate ()
{
    local name=$1 in=$2 f
    measure "$name" "$in" "$M/$name.json" \
        "$H2K_BIN/h2k-validate" --failed-manifest "$M/$name-failed.json" "${vargs[@]}" || true
    f="$M/$name.json"
    [ -s "$f" ] || f="$M/$name-failed.json"
    if [ -s "$f" ] && jq -e .validation.status "$f" >/dev/null 2>&1; then
        jq -r '.validation |
            if .booted then
                "yes (\(.boot_seconds | floor) s to login; network \(.network_status // "-"))"
            else
                "NO: \(.failure // .reason // "no login prompt")"
            end' "$f" > "$M/$name.result"
    else
        echo "NO: h2k-validate: $(tail -n 1 "$M/$name.err")" > "$M/$name.result"
    fi
}
log "booting h2k's output (h2k-validate)"
validate validate-h2k "$M/convert.json"
if [ "$v2v_rc" = 0 ]; then
    jq --arg w "$B/v2v-work" --arg d "$B/v2v-out/$NAME-sd" \
       --slurpfile insp "$M/inspect.json" '{
        h2k_manifest_version: 1, workdir: $w, vm: .vm,
        disks: [.disks | to_entries[] | .value as $x | {
            id: $x.id, source: $x.source,
            current: ($x.source | {path, format}),
            output: {path: ($d + ([97 + .key] | implode)), format: "qcow2"}}],
        guest: (if $insp[0].guest.network then {network: $insp[0].guest.network}
                else {} end),
        stages: []}' "$M/fetched.json" > "$M/v2v-manifest.json"
    log "booting virt-v2v's output (h2k-validate)"
    validate validate-v2v "$M/v2v-manifest.json"
else
    echo "NO: virt-v2v failed (exit $v2v_rc)" > "$M/validate-v2v.result"
fi

# --- the table -----------------------------------------------------------------
mib () { echo "scale=1; $1 / 1048576" | bc -l; }
alloc () { [ -f "$1" ] && echo $(($(stat -c '%b * %B' "$1"))) || echo 0; }
virt () { [ -f "$1" ] && qemu-img info --output=json "$1" | jq '."virtual-size"' || echo 0; }
launches () { cat "$@" | grep -c ' appliance ' || true; }
probes () { cat "$@" | grep -c ' probe ' || true; }
ratio () { if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then printf '%.2f' "$(echo "$1 / $2" | bc -l)"; else echo -; fi; }

h2k_out="$(jq -r '.disks[0].output.path' "$M/convert.json")"
h_wall=0 h_cpu=0 h_rss=0 h_tree=0 files=()
for s in "${h2k_stages[@]}"; do
    h_wall=$(echo "$h_wall + $(wall "$s")" | bc -l)
    h_cpu=$(echo "$h_cpu + $(cpu "$s")" | bc -l)
    r=$(field "$s" 'Maximum resident set size'); [ "$r" -gt "$h_rss" ] && h_rss=$r
    t=$(cat "$M/$s.tree"); [ "$t" -gt "$h_tree" ] && h_tree=$t
    files+=("$M/$s.qemu")
done
h_launch=$(launches "${files[@]}") h_probe=$(probes "${files[@]}")
h_alloc=$(alloc "$h2k_out") h_virt=$(virt "$h2k_out")
v_wall=$(wall virt-v2v) v_cpu=$(cpu virt-v2v)
v_rss=$(field virt-v2v 'Maximum resident set size') v_tree=$(cat "$M/virt-v2v.tree")
v_launch=$(launches "$M/virt-v2v.qemu") v_probe=$(probes "$M/virt-v2v.qemu")
v_alloc=$(alloc "$v2v_disk") v_virt=$(virt "$v2v_disk")

printf '\nsource: %s (%s, %s virtual, %s MiB allocated); accel: %s; cold cache: %s\n' \
    "$DISK" "$NAME" "$(numfmt --to=iec "$(virt "$src")")" "$(mib "$(alloc "$src")")" \
    "$accel" "$BENCH_COLD"
printf 'virt-v2v: %s; load average (1 min) at the start: h2k %s, virt-v2v %s; %s CPUs\n\n' \
    "$(virt-v2v --version 2>/dev/null | head -n 1)" "$load_h2k" "$load_v2v" "$(nproc)"
printf '%-12s %7s %7s %8s %8s\n' "h2k stage" wall_s cpu_s rss_MiB tree_MiB
for s in "${h2k_stages[@]}"; do
    printf '%-12s %7.1f %7.1f %8.1f %8.1f   %s appliance launch(es)\n' "$s" \
        "$(wall "$s")" "$(cpu "$s")" \
        "$(echo "$(field "$s" 'Maximum resident set size') / 1024" | bc -l)" \
        "$(echo "$(cat "$M/$s.tree") / 1024" | bc -l)" "$(launches "$M/$s.qemu")"
done
printf '\n%-12s %7s %7s %8s %8s %8s %8s %8s  %s\n' tool wall_s cpu_s rss_MiB tree_MiB \
    out_MiB virt_GiB launches boots
row ()
{
    printf '%-12s %7.1f %7.1f %8.1f %8.1f %8.1f %8.1f %8s  %s\n' "$1" "$2" "$3" \
        "$(echo "$4 / 1024" | bc -l)" "$(echo "$5 / 1024" | bc -l)" "$(mib "$6")" \
        "$(echo "$7 / 1073741824" | bc -l)" "$8" "$(cat "$9")"
}
row h2k "$h_wall" "$h_cpu" "$h_rss" "$h_tree" "$h_alloc" "$h_virt" "$h_launch" "$M/validate-h2k.result"
row virt-v2v "$v_wall" "$v_cpu" "$v_rss" "$v_tree" "$v_alloc" "$v_virt" "$v_launch" "$M/validate-v2v.result"
if [ "$v2v_rc" != 0 ]; then
    printf '%-12s (none: virt-v2v failed, exit %s; see %s)\n' h2k/virt-v2v "$v2v_rc" \
        "$M/virt-v2v.out"
else
    printf '%-12s %7s %7s %8s %8s %8s %8s %8s\n' h2k/virt-v2v \
        "$(ratio "$h_wall" "$v_wall")" "$(ratio "$h_cpu" "$v_cpu")" \
        "$(ratio "$h_rss" "$v_rss")" "$(ratio "$h_tree" "$v_tree")" \
        "$(ratio "$h_alloc" "$v_alloc")" "$(ratio "$h_virt" "$v_virt")" \
        "$(ratio "$h_launch" "$v_launch")"
fi
printf '\nqemu probes (not launches): h2k %s, virt-v2v %s; boot test wall time: h2k %ss, virt-v2v %ss\n' \
    "$h_probe" "$v_probe" "$(wall validate-h2k)" \
    "$( [ -f "$M/validate-v2v.time" ] && wall validate-v2v || echo -)"
[ "$BENCH_KEEP" = 1 ] && printf 'kept: %s (qemu starts: %s)\n' "$B" "$qlog"
exit 0
