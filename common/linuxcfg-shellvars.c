/* h2k: shell-variable files (ifcfg-*, /etc/default/grub, os-release). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

static int
is_name_start (int c)
{
  return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_name_char (int c)
{
  return is_name_start (c) || (c >= '0' && c <= '9');
}

static int
add_ignored (json_object *ign, int lineno, const char *text,
             const char *reason)
{
  json_object *o = json_object_new_object ();

  if (h2k_lc_array_add (ign, o) == -1 ||
      h2k_lc_add_int (o, "line", lineno) == -1 ||
      h2k_lc_add_str (o, "text", text) == -1 ||
      h2k_lc_add_str (o, "reason", reason) == -1)
    return -1;
  return 0;
}

/* Parse one line.  Returns 1 with *KEY (pointing into LINE, NUL-terminated)
 * and *VALUE (caller frees) for an assignment (*APPEND set for KEY+=), 0 for nothing (comment or
 * blank), 2 with *REASON for a line to ignore, -1 out of memory.
 */
static int
parse_line (char *line, char **key, char **value, int *dynamic,
            int *append, const char **reason)
{
  const char *p = h2k_lc_skip_blank (line);
  char *k, *word = NULL;
  int r;

  *value = NULL;
  if (*p == '\0' || *p == '#')
    return 0;
  if (strncmp (p, "export", 6) == 0 && h2k_lc_is_blank (p[6]))
    p = h2k_lc_skip_blank (p + 6);
  if (!is_name_start (*p)) {
    *reason = "not an assignment";
    return 2;
  }
  k = (char *) p;
  while (is_name_char (*p))
    p++;
  *append = p[0] == '+' && p[1] == '=';
  if (*append)
    *(char *) p++ = '\0';
  else if (*p != '=') {
    *reason = "not an assignment";
    return 2;
  }
  *(char *) p++ = '\0';
  *key = k;
  if (*p == '\0' || h2k_lc_is_blank (*p)) {
    word = strdup ("");
    if (word == NULL)
      return -1;
  }
  else {
    r = h2k_lc_shell_word (&p, &word, dynamic, reason, ';');
    if (r == -1) {
      if (strcmp (*reason, "out of memory") == 0)
        return -1;
      return 2;
    }
    if (r == 0) {               /* KEY=# is a value "#"... in shell */
      word = strdup (p);
      if (word == NULL)
        return -1;
      p += strlen (p);
    }
  }
  p = h2k_lc_skip_blank (p);
  if (*p != '\0' && *p != '#') {
    free (word);
    *reason = "not a single assignment (more words or commands follow)";
    return 2;
  }
  *value = word;
  return 1;
}

json_object *
h2k_linuxcfg_shellvars (const char *text, size_t len, const char *name)
{
  struct h2k_lc_text t;
  CLEANUP_JSON json_object *root = json_object_new_object ();
  CLEANUP_JSON json_object *dyn = json_object_new_object ();
  json_object *vars = json_object_new_object ();
  json_object *lines = json_object_new_object ();
  json_object *dynarr = json_object_new_array ();
  json_object *ign = json_object_new_array ();
  json_object *ret = NULL;
  size_t i, count = 0;

  if (root == NULL || dyn == NULL ||
      json_object_object_add (root, "vars", vars) != 0 ||
      json_object_object_add (root, "lines", lines) != 0 ||
      json_object_object_add (root, "dynamic", dynarr) != 0 ||
      json_object_object_add (root, "ignored", ign) != 0) {
    h2k_lc_oom (name);
    return NULL;
  }
  if (h2k_lc_text_split (text, len, name, &t) == -1)
    return NULL;
  for (i = 0; i < t.n; ++i) {
    CLEANUP_FREE char *copy = strdup (t.lines[i]);
    CLEANUP_FREE char *value = NULL;
    char *key = NULL;
    const char *reason = NULL;
    int dynamic = 0, append = 0, r;

    if (copy == NULL)
      goto oom;
    r = parse_line (copy, &key, &value, &dynamic, &append, &reason);
    if (r == -1)
      goto oom;
    if (r == 0)
      continue;
    if (++count > LINUXCFG_MAX_ENTRIES) {
      h2k_lc_error (name, (int) i + 1, "too many assignments (at most %d)",
                LINUXCFG_MAX_ENTRIES);
      goto out;
    }
    if (r == 2) {
      if (add_ignored (ign, (int) i + 1, t.lines[i], reason) == -1)
        goto oom;
      continue;
    }
    if (append) {               /* KEY+=VALUE (dracut.conf) */
      json_object *old;
      if (json_object_object_get_ex (vars, key, &old)) {
        char *both = NULL;
        if (asprintf (&both, "%s%s", json_object_get_string (old), value)
            == -1)
          goto oom;
        free (value);
        value = both;
      }
      if (json_object_get_boolean (json_object_object_get (dyn, key)))
        dynamic = 1;
    }
    if (h2k_lc_add_str (vars, key, value) == -1 ||
        h2k_lc_add_int (lines, key, (int) i + 1) == -1 ||
        h2k_lc_add_bool (dyn, key, dynamic) == -1)
      goto oom;
  }
  {
    json_object_object_foreach (dyn, k, v) {
      if (json_object_get_boolean (v) && h2k_lc_array_add_str (dynarr, k) == -1)
        goto oom;
    }
  }
  ret = root;
  root = NULL;
  goto out;
 oom:
  h2k_lc_oom (name);
 out:
  h2k_lc_text_free (&t);
  return ret;
}
