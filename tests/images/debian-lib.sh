# Shared helpers for the Debian test-image builders (tests/images/debian-*.sh).
# Source it from a bash script running with `set -euo pipefail`.
#
# Every builder takes its final image directory OUT as first argument, builds
# into OUT-t, renames OUT-t to OUT and repoints the link
# $H2K_TEST_IMAGES/<name> at it (image_finish).  A per-name lock lets
# several `make` runs ask for the same image at once.

: "${H2K_TEST_IMAGES:=/var/tmp/h2k-test-images}"
: "${H2K_DEBIAN_MIRROR:=http://deb.debian.org/debian}"
: "${H2K_DEBIAN_SUITE:=bookworm}"
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

prog="${0##*/}"

die () { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
msg () { printf '%s: [%3ss] %s\n' "$prog" "$SECONDS" "$*" >&2; }

# --- cleanup stack: commands run in reverse order on any exit -------------
_cleanups=()
cleanup_push () { _cleanups+=("$1"); }
cleanup_pop ()  # run and drop the last pushed command
{
    local n=$((${#_cleanups[@]} - 1))
    local c="${_cleanups[$n]}"
    unset "_cleanups[$n]"
    eval "$c" || die "cleanup failed: $c"
}
_run_cleanups ()
{
    local rc=$? i
    set +e
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
        eval "${_cleanups[$i]}" >/dev/null 2>&1
    done
    _cleanups=()
    return $rc
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

require_root () { [ "$(id -u)" = 0 ] || die "must run as root (loop devices, mounts, chroot)"; }

require_cmds ()
{
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || die "$c is not installed (make deps)"
    done
}

# image_begin OUT: take the lock for OUT, return 1 if OUT already exists
# (another run built it), else prepare an empty OUT-t and set $work to it.
image_begin ()
{
    local out="$1"
    mkdir -p "$(dirname "$out")"
    exec 9>"$out.lock"
    flock 9 || die "cannot lock $out.lock"
    [ -d "$out" ] && return 1
    work="$out-t"
    rm -rf "$work"
    mkdir -p "$work"
    return 0
}

# image_finish OUT NAME: rename OUT-t to OUT, point $H2K_TEST_IMAGES/NAME at it.
image_finish ()
{
    local out="$1" name="$2" link
    mv -T "$out-t" "$out"
    link="$(dirname "$out")/$name"
    ln -sfn "$(basename "$out")" "$link.new.$$"
    mv -T "$link.new.$$" "$link"
    rm -f "$out.lock"
    image_prune "$out" "$name"
}

# loop_attach FILE: attach FILE to a loop device, create partition nodes;
# sets $loop.  Detached by the cleanup stack.
loop_attach ()
{
    local file="$1" i
    loop="$(losetup -f --show "$file")" || die "losetup $file failed"
    cleanup_push "losetup -d $loop"
    # losetup -P may create no nodes here; partx -a does.
    partx -a "$loop" 2>/dev/null || true
    cleanup_push "partx -d $loop"
    for i in $(seq 50); do
        [ -b "${loop}p1" ] && return 0
        sleep 0.1
    done
    die "no partition nodes appeared for $loop"
}

# wait_part DEV: wait for a partition device node.
wait_part ()
{
    local i
    for i in $(seq 50); do [ -b "$1" ] && return 0; sleep 0.1; done
    die "partition $1 did not appear"
}

# chroot_mount ROOT: mount proc, sys (with /sys/bus hidden so MODULES=dep
# cannot see the build host's virtio devices), dev and devpts under ROOT.
chroot_mount ()
{
    local r="$1"
    mount -t proc proc "$r/proc"
    cleanup_push "umount -l '$r/proc'"
    mount -t sysfs sysfs "$r/sys"
    cleanup_push "umount -l '$r/sys'"
    mount -t tmpfs -o size=1m,mode=0755 tmpfs "$r/sys/bus"
    cleanup_push "umount -l '$r/sys/bus'"
    mount --bind /dev "$r/dev"
    cleanup_push "umount -l '$r/dev'"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
    cleanup_push "umount -l '$r/dev/pts'"
    # the firmware interface of the build host must not leak in either
    if [ -d "$r/sys/firmware/efi" ]; then
        mount -t tmpfs -o size=1m tmpfs "$r/sys/firmware"
        cleanup_push "umount -l '$r/sys/firmware'"
    fi
    # daemons must not start inside the chroot
    printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
    chmod 755 "$r/usr/sbin/policy-rc.d"
    cleanup_push "rm -f '$r/usr/sbin/policy-rc.d'"
}

# in_chroot ROOT CMD...: run a command in the guest.
in_chroot ()
{
    local r="$1"; shift
    chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C DEBIAN_FRONTEND=noninteractive HOME=/root TERM=dumb "$@"
}

# rootfs_unpack TARBALL ROOT: unpack the cached base system.
rootfs_unpack ()
{
    tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$1" -C "$2" ||
        die "unpacking $1 failed"
}

# apt_install_cached ROOT PKG...: install from the .debs cached in the base
# tarball (no network), then drop the cache and lists as an image would.
apt_install_cached ()
{
    local r="$1"; shift
    in_chroot "$r" apt-get install -y -q --no-download --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "$@" >"$work/apt.log" 2>&1 ||
        { tail -n 20 "$work/apt.log" >&2; die "apt-get install $* failed"; }
}

apt_cleanup ()
{
    local r="$1"
    in_chroot "$r" apt-get clean
    rm -rf "$r"/var/lib/apt/lists/*_Packages "$r"/var/lib/apt/lists/*_InRelease
}

# guest_setup ROOT NAME NIC MAC IP/PREFIX GATEWAY: the settings every Debian
# test guest shares: hostname, serial getty, VMware NIC, grub defaults,
# initramfs drivers.
guest_setup ()
{
    configure_guest "$1" "h2k-$2"
    write_vmware_nic "$1" "$3" "$4" "$5" "$6"
    write_grub_defaults "$1"
    write_initramfs_vmware "$1"
}

# image_prune OUT NAME: remove older builds NAME-<key> other than OUT.
image_prune ()
{
    local out="$1" name="$2" d
    for d in "$(dirname "$out")/$name"-????????????; do
        [ -d "$d" ] && [ "$d" != "$out" ] || continue
        [[ "${d##*/}" =~ ^$name-[0-9a-f]{12}$ ]] || continue
        rm -rf "$d"
    done
}

# write_vmware_nic ROOT NIC MAC IP/PREFIX GATEWAY: ifupdown static config and
# the udev rule that pins NIC to the VMware MAC (as an old install keeps it).
write_vmware_nic ()
{
    local r="$1" nic="$2" mac="$3" addr="$4" gw="$5"
    cat >"$r/etc/network/interfaces" <<EOF
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface
auto $nic
iface $nic inet static
	address $addr
	gateway $gw
EOF
    mkdir -p "$r/etc/udev/rules.d"
    cat >"$r/etc/udev/rules.d/70-persistent-net.rules" <<EOF
# This file was automatically generated by the /lib/udev/write_net_rules
# program, run by the persistent-net-generator.rules rules file.
#
# You can modify it, as long as you keep each rule on a single
# line, and change only the value of the NAME= key.

# PCI device 0x15ad:0x07b0 (vmxnet3)
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="$mac", ATTR{dev_id}=="0x0", ATTR{type}=="1", NAME="$nic"
EOF
}

# write_serial_grub_defaults ROOT: /etc/default/grub for a serial console
# and device names (GRUB_DISABLE_LINUX_UUID), like an old VMware install.
write_grub_defaults ()
{
    local r="$1"
    cat >"$r/etc/default/grub" <<'EOF'
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.

GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_LINUX_UUID=true
GRUB_DISABLE_RECOVERY=true
GRUB_DISABLE_OS_PROBER=true
EOF
}

# configure_guest ROOT HOSTNAME: settings every Debian test guest shares.
configure_guest ()
{
    local r="$1" host="$2"
    echo "$host" >"$r/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$host" >"$r/etc/hosts"
    : >"$r/etc/machine-id"
    rm -f "$r/var/lib/dbus/machine-id"
    # a login prompt on the serial line is the tests' success signal
    mkdir -p "$r/etc/systemd/system/getty.target.wants"
    ln -sfn /lib/systemd/system/serial-getty@.service \
        "$r/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
    # no resume device: keeps the initramfs from waiting for swap
    mkdir -p "$r/etc/initramfs-tools/conf.d"
    echo RESUME=none >"$r/etc/initramfs-tools/conf.d/resume"
}

# write_initramfs_vmware ROOT: MODULES=dep plus the drivers a VMware guest
# boots from (LSI Logic, PVSCSI, SATA/AHCI), and no virtio at all.
write_initramfs_vmware ()
{
    local r="$1"
    sed -i 's/^MODULES=.*/MODULES=dep/' "$r/etc/initramfs-tools/initramfs.conf"
    grep -q '^MODULES=dep$' "$r/etc/initramfs-tools/initramfs.conf" ||
        die "could not set MODULES=dep"
    cat >>"$r/etc/initramfs-tools/modules" <<'EOF'
# VMware storage: LSI Logic (mptspi), PVSCSI, SATA (AHCI)
mptspi
mptsas
vmw_pvscsi
ahci
ata_piix
ata_generic
sd_mod
ext4
crc32c_generic
EOF
}

# update_initramfs ROOT: rebuild and check that no virtio driver got in and
# the VMware storage drivers did.
update_initramfs ()
{
    local r="$1" kver img list
    in_chroot "$r" update-initramfs -u -k all >"$work/initramfs.log" 2>&1 ||
        { tail -n 20 "$work/initramfs.log" >&2; die "update-initramfs failed"; }
    for img in "$r"/boot/initrd.img-*; do
        kver="${img##*/initrd.img-}"
        list="$(in_chroot "$r" lsinitramfs "/boot/initrd.img-$kver")" ||
            die "lsinitramfs $img failed"
        if grep -q 'virtio' <<<"$list"; then
            die "initramfs $img contains virtio drivers: $(grep virtio <<<"$list" | head -3 | tr '\n' ' ')"
        fi
        for m in mptspi vmw_pvscsi ahci sd_mod ext4; do
            grep -q "/$m\.ko" <<<"$list" || die "initramfs $img lacks $m"
        done
    done
}

# fix_grub_cfg ROOT ROOTDEV: grub-mkconfig in a chroot writes the loop
# device; put the device the guest sees back.
fix_grub_cfg ()
{
    local r="$1" dev="$2" cfg="$1/boot/grub/grub.cfg"
    sed -i -E "s#root=/dev/(loop[0-9]+p[0-9]+|mapper/loop[^ ]*)#root=$dev#g" "$cfg"
    grep -q "root=$dev " "$cfg" || die "grub.cfg has no root=$dev"
    if grep -q 'loop[0-9]' "$cfg"; then die "grub.cfg still names a loop device"; fi
}

# write_facts FILE KEY=VALUE...: a shell-sourceable description of an image.
write_facts ()
{
    local f="$1" kv; shift
    {
        echo "# h2k test image facts; source this file."
        for kv in "$@"; do
            printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"
        done
    } >"$f"
}

# vmdk_descriptor FILE: the descriptor embedded in a sparse VMDK (its
# sector offset and size are the header's uint64s at bytes 28 and 36).
vmdk_descriptor ()
{
    local off size
    off=$(od -An -t u8 -j 28 -N 8 "$1" | tr -d ' ') || return 1
    size=$(od -An -t u8 -j 36 -N 8 "$1" | tr -d ' ') || return 1
    [ -n "$off" ] && [ "$size" -gt 0 ] && [ "$size" -le 2048 ] || return 1
    dd if="$1" bs=512 skip="$off" count="$size" status=none | tr -d '\0'
}

# vmdk_cid FILE: the CID in a VMDK's embedded descriptor.
vmdk_cid ()
{
    vmdk_descriptor "$1" | sed -n 's/^CID=\([0-9a-fA-F]*\).*/\1/p' | head -n 1
}
