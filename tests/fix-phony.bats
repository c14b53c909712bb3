#!/usr/bin/env bats
# bats file_tags=guests
# h2k-fix-linux on the phony RHEL 8, RHEL 9, SLES 15, Ubuntu 22.04 and Arch
# guests
# (tests/images/phony.mk): the exact plan, the exact command lines the
# guest's own tools ran (their fakes log them to
# /var/log/h2k-fake-calls.log), the exact content of every edited file,
# the backups under /var/lib/h2k/backup matching the recorded digests, the
# rebuilt initramfs images holding virtio, and a second run planning and
# running nothing.
#
#   h2k-fetch disk.img | h2k-inspect | h2k-fix-linux | h2k-fix-linux
#
# setup_file runs the pipelines side by side, then reads each fixed
# overlay back with ONE guestfish launch (tar-out of the whole phony
# guest, about 4 MiB), after the second run: so the log also shows that
# the second run ran nothing.  Each guest takes 4 libguestfs launches; under
# TCG the file takes about 6-9 minutes (the three guests in parallel).
# The guestfish launch gets force_tcg (nested KVM is often broken) unless
# LIBGUESTFS_BACKEND_SETTINGS says otherwise; the h2k tools probe by
# themselves (H2K_ACCEL).

load helpers

guests=(rhel8 rhel9 sles15 ubuntu2204 arch)

# The whole pipeline for guest $1, into $BATS_FILE_TMPDIR/$1: *.json, *.err,
# root/ (the fixed guest's files) and done.
pipeline ()
{
    local g="$1" d="$BATS_FILE_TMPDIR/$1" src
    src="$(readlink -f "$H2K_TEST_IMAGES/$g")/disk.img"
    mkdir -p "$d" || return 1
    stat -c '%s %Y' "$src" >"$d/source.stat" &&
    h2k-fetch --workdir "$d/w" --format raw "$src" >"$d/fetched.json" 2>"$d/fetch.err" &&
    h2k-inspect <"$d/fetched.json" >"$d/inspected.json" 2>"$d/inspect.err" &&
    h2k-fix-linux <"$d/inspected.json" >"$d/fixed.json" 2>"$d/fixed.err" &&
    h2k-fix-linux <"$d/fixed.json" >"$d/fixed2.json" 2>"$d/fixed2.err" &&
    env -u MALLOC_PERTURB_ \
    LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}" \
        guestfish --ro --format=qcow2 -a "$d/w/disk0-overlay.qcow2" -i \
        tar-out / "$d/root.tar" >"$d/gf.out" 2>"$d/gf.err" &&
    mkdir "$d/root" && tar --no-same-owner -C "$d/root" -xf "$d/root.tar" &&
    stat -c '%s %Y' "$src" >"$d/source.stat.after" &&
    echo "$src" >"$d/done"
}

setup_file ()
{
    local g
    command -v guestfish >/dev/null && command -v jq >/dev/null || return 0
    export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
    make -s -k -j2 -C "$top/tests/images" "${guests[@]}" >"$BATS_FILE_TMPDIR/make.log" 2>&1 || true
    for g in "${guests[@]}"; do
        [ -f "$H2K_TEST_IMAGES/$g/facts" ] || continue
        pipeline "$g" &
    done
    wait
}

setup ()
{
    requires guestfish jq lsinitramfs
}

# use GUEST: skip unless its pipeline ran; sets d, r (its files), the
# facts, k (the kernel), orig (the image's source tree) and uuid_sdaN.
use ()
{
    g="$1" d="$BATS_FILE_TMPDIR/$1" r="$BATS_FILE_TMPDIR/$1/root"
    orig="$top/tests/images/phony-linux/$1/rootfs"
    requires_image "$g"
    [ -f "$d/done" ] || {
        local e
        e="$(ls -t "$d"/*.err 2>/dev/null | head -n 1)"
        echo "$g: the pipeline stopped${e:+ at ${e##*/}: $(tail -n 2 "$e")}" >&2
        return 1
    }
    # shellcheck disable=SC1091
    . "$image/facts"
    k="$kernel"
    local dev
    for dev in sda1 sda2 sda3; do
        eval "uuid_$dev=\$(jq -r --arg d /dev/$dev '.guest.filesystems[] | select(.device == \$d) | .uuid' \"\$d/inspected.json\")"
    done
}

# same FILE: the guest's FILE (after the fix) is exactly stdin.
same ()
{
    diff -u - "$r$1" >&2 || { echo "$g: $1 is not as expected" >&2; return 1; }
}

# unchanged FILE: the guest's FILE is the image's, and h2k kept no backup.
unchanged ()
{
    same "$1" <"$orig$1"
    [ ! -e "$r/var/lib/h2k/backup$1" ] || { echo "$g: $1 was backed up" >&2; return 1; }
}

# The plan of the first run, one line per item: "ACTION FILE".
plan_lines () { jq -r '.plan[] | "\(.action) \(.files[0] // "-")"' "$d/fixed.json"; }

# The argv of every command item, one line each.
plan_argvs () { jq -r '.plan[] | select(.action == "command") | .details.argv | join(" ")' "$d/fixed.json"; }

link_file ()    # NAME MAC
{
    printf '# Written by h2k-fix-linux: the NIC that had this MAC on the\n'
    printf '# source keeps the name its configuration uses.\n'
    printf '[Match]\nMACAddress=%s\n\n[Link]\nName=%s\n' "$2" "$1"
}

dracut_conf ()
{
    printf '# Written by h2k-fix-linux: the disk and NIC are virtio on KVM.\n'
    printf 'add_drivers+=" virtio_pci virtio_blk virtio_scsi virtio_net "\n'
}

# The modules (base names) an initramfs of the fixed guest holds, sorted.
image_modules ()
{
    lsinitramfs "$r$1" | sed -n 's,.*/\([^/]*\)\.ko[^/]*$,\1,p' | LC_ALL=C sort | tr '\n' ' '
}

# ---------------------------------------------------------------- rhel9

@test "fix-phony rhel9: the plan, exactly" {
    use rhel9
    diff -u - <(plan_lines) >&2 <<EOF
write-file /etc/systemd/network/10-h2k-ens192.link
edit-lines /etc/sysconfig/network-scripts/ifcfg-ens192
edit-lines /etc/NetworkManager/system-connections/ens192.nmconnection
edit-lines /etc/fstab
edit-lines /boot/loader/entries/4d1f0c9a2b7e4e5f9a3c6b8d0e1f2a39-0-rescue.conf
edit-lines /boot/loader/entries/4d1f0c9a2b7e4e5f9a3c6b8d0e1f2a39-$k.conf
command -
write-file /etc/dracut.conf.d/90-h2k-virtio.conf
command /boot/initramfs-$k.img
fstrim -
EOF
    diff -u - <(plan_argvs) >&2 <<EOF
rpm -e open-vm-tools
dracut -f /boot/initramfs-$k.img $k
EOF
    # The rescue image is generic: it has virtio, nothing rebuilds it.
    [ "$(jq -r '.guest.kernels[] | select(.version | startswith("0-rescue")) | .virtio.virtio_blk' "$d/inspected.json")" = initramfs ]
}

@test "fix-phony rhel9: the guest's tools ran exactly these commands" {
    use rhel9
    diff -u - "$r/var/log/h2k-fake-calls.log" >&2 <<EOF
rpm -e open-vm-tools
dracut -f /boot/initramfs-$k.img $k
EOF
    # rpm -e took the package out of the database as well.
    ! grep -q '^open-vm-tools-' "$r/var/lib/h2k-fake/packages"
}

@test "fix-phony rhel9: fstab, BLS options and the NIC profiles, exactly" {
    use rhel9
    sed -e "s|^/dev/sda2 |UUID=$uuid_sda2 |" -e "s|^/dev/sda1 |UUID=$uuid_sda1 |" \
        "$orig/etc/fstab" | same /etc/fstab
    grep -c '^UUID=' "$r/etc/fstab" | grep -qx 2
    local e
    for e in "4d1f0c9a2b7e4e5f9a3c6b8d0e1f2a39-$k" 4d1f0c9a2b7e4e5f9a3c6b8d0e1f2a39-0-rescue; do
        sed "s|^options root=/dev/sda2 |options root=UUID=$uuid_sda2 |" \
            "$orig/boot/loader/entries/$e.conf" | same "/boot/loader/entries/$e.conf"
    done
    grep -v '^HWADDR=' "$orig/etc/sysconfig/network-scripts/ifcfg-ens192" |
        same /etc/sysconfig/network-scripts/ifcfg-ens192
    grep -v '^mac-address=' "$orig/etc/NetworkManager/system-connections/ens192.nmconnection" |
        same /etc/NetworkManager/system-connections/ens192.nmconnection
    link_file ens192 "$nic_mac" | same /etc/systemd/network/10-h2k-ens192.link
    dracut_conf | same /etc/dracut.conf.d/90-h2k-virtio.conf
    # Left alone: no root= there (BLS), and the VMware drivers stay listed.
    unchanged /etc/default/grub
    unchanged /etc/dracut.conf.d/vmware.conf
    unchanged /boot/grub2/grub.cfg
    unchanged /boot/grub2/grubenv
}

@test "fix-phony rhel9: the rebuilt initramfs holds virtio, the old one is kept" {
    use rhel9
    [ "$(image_modules "/boot/initramfs-$k.img")" = "virtio_blk virtio_net virtio_pci virtio_scsi vmw_pvscsi vmxnet3 " ]
    [ "$(image_modules "/var/lib/h2k/backup/boot/initramfs-$k.img")" = "vmw_pvscsi vmw_vmci vmxnet3 " ]
}

# ---------------------------------------------------------------- sles15

@test "fix-phony sles15: the plan, exactly" {
    use sles15
    diff -u - <(plan_lines) >&2 <<EOF
edit-lines /etc/udev/rules.d/70-persistent-net.rules
write-file /etc/systemd/network/10-h2k-eth0.link
edit-lines /etc/fstab
edit-lines /etc/default/grub
command /boot/grub2/grub.cfg
command -
write-file /etc/dracut.conf.d/90-h2k-virtio.conf
command /boot/initrd-$k
fstrim -
EOF
    diff -u - <(plan_argvs) >&2 <<EOF
grub2-mkconfig -o /boot/grub2/grub.cfg
rpm -e open-vm-tools
dracut -f /boot/initrd-$k $k
EOF
}

@test "fix-phony sles15: the guest's tools ran exactly these commands" {
    use sles15
    diff -u - "$r/var/log/h2k-fake-calls.log" >&2 <<EOF
grub2-mkconfig -o /boot/grub2/grub.cfg
rpm -e open-vm-tools
dracut -f /boot/initrd-$k $k
EOF
    ! grep -q '^open-vm-tools-' "$r/var/lib/h2k-fake/packages"
    [ "$(cat "$r/boot/grub2/grub.cfg")" = "# grub.cfg written by h2k fake grub2-mkconfig" ]
}

@test "fix-phony sles15: fstab, /etc/default/grub, persistent-net rules and the .link file, exactly" {
    use sles15
    sed -e "s|^/dev/sda2 |UUID=$uuid_sda2 |" -e "s|^/dev/sda1 |UUID=$uuid_sda1 |" \
        "$orig/etc/fstab" | same /etc/fstab
    grep -c '^UUID=' "$r/etc/fstab" | grep -qx 2
    sed -e "s|^GRUB_CMDLINE_LINUX_DEFAULT=.*|GRUB_CMDLINE_LINUX_DEFAULT=\"resume=UUID=$uuid_sda2 splash=silent quiet showopts\"|" \
        -e 's|^GRUB_DISABLE_LINUX_UUID=true$|GRUB_DISABLE_LINUX_UUID=false|' \
        "$orig/etc/default/grub" | same /etc/default/grub
    # The rule goes, the comments stay.
    grep -v '^SUBSYSTEM==' "$orig/etc/udev/rules.d/70-persistent-net.rules" |
        same /etc/udev/rules.d/70-persistent-net.rules
    link_file eth0 "$nic_mac" | same /etc/systemd/network/10-h2k-eth0.link
    dracut_conf | same /etc/dracut.conf.d/90-h2k-virtio.conf
    unchanged /etc/sysconfig/network/ifcfg-eth0
    unchanged /etc/sysconfig/kernel
    unchanged /etc/dracut.conf.d/01-dist.conf
}

@test "fix-phony sles15: the rebuilt initramfs holds virtio, the old one is kept" {
    use sles15
    [ "$(image_modules "/boot/initrd-$k")" = "virtio_blk virtio_net virtio_pci virtio_scsi " ]
    [ "$(image_modules "/var/lib/h2k/backup/boot/initrd-$k")" = "vmw_pvscsi vmw_vmci vmxnet3 " ]
    same /var/lib/h2k/backup/boot/grub2/grub.cfg <"$orig/boot/grub2/grub.cfg"
}

# ---------------------------------------------------------------- ubuntu2204

@test "fix-phony ubuntu2204: the plan, exactly" {
    use ubuntu2204
    diff -u - <(plan_lines) >&2 <<EOF
edit-lines /etc/fstab
edit-lines /etc/default/grub
command /boot/grub/grub.cfg
command -
write-file /etc/initramfs-tools/modules
command -
fstrim -
EOF
    diff -u - <(plan_argvs) >&2 <<EOF
grub-mkconfig -o /boot/grub/grub.cfg
dpkg --purge open-vm-tools
update-initramfs -u -k all
EOF
}

@test "fix-phony ubuntu2204: the guest's tools ran exactly these commands" {
    use ubuntu2204
    diff -u - "$r/var/log/h2k-fake-calls.log" >&2 <<EOF
grub-mkconfig -o /boot/grub/grub.cfg
dpkg --purge open-vm-tools
update-initramfs -u -k all
EOF
    # dpkg's database no longer has the package.
    ! grep -qx 'Package: open-vm-tools' "$r/var/lib/dpkg/status"
    grep -qx 'Package: systemd' "$r/var/lib/dpkg/status"
    [ "$(cat "$r/boot/grub/grub.cfg")" = "# grub.cfg written by h2k fake grub-mkconfig" ]
}

@test "fix-phony ubuntu2204: fstab, /etc/default/grub and the initramfs modules, exactly" {
    use ubuntu2204
    sed "s|^/dev/sda1 |UUID=$uuid_sda1 |" "$orig/etc/fstab" | same /etc/fstab
    grep -q '^/swap.img ' "$r/etc/fstab"
    sed 's|^GRUB_DISABLE_LINUX_UUID=true$|GRUB_DISABLE_LINUX_UUID=false|' \
        "$orig/etc/default/grub" | same /etc/default/grub
    { cat "$orig/etc/initramfs-tools/modules"
      echo "# Added by h2k-fix-linux: the disk and NIC are virtio on KVM."
      printf '%s\n' virtio_pci virtio_blk virtio_scsi virtio_net
    } | same /etc/initramfs-tools/modules
    # netplan's match: macaddress + set-name names the NIC as the .link
    # file would (see h2k-fix-linux(1)): left alone, and no .link file.
    unchanged /etc/netplan/00-installer-config.yaml
    [ ! -e "$r/etc/systemd/network" ] || [ -z "$(ls -A "$r/etc/systemd/network")" ]
    unchanged /etc/initramfs-tools/initramfs.conf
}

@test "fix-phony ubuntu2204: the rebuilt initramfs holds virtio, the old one is kept" {
    use ubuntu2204
    [ "$(image_modules "/boot/initrd.img-$k")" = "virtio_blk virtio_net virtio_pci virtio_scsi vmw_pvscsi vmxnet3 " ]
    [ "$(image_modules "/var/lib/h2k/backup/boot/initrd.img-$k")" = "vmw_pvscsi vmw_vmci vmxnet3 " ]
    same /var/lib/h2k/backup/boot/grub/grub.cfg <"$orig/boot/grub/grub.cfg"
}

# ---------------------------------------------------------------- rhel8
# Its BLS entries say "options $kernelopts": root= and resume= are in
# grubenv, which only the guest's grub2-editenv changes.

@test "fix-phony rhel8: inspection reads root= from grubenv's kernelopts" {
    use rhel8
    f="$d/inspected.json"
    [ "$(jq -r .guest.bootloader.cmdline.from "$f")" = /boot/grub2/grubenv ]
    [ "$(jq -r .guest.bootloader.cmdline.root "$f")" = /dev/sda2 ]
    [ "$(jq -r .guest.bootloader.cmdline.resume "$f")" = /dev/sda3 ]
    [ "$(jq -r '[.guest.risks[].code] | unique | join(" ")' "$f")" = \
      "cmdline-resume-device-name cmdline-root-device-name fstab-device-name hypervisor-tools initramfs-missing-virtio nic-mac-pin nic-name-changes" ]
}

@test "fix-phony rhel8: the plan, exactly" {
    use rhel8
    diff -u - <(plan_lines) >&2 <<EOF
write-file /etc/systemd/network/10-h2k-ens192.link
edit-lines /etc/sysconfig/network-scripts/ifcfg-ens192
edit-lines /etc/fstab
edit-lines /etc/default/grub
command /boot/grub2/grubenv
command /boot/grub2/grub.cfg
command -
write-file /etc/dracut.conf.d/90-h2k-virtio.conf
command /boot/initramfs-$k.img
fstrim -
EOF
    diff -u - <(plan_argvs) >&2 <<EOF
grub2-editenv /boot/grub2/grubenv set kernelopts=root=UUID=$uuid_sda2 ro crashkernel=auto resume=UUID=$uuid_sda3 rhgb quiet
grub2-mkconfig -o /boot/grub2/grub.cfg
rpm -e open-vm-tools
dracut -f /boot/initramfs-$k.img $k
EOF
}

@test "fix-phony rhel8: the guest's tools ran exactly these commands" {
    use rhel8
    diff -u - "$r/var/log/h2k-fake-calls.log" >&2 <<EOF
grub2-editenv /boot/grub2/grubenv set 'kernelopts=root=UUID=$uuid_sda2 ro crashkernel=auto resume=UUID=$uuid_sda3 rhgb quiet'
grub2-mkconfig -o /boot/grub2/grub.cfg
rpm -e open-vm-tools
dracut -f /boot/initramfs-$k.img $k
EOF
}

@test "fix-phony rhel8: grubenv, fstab and /etc/default/grub, exactly" {
    use rhel8
    # grubenv: kernelopts by UUID, the block still 1024 bytes.
    [ "$(stat -c %s "$r/boot/grub2/grubenv")" = 1024 ]
    diff -u - <(grep -v '^#' "$r/boot/grub2/grubenv") >&2 <<EOF
saved_entry=7a3e5c1d9b2f4e8a8c6d0f1e2a3b4c58-$k
boot_success=0
kernelopts=root=UUID=$uuid_sda2 ro crashkernel=auto resume=UUID=$uuid_sda3 rhgb quiet
EOF
    cmp "$orig/boot/grub2/grubenv" "$r/var/lib/h2k/backup/boot/grub2/grubenv"
    sed -e "s|^/dev/sda2 |UUID=$uuid_sda2 |" -e "s|^/dev/sda1 |UUID=$uuid_sda1 |" \
        -e "s|^/dev/sda3 |UUID=$uuid_sda3 |" "$orig/etc/fstab" | same /etc/fstab
    sed "s|resume=/dev/sda3|resume=UUID=$uuid_sda3|" "$orig/etc/default/grub" |
        same /etc/default/grub
    # The BLS entries keep "options $kernelopts".
    local e
    for e in "$orig"/boot/loader/entries/*.conf; do
        unchanged "/boot/loader/entries/${e##*/}"
    done
}

# ---------------------------------------------------------------- arch
# Arch names its kernel by package (/boot/vmlinuz-linux) and builds the
# initramfs with mkinitcpio.

@test "fix-phony arch: inspection finds the kernel's version through pkgbase" {
    use arch
    f="$d/inspected.json"
    [ "$(jq -r .guest.initramfs_tool "$f")" = mkinitcpio ]
    [ "$(jq -r '.guest.kernels | length' "$f")" = 1 ]
    [ "$(jq -r '.guest.kernels[0].version' "$f")" = "$k" ]
    [ "$(jq -r '.guest.kernels[0].path' "$f")" = /boot/vmlinuz-linux ]
    [ "$(jq -r '.guest.kernels[0].initramfs' "$f")" = /boot/initramfs-linux.img ]
}

@test "fix-phony arch: the plan, exactly" {
    use arch
    diff -u - <(plan_lines) >&2 <<EOF
edit-lines /etc/fstab
edit-lines /etc/default/grub
command /boot/grub/grub.cfg
edit-lines /etc/mkinitcpio.conf
command /boot/initramfs-linux.img
fstrim -
EOF
    diff -u - <(plan_argvs) >&2 <<EOF
grub-mkconfig -o /boot/grub/grub.cfg
mkinitcpio -k $k -g /boot/initramfs-linux.img
EOF
}

@test "fix-phony arch: the guest's tools ran exactly these commands" {
    use arch
    diff -u - "$r/var/log/h2k-fake-calls.log" >&2 <<EOF
grub-mkconfig -o /boot/grub/grub.cfg
mkinitcpio -k $k -g /boot/initramfs-linux.img
EOF
}

@test "fix-phony arch: mkinitcpio.conf, fstab and /etc/default/grub, exactly" {
    use arch
    sed 's|^MODULES=(vmw_pvscsi vmxnet3)$|MODULES=(vmw_pvscsi vmxnet3 virtio_pci virtio_blk virtio_scsi virtio_net)|' \
        "$orig/etc/mkinitcpio.conf" | same /etc/mkinitcpio.conf
    sed "s|^/dev/sda1 |UUID=$uuid_sda1 |" "$orig/etc/fstab" | same /etc/fstab
    sed 's|^GRUB_DISABLE_LINUX_UUID=true$|GRUB_DISABLE_LINUX_UUID=false|' \
        "$orig/etc/default/grub" | same /etc/default/grub
    # Matched on the MAC, which the KVM NIC keeps: left alone.
    unchanged /etc/systemd/network/20-wired.network
}

@test "fix-phony arch: the rebuilt initramfs holds virtio, the old one is kept" {
    use arch
    [ "$(image_modules /boot/initramfs-linux.img)" = "virtio_blk virtio_net virtio_pci virtio_scsi vmw_pvscsi vmxnet3 " ]
    [ "$(image_modules /var/lib/h2k/backup/boot/initramfs-linux.img)" = "vmw_pvscsi vmw_vmci vmxnet3 " ]
    # The fallback image holds every module already: not rebuilt.
    [ ! -e "$r/var/lib/h2k/backup/boot/initramfs-linux-fallback.img" ]
}

# ---------------------------------------------------------------- all of them

@test "fix-phony: every change is recorded with the right digests, every replaced file backed up" {
    local n c path before after backup act
    for n in "${guests[@]}"; do
        use "$n"
        [ "$(jq '[.changes[].plan_id] - [.plan[].id] | length' "$d/fixed.json")" = 0 ]
        # Every item of the plan made at least one change.
        [ "$(jq '[.plan[].id] - [.changes[].plan_id] | length' "$d/fixed.json")" = 0 ]
        while IFS='|' read -r act path before after backup; do
            if [ "$act" = edit ] || [ "$act" = write ] || [ "$act" = command ]; then
                [ "$(sha256sum <"$r$path" | cut -d' ' -f1)" = "$after" ] ||
                    { echo "$n: $path: after_sha256 $after is not the file's" >&2; return 1; }
            fi
            if [ -n "$before" ]; then
                [ "$backup" = "/var/lib/h2k/backup$path" ] ||
                    { echo "$n: $path: backup at '$backup'" >&2; return 1; }
                [ "$(sha256sum <"$r$backup" | cut -d' ' -f1)" = "$before" ] ||
                    { echo "$n: $backup does not match before_sha256" >&2; return 1; }
                # ... and is the image's original (for files of the tree).
                [ ! -f "$orig$path" ] || cmp -s "$orig$path" "$r$backup" ||
                    { echo "$n: $backup is not the original $path" >&2; return 1; }
            else
                [ -z "$backup" ] || { echo "$n: $path: a backup of nothing" >&2; return 1; }
                [ ! -f "$orig$path" ] || { echo "$n: $path existed, before_sha256 missing" >&2; return 1; }
            fi
        done < <(jq -r '.changes[] | select(.path) | select(.action != "fstrim") |
                        [.action, .path, .before_sha256 // "", .after_sha256 // "", .backup // ""] | join("|")' "$d/fixed.json")
        # Exactly the replaced files are backed up, nothing else.
        diff -u <(jq -r '.changes[] | select(.before_sha256) | .backup' "$d/fixed.json" | LC_ALL=C sort -u) \
                <(cd "$r" && find var/lib/h2k/backup -type f | sed 's,^,/,' | LC_ALL=C sort) >&2
        # The package removal: one record, with its argv and no file.
        [ "$(jq -r '.changes[] | select(.command and (.path | not)) | .command | join(" ")' "$d/fixed.json")" = \
          "$(case $n in ubuntu2204) echo dpkg --purge open-vm-tools ;; arch) ;; *) echo rpm -e open-vm-tools ;; esac)" ]
    done
}

@test "fix-phony: a second run plans nothing and changes nothing" {
    local n
    for n in "${guests[@]}"; do
        use "$n"
        grep -q 'plan: nothing to change' "$d/fixed2.err" ||
            { echo "$n: the second run planned: $(grep 'plan ' "$d/fixed2.err")" >&2; return 1; }
        [ "$(jq '.plan | length' "$d/fixed2.json")" = "$(jq '.plan | length' "$d/fixed.json")" ]
        [ "$(jq '.changes | length' "$d/fixed2.json")" = "$(jq '.changes | length' "$d/fixed.json")" ]
        [ "$(jq -r '[.stages[].tool] | join(" ")' "$d/fixed2.json")" = "h2k-fetch h2k-inspect h2k-fix-linux h2k-fix-linux" ]
        [ "$(jq -r '[.stages[].status] | unique | join(" ")' "$d/fixed2.json")" = ok ]
        # (the fake-calls log, read after it, holds the first run's commands only: see above)
        ! grep -q 'warning' "$d/fixed2.err" || { echo "$n: $(grep warning "$d/fixed2.err")" >&2; return 1; }
    done
}

@test "fix-phony: the source images were not written" {
    local n
    for n in "${guests[@]}"; do
        use "$n"
        [ "$(jq -r '.disks[0].overlay.path' "$d/inspected.json")" = "$d/w/disk0-overlay.qcow2" ]
        [ "$(jq -r '.disks[0].overlay.backing' "$d/inspected.json")" = "$(cat "$d/done")" ]
        cmp "$d/source.stat" "$d/source.stat.after"
    done
}
