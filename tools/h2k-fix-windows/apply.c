/* h2k-fix-windows: applying the plan: the files on C:, each backed up
 * first and checked against its planned digest, then the hives
 * (hives.c), then the boot partition's items (boot.c).  Every change is
 * logged and recorded (common/change.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-windows.h"

static int
apply_files (struct fw *f, json_object *item)
{
  json_object *d = h2k_json_get_object (item, "details");
  const char *action = h2k_json_get_string (item, "action");
  json_object *files = h2k_json_get_array (d, "files");

  if (strcmp (action, "upload-file") == 0)
    return h2k_fixer_write (&f->fx, item, "write-file", h2k_json_get_string (d, "path"),
                            f->driver, NULL, f->driver_sha);
  for (size_t i = 0; files && i < json_object_array_length (files); ++i) {
    json_object *o = json_object_array_get_idx (files, i);
    const char *path = h2k_json_get_string (o, "path");
    const char *local = h2k_json_get_string (o, "local");
    if (h2k_fixer_write (&f->fx, item, "write-file", path, local,
                         local ? NULL : fb_text (f, path),
                         h2k_json_get_string (o, "sha256")) == -1)
      return -1;
  }
  return 0;
}

int
apply_plan (struct fw *f, size_t first)
{
  for (size_t i = first; i < json_object_array_length (f->fx.plan); ++i) {
    json_object *it = json_object_array_get_idx (f->fx.plan, i);
    const char *action = h2k_json_get_string (it, "action");
    if (strcmp (action, "upload-file") == 0 || strcmp (action, "stage-files") == 0 ||
        strcmp (action, "write-firstboot") == 0) {
      if (apply_files (f, it) == -1)
        return -1;
    }
    else if (strcmp (action, "backup-file") == 0 && apply_backup_bcd (f, it) == -1)
      return -1;
  }
  if (apply_hive (f, &f->sys, first) == -1 || apply_hive (f, &f->sw, first) == -1 ||
      guestfs_umount_all (f->fx.g) == -1)
    return -1;
  return apply_boot (f, first);
}
