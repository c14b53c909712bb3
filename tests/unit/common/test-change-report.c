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

int
main (void)
{
  RUN (plan_of_this_run);
  RUN (nothing_planned);
  RUN (no_plan_at_all);
  RUN (one_change);
  return test_done ();
}
