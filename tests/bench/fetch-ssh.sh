#!/bin/bash
# Benchmark h2k-fetch over SFTP against OpenSSH's sftp and scp, all
# reading from the same sshd, started here on 127.0.0.1.
#
#   tests/bench/fetch-ssh.sh
#
# Not part of `make check`: a measurement.  It makes a sparse raw image
# of BENCH_SIZE (default 2G) holding BENCH_DATA (default 1G) of random
# data in 64 MiB extents spread over it, then fetches it once per
# variant (or BENCH_REPEAT rounds, keeping the best wall time) with
# /usr/bin/time -v and prints: wall time, throughput (image bytes / wall
# time), CPU time (user + system, of the client only), peak RSS, and the
# bytes the copy occupies on disk (du: h2k-fetch leaves holes as holes).
# The page cache is dropped before each run when we are root.
#
#   h2k       h2k-fetch ssh://root@127.0.0.1:PORT/.../img --format raw
#   sftp      sftp -q (OpenSSH: 64 requests of 32 KiB in flight)
#   scp       scp -q (OpenSSH 9: the SFTP protocol too)
#
# Every variant uses the client's default cipher choice (h2k-fetch asks
# for AES-GCM first, OpenSSH for chacha20-poly1305); BENCH_CIPHER forces
# one for the OpenSSH clients.
#
# Environment: BENCH_DIR (default: a new directory under /var/tmp, needs
# 2 x BENCH_DATA free), BENCH_SIZE, BENCH_DATA (a multiple of 64M),
# BENCH_REPEAT, BENCH_KEEP=1, BENCH_CIPHER, H2K_BIN (default build/bin).
set -euo pipefail

top="$(cd "$(dirname "$0")/../.." && pwd)"
: "${H2K_BIN:=$top/build/bin}"
: "${BENCH_SIZE:=2G}"
: "${BENCH_DATA:=1G}"
: "${BENCH_REPEAT:=1}"
: "${BENCH_KEEP:=0}"
: "${BENCH_CIPHER:=}"

die () { echo "fetch-ssh.sh: $*" >&2; exit 1; }
for c in /usr/sbin/sshd ssh-keygen ssh-keyscan sftp scp numfmt jq; do
    command -v "$c" >/dev/null || die "$c is not installed"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (apt-get install time)"
[ -x "$H2K_BIN/h2k-fetch" ] || die "no $H2K_BIN/h2k-fetch (make first)"

size=$(numfmt --from=iec "$BENCH_SIZE")
data=$(numfmt --from=iec "$BENCH_DATA")
chunk=$((64 << 20))
[ $((data % chunk)) = 0 ] && [ "$data" -gt 0 ] || die "BENCH_DATA must be a multiple of 64M"
nchunks=$((data / chunk))
stride=$((size / nchunks / chunk * chunk))
[ "$stride" -ge "$chunk" ] || die "BENCH_DATA larger than BENCH_SIZE"

if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR="$(mktemp -d /var/tmp/h2k-bench-ssh.XXXXXX)"
fi
chmod 755 "$BENCH_DIR"
# shellcheck source=../lib/sshd.bash
. "$top/tests/lib/sshd.bash"
cleanup ()
{
    sshd_stop "$BENCH_DIR/ssh" || true
    [ "$BENCH_KEEP" = 1 ] || rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

img="$BENCH_DIR/ds/image.raw"
mkdir -p "$BENCH_DIR/ds"
if [ ! -f "$img" ] || [ "$(stat -c %s "$img")" != "$size" ]; then
    echo "making $BENCH_SIZE image with $BENCH_DATA of data..." >&2
    rm -f "$img"
    truncate -s "$size" "$img"
    for i in $(seq 0 $((nchunks - 1))); do
        head -c "$chunk" /dev/urandom |
            dd of="$img" bs=1M seek=$((i * stride / 1048576)) conv=notrunc status=none
    done
fi
sshd_start "$BENCH_DIR/ssh" || die "sshd did not start"
S="$BENCH_DIR/ssh"
port="$SSHD_PORT"
ssh_opts=(-o "UserKnownHostsFile=$S/known_hosts" -o StrictHostKeyChecking=yes
          -o BatchMode=yes -i "$S/client_ed25519")
[ -z "$BENCH_CIPHER" ] || ssh_opts+=(-c "$BENCH_CIPHER")

out="$BENCH_DIR/out"
run_variant ()
{
    local name="$1"
    rm -rf "$out"; mkdir -p "$out"
    sync
    if [ "$(id -u)" = 0 ]; then echo 3 > /proc/sys/vm/drop_caches || true; fi
    case "$name" in
    h2k)  env -u SSH_AUTH_SOCK /usr/bin/time -v -o "$BENCH_DIR/time.$name" \
              "$H2K_BIN/h2k-fetch" --workdir "$out/w" --known-hosts "$S/known_hosts" \
              --identity-file "$S/client_ed25519" --format raw \
              "ssh://root@127.0.0.1:$port$img" > "$out/manifest.json"
          copy="$out/w/download/image.raw" ;;
    sftp) /usr/bin/time -v -o "$BENCH_DIR/time.$name" \
              sftp -q -P "$port" "${ssh_opts[@]}" "root@127.0.0.1:$img" "$out/image.raw" >/dev/null
          copy="$out/image.raw" ;;
    scp)  /usr/bin/time -v -o "$BENCH_DIR/time.$name" \
              scp -q -P "$port" "${ssh_opts[@]}" "root@127.0.0.1:$img" "$out/image.raw"
          copy="$out/image.raw" ;;
    esac
    cmp "$img" "$copy" || die "$name: the copy differs from the image"
    du_bytes=$(du -B1 "$copy" | cut -f1)
}

field () { sed -n "s/^[[:space:]]*$1: //p" "$2"; }
wall_s ()
{
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:12.34"
    field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$1" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}

printf '%-6s %9s %11s %9s %10s %12s\n' variant wall_s MiB/s cpu_s rss_MiB du_MiB
for name in h2k sftp scp; do
    best=""
    for _ in $(seq "$BENCH_REPEAT"); do
        run_variant "$name"
        t="$BENCH_DIR/time.$name"
        w=$(wall_s "$t")
        if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best="$w"
            cpu=$(awk -v u="$(field 'User time (seconds)' "$t")" \
                      -v s="$(field 'System time (seconds)' "$t")" 'BEGIN { print u + s }')
            rss=$(( $(field 'Maximum resident set size (kbytes)' "$t") / 1024 ))
            du_mib=$((du_bytes >> 20))
        fi
    done
    printf '%-6s %9.2f %11.1f %9.2f %10d %12d\n' "$name" "$best" \
        "$(awk -v s="$size" -v w="$best" 'BEGIN { print s / 1048576 / w }')" \
        "$cpu" "$rss" "$du_mib"
done
