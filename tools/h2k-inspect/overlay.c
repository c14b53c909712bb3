/* h2k-inspect: qcow2 overlays, so that nothing ever writes a source.
 *
 * Every disk gets <workdir>/<id>-overlay.qcow2 backed by its current image
 * (with the backing format recorded in the overlay, so qemu never probes).
 * Later writers (the fixers) open only the overlay.  An overlay already
 * recorded and still backed by the current image is kept: rerunning
 * h2k-inspect must not throw away a fixer's work.  The backing file is
 * recorded with symbolic links resolved: a link repointed later (to a
 * rebuilt image, say) must not slide another base under the overlay.
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h2k.h"
#include "inspect.h"

static int
overlay_is_current (json_object *disk, const char *current)
{
  json_object *ov = h2k_json_get_object (disk, "overlay");
  const char *path = h2k_json_get_string (ov, "path");
  const char *backing = h2k_json_get_string (ov, "backing");

  return path && backing && strcmp (backing, current) == 0 &&
         access (path, R_OK) == 0;
}

static int
make_one (json_object *disk, size_t i, const char *workdir)
{
  json_object *cur = h2k_json_get_object (disk, "current");
  const char *given = h2k_json_get_string (cur, "path");
  const char *format = h2k_json_get_string (cur, "format");
  const char *id = h2k_json_get_string (disk, "id");
  struct h2k_publish p CLEANUP_PUBLISH = H2K_PUBLISH_INIT;
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  CLEANUP_FREE char *dest = NULL, *current = NULL;
  json_object *ov;

  if ((current = realpath (given, NULL)) == NULL ||
      access (current, R_OK) == -1) {
    h2k_error ("<stdin>: /disks/%zu/current/path: %s: %m", i, given);
    return -1;
  }
  /* qemu-img create opens the current image and what it names. */
  if (h2k_confine_disk (disk, i, "current") == -1)
    return -1;
  if (overlay_is_current (disk, current)) {
    h2k_debug ("%s: keeping overlay %s", id,
               h2k_json_get_string (h2k_json_get_object (disk, "overlay"), "path"));
    return 0;
  }
  if (asprintf (&dest, "%s/%s-overlay.qcow2", workdir, id) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (h2k_publish_begin (dest, &p) == -1)
    return -1;
  /* qemu-img create refuses nothing about an existing file: it replaces
   * our empty temporary file.  -b and -F, not -o backing_file=: a comma
   * in the path would end the option.
   */
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
                         "-b", current, "-F", h2k_qemu_format (format),
                         p.tmp, NULL };
  if (h2k_run_ok (argv, 0, &res) == -1 || h2k_publish_commit (&p) == -1)
    return -1;
  ov = json_object_new_object ();
  if (h2k_json_set (disk, "overlay", ov) == -1 ||
      h2k_json_set_string (ov, "path", dest) == -1 ||
      h2k_json_set_string (ov, "format", "qcow2") == -1 ||
      h2k_json_set_string (ov, "backing", current) == -1)
    return -1;
  h2k_info ("%s: overlay %s", id, dest);
  return 0;
}

int
make_overlays (json_object *m, const struct inspect_opts *o)
{
  json_object *disks = h2k_json_get_array (m, "disks");
  const char *workdir = h2k_json_get_string (m, "workdir");
  size_t n = json_object_array_length (disks);

  if (o->dry_run)
    return 0;
  if (workdir == NULL) {
    h2k_error ("<stdin>: /workdir: required to make overlays (set by h2k-fetch)");
    return -1;
  }
  if (h2k_mkdir_p (workdir) == -1)
    return -1;
  for (size_t i = 0; i < n; ++i)
    if (make_one (json_object_array_get_idx (disks, i), i, workdir) == -1)
      return -1;
  return 0;
}
