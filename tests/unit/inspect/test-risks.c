/* h2k-inspect: compute_risks, which derives guest.risks from the rest of
 * "guest" (and vm.firmware) alone.
 *
 * Each case builds a guest object from literal JSON, runs compute_risks
 * and compares a summary of the risks, one "code severity path line" per
 * risk joined by "; " (path and line "-" when absent), with the exact
 * expected list, in the order compute_risks writes them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"
#include "cleanup.h"
#include "manifest.h"
#include "../../../tools/h2k-inspect/inspect.h"

/* A Linux guest that is ready for KVM: no risk at all. */
static const char base_guest[] =
  "{ \"type\": \"linux\", \"distro\": \"debian\","
  "  \"firmware\": { \"kind\": \"bios\" },"
  "  \"kernels\": [ { \"version\": \"6.1.0-13-amd64\","
  "    \"path\": \"/boot/vmlinuz-6.1.0-13-amd64\","
  "    \"initramfs\": \"/boot/initrd.img-6.1.0-13-amd64\","
  "    \"virtio\": { \"virtio_pci\": \"builtin\", \"virtio_blk\": \"initramfs\","
  "                  \"virtio_scsi\": \"initramfs\", \"virtio_net\": \"module\" } } ] }";

/* BASE with the members of EXTRA (a JSON object) set over it. */
static json_object *
guest_from (const char *base, const char *extra)
{
  json_object *g = json_tokener_parse (base);
  json_object *x = extra ? json_tokener_parse (extra) : NULL;

  if (g == NULL || (extra && x == NULL)) {
    printf ("# bad test JSON\n");
    exit (1);
  }
  if (x) {
    json_object_object_foreach (x, k, v)
      json_object_object_add (g, k, json_object_get (v));
    json_object_put (x);
  }
  return g;
}

/* A manifest with vm.firmware FW (NULL: no vm.firmware). */
static json_object *
manifest_with (const char *fw)
{
  json_object *m = json_object_new_object ();
  json_object *vm = json_object_new_object ();

  json_object_object_add (m, "vm", vm);
  if (fw)
    json_object_object_add (vm, "firmware", json_object_new_string (fw));
  return m;
}

/* "code severity path line; ..." for guest.risks. */
static char *
summary (json_object *guest)
{
  json_object *risks = h2k_json_get_array (guest, "risks");
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);

  for (size_t i = 0; risks && i < json_object_array_length (risks); ++i) {
    json_object *r = json_object_array_get_idx (risks, i);
    const char *path = h2k_json_get_string (r, "path");
    int64_t line = h2k_json_get_int (r, "line", 0);

    fprintf (fp, "%s%s %s %s ", i ? "; " : "", h2k_json_get_string (r, "code"),
             h2k_json_get_string (r, "severity"), path ? path : "-");
    if (line)
      fprintf (fp, "%lld", (long long) line);
    else
      fputs ("-", fp);
  }
  fclose (fp);
  return buf;
}

/* Run compute_risks on BASE+EXTRA with vm.firmware FW; returns the
 * summary, and the guest in *GUEST when GUEST is not NULL.
 */
static char *
risks_of (const char *fw, const char *base, const char *extra, json_object **guest)
{
  CLEANUP_JSON json_object *m = manifest_with (fw);
  json_object *g = guest_from (base, extra);
  char *s;

  if (compute_risks (m, g) == -1) {
    json_object_put (g);
    return strdup ("(compute_risks failed)");
  }
  s = summary (g);
  if (guest)
    *guest = g;
  else
    json_object_put (g);
  return s;
}

/* Message of risk I of GUEST. */
static const char *
message (json_object *guest, size_t i)
{
  return h2k_json_get_string (json_object_array_get_idx (h2k_json_get_array (guest, "risks"), i),
                              "message");
}

TEST (clean_guest_has_no_risk)
{
  CLEANUP_FREE char *s = risks_of ("bios", base_guest, NULL, NULL);
  CLEANUP_FREE char *t = risks_of (NULL, base_guest, NULL, NULL);

  CHECK_STR (s, "");
  CHECK_STR (t, "");
}

TEST (fstab_device_names)
{
  json_object *g = NULL;
  CLEANUP_FREE char *s = risks_of ("bios", base_guest,
    "{ \"fstab\": ["
    "  { \"line\": 4, \"spec\": \"/dev/sda1\", \"file\": \"/\", \"vfstype\": \"ext4\","
    "    \"spec_kind\": \"device\", \"device_type\": \"sd\" },"
    "  { \"line\": 5, \"spec\": \"UUID=0b3c-11\", \"file\": \"/home\","
    "    \"spec_kind\": \"uuid\", \"spec_value\": \"0b3c-11\" },"
    "  { \"line\": 6, \"spec\": \"/dev/mapper/vg-var\", \"file\": \"/var\","
    "    \"spec_kind\": \"device\", \"device_type\": \"mapper\" },"
    "  { \"line\": 7, \"spec\": \"/dev/sda2\", \"file\": \"none\","
    "    \"spec_kind\": \"device\", \"device_type\": \"sd\" },"
    "  { \"line\": 8, \"spec\": \"/dev/hdb1\", \"file\": \"/srv\","
    "    \"spec_kind\": \"device\", \"device_type\": \"hd\" },"
    "  { \"line\": 9, \"spec\": \"/dev/xvdc1\", \"file\": \"/x\","
    "    \"spec_kind\": \"device\", \"device_type\": \"xvd\" },"
    "  { \"line\": 10, \"spec\": \"/dev/nvme0n1p3\", \"file\": \"/n\","
    "    \"spec_kind\": \"device\", \"device_type\": \"nvme\" },"
    "  { \"line\": 11, \"spec\": \"/dev/vdb1\", \"file\": \"/v\","
    "    \"spec_kind\": \"device\", \"device_type\": \"vd\" },"
    "  { \"line\": 12, \"spec\": \"/dev/md0\", \"file\": \"/md\","
    "    \"spec_kind\": \"device\", \"device_type\": \"md\" },"
    "  { \"line\": 13, \"spec\": \"/dev/vg/lv\", \"file\": \"/lv\","
    "    \"spec_kind\": \"device\", \"device_type\": \"lvm\" },"
    "  { \"line\": 14, \"spec\": \"LABEL=data\", \"file\": \"/data\","
    "    \"spec_kind\": \"label\", \"spec_value\": \"data\" },"
    "  { \"line\": 15, \"spec\": \"tmpfs\", \"file\": \"/tmp\", \"spec_kind\": \"other\" } ] }",
    &g);

  CHECK_STR (s, "fstab-device-name error /etc/fstab 4; "
                "fstab-device-name error /etc/fstab 7; "
                "fstab-device-name error /etc/fstab 8; "
                "fstab-device-name error /etc/fstab 9; "
                "fstab-device-name error /etc/fstab 10; "
                "fstab-device-name error /etc/fstab 11");
  CHECK_STR (message (g, 0), "/etc/fstab refers to / by its device name /dev/sda1, "
             "which changes when the disk moves to a virtio controller");
  CHECK_STR (message (g, 1), "/etc/fstab refers to none by its device name /dev/sda2, "
             "which changes when the disk moves to a virtio controller");
  json_object_put (g);
}

/* The records as the real parser writes them, from the text of the
 * Debian 12 VMware-style guest's fstab.
 */
TEST (fstab_from_parser)
{
  static const char text[] =
    "# /etc/fstab: static file system information.\n"
    "#\n"
    "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
    "/dev/sda1       /               ext4    errors=remount-ro 0       1\n"
    "/dev/sda2       none            swap    sw              0       0\n"
    "UUID=5e1f-22    /home           ext4    defaults        0       2\n"
    "/dev/mapper/vg0-srv /srv        xfs     defaults        0       2\n";
  CLEANUP_JSON json_object *m = manifest_with ("bios");
  CLEANUP_JSON json_object *g = guest_from (base_guest, NULL);
  json_object *tab = h2k_linuxcfg_fstab (text, strlen (text), "/etc/fstab");
  CLEANUP_FREE char *s = NULL;

  CHECK (tab != NULL);
  json_object_object_add (g, "fstab", tab);
  CHECK_INT (compute_risks (m, g), 0);
  s = summary (g);
  CHECK_STR (s, "fstab-device-name error /etc/fstab 4; "
                "fstab-device-name error /etc/fstab 5");
}

TEST (crypttab_device_names)
{
  json_object *g = NULL;
  CLEANUP_FREE char *s = risks_of ("bios", base_guest,
    "{ \"crypttab\": ["
    "  { \"line\": 1, \"target\": \"sda5_crypt\", \"source\": \"/dev/sda5\","
    "    \"keyfile\": \"none\", \"options\": \"luks\","
    "    \"spec_kind\": \"device\", \"device_type\": \"sd\" },"
    "  { \"line\": 2, \"target\": \"data\", \"source\": \"UUID=77aa\","
    "    \"spec_kind\": \"uuid\", \"spec_value\": \"77aa\" } ] }", &g);

  CHECK_STR (s, "crypttab-device-name error /etc/crypttab 1");
  CHECK_STR (message (g, 0), "/etc/crypttab refers to sda5_crypt by its device "
             "name /dev/sda5, which changes when the disk moves to a virtio controller");
  json_object_put (g);
}

TEST (cmdline_root_and_resume)
{
  json_object *g = NULL;
  CLEANUP_FREE char *s = risks_of ("bios", base_guest,
    "{ \"bootloader\": { \"kind\": \"grub2-bios\", \"cmdline\": {"
    "    \"raw\": \"BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro resume=/dev/sda2 quiet\","
    "    \"from\": \"/boot/grub/grub.cfg\", \"root\": \"/dev/sda1\","
    "    \"resume\": \"/dev/sda2\" } } }", &g);
  CLEANUP_FREE char *uuid = risks_of ("bios", base_guest,
    "{ \"bootloader\": { \"cmdline\": { \"raw\": \"root=UUID=1-2 ro\","
    "    \"from\": \"/boot/grub/grub.cfg\", \"root\": \"UUID=1-2\","
    "    \"resume\": \"PARTUUID=3-4\" } } }", NULL);
  CLEANUP_FREE char *mapper = risks_of ("bios", base_guest,
    "{ \"bootloader\": { \"cmdline\": {"
    "    \"from\": \"/boot/loader/entries/x.conf\","
    "    \"root\": \"/dev/mapper/rhel-root\", \"resume\": \"/dev/mapper/rhel-swap\" } } }",
    NULL);
  CLEANUP_FREE char *resume = risks_of ("bios", base_guest,
    "{ \"bootloader\": { \"cmdline\": { \"from\": \"/etc/default/grub\","
    "    \"root\": \"LABEL=root\", \"resume\": \"/dev/nvme0n1p2\" } } }", NULL);

  CHECK_STR (s, "cmdline-root-device-name error /boot/grub/grub.cfg -; "
                "cmdline-resume-device-name error /boot/grub/grub.cfg -");
  CHECK_STR (message (g, 0), "the kernel command line says root=/dev/sda1, a device "
             "name that changes on virtio");
  CHECK_STR (message (g, 1), "the kernel command line says resume=/dev/sda2, a device "
             "name that changes on virtio");
  CHECK_STR (uuid, "");
  CHECK_STR (mapper, "");
  CHECK_STR (resume, "cmdline-resume-device-name error /etc/default/grub -");
  json_object_put (g);
}

TEST (kernels_and_virtio)
{
  static const char no_kernels[] =
    "{ \"type\": \"linux\", \"firmware\": { \"kind\": \"bios\" } }";
  json_object *g = NULL;
  CLEANUP_FREE char *none = risks_of ("bios", no_kernels, NULL, NULL);
  CLEANUP_FREE char *empty = risks_of ("bios", no_kernels, "{ \"kernels\": [] }", NULL);
  CLEANUP_FREE char *module = risks_of ("bios", no_kernels,
    "{ \"kernels\": [ { \"version\": \"6.1.0-13-amd64\","
    "    \"path\": \"/boot/vmlinuz-6.1.0-13-amd64\","
    "    \"initramfs\": \"/boot/initrd.img-6.1.0-13-amd64\","
    "    \"virtio\": { \"virtio_pci\": \"builtin\", \"virtio_blk\": \"module\","
    "                  \"virtio_scsi\": \"module\", \"virtio_net\": \"module\" } } ] }", &g);
  CLEANUP_FREE char *missing = NULL, *both = NULL, *builtin = NULL, *net = NULL;

  CHECK_STR (none, "no-kernel error /boot -");
  CHECK_STR (empty, "no-kernel error /boot -");
  CHECK_STR (module, "initramfs-missing-virtio error /boot/initrd.img-6.1.0-13-amd64 -");
  CHECK_STR (message (g, 0), "the initramfs of kernel 6.1.0-13-amd64 lacks virtio_blk, "
             "virtio_scsi: the root disk cannot be found on virtio");
  json_object_put (g);

  missing = risks_of ("bios", no_kernels,
    "{ \"kernels\": [ { \"version\": \"2.6.18-old\", \"path\": \"/boot/vmlinuz-2.6.18-old\","
    "    \"initramfs\": \"/boot/initrd-2.6.18-old\","
    "    \"virtio\": { \"virtio_pci\": \"missing\", \"virtio_blk\": \"missing\","
    "                  \"virtio_scsi\": \"missing\", \"virtio_net\": \"missing\" } } ] }", &g);
  CHECK_STR (missing, "kernel-missing-virtio error /boot/vmlinuz-2.6.18-old -");
  CHECK_STR (message (g, 0), "kernel 2.6.18-old has no virtio_pci, virtio_blk, "
             "virtio_scsi driver at all: install a kernel with virtio");
  json_object_put (g);

  /* One kernel with both problems, one fine: each kernel is judged alone. */
  both = risks_of ("bios", no_kernels,
    "{ \"kernels\": ["
    "  { \"version\": \"a\", \"path\": \"/boot/vmlinuz-a\", \"initramfs\": \"/boot/initrd.img-a\","
    "    \"virtio\": { \"virtio_pci\": \"initramfs\", \"virtio_blk\": \"module\","
    "                  \"virtio_scsi\": \"missing\", \"virtio_net\": \"missing\" } },"
    "  { \"version\": \"b\", \"path\": \"/boot/vmlinuz-b\", \"initramfs\": \"/boot/initrd.img-b\","
    "    \"virtio\": { \"virtio_pci\": \"builtin\", \"virtio_blk\": \"builtin\","
    "                  \"virtio_scsi\": \"builtin\", \"virtio_net\": \"builtin\" } } ] }", &g);
  CHECK_STR (both, "initramfs-missing-virtio error /boot/initrd.img-a -; "
                   "kernel-missing-virtio error /boot/vmlinuz-a -");
  CHECK_STR (message (g, 0), "the initramfs of kernel a lacks virtio_blk: the root "
             "disk cannot be found on virtio");
  CHECK_STR (message (g, 1), "kernel a has no virtio_scsi driver at all: install a "
             "kernel with virtio");
  json_object_put (g);

  builtin = risks_of ("bios", no_kernels,
    "{ \"kernels\": [ { \"version\": \"b\", \"path\": \"/boot/vmlinuz-b\","
    "    \"virtio\": { \"virtio_pci\": \"builtin\", \"virtio_blk\": \"builtin\","
    "                  \"virtio_scsi\": \"builtin\", \"virtio_net\": \"builtin\" } } ] }", NULL);
  CHECK_STR (builtin, "");
  /* virtio_net is not needed to boot: no risk for it alone. */
  net = risks_of ("bios", no_kernels,
    "{ \"kernels\": [ { \"version\": \"c\", \"path\": \"/boot/vmlinuz-c\","
    "    \"virtio\": { \"virtio_pci\": \"initramfs\", \"virtio_blk\": \"initramfs\","
    "                  \"virtio_scsi\": \"initramfs\", \"virtio_net\": \"missing\" } } ] }", NULL);
  CHECK_STR (net, "");
}

TEST (firmware)
{
  static const char uefi_bl[] =
    "{ \"firmware\": { \"kind\": \"uefi\", \"esp\": \"/dev/sda1\" },"
    "  \"bootloader\": { \"kind\": \"grub2-efi\", \"efi_fallback\": false } }";
  json_object *g = NULL;
  CLEANUP_FREE char *nofb = risks_of ("uefi", base_guest, uefi_bl, &g);
  CLEANUP_FREE char *fb = risks_of ("uefi", base_guest,
    "{ \"firmware\": { \"kind\": \"uefi\", \"esp\": \"/dev/sda1\" },"
    "  \"bootloader\": { \"kind\": \"grub2-efi\", \"efi_fallback\": true } }", NULL);
  CLEANUP_FREE char *nobl = risks_of ("uefi", base_guest,
    "{ \"firmware\": { \"kind\": \"uefi\", \"esp\": \"/dev/sda1\" } }", NULL);
  CLEANUP_FREE char *mism = risks_of ("bios", base_guest, uefi_bl, NULL);
  CLEANUP_FREE char *mism2 = risks_of ("uefi", base_guest,
    "{ \"firmware\": { \"kind\": \"bios\" } }", NULL);
  CLEANUP_FREE char *unknown = risks_of ("unknown", base_guest,
    "{ \"firmware\": { \"kind\": \"bios\" } }", NULL);
  CLEANUP_FREE char *novm = risks_of (NULL, base_guest,
    "{ \"firmware\": { \"kind\": \"bios\" } }", NULL);
  CLEANUP_FREE char *both = risks_of ("bios", base_guest,
    "{ \"firmware\": { \"kind\": \"both\", \"esp\": \"/dev/sda2\","
    "                  \"bios_boot_partition\": \"/dev/sda1\" },"
    "  \"bootloader\": { \"efi_fallback\": true } }", NULL);
  CLEANUP_FREE char *devmap = risks_of ("bios", base_guest,
    "{ \"bootloader\": { \"kind\": \"grub2-bios\", \"device_map\": true } }", NULL);

  CHECK_STR (nofb, "uefi-no-fallback-loader error /dev/sda1 -");
  CHECK_STR (message (g, 0), "the ESP has no fallback loader EFI/BOOT/BOOTX64.EFI: the "
             "source booted from an NVRAM entry that does not move");
  json_object_put (g);
  CHECK_STR (fb, "");
  CHECK_STR (nobl, "");
  CHECK_STR (mism, "uefi-no-fallback-loader error /dev/sda1 -; "
                   "firmware-mismatch warning - -");
  CHECK_STR (mism2, "firmware-mismatch warning - -");
  CHECK_STR (unknown, "");
  CHECK_STR (novm, "");
  CHECK_STR (both, "");
  CHECK_STR (devmap, "grub-device-map warning /boot/grub/device.map -");

  CLEANUP_FREE char *m2 = risks_of ("uefi", base_guest,
    "{ \"firmware\": { \"kind\": \"bios\" } }", &g);
  CHECK_STR (message (g, 0), "the source VM used uefi but the disks are set up for bios");
  CHECK_STR (m2, "firmware-mismatch warning - -");
  json_object_put (g);
}

/* The Debian 12 VMware-style guest: ens192, static, pinned by a udev rule. */
TEST (network)
{
  json_object *g = NULL;
  CLEANUP_FREE char *s = risks_of ("bios", base_guest,
    "{ \"network\": { \"backends\": [ \"ifupdown\" ], \"unparsed\": [],"
    "  \"interfaces\": [ { \"name\": \"ens192\", \"backend\": \"ifupdown\","
    "    \"file\": \"/etc/network/interfaces\", \"line\": 9,"
    "    \"mac_pin\": \"00:50:56:3a:5c:01\", \"mac_pin_source\": \"udev\","
    "    \"method\": \"static\", \"addresses\": [ \"192.168.122.50/24\" ],"
    "    \"gateway\": \"192.168.122.1\" } ] } }", &g);
  CLEANUP_FREE char *dhcp = risks_of ("bios", base_guest,
    "{ \"network\": { \"interfaces\": [ { \"name\": \"ens33\", \"backend\": \"netplan\","
    "    \"file\": \"/etc/netplan/50.yaml\", \"method\": \"dhcp\" } ] } }", NULL);
  CLEANUP_FREE char *eth0 = risks_of ("bios", base_guest,
    "{ \"bootloader\": { \"cmdline\": { \"from\": \"/boot/grub/grub.cfg\","
    "    \"root\": \"UUID=1\", \"net.ifnames\": \"0\" } },"
    "  \"network\": { \"interfaces\": [ { \"name\": \"eth0\", \"backend\": \"ifupdown\","
    "    \"file\": \"/etc/network/interfaces\", \"line\": 3, \"method\": \"static\" } ] } }",
    NULL);
  CLEANUP_FREE char *eth0_ifnames = risks_of ("bios", base_guest,
    "{ \"network\": { \"interfaces\": [ { \"name\": \"eth0\", \"backend\": \"ifupdown\","
    "    \"file\": \"/etc/network/interfaces\", \"line\": 3, \"method\": \"static\" } ] } }",
    NULL);
  CLEANUP_FREE char *nm = risks_of ("bios", base_guest,
    "{ \"network\": { \"interfaces\": [ { \"name\": null, \"backend\": \"networkmanager\","
    "    \"file\": \"/etc/NetworkManager/system-connections/Wired.nmconnection\","
    "    \"line\": 7, \"mac_pin\": \"00:0c:29:aa:bb:cc\", \"mac_pin_source\": \"config\","
    "    \"method\": \"dhcp\" } ] } }", NULL);
  CLEANUP_FREE char *unparsed = NULL;

  CHECK_STR (s, "nic-mac-pin error /etc/network/interfaces 9; "
                "nic-name-changes error /etc/network/interfaces 9");
  CHECK_STR (message (g, 0), "ens192 is bound to MAC 00:50:56:3a:5c:01 (udev)");
  CHECK_STR (message (g, 1), "ens192 has a static address, but its name comes from "
             "the source's hardware: the virtio NIC will get another name and no address");
  json_object_put (g);
  CHECK_STR (dhcp, "");
  CHECK_STR (eth0, "");
  CHECK_STR (eth0_ifnames, "nic-name-changes error /etc/network/interfaces 3");
  CHECK_STR (nm, "nic-mac-pin error "
             "/etc/NetworkManager/system-connections/Wired.nmconnection 7");

  unparsed = risks_of ("bios", base_guest,
    "{ \"network\": { \"interfaces\": [],"
    "  \"unparsed\": [ { \"path\": \"/etc/netplan/01.yaml\","
    "    \"reason\": \"/etc/netplan/01.yaml: line 3: bad indentation\" } ] } }", &g);
  CHECK_STR (unparsed, "network-config-unparsed warning /etc/netplan/01.yaml -");
  CHECK_STR (message (g, 0), "/etc/netplan/01.yaml: line 3: bad indentation");
  json_object_put (g);
}

TEST (tools_luks_selinux)
{
  json_object *g = NULL;
  CLEANUP_FREE char *s = risks_of ("bios", base_guest,
    "{ \"hypervisor_tools\": ["
    "    { \"name\": \"open-vm-tools\", \"hypervisor\": \"vmware\", \"kind\": \"package\","
    "      \"version\": \"2:12.2.0-1+deb12u1\" },"
    "    { \"name\": \"vmware-tools-tarball\", \"hypervisor\": \"vmware\","
    "      \"kind\": \"tarball\", \"evidence\": \"/etc/vmware-tools/locations\" } ],"
    "  \"block_layers\": { \"lvm_vgs\": [], \"lvm_lvs\": [], \"md\": [],"
    "                      \"luks\": [ \"/dev/sda5\", \"/dev/sdb1\" ] },"
    "  \"selinux\": \"enforcing\" }", &g);
  CLEANUP_FREE char *quiet = risks_of ("bios", base_guest,
    "{ \"hypervisor_tools\": [],"
    "  \"block_layers\": { \"luks\": [] }, \"selinux\": \"permissive\" }", NULL);
  CLEANUP_FREE char *absent = risks_of ("bios", base_guest,
    "{ \"selinux\": \"absent\" }", NULL);

  CHECK_STR (s, "hypervisor-tools warning - -; "
                "hypervisor-tools warning /etc/vmware-tools/locations -; "
                "luks warning - -; "
                "selinux-enforcing info /etc/selinux/config -");
  CHECK_STR (message (g, 0), "open-vm-tools (package) is installed: it fails or hangs off vmware");
  CHECK_STR (message (g, 1), "vmware-tools-tarball (tarball) is installed: it fails or "
             "hangs off vmware");
  CHECK_STR (message (g, 2), "2 encrypted (LUKS) volume(s): their contents were not inspected");
  CHECK_STR (message (g, 3), "SELinux is enforcing: edited files need their labels restored");
  json_object_put (g);
  CHECK_STR (quiet, "");
  CHECK_STR (absent, "");
}

/* Everything at once, in compute_risks' order: tables, command line,
 * kernels, firmware, network, the rest.
 */
TEST (order)
{
  CLEANUP_FREE char *s = risks_of ("bios",
    "{ \"type\": \"linux\", \"firmware\": { \"kind\": \"bios\" } }",
    "{ \"fstab\": [ { \"line\": 4, \"spec\": \"/dev/sda1\", \"file\": \"/\","
    "                 \"device_type\": \"sd\" } ],"
    "  \"crypttab\": [ { \"line\": 2, \"target\": \"c\", \"source\": \"/dev/sdb1\","
    "                    \"device_type\": \"sd\" } ],"
    "  \"bootloader\": { \"device_map\": true,"
    "                    \"cmdline\": { \"from\": \"/boot/grub/grub.cfg\", \"root\": \"/dev/sda1\" } },"
    "  \"network\": { \"interfaces\": [ { \"name\": \"ens192\", \"method\": \"static\","
    "                 \"file\": \"/etc/network/interfaces\", \"line\": 9 } ] },"
    "  \"hypervisor_tools\": [ { \"name\": \"open-vm-tools\", \"hypervisor\": \"vmware\","
    "                            \"kind\": \"package\" } ],"
    "  \"selinux\": \"enforcing\" }", NULL);

  CHECK_STR (s, "fstab-device-name error /etc/fstab 4; "
                "crypttab-device-name error /etc/crypttab 2; "
                "cmdline-root-device-name error /boot/grub/grub.cfg -; "
                "no-kernel error /boot -; "
                "grub-device-map warning /boot/grub/device.map -; "
                "nic-name-changes error /etc/network/interfaces 9; "
                "hypervisor-tools warning - -; "
                "selinux-enforcing info /etc/selinux/config -");
}

/* Windows (and a guest of no known type) gets only the firmware risks,
 * even with Linux-looking facts beside them.
 */
TEST (windows_only_firmware)
{
  static const char win[] =
    "{ \"type\": \"windows\", \"distro\": \"windows\", \"major_version\": 10,"
    "  \"product\": \"Windows Server 2019 Standard\","
    "  \"firmware\": { \"kind\": \"uefi\", \"esp\": \"/dev/sda2\" } }";
  CLEANUP_FREE char *bios = risks_of ("bios", win, NULL, NULL);
  CLEANUP_FREE char *uefi = risks_of ("uefi", win, NULL, NULL);
  CLEANUP_FREE char *linuxish = risks_of ("uefi", win,
    "{ \"fstab\": [ { \"line\": 1, \"spec\": \"/dev/sda1\", \"file\": \"/\","
    "                 \"device_type\": \"sd\" } ],"
    "  \"bootloader\": { \"efi_fallback\": false, \"device_map\": true },"
    "  \"selinux\": \"enforcing\" }", NULL);
  CLEANUP_FREE char *untyped = risks_of ("bios",
    "{ \"firmware\": { \"kind\": \"bios\" } }", NULL, NULL);

  CHECK_STR (bios, "firmware-mismatch warning - -");
  CHECK_STR (uefi, "");
  /* Not no-kernel, fstab or selinux: only what firmware_risks says. */
  CHECK_STR (linuxish, "uefi-no-fallback-loader error /dev/sda2 -; "
                       "grub-device-map warning /boot/grub/device.map -");
  CHECK_STR (untyped, "");
}

/* A rerun replaces guest.risks: it does not add to it. */
TEST (rerun_replaces)
{
  CLEANUP_JSON json_object *m = manifest_with ("bios");
  CLEANUP_JSON json_object *g = guest_from (base_guest,
    "{ \"selinux\": \"enforcing\" }");
  CLEANUP_FREE char *s = NULL;

  CHECK_INT (compute_risks (m, g), 0);
  CHECK_INT (compute_risks (m, g), 0);
  s = summary (g);
  CHECK_STR (s, "selinux-enforcing info /etc/selinux/config -");
}

int
main (void)
{
  RUN (clean_guest_has_no_risk);
  RUN (fstab_device_names);
  RUN (fstab_from_parser);
  RUN (crypttab_device_names);
  RUN (cmdline_root_and_resume);
  RUN (kernels_and_virtio);
  RUN (firmware);
  RUN (network);
  RUN (tools_luks_selinux);
  RUN (order);
  RUN (windows_only_firmware);
  RUN (rerun_replaces);
  return test_done ();
}
