/* h2k-validate: does each /etc/fstab entry name a device the guest will
 * find when it boots on the validation bus?  Pure: the devices come from
 * the appliance (offline.c).
 */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "validate.h"

char *
fstab_guest_name (const char *dev, const char *bus)
{
  char *s = strdup (dev);

  /* The appliance sees every disk as /dev/sdX; the guest sees /dev/vdX on
   * virtio-blk and /dev/sdX on virtio-scsi and SATA.
   */
  if (s && strcmp (bus, "virtio-blk") == 0 && strncmp (s, "/dev/sd", 7) == 0)
    s[5] = 'v';
  return s;
}

static int
eq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

static int
eq_ci (const char *a, const char *b)
{
  return a && b && strcasecmp (a, b) == 0;
}

/* /dev/VG/LV as device-mapper names it: /dev/mapper/VG-LV, with the
 * dashes inside each name doubled.
 */
static int
is_mapper_name (const char *spec, const char *dev)
{
  const char *vg, *lv;
  char buf[512];
  size_t n = 0;

  if (strncmp (spec, "/dev/mapper/", 12) != 0 || strncmp (dev, "/dev/", 5) != 0)
    return 0;
  vg = dev + 5;
  lv = strchr (vg, '/');
  if (lv == NULL || strchr (lv + 1, '/'))
    return 0;
  for (const char *p = vg; *p && n + 3 < sizeof buf; ++p) {
    if (p == lv) {
      buf[n++] = '-';
      continue;
    }
    if (*p == '-')
      buf[n++] = '-';
    buf[n++] = *p;
  }
  buf[n] = '\0';
  return strcmp (spec + 12, buf) == 0;
}

static int
resolve_device (const struct fs_dev *devs, size_t n, const char *spec,
                const char *dtype, const char *bus, const char **why)
{
  int disk = strcmp (dtype, "sd") == 0 || strcmp (dtype, "vd") == 0 ||
             strcmp (dtype, "hd") == 0 || strcmp (dtype, "xvd") == 0 ||
             strcmp (dtype, "nvme") == 0;

  for (size_t i = 0; i < n; ++i) {
    CLEANUP_FREE char *name = disk ? fstab_guest_name (devs[i].dev, bus) : NULL;
    if (disk ? eq (spec, name)
             : eq (spec, devs[i].dev) || is_mapper_name (spec, devs[i].dev))
      return (int) i;
  }
  if (disk) {
    for (size_t i = 0; i < n; ++i)
      if (eq (spec, devs[i].dev)) {
        *why = strcmp (bus, "virtio-blk") == 0
          ? "the guest sees its disks as /dev/vdX on virtio-blk"
          : "the guest sees this disk under another name on this bus";
        return -1;
      }
    *why = "no such disk or partition";
    return -1;
  }
  if (strcmp (dtype, "md") == 0) {
    *why = "md arrays are assembled at boot: not checked";
    return -2;
  }
  *why = "no such device";
  return -1;
}

int
fstab_resolve (const struct fs_dev *devs, size_t n, json_object *entry,
               const char *bus, const char **why)
{
  const char *spec = h2k_json_get_string (entry, "spec");
  const char *kind = h2k_json_get_string (entry, "spec_kind");
  const char *value = h2k_json_get_string (entry, "spec_value");
  const char *dtype = h2k_json_get_string (entry, "device_type");
  size_t field;

  if (kind == NULL || spec == NULL) {
    *why = "not parsed";
    return -2;
  }
  if (strcmp (kind, "device") == 0)
    return resolve_device (devs, n, spec, dtype ? dtype : "other", bus, why);
  if (strcmp (kind, "uuid") == 0 || strcmp (kind, "by-uuid") == 0)
    field = offsetof (struct fs_dev, uuid);
  else if (strcmp (kind, "label") == 0 || strcmp (kind, "by-label") == 0)
    field = offsetof (struct fs_dev, label);
  else if (strcmp (kind, "partuuid") == 0 || strcmp (kind, "by-partuuid") == 0)
    field = offsetof (struct fs_dev, partuuid);
  else if (strcmp (kind, "partlabel") == 0 || strcmp (kind, "by-partlabel") == 0)
    field = offsetof (struct fs_dev, partlabel);
  else if (strcmp (kind, "by-id") == 0 || strcmp (kind, "by-path") == 0) {
    *why = "/dev/disk/by-id and by-path names depend on the disk controller: not checked";
    return -2;
  }
  else if (strcmp (kind, "id") == 0) {
    *why = "unknown TAG=value: not checked";
    return -2;
  }
  else {
    *why = "not a block device";
    return -2;
  }
  for (size_t i = 0; i < n; ++i) {
    const char *v = *(char *const *) ((const char *) &devs[i] + field);
    int match = field == offsetof (struct fs_dev, label) ||
                field == offsetof (struct fs_dev, partlabel)
      ? eq (v, value) : eq_ci (v, value);
    if (match)
      return (int) i;
  }
  *why = "no filesystem or partition has it";
  return -1;
}

/* Is OPT one of the comma-separated OPTIONS? */
static int
has_option (const char *options, const char *opt)
{
  size_t len = strlen (opt);

  for (const char *p = options; p && *p; ) {
    size_t n = strcspn (p, ",");
    if (n == len && strncmp (p, opt, len) == 0)
      return 1;
    p += n;
    if (*p == ',')
      p++;
  }
  return 0;
}

static int
set_opt (json_object *o, const char *key, const char *v)
{
  return v ? h2k_json_set_string (o, key, v) : 0;
}

json_object *
fstab_check_entry (const struct fs_dev *devs, size_t n, json_object *entry,
                   const char *bus)
{
  const char *spec = h2k_json_get_string (entry, "spec");
  const char *file = h2k_json_get_string (entry, "file");
  const char *type = h2k_json_get_string (entry, "vfstype");
  const char *opts = h2k_json_get_string (entry, "options");
  const char *why = NULL, *status;
  json_object *o = json_object_new_object ();
  int idx = -2;

  if (o == NULL)
    return NULL;
  if (eq (type, "swap") && spec && spec[0] == '/' && strncmp (spec, "/dev/", 5) != 0)
    status = "file";
  else if (has_option (opts, "bind")) {
    status = "skipped";
    why = "a bind mount";
  }
  else {
    idx = fstab_resolve (devs, n, entry, bus, &why);
    status = idx >= 0 ? "resolved"
      : idx == -2 ? "skipped"
      : has_option (opts, "noauto") || has_option (opts, "nofail") ? "ignored"
      : "missing";
  }
  if (h2k_json_set_int (o, "line", h2k_json_get_int (entry, "line", 0)) == -1 ||
      set_opt (o, "spec", spec) == -1 ||
      set_opt (o, "mountpoint", file) == -1 ||
      set_opt (o, "vfstype", type) == -1 ||
      h2k_json_set_string (o, "status", status) == -1 ||
      (idx >= 0 && (h2k_json_set_string (o, "device", devs[idx].dev) == -1 ||
                    set_opt (o, "guest_device", devs[idx].guest_dev) == -1)) ||
      set_opt (o, "why", why) == -1) {
    json_object_put (o);
    return NULL;
  }
  return o;
}
