/* h2k-fix-linux: the planners' helpers: text edits, edit-lines and
 * command details, device names to filesystems.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-linux.h"

/* Start and length of line LINE in TEXT (without its newline). */
static const char *
find_line (const char *text, int line, size_t *len)
{
  const char *p = text;

  if (line < 1)
    return NULL;
  for (int i = 1; i < line && p; ++i) {
    p = strchr (p, '\n');
    if (p)
      p++;
  }
  if (p == NULL || (*p == '\0' && line > 1))
    return NULL;
  *len = strcspn (p, "\n");
  return p;
}

char *
text_line (const char *text, int line)
{
  size_t len;
  const char *p = find_line (text, line, &len);

  return p ? strndup (p, len) : NULL;
}

char *
text_replace_line (const char *text, int line, const char *replacement)
{
  size_t len;
  const char *p = find_line (text, line, &len);
  char *r;

  if (p == NULL) {
    h2k_error ("line %d: no such line", line);
    return NULL;
  }
  if (replacement) {
    if (asprintf (&r, "%.*s%s%s", (int) (p - text), text, replacement, p + len) == -1)
      r = NULL;
  }
  else {
    const char *next = p[len] == '\n' ? p + len + 1 : p + len;
    if (asprintf (&r, "%.*s%s", (int) (p - text), text, next) == -1)
      r = NULL;
  }
  if (r == NULL)
    h2k_error ("out of memory");
  return r;
}

char *
replace_field (const char *line, int field, const char *new_field)
{
  const char *p = line;
  size_t flen;
  char *r;

  for (int i = 0; ; ++i) {
    p += strspn (p, " \t");
    flen = strcspn (p, " \t");
    if (i == field || *p == '\0')
      break;
    p += flen;
  }
  if (*p == '\0') {
    h2k_error ("no field %d in \"%s\"", field + 1, line);
    return NULL;
  }
  if (asprintf (&r, "%.*s%s%s", (int) (p - line), line, new_field, p + flen) == -1) {
    h2k_error ("out of memory");
    return NULL;
  }
  return r;
}

/* Disk index and partition suffix of a guest device name. */
static int
parse_device (const char *spec, int *disk, const char **part)
{
  const char *p;

  if (strncmp (spec, "/dev/nvme", 9) == 0) {
    char *end;
    long k = strtol (spec + 9, &end, 10);
    if (end == spec + 9 || strncmp (end, "n1", 2) != 0)
      return -1;
    *disk = (int) k;
    *part = end[2] == 'p' ? end + 3 : end + 2;
    return 0;
  }
  if (strncmp (spec, "/dev/sd", 7) == 0 || strncmp (spec, "/dev/hd", 7) == 0 ||
      strncmp (spec, "/dev/vd", 7) == 0)
    p = spec + 7;
  else if (strncmp (spec, "/dev/xvd", 8) == 0)
    p = spec + 8;
  else
    return -1;
  if (*p < 'a' || *p > 'z')
    return -1;
  *disk = *p - 'a';
  *part = p + 1;
  return 0;
}

json_object *
filesystem_for_device (struct fix *f, const char *spec)
{
  json_object *fss = h2k_json_get_array (f->guest, "filesystems");
  CLEANUP_FREE char *dev = NULL;
  const char *part;
  int disk;

  if (parse_device (spec, &disk, &part) == -1 || disk > 25 ||
      asprintf (&dev, "/dev/sd%c%s", 'a' + disk, part) == -1)
    return NULL;
  for (size_t i = 0; fss && i < json_object_array_length (fss); ++i) {
    json_object *fs = json_object_array_get_idx (fss, i);
    if (strcmp (h2k_json_get_string (fs, "device"), dev) == 0)
      return fs;
  }
  return NULL;
}

char *
stable_spec (json_object *fs)
{
  const char *uuid = h2k_json_get_string (fs, "uuid");
  const char *partuuid = h2k_json_get_string (fs, "partuuid");
  char *r = NULL;

  if (uuid && asprintf (&r, "UUID=%s", uuid) == -1)
    r = NULL;
  else if (!uuid && partuuid && asprintf (&r, "PARTUUID=%s", partuuid) == -1)
    r = NULL;
  return r;
}

json_object *
edit_details (const char *path)
{
  json_object *d = json_object_new_object ();

  if (d == NULL || h2k_json_set_string (d, "path", path) == -1 ||
      h2k_json_set (d, "edits", json_object_new_array ()) == -1) {
    json_object_put (d);
    return NULL;
  }
  return d;
}

static int
by_line (const void *a, const void *b)
{
  int64_t x = h2k_json_get_int (*(json_object *const *) a, "line", 0);
  int64_t y = h2k_json_get_int (*(json_object *const *) b, "line", 0);

  return x < y ? -1 : x > y;
}

int
edit_add (json_object *details, int line, const char *old, const char *new_line)
{
  json_object *edits = h2k_json_get_array (details, "edits");
  json_object *e = json_object_new_object ();

  if (h2k_json_array_add (edits, e) == -1 ||
      h2k_json_set_int (e, "line", line) == -1 ||
      h2k_json_set_string (e, "old", old) == -1 ||
      (new_line && h2k_json_set_string (e, "new", new_line) == -1))
    return -1;
  /* Keep the edits in line order: apply_edit_lines works bottom up so
   * that a deletion does not move the lines still to edit, which needs
   * them sorted (plan_ifcfg_pin adds HWADDR before MACADDR, whatever
   * their lines).
   */
  json_object_array_sort (edits, by_line);
  return 0;
}

json_object *
command_details (const char *const *argv, const char *const *backups,
                 const char *const *outputs)
{
  json_object *d = json_object_new_object ();

  if (d == NULL || h2k_json_set (d, "argv", h2k_json_strv (argv)) == -1 ||
      h2k_json_set (d, "backups", h2k_json_strv (backups)) == -1 ||
      h2k_json_set (d, "outputs", h2k_json_strv (outputs)) == -1) {
    json_object_put (d);
    return NULL;
  }
  return d;
}
