/* h2k-fix-linux: fstab and crypttab refer to filesystems by UUID.
 *
 * Every entry naming a device by a controller-dependent name (/dev/sdX,
 * /dev/hdX, /dev/xvdX, /dev/nvmeXnY, /dev/vdX) is rewritten to UUID= (or
 * PARTUUID= when the filesystem has no UUID), looked up in what
 * h2k-inspect recorded; only the one field changes, comments and layout
 * stay.  An entry we cannot resolve is mapped to the name it will have on
 * virtio-blk, and the plan says so.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-linux.h"

#define MAX_TABLE (1 << 20)

static int
controller_name (const char *type)
{
  return type && (strcmp (type, "sd") == 0 || strcmp (type, "hd") == 0 ||
                  strcmp (type, "xvd") == 0 || strcmp (type, "nvme") == 0 ||
                  strcmp (type, "vd") == 0);
}

/* "/dev/sdb2" -> "/dev/vdb2" (virtio-blk names, by disk order). */
static char *
virtio_name (const char *spec)
{
  const char *p = strrchr (spec, '/');
  char *r;

  if (p == NULL || strlen (p) < 4)
    return NULL;
  p++;                                    /* sdb2 */
  if (strncmp (p, "nvme", 4) == 0) {      /* nvme1n1p2 -> vdb2 */
    char *end;
    long k = strtol (p + 4, &end, 10);
    if (end == p + 4 || k < 0 || k > 25 || strncmp (end, "n1", 2) != 0)
      return NULL;
    end += 2;
    if (*end == 'p')
      end++;
    if (asprintf (&r, "/dev/vd%c%s", (char) ('a' + k), end) == -1)
      return NULL;
    return r;
  }
  p += strncmp (p, "xvd", 3) == 0 ? 3 : 2;   /* b2 */
  if (asprintf (&r, "/dev/vd%s", p) == -1)
    return NULL;
  return r;
}

static int
plan_table (struct fix *f, const char *path, parser_fn parse, const char *specfield,
            int field)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, path, MAX_TABLE);
  CLEANUP_JSON json_object *tab = NULL;
  json_object *d;
  size_t n;
  int changed = 0;

  if (text == NULL)
    return 0;
  tab = parse (text, strlen (text), path);
  d = edit_details (path);
  if (tab == NULL || d == NULL) {
    json_object_put (d);
    return -1;
  }
  n = json_object_array_length (tab);
  for (size_t i = 0; i < n; ++i) {
    json_object *e = json_object_array_get_idx (tab, i);
    const char *spec = h2k_json_get_string (e, specfield);
    int line = (int) h2k_json_get_int (e, "line", 0);
    json_object *fs;
    CLEANUP_FREE char *to = NULL, *old = NULL, *new_line = NULL;

    if (!controller_name (h2k_json_get_string (e, "device_type")))
      continue;
    fs = filesystem_for_device (f, spec);
    to = fs ? stable_spec (fs) : NULL;
    if (to == NULL)
      to = virtio_name (spec);
    if (to && strcmp (to, spec) == 0)
      continue;                 /* already the virtio name: nothing to do */
    old = text_line (text, line);
    if (to == NULL || old == NULL || (new_line = replace_field (old, field, to)) == NULL) {
      json_object_put (d);
      h2k_error ("%s: line %d: cannot work out what %s becomes", path, line, spec);
      return -1;
    }
    if (edit_add (d, line, old, new_line) == -1) {
      json_object_put (d);
      return -1;
    }
    h2k_debug ("%s:%d: %s -> %s", path, line, spec, to);
    changed++;
  }
  if (changed == 0) {
    json_object_put (d);
    return 0;
  }
  return h2k_fixer_plan (&f->fx, "edit-lines", path, d,
                         "%d entr%s of %s name%s a device by a name that changes on "
                         "virtio; use UUID= (or the virtio name where there is none)",
                         changed, changed == 1 ? "y" : "ies", path,
                         changed == 1 ? "s" : "") ? 0 : -1;
}

int
plan_fstab (struct fix *f)
{
  if (plan_table (f, "/etc/fstab", h2k_linuxcfg_fstab, "spec", 0) == -1 ||
      plan_table (f, "/etc/crypttab", h2k_linuxcfg_crypttab, "source", 1) == -1)
    return -1;
  return 0;
}
