#!/bin/bash
# Benchmark h2k-fetch over HTTP against curl -o, both reading from the
# same nginx, started here on 127.0.0.1 (tests/lib/nginx.sh).
#
#   tests/bench/fetch.sh
#
# Not part of `make check`: a measurement, not a timed test.  It makes a
# sparse raw image of BENCH_SIZE (default 2G) holding BENCH_DATA (default
# 1G) of random data in 64 MiB extents spread over it, then fetches it
# once per variant (or BENCH_REPEAT rounds, keeping the best) with
# /usr/bin/time -v and prints: wall time, wall time including a sync
# afterwards (curl does not flush; h2k-fetch fdatasyncs every chunk),
# throughput (image bytes / wall time), CPU time (user + system, of the
# client), peak RSS, the bytes the copy occupies on disk (du: h2k-fetch
# leaves holes as holes, curl writes every zero), and the throughput
# ratio to curl.
#
#   h2k       h2k-fetch URL --format raw (default --connections, 4)
#   h2k-c1    the same with --connections 1
#   h2k-c8    the same with --connections 8
#   curl      curl -s -o FILE URL
#
# Sections: bench_http (this file), then bench_sftp, which runs
# tests/bench/fetch-ssh.sh (the SFTP benchmark) when BENCH_SFTP=1, and
# bench_vsphere, which runs tests/bench/fetch-vsphere.sh (a VM's disk from
# vcsim's datastore, h2k-fetch vsphere:// against curl with the same
# session cookie) when BENCH_VSPHERE=1.
#
# Environment: BENCH_DIR (default: a new directory under /var/tmp; needs
# BENCH_SIZE + 2 x BENCH_DATA free), BENCH_SIZE, BENCH_DATA (a multiple
# of 64M), BENCH_REPEAT, BENCH_ONLY (variant names), BENCH_KEEP=1,
# BENCH_COLD=1 (drop the page cache before each run; root only),
# BENCH_SFTP=1, BENCH_VSPHERE=1, H2K_BIN (default build/bin).
set -euo pipefail

top="$(cd "$(dirname "$0")/../.." && pwd)"
: "${H2K_BIN:=$top/build/bin}"
: "${BENCH_SIZE:=2G}"
: "${BENCH_DATA:=1G}"
: "${BENCH_REPEAT:=1}"
: "${BENCH_KEEP:=0}"
: "${BENCH_COLD:=0}"
: "${BENCH_SFTP:=0}"
: "${BENCH_VSPHERE:=0}"
: "${BENCH_ONLY:=h2k h2k-c1 h2k-c8 curl}"

die () { echo "fetch.sh: $*" >&2; exit 1; }
for c in nginx curl numfmt jq python3 openssl; do
    command -v "$c" >/dev/null || die "$c is not installed"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (apt-get install time)"
[ -x "$H2K_BIN/h2k-fetch" ] || die "$H2K_BIN/h2k-fetch: not built"
# shellcheck disable=SC1091
. "$top/tests/lib/nginx.sh"

size=$(numfmt --from=iec "$BENCH_SIZE")
data=$(numfmt --from=iec "$BENCH_DATA")
extent=$((64 << 20))
[ $((data % extent)) = 0 ] && [ "$data" -gt 0 ] || die "BENCH_DATA must be a multiple of 64M"
nextents=$((data / extent))
stride=$((size / nextents / extent * extent))
[ "$stride" -ge "$extent" ] || die "BENCH_DATA larger than BENCH_SIZE"

if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR="$(mktemp -d /var/tmp/h2k-bench-fetch.XXXXXX)"
fi
mkdir -p "$BENCH_DIR/srv/www"
cleanup ()
{
    nginx_stop "$BENCH_DIR/srv"
    [ "$BENCH_KEEP" = 1 ] || rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

# The image: NEXTENTS extents of random data, STRIDE apart.
make_image ()
{
    local img="$BENCH_DIR/srv/www/disk.img" i
    [ -s "$img" ] && [ "$(stat -c %s "$img")" = "$size" ] && return 0
    echo "# making $BENCH_SIZE image with $BENCH_DATA of data" >&2
    rm -f "$img"
    truncate -s "$size" "$img"
    for ((i = 0; i < nextents; i++)); do
        head -c "$extent" /dev/urandom |
            dd of="$img" bs=1M seek=$((i * stride / 1048576)) conv=notrunc status=none
    done
}

start_server ()
{
    local d="$BENCH_DIR/srv" port
    port=$(free_port)
    {
        nginx_http_block "$d"
        cat <<EOF
    server {
        listen 127.0.0.1:$port;
        root $d/www;
    }
}
EOF
    } >"$d/nginx.conf"
    nginx_start "$d" "$d/nginx.conf" || die "nginx did not start"
    url="http://127.0.0.1:$port/disk.img"
}

# timed NAME CMD...: run CMD under /usr/bin/time -v; sets wall, sync_s,
# cpu, rss_kib (of this run).
timed ()
{
    local name="$1" t="$BENCH_DIR/time.$1" t0 t1
    shift
    if [ "$BENCH_COLD" = 1 ]; then
        sync
        echo 3 >/proc/sys/vm/drop_caches
    fi
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

# run_variant NAME: fetch the image once; OUT is the file it made.
run_variant ()
{
    local name="$1" w="$BENCH_DIR/out-$1"
    rm -rf "$w"
    mkdir -p "$w"
    case "$name" in
        h2k)    timed "$name" "$H2K_BIN/h2k-fetch" --workdir "$w/wd" --format raw "$url"
                out="$w/wd/download/disk.img" ;;
        h2k-c1) timed "$name" "$H2K_BIN/h2k-fetch" --connections 1 --workdir "$w/wd" --format raw "$url"
                out="$w/wd/download/disk.img" ;;
        h2k-c8) timed "$name" "$H2K_BIN/h2k-fetch" --connections 8 --workdir "$w/wd" --format raw "$url"
                out="$w/wd/download/disk.img" ;;
        curl)   timed "$name" curl -s -f -o "$w/disk.img" "$url"
                out="$w/disk.img" ;;
        *)      die "unknown variant $name" ;;
    esac
}

bench_http ()
{
    local name r best_wall best_line ratio curl_tp=""
    declare -A line tp
    make_image
    start_server
    # Warm the server's page cache once, so every variant reads alike.
    cat "$BENCH_DIR/srv/www/disk.img" >/dev/null
    for name in $BENCH_ONLY; do
        best_wall=""
        for ((r = 0; r < BENCH_REPEAT; r++)); do
            run_variant "$name"
            if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc -l)" = 1 ]; then
                best_wall=$wall
                best_line=$(printf '%-8s %8.2f %9.2f %8.0f %8s %8.1f %10s' "$name" \
                    "$wall" "$(echo "$wall + $sync_s" | bc -l)" \
                    "$(echo "$size / $wall / 1048576" | bc -l)" "$cpu" \
                    "$(echo "$rss_kib / 1024" | bc -l)" \
                    "$(numfmt --to=iec "$(du -B1 "$out" | cut -f1)")")
                tp[$name]=$(echo "$size / $wall" | bc -l)
            fi
            if [ "$name" = h2k ] && [ "$r" = 0 ]; then
                cmp "$out" "$BENCH_DIR/srv/www/disk.img" || die "h2k's copy differs"
            fi
            rm -rf "$BENCH_DIR/out-$name"
        done
        line[$name]=$best_line
    done
    [ -n "${tp[curl]:-}" ] && curl_tp=${tp[curl]}
    echo "# HTTP over loopback: $BENCH_SIZE image, $BENCH_DATA of data, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-8s %8s %9s %8s %8s %8s %10s %7s\n' variant wall_s +sync_s MiB/s cpu_s rss_MiB on_disk vs_curl
    for name in $BENCH_ONLY; do
        ratio="-"
        [ -n "$curl_tp" ] && ratio=$(printf '%.2fx' "$(echo "${tp[$name]} / $curl_tp" | bc -l)")
        printf '%s %7s\n' "${line[$name]}" "$ratio"
    done
    nginx_stop "$BENCH_DIR/srv"
}

# The SFTP section: its own script (it starts its own sshd).
bench_sftp ()
{
    [ "$BENCH_SFTP" = 1 ] || return 0
    if [ -x "$top/tests/bench/fetch-ssh.sh" ]; then
        echo
        H2K_BIN="$H2K_BIN" BENCH_SIZE="$BENCH_SIZE" BENCH_DATA="$BENCH_DATA" \
            BENCH_REPEAT="$BENCH_REPEAT" "$top/tests/bench/fetch-ssh.sh"
    else
        echo "# SFTP: tests/bench/fetch-ssh.sh is not there" >&2
    fi
}

# The vSphere section: its own script (it starts its own vcsim).
bench_vsphere ()
{
    [ "$BENCH_VSPHERE" = 1 ] || return 0
    echo
    H2K_BIN="$H2K_BIN" BENCH_SIZE="$BENCH_SIZE" BENCH_DATA="$BENCH_DATA" \
        BENCH_REPEAT="$BENCH_REPEAT" "$top/tests/bench/fetch-vsphere.sh"
}

bench_http
bench_sftp
bench_vsphere
