#!/bin/bash
# phony-linux.sh NAME OUTDIR: build the phony Linux guest NAME, described by
# phony-linux/NAME.conf and the file tree phony-linux/NAME/rootfs/, into
# OUTDIR (via OUTDIR-t) and point $(dirname OUTDIR)/NAME at it.
#
# The guest does not boot (no real kernel), but libguestfs inspection takes
# it for the distribution it pretends to be, and commands run inside it with
# guestfs `command`/`sh`:
#   - the rootfs tree (os-release, fstab, grub/BLS, network configuration
#     pinned to the VMware NIC, initramfs tool configuration, the package
#     list in /var/lib/h2k-fake/packages);
#   - merged /usr (/bin, /sbin, /lib, /lib64 are links into /usr);
#     /sbin/init links to a phony /usr/lib/systemd/systemd;
#     /usr/bin/busybox from busybox-static with a link per applet (sed,
#     grep, ls, ...); /bin/sh is the host's dash with its loader and libc
#     (busybox's own sh would run its rpm/dpkg applets instead of the fakes);
#   - fake dracut, mkinitrd, update-initramfs, grub2-mkconfig,
#     grub-mkconfig, update-grub, grubby, rpm or dpkg (phony-linux/common/
#     h2k-fake-tool; fake_tools in the .conf says which and where), each
#     appending its command line to /var/log/h2k-fake-calls.log;
#   - a fake kernel (kernel_files) and /lib/modules/KVER with virtio and
#     VMware module files and a modules.dep; its initramfs is a gzipped
#     cpio of the VMware modules (no virtio), a rescue image of them all;
#   - rpm guests: a real rpm database (sqlite, in rpm_dbpath) of empty
#     packages named as in the package list (host rpmbuild + rpm --justdb,
#     phony-linux/common/phony.spec) and /usr/lib/rpm/macros naming it,
#     and the host's sqlite3 (for the fake rpm -e);
#     deb guests have /var/lib/dpkg/status
#     in their rootfs tree.
# One guestfish (libguestfs) launch per image.  OUTDIR gets disk.img (raw,
# sparse) and facts (shell-sourceable: what the guest pretends to be).

set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
. "$here/phony-lib.sh"

[ $# -eq 2 ] || die "usage: $0 NAME OUTDIR"
name="$1"
out="$2"
conf="$here/phony-linux/$name.conf"
rootfs="$here/phony-linux/$name/rootfs"
[ -f "$conf" ] || die "no such phony Linux guest: $name ($conf)"
[ -d "$rootfs" ] || die "missing $rootfs"

need guestfish sfdisk tar truncate ldd cpio gzip
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox missing (install busybox-static)"

rpm_dbpath=/var/lib/rpm
. "$conf"

begin_image "$out"

# ---------------------------------------------------------------- tree
r="$tmp/root"
mkdir -p "$r" || die "mkdir failed"
cp -a "$rootfs/." "$r/" || die "cannot copy $rootfs"
for d in usr/bin usr/sbin usr/lib usr/lib64 dev proc sys run tmp root home \
         var/log var/tmp var/lib/h2k-fake boot etc; do
    mkdir -p "$r/$d" || die "mkdir failed"
done
chmod 1777 "$r/tmp" "$r/var/tmp"
for d in bin sbin lib lib64; do
    ln -s "usr/$d" "$r/$d" || die "ln failed"
done
# Files git cannot keep private: NetworkManager ignores a readable keyfile.
for f in "$r"/etc/NetworkManager/system-connections/* "$r"/etc/netplan/*; do
    [ ! -f "$f" ] || chmod 600 "$f"
done

cp "$busybox" "$r/usr/bin/busybox" || die "cp busybox failed"
mkdir -p "$r/usr/lib/h2k-fake" || die "mkdir failed"
cp "$here/phony-linux/common/h2k-fake-tool" "$r/usr/lib/h2k-fake/h2k-fake-tool" ||
    die "cp failed"
chmod 755 "$r/usr/lib/h2k-fake/h2k-fake-tool"
for t in $fake_tools; do
    mkdir -p "$r/$(dirname "$t")" || die "mkdir failed"
    ln -s /usr/lib/h2k-fake/h2k-fake-tool "$r/$t" || die "ln failed"
done
# /bin/sh is the host's dash (with its loader and libc), not busybox: the
# busybox-static shell runs its own applets before searching PATH, so
# `sh -c "rpm -e ..."` (guestfs sh) would run busybox's rpm, not the fake.
dash="$(command -v dash)" || die "dash is not installed"
cp "$dash" "$r/usr/bin/dash" || die "cp dash failed"
ln -s dash "$r/usr/bin/sh" || die "ln sh failed"
# copy_libs BIN: the host's shared libraries BIN needs, and its loader.
copy_libs ()
{
    local a b c lib dest
    ldd "$1" >"$tmp/ldd" 2>&1 || die "ldd $1 failed: $(cat "$tmp/ldd")"
    while read -r a b c _; do
        if [ "$b" = "=>" ] && [ "${c#/}" != "$c" ]; then
            lib="$c" dest="/usr/lib/x86_64-linux-gnu/$a"     # libc.so.6 => /lib/...
        elif [ "${a#/}" != "$a" ]; then
            lib="$a" dest="$a"                                # the loader, by its path
        else
            continue                                          # linux-vdso
        fi
        mkdir -p "$r$(dirname "$dest")" || die "mkdir failed"
        cp -L "$lib" "$r$dest" || die "cp $lib failed"
    done <"$tmp/ldd"
}
copy_libs "$dash"
# They are all systemd distributions: /sbin/init is systemd (a phony one),
# where inspection looks for it.
mkdir -p "$r/usr/lib/systemd" || die "mkdir failed"
printf 'phony systemd of %s\n' "$name" >"$r/usr/lib/systemd/systemd" || die "write failed"
ln -s ../lib/systemd/systemd "$r/usr/sbin/init" || die "ln init failed"
applets="$("$busybox" --list)" || die "busybox --list failed"
for a in $applets; do
    # Never shadow a fake tool (busybox has rpm and dpkg applets).
    [ -e "$r/usr/bin/$a" ] || [ -L "$r/usr/bin/$a" ] ||
        [ -e "$r/usr/sbin/$a" ] || [ -L "$r/usr/sbin/$a" ] ||
        ln -s busybox "$r/usr/bin/$a" || die "ln $a failed"
done
: >"$r/var/log/h2k-fake-calls.log"

m="usr/lib/modules/$kernel"
mods="kernel/drivers/block/virtio_blk kernel/drivers/scsi/virtio_scsi
kernel/drivers/net/virtio_net kernel/drivers/virtio/virtio_pci
kernel/drivers/virtio/virtio_balloon kernel/drivers/char/hw_random/virtio-rng
kernel/drivers/scsi/vmw_pvscsi kernel/drivers/net/vmxnet3/vmxnet3
kernel/drivers/misc/vmw_vmci/vmw_vmci"
: >"$tmp/modules.dep"
for mod in $mods; do
    mkdir -p "$r/$m/$(dirname "$mod")" || die "mkdir failed"
    printf 'phony module %s\n' "$(basename "$mod")" >"$r/$m/$mod.$modules_ext" || die "write failed"
    echo "$mod.$modules_ext:" >>"$tmp/modules.dep"
done
cp "$tmp/modules.dep" "$r/$m/modules.dep" || die "cp failed"

# The kernel files.  An initramfs is a gzipped cpio (lsinitramfs lists it)
# of the modules as VMware leaves them: its storage and network drivers,
# no virtio; the generic rescue and fallback images (RHEL's 0-rescue, Arch's
# -fallback) hold every module.
vmware_mods="kernel/drivers/scsi/vmw_pvscsi kernel/drivers/net/vmxnet3/vmxnet3
kernel/drivers/misc/vmw_vmci/vmw_vmci"
for f in $kernel_files; do
    f="${f//@K@/$kernel}"
    mkdir -p "$r/$(dirname "$f")" || die "mkdir failed"
    case "${f##*/}" in
        initramfs-* | initrd-* | initrd.img-*)
            i="$tmp/initramfs"
            rm -rf "$i" && mkdir -p "$i/h2k-fake-initramfs" || die "mkdir failed"
            : >"$i/h2k-fake-initramfs/phony" || die "write failed"
            case "$f" in *rescue* | *fallback*) imods="$mods" ;; *) imods="$vmware_mods" ;; esac
            for mod in $imods; do
                mkdir -p "$i/$m/$(dirname "$mod")" || die "mkdir failed"
                cp "$r/$m/$mod.$modules_ext" "$i/$m/$mod.$modules_ext" || die "cp failed"
            done
            ( cd "$i" && find h2k-fake-initramfs usr | cpio --quiet -o -H newc | gzip -n ) \
                >"$r/$f" || die "cannot write $f"
            ;;
        *)
            printf 'phony %s of %s\n' "$(basename "$f")" "$name" >"$r/$f" || die "write failed"
            ;;
    esac
done

# An rpm database (sqlite, in $rpm_dbpath) holding one empty package per line
# of the package list: libguestfs lists applications from it (and fails
# without one).
if [ "$package_format" = rpm ]; then
    need rpm rpmbuild sqlite3
    top="$tmp/rpmbuild"
    pkgs="$r/var/lib/h2k-fake/packages"
    while read -r nevra; do
        [ -n "$nevra" ] || continue
        parch="${nevra##*.}"; nvr="${nevra%.*}"
        prel="${nvr##*-}"; nv="${nvr%-*}"
        pver="${nv##*-}"; pname="${nv%-*}"
        rpmbuild -bb --quiet --define "_topdir $top" --define "pname $pname" \
            --define "pver $pver" --define "prel $prel" --define "parch $parch" \
            --define "_build_id_links none" "$here/phony-linux/common/phony.spec" \
            >>"$tmp/rpm.log" 2>&1 ||
            die "rpmbuild $nevra failed: $(tail -n 3 "$tmp/rpm.log")"
    done <"$pkgs"
    # librpm reads its macros inside the guest (libguestfs chroots into it):
    # without %_dbpath it finds no database.
    mkdir -p "$r/usr/lib/rpm" || die "mkdir failed"
    printf '%%_var\t/var\n%%_dbpath\t%s\n%%_db_backend\tsqlite\n' "$rpm_dbpath" \
        >"$r/usr/lib/rpm/macros" || die "cannot write rpm macros"
    # ... and gives up on the macros when rpmrc is missing.
    printf '# rpmrc of an h2k phony guest (the real one comes with rpm)\n' \
        >"$r/usr/lib/rpm/rpmrc" || die "cannot write rpmrc"
    db="$r$rpm_dbpath"
    mkdir -p "$db" || die "mkdir failed"
    if [ "$rpm_dbpath" != /var/lib/rpm ]; then
        ln -s "../..$rpm_dbpath" "$r/var/lib/rpm" || die "ln failed"
    fi
    rpm --dbpath "$db" --initdb >>"$tmp/rpm.log" 2>&1 || die "rpm --initdb failed"
    rpm -i --justdb --nodeps --noscripts --notriggers --ignorearch --ignoreos \
        --dbpath "$db" "$top"/RPMS/*/*.rpm >>"$tmp/rpm.log" 2>&1 ||
        die "rpm -i --justdb failed: $(tail -n 3 "$tmp/rpm.log")"
    n="$(rpm --dbpath "$db" -qa 2>>"$tmp/rpm.log" | wc -l)" || die "rpm -qa failed"
    [ "$n" -eq "$(grep -c . "$pkgs")" ] || die "the rpm database holds $n packages, not the whole list"
    # rpm leaves the database in WAL mode, which sqlite cannot open on the
    # read-only mount libguestfs inspects from ("rpmtsInitIterator").
    mode="$(sqlite3 "$db/rpmdb.sqlite" 'PRAGMA journal_mode=DELETE;')" ||
        die "sqlite3 failed on the rpm database"
    [ "$mode" = delete ] || die "rpm database journal mode is $mode"
    rm -f "$db/rpmdb.sqlite-shm" "$db/rpmdb.sqlite-wal" || die "rm failed"
    # The fake rpm -e drops erased packages from the database with it.
    cp "$(command -v sqlite3)" "$r/usr/bin/sqlite3" || die "cp sqlite3 failed"
    copy_libs "$r/usr/bin/sqlite3"
fi

tar --owner=0 --group=0 --numeric-owner -C "$r" -cf "$tmp/root.tar" . ||
    die "tar failed"

# ---------------------------------------------------------------- disk
disk="$stage/disk.img"
truncate -s "$disk_size" "$disk" || die "truncate failed"
printf 'label: dos\nlabel-id: %s\nunit: sectors\n%s\n' "$label_id" "$table" |
    sfdisk -q --no-reread --no-tell-kernel "$disk" >"$tmp/sfdisk.log" 2>&1 ||
    die "sfdisk failed: $(cat "$tmp/sfdisk.log")"
sfdisk --dump "$disk" 2>/dev/null | grep -qi "^label-id: $label_id\$" ||
    die "partition table not written"

gfs="$tmp/build.gf"
{
    echo "run"
    for fs in $filesystems; do
        IFS=: read -r dev mp type <<<"$fs"
        if [ "$type" = swap ]; then
            echo "mkswap $dev"
        else
            echo "mkfs $type $dev"
        fi
    done
    for fs in $filesystems; do
        IFS=: read -r dev mp type <<<"$fs"
        [ "$type" != swap ] || continue
        [ "$mp" = / ] || echo "mkdir-p $mp"
        echo "mount $dev $mp"
    done
    echo "tar-in $tmp/root.tar /"
    echo "umount-all"
    echo "sync"
} >"$gfs" || die "cannot write $gfs"
gf --format=raw -a "$disk" -f "$gfs" >"$tmp/gf.log" 2>&1 ||
    die "guestfish failed: $(tail -n 5 "$tmp/gf.log")"

# ---------------------------------------------------------------- facts
{
    echo "# What phony Linux guest $name pretends to be (generated; source it)."
    fact name "$name"
    fact os_type linux
    fact distro "$distro"
    fact major "$major"
    fact minor "$minor"
    fact product_name "$product_name"
    fact osinfo "$osinfo"
    fact arch "$arch"
    fact firmware "$firmware"
    fact hostname "$hostname"
    fact package_format "$package_format"
    fact package_management "$package_management"
    fact disk disk.img
    fact format raw
    fact root_device "$root_device"
    fact filesystems "$filesystems"
    fact kernel "$kernel"
    fact fake_tools "$fake_tools"
    fact fake_log /var/log/h2k-fake-calls.log
    fact shell dash
    fact nic_name "$nic_name"
    fact nic_mac "$nic_mac"
    fact ipv4_address "$ipv4_address"
    fact ipv4_prefix "$ipv4_prefix"
    fact ipv4_gateway "$ipv4_gateway"
    fact ipv4_dns "$ipv4_dns"
    fact network_config "$network_config"
} >"$stage/facts" || die "cannot write facts"

finish_image "$out" "$name"
