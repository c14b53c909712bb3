#!/usr/bin/env bats
# bats file_tags=guests
# The phony guests (tests/images/phony.mk) are what they claim to be:
# libguestfs inspection recognises each guest as the OS its `facts` file
# names; the Windows hives carry the VMware services and the static IPv4
# set-up; the hibernated guest cannot be written; the fake tools inside
# the Linux guests run and log their command lines.  (The fake virtio-win
# tree and ISO are checked in images-virtio-win.bats.)
#
# libguestfs is slow here (TCG), so setup_file launches it ONCE for all the
# guests: every disk is added read-only (writes go to a throw-away overlay),
# and one guestfish script inspects them and runs every probe the tests
# read.  Its results land in $BATS_FILE_TMPDIR/r/<image>/<key>.  That
# session takes about 3-4 minutes under TCG (inspecting the 11-15 MiB real
# SYSTEM hives dominates); the images themselves are built beforehand by
# `make -C tests/images` (or here, when missing).

load helpers

windows=(win7 win10 win10-hiber win2019 win11 win2022)
linux=(rhel9 sles15 ubuntu2204)

# /dev/sdaN of a facts file -> the device of the IDX-th disk of the session.
dev_of ()
{
    local dev="$1" idx="$2" letters=abcdefghijklmnopqrstuvwxyz
    [ -n "$dev" ] || return 0
    printf '/dev/sd%s%s' "${letters:$idx:1}" "${dev#/dev/sda}"
}

setup_file ()
{
    local r="$BATS_FILE_TMPDIR/r" gfs="$BATS_FILE_TMPDIR/session.gf" n i=0 root f
    mkdir -p "$r"
    command -v guestfish >/dev/null || return 0
    # Build what is missing, two at a time; tests skip what failed.
    make -s -k -j2 -C "$top/tests/images" "${windows[@]}" "${linux[@]}" \
        >"$BATS_FILE_TMPDIR/make.log" 2>&1 || true

    {
        for n in "${windows[@]}" "${linux[@]}"; do
            [ -f "$H2K_TEST_IMAGES/$n/facts" ] || continue
            echo "add-drive $H2K_TEST_IMAGES/$n/disk.img readonly:true format:raw"
        done
        echo run
        echo "echo @@@ - roots"
        echo "-inspect-os"
        for n in "${windows[@]}" "${linux[@]}"; do
            [ -f "$H2K_TEST_IMAGES/$n/facts" ] || continue
            # shellcheck disable=SC1090
            ( . "$H2K_TEST_IMAGES/$n/facts"
              root="$(dev_of "$root_device" "$i")"
              echo "echo @@@ $n root"
              echo "echo $root"
              for f in type distro product-name product-variant major-version \
                       minor-version arch hostname osinfo package-format \
                       package-management windows-systemroot \
                       windows-current-control-set drive-mappings; do
                  echo "echo @@@ $n $f"
                  echo "-inspect-get-$f $root"
              done
              if [ "$os_type" = windows ]; then
                  echo "-mount-ro $root /"
                  echo "echo @@@ $n applications"
                  echo "-inspect-list-applications2 $root"
                  echo "-download /Windows/System32/config/SYSTEM $BATS_FILE_TMPDIR/r/$n.SYSTEM"
                  echo "-download /Windows/System32/config/SOFTWARE $BATS_FILE_TMPDIR/r/$n.SOFTWARE"
                  echo "echo @@@ $n cmd-arch"
                  echo "-file-architecture /Windows/System32/cmd.exe"
                  echo "echo @@@ $n hiberfil"
                  echo "-pread /hiberfil.sys 4 0"
                  echo "echo"
                  echo "-umount-all"
                  echo "echo @@@ $n ntfs-3g-probe-rw"
                  echo "-ntfs-3g-probe true $root"
                  # Write through ntfs-3g (to the overlay): refused when
                  # hibernated (ntfs-3g falls back to read-only).
                  echo "-mount $root /"
                  echo "-touch /h2k-write-test"
                  echo "echo @@@ $n written"
                  echo "-is-file /h2k-write-test"
                  echo "-umount-all"
                  if [ -n "$esp_device" ]; then
                      echo "-mount-ro $(dev_of "$esp_device" "$i") /"
                      echo "echo @@@ $n bootmgfw-arch"
                      echo "-file-architecture /EFI/Microsoft/Boot/bootmgfw.efi"
                      echo "echo @@@ $n bcd"
                      echo "-is-file /EFI/Microsoft/Boot/BCD"
                      echo "-umount-all"
                  fi
              else
                  for f in $filesystems; do
                      IFS=: read -r dev mp type <<<"$f"
                      [ "$type" = swap ] || echo "-mount $(dev_of "$dev" "$i") $mp"
                  done
                  echo "echo @@@ $n applications"
                  echo "-inspect-list-applications2 $root"
                  echo "echo @@@ $n fake-run"
                  echo "-sh \"$(linux_fake_commands "$n" "$kernel")\""
                  echo "echo @@@ $n fake-log"
                  echo "-cat /var/log/h2k-fake-calls.log"
                  echo "echo @@@ $n sh"
                  echo "-readlink /usr/bin/sh"
                  for f in $network_config; do
                      echo "echo @@@ $n net-${f##*/}"
                      echo "-cat /$f"
                  done
                  echo "-umount-all"
              fi
            ) || return 1
            i=$((i + 1))
        done
    } >"$gfs"

    # MALLOC_PERTURB_ is for our code; guestfish is not under test here.
    env -u MALLOC_PERTURB_ \
    LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}" \
    LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}" \
        guestfish -f "$gfs" >"$BATS_FILE_TMPDIR/session.out" 2>"$BATS_FILE_TMPDIR/session.err" || true
    awk -v dir="$r" '
        /^@@@ / { out = dir "/" $2 "." $3; if ($2 != "-") { system("mkdir -p " dir "/" $2); out = dir "/" $2 "/" $3 }
                  printf "" > out; next }
        out != "" { print > out }' "$BATS_FILE_TMPDIR/session.out"
}

# The commands run inside each Linux guest, and (below) what they must log.
linux_fake_commands ()
{
    case "$1" in
        rhel9)
            echo "dracut -f /boot/initramfs-$2.img $2 && grub2-mkconfig -o /boot/grub2/grub.cfg && grubby --update-kernel=ALL --args='root=/dev/vda2 ro' && rpm -q open-vm-tools && rpm -e open-vm-tools && ! rpm -q open-vm-tools && zcat /boot/initramfs-$2.img | cpio -t && head -n 1 /boot/grub2/grub.cfg" ;;
        sles15)
            echo "mkinitrd && dracut --force --add-drivers 'virtio_blk virtio_scsi' && grub2-mkconfig -o /boot/grub2/grub.cfg && rpm -qa | grep -c . && zcat /boot/initrd-$2 | cpio -t" ;;
        ubuntu2204)
            echo "update-initramfs -u -k all && update-grub && dpkg -l | grep -c ii && zcat /boot/initrd.img-$2 | cpio -t && head -n 1 /boot/grub/grub.cfg" ;;
    esac
}

linux_fake_log ()
{
    case "$1" in
        rhel9) cat <<EOF
dracut -f /boot/initramfs-$2.img $2
grub2-mkconfig -o /boot/grub2/grub.cfg
grubby --update-kernel=ALL '--args=root=/dev/vda2 ro'
rpm -q open-vm-tools
rpm -e open-vm-tools
rpm -q open-vm-tools
EOF
        ;;
        sles15) cat <<EOF
mkinitrd
dracut --force --add-drivers 'virtio_blk virtio_scsi'
grub2-mkconfig -o /boot/grub2/grub.cfg
rpm -qa
EOF
        ;;
        ubuntu2204) cat <<EOF
update-initramfs -u -k all
update-grub
grub-mkconfig -o /boot/grub/grub.cfg
dpkg -l
EOF
        ;;
    esac
}

# result IMAGE KEY: what the session printed for it (first line unless -a).
result ()
{
    local f="$BATS_FILE_TMPDIR/r/$1/$2"
    [ -f "$f" ] || { echo "no result $2 for $1; guestfish said: $(tail -n 5 "$BATS_FILE_TMPDIR/session.err")" >&2; return 1; }
    cat "$f"
}

expect ()   # IMAGE KEY EXPECTED
{
    local got
    got="$(result "$1" "$2")" || return 1
    [ "$got" = "$3" ] || { echo "$1: $2 is '$got', expected '$3'" >&2; return 1; }
}

inspect_guest ()
{
    requires guestfish
    requires_image "$1"
    # shellcheck disable=SC1091
    . "$image/facts"
    expect "$1" type "$os_type"
    expect "$1" distro "$distro"
    expect "$1" major-version "$major"
    expect "$1" minor-version "$minor"
    expect "$1" arch "$arch"
    expect "$1" product-name "$product_name"
    expect "$1" hostname "$hostname"
    grep -qx "$(result "$1" root)" "$BATS_FILE_TMPDIR/r/-.roots" ||
        { echo "$1: root not found by inspect-os" >&2; return 1; }
}

inspect_windows ()
{
    inspect_guest "$1"
    expect "$1" product-variant "$product_variant"
    expect "$1" windows-systemroot /Windows
    expect "$1" windows-current-control-set "$control_set"
    expect "$1" cmd-arch "$arch"
    # libguestfs 1.48 knows no Windows 11: it says win10 (build >= 22000).
    local osi
    osi="$(result "$1" osinfo)"
    [ "$osi" = "$osinfo" ] || { [ "$osinfo" = win11 ] && [ "$osi" = win10 ] && [ "$build" -ge 22000 ]; } ||
        { echo "$1: osinfo $osi, expected $osinfo" >&2; return 1; }
    grep -q "^C: $(result "$1" root)\$" "$BATS_FILE_TMPDIR/r/$1/drive-mappings" ||
        { echo "$1: C: is not mapped to the root: $(cat "$BATS_FILE_TMPDIR/r/$1/drive-mappings")" >&2; return 1; }
    grep -q '^ *app2_display_name: VMware Tools$' "$BATS_FILE_TMPDIR/r/$1/applications" ||
        { echo "$1: VMware Tools not among the applications" >&2; return 1; }
}

inspect_linux ()
{
    inspect_guest "$1"
    expect "$1" osinfo "$osinfo"
    expect "$1" package-format "$package_format"
    expect "$1" package-management "$package_management"
    grep -q '^ *app2_name: open-vm-tools$' "$BATS_FILE_TMPDIR/r/$1/applications" ||
        { echo "$1: open-vm-tools not among the applications" >&2; return 1; }
}

@test "phony win7: inspected as Windows 7 x86 (6.1)" { inspect_windows win7; }
@test "phony win10: inspected as Windows 10 x64" { inspect_windows win10; }
@test "phony win10-hiber: inspected as Windows 10 x64" { inspect_windows win10-hiber; }
@test "phony win2019: inspected as Windows Server 2019" { inspect_windows win2019; }
@test "phony win11: inspected as Windows 11 (10.0, build >= 22000)" { inspect_windows win11; }
@test "phony win2022: inspected as Windows Server 2022" { inspect_windows win2022; }
@test "phony rhel9: inspected as RHEL 9.4" { inspect_linux rhel9; }
@test "phony sles15: inspected as SLES 15 SP5" { inspect_linux sles15; }
@test "phony ubuntu2204: inspected as Ubuntu 22.04" { inspect_linux ubuntu2204; }

@test "phony Windows: only win10-hiber is hibernated and refuses writes" {
    requires guestfish
    local n
    for n in "${windows[@]}"; do
        requires_image "$n"
        . "$image/facts"
        if [ "$hibernated" = 1 ]; then
            expect "$n" ntfs-3g-probe-rw 14    # NTFS_VOLUME_HIBERNATED
            expect "$n" written false
            expect "$n" hiberfil HIBR
        else
            expect "$n" ntfs-3g-probe-rw 0
            expect "$n" written true
        fi
    done
}

@test "phony Windows: SYSTEM hives have the VMware services and the static IPv4 vmxnet3" {
    requires guestfish hivexget
    local n h cs s ifk
    for n in "${windows[@]}"; do
        requires_image "$n"
        . "$image/facts"
        h="$BATS_FILE_TMPDIR/r/$n.SYSTEM"
        [ -s "$h" ] || { echo "$n: SYSTEM not downloaded" >&2; return 1; }
        cs="$control_set"
        for s in pvscsi vmxnet3ndis6 vmci vsock vmhgfs VMMemCtl vmmouse VMTools; do
            [ -n "$(hivexget "$h" "\\$cs\\Services\\$s" ImagePath)" ] ||
                { echo "$n: no ImagePath for service $s" >&2; return 1; }
        done
        [ "$(hivexget "$h" "\\$cs\\Services\\pvscsi" Start)" = 0 ]
        ifk="\\$cs\\Services\\Tcpip\\Parameters\\Interfaces\\${nic_guid,,}"
        [ "$(hivexget "$h" "$ifk" EnableDHCP)" = 0 ]
        [ "$(hivexget "$h" "$ifk" IPAddress)" = "$ipv4_address" ]
        [ "$(hivexget "$h" "$ifk" SubnetMask)" = "$ipv4_netmask" ]
        [ "$(hivexget "$h" "$ifk" DefaultGateway)" = "$ipv4_gateway" ]
        [ "$(hivexget "$h" "\\$cs\\Control\\Class\\{4D36E972-E325-11CE-BFC1-08002BE10318}\\$(hivexget "$h" "\\$cs\\Enum\\$nic_instance_id" Driver | sed 's/.*\\//')" NetCfgInstanceId)" = "$nic_guid" ]
        [ "$(hivexget "$h" "\\$cs\\Enum\\$nic_instance_id" Service)" = vmxnet3ndis6 ]
        [ "$(hivexget "$h" "\\$cs\\Control\\ProductOptions" ProductType)" = "$product_type" ]
        [ "$(hivexget "$h" '\Select' Current)" = "$((10#${cs#ControlSet}))" ]
    done
}

@test "phony win7: CriticalDeviceDatabase binds PVSCSI (pre-Windows 8)" {
    requires guestfish hivexget
    requires_image win7
    local h="$BATS_FILE_TMPDIR/r/win7.SYSTEM"
    [ "$(hivexget "$h" '\ControlSet001\Control\CriticalDeviceDatabase\pci#ven_15ad&dev_07c0' Service)" = pvscsi ]
    [ "$(hivexget "$h" '\ControlSet001\Control\CriticalDeviceDatabase\pci#ven_15ad&dev_07c0' ClassGUID)" = '{4D36E97B-E325-11CE-BFC1-08002BE10318}' ]
}

@test "phony Windows: SOFTWARE hives give version, build, type and a VMware Tools uninstaller" {
    requires guestfish hivexget
    local n h k
    for n in "${windows[@]}"; do
        requires_image "$n"
        . "$image/facts"
        h="$BATS_FILE_TMPDIR/r/$n.SOFTWARE"
        k='\Microsoft\Windows NT\CurrentVersion'
        [ "$(hivexget "$h" "$k" CurrentBuildNumber)" = "$build" ]
        [ "$(hivexget "$h" "$k" InstallationType)" = "$product_variant" ]
        [ "$(hivexget "$h" "$k" EditionID)" = "$edition_id" ]
        [ "$(hivexget "$h" "$k" SystemRoot)" = 'C:\Windows' ]
        if [ "$major" -ge 10 ]; then
            [ "$(hivexget "$h" "$k" CurrentMajorVersionNumber)" = "$major" ]
        fi
        [ "$(hivexget "$h" '\Microsoft\Windows\CurrentVersion\Uninstall\{FE2F6A2C-196E-4210-9C04-2B1BC21F07EF}' UninstallString)" = "$vmware_tools_uninstall" ]
    done
}

@test "phony UEFI Windows: ESP has an x86_64 bootmgfw.efi and a BCD" {
    requires guestfish
    local n seen=0
    for n in "${windows[@]}"; do
        requires_image "$n"
        . "$image/facts"
        [ "$firmware" = uefi ] || continue
        seen=$((seen + 1))
        expect "$n" bootmgfw-arch x86_64
        expect "$n" bcd true
    done
    [ "$seen" -ge 1 ]
}

@test "phony Linux: fake tools run in the guest and log exactly their command lines" {
    requires guestfish
    local n
    for n in "${linux[@]}"; do
        requires_image "$n"
        . "$image/facts"
        expect "$n" sh dash
        # (guestfish cat adds a newline: drop empty lines)
        diff -u <(linux_fake_log "$n" "$kernel") <(sed '/^$/d' "$BATS_FILE_TMPDIR/r/$n/fake-log") >&2 ||
            { echo "$n: unexpected fake-calls log" >&2; return 1; }
    done
    grep -qx 'h2k-fake-initramfs/dracut' "$BATS_FILE_TMPDIR/r/rhel9/fake-run"
    grep -q '/vmw_pvscsi.ko.xz$' "$BATS_FILE_TMPDIR/r/rhel9/fake-run"
    grep -qx '# grub.cfg written by h2k fake grub2-mkconfig' "$BATS_FILE_TMPDIR/r/rhel9/fake-run"
    grep -qx 'package open-vm-tools is not installed' "$BATS_FILE_TMPDIR/r/rhel9/fake-run"
    # (dracut, last, rewrote the image mkinitrd wrote, with the drivers given)
    grep -qx 'h2k-fake-initramfs/dracut' "$BATS_FILE_TMPDIR/r/sles15/fake-run"
    grep -q '/virtio_scsi.ko.zst$' "$BATS_FILE_TMPDIR/r/sles15/fake-run"
    grep -qx 'h2k-fake-initramfs/update-initramfs' "$BATS_FILE_TMPDIR/r/ubuntu2204/fake-run"
    grep -q '/vmxnet3.ko$' "$BATS_FILE_TMPDIR/r/ubuntu2204/fake-run"
    grep -qx '# grub.cfg written by h2k fake grub-mkconfig' "$BATS_FILE_TMPDIR/r/ubuntu2204/fake-run"
}

@test "phony Linux: network configuration pinned to the VMware NIC" {
    requires guestfish
    local r="$BATS_FILE_TMPDIR/r" n
    for n in "${linux[@]}"; do
        requires_image "$n"
    done
    grep -qx 'HWADDR=00:50:56:b2:09:01' "$r/rhel9/net-ifcfg-ens192"
    grep -qx 'IPADDR=192.168.90.15' "$r/rhel9/net-ifcfg-ens192"
    grep -qx 'mac-address=00:50:56:B2:09:01' "$r/rhel9/net-ens192.nmconnection"
    grep -qx "IPADDR='10.0.5.20/24'" "$r/sles15/net-ifcfg-eth0"
    grep -q 'ATTR{address}=="00:50:56:b2:15:01".*NAME="eth0"' "$r/sles15/net-70-persistent-net.rules" || {
        # Seen once in a CI trial, not reproduced: show what was read.
        echo "--- sles15 rules as read:"; cat "$r/sles15/net-70-persistent-net.rules"
        echo "--- guestfish stderr:"; tail -n 20 "$BATS_FILE_TMPDIR/session.err"
        return 1
    } >&2
    grep -q 'macaddress: "00:50:56:b2:22:04"' "$r/ubuntu2204/net-00-installer-config.yaml"
    grep -q 'set-name: ens160' "$r/ubuntu2204/net-00-installer-config.yaml"
    grep -q '192.168.220.40/24' "$r/ubuntu2204/net-00-installer-config.yaml"
}
