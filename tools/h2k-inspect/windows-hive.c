/* h2k-inspect: small wrappers around hivex for reading a hive.
 *
 * hivex guards against hostile hives (HIVEX_MAX_SUBKEYS, value length
 * limits) and converts UTF-16LE strings to UTF-8; these helpers only turn
 * "missing" and "of another type" into NULL/0 so callers stay short.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "windows.h"

/* Longest key path we walk (the deepest we read has 8 components). */
#define WIN_KEY_PATH_MAX 512

hive_h *
win_hive_open (const char *path, const char *name)
{
  hive_h *h = hivex_open (path, h2k_verbose ? HIVEX_OPEN_VERBOSE : 0);

  if (h == NULL)
    h2k_error ("%s: cannot open the registry hive: %m", name ? name : path);
  return h;
}

void
win_hive_close (hive_h *h)
{
  if (h)
    hivex_close (h);
}

void
win_cleanup_hive (void *ptr)
{
  win_hive_close (*(hive_h **) ptr);
}

hive_node_h
win_key (hive_h *h, hive_node_h from, const char *path)
{
  char buf[WIN_KEY_PATH_MAX];
  hive_node_h node = from;
  char *save = NULL;

  if (node == 0 || strlen (path) >= sizeof buf)
    return 0;
  strcpy (buf, path);
  for (char *p = strtok_r (buf, "\\", &save); p && node;
       p = strtok_r (NULL, "\\", &save))
    node = hivex_node_get_child (h, node, p);
  return node;
}

/* The value NAME of NODE if its type is one of T1, T2; else 0. */
static hive_value_h
typed_value (hive_h *h, hive_node_h node, const char *name,
             hive_type t1, hive_type t2, hive_type *t)
{
  hive_value_h v;
  size_t len;

  if (node == 0)
    return 0;
  v = hivex_node_get_value (h, node, name);
  if (v == 0 || hivex_value_type (h, v, t, &len) == -1 ||
      (*t != t1 && *t != t2))
    return 0;
  return v;
}

char *
win_get_string (hive_h *h, hive_node_h node, const char *name)
{
  hive_type t;
  hive_value_h v = typed_value (h, node, name, hive_t_REG_SZ,
                                hive_t_REG_EXPAND_SZ, &t);
  char **multi;
  char *s;

  if (v)
    return hivex_value_string (h, v);
  v = typed_value (h, node, name, hive_t_REG_MULTI_SZ, hive_t_REG_MULTI_SZ, &t);
  multi = v ? hivex_value_multiple_strings (h, v) : NULL;
  if (multi == NULL)
    return NULL;
  s = multi[0] ? strdup (multi[0]) : NULL;
  h2k_free_strv (multi);
  return s;
}

/* Split S at commas and blanks into a new vector; NULL on ENOMEM. */
static char **
split_list (const char *s)
{
  size_t n = 0, len = strlen (s);
  char **v = calloc (len / 2 + 2, sizeof *v);
  const char *p = s;

  if (v == NULL)
    return NULL;
  while (*p) {
    size_t w = strcspn (p, ", \t");
    if (w > 0 && (v[n++] = strndup (p, w)) == NULL) {
      h2k_free_strv (v);
      return NULL;
    }
    p += w;
    p += strspn (p, ", \t");
  }
  return v;
}

/* Drop the empty strings of V in place. */
static char **
drop_empty (char **v)
{
  size_t j = 0;

  for (size_t i = 0; v && v[i]; ++i) {
    if (*v[i])
      v[j++] = v[i];
    else
      free (v[i]);
  }
  if (v)
    v[j] = NULL;
  return v;
}

char **
win_get_strings (hive_h *h, hive_node_h node, const char *name)
{
  hive_type t;
  hive_value_h v = typed_value (h, node, name, hive_t_REG_MULTI_SZ,
                                hive_t_REG_MULTI_SZ, &t);
  CLEANUP_FREE char *s = NULL;

  if (v)
    return drop_empty (hivex_value_multiple_strings (h, v));
  s = win_get_string (h, node, name);
  return s ? split_list (s) : NULL;
}

int
win_get_dword (hive_h *h, hive_node_h node, const char *name, int64_t *out)
{
  hive_type t;
  hive_value_h v = typed_value (h, node, name, hive_t_REG_DWORD,
                                hive_t_REG_DWORD_BIG_ENDIAN, &t);

  if (v == 0)
    return 0;
  errno = 0;
  *out = (uint32_t) hivex_value_dword (h, v);
  return errno == 0;
}

char **
win_subkeys (hive_h *h, hive_node_h node)
{
  CLEANUP_FREE hive_node_h *kids = hivex_node_children (h, node);
  size_t n = 0;
  char **v;

  if (kids == NULL) {
    h2k_error ("cannot list registry subkeys: %m");
    return NULL;
  }
  while (kids[n])
    ++n;
  v = calloc (n + 1, sizeof *v);
  if (v == NULL) {
    h2k_error ("out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; ++i)
    if ((v[i] = hivex_node_name (h, kids[i])) == NULL) {
      h2k_free_strv (v);
      h2k_error ("cannot read a registry key name: %m");
      return NULL;
    }
  return v;
}
