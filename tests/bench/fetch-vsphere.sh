#!/bin/bash
# Benchmark h2k-fetch from vSphere against curl given the same session
# cookie, both reading one VM's disk from the datastore (/folder) of
# VMware's simulator (vcsim, tests/vcsim, started here on 127.0.0.1 with
# TLS; tests/lib/vcsim.sh).
#
#   tests/bench/fetch-vsphere.sh      (or BENCH_VSPHERE=1 tests/bench/fetch.sh)
#
# Not part of `make check`.  VM Folder1/web01's disk is disk1.vmdk + a
# sparse disk1-flat.vmdk of BENCH_SIZE (default 2G) holding BENCH_DATA
# (default 1G) of random data in 64 MiB extents.  Variants:
#
#   h2k       h2k-fetch vsphere://admin@.../DC0/vm/Folder1/web01 (login,
#             inventory, plan, both files, logout; default --connections 4)
#   h2k-c1    the same with --connections 1
#   h2k-c8    the same with --connections 8
#   curl      curl -o of disk1-flat.vmdk alone, with the cookie of a
#             session opened beforehand (the login is not timed)
#
# Columns as in fetch.sh: wall, wall + sync, MiB/s (of BENCH_SIZE), CPU
# seconds of the client, peak RSS, bytes on disk, throughput vs curl.
# vcsim serves /folder with Go's http.FileServer: this measures the
# client, not a real datastore.
#
# Environment: BENCH_DIR (default: a new directory under /var/tmp; needs
# BENCH_SIZE + 2 x BENCH_DATA free), BENCH_SIZE, BENCH_DATA, BENCH_REPEAT,
# BENCH_ONLY, BENCH_KEEP=1, H2K_BIN (default build/bin), H2K_TEST_IMAGES.
set -euo pipefail

top="$(cd "$(dirname "$0")/../.." && pwd)"
: "${H2K_BIN:=$top/build/bin}"
: "${H2K_TEST_IMAGES:=/var/tmp/h2k-test-images}"
: "${BENCH_SIZE:=2G}"
: "${BENCH_DATA:=1G}"
: "${BENCH_REPEAT:=1}"
: "${BENCH_KEEP:=0}"
: "${BENCH_ONLY:=h2k h2k-c1 h2k-c8 curl}"
export H2K_TEST_IMAGES

die () { echo "fetch-vsphere.sh: $*" >&2; exit 1; }
for c in curl numfmt jq openssl bc; do
    command -v "$c" >/dev/null || die "$c is not installed"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (apt-get install time)"
[ -x "$H2K_BIN/h2k-fetch" ] || die "$H2K_BIN/h2k-fetch: not built"
make -s -C "$top/tests/images" vcsim >/dev/null || die "vcsim could not be built"
# shellcheck disable=SC1091
. "$top/tests/lib/vcsim.sh"

size=$(numfmt --from=iec "$BENCH_SIZE")
data=$(numfmt --from=iec "$BENCH_DATA")
extent=$((64 << 20))
[ $((data % extent)) = 0 ] && [ "$data" -gt 0 ] || die "BENCH_DATA must be a multiple of 64M"
nextents=$((data / extent))
stride=$((size / nextents / extent * extent))
[ "$stride" -ge "$extent" ] || die "BENCH_DATA larger than BENCH_SIZE"

if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR="$(mktemp -d /var/tmp/h2k-bench-vsphere.XXXXXX)"
fi
vc="$BENCH_DIR/vc"
mkdir -p "$vc/seed" "$BENCH_DIR/tmp"
cleanup ()
{
    vcsim_stop "$vc"
    [ "$BENCH_KEEP" = 1 ] || rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

make_seed ()
{
    local img="$vc/seed/disk1-flat.vmdk" i
    echo "# making $BENCH_SIZE disk with $BENCH_DATA of data" >&2
    truncate -s "$size" "$img"
    for ((i = 0; i < nextents; i++)); do
        head -c "$extent" /dev/urandom |
            dd of="$img" bs=1M seek=$((i * stride / 1048576)) conv=notrunc status=none
    done
    printf '%s\n' '# Disk DescriptorFile' 'version=1' 'CID=12345678' \
        'parentCID=ffffffff' 'createType="monolithicFlat"' '' \
        "RW $((size / 512)) FLAT \"disk1-flat.vmdk\" 0" '' '#DDB' \
        'ddb.adapterType = "lsilogic"' >"$vc/seed/disk1.vmdk"
}

# A session for curl: Login's cookie in a cookie jar (the password goes in
# a file, never in argv).
curl_login ()
{
    local body="$BENCH_DIR/login.xml"
    (umask 077
     printf '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>admin</userName><password>%s</password></Login></soapenv:Body></soapenv:Envelope>' \
         "$(cat "$vc/password")" >"$body")
    curl -k -s -f -c "$BENCH_DIR/cookies" -H 'Content-Type: text/xml' \
        --data-binary @"$body" "https://$VC/sdk" >/dev/null || die "curl could not log in"
    rm -f "$body"
}

# timed NAME CMD...: as in fetch.sh.
timed ()
{
    local name="$1" t="$BENCH_DIR/time.$1" t0 t1
    shift
    /usr/bin/time -v -o "$t" "$@" >/dev/null 2>"$BENCH_DIR/err.$name" ||
        die "$name failed: $(tail -n 3 "$BENCH_DIR/err.$name")"
    t0=$(date +%s.%N)
    sync
    t1=$(date +%s.%N)
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, a, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + a[i]
        print s }' "$t")
    cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "$t")
    rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")
    sync_s=$(echo "$t1 - $t0" | bc -l)
}

run_variant ()
{
    local name="$1" w="$BENCH_DIR/out-$1" src="vsphere://admin@$VC/DC0/vm/Folder1/web01"
    local h2k=("$H2K_BIN/h2k-fetch" --password-file "$vc/password" --thumbprint "$VC_TP")
    rm -rf "$w"
    mkdir -p "$w"
    out="$w/wd/download/LocalDS_0/web01/disk1-flat.vmdk"
    case "$name" in
        h2k)    timed "$name" "${h2k[@]}" --workdir "$w/wd" "$src" ;;
        h2k-c1) timed "$name" "${h2k[@]}" --connections 1 --workdir "$w/wd" "$src" ;;
        h2k-c8) timed "$name" "${h2k[@]}" --connections 8 --workdir "$w/wd" "$src" ;;
        curl)   out="$w/disk1-flat.vmdk"
                timed "$name" curl -k -s -f -b "$BENCH_DIR/cookies" -o "$out" \
                    "https://$VC/folder/web01/disk1-flat.vmdk?dcPath=DC0&dsName=LocalDS_0" ;;
        *)      die "unknown variant $name" ;;
    esac
}

make_seed
printf 'h2k-bench-%s\n' "$RANDOM$RANDOM" >"$vc/password"
chmod 600 "$vc/password"
TMPDIR="$BENCH_DIR/tmp" vcsim_start "$vc" -seed "$vc/seed" || die "vcsim did not start"
curl_login
cat "$vc/seed/disk1-flat.vmdk" >/dev/null
declare -A line tp
for name in $BENCH_ONLY; do
    best_wall=""
    for ((r = 0; r < BENCH_REPEAT; r++)); do
        run_variant "$name"
        if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc -l)" = 1 ]; then
            best_wall=$wall
            line[$name]=$(printf '%-8s %8.2f %9.2f %8.0f %8s %8.1f %10s' "$name" \
                "$wall" "$(echo "$wall + $sync_s" | bc -l)" \
                "$(echo "$size / $wall / 1048576" | bc -l)" "$cpu" \
                "$(echo "$rss_kib / 1024" | bc -l)" \
                "$(numfmt --to=iec "$(du -B1 "$out" | cut -f1)")")
            tp[$name]=$(echo "$size / $wall" | bc -l)
        fi
        if [ "$r" = 0 ]; then
            cmp "$out" "$vc/seed/disk1-flat.vmdk" || die "$name's copy differs"
        fi
        rm -rf "$BENCH_DIR/out-$name"
    done
done
curl_tp=${tp[curl]:-}
echo "# vSphere (vcsim /folder, HTTPS) over loopback: $BENCH_SIZE disk, $BENCH_DATA of data, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %8s %9s %8s %8s %8s %10s %7s\n' variant wall_s +sync_s MiB/s cpu_s rss_MiB on_disk vs_curl
for name in $BENCH_ONLY; do
    ratio="-"
    [ -n "$curl_tp" ] && ratio=$(printf '%.2fx' "$(echo "${tp[$name]} / $curl_tp" | bc -l)")
    printf '%s %7s\n' "${line[$name]}" "$ratio"
done
