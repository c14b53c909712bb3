#!/bin/bash
# vcsim.sh OUT MAIN_GO: build VMware's vSphere simulator with h2k's test
# inventory (MAIN_GO, tests/vcsim/main.go) offline, from Debian's govmomi
# sources, into OUT/vcsim.  Built in OUT-t, renamed to OUT when done;
# under a lock, so that test files asking for it at once build it once.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: vcsim.sh OUT MAIN_GO" >&2; exit 2; }
out="$1" main="$2"
gocode=/usr/share/gocode
command -v go >/dev/null || { echo "go is not installed (golang-go)" >&2; exit 1; }
[ -d "$gocode/src/github.com/vmware/govmomi/simulator" ] ||
    { echo "govmomi is not installed (golang-github-vmware-govmomi-dev)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
[ -x "$out/vcsim" ] && exit 0
rm -rf "$out-t"
mkdir -p "$out-t/src/h2kvcsim"
cp "$main" "$out-t/src/h2kvcsim/main.go"
(cd "$out-t/src/h2kvcsim" &&
 GOPATH="$out-t:$gocode" GO111MODULE=off GOFLAGS= GOPROXY=off \
 GOCACHE="$(dirname "$out")/cache/go" go build -o "$out-t/vcsim" .)
rm -rf "$out-t/src"
mv -T "$out-t" "$out"
