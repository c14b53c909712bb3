/* h2k: reading Windows registry hives with hivex (winreg.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "winreg.h"

/* Longest key path walked (the deepest h2k reads has 8 components). */
#define WINREG_KEY_PATH_MAX 512

hive_h *
h2k_winreg_open (const char *path, const char *name, int flags)
{
  hive_h *h = hivex_open (path, flags);

  if (h == NULL)
    h2k_error ("%s: cannot open the registry hive%s: %m", name ? name : path,
               flags & HIVEX_OPEN_WRITE ? " for writing" : "");
  return h;
}

void
h2k_winreg_close (hive_h *h)
{
  if (h)
    hivex_close (h);
}

void
h2k_cleanup_hivex (void *ptr)
{
  h2k_winreg_close (*(hive_h **) ptr);
}

/* The node at PATH under FROM; with CREATE, missing keys are added. */
static hive_node_h
walk (hive_h *h, hive_node_h from, const char *path, int create)
{
  char buf[WINREG_KEY_PATH_MAX];
  hive_node_h node = from, next;
  char *save = NULL;

  if (node == 0 || strlen (path) >= sizeof buf)
    return 0;
  strcpy (buf, path);
  for (char *p = strtok_r (buf, "\\", &save); p && node;
       p = strtok_r (NULL, "\\", &save)) {
    next = hivex_node_get_child (h, node, p);
    if (next == 0 && create)
      next = hivex_node_add_child (h, node, p);
    node = next;
  }
  return node;
}

hive_node_h
h2k_winreg_key (hive_h *h, hive_node_h from, const char *path)
{
  return walk (h, from, path, 0);
}

hive_node_h
h2k_winreg_add_key (hive_h *h, hive_node_h from, const char *path)
{
  return walk (h, from, path, 1);
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
h2k_winreg_get_string (hive_h *h, hive_node_h node, const char *name)
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
h2k_winreg_get_strings (hive_h *h, hive_node_h node, const char *name)
{
  hive_type t;
  hive_value_h v = typed_value (h, node, name, hive_t_REG_MULTI_SZ,
                                hive_t_REG_MULTI_SZ, &t);
  CLEANUP_FREE char *s = NULL;

  if (v)
    return drop_empty (hivex_value_multiple_strings (h, v));
  s = h2k_winreg_get_string (h, node, name);
  return s ? split_list (s) : NULL;
}

int
h2k_winreg_get_dword (hive_h *h, hive_node_h node, const char *name,
                      int64_t *out)
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
h2k_winreg_subkeys (hive_h *h, hive_node_h node)
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
