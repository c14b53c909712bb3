#!/bin/bash
# Run h2k's tests and print one closing line "N passed, N failed, N skipped".
#
#   tests/run-tests.sh [--tier fast|guests|all] [--unit-only] UNIT-TEST-BINARIES...
#
# Two tiers.  "fast" (make check): the unit tests (TAP from
# tests/unit/test.h), beside every bats test that runs no VM.  "guests"
# (make check-guests): the bats tests tagged "guests" (bats file_tags or
# test_tags), which build the test guests, launch libguestfs appliances
# or boot guests under QEMU; no unit tests.  "all" (make check-all):
# both.  H2K_VALGRIND=1 runs the unit tests under valgrind;
# --unit-only runs nothing else.  H2K_BATS="a.bats b.bats" picks bats
# files, run whole unless --tier or H2K_TIER is given.  Each phase's duration is printed, so the time
# budget stays visible.
#
# H2K_JOBS bats files run at a time (default: in the fast tier two per
# CPU; otherwise 2, or 1 on one CPU: the guest boots and appliances run
# under TCG, mostly on one thread each, so two at a time use both cores
# of a small machine).  The slowest files
# start first; each file's TAP is printed whole when it ends.  The test
# images are built before anything runs (see below).
set -u
top="$(cd "$(dirname "$0")/.." && pwd)"
unit_only=0
# Files named by H2K_BATS run whole unless a tier is asked for.
if [ -n "${H2K_BATS:-}" ]; then tier=${H2K_TIER:-all}; else tier=${H2K_TIER:-fast}; fi
while [ $# -gt 0 ]; do
    case "$1" in
        --unit-only) unit_only=1; shift ;;
        --tier) tier="${2:-}"; shift 2 ;;
        --tier=*) tier="${1#--tier=}"; shift ;;
        *) break ;;
    esac
done
case "$tier" in
    fast) filter='!guests' ;;
    guests) filter=guests; set -- ;;
    all) filter= ;;
    *) echo "run-tests.sh: --tier: \"$tier\": expected fast, guests or all" >&2; exit 2 ;;
esac

log="$(mktemp)"
trap 'rm -f "$log" "$log.units"' EXIT
phase_start=$(date +%s)

phase ()
{
    local now; now=$(date +%s)
    printf '# phase %s: %ss\n' "$1" "$((now - phase_start))"
    phase_start=$now
}

# The test images first, before the unit tests: some unit tests read
# them (the fake virtio-win tree and ISO), and bats files running two at
# a time must never build the same image at once.  The fast tier builds
# what its tests read and runs no VM for (the fake virtio-win tree and
# ISO, vcsim); the guests tier every image, unless H2K_BATS or
# --unit-only narrows the run to the fast tier's images.  An image that
# cannot be built makes its tests report SKIP with the reason, never pass.
if [ $unit_only = 0 ] && [ -z "${H2K_BATS:-}" ] && [ "$tier" != fast ]; then
    want_images=images
else
    want_images="virtio-win-fake vcsim"
fi
echo "# building the test images first: $want_images"
make -s -k -j"$(nproc)" -C "$top/tests/images" $want_images >"$log.images" 2>&1 ||
    { tail -n 5 "$log.images"; echo "# some images failed to build: their tests will say why"; }
rm -f "$log.images"
phase images

# run_units BINARY...: each unit test's TAP, with its duration.  A unit
# test that hangs (a child holding its pipe) fails after 20 minutes
# instead of holding the whole run.
run_units ()
{
    local t rc start out
    out="$(mktemp)"
    for t in "$@"; do
        echo "# unit: $t"
        start=$(date +%s)
        if [ "${H2K_VALGRIND:-0}" = 1 ]; then
            timeout -k 10 1200 valgrind --quiet --error-exitcode=99 --leak-check=full \
                --errors-for-leak-kinds=definite --track-fds=no "$t" >"$out" 2>&1
        else
            timeout -k 10 1200 "$t" >"$out" 2>&1
        fi
        rc=$?
        cat "$out"
        if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
            echo "not ok - $t exited with status $rc"
        fi
        echo "# $t: $(( $(date +%s) - start ))s"
    done
    rm -f "$out"
}

# With bats files to run, the unit tests run beside them (their TAP is
# printed when the bats files are done): the Wine one alone takes two
# minutes of one core.
units_pid=
if [ $unit_only = 1 ]; then
    run_units "$@" | tee -a "$log"
    phase unit
elif [ $# -gt 0 ]; then
    run_units "$@" >"$log.units" 2>&1 &
    units_pid=$!
fi

# The files that take minutes (guest builds, boots, appliances), slowest
# first; the others follow in name order.
slow_first="images-debian fetch-ssh-e2e fetch-http-e2e fetch-vsphere-e2e linux-path-lvm fix-phony fix-windows
linux-path-uefi validate validate-windows linux-path inspect-windows
report-format images-phony batch-guest fetch-corpus-ovf fetch-ssh convert flatten fetch-http"

# order FILE...: FILEs, the slow ones first.
order ()
{
    local s f
    for s in $slow_first; do
        for f in "$@"; do
            [ "$(basename "$f" .bats)" = "$s" ] && echo "$f"
        done
    done
    for f in "$@"; do
        case " $(echo $slow_first) " in
            *" $(basename "$f" .bats) "*) ;;
            *) echo "$f" ;;
        esac
    done
}

# run_bats FILE OUTDIR: one file's TAP into OUTDIR, printed whole (under
# a lock) when it ends, with its duration.
run_bats ()
{
    local f="$1" out="$2/$(basename "$1").tap" start
    start=$(date +%s)
    bats --tap --timing ${H2K_FILTER:+--filter-tags "$H2K_FILTER"} "$f" >"$out" 2>&1
    printf '# %s: %ss\n' "$f" "$(( $(date +%s) - start ))" >>"$out"
    flock "$2/lock" sh -c 'echo "# bats: $1"; cat "$2"' _ "$f" "$out"
}
export -f run_bats

if [ $unit_only = 0 ]; then
    cd "$top/tests" || exit 1
    files=${H2K_BATS:-$(ls ./*.bats 2>/dev/null)}
    # The guests run under TCG, one thread each: one file per core.  The
    # fast tier waits on servers, retries and qemu-img I/O as much as it
    # computes: two files per core.
    if [ "$tier" = fast ]; then
        jobs=${H2K_JOBS:-$(( $(nproc) * 2 ))}
    else
        jobs=${H2K_JOBS:-$(( $(nproc) > 1 ? 2 : 1 ))}
    fi
    export H2K_FILTER="$filter"
    echo "# tier $tier${filter:+ (bats --filter-tags $filter)}"
    outdir="$(mktemp -d)"
    : >"$outdir/lock"
    # shellcheck disable=SC2086
    order $files | xargs -P "$jobs" -I{} bash -c 'run_bats "$1" "$2"' _ {} "$outdir"
    cat "$outdir"/*.tap >>"$log"
    rm -rf "$outdir"
    phase bats
fi
if [ -n "$units_pid" ]; then
    wait "$units_pid"
    cat "$log.units" | tee -a "$log"
    rm -f "$log.units"
    phase unit
fi

skipped=$(grep -cE '^ok .*# (skip|SKIP)' "$log")
passed=$(( $(grep -c '^ok ' "$log") - skipped ))
failed=$(grep -c '^not ok' "$log")
grep -E '^not ok' "$log" | sed 's/^/# FAILED: /'
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
