#!/bin/sh
# Install the Debian packages listed in $1 (one per line, # comments) that are
# not installed yet.  Idempotent; quiet when everything is there.
set -eu
list="${1:?usage: install-deps.sh PACKAGE-LIST}"
want=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
missing=
for p in $want; do
    s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case "$s" in ii*) ;; *) missing="$missing $p" ;; esac
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run 'make deps' as root)" >&2
    exit 1
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
