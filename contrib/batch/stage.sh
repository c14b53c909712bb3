#!/bin/bash
# Run one h2k stage for one VM of a batch (see Makefile and README).
#
#   stage.sh STAGE VM INPUT OUTPUT TOOL [ARGS...]
#
# Runs TOOL ARGS --failed-manifest OUTPUT-without-.json.failed.json with
# INPUT on stdin (- for none: h2k-fetch), stdout to a temporary file next
# to OUTPUT and stderr to OUTPUT-without-.json.log.  On success the
# temporary file is renamed to OUTPUT, so OUTPUT exists only for a stage
# that succeeded; on failure it is removed and the failed manifest (if the
# tool could write one) and the log are kept.  One status line on stdout.

set -u

if [ $# -lt 5 ]; then
    echo "usage: $0 STAGE VM INPUT OUTPUT TOOL [ARGS...]" >&2
    exit 2
fi
stage="$1" vm="$2" input="$3" output="$4"
shift 4
base="${output%.json}"
log="$base.log" failed="$base.failed.json" tmp="$output.tmp.$$"

mkdir -p "$(dirname "$output")" || exit 1
rm -f "$failed" "$tmp"
trap 'rm -f "$tmp"; exit 130' INT TERM HUP
[ "$input" = - ] && input=/dev/null
start=$SECONDS
"$@" --failed-manifest "$failed" <"$input" >"$tmp" 2>"$log"
status=$?
if [ "$status" -eq 0 ] && [ -s "$tmp" ] && sync "$tmp" && mv -f "$tmp" "$output" &&
       sync "$(dirname "$output")"; then
    echo "$vm: $stage: ok ($((SECONDS - start)) s)"
    exit 0
fi
rm -f "$tmp"
err=""
[ -s "$failed" ] && err="$(jq -r '.stages[-1].error // empty' "$failed" 2>/dev/null)"
[ -n "$err" ] || err="$(grep . "$log" | tail -n 1)"
echo "$vm: $stage: FAILED (exit $status): $err"
if [ -s "$failed" ]; then
    echo "$vm: $stage: log: $log, failed manifest: $failed" >&2
else
    echo "$vm: $stage: log: $log" >&2
fi
exit 1
