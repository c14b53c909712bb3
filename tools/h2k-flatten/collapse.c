/* h2k-flatten: collapse a chain into one qcow2.
 *
 * qemu-img convert reads the top image with the whole chain behind it
 * and writes a new, standalone qcow2 (sparse, uncompressed).  The source
 * is given as a json: pseudo-file naming the driver and file of every
 * image, so that qemu probes nothing and uses the parents we resolved
 * and verified (even one found beside the child instead of where an
 * absolute hint said).  convert opens its source read-only; we say so
 * too.  Never `qemu-img commit` or `rebase`: they write the sources.
 *
 * qemu reads a differencing VHD as if it had no parent: the VHD part of
 * a chain is first merged into a raw file in the workdir (vhd-merge.c),
 * which stands in the source for those images and is removed at the end.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "publish.h"
#include "qemu-img.h"
#include "run.h"
#include "flatten.h"

static int
supports_backing (const char *format)
{
  return strcmp (format, "qcow2") == 0 || strcmp (format, "vmdk") == 0;
}

/* The blockdev options of image I of C and everything behind it; from
 * image RAW_AT on, the raw file RAW (if not NULL) instead.
 */
static json_object *
node_spec (const struct chain *c, size_t i, size_t raw_at, const char *raw)
{
  const struct node *n = &c->nodes[i];
  CLEANUP_JSON json_object *o = json_object_new_object ();
  CLEANUP_JSON json_object *backing = NULL;
  json_object *file = json_object_new_object ();
  int is_raw = raw && i == raw_at;
  int has_parent = i + 1 < c->n && !is_raw;
  const char *driver = is_raw ? "raw" : h2k_qemu_format (n->format);

  if (has_parent && (backing = node_spec (c, i + 1, raw_at, raw)) == NULL) {
    json_object_put (file);
    return NULL;
  }
  /* The base has no parent: "backing": null keeps qemu from looking
   * for one.  (h2k_json_set reports its own errors.)
   */
  if (o == NULL || file == NULL ||
      h2k_json_set (o, "file", file) == -1 ||
      h2k_json_set_string (o, "driver", driver) == -1 ||
      h2k_json_set_string (file, "driver", "file") == -1 ||
      h2k_json_set_string (file, "filename", is_raw ? raw : n->path) == -1 ||
      ((has_parent || (!is_raw && supports_backing (n->format))) &&
       json_object_object_add (o, "backing", backing) != 0)) {
    if (o == NULL)
      json_object_put (file);     /* otherwise o owns it */
    h2k_error ("%s: building the qemu-img source: %m", n->path);
    return NULL;
  }
  backing = NULL;
  json_object *r = o;
  o = NULL;
  return r;
}

static char *
source_spec (const struct chain *c, size_t raw_at, const char *raw)
{
  CLEANUP_JSON json_object *o = node_spec (c, 0, raw_at, raw);
  char *s;

  if (o == NULL || h2k_json_set_bool (o, "read-only", 1) == -1)
    return NULL;
  if (asprintf (&s, "json:%s",
                json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE)) == -1) {
    h2k_error ("%s: %m", c->nodes[0].path);
    return NULL;
  }
  return s;
}

/* The result must stand alone and have the top image's size. */
static int
check_result (const struct chain *c, const char *tmp)
{
  CLEANUP_JSON json_object *info = h2k_qemu_img_info (tmp, "qcow2", 0);
  int64_t size;

  if (info == NULL)
    return -1;
  size = h2k_json_get_int (info, "virtual-size", -1);
  if (h2k_json_get (info, "backing-filename") ||
      size != (int64_t) c->nodes[0].virtual_size) {
    h2k_error ("%s: qemu-img convert wrote an unexpected image (virtual size "
               "%" PRId64 ", expected %" PRIu64 ")", tmp, size,
               c->nodes[0].virtual_size);
    return -1;
  }
  return 0;
}

int
collapse (const struct chain *c, const char *dest, int progress)
{
  struct h2k_publish p CLEANUP_PUBLISH = H2K_PUBLISH_INIT;
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  size_t top = vhd_diff_start (c);
  CLEANUP_UNLINK_FREE char *raw = NULL;
  CLEANUP_FREE char *src = NULL;
  const char *argv[10];
  size_t i = 0;

  if (top < c->n && (raw = vhd_merge (c, top, dest)) == NULL)
    return -1;
  src = source_spec (c, top, raw);
  if (src == NULL || h2k_publish_begin (dest, &p) == -1)
    return -1;
  /* qemu-img creates the output itself, over our temporary file. */
  close (p.fd);
  p.fd = -1;
  argv[i++] = "qemu-img";
  argv[i++] = "convert";
  if (progress)
    argv[i++] = "-p";
  argv[i++] = "-O";
  argv[i++] = "qcow2";
  argv[i++] = src;
  argv[i++] = p.tmp;
  argv[i] = NULL;
  h2k_info ("collapsing %zu images from %s into %s", c->n, c->nodes[0].path, dest);
  if (h2k_run_ok (argv, 0, &res) == -1 || check_result (c, p.tmp) == -1)
    return -1;
  return h2k_publish_commit (&p);
}
