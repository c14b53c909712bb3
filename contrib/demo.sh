#!/bin/bash
# make demo: the whole pipeline on a real guest it builds itself.
#
# Builds (or takes from the cache) a Debian 12 guest as VMware leaves it
# (tests/images: debian-bios): a .vmx and a monolithicSparse VMDK, static
# IP on ens192 pinned to its VMware MAC, fstab and root= on /dev/sda1, an
# initramfs without virtio, open-vm-tools.  Unfixed, it cannot boot on
# virtio.  Then:
#
#   h2k-fetch VMX | h2k-inspect | h2k-fix-linux | h2k-convert | h2k-validate
#
# and shows the risks found, the changes made, and the boot proof.  Under
# TCG (no usable KVM), with the guest already built, it took 244 s on a
# 2-vCPU Debian 12 VM (2026-12-07); building the guest first adds about
# 6.5 min (README says what each part took).
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="${H2K_BIN:-$top/build/bin}:$PATH"
demo="${H2K_DEMO_DIR:-$top/demo}"
images="${H2K_TEST_IMAGES:-/var/tmp/h2k-test-images}"

echo "== building the sample guest (cached in $images)"
make -s -C "$top/tests/images" debian-bios
img="$images/debian-bios"
# shellcheck disable=SC1091
. "$img/facts"

rm -rf "$demo"
mkdir -p "$demo"
cd "$demo"
echo "== h2k-fetch $img/$VMX | h2k-inspect | h2k-fix-linux | h2k-convert | h2k-validate"
h2k-fetch --workdir "$demo/work" "$img/$VMX" \
    | h2k-inspect \
    | tee "$demo/inspected.json" \
    | h2k-fix-linux \
    | h2k-convert --output-dir "$demo/out" --libvirt-xml "$demo/out/vm.xml" \
    | h2k-validate --failed-manifest "$demo/failed.json" > "$demo/done.json"

echo
echo "== what stood between this guest and a boot on KVM (h2k-inspect)"
jq -r '.guest.risks[] | "  \(.code): \(.message)"' "$demo/inspected.json"
echo
echo "== what h2k-fix-linux changed (every file backed up in the guest)"
jq -r '.changes[] | "  \(.plan_id): \(.action) \(.path // (.command | join(" ")))"' "$demo/done.json"
echo
echo "== the proof (h2k-validate)"
jq -r '.validation | "  offline checks \(.offline.status); booted on \(.bus) (\(.firmware), \(.accel)); signal from the guest: \(.signal) after \(.signal_seconds)s",
       (.reported[]? | select(.name != "lo") | "  the guest reported \(.name) \(.state) \(.addresses | join(" "))"),
       (.nics[] | "  NIC \(.mac): answered ARP and ping on \(.addresses_answered | join(", "))")' "$demo/done.json"
jq -r '.disks[] | "  output: \(.output.path) (\(.output.format), check \(.output.check.status))"' "$demo/done.json"
jq -r '"  libvirt domain: \(.libvirt_xml) (virsh define it)"' "$demo/done.json"
echo
echo "The manifest is $demo/done.json; see h2k-manifest(5)."
