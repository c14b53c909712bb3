/* h2k-validate: resolving /etc/fstab entries against the disks the
 * appliance sees, as the guest will see them on the validation bus.
 */

#include <string.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-validate/validate.h"

static struct fs_dev devs[] = {
  { .dev = "/dev/sda1", .guest_dev = "/dev/vda1", .type = "ext4",
    .uuid = "0b1c7f3e-1111-4222-8333-444455556666", .label = "root",
    .partuuid = "1234abcd-01" },
  { .dev = "/dev/sda2", .guest_dev = "/dev/vda2", .type = "swap",
    .uuid = "aaaa-bbbb", .partuuid = "1234abcd-02" },
  { .dev = "/dev/sdb1", .guest_dev = "/dev/vdb1", .type = "vfat",
    .uuid = "ABCD-1234", .partlabel = "EFI System" },
  { .dev = "/dev/vg0/lv-data", .guest_dev = "/dev/vg0/lv-data", .type = "xfs",
    .uuid = "cccc" },
};
#define N (sizeof devs / sizeof devs[0])

/* Check the one entry of an fstab line; returns its verdict. */
static json_object *
check (const char *line, const char *bus)
{
  CLEANUP_JSON json_object *e = h2k_linuxcfg_fstab (line, strlen (line), "/etc/fstab");

  if (e == NULL || json_object_array_length (e) != 1)
    return NULL;
  return fstab_check_entry (devs, N, json_object_array_get_idx (e, 0), bus);
}

#define VERDICT(line, bus, status, device)                              \
  do {                                                                  \
    CLEANUP_JSON json_object *v_ = check (line, bus);                   \
    CHECK (v_ != NULL);                                                 \
    CHECK_STR (h2k_json_get_string (v_, "status"), status);             \
    if (device)                                                         \
      CHECK_STR (h2k_json_get_string (v_, "device"), (const char *) device); \
    else                                                                \
      CHECK (h2k_json_get_string (v_, "device") == NULL);               \
  } while (0)

TEST (guest_names)
{
  CLEANUP_FREE char *a = fstab_guest_name ("/dev/sda1", "virtio-blk");
  CLEANUP_FREE char *b = fstab_guest_name ("/dev/sdb", "virtio-scsi");
  CLEANUP_FREE char *c = fstab_guest_name ("/dev/vg/root", "virtio-blk");

  CHECK_STR (a, "/dev/vda1");
  CHECK_STR (b, "/dev/sdb");
  CHECK_STR (c, "/dev/vg/root");
}

TEST (by_identifier)
{
  VERDICT ("UUID=0B1C7F3E-1111-4222-8333-444455556666 / ext4 defaults 0 1\n",
           "virtio-blk", "resolved", "/dev/sda1");
  VERDICT ("UUID=\"aaaa-bbbb\" none swap sw 0 0\n", "virtio-blk", "resolved", "/dev/sda2");
  VERDICT ("LABEL=root / ext4 defaults 0 1\n", "virtio-blk", "resolved", "/dev/sda1");
  VERDICT ("LABEL=ROOT / ext4 defaults 0 1\n", "virtio-blk", "missing", NULL);
  VERDICT ("PARTUUID=1234abcd-02 none swap sw 0 0\n", "sata", "resolved", "/dev/sda2");
  VERDICT ("PARTLABEL=EFI\\040System /boot/efi vfat umask=0077 0 1\n", "virtio-blk",
           "resolved", "/dev/sdb1");
  VERDICT ("/dev/disk/by-uuid/ABCD-1234 /boot/efi vfat defaults 0 1\n", "virtio-blk",
           "resolved", "/dev/sdb1");
  VERDICT ("UUID=dead-beef /srv ext4 defaults 0 2\n", "virtio-blk", "missing", NULL);
  {
    CLEANUP_JSON json_object *v = check ("UUID=dead-beef /srv ext4 defaults 0 2\n", "virtio-blk");
    CHECK_STR (h2k_json_get_string (v, "why"), "no filesystem or partition has it");
    CHECK_STR (h2k_json_get_string (v, "mountpoint"), "/srv");
    CHECK_INT ((int) h2k_json_get_int (v, "line", 0), 1);
  }
}

/* Device names: what the guest will see on the bus, not the appliance. */
TEST (device_names)
{
  VERDICT ("/dev/sda1 / ext4 defaults 0 1\n", "sata", "resolved", "/dev/sda1");
  VERDICT ("/dev/sda1 / ext4 defaults 0 1\n", "virtio-scsi", "resolved", "/dev/sda1");
  VERDICT ("/dev/sda1 / ext4 defaults 0 1\n", "virtio-blk", "missing", NULL);
  {
    CLEANUP_JSON json_object *v = check ("/dev/sda1 / ext4 defaults 0 1\n", "virtio-blk");
    CHECK_STR (h2k_json_get_string (v, "why"),
               "the guest sees its disks as /dev/vdX on virtio-blk");
  }
  VERDICT ("/dev/vda1 / ext4 defaults 0 1\n", "virtio-blk", "resolved", "/dev/sda1");
  {
    CLEANUP_JSON json_object *v = check ("/dev/vda1 / ext4 defaults 0 1\n", "virtio-blk");
    CHECK_STR (h2k_json_get_string (v, "guest_device"), "/dev/vda1");
  }
  VERDICT ("/dev/vdc1 /x ext4 defaults 0 1\n", "virtio-blk", "missing", NULL);
  /* LVM by both names. */
  VERDICT ("/dev/vg0/lv-data /data xfs defaults 0 2\n", "virtio-blk", "resolved", "/dev/vg0/lv-data");
  VERDICT ("/dev/mapper/vg0-lv--data /data xfs defaults 0 2\n", "virtio-blk", "resolved",
           "/dev/vg0/lv-data");
  VERDICT ("/dev/mapper/vg0-lv-data /data xfs defaults 0 2\n", "virtio-blk", "missing", NULL);
}

/* nofail/noauto make a missing device harmless; swap files and pseudo
 * filesystems are not devices.
 */
TEST (options_and_kinds)
{
  VERDICT ("/dev/sdc1 /backup ext4 defaults,nofail 0 2\n", "virtio-blk", "ignored", NULL);
  VERDICT ("UUID=gone /mnt ext4 noauto,user 0 0\n", "virtio-blk", "ignored", NULL);
  VERDICT ("UUID=gone /mnt ext4 noautox 0 0\n", "virtio-blk", "missing", NULL);
  VERDICT ("/swapfile none swap sw 0 0\n", "virtio-blk", "file", NULL);
  VERDICT ("tmpfs /tmp tmpfs defaults 0 0\n", "virtio-blk", "skipped", NULL);
  VERDICT ("proc /proc proc defaults 0 0\n", "virtio-blk", "skipped", NULL);
  VERDICT ("server:/export /net nfs defaults 0 0\n", "virtio-blk", "skipped", NULL);
  VERDICT ("/srv/a /srv/b none bind 0 0\n", "virtio-blk", "skipped", NULL);
  VERDICT ("/dev/disk/by-id/scsi-36000c29 /x ext4 defaults 0 2\n", "virtio-blk", "skipped", NULL);
}

int
main (void)
{
  RUN (guest_names);
  RUN (by_identifier);
  RUN (device_names);
  RUN (options_and_kinds);
  return test_done ();
}
