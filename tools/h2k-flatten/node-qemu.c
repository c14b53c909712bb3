/* h2k-flatten: one qcow2 (or raw, vdi, vhdx) image of a chain, as
 * `qemu-img info -f FORMAT` sees it.  qemu-img info opens the image
 * without its backing file, so nothing is probed here: we follow the
 * backing file ourselves.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "qemu-img.h"
#include "flatten.h"

static int
get_size (json_object *info, const char *path, uint64_t *size)
{
  json_object *v = h2k_json_get (info, "virtual-size");
  int64_t s;

  errno = 0;
  s = v && json_object_is_type (v, json_type_int) ? json_object_get_int64 (v) : -1;
  if (s < 0 || errno) {
    h2k_error ("%s: qemu-img info: no virtual-size", path);
    return -1;
  }
  *size = s;
  return 0;
}

int
qemu_virtual_size (const char *path, const char *format, uint64_t *size)
{
  CLEANUP_JSON json_object *info = h2k_qemu_img_info (path, format, 0);

  return info ? get_size (info, path, size) : -1;
}

/* qemu reads "proto:..." and "json:{...}" as protocols, not file names. */
static int
has_protocol (const char *s)
{
  size_t n = strcspn (s, ":/");

  return s[n] == ':' && n > 0;
}

static int
backing_format (struct node *n, const char *qemu_fmt)
{
  const char *f;

  if (qemu_fmt) {
    n->parent_format = h2k_format_from_qemu (qemu_fmt);
    if (n->parent_format == NULL) {
      h2k_error ("%s: backing format: \"%s\" is not supported", n->path, qemu_fmt);
      return -1;
    }
    return 0;
  }
  /* No format recorded: qemu would probe.  Only a format that announces
   * itself by its magic is safe; raw never is.
   */
  if (probe_safe_format (n->parent_path, &f) == -1)
    return -1;
  if (f == NULL) {
    h2k_error ("%s: backing format: not recorded, and the backing file %s "
               "would be probed as raw: refusing (record the format on a copy "
               "with qemu-img rebase -u -b %s -F raw)", n->path, n->parent_path,
               n->parent_hint);
    return -1;
  }
  h2k_info ("%s: backing format not recorded; %s is %s by its magic",
            n->path, n->parent_path, f);
  n->parent_format = f;
  return 0;
}

int
node_qemu (struct node *n)
{
  CLEANUP_JSON json_object *info = h2k_qemu_img_info (n->path, n->format, 0);
  const char *backing;

  if (info == NULL || get_size (info, n->path, &n->virtual_size) == -1)
    return -1;
  backing = h2k_json_get_string (info, "backing-filename");
  if (backing == NULL)
    return 0;
  n->parent_field = "backing file";
  if (has_protocol (backing)) {
    h2k_error ("%s: backing file: \"%.64s\" is not a local file: not supported",
               n->path, backing);
    return -1;
  }
  n->parent_hint = strdup (backing);
  if (n->parent_hint == NULL) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  n->parent_path = resolve_parent (n->path, backing, n->parent_field, 0);
  if (n->parent_path == NULL)
    return -1;
  return backing_format (n, h2k_json_get_string (info, "backing-filename-format"));
}
