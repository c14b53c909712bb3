# Shared helpers for h2k's bats tests.  Load with `load helpers`.
#
#   top            the source tree
#   corpus         ../shared/corpus (H2K_CORPUS overrides)
#   requires CMD   skip the test, with the reason, when CMD is missing
#   requires_image NAME
#                  build test image NAME (tests/images) if needed, or skip
#                  with the reason when it cannot be built; sets $image to
#                  its directory
#   run_tool ARGS  run an h2k tool keeping stdout and stderr apart:
#                  $status, $output (stdout) and $stderr

top="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
: "${H2K_BIN:=$top/build/bin}"
: "${H2K_CORPUS:=$(cd "$top/.." && pwd)/shared/corpus}"
: "${H2K_TEST_IMAGES:=/var/tmp/h2k-test-images}"
export H2K_BIN H2K_CORPUS H2K_TEST_IMAGES
export PATH="$H2K_BIN:$PATH"
export MALLOC_PERTURB_="${MALLOC_PERTURB_:-$((RANDOM % 255 + 1))}"
corpus="$H2K_CORPUS"

requires ()
{
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
    done
}

requires_corpus ()
{
    [ -d "$corpus" ] || skip "corpus not found at $corpus (set H2K_CORPUS)"
}

requires_image ()
{
    local name="$1" log="$BATS_FILE_TMPDIR/image-$1.log"
    if ! make -s -C "$top/tests/images" "$name" >"$log" 2>&1; then
        skip "test image $name could not be built: $(tail -n 1 "$log")"
    fi
    image="$H2K_TEST_IMAGES/$name"
    [ -d "$image" ] || skip "test image $name missing at $image"
}

# run_tool CMD ARGS...: like bats `run`, but stdout and stderr separated.
run_tool ()
{
    local errf="$BATS_TEST_TMPDIR/stderr.$$"
    status=0
    output="$("$@" 2>"$errf")" || status=$?
    stderr="$(cat "$errf")"
    if [ "${H2K_TEST_VERBOSE:-0}" = 1 ]; then
        printf 'status=%s\nstdout=%s\nstderr=%s\n' "$status" "$output" "$stderr" >&3
    fi
}

# run_tool_in FILE CMD ARGS...: run_tool with FILE on stdin.
run_tool_in ()
{
    local in="$1"; shift
    run_tool "$@" <"$in"
}

# Assertions that say what was wrong.
assert_status () { [ "$status" -eq "$1" ] || { echo "status $status, expected $1; stderr: $stderr" >&2; return 1; }; }
assert_failed_cleanly ()
{
    [ "$status" -ne 0 ] || { echo "expected failure, got status 0" >&2; return 1; }
    [ -z "$output" ] || { echo "stdout not empty on failure: $output" >&2; return 1; }
    [ -n "$stderr" ] || { echo "no error message on stderr" >&2; return 1; }
    [ "$(printf '%s\n' "$stderr" | grep -c .)" -ge 1 ]
}

# one_line_error FRAGMENT...: the tool failed cleanly (see
# assert_failed_cleanly) with exactly one line on stderr holding every
# FRAGMENT.
one_line_error ()
{
    assert_failed_cleanly
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] ||
        { echo "more than one line on stderr: $stderr" >&2; return 1; }
    local f
    for f in "$@"; do
        [[ "$stderr" == *"$f"* ]] ||
            { echo "stderr lacks '$f': $stderr" >&2; return 1; }
    done
}

# assert_version TOOL: `TOOL --version` printed the tool's version, then
# one "LIBRARY VERSION" line for each library (common/version.h), each
# with a dotted number, on stdout only, and exited 0.
assert_version ()
{
    local t="$1" lib
    run_tool "$t" --version
    assert_status 0
    [ -z "$stderr" ] || { echo "stderr: $stderr" >&2; return 1; }
    [ "$(sed -n 1p <<<"$output")" = "$t 0.1.0" ] ||
        { echo "first line: $(sed -n 1p <<<"$output")" >&2; return 1; }
    for lib in json-c libxml2 libarchive OpenSSL libyaml libcurl libssh libguestfs; do
        grep -Eq "^$lib [0-9]+\.[0-9]+" <<<"$output" ||
            { echo "no '$lib N.N' line in: $output" >&2; return 1; }
    done
    [ "$(wc -l <<<"$output")" -eq 9 ]
}
