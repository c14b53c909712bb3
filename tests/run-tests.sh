#!/bin/bash
# Run h2k's tests and print one closing line "N passed, N failed, N skipped".
#
#   tests/run-tests.sh [--unit-only] UNIT-TEST-BINARIES...
#
# Unit tests (TAP from tests/unit/test.h) run first, then every
# tests/*.bats file (bats --tap).  H2K_VALGRIND=1 runs unit tests under
# valgrind.  H2K_BATS="a.bats b.bats" picks bats files.  Each phase's
# duration is printed, so the time budget stays visible.
set -u
top="$(cd "$(dirname "$0")/.." && pwd)"
unit_only=0
if [ "${1:-}" = --unit-only ]; then unit_only=1; shift; fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
phase_start=$(date +%s)

phase ()
{
    local now; now=$(date +%s)
    printf '# phase %s: %ss\n' "$1" "$((now - phase_start))"
    phase_start=$now
}

for t in "$@"; do
    echo "# unit: $t"
    if [ "${H2K_VALGRIND:-0}" = 1 ]; then
        valgrind --quiet --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite --track-fds=no "$t" >"$log.1" 2>&1
    else
        "$t" >"$log.1" 2>&1
    fi
    rc=$?
    cat "$log.1" | tee -a "$log"
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log.1"; then
        echo "not ok - $t exited with status $rc" | tee -a "$log"
    fi
    rm -f "$log.1"
done
phase unit

if [ $unit_only = 0 ]; then
    cd "$top/tests" || exit 1
    files=${H2K_BATS:-$(ls ./*.bats 2>/dev/null)}
    for f in $files; do
        echo "# bats: $f"
        fstart=$(date +%s)
        bats --tap "$f" 2>&1 | tee -a "$log"
        printf '# %s: %ss\n' "$f" "$(( $(date +%s) - fstart ))"
    done
    phase bats
fi

skipped=$(grep -cE '^ok .*# (skip|SKIP)' "$log")
passed=$(( $(grep -c '^ok ' "$log") - skipped ))
failed=$(grep -c '^not ok' "$log")
grep -E '^not ok' "$log" | sed 's/^/# FAILED: /'
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
