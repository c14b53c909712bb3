# Small packages for h2k-fetch's network tests.  Source it.
#
#   make_pkg DIR        DIR/web01.ovf, DIR/web01.mf (SHA256) and
#                       DIR/disk1.vmdk (streamOptimized, 16 MiB, from
#                       ./src.qcow2 made here: data at 0 and 8 MiB)
#   make_ovf OUT HREF CAPACITY-MIB
#                       a one-disk VMware-style OVF referencing HREF
#   make_big FILE MIB STEP
#                       a sparse FILE of MIB MiB with 1 MiB of random
#                       data every STEP*8 MiB

make_ovf ()
{
    local out="$1" href="$2" cap="$3"
    cat >"$out" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References>
    <File ovf:href="$href" ovf:id="file1"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="$cap" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="web01">
    <Info>A virtual machine</Info>
    <Name>web01</Name>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian11_64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>1024</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
}

# make_mf DIR NAME FILE...: DIR/NAME.mf with the SHA256 of each FILE.
make_mf ()
{
    local dir="$1" name="$2" f
    shift 2
    for f in "$@"; do
        printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum "$dir/$f" | cut -d' ' -f1)"
    done >"$dir/$name.mf"
}

make_pkg ()
{
    local dir="$1"
    mkdir -p "$dir" &&
    qemu-img create -q -f qcow2 src.qcow2 16M &&
    qemu-io -f qcow2 -c 'write -q -P 0x5a 0 1M' -c 'write -q -P 0x33 8M 512k' src.qcow2 >/dev/null &&
    qemu-img convert -O vmdk -o subformat=streamOptimized src.qcow2 "$dir/disk1.vmdk" &&
    make_ovf "$dir/web01.ovf" disk1.vmdk 16 &&
    make_mf "$dir" web01 web01.ovf disk1.vmdk
}

make_big ()
{
    local f="$1" mib="$2" step="$3" off
    rm -f "$f"
    truncate -s "${mib}M" "$f" || return 1
    for ((off = 0; off < mib; off += 8 * step)); do
        dd if=/dev/urandom of="$f" bs=1M seek="$off" count=1 conv=notrunc status=none || return 1
    done
}
