/* h2k-fix-windows: the boot partition: the BCD backed up, and on UEFI
 * the fallback loader made from the Windows boot manager.  The boot
 * partition is mounted alone at / for this (C: unmounted): read-only to
 * plan, read-write to apply.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-windows.h"

/* Plan the BCD backup and, on UEFI, the fallback loader.  The boot
 * partition is mounted alone, read-only, at / for this.
 */
int
plan_boot (struct fw *f)
{
  json_object *boot = h2k_json_get_object (f->win, "boot");
  const char *bcd = h2k_json_get_string (boot, "bcd");
  const char *fw = h2k_json_get_string (boot, "firmware");
  const char *root = h2k_json_get_string (h2k_json_get_object (f->m, "guest"), "root");
  CLEANUP_FREE char *loader = NULL, *fallback = NULL;

  f->boot_dev = h2k_json_get_string (boot, "bcd_device");
  if (bcd == NULL || f->boot_dev == NULL) {
    h2k_warning ("no BCD found by h2k-inspect: not backed up");
    return 0;
  }
  f->boot_is_root = root && strcmp (root, f->boot_dev) == 0;
  if (guestfs_mount_ro (f->fx.g, f->boot_dev, "/") == -1 ||
      (f->bcd_local = h2k_path_join (f->tmp, "BCD")) == NULL ||
      guestfs_download (f->fx.g, bcd, f->bcd_local) == -1 ||
      h2k_sha256_file (f->bcd_local, f->bcd_sha) == -1)
    return -1;
  if (fw && strcmp (fw, "uefi") == 0) {
    loader = guestfs_case_sensitive_path (f->fx.g, "/EFI/Microsoft/Boot/bootmgfw.efi");
    fallback = guestfs_case_sensitive_path (f->fx.g, "/EFI/Boot/bootx64.efi");
    if (loader == NULL || fallback == NULL || !h2k_guest_is_file (f->fx.g, loader)) {
      h2k_error ("%s: /EFI/Microsoft/Boot/bootmgfw.efi: missing: this UEFI "
                 "Windows has no boot manager to start", f->boot_dev);
      return -1;
    }
    if (strcmp (f->arch, "amd64") == 0 && !h2k_guest_is_file (f->fx.g, fallback) &&
        !h2k_fixer_plan (&f->fx, "copy-file", fallback,
                         string_details ("device", f->boot_dev, "from", loader),
                         "UEFI: the fallback loader %s on %s, a copy of the Windows boot "
                         "manager: a new VM's firmware has no boot entry and starts it",
                         fallback, f->boot_dev))
      return -1;
  }
  return guestfs_umount_all (f->fx.g);
}

int
plan_bcd_backup (struct fw *f)
{
  const char *bcd = h2k_json_get_string (h2k_json_get_object (f->win, "boot"), "bcd");
  CLEANUP_FREE char *backup = NULL;
  json_object *d;

  if (f->bcd_local == NULL)
    return 0;
  if (asprintf (&backup, BACKUP_DIR "/boot%s", bcd) == -1)
    return -1;
  if (h2k_guest_is_file (f->fx.g, backup))
    return 0;
  d = string_details ("device", f->boot_dev, "path", bcd);
  if (d == NULL || h2k_json_set_string (d, "backup", backup) == -1 ||
      h2k_json_set_string (d, "sha256", f->bcd_sha) == -1) {
    json_object_put (d);
    return -1;
  }
  return h2k_fixer_plan (&f->fx, "backup-file", backup, d,
                         "back up the boot configuration (BCD on %s) before the first "
                         "boot on KVM", f->boot_dev) ? 0 : -1;
}

int
apply_backup_bcd (struct fw *f, json_object *item)
{
  const char *backup = h2k_json_get_string (h2k_json_get_object (item, "details"), "backup");
  CLEANUP_FREE char *dir = h2k_dirname (backup);

  if (dir == NULL || guestfs_mkdir_p (f->fx.g, dir) == -1 ||
      guestfs_upload (f->fx.g, f->bcd_local, backup) == -1)
    return -1;
  return h2k_fixer_record (&f->fx, item, "backup-file", backup, NULL, f->bcd_sha,
                           backup, NULL) ? 0 : -1;
}

/* The boot partition's items, with it mounted read-write alone. */
int
apply_boot (struct fw *f, size_t first)
{
  int mounted = 0;

  for (size_t i = first; i < json_object_array_length (f->fx.plan); ++i) {
    json_object *item = json_object_array_get_idx (f->fx.plan, i);
    json_object *d = h2k_json_get_object (item, "details");
    json_object *files = h2k_json_get_array (item, "files");
    const char *to = files ? json_object_get_string (json_object_array_get_idx (files, 0))
                           : NULL;

    if (strcmp (h2k_json_get_string (item, "action"), "copy-file") != 0)
      continue;
    if (!mounted && guestfs_mount (f->fx.g, f->boot_dev, "/") == -1)
      return -1;
    mounted = 1;
    if (to == NULL ||
        h2k_fixer_copy (&f->fx, item, "copy-file", h2k_json_get_string (d, "from"), to) == -1)
      return -1;
  }
  return mounted ? guestfs_umount_all (f->fx.g) : 0;
}
