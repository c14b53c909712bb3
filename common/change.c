/* h2k: the fixers' plan and changes (change.h). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "change.h"
#include "cleanup.h"
#include "error.h"
#include "guest.h"
#include "manifest.h"
#include "util.h"

json_object *
h2k_fixer_plan (struct h2k_fixer *x, const char *action, const char *file,
                json_object *details, const char *fs, ...)
{
  json_object *item;
  va_list args;

  va_start (args, fs);
  item = h2k_plan_add (x->plan, x->tool, action, file, details, fs, args);
  va_end (args);
  return item;
}

void
h2k_fixer_print_plan (const struct h2k_fixer *x, size_t first)
{
  size_t n = json_object_array_length (x->plan);

  if (n == first)
    h2k_info ("plan: nothing to change");
  for (size_t i = first; i < n; ++i) {
    json_object *it = json_object_array_get_idx (x->plan, i);
    json_object *files = h2k_json_get_array (it, "files");
    const char *file = files && json_object_array_length (files)
      ? json_object_get_string (json_object_array_get_idx (files, 0)) : NULL;

    h2k_info ("plan %s: %s%s%s", h2k_json_get_string (it, "id"),
              file ? file : "", file ? ": " : "",
              h2k_json_get_string (it, "reason"));
  }
}

int
h2k_fixer_backup (struct h2k_fixer *x, const char *path, char **before,
                  char **backup)
{
  CLEANUP_FREE char *sum = NULL, *dir = NULL;

  *backup = NULL;
  if (before)
    *before = NULL;
  if (before ? (sum = h2k_guest_sha256 (x->g, path)) == NULL
             : !h2k_guest_is_file (x->g, path))
    return 0;                   /* nothing there: nothing to keep */
  if (asprintf (backup, "%s%s", x->backup_dir, path) == -1) {
    *backup = NULL;
    h2k_error ("out of memory");
    return -1;
  }
  if (!h2k_guest_is_file (x->g, *backup)) {  /* keep the first, original one */
    dir = h2k_dirname (*backup);
    if (dir == NULL || guestfs_mkdir_p (x->g, dir) == -1 ||
        guestfs_cp_a (x->g, path, *backup) == -1)
      return -1;
    h2k_debug ("backed up %s to %s", path, *backup);
  }
  if (before) {
    *before = sum;
    sum = NULL;
  }
  return 0;
}

json_object *
h2k_fixer_record (struct h2k_fixer *x, json_object *item, const char *action,
                  const char *path, const char *before, const char *after,
                  const char *backup, json_object *command)
{
  const char *id = h2k_json_get_string (item, "id");
  json_object *c = json_object_new_object ();

  if (h2k_json_array_add (x->changes, c) == -1) {
    json_object_put (command);
    return NULL;
  }
  if (h2k_json_set_string (c, "plan_id", id) == -1 ||
      h2k_json_set_string (c, "action", action) == -1 ||
      (path && h2k_json_set_string (c, "path", path) == -1) ||
      (before && h2k_json_set_string (c, "before_sha256", before) == -1) ||
      (after && h2k_json_set_string (c, "after_sha256", after) == -1) ||
      (backup && h2k_json_set_string (c, "backup", backup) == -1)) {
    json_object_put (command);
    return NULL;
  }
  if (command && h2k_json_set (c, "command", command) == -1)
    return NULL;
  h2k_info ("%s: %s%s%s", id, action, path ? " " : "", path ? path : "");
  return c;
}

/* Create the directory PATH will be in. */
static int
make_parent (guestfs_h *g, const char *path)
{
  CLEANUP_FREE char *dir = h2k_dirname (path);

  return dir == NULL || guestfs_mkdir_p (g, dir) == -1 ? -1 : 0;
}

int
h2k_fixer_write (struct h2k_fixer *x, json_object *item, const char *action,
                 const char *path, const char *local, const char *text,
                 const char *sha256)
{
  CLEANUP_FREE char *before = NULL, *after = NULL, *backup = NULL;
  int r;

  if (h2k_fixer_backup (x, path, &before, &backup) == -1 ||
      make_parent (x->g, path) == -1)
    return -1;
  r = local ? guestfs_upload (x->g, local, path)
            : guestfs_write (x->g, path, text, strlen (text));
  if (r == -1 || (after = h2k_guest_sha256 (x->g, path)) == NULL)
    return -1;
  if (sha256 && strcasecmp (after, sha256) != 0) {
    h2k_error ("%s: the file written does not read back as %s", path, sha256);
    return -1;
  }
  return h2k_fixer_record (x, item, action, path, before, after, backup, NULL)
         ? 0 : -1;
}

int
h2k_fixer_copy (struct h2k_fixer *x, json_object *item, const char *action,
                const char *from, const char *to)
{
  CLEANUP_FREE char *before = NULL, *after = NULL, *backup = NULL;

  if (h2k_fixer_backup (x, to, &before, &backup) == -1 ||
      make_parent (x->g, to) == -1 || guestfs_cp (x->g, from, to) == -1 ||
      (after = h2k_guest_sha256 (x->g, to)) == NULL)
    return -1;
  return h2k_fixer_record (x, item, action, to, before, after, backup, NULL)
         ? 0 : -1;
}
