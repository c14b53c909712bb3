# Shared helpers for the phony-guest builders (phony-*.sh).  Source it.
#
#   die MSG            print "builder: MSG" on stderr and exit 1
#   need CMD...        die unless every CMD is on PATH
#   begin_image OUT    set $tmp (scratch, removed on exit) and $stage
#                      (= OUT-t, removed on failure); start the clock
#   finish_image OUT NAME
#                      rename OUT-t to OUT, point $H2K_TEST_IMAGES/NAME
#                      at it atomically
#   gf ARGS...         guestfish with the TCG settings this machine needs
#   fact NAME VALUE    print NAME='VALUE' (shell-quoted) for a facts file
#   reg_sz STR         .reg data for a REG_SZ (escapes \ and ")
#   reg_multi_sz S...  .reg data (hex(7):...) for a REG_MULTI_SZ
#   reg_bin_le32 N     4 little-endian bytes as .reg hex list (aa,bb,cc,dd)

builder="$(basename "$0")"

die ()
{
    printf '%s: %s\n' "$builder" "$*" >&2
    exit 1
}

need ()
{
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || die "$c is not installed (see contrib/debian-packages.txt)"
    done
}

tmp=
stage=
_phony_ok=0

_phony_cleanup ()
{
    local rc=$?
    [ -z "$tmp" ] || rm -rf -- "$tmp"
    if [ "$_phony_ok" != 1 ] && [ -n "$stage" ]; then
        rm -rf -- "$stage"
    fi
    return "$rc"
}

begin_image ()
{
    local out="$1"
    case "$out" in /*) ;; *) die "output directory must be absolute: $out" ;; esac
    stage="$out-t"
    rm -rf -- "$stage" || die "cannot remove stale $stage"
    mkdir -p -- "$stage" || die "cannot create $stage"
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/h2k-phony.XXXXXX")" || die "mktemp failed"
    trap _phony_cleanup EXIT
    trap 'exit 130' INT TERM
    _phony_t0=$SECONDS
}

finish_image ()
{
    local out="$1" name="$2" top link
    top="$(dirname -- "$out")"
    link="$top/$name"
    rm -rf -- "$out" || die "cannot remove old $out"
    mv -T -- "$stage" "$out" || die "cannot rename $stage"
    _phony_ok=1
    ln -sfn -- "$(basename -- "$out")" "$link.tmp.$$" || die "cannot create link"
    mv -T -- "$link.tmp.$$" "$link" || die "cannot replace $link"
    printf '%s: built %s in %ss\n' "$builder" "$out" "$((SECONDS - _phony_t0))" >&2
}

gf ()
{
    LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}" \
    LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}" \
        guestfish "$@"
}

reg_sz ()
{
    local s="$1"
    s="${s//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '"%s"' "$s"
}

# UTF-16LE hex bytes of the strings, each NUL-terminated, plus the final NUL.
reg_multi_sz ()
{
    local hex s
    hex="$( { for s in "$@"; do printf '%s\0' "$s"; done; printf '\0'; } |
            iconv -f UTF-8 -t UTF-16LE | od -An -v -tx1 | tr -s ' \n' ',,' )" ||
        die "iconv/od failed"
    hex="${hex#,}"
    hex="${hex%,}"
    printf 'hex(7):%s' "$hex"
}

reg_bin_le32 ()
{
    local n=$(( $1 ))
    printf '%02x,%02x,%02x,%02x' $((n & 255)) $(((n >> 8) & 255)) \
        $(((n >> 16) & 255)) $(((n >> 24) & 255))
}

fact ()
{
    local v="$2"
    printf "%s='%s'\n" "$1" "${v//\'/\'\\\'\'}"
}
