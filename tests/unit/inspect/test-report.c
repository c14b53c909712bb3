/* h2k-inspect: --format table (report.c) on hand-written manifests. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"
#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "../../../tools/h2k-inspect/inspect.h"

static const char linux_manifest[] =
  "{\"h2k_manifest_version\":1, \"vm\":{\"name\":\"web1\"}, \"stages\":[],"
  " \"disks\":[{\"id\":\"disk0\",\"bus\":\"scsi\","
  "   \"source\":{\"path\":\"/vm/web1.vmdk\",\"format\":\"vmdk\",\"virtual_size\":8589934592},"
  "   \"current\":{\"path\":\"/vm/web1.vmdk\",\"format\":\"vmdk\"}}],"
  " \"guest\":{\"type\":\"linux\",\"distro\":\"rhel\",\"major_version\":9,\"minor_version\":4,"
  "  \"arch\":\"x86_64\",\"product\":\"Red Hat Enterprise Linux 9.4 (Plow)\","
  "  \"hostname\":\"web1.example.com\",\"package_manager\":\"dnf\",\"root\":\"/dev/sda2\","
  "  \"firmware\":{\"kind\":\"uefi\"},\"init_system\":\"systemd\",\"initramfs_tool\":\"dracut\","
  "  \"selinux\":\"enforcing\","
  "  \"bootloader\":{\"kind\":\"grub2-efi\",\"cmdline\":{\"root\":\"UUID=1234\"}},"
  "  \"mountpoints\":[{\"mountpoint\":\"/\",\"device\":\"/dev/sda2\"},"
  "                 {\"mountpoint\":\"/boot/efi\",\"device\":\"/dev/sda1\"}],"
  "  \"filesystems\":[{\"device\":\"/dev/sda1\",\"disk_id\":\"disk0\",\"fstype\":\"vfat\",\"uuid\":\"AB-CD\"},"
  "                 {\"device\":\"/dev/sda2\",\"disk_id\":\"disk0\",\"fstype\":\"xfs\",\"uuid\":\"1234\",\"label\":\"root\"},"
  "                 {\"device\":\"/dev/sda3\",\"disk_id\":\"disk0\",\"fstype\":\"swap\"}],"
  "  \"kernels\":[{\"version\":\"5.14.0-427.el9\",\"initramfs\":\"/boot/initramfs-5.14.0-427.el9.img\","
  "    \"virtio\":{\"virtio_pci\":\"builtin\",\"virtio_blk\":\"initramfs\",\"virtio_scsi\":\"module\",\"virtio_net\":\"missing\"}}],"
  "  \"network\":{\"interfaces\":["
  "    {\"name\":\"ens192\",\"backend\":\"networkmanager\",\"file\":\"/etc/NetworkManager/system-connections/ens192.nmconnection\","
  "     \"line\":3,\"method\":\"static\",\"addresses\":[\"192.168.90.15/24\",\"fd00::15/64\"],"
  "     \"gateway\":\"192.168.90.1\",\"mac_pin\":\"00:50:56:b2:09:01\",\"mac_pin_source\":\"config\"},"
  "    {\"name\":\"ens224\",\"backend\":\"ifcfg\",\"method\":\"dhcp\",\"addresses\":[]}]},"
  "  \"hypervisor_tools\":[{\"name\":\"open-vm-tools\",\"hypervisor\":\"vmware\",\"kind\":\"package\",\"version\":\"12.3.5\"}],"
  "  \"risks\":[{\"code\":\"nic-mac-pin\",\"severity\":\"error\",\"message\":\"ens192 is bound to MAC\","
  "             \"path\":\"/etc/NetworkManager/system-connections/ens192.nmconnection\",\"line\":3},"
  "            {\"code\":\"hypervisor-tools\",\"severity\":\"warning\",\"message\":\"open-vm-tools is installed\"}]}}";

static const char linux_expected[] =
  "VM          web1\n"
  "OS          linux rhel 9.4 (x86_64)\n"
  "Product     Red Hat Enterprise Linux 9.4 (Plow)\n"
  "Hostname    web1.example.com\n"
  "Root        /dev/sda2\n"
  "Firmware    uefi\n"
  "Bootloader  grub2-efi, root=UUID=1234\n"
  "Init        systemd\n"
  "Initramfs   dracut\n"
  "Packages    dnf\n"
  "SELinux     enforcing\n"
  "\n"
  "Disks\n"
  "  ID     BUS   FORMAT  SIZE  SOURCE\n"
  "  disk0  scsi  vmdk    8.0G  /vm/web1.vmdk\n"
  "\n"
  "Filesystems\n"
  "  DEVICE     DISK   TYPE  MOUNTPOINT  LABEL  UUID\n"
  "  /dev/sda1  disk0  vfat  /boot/efi   -      AB-CD\n"
  "  /dev/sda2  disk0  xfs   /           root   1234\n"
  "  /dev/sda3  disk0  swap  -           -      -\n"
  "\n"
  "Kernels (virtio drivers: builtin, initramfs, module = installed but not in the initramfs, missing)\n"
  "  KERNEL          INITRAMFS                           VIRTIO_PCI  VIRTIO_BLK  VIRTIO_SCSI  VIRTIO_NET\n"
  "  5.14.0-427.el9  /boot/initramfs-5.14.0-427.el9.img  builtin     initramfs   module       missing\n"
  "\n"
  "Network interfaces\n"
  "  NAME    METHOD  ADDRESSES                     GATEWAY       MAC PIN                     BACKEND         CONFIG\n"
  "  ens192  static  192.168.90.15/24,fd00::15/64  192.168.90.1  00:50:56:b2:09:01 (config)  networkmanager  /etc/NetworkManager/system-connections/ens192.nmconnection:3\n"
  "  ens224  dhcp    -                             -             -                           ifcfg           -\n"
  "\n"
  "Hypervisor tools\n"
  "  NAME           HYPERVISOR  KIND     VERSION\n"
  "  open-vm-tools  vmware      package  12.3.5\n"
  "\n"
  "Risks (2: 1 error, 1 other)\n"
  "  SEVERITY  CODE              WHERE                                                         MESSAGE\n"
  "  error     nic-mac-pin       /etc/NetworkManager/system-connections/ens192.nmconnection:3  ens192 is bound to MAC\n"
  "  warning   hypervisor-tools  -                                                             open-vm-tools is installed\n";

/* What a Windows guest has today: no Linux sections, empty tables. */
static const char bare_manifest[] =
  "{\"h2k_manifest_version\":1, \"vm\":{\"name\":\"dc1\"}, \"stages\":[], \"disks\":[],"
  " \"guest\":{\"type\":\"windows\",\"major_version\":10,\"minor_version\":0,\"arch\":\"x86_64\"}}";

static const char bare_expected[] =
  "VM          dc1\n"
  "OS          windows - 10.0 (x86_64)\n"
  "Product     -\n"
  "Hostname    -\n"
  "Root        -\n"
  "Firmware    -\n"
  "Bootloader  -\n"
  "Init        -\n"
  "Initramfs   -\n"
  "Packages    -\n"
  "SELinux     -\n"
  "\n"
  "Disks\n"
  "  none\n"
  "\n"
  "Filesystems\n"
  "  none\n"
  "\n"
  "Kernels (virtio drivers: builtin, initramfs, module = installed but not in the initramfs, missing)\n"
  "  none\n"
  "\n"
  "Network interfaces\n"
  "  none\n"
  "\n"
  "Hypervisor tools\n"
  "  none\n"
  "\n"
  "Risks (0: 0 errors, 0 other)\n"
  "  none\n";

static char *
render (const char *text, int *r)
{
  CLEANUP_JSON json_object *m = h2k_manifest_parse (text, strlen (text), "t");
  char *buf = NULL;
  size_t len = 0;
  FILE *fp;

  if (m == NULL)
    return NULL;
  fp = open_memstream (&buf, &len);
  *r = inspect_render_table (fp, m, NULL);
  fclose (fp);
  return buf;
}

TEST (linux_guest)
{
  int r = -1;
  CLEANUP_FREE char *out = render (linux_manifest, &r);

  CHECK_INT (r, 0);
  CHECK_STR (out, linux_expected);
}

TEST (bare_guest)
{
  int r = -1;
  CLEANUP_FREE char *out = render (bare_manifest, &r);

  CHECK_INT (r, 0);
  CHECK_STR (out, bare_expected);
}

TEST (not_inspected)
{
  static const char none[] =
    "{\"h2k_manifest_version\":1, \"vm\":{\"name\":\"x\"}, \"stages\":[], \"disks\":[]}";
  int r = 0;
  CLEANUP_FREE char *out = NULL;

  h2k_clear_error ();
  out = render (none, &r);
  CHECK_INT (r, -1);
  CHECK_STR (h2k_first_error (), "<stdin>: /guest: missing: nothing inspected to report");
  h2k_clear_error ();
}

int
main (void)
{
  RUN (linux_guest);
  RUN (bare_guest);
  RUN (not_inspected);
  return test_done ();
}
