#!/bin/bash
# Benchmark h2k-convert against plain and tuned qemu-img and cp.
#
#   tests/bench/convert.sh
#
# Not part of `make check`: it is a measurement, not a timed test.  It makes
# a sparse VMDK (monolithicSparse) of BENCH_SIZE (default 8G) holding about
# BENCH_DATA (default 2G) of data, spread over the disk in 64 MiB extents,
# with runs of written zeros among them, then times each converter once (or
# BENCH_REPEAT rounds, keeping each variant's best) with /usr/bin/time -v
# and prints a table: wall time, the time of a sync afterwards (qemu-img's
# default cache mode and cp do not flush; h2k-convert fsyncs), CPU time,
# h2k-convert's own qemu-img convert step, peak RSS, output allocation,
# and the ratio to the best qemu-img invocation.
#
# Environment:
#   BENCH_DIR       work directory (default: a new one under /var/tmp);
#                   it needs about 3 x BENCH_DATA of free space
#   BENCH_SIZE      virtual size (default 8G)
#   BENCH_DATA      data to write (default 2G), a multiple of 64M
#   BENCH_REPEAT    runs per variant (default 1)
#   BENCH_COLD=1    drop the page cache before every run (root only;
#                   default 1 when we are root)
#   BENCH_ONLY      space-separated variant names to run (default: all)
#   BENCH_KEEP=1    keep BENCH_DIR afterwards
#   H2K_BIN         where h2k-convert is (default: build/bin)
set -euo pipefail

top="$(cd "$(dirname "$0")/../.." && pwd)"
: "${H2K_BIN:=$top/build/bin}"
: "${BENCH_SIZE:=8G}"
: "${BENCH_DATA:=2G}"
: "${BENCH_REPEAT:=1}"
: "${BENCH_KEEP:=0}"
: "${BENCH_ONLY:=}"
if [ "$(id -u)" = 0 ]; then : "${BENCH_COLD:=1}"; else : "${BENCH_COLD:=0}"; fi

die () { echo "convert.sh: $*" >&2; exit 1; }
for c in qemu-img qemu-io jq numfmt; do
    command -v "$c" >/dev/null || die "$c is not installed"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (apt-get install time)"

size=$(numfmt --from=iec "$BENCH_SIZE")
data=$(numfmt --from=iec "$BENCH_DATA")
chunk=$((64 << 20))
[ $((data % chunk)) = 0 ] && [ "$data" -gt 0 ] || die "BENCH_DATA must be a multiple of 64M"
nchunks=$((data / chunk))
stride=$((size / nchunks / chunk * chunk))
[ "$stride" -ge "$chunk" ] || die "BENCH_DATA larger than BENCH_SIZE"

if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR="$(mktemp -d /var/tmp/h2k-bench.XXXXXX)"
    created_dir=1
else
    mkdir -p "$BENCH_DIR"
    created_dir=0
fi
cleanup ()
{
    if [ "$BENCH_KEEP" != 1 ] && [ "$created_dir" = 1 ]; then rm -rf "$BENCH_DIR"; fi
}
trap cleanup EXIT
cd "$BENCH_DIR"

# --- the source image ----------------------------------------------------
# Data: each 64 MiB extent is 3/4 random bytes (incompressible) and 1/4
# text-like bytes (compressible); after conversion to VMDK, 1 MiB runs of
# explicit zeros are written into every extent, so that converters must
# detect zeroes rather than rely on unallocated grains.
src=src.vmdk
if [ ! -f "$src" ] || [ "$(cat src.params 2>/dev/null)" != "$size $data" ]; then
    echo "# making $BENCH_SIZE VMDK with $BENCH_DATA of data in $BENCH_DIR" >&2
    rm -f src.raw "$src"
    truncate -s "$size" src.raw
    seq 1 2000000 | head -c $((16 << 20)) > text.bin
    for ((i = 0; i < nchunks; i++)); do
        off=$((i * stride / chunk * 64))        # in MiB
        dd if=/dev/urandom of=src.raw bs=1M count=48 seek="$off" \
           conv=notrunc,sparse status=none
        dd if=text.bin of=src.raw bs=1M count=16 seek=$((off + 48)) \
           conv=notrunc status=none
    done
    rm -f text.bin
    qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse src.raw "$src"
    cmds=()
    for ((i = 0; i < nchunks; i++)); do
        base=$((i * stride))
        cmds+=(-c "write -P 0 $((base + (8 << 20))) 1M"
               -c "write -P 0 $((base + (40 << 20))) 1M")
    done
    qemu-io -f vmdk "${cmds[@]}" "$src" >/dev/null
    # the raw copy for cp (the zero runs written above are in it too)
    rm -f src.raw
    qemu-img convert -f vmdk -O raw "$src" src.raw
    echo "$size $data" > src.params
fi
echo "# source: $(qemu-img info -f vmdk --output=json "$src" |
                 jq -r '"virtual \(."virtual-size") bytes, file \(."actual-size") bytes"')" >&2

jq -n --arg p "$BENCH_DIR/$src" --argjson vs "$size" --arg w "$BENCH_DIR" '{
  h2k_manifest_version: 1, workdir: $w, vm: {name: "bench"},
  disks: [{id: "disk0", source: {path: $p, format: "vmdk", virtual_size: $vs},
           current: {path: $p, format: "vmdk"}}],
  stages: []}' > manifest.json

# --- the variants ----------------------------------------------------------
# name | output file | command (run by argv through bash -c, quoted here)
variants=(
  "qemu-img-default|out.qcow2|qemu-img convert -f vmdk -O qcow2 src.vmdk out.qcow2"
  "qemu-img-W|out.qcow2|qemu-img convert -W -f vmdk -O qcow2 src.vmdk out.qcow2"
  "qemu-img-m16|out.qcow2|qemu-img convert -m 16 -f vmdk -O qcow2 src.vmdk out.qcow2"
  "qemu-img-W-m16|out.qcow2|qemu-img convert -W -m 16 -f vmdk -O qcow2 src.vmdk out.qcow2"
  "qemu-img-W-m16-tnone|out.qcow2|qemu-img convert -W -m 16 -t none -f vmdk -O qcow2 src.vmdk out.qcow2"
  "qemu-img-W-m16-tnone-Tnone|out.qcow2|qemu-img convert -W -m 16 -t none -T none -f vmdk -O qcow2 src.vmdk out.qcow2"
  "qemu-img-W-m16-twb|out.qcow2|qemu-img convert -W -m 16 -t writeback -f vmdk -O qcow2 src.vmdk out.qcow2"
  "cp-sparse-raw|out.raw|cp --sparse=always src.raw out.raw"
  "h2k-convert|out/bench-disk0.qcow2|$H2K_BIN/h2k-convert --output-dir out < manifest.json > result.json"
  "h2k-convert-no-compare|out/bench-disk0.qcow2|$H2K_BIN/h2k-convert --no-compare --output-dir out < manifest.json > result.json"
)

want ()
{
    [ -z "$BENCH_ONLY" ] && return 0
    case " $BENCH_ONLY " in *" $1 "*) return 0;; esac
    return 1
}

drop_caches ()
{
    sync
    if [ "$BENCH_COLD" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

# Round-robin over the variants BENCH_REPEAT times, so that a change in
# the machine's load hits every variant alike; keep each variant's best.
declare -A best_total best_wall best_sync best_cpu best_rss best_conv out_of
names=()
for v in "${variants[@]}"; do
    IFS='|' read -r name out cmd <<<"$v"
    want "$name" || continue
    case "$name" in h2k-*)
        [ -x "$H2K_BIN/h2k-convert" ] || die "$H2K_BIN/h2k-convert not built (run make)";;
    esac
    names+=("$name")
done
for ((r = 0; r < BENCH_REPEAT; r++)); do
    for v in "${variants[@]}"; do
        IFS='|' read -r name out cmd <<<"$v"
        want "$name" || continue
        rm -rf out out.qcow2 out.raw result.json
        drop_caches
        # h2k-convert -v says how long its qemu-img convert step took.
        case "$name" in h2k-*) cmd="${cmd/h2k-convert /h2k-convert -v }";; esac
        /usr/bin/time -v -o time.txt bash -c "$cmd" 2>stderr.txt ||
            die "$name failed: $cmd: $(tail -n 3 stderr.txt)"
        # qemu-img's default cache mode (unsafe) and cp do not flush: time a
        # sync afterwards and count it, since h2k-convert fsyncs its output.
        t0=$(date +%s.%N); sync; t1=$(date +%s.%N)
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
                  n = split($2, a, ":"); s = 0
                  for (i = 1; i <= n; i++) s = s * 60 + a[i]
                  printf "%.2f", s }' time.txt)
        cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' time.txt)
        rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' time.txt)
        conv=$(sed -n 's/.*converted in \([0-9.]*\)s.*/\1/p' stderr.txt | head -n 1)
        syncs=$(echo "$t1 - $t0" | bc -l)
        total=$(echo "$wall + $syncs" | bc -l)
        echo "# run $((r + 1)) $name: ${wall}s + sync ${syncs}s, cpu ${cpu}s, ${rss} KiB${conv:+, convert step ${conv}s}" >&2
        if [ -z "${best_total[$name]:-}" ] ||
           [ "$(echo "$total < ${best_total[$name]}" | bc -l)" = 1 ]; then
            best_total[$name]=$total best_wall[$name]=$wall best_sync[$name]=$syncs
            best_cpu[$name]=$cpu best_rss[$name]=$rss best_conv[$name]=${conv:--}
            out_of[$name]=$(du -B1 "$out" | cut -f1)
        fi
    done
done
rm -rf out out.qcow2 out.raw result.json time.txt stderr.txt

# --- the table ---------------------------------------------------------------
best_q=""
for name in "${names[@]}"; do
    case "$name" in qemu-img-*)
        if [ -z "$best_q" ] || [ "$(echo "${best_total[$name]} < $best_q" | bc -l)" = 1 ]; then
            best_q=${best_total[$name]} best_name=$name
        fi;;
    esac
done
printf '\nsource: %s virtual, %s data (VMDK monolithicSparse); cold cache: %s; best of %s\n' \
    "$BENCH_SIZE" "$BENCH_DATA" "$BENCH_COLD" "$BENCH_REPEAT"
printf '%-28s %7s %7s %8s %7s %9s %10s %8s %7s\n' variant wall_s sync_s total_s cpu_s \
    convert_s rss_MiB out_MiB vs_best
for name in "${names[@]}"; do
    ratio="-"
    [ -n "$best_q" ] && ratio=$(printf '%.2f' "$(echo "${best_total[$name]} / $best_q" | bc -l)")
    printf '%-28s %7.2f %7.2f %8.2f %7.2f %9s %10.1f %8.1f %7s\n' "$name" \
        "${best_wall[$name]}" "${best_sync[$name]}" "${best_total[$name]}" \
        "${best_cpu[$name]}" "${best_conv[$name]}" \
        "$(echo "${best_rss[$name]} / 1024" | bc -l)" \
        "$(echo "${out_of[$name]} / 1048576" | bc -l)" "$ratio"
done
[ -n "$best_q" ] && printf 'best qemu-img: %s (%.2fs, wall + sync)\n' "$best_name" "$best_q"
exit 0
