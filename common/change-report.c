/* h2k: the fixers' --format table, the plan as a reviewer reads it
 * (change.h).
 *
 * One numbered entry per plan item of this run: its action and id, why,
 * the guest files it touches, and what exactly it does: for
 * h2k-fix-linux the lines it edits, the file it writes or removes, the
 * files it copies, the command argv it runs, the filesystems it trims;
 * for h2k-fix-windows the file it uploads, the packages it stages, the
 * registry values it sets or deletes, the first-boot files it writes, the
 * file it backs up.  Rendered from the manifest alone.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "report.h"

/* Longest registry binary value shown, in hex digits. */
#define MAX_HEX_SHOWN 64

static const char *
str (json_object *o, const char *key)
{
  return h2k_json_get_string (o, key);
}

static json_object *
idx (json_object *arr, size_t i)
{
  return json_object_array_get_idx (arr, i);
}

/* Add the row {KEY, printf (FS, ...)} to T. */
static int row (struct h2k_table *t, const char *key, const char *fs, ...)
  __attribute__((format (printf, 3, 4)));

static int
row (struct h2k_table *t, const char *key, const char *fs, ...)
{
  CLEANUP_FREE char *s = NULL;
  va_list args;
  int r;

  va_start (args, fs);
  r = vasprintf (&s, fs, args);
  va_end (args);
  if (r == -1) {
    s = NULL;
    h2k_error ("out of memory");
    return -1;
  }
  return h2k_table_add (t, (const char *[]) { key, s });
}

/* A cell written with stdio: cell_open, fprintf (c.fp, ...), then
 * cell_close for its text or cell_row to add it to a table.
 */
struct cell {
  char *buf;
  size_t size;
  FILE *fp;
};

static int
cell_open (struct cell *c)
{
  c->buf = NULL;
  c->size = 0;
  c->fp = open_memstream (&c->buf, &c->size);
  if (c->fp == NULL) {
    h2k_error ("open_memstream: %m");
    return -1;
  }
  return 0;
}

/* The text written (caller frees), or NULL reported. */
static char *
cell_close (struct cell *c)
{
  if (fclose (c->fp) != 0) {
    free (c->buf);
    h2k_error ("%m");
    return NULL;
  }
  return c->buf;
}

/* Add the row {KEY, the text written} to T. */
static int
cell_row (struct h2k_table *t, const char *key, struct cell *c)
{
  CLEANUP_FREE char *text = cell_close (c);

  return text ? h2k_table_add (t, (const char *[]) { key, text }) : -1;
}

static int
add_all (json_object *files, json_object *arr, const char *key)
{
  for (size_t i = 0; i < h2k_json_array_len (arr); ++i) {
    json_object *e = idx (arr, i);
    if (h2k_json_array_add_unique (files, key ? str (e, key) : json_object_get_string (e)) == -1)
      return -1;
  }
  return 0;
}

/* Every guest file ITEM touches, as one string "a, b" (caller frees).
 * A backup-file item's details.path is what it reads, not a file it
 * touches.
 */
static char *
touched_files (json_object *item)
{
  CLEANUP_JSON json_object *files = json_object_new_array ();
  json_object *d = h2k_json_get_object (item, "details");
  int backup = strcmp (str (item, "action") ?: "", "backup-file") == 0;
  struct cell c;

  if (files == NULL ||
      add_all (files, h2k_json_get_array (item, "files"), NULL) == -1 ||
      (!backup && h2k_json_array_add_unique (files, str (d, "path")) == -1) ||
      add_all (files, h2k_json_get_array (d, "outputs"), NULL) == -1 ||
      add_all (files, h2k_json_get_array (d, "copies"), "to") == -1)
    return NULL;
  if (cell_open (&c) == -1)
    return NULL;
  for (size_t i = 0; i < h2k_json_array_len (files); ++i)
    fprintf (c.fp, "%s%s", i ? ", " : "", json_object_get_string (idx (files, i)));
  if (h2k_json_array_len (files) == 0)
    fputs ("-", c.fp);
  return cell_close (&c);
}

/* ---- h2k-fix-linux's actions */

static int
add_edits (struct h2k_table *t, json_object *d)
{
  json_object *edits = h2k_json_get_array (d, "edits");

  for (size_t i = 0; i < h2k_json_array_len (edits); ++i) {
    json_object *e = idx (edits, i);
    const char *new_line = str (e, "new");
    CLEANUP_FREE char *key = NULL;

    if (asprintf (&key, "line %d", (int) h2k_json_get_int (e, "line", 0)) == -1) {
      h2k_error ("out of memory");
      return -1;
    }
    if (row (t, key, "- %s", str (e, "old") ?: "") == -1 ||
        (new_line ? row (t, "", "+ %s", new_line)
                  : row (t, "", "(deleted)")) == -1)
      return -1;
  }
  return 0;
}

/* Linux: details.copies [{from, to}]; Windows: details {device, from},
 * the target being the item's file.
 */
static int
add_copies (struct h2k_table *t, json_object *item, json_object *d)
{
  json_object *copies = h2k_json_get_array (d, "copies");
  json_object *files = h2k_json_get_array (item, "files");

  if (copies == NULL)
    return row (t, "copy", "%s -> %s%s%s", str (d, "from") ?: "?",
                h2k_json_array_len (files) ? json_object_get_string (idx (files, 0)) : "?",
                str (d, "device") ? " on " : "", str (d, "device") ?: "");
  for (size_t i = 0; i < h2k_json_array_len (copies); ++i) {
    json_object *c = idx (copies, i);
    if (row (t, "copy", "%s -> %s", str (c, "from") ?: "?", str (c, "to") ?: "?") == -1)
      return -1;
  }
  return 0;
}

static int
add_write (struct h2k_table *t, json_object *d)
{
  const char *content = str (d, "content");
  size_t lines = 0, size = content ? strlen (content) : 0;

  for (size_t i = 0; i < size; ++i)
    lines += content[i] == '\n';
  return row (t, "write", "%s (%zu bytes, %zu lines)", str (d, "path") ?: "?",
              size, lines);
}

static int
add_argv (struct h2k_table *t, const char *key, json_object *argv)
{
  struct cell c;

  if (cell_open (&c) == -1)
    return -1;
  h2k_print_argv (c.fp, argv);
  return cell_row (t, key, &c);
}

/* ---- h2k-fix-windows's actions */

static int
add_upload (struct h2k_table *t, json_object *d)
{
  return row (t, "upload", "%s (from %s)", str (d, "path") ?: "?",
              str (d, "source") ?: "?");
}

static int
add_stage (struct h2k_table *t, json_object *item, json_object *d)
{
  json_object *pkgs = h2k_json_get_array (d, "packages");
  json_object *files = h2k_json_get_array (item, "files");

  if (row (t, "from", "%s", str (d, "virtio_win") ?: "?") == -1)
    return -1;
  for (size_t i = 0; i < h2k_json_array_len (pkgs); ++i) {
    json_object *p = idx (pkgs, i);
    if (row (t, "package", "%s (%s)", str (p, "driver") ?: "?",
             str (p, "source") ?: "?") == -1)
      return -1;
  }
  return row (t, "stage", "%zu file%s into %s", h2k_json_array_len (h2k_json_get_array (d, "files")),
              h2k_json_array_len (h2k_json_get_array (d, "files")) == 1 ? "" : "s",
              h2k_json_array_len (files) ? json_object_get_string (idx (files, 0)) : "?");
}

/* A registry value's {type, value} as text: dword 4, sz "x",
 * multi_sz ["a", "b"], binary 01ff (cut after MAX_HEX_SHOWN digits).
 */
static void
print_value (FILE *fp, const char *type, json_object *v)
{
  fprintf (fp, "%s ", type);
  if (v == NULL)
    fputs ("?", fp);
  else if (json_object_is_type (v, json_type_array)) {
    fputc ('[', fp);
    for (size_t i = 0; i < h2k_json_array_len (v); ++i)
      fprintf (fp, "%s\"%s\"", i ? ", " : "", json_object_get_string (idx (v, i)));
    fputc (']', fp);
  }
  else if (strcmp (type, "binary") == 0) {
    const char *hex = json_object_get_string (v);
    int cut = strlen (hex) > MAX_HEX_SHOWN;
    fprintf (fp, "%.*s%s", MAX_HEX_SHOWN, hex, cut ? "..." : "");
  }
  else if (json_object_is_type (v, json_type_string))
    fprintf (fp, "\"%s\"", json_object_get_string (v));
  else
    fputs (json_object_get_string (v), fp);
}

static int
add_value (struct h2k_table *t, const char *hive, json_object *v)
{
  const char *type = str (v, "type") ?: "?";
  const char *name = str (v, "name") ?: "";
  int del = strcmp (type, "delete") == 0;
  struct cell c;

  if (cell_open (&c) == -1)
    return -1;
  fprintf (c.fp, "HKLM\\%s\\%s: %s", hive, str (v, "key") ?: "?",
           *name ? name : "(default)");
  if (!del) {
    fputs (" = ", c.fp);
    print_value (c.fp, type, h2k_json_get (v, "value"));
  }
  return cell_row (t, del ? "delete" : "set", &c);
}

static int
add_registry (struct h2k_table *t, json_object *d)
{
  json_object *values = h2k_json_get_array (d, "values");

  for (size_t i = 0; i < h2k_json_array_len (values); ++i)
    if (add_value (t, str (d, "hive") ?: "?", idx (values, i)) == -1)
      return -1;
  return 0;
}

/* A static interface carried over: MAC (how it was found): addresses. */
static int
add_network (struct h2k_table *t, json_object *nic)
{
  json_object *addrs = h2k_json_get_array (nic, "addresses");
  struct cell c;

  if (cell_open (&c) == -1)
    return -1;
  fprintf (c.fp, "%s (%s):", str (nic, "mac") ?: "?", str (nic, "mac_from") ?: "?");
  for (size_t i = 0; i < h2k_json_array_len (addrs); ++i)
    fprintf (c.fp, " %s", json_object_get_string (idx (addrs, i)));
  return cell_row (t, "network", &c);
}

static int
add_firstboot (struct h2k_table *t, json_object *d)
{
  json_object *files = h2k_json_get_array (d, "files");
  json_object *net = h2k_json_get_array (d, "network");
  json_object *skipped = h2k_json_get_array (d, "network_skipped");

  if (row (t, "at boot", "%s", str (d, "cmdline") ?: "?") == -1)
    return -1;
  for (size_t i = 0; i < h2k_json_array_len (files); ++i)
    if (row (t, "write", "%s", str (idx (files, i), "path") ?: "?") == -1)
      return -1;
  for (size_t i = 0; i < h2k_json_array_len (net); ++i)
    if (add_network (t, idx (net, i)) == -1)
      return -1;
  for (size_t i = 0; i < h2k_json_array_len (skipped); ++i)
    if (row (t, "skipped", "%s: its MAC is unknown, static address not carried over",
             str (idx (skipped, i), "guid") ?: "?") == -1)
      return -1;
  return 0;
}

static int
add_backup (struct h2k_table *t, json_object *d)
{
  return row (t, "backup", "%s%s%s -> %s", str (d, "path") ?: "?",
              str (d, "device") ? " on " : "", str (d, "device") ?: "",
              str (d, "backup") ?: "?");
}

static int
add_details (struct h2k_table *t, json_object *item)
{
  const char *action = str (item, "action") ?: "";
  json_object *d = h2k_json_get_object (item, "details");

  if (strcmp (action, "edit-lines") == 0)
    return add_edits (t, d);
  if (strcmp (action, "write-file") == 0)
    return add_write (t, d);
  if (strcmp (action, "copy-file") == 0)
    return add_copies (t, item, d);
  if (strcmp (action, "remove-file") == 0)
    return h2k_table_add (t, (const char *[]) { "remove", str (d, "path") });
  if (strcmp (action, "command") == 0)
    return add_argv (t, "run", h2k_json_get_array (d, "argv"));
  if (strcmp (action, "fstrim") == 0)
    return add_argv (t, "fstrim", h2k_json_get_array (d, "mountpoints"));
  if (strcmp (action, "upload-file") == 0)
    return add_upload (t, d);
  if (strcmp (action, "stage-files") == 0)
    return add_stage (t, item, d);
  if (strcmp (action, "set-registry") == 0)
    return add_registry (t, d);
  if (strcmp (action, "write-firstboot") == 0)
    return add_firstboot (t, d);
  if (strcmp (action, "backup-file") == 0)
    return add_backup (t, d);
  return 0;
}

static int
print_item (FILE *fp, size_t number, json_object *item)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (2);
  CLEANUP_FREE char *files = touched_files (item);

  if (t == NULL || files == NULL ||
      h2k_table_add (t, (const char *[]) { "why", str (item, "reason") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "files", files }) == -1 ||
      add_details (t, item) == -1)
    return -1;
  fprintf (fp, "%3zu. %s [%s]\n", number, str (item, "action"), str (item, "id"));
  h2k_table_print (t, fp, "     ");
  return 0;
}

int
h2k_render_plan (FILE *fp, json_object *m, const void *opaque)
{
  const struct h2k_plan_report *rep = opaque;
  json_object *plan = h2k_json_get_array (m, "plan");
  size_t n = h2k_json_array_len (plan);
  size_t first = rep->first < n ? rep->first : n;

  fprintf (fp, "Plan for %s: %zu change%s (%s)\n",
           str (h2k_json_get_object (m, "vm"), "name"), n - first,
           n - first == 1 ? "" : "s",
           rep->dry_run ? "dry run: nothing was changed" : "applied");
  if (n == first)
    fputs ("  nothing to change\n", fp);
  for (size_t i = first; i < n; ++i) {
    fputc ('\n', fp);
    if (print_item (fp, i - first + 1, idx (plan, i)) == -1)
      return -1;
  }
  return 0;
}
