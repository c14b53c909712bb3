/* h2k-fix-linux: --format table, the plan as a reviewer reads it.
 *
 * One numbered entry per plan item of this run: its action and id, why,
 * the guest files it touches, and what exactly it does (the lines it
 * edits, the file it writes, the files it copies, the command argv it
 * runs).  Rendered from the manifest alone.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "report.h"
#include "fix.h"

static const char *
str (json_object *o, const char *key)
{
  return h2k_json_get_string (o, key);
}

/* Append S to the string list FILES unless it is there already. */
static int
add_unique (json_object *files, const char *s)
{
  size_t n = json_object_array_length (files);

  if (s == NULL)
    return 0;
  for (size_t i = 0; i < n; ++i)
    if (strcmp (json_object_get_string (json_object_array_get_idx (files, i)), s) == 0)
      return 0;
  if (json_object_array_add (files, json_object_new_string (s)) != 0) {
    h2k_error ("out of memory");
    return -1;
  }
  return 0;
}

static int
add_all (json_object *files, json_object *arr, const char *key)
{
  size_t n = arr ? json_object_array_length (arr) : 0;

  for (size_t i = 0; i < n; ++i) {
    json_object *e = json_object_array_get_idx (arr, i);
    if (add_unique (files, key ? str (e, key) : json_object_get_string (e)) == -1)
      return -1;
  }
  return 0;
}

/* Every guest file ITEM touches, as one string "a, b" (caller frees). */
static char *
touched_files (json_object *item)
{
  CLEANUP_JSON json_object *files = json_object_new_array ();
  json_object *d = h2k_json_get_object (item, "details");
  char *buf = NULL;
  size_t len = 0, n;
  FILE *fp;

  if (files == NULL ||
      add_all (files, h2k_json_get_array (item, "files"), NULL) == -1 ||
      add_unique (files, str (d, "path")) == -1 ||
      add_all (files, h2k_json_get_array (d, "outputs"), NULL) == -1 ||
      add_all (files, h2k_json_get_array (d, "copies"), "to") == -1)
    return NULL;
  fp = open_memstream (&buf, &len);
  if (fp == NULL) {
    h2k_error ("open_memstream: %m");
    return NULL;
  }
  n = json_object_array_length (files);
  for (size_t i = 0; i < n; ++i)
    fprintf (fp, "%s%s", i ? ", " : "",
             json_object_get_string (json_object_array_get_idx (files, i)));
  if (n == 0)
    fputs ("-", fp);
  if (fclose (fp) != 0) {
    free (buf);
    h2k_error ("%m");
    return NULL;
  }
  return buf;
}

/* Rows for what ITEM does, by action. */
static int
add_edits (struct h2k_table *t, json_object *d)
{
  json_object *edits = h2k_json_get_array (d, "edits");
  size_t n = edits ? json_object_array_length (edits) : 0;

  for (size_t i = 0; i < n; ++i) {
    json_object *e = json_object_array_get_idx (edits, i);
    const char *new_line = str (e, "new");
    CLEANUP_FREE char *key = NULL, *old = NULL, *repl = NULL;

    if (asprintf (&key, "line %d", (int) h2k_json_get_int (e, "line", 0)) == -1 ||
        asprintf (&old, "- %s", str (e, "old") ?: "") == -1 ||
        (new_line && asprintf (&repl, "+ %s", new_line) == -1)) {
      h2k_error ("%m");
      return -1;
    }
    if (h2k_table_add (t, (const char *[]) { key, old }) == -1 ||
        (repl && h2k_table_add (t, (const char *[]) { "", repl }) == -1) ||
        (!repl && h2k_table_add (t, (const char *[]) { "", "(deleted)" }) == -1))
      return -1;
  }
  return 0;
}

static int
add_copies (struct h2k_table *t, json_object *d)
{
  json_object *copies = h2k_json_get_array (d, "copies");
  size_t n = copies ? json_object_array_length (copies) : 0;

  for (size_t i = 0; i < n; ++i) {
    json_object *c = json_object_array_get_idx (copies, i);
    CLEANUP_FREE char *s = NULL;

    if (asprintf (&s, "%s -> %s", str (c, "from") ?: "?", str (c, "to") ?: "?") == -1) {
      h2k_error ("%m");
      return -1;
    }
    if (h2k_table_add (t, (const char *[]) { "copy", s }) == -1)
      return -1;
  }
  return 0;
}

static int
add_write (struct h2k_table *t, json_object *d)
{
  const char *content = str (d, "content");
  size_t lines = 0, len = content ? strlen (content) : 0;
  CLEANUP_FREE char *s = NULL;

  for (size_t i = 0; i < len; ++i)
    lines += content[i] == '\n';
  if (asprintf (&s, "%s (%zu bytes, %zu lines)", str (d, "path") ?: "?",
                len, lines) == -1) {
    h2k_error ("%m");
    return -1;
  }
  return h2k_table_add (t, (const char *[]) { "write", s });
}

static int
add_argv (struct h2k_table *t, const char *key, json_object *argv)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);
  int r;

  if (fp == NULL) {
    h2k_error ("open_memstream: %m");
    return -1;
  }
  h2k_print_argv (fp, argv);
  if (fclose (fp) != 0) {
    free (buf);
    h2k_error ("%m");
    return -1;
  }
  r = h2k_table_add (t, (const char *[]) { key, buf });
  free (buf);
  return r;
}

static int
add_details (struct h2k_table *t, json_object *item)
{
  const char *action = str (item, "action");
  json_object *d = h2k_json_get_object (item, "details");

  if (strcmp (action, "edit-lines") == 0)
    return add_edits (t, d);
  if (strcmp (action, "write-file") == 0)
    return add_write (t, d);
  if (strcmp (action, "copy-file") == 0)
    return add_copies (t, d);
  if (strcmp (action, "remove-file") == 0)
    return h2k_table_add (t, (const char *[]) { "remove", str (d, "path") });
  if (strcmp (action, "command") == 0)
    return add_argv (t, "run", h2k_json_get_array (d, "argv"));
  if (strcmp (action, "fstrim") == 0)
    return add_argv (t, "fstrim", h2k_json_get_array (d, "mountpoints"));
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
fix_render_plan (FILE *fp, json_object *m, const void *opaque)
{
  const struct fix_report *rep = opaque;
  json_object *plan = h2k_json_get_array (m, "plan");
  size_t n = plan ? json_object_array_length (plan) : 0;
  size_t first = rep->first < n ? rep->first : n;

  fprintf (fp, "Plan for %s: %zu change%s (%s)\n",
           str (h2k_json_get_object (m, "vm"), "name"), n - first,
           n - first == 1 ? "" : "s",
           rep->dry_run ? "dry run: nothing was changed" : "applied");
  if (n == first)
    fputs ("  nothing to change\n", fp);
  for (size_t i = first; i < n; ++i) {
    fputc ('\n', fp);
    if (print_item (fp, i - first + 1, json_object_array_get_idx (plan, i)) == -1)
      return -1;
  }
  return 0;
}
