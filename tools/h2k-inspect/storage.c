/* h2k-inspect: filesystems and their identifiers, block layers, firmware.
 *
 * The fixers turn device names into UUID=/PARTUUID= references, so every
 * filesystem (swap too) is recorded with every identifier blkid knows.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "inspect.h"

#define ESP_GUID       "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define BIOS_BOOT_GUID "21686148-6449-6E6F-744E-656564454649"

/* Value of KEY in a guestfs hash (key, value, key, value, ..., NULL). */
static const char *
hash_get (char **h, const char *key)
{
  for (size_t i = 0; h && h[i] && h[i + 1]; i += 2)
    if (strcmp (h[i], key) == 0)
      return h[i + 1];
  return NULL;
}

static int
set_if (json_object *o, const char *key, const char *val)
{
  return val && *val ? h2k_json_set_string (o, key, val) : 0;
}

static json_object *
filesystem_record (guestfs_h *g, json_object *m, const char *dev,
                   const char *fstype)
{
  CLEANUP_FREE_STRV char **blk = NULL;
  json_object *fs = json_object_new_object ();

  guestfs_push_error_handler (g, NULL, NULL);
  blk = guestfs_blkid (g, dev);
  guestfs_pop_error_handler (g);
  if (fs == NULL ||
      h2k_json_set_string (fs, "device", dev) == -1 ||
      set_if (fs, "disk_id", h2k_guest_disk_id (g, m, dev)) == -1 ||
      set_if (fs, "fstype", fstype) == -1 ||
      set_if (fs, "uuid", hash_get (blk, "UUID")) == -1 ||
      set_if (fs, "label", hash_get (blk, "LABEL")) == -1 ||
      set_if (fs, "partuuid", hash_get (blk, "PART_ENTRY_UUID")) == -1 ||
      set_if (fs, "partlabel", hash_get (blk, "PART_ENTRY_NAME")) == -1) {
    json_object_put (fs);
    return NULL;
  }
  return fs;
}

static int
record_filesystems (guestfs_h *g, json_object *m, char **fss,
                    json_object *guest)
{
  json_object *arr = h2k_json_ensure_array (guest, "filesystems");

  if (arr == NULL)
    return -1;
  for (size_t i = 0; fss[i] && fss[i + 1]; i += 2) {
    json_object *fs;

    if (strcmp (fss[i + 1], "unknown") == 0)
      continue;
    fs = filesystem_record (g, m, fss[i], fss[i + 1]);
    if (h2k_json_array_add (arr, fs) == -1)
      return -1;
  }
  return 0;
}

static int
record_mountpoints (guestfs_h *g, const char *root, json_object *guest)
{
  CLEANUP_FREE_STRV char **mps = guestfs_inspect_get_mountpoints (g, root);
  json_object *arr = h2k_json_ensure_array (guest, "mountpoints");

  if (mps == NULL || arr == NULL)
    return -1;
  for (size_t i = 0; mps[i] && mps[i + 1]; i += 2) {
    json_object *mp = json_object_new_object ();
    if (h2k_json_array_add (arr, mp) == -1 ||
        h2k_json_set_string (mp, "mountpoint", mps[i]) == -1 ||
        h2k_json_set_string (mp, "device", mps[i + 1]) == -1)
      return -1;
  }
  return 0;
}

/* One partition of a partitioned disk; flags the ESP and BIOS boot. */
static int
record_partition (guestfs_h *g, const char *dev, const char *type,
                  struct guestfs_partition *p, json_object *parts,
                  json_object *fw)
{
  json_object *o = json_object_new_object ();
  CLEANUP_FREE char *pdev = NULL, *gtype = NULL;
  int mbr_id = -1;

  if (h2k_json_array_add (parts, o) == -1)
    return -1;
  if (asprintf (&pdev, "%s%d", dev, p->part_num) == -1)
    return -1;
  guestfs_push_error_handler (g, NULL, NULL);
  if (strcmp (type, "gpt") == 0)
    gtype = guestfs_part_get_gpt_type (g, dev, p->part_num);
  else
    mbr_id = guestfs_part_get_mbr_id (g, dev, p->part_num);
  guestfs_pop_error_handler (g);
  if (h2k_json_set_string (o, "device", pdev) == -1 ||
      h2k_json_set_int (o, "number", p->part_num) == -1 ||
      h2k_json_set_int (o, "start", p->part_start) == -1 ||
      h2k_json_set_int (o, "size", p->part_size) == -1 ||
      set_if (o, "gpt_type", gtype) == -1 ||
      (mbr_id >= 0 && h2k_json_set_int (o, "mbr_id", mbr_id) == -1))
    return -1;
  if ((gtype && strcasecmp (gtype, ESP_GUID) == 0) || mbr_id == 0xef)
    return h2k_json_set_string (fw, "esp", pdev);
  if (gtype && strcasecmp (gtype, BIOS_BOOT_GUID) == 0)
    return h2k_json_set_string (fw, "bios_boot_partition", pdev);
  return 0;
}

static int
record_disk (guestfs_h *g, json_object *m, const char *dev, json_object *arr,
             json_object *fw)
{
  CLEANUP_FREE char *type = NULL;
  struct guestfs_partition_list *pl = NULL;
  json_object *d = json_object_new_object (), *parts;
  int r = -1;

  if (h2k_json_array_add (arr, d) == -1)
    return -1;
  guestfs_push_error_handler (g, NULL, NULL);
  type = guestfs_part_get_parttype (g, dev);
  guestfs_pop_error_handler (g);
  if (h2k_json_set_string (d, "device", dev) == -1 ||
      set_if (d, "disk_id", h2k_guest_disk_id (g, m, dev)) == -1 ||
      h2k_json_set_string (d, "partition_table", type ? type : "none") == -1)
    return -1;
  if (type == NULL)
    return 0;
  pl = guestfs_part_list (g, dev);
  parts = h2k_json_ensure_array (d, "partitions");
  if (pl == NULL || parts == NULL)
    goto out;
  for (size_t i = 0; i < pl->len; ++i)
    if (record_partition (g, dev, type, &pl->val[i], parts, fw) == -1)
      goto out;
  r = 0;
 out:
  guestfs_free_partition_list (pl);
  return r;
}

/* LVM volume groups and logical volumes, md arrays, LUKS containers. */
static int
record_layers (guestfs_h *g, char **fss, json_object *guest)
{
  CLEANUP_FREE_STRV char **vgs = guestfs_vgs (g);
  CLEANUP_FREE_STRV char **lvs = guestfs_lvs (g);
  CLEANUP_FREE_STRV char **mds = guestfs_list_md_devices (g);
  json_object *layers = h2k_json_ensure_object (guest, "block_layers");
  json_object *v = h2k_json_ensure_array (layers, "lvm_vgs");
  json_object *l = h2k_json_ensure_array (layers, "lvm_lvs");
  json_object *md = h2k_json_ensure_array (layers, "md");
  json_object *luks = h2k_json_ensure_array (layers, "luks");

  if (!vgs || !lvs || !mds || !v || !l || !md || !luks)
    return -1;
  for (size_t i = 0; vgs[i]; ++i)
    if (h2k_json_array_add_string (v, vgs[i]) == -1)
      return -1;
  for (size_t i = 0; lvs[i]; ++i)
    if (h2k_json_array_add_string (l, lvs[i]) == -1)
      return -1;
  for (size_t i = 0; mds[i]; ++i)
    if (h2k_json_array_add_string (md, mds[i]) == -1)
      return -1;
  for (size_t i = 0; fss[i] && fss[i + 1]; i += 2)
    if (strcmp (fss[i + 1], "crypto_LUKS") == 0 && h2k_json_array_add_string (luks, fss[i]) == -1)
      return -1;
  return 0;
}

/* BIOS or UEFI, as far as the disks can tell: an ESP means the guest was
 * installed for UEFI (it may still carry a BIOS boot loader too).
 */
static int
decide_firmware (json_object *fw)
{
  const char *esp = h2k_json_get_string (fw, "esp");
  const char *bbp = h2k_json_get_string (fw, "bios_boot_partition");
  const char *kind = esp && bbp ? "both" : esp ? "uefi" : "bios";

  return h2k_json_set_string (fw, "kind", kind);
}

int
inspect_storage (guestfs_h *g, json_object *m, const char *root,
                 json_object *guest)
{
  CLEANUP_FREE_STRV char **devs = guestfs_list_devices (g);
  CLEANUP_FREE_STRV char **fss = guestfs_list_filesystems (g);
  json_object *fw = h2k_json_ensure_object (guest, "firmware");
  json_object *disks = h2k_json_ensure_array (guest, "block_devices");

  if (devs == NULL || fss == NULL || fw == NULL || disks == NULL)
    return -1;
  for (size_t i = 0; devs[i]; ++i)
    if (record_disk (g, m, devs[i], disks, fw) == -1)
      return -1;
  if (record_mountpoints (g, root, guest) == -1 ||
      record_filesystems (g, m, fss, guest) == -1 ||
      record_layers (g, fss, guest) == -1 ||
      /* fstab and crypttab as the guest wrote them: the fixer edits them
       * and needs every entry with its line.
       */
      guest_parse_file (g, "/etc/fstab", h2k_linuxcfg_fstab, guest, "fstab") == -1 ||
      guest_parse_file (g, "/etc/crypttab", h2k_linuxcfg_crypttab, guest, "crypttab") == -1 ||
      decide_firmware (fw) == -1)
    return -1;
  return 0;
}
