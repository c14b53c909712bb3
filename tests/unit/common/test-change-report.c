/* The fixers' --format table (common/change-report.c) on hand-written
 * manifests: every action of h2k-fix-linux, then of h2k-fix-windows.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"
#include "cleanup.h"
#include "manifest.h"
#include "change.h"

/* The first item was planned by an earlier run: it must not be shown. */
static const char manifest[] =
  "{\"h2k_manifest_version\":1, \"vm\":{\"name\":\"web1\"}, \"disks\":[], \"stages\":[],"
  " \"plan\":["
  "  {\"id\":\"write-file-1\",\"tool\":\"h2k-fix-linux\",\"action\":\"write-file\","
  "   \"reason\":\"an earlier run\",\"files\":[\"/old\"],"
  "   \"details\":{\"path\":\"/old\",\"content\":\"x\\n\"}},"
  "  {\"id\":\"edit-lines-2\",\"tool\":\"h2k-fix-linux\",\"action\":\"edit-lines\","
  "   \"reason\":\"fstab by UUID\",\"files\":[\"/etc/fstab\"],"
  "   \"details\":{\"path\":\"/etc/fstab\",\"edits\":["
  "     {\"line\":4,\"old\":\"/dev/sda1 / ext4 defaults 0 1\",\"new\":\"UUID=abcd / ext4 defaults 0 1\"},"
  "     {\"line\":12,\"old\":\"/dev/fd0 /floppy auto noauto 0 0\"}]}},"
  "  {\"id\":\"write-file-3\",\"tool\":\"h2k-fix-linux\",\"action\":\"write-file\","
  "   \"reason\":\"keep the NIC name\",\"files\":[\"/etc/systemd/network/10-h2k-ens192.link\"],"
  "   \"details\":{\"path\":\"/etc/systemd/network/10-h2k-ens192.link\","
  "                \"content\":\"[Match]\\nMACAddress=00:50:56:00:00:01\\n\"}},"
  "  {\"id\":\"command-4\",\"tool\":\"h2k-fix-linux\",\"action\":\"command\","
  "   \"reason\":\"rebuild the initramfs\",\"files\":[],"
  "   \"details\":{\"argv\":[\"dracut\",\"-f\",\"--add-drivers\",\"virtio_blk virtio_pci\",\"it's\"],"
  "                \"backups\":[\"/boot/initramfs.img\"],\"outputs\":[\"/boot/initramfs.img\"]}},"
  "  {\"id\":\"copy-file-5\",\"tool\":\"h2k-fix-linux\",\"action\":\"copy-file\","
  "   \"reason\":\"fallback loader\",\"files\":[\"/boot/efi/EFI/BOOT/BOOTX64.EFI\"],"
  "   \"details\":{\"copies\":[{\"from\":\"/boot/efi/EFI/debian/shimx64.efi\",\"to\":\"/boot/efi/EFI/BOOT/BOOTX64.EFI\"},"
  "                           {\"from\":\"/boot/efi/EFI/debian/grubx64.efi\",\"to\":\"/boot/efi/EFI/BOOT/grubx64.efi\"}]}},"
  "  {\"id\":\"remove-file-6\",\"tool\":\"h2k-fix-linux\",\"action\":\"remove-file\","
  "   \"reason\":\"device.map\",\"files\":[\"/boot/grub/device.map\"],"
  "   \"details\":{\"path\":\"/boot/grub/device.map\"}},"
  "  {\"id\":\"fstrim-7\",\"tool\":\"h2k-fix-linux\",\"action\":\"fstrim\","
  "   \"reason\":\"copy less\",\"files\":[],\"details\":{\"mountpoints\":[\"/\",\"/boot\"]}}"
  " ]}";

static const char expected[] =
  "Plan for web1: 6 changes (dry run: nothing was changed)\n"
  "\n"
  "  1. edit-lines [edit-lines-2]\n"
  "     why      fstab by UUID\n"
  "     files    /etc/fstab\n"
  "     line 4   - /dev/sda1 / ext4 defaults 0 1\n"
  "              + UUID=abcd / ext4 defaults 0 1\n"
  "     line 12  - /dev/fd0 /floppy auto noauto 0 0\n"
  "              (deleted)\n"
  "\n"
  "  2. write-file [write-file-3]\n"
  "     why    keep the NIC name\n"
  "     files  /etc/systemd/network/10-h2k-ens192.link\n"
  "     write  /etc/systemd/network/10-h2k-ens192.link (37 bytes, 2 lines)\n"
  "\n"
  "  3. command [command-4]\n"
  "     why    rebuild the initramfs\n"
  "     files  /boot/initramfs.img\n"
  "     run    dracut -f --add-drivers 'virtio_blk virtio_pci' 'it'\\''s'\n"
  "\n"
  "  4. copy-file [copy-file-5]\n"
  "     why    fallback loader\n"
  "     files  /boot/efi/EFI/BOOT/BOOTX64.EFI, /boot/efi/EFI/BOOT/grubx64.efi\n"
  "     copy   /boot/efi/EFI/debian/shimx64.efi -> /boot/efi/EFI/BOOT/BOOTX64.EFI\n"
  "     copy   /boot/efi/EFI/debian/grubx64.efi -> /boot/efi/EFI/BOOT/grubx64.efi\n"
  "\n"
  "  5. remove-file [remove-file-6]\n"
  "     why     device.map\n"
  "     files   /boot/grub/device.map\n"
  "     remove  /boot/grub/device.map\n"
  "\n"
  "  6. fstrim [fstrim-7]\n"
  "     why     copy less\n"
  "     files   -\n"
  "     fstrim  / /boot\n";

/* Every action of h2k-fix-windows, and one the renderer does not know. */
static const char windows[] =
  "{\"h2k_manifest_version\":1, \"vm\":{\"name\":\"win10\"}, \"disks\":[], \"stages\":[],"
  " \"plan\":["
  "  {\"id\":\"copy-file-1\",\"tool\":\"h2k-fix-windows\",\"action\":\"copy-file\","
  "   \"reason\":\"UEFI fallback\",\"files\":[\"/EFI/Boot/bootx64.efi\"],"
  "   \"details\":{\"device\":\"/dev/sda1\",\"from\":\"/EFI/Microsoft/Boot/bootmgfw.efi\"}},"
  "  {\"id\":\"upload-file-2\",\"tool\":\"h2k-fix-windows\",\"action\":\"upload-file\","
  "   \"reason\":\"the boot driver\",\"files\":[\"/Windows/System32/drivers/viostor.sys\"],"
  "   \"details\":{\"source\":\"viostor/w10/amd64\",\"path\":\"/Windows/System32/drivers/viostor.sys\","
  "                \"sha256\":\"d9f0\"}},"
  "  {\"id\":\"stage-files-3\",\"tool\":\"h2k-fix-windows\",\"action\":\"stage-files\","
  "   \"reason\":\"stage\",\"files\":[\"/h2k/drivers\"],"
  "   \"details\":{\"virtio_win\":\"/srv/virtio-win.iso\","
  "                \"packages\":[{\"driver\":\"viostor\",\"source\":\"viostor/w10/amd64\"},"
  "                            {\"driver\":\"netkvm\",\"source\":\"NetKVM/w10/amd64\"}],"
  "                \"files\":[{\"path\":\"/h2k/drivers/viostor/viostor.inf\",\"local\":\"/t/a\",\"sha256\":\"a1\"},"
  "                         {\"path\":\"/h2k/drivers/netkvm/netkvm.inf\",\"local\":\"/t/b\",\"sha256\":\"b2\"}]}},"
  "  {\"id\":\"set-registry-4\",\"tool\":\"h2k-fix-windows\",\"action\":\"set-registry\","
  "   \"reason\":\"register viostor\",\"files\":[\"/Windows/System32/config/SYSTEM\"],"
  "   \"details\":{\"hive\":\"SYSTEM\",\"path\":\"/Windows/System32/config/SYSTEM\",\"values\":["
  "     {\"key\":\"ControlSet001\\\\Services\\\\viostor\",\"name\":\"Start\",\"type\":\"dword\",\"value\":0},"
  "     {\"key\":\"ControlSet001\\\\Services\\\\viostor\",\"name\":\"Group\",\"type\":\"sz\",\"value\":\"SCSI miniport\"},"
  "     {\"key\":\"ControlSet001\\\\Services\\\\viostor\",\"name\":\"ImagePath\",\"type\":\"expand_sz\","
  "      \"value\":\"system32\\\\drivers\\\\viostor.sys\"},"
  "     {\"key\":\"DriverDatabase\\\\DriverInfFiles\\\\h2k-viostor.inf\",\"name\":\"\",\"type\":\"multi_sz\","
  "      \"value\":[\"a\",\"b\"]},"
  "     {\"key\":\"DriverDatabase\\\\DeviceIds\\\\PCI\\\\VEN_1AF4&DEV_1001\",\"name\":\"h2k-viostor.inf\","
  "      \"type\":\"binary\",\"value\":\"01ff0000\"},"
  "     {\"key\":\"K\",\"name\":\"Long\",\"type\":\"binary\","
  "      \"value\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0102\"},"
  "     {\"key\":\"ControlSet001\\\\Services\\\\viostor\\\\StartOverride\",\"name\":\"0\",\"type\":\"delete\"}]}},"
  "  {\"id\":\"write-firstboot-5\",\"tool\":\"h2k-fix-windows\",\"action\":\"write-firstboot\","
  "   \"reason\":\"first boot\",\"files\":[\"/h2k/firstboot\"],"
  "   \"details\":{\"cmdline\":\"C:\\\\Windows\\\\System32\\\\cmd.exe /c C:\\\\h2k\\\\firstboot\\\\firstboot.cmd\","
  "                \"files\":[{\"path\":\"/h2k/firstboot/firstboot.cmd\",\"sha256\":\"c3\"},"
  "                         {\"path\":\"/h2k/firstboot/steps/40-network.cmd\",\"sha256\":\"d4\"}],"
  "                \"network\":[{\"mac\":\"00:50:56:01:02:03\",\"mac_from\":\"registry\","
  "                             \"addresses\":[\"192.168.1.5\",\"10.0.0.5\"]}],"
  "                \"network_skipped\":[{\"guid\":\"{ABC}\",\"static\":true}]}},"
  "  {\"id\":\"backup-file-6\",\"tool\":\"h2k-fix-windows\",\"action\":\"backup-file\","
  "   \"reason\":\"back up the BCD\",\"files\":[\"/h2k/backup/boot/Boot/BCD\"],"
  "   \"details\":{\"device\":\"/dev/sda1\",\"path\":\"/Boot/BCD\","
  "                \"backup\":\"/h2k/backup/boot/Boot/BCD\",\"sha256\":\"e5\"}},"
  "  {\"id\":\"frobnicate-7\",\"tool\":\"h2k-fix-future\",\"action\":\"frobnicate\","
  "   \"reason\":\"a newer fixer\",\"files\":[],\"details\":{}}"
  " ]}";

static const char windows_expected[] =
  "Plan for win10: 7 changes (dry run: nothing was changed)\n"
  "\n"
  "  1. copy-file [copy-file-1]\n"
  "     why    UEFI fallback\n"
  "     files  /EFI/Boot/bootx64.efi\n"
  "     copy   /EFI/Microsoft/Boot/bootmgfw.efi -> /EFI/Boot/bootx64.efi on /dev/sda1\n"
  "\n"
  "  2. upload-file [upload-file-2]\n"
  "     why     the boot driver\n"
  "     files   /Windows/System32/drivers/viostor.sys\n"
  "     upload  /Windows/System32/drivers/viostor.sys (from viostor/w10/amd64)\n"
  "\n"
  "  3. stage-files [stage-files-3]\n"
  "     why      stage\n"
  "     files    /h2k/drivers\n"
  "     from     /srv/virtio-win.iso\n"
  "     package  viostor (viostor/w10/amd64)\n"
  "     package  netkvm (NetKVM/w10/amd64)\n"
  "     stage    2 files into /h2k/drivers\n"
  "\n"
  "  4. set-registry [set-registry-4]\n"
  "     why     register viostor\n"
  "     files   /Windows/System32/config/SYSTEM\n"
  "     set     HKLM\\SYSTEM\\ControlSet001\\Services\\viostor: Start = dword 0\n"
  "     set     HKLM\\SYSTEM\\ControlSet001\\Services\\viostor: Group = sz \"SCSI miniport\"\n"
  "     set     HKLM\\SYSTEM\\ControlSet001\\Services\\viostor: ImagePath = expand_sz \"system32\\drivers\\viostor.sys\"\n"
  "     set     HKLM\\SYSTEM\\DriverDatabase\\DriverInfFiles\\h2k-viostor.inf: (default) = multi_sz [\"a\", \"b\"]\n"
  "     set     HKLM\\SYSTEM\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1001: h2k-viostor.inf = binary 01ff0000\n"
  "     set     HKLM\\SYSTEM\\K: Long = binary 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff...\n"
  "     delete  HKLM\\SYSTEM\\ControlSet001\\Services\\viostor\\StartOverride: 0\n"
  "\n"
  "  5. write-firstboot [write-firstboot-5]\n"
  "     why      first boot\n"
  "     files    /h2k/firstboot\n"
  "     at boot  C:\\Windows\\System32\\cmd.exe /c C:\\h2k\\firstboot\\firstboot.cmd\n"
  "     write    /h2k/firstboot/firstboot.cmd\n"
  "     write    /h2k/firstboot/steps/40-network.cmd\n"
  "     network  00:50:56:01:02:03 (registry): 192.168.1.5 10.0.0.5\n"
  "     skipped  {ABC}: its MAC is unknown, static address not carried over\n"
  "\n"
  "  6. backup-file [backup-file-6]\n"
  "     why     back up the BCD\n"
  "     files   /h2k/backup/boot/Boot/BCD\n"
  "     backup  /Boot/BCD on /dev/sda1 -> /h2k/backup/boot/Boot/BCD\n"
  "\n"
  "  7. frobnicate [frobnicate-7]\n"
  "     why    a newer fixer\n"
  "     files  -\n";

/* Render M with REP into a new string. */
static char *
render (json_object *m, const struct h2k_plan_report *rep, int *r)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);

  *r = h2k_render_plan (fp, m, rep);
  fclose (fp);
  return buf;
}

TEST (plan_of_this_run)
{
  CLEANUP_JSON json_object *m = h2k_manifest_parse (manifest, strlen (manifest), "t");
  struct h2k_plan_report rep = { .first = 1, .dry_run = 1 };
  CLEANUP_FREE char *out = NULL;
  int r = -1;

  CHECK (m != NULL);
  out = render (m, &rep, &r);
  CHECK_INT (r, 0);
  CHECK_STR (out, expected);
}

TEST (nothing_planned)
{
  CLEANUP_JSON json_object *m = h2k_manifest_parse (manifest, strlen (manifest), "t");
  struct h2k_plan_report rep = { .first = 7, .dry_run = 0 };
  CLEANUP_FREE char *out = NULL;
  int r = -1;

  out = render (m, &rep, &r);
  CHECK_INT (r, 0);
  CHECK_STR (out, "Plan for web1: 0 changes (applied)\n  nothing to change\n");
}

TEST (no_plan_at_all)
{
  static const char bare[] =
    "{\"h2k_manifest_version\":1, \"vm\":{\"name\":\"x\"}, \"disks\":[], \"stages\":[]}";
  CLEANUP_JSON json_object *m = h2k_manifest_parse (bare, strlen (bare), "t");
  struct h2k_plan_report rep = { .first = 0, .dry_run = 1 };
  CLEANUP_FREE char *out = NULL;
  int r = -1;

  out = render (m, &rep, &r);
  CHECK_INT (r, 0);
  CHECK_STR (out, "Plan for x: 0 changes (dry run: nothing was changed)\n"
             "  nothing to change\n");
}

TEST (one_change)
{
  CLEANUP_JSON json_object *m = h2k_manifest_parse (manifest, strlen (manifest), "t");
  struct h2k_plan_report rep = { .first = 6, .dry_run = 0 };
  CLEANUP_FREE char *out = NULL;
  int r = -1;

  out = render (m, &rep, &r);
  CHECK_INT (r, 0);
  CHECK (out && strncmp (out, "Plan for web1: 1 change (applied)\n\n  1. fstrim [fstrim-7]\n", 56) == 0);
}

TEST (windows_actions)
{
  CLEANUP_JSON json_object *m = h2k_manifest_parse (windows, strlen (windows), "t");
  struct h2k_plan_report rep = { .first = 0, .dry_run = 1 };
  CLEANUP_FREE char *out = NULL;
  int r = -1;

  CHECK (m != NULL);
  out = render (m, &rep, &r);
  CHECK_INT (r, 0);
  CHECK_STR (out, windows_expected);
}

int
main (void)
{
  RUN (plan_of_this_run);
  RUN (nothing_planned);
  RUN (no_plan_at_all);
  RUN (one_change);
  RUN (windows_actions);
  return test_done ();
}
