#!/bin/bash
# The summary table of a batch (see Makefile and README).
#
#   summary.sh SUMMARY OUT "NN-STAGE.json ..." VM...
#
# For each VM, from the stage files in OUT/VM: how many of the selected
# stages are done, the result (ok, failed at a stage, or not run), the
# validation result, the size of the converted disks, the time the tools
# took (their stage records), and for a failed VM the error (the failed
# manifest's stage record, else the last line of the stage's log).  The
# table is written to SUMMARY (atomically) and printed.  Needs jq.

set -u

if [ $# -lt 3 ]; then
    echo "usage: $0 SUMMARY OUT \"NN-STAGE.json ...\" VM..." >&2
    exit 2
fi
summary="$1" out="$2" files="$3"
shift 3
command -v jq >/dev/null || { echo "$0: jq is needed for the summary" >&2; exit 1; }

human ()
{
    numfmt --to=iec --format='%.1f' "$1" 2>/dev/null || echo "$1"
}

# One tab-separated row for VM $1.
row ()
{
    local vm="$1" dir="$out/$1" total=0 done=0 last="" result="" err="-"
    local f stage failed="" validation=- size=- time=- m

    for f in $files; do
        total=$((total + 1))
        if [ -z "$result" ] && [ -s "$dir/$f" ]; then
            done=$((done + 1)) last="$dir/$f"
            continue
        fi
        [ -n "$result" ] && continue
        stage="${f#*-}" stage="${stage%.json}"
        if [ -s "$dir/${f%.json}.failed.json" ]; then
            failed="$dir/${f%.json}.failed.json"
            result="failed: $stage"
            err="$(jq -r '.stages[-1].error // "-"' "$failed" 2>/dev/null)"
        elif [ -e "$dir/${f%.json}.log" ]; then
            failed=""
            result="failed: $stage"
            err="$(grep . "$dir/${f%.json}.log" | tail -n 1)"
        else
            result="not run"
        fi
    done
    [ -z "$result" ] && result=ok
    # Time: the stage records of the furthest manifest (failed included).
    m="${failed:-$last}"
    if [ -n "$m" ]; then
        time="$(jq -r '[.stages[].duration_s] | add // 0 | . * 10 | round / 10 | "\(.) s"' "$m")"
        validation="$(jq -r '.validation.status // "-"' "$m")"
    fi
    if [ -n "$last" ]; then
        size="$(jq -r '[.disks[].output.allocated_size // empty] | if length > 0 then add else "-" end' "$last")"
        [ "$size" = - ] || size="$(human "$size")"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$vm" "$done/$total" "$result" \
        "$validation" "$size" "$time" "${err:--}"
}

tmp="$summary.tmp.$$"
mkdir -p "$(dirname "$summary")" || exit 1
table ()
{
    printf 'VM\tSTAGES\tRESULT\tVALIDATION\tOUTPUT\tTIME\tERROR\n'
    for vm in "$@"; do
        row "$vm"
    done
}
# Align the tab-separated columns: two spaces between, the last unpadded.
align ()
{
    awk -F'\t' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length ($i) > w[i]) w[i] = length ($i) }
      if (NF > nf) nf = NF }
    END { for (r = 1; r <= NR; r++) {
            line = ""
            for (i = 1; i < nf; i++) line = line sprintf ("%-*s  ", w[i], cell[r, i])
            print line cell[r, nf] } }'
}
if ! table "$@" | align >"$tmp" || ! mv -f "$tmp" "$summary"; then
    rm -f "$tmp"
    echo "$0: cannot write $summary" >&2
    exit 1
fi
cat "$summary"
