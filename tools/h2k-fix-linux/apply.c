/* h2k-fix-linux: the appliers.  Every change to the guest goes through
 * one of these, and each backs up what it replaces and records the change
 * with before/after digests.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-linux.h"

#define MAX_EDIT_FILE (4 << 20)

static json_object *
details (json_object *item)
{
  return h2k_json_get_object (item, "details");
}

/* details: {path, edits: [{line, old, new}]}, new absent = delete.  Each
 * line must still read "old": the plan was made from this very file.
 */
int
apply_edit_lines (struct fix *f, json_object *item)
{
  json_object *d = details (item);
  const char *path = h2k_json_get_string (d, "path");
  json_object *edits = h2k_json_get_array (d, "edits");
  CLEANUP_FREE char *text = h2k_guest_read_text (f->fx.g, path, MAX_EDIT_FILE);
  size_t n = edits ? json_object_array_length (edits) : 0;

  if (text == NULL) {
    h2k_error ("%s: cannot read it to edit", path);
    return -1;
  }
  /* Bottom up, so deletions do not move the lines still to edit. */
  for (size_t i = n; i-- > 0;) {
    json_object *e = json_object_array_get_idx (edits, i);
    int line = (int) h2k_json_get_int (e, "line", 0);
    const char *old = h2k_json_get_string (e, "old");
    CLEANUP_FREE char *cur = text_line (text, line);
    char *next;

    if (cur == NULL || old == NULL || strcmp (cur, old) != 0) {
      h2k_error ("%s: line %d changed since it was planned", path, line);
      return -1;
    }
    next = text_replace_line (text, line, h2k_json_get_string (e, "new"));
    if (next == NULL)
      return -1;
    free (text);
    text = next;
  }
  return h2k_fixer_write (&f->fx, item, "edit", path, NULL, text, NULL);
}

/* details: {path, content} */
int
apply_write_file (struct fix *f, json_object *item)
{
  json_object *d = details (item);

  return h2k_fixer_write (&f->fx, item, "write", h2k_json_get_string (d, "path"),
                          NULL, h2k_json_get_string (d, "content"), NULL);
}

/* details: {path} */
int
apply_remove_file (struct fix *f, json_object *item)
{
  const char *path = h2k_json_get_string (details (item), "path");
  CLEANUP_FREE char *before = NULL, *backup = NULL;

  if (h2k_fixer_backup (&f->fx, path, &before, &backup) == -1)
    return -1;
  if (before == NULL)
    return 0;
  if (guestfs_rm (f->fx.g, path) == -1)
    return -1;
  return h2k_fixer_record (&f->fx, item, "remove", path, before, NULL, backup, NULL)
         ? 0 : -1;
}

/* details: {copies: [{from, to}]}: an existing target is backed up. */
int
apply_copy_file (struct fix *f, json_object *item)
{
  json_object *copies = h2k_json_get_array (details (item), "copies");

  for (size_t i = 0; copies && i < json_object_array_length (copies); ++i) {
    json_object *c = json_object_array_get_idx (copies, i);
    const char *from = h2k_json_get_string (c, "from");
    const char *to = h2k_json_get_string (c, "to");

    if (h2k_fixer_copy (&f->fx, item, "copy", from, to) == -1)
      return -1;
  }
  return 0;
}

/* details: {argv: [...], backups: [paths], outputs: [paths]}: back up the
 * files the command will replace (previous initramfs images, grub.cfg),
 * run it in the guest, record each output's digests (and its backup).
 */
int
apply_command (struct fix *f, json_object *item)
{
  json_object *d = details (item);
  json_object *jargv = h2k_json_get_array (d, "argv");
  json_object *backups = h2k_json_get_array (d, "backups");
  json_object *outputs = h2k_json_get_array (d, "outputs");
  size_t n = jargv ? json_object_array_length (jargv) : 0;
  size_t no = outputs ? json_object_array_length (outputs) : 0;
  CLEANUP_FREE char **argv = calloc (n + 1, sizeof *argv);
  CLEANUP_FREE char *out = NULL;
  CLEANUP_JSON json_object *before = json_object_new_array ();

  if (argv == NULL || before == NULL || n == 0) {
    h2k_error ("%s: empty command", h2k_json_get_string (item, "id"));
    return -1;
  }
  for (size_t i = 0; i < n; ++i)
    argv[i] = (char *) json_object_get_string (json_object_array_get_idx (jargv, i));
  for (size_t i = 0; backups && i < json_object_array_length (backups); ++i) {
    CLEANUP_FREE char *b = NULL;
    const char *p = json_object_get_string (json_object_array_get_idx (backups, i));
    if (h2k_fixer_backup (&f->fx, p, NULL, &b) == -1)
      return -1;
  }
  for (size_t i = 0; i < no; ++i) {
    CLEANUP_FREE char *sum = h2k_guest_sha256 (f->fx.g, json_object_get_string (json_object_array_get_idx (outputs, i)));
    if (json_object_array_add (before, sum ? json_object_new_string (sum) : NULL) != 0)
      return -1;
  }
  h2k_info ("%s: running %s in the guest", h2k_json_get_string (item, "id"), argv[0]);
  out = guestfs_command (f->fx.g, argv);
  if (out == NULL)
    return -1;
  h2k_debug ("%s printed: %s", argv[0], out);
  if (no == 0)
    return h2k_fixer_record (&f->fx, item, "command", NULL, NULL, NULL, NULL,
                             h2k_json_strv ((const char *const *) argv)) ? 0 : -1;
  for (size_t i = 0; i < no; ++i) {
    const char *p = json_object_get_string (json_object_array_get_idx (outputs, i));
    CLEANUP_FREE char *after = h2k_guest_sha256 (f->fx.g, p), *bk = NULL;
    json_object *b = json_object_array_get_idx (before, i);
    if (b && h2k_json_array_has_string (backups, p) &&
        asprintf (&bk, "%s%s", f->fx.backup_dir, p) == -1) {
      h2k_error ("out of memory");
      return -1;
    }
    if (!h2k_fixer_record (&f->fx, item, "command", p,
                           b ? json_object_get_string (b) : NULL, after, bk,
                           h2k_json_strv ((const char *const *) argv)))
      return -1;
  }
  return 0;
}

/* details: {mountpoints: [...]}: discard the free space of each mounted
 * filesystem, so that h2k-convert copies less.  A filesystem that cannot
 * trim (no discard support) is skipped with a debug message.
 */
int
apply_fstrim (struct fix *f, json_object *item)
{
  json_object *mps = h2k_json_get_array (details (item), "mountpoints");

  for (size_t i = 0; mps && i < json_object_array_length (mps); ++i) {
    const char *mp = json_object_get_string (json_object_array_get_idx (mps, i));
    int r;

    guestfs_push_error_handler (f->fx.g, NULL, NULL);
    r = guestfs_fstrim (f->fx.g, mp, -1);
    guestfs_pop_error_handler (f->fx.g);
    if (r == -1) {
      h2k_debug ("%s: fstrim failed: %s", mp, guestfs_last_error (f->fx.g));
      continue;
    }
    if (!h2k_fixer_record (&f->fx, item, "fstrim", mp, NULL, NULL, NULL, NULL))
      return -1;
  }
  return 0;
}
