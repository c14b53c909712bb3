/* h2k: INI-style files (NetworkManager keyfiles, systemd-networkd). */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

static char *
rtrim (char *s)
{
  size_t l = strlen (s);

  while (l > 0 && h2k_lc_is_blank (s[l - 1]))
    s[--l] = '\0';
  return s;
}

static json_object *
new_section (json_object *sections, const char *sname, int lineno)
{
  json_object *s = json_object_new_object ();

  if (h2k_lc_array_add (sections, s) == -1 ||
      h2k_lc_add_str (s, "name", sname) == -1 ||
      h2k_lc_add_int (s, "line", lineno) == -1 ||
      json_object_object_add (s, "entries", json_object_new_array ()) != 0)
    return NULL;
  return s;
}

static int
add_entry (json_object *section, const char *key, const char *value,
           int lineno)
{
  json_object *entries, *e = json_object_new_object ();

  json_object_object_get_ex (section, "entries", &entries);
  if (h2k_lc_array_add (entries, e) == -1 ||
      h2k_lc_add_str (e, "key", key) == -1 ||
      h2k_lc_add_str (e, "value", value) == -1 ||
      h2k_lc_add_int (e, "line", lineno) == -1)
    return -1;
  return 0;
}

/* One logical line: 0 or -1 reported; *SECTION updated. */
static int
ini_line (json_object *sections, json_object **section, char *line,
          int lineno, const char *name)
{
  char *p = (char *) h2k_lc_skip_blank (line), *eq, *key;

  rtrim (p);
  if (*p == '[') {
    size_t l = strlen (p);
    if (l < 2 || p[l - 1] != ']') {
      h2k_lc_error (name, lineno, "section header without closing ']'");
      return -1;
    }
    p[l - 1] = '\0';
    *section = new_section (sections, p + 1, lineno);
    if (*section == NULL) {
      h2k_lc_oom (name);
      return -1;
    }
    return 0;
  }
  eq = strchr (p, '=');
  if (eq == NULL) {
    h2k_lc_error (name, lineno, "expected '[section]' or 'key=value'");
    return -1;
  }
  *eq = '\0';
  key = rtrim (p);
  if (*key == '\0') {
    h2k_lc_error (name, lineno, "empty key before '='");
    return -1;
  }
  if (*section == NULL) {
    h2k_lc_error (name, lineno, "key '%s' outside any [section]", key);
    return -1;
  }
  if (add_entry (*section, key, h2k_lc_skip_blank (eq + 1), lineno) == -1) {
    h2k_lc_oom (name);
    return -1;
  }
  return 0;
}

json_object *
h2k_linuxcfg_ini (const char *text, size_t len, const char *name)
{
  struct h2k_lc_text t;
  CLEANUP_JSON json_object *root = json_object_new_object ();
  json_object *sections = json_object_new_array ();
  json_object *section = NULL, *ret = NULL;
  size_t i = 0, count = 0;

  if (root == NULL || json_object_object_add (root, "sections", sections)) {
    json_object_put (sections);
    h2k_lc_oom (name);
    return NULL;
  }
  if (h2k_lc_text_split (text, len, name, &t) == -1)
    return NULL;
  while (i < t.n) {
    int lineno;
    CLEANUP_FREE char *line = h2k_lc_logical_line (&t, &i, &lineno, ' ');

    if (line == NULL)
      goto out;
    if (h2k_lc_is_comment (line, "#;"))
      continue;
    if (++count > LINUXCFG_MAX_ENTRIES) {
      h2k_lc_error (name, lineno, "too many entries (at most %d)",
                LINUXCFG_MAX_ENTRIES);
      goto out;
    }
    if (ini_line (sections, &section, line, lineno, name) == -1)
      goto out;
  }
  ret = root;
  root = NULL;
 out:
  h2k_lc_text_free (&t);
  return ret;
}

const char *
h2k_linuxcfg_ini_get (json_object *doc, const char *section, const char *key)
{
  json_object *sections, *entries;
  size_t i, j;

  if (doc == NULL || !json_object_object_get_ex (doc, "sections", &sections) ||
      !json_object_is_type (sections, json_type_array))
    return NULL;
  for (i = json_object_array_length (sections); i-- > 0; ) {
    json_object *s = json_object_array_get_idx (sections, i);
    const char *sn = h2k_lc_get_str (s, "name");

    if (sn == NULL || strcmp (sn, section) != 0 ||
        !json_object_object_get_ex (s, "entries", &entries) ||
        !json_object_is_type (entries, json_type_array))
      continue;
    for (j = json_object_array_length (entries); j-- > 0; ) {
      json_object *e = json_object_array_get_idx (entries, j);
      const char *k = h2k_lc_get_str (e, "key");
      if (k && strcmp (k, key) == 0)
        return h2k_lc_get_str (e, "value");
    }
  }
  return NULL;
}
