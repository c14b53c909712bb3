#!/usr/bin/env bats
# bats file_tags=guests
# h2k-inspect on the phony Windows guests (tests/images/phony-windows.sh):
# guest.windows and the Windows risks, checked against each image's facts.
#
# One appliance launch per image (about a minute each under TCG): the
# first test of an image runs h2k-fetch + h2k-inspect and keeps the
# result in $BATS_FILE_TMPDIR; the others read it.  Images: win7 (BIOS,
# one partition, x86, CriticalDeviceDatabase, two control sets),
# win10-hiber (BIOS, System Reserved, Fast Startup hibernated) and
# win2022 (UEFI, server).  win10, win2019 and win11 add nothing these do
# not cover.

load helpers

export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
export LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}"

# inspected NAME: $output = the manifest h2k-inspect wrote for image NAME,
# and the image's facts sourced.  Skips when the image cannot be built.
inspected ()
{
    local name="$1" d="$BATS_FILE_TMPDIR/$1"
    requires guestfish jq
    requires_corpus
    requires_image "$name"
    # shellcheck disable=SC1091
    . "$image/facts"
    if [ ! -f "$d/status" ]; then
        mkdir -p "$d"
        h2k-fetch --workdir "$d/work" --format raw "$image/disk.img" >"$d/fetched.json" \
            2>"$d/fetch.err" || { echo "h2k-fetch failed: $(cat "$d/fetch.err")" >&2; return 1; }
        local st=0
        mkdir -p "$d/tmp"
        # Our own TMPDIR (for the hives), libguestfs keeps its own.
        LIBGUESTFS_CACHEDIR="${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}" \
        LIBGUESTFS_TMPDIR="${LIBGUESTFS_TMPDIR:-${TMPDIR:-/tmp}}" \
        TMPDIR="$d/tmp" h2k-inspect <"$d/fetched.json" >"$d/inspected.json" \
            2>"$d/inspect.err" || st=$?
        echo "$st" >"$d/status"
    fi
    status="$(cat "$d/status")"
    output="$(cat "$d/inspected.json")"
    stderr="$(cat "$d/inspect.err")"
    assert_status 0
}

# jqw FILTER: FILTER applied to .guest.windows of $output.
jqw () { jq -r ".guest.windows | $1" <<<"$output"; }

# risk CODE: "severity path" of the risk CODE ("" when absent).
risk () { jq -r --arg c "$1" '[.guest.risks[] | select(.code == $c) | "\(.severity) \(.path)"] | join("; ")' <<<"$output"; }

# ---------------------------------------------------------------- win7

@test "win7: version, edition, arch and system root from the hives" {
    inspected win7
    [ "$(jqw .product)" = "$product_name" ]
    [ "$(jqw .version)" = "6.1" ]
    [ "$(jqw .build)" = "$build" ]
    [ "$(jqw .edition)" = "$edition_id" ]
    [ "$(jqw .installation_type)" = Client ]
    [ "$(jqw .arch)" = i386 ]
    [ "$(jqw .system_root)" = 'C:\Windows' ]
    [ "$(jqw .system_root_path)" = /Windows ]
    [ "$(jqw .system_hive)" = /Windows/System32/config/SYSTEM ]
}

@test "win7: control sets and CriticalDeviceDatabase" {
    inspected win7
    [ "$(jqw .control_sets.current)" = "$control_set" ]
    [ "$(jqw .control_sets.last_known_good)" = ControlSet002 ]
    [ "$(jqw '.control_sets.present | join(",")')" = ControlSet001,ControlSet002 ]
    [ "$(jqw .critical_device_database)" = true ]
    [ "$(jqw .driver_database)" = false ]
}

@test "win7: VMware drivers with Start and ImagePath as the hive has them" {
    inspected win7
    [ "$(jqw '.services[] | select(.name == "pvscsi") | "\(.start) \(.start_mode) \(.image_path)"')" = \
      '0 boot system32\DRIVERS\pvscsi.sys' ]
    [ "$(jqw '.services[] | select(.name == "vmxnet3ndis6") | "\(.hypervisor) \(.kind) \(.start_mode)"')" = \
      'vmware driver demand' ]
    [ "$(jqw '.services[] | select(.name == "VMTools") | .kind')" = service ]
    [ "$(risk hypervisor-tools)" = 'warning HKLM\SYSTEM\ControlSet001\Services' ]
    [ "$(risk windows-no-virtio-storage)" = 'error HKLM\SYSTEM\ControlSet001\Services' ]
}

@test "win7: the vmxnet3 adapter's static IPv4 and its risk" {
    inspected win7
    local f=".network.interfaces[] | select(.guid | ascii_upcase == \"$nic_guid\")"
    [ "$(jqw "$f | .static")" = true ]
    [ "$(jqw "$f | .dhcp")" = false ]
    [ "$(jqw "$f | .ipv4.addresses | join(\",\")")" = "$ipv4_address" ]
    [ "$(jqw "$f | .ipv4.netmasks | join(\",\")")" = "$ipv4_netmask" ]
    [ "$(jqw "$f | .ipv4.gateways | join(\",\")")" = "$ipv4_gateway" ]
    [ "$(jqw "$f | .dns | join(\",\")")" = "$ipv4_dns" ]
    [ "$(jqw "$f | .adapter.description")" = "vmxnet3 Ethernet Adapter" ]
    [ "$(jqw "$f | .adapter.service")" = vmxnet3ndis6 ]
    [ "$(jqw "$f | .adapter.connection_name")" = Ethernet0 ]
    [ "$(jqw "$f | .adapter.device_instance_id")" = "$nic_instance_id" ]
    # vmxnet3 keeps its MAC out of the registry (no NetworkAddress).
    [ "$(jqw "$f | .mac_source")" = not-in-registry ]
    [ "$(jqw "$f | .mac")" = null ]
    jq -e --arg g "$nic_guid" '.guest.risks[] | select(.code == "windows-static-ip")
        | select(.path | ascii_upcase | endswith($g)) | select(.severity == "error")' <<<"$output"
}

@test "win7: BIOS boot files on C:, no hibernation" {
    inspected win7
    [ "$(jqw .boot.firmware)" = bios ]
    [ "$(jqw .boot.bcd)" = /Boot/BCD ]
    [ "$(jqw .boot.bcd_device)" = "$root_device" ]
    [ "$(jqw .boot.bootmgr)" = /bootmgr ]
    [ "$(jqw .hibernation.hibernated)" = false ]
    [ "$(jqw .hibernation.hiberfil)" = false ]
    [ "$(jqw '.hibernation.ntfs[] | select(.device == "'"$root_device"'") | .state')" = clean ]
    [ -z "$(risk windows-hibernated)" ]
    [ -z "$(risk uefi-no-fallback-loader)" ]
    [ "$(jqw '.tools_uninstall[0].uninstall_string')" = "$vmware_tools_uninstall" ]
}

@test "win7: the hives were read from a private directory, removed after" {
    inspected win7
    [ -d "$BATS_FILE_TMPDIR/win7/tmp" ]
    [ -z "$(ls -A "$BATS_FILE_TMPDIR/win7/tmp")" ]
    # Every volume mounted (the boot files were looked for on each).
    [ -z "$(grep -iE 'warning|cannot mount' <<<"$stderr")" ]
}

# ---------------------------------------------------------------- win10-hiber

@test "win10-hiber: hibernated NTFS and hiberfil.sys are recorded as a risk" {
    inspected win10-hiber
    [ "$hibernated" = 1 ]
    [ "$(jqw .hibernation.hibernated)" = true ]
    [ "$(jqw .hibernation.hiberfil)" = true ]
    [ "$(jqw .hibernation.hiberfil_signature)" = HIBR ]
    [ "$(jqw '.hibernation.ntfs[] | select(.device == "'"$root_device"'") | .state')" = hibernated ]
    [ "$(jqw '.hibernation.ntfs[] | select(.device == "'"$system_device"'") | .state')" = clean ]
    [ "$(risk windows-hibernated)" = 'error /hiberfil.sys' ]
    # The real Windows 10 hive has HiberbootEnabled=1.
    [ "$(jqw .hibernation.fast_startup)" = true ]
    [ "$(risk windows-fast-startup)" = \
      'warning HKLM\SYSTEM\ControlSet001\Control\Session Manager\Power' ]
}

@test "win10-hiber: version, DriverDatabase, BCD on System Reserved" {
    inspected win10-hiber
    [ "$(jqw .version)" = 10.0 ]
    [ "$(jqw .build)" = "$build" ]
    [ "$(jqw .installation_type)" = Client ]
    [ "$(jqw .arch)" = x86_64 ]
    [ "$(jqw .driver_database)" = true ]
    [ "$(jqw .critical_device_database)" = false ]
    [ "$(jqw .boot.bcd_device)" = "$system_device" ]
    [ "$(jqw .boot.bcd)" = /Boot/BCD ]
    [ "$(jqw '.antivirus | map(select(.builtin | not)) | length')" = 0 ]
    [ -z "$(risk windows-antivirus)" ]
    [ -z "$(risk windows-bitlocker)" ]
    [ -z "$(risk windows-device-install-policy)" ]
}

# ---------------------------------------------------------------- win2022

@test "win2022: server on UEFI, ESP with BCD and fallback loader" {
    inspected win2022
    [ "$(jqw .product)" = "$product_name" ]
    [ "$(jqw .edition)" = "$edition_id" ]
    [ "$(jqw .installation_type)" = Server ]
    [ "$(jqw .build)" = "$build" ]
    [ "$(jq -r .guest.firmware.kind <<<"$output")" = uefi ]
    [ "$(jqw .boot.firmware)" = uefi ]
    [ "$(jqw .boot.bcd_device)" = "$esp_device" ]
    [ "$(jqw .boot.bcd)" = /EFI/Microsoft/Boot/BCD ]
    [ "$(jqw .boot.bootmgr)" = /EFI/Microsoft/Boot/bootmgfw.efi ]
    [ "$(jqw .boot.efi_fallback)" = true ]
    [ -z "$(risk uefi-no-fallback-loader)" ]
    [ "$(jqw '.bitlocker.volumes | length')" = 0 ]
}

@test "win2022: exactly the risks this guest has" {
    inspected win2022
    [ "$(jq -r '[.guest.risks[].code] | join(" ")' <<<"$output")" = \
      "windows-fast-startup hypervisor-tools windows-no-virtio-storage windows-static-ip" ]
}
