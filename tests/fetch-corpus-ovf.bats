#!/usr/bin/env bats
# h2k-fetch -n on every real OVF of the corpus (../shared/corpus/ovf),
# whose disks are not in the corpus.  An OVF listed in
# tests/corpus-ovf-refusals must be refused in one line with its listed
# reason; every other one must fetch once its disks exist, each failure
# on the way being exactly one line naming a missing disk (then made
# here, a stub VMDK) or a disk shorter than its ovf:size (then grown).
# Any other outcome - a NIC, MAC or any unexpected refusal - fails.

load helpers

setup ()
{
    requires qemu-img jq
    requires_corpus
    cd "$BATS_TEST_TMPDIR"
    qemu-img create -q -f vmdk stub.vmdk 1M
}

j () { jq -r "$1" <<<"$output"; }

# The listed refusal of the corpus-relative path REL: "FRAGMENT", or
# nothing.
refusal ()
{
    awk -F'\t' -v p="$1" '!/^#/ && $1 == p { print $2 }' \
        "$top/tests/corpus-ovf-refusals"
}

# fetch_with_stubs OVF: copy OVF alone into ./vm and run h2k-fetch -n
# on it, making what each one-line failure asks for, until it succeeds.
fetch_with_stubs ()
{
    local ovf="$1" b i rest href want prefix
    rm -rf vm && mkdir vm && cp "$ovf" vm/ && chmod u+w vm/*
    b="vm/$(basename "$ovf")"
    prefix="h2k-fetch: $PWD/$b: "
    for i in $(seq 1 40); do
        run_tool h2k-fetch -n --workdir w "$b"
        [ "$status" -ne 0 ] || return 0
        [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] && [[ "$stderr" == "$prefix"* ]] ||
            { echo "$ovf: not one line of error naming the file: $stderr" >&2; return 1; }
        rest="${stderr#"$prefix"}"
        if [[ "$rest" == *": disk file missing (File ovf:id "* ]]; then
            href="${rest%%: disk file missing*}"
            grep -qF "href=\"$href\"" "$b" ||
                { echo "$ovf: names a file it does not reference: $stderr" >&2; return 1; }
            mkdir -p "$(dirname "vm/$href")"
            cp stub.vmdk "vm/$href"
        elif [[ "$rest" =~ ^(.*):\ References/File\ ovf:size\ is\ ([0-9]+)\ bytes,\ but\ the\ file\ has\ [0-9]+\ \(truncated\?\)$ ]]; then
            href="${BASH_REMATCH[1]}" want="${BASH_REMATCH[2]}"
            [ -f "vm/$href" ] || { echo "$ovf: $stderr" >&2; return 1; }
            truncate -s "$want" "vm/$href"
        else
            echo "$ovf: unexpected: $stderr" >&2
            return 1
        fi
    done
    echo "$ovf: still failing after $i runs" >&2
    return 1
}

# What a fetched OVF's manifest must look like: kind ovf, each MAC a
# MAC or null (the hypervisor generates one), one hardware version (no
# list), and clean paths.  Prints what is wrong, if anything.
check_manifest ()
{
    jq -r '
      (if .vm.source.kind != "ovf" then "kind \(.vm.source.kind)" else empty end),
      (.vm.nics[].mac | select(. != null and (test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$") | not)) | "MAC \(.)"),
      (.vm.hardware_version // "" | select(test("[ ,]")) | "hardware_version \(.)"),
      (.. | .path? // empty | select(test("/[.][.]?(/|$)|//")) | "path \(.)")
    ' <<<"$output"
}

@test "fetch corpus OVF: every OVF is refused as listed or fetches once its disks exist" {
    local ovf rel frag wrong n=0 fetched=0 refused=0
    while IFS= read -r -d '' ovf; do
        rel="${ovf#"$corpus/ovf/"}"
        frag="$(refusal "$rel")"
        n=$((n + 1))
        if [ -n "$frag" ]; then
            run_tool h2k-fetch -n --workdir w "$ovf"
            one_line_error "$ovf: " "$frag" || { echo "($rel)" >&2; return 1; }
            refused=$((refused + 1))
        else
            fetch_with_stubs "$ovf"
            wrong="$(check_manifest)"
            [ -z "$wrong" ] || { echo "$rel: $wrong" >&2; return 1; }
            fetched=$((fetched + 1))
        fi
    done < <(find "$corpus/ovf" -type f -iname '*.ovf' -print0 | sort -z)
    echo "# $n OVFs: $fetched fetched, $refused refused as listed" >&3
    [ "$n" -ge 400 ]
    [ "$refused" -eq "$(grep -vc '^#' "$top/tests/corpus-ovf-refusals")" ]
}
